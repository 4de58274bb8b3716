"""The researcher-access job the scheduler runs daily (settings.SCHEDULED_JOBS)."""

from django.tasks import task

from tapestry.research.services import access_changes_review


@task()
def access_changes_review_task() -> int:
    return access_changes_review()
