"""Resource sharing's background tasks."""

from django.tasks import task

from tapestry.sharing.services import deliveries_purge, lenders_overdue_advance


@task()
def lenders_overdue_task() -> int:
    """Hourly: a request whose lender let its time to answer pass goes to the next lender."""
    return lenders_overdue_advance()


@task()
def deliveries_purge_task() -> int:
    """Daily: delete delivered PDFs whose link has expired."""
    return deliveries_purge()
