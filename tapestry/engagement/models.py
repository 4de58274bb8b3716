"""Community engagement's data: events and registrations, activity reports, program kits and
their reservations, engagement requests. The models of each part are below, one block per part."""
