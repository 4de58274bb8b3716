from django.tasks import task

from tapestry.learning.services import expiry_warnings_send, requirements_sync


@task()
def learning_daily_task() -> dict[str, int]:
    """Assign the courses roles require (roles given outside Tapestry's own screens) and send
    the day's expiry warnings."""
    return {"assigned": requirements_sync(), "warnings": expiry_warnings_send()}
