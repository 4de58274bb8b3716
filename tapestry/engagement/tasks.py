"""Community engagement's background tasks, one block per part."""

from django.tasks import task

from tapestry.engagement.services import (
    event_reminders_send,
    kit_overdue_reminders_send,
    registrants_anonymize,
)

# --- Events ---


@task()
def event_reminders_task() -> int:
    """Hourly: remind the seated people of events starting within a day (once each)."""
    return event_reminders_send()


@task()
def registrants_retention_task() -> int:
    """Daily: erase registrants' names and emails past the retention period."""
    return registrants_anonymize()


# --- Program kits ---


@task()
def kit_overdue_reminders_task() -> dict[str, int]:
    """Remind the borrowers of kits past their due date (scheduled daily)."""
    return {"reminders": kit_overdue_reminders_send()}
