"""Funding's background tasks."""

from django.tasks import task

from tapestry.funding.awards import report_reminders_send


@task()
def report_reminders_task() -> int:
    """Daily: remind awardees of overdue reports (the day after the due date, then weekly)."""
    return report_reminders_send()
