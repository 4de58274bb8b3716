"""What other apps may use of community engagement (nothing yet)."""
