"""Community engagement's background tasks, one block per part."""

# --- Events ---

from django.tasks import task

from tapestry.engagement.services import (
    event_reminders_send,
    registrants_anonymize,
)


@task()
def event_reminders_task() -> int:
    """Hourly: remind the seated people of events starting within a day (once each)."""
    return event_reminders_send()


@task()
def registrants_retention_task() -> int:
    """Daily: erase registrants' names and emails past the retention period."""
    return registrants_anonymize()
