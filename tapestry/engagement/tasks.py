"""Community engagement's background tasks, one block per part."""

# --- Program kits ---
from django.tasks import task

from tapestry.engagement.services import kit_overdue_reminders_send


@task()
def kit_overdue_reminders_task() -> dict[str, int]:
    """Remind the borrowers of kits past their due date (scheduled daily)."""
    return {"reminders": kit_overdue_reminders_send()}
