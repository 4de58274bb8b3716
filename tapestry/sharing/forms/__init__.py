"""The resource-sharing forms, one module per part of the app."""
