"""What other apps may use of resources (nothing yet: a page of another app may link to the
public resource pages by URL name, `resources:home`)."""
