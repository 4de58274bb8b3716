"""What other apps may use of funding (nothing yet: awards will offer their activity reports'
link to engagement and their final reports to surveys)."""
