from django.tasks import task
from django.utils import timezone

from tapestry.learning.reports import compliance_months_record, month_ends, standing_rebuild
from tapestry.learning.services import expiry_warnings_send, requirements_sync


@task()
def learning_daily_task() -> dict[str, int]:
    """Assign the courses roles require (roles given outside Tapestry's own screens), send the
    day's expiry warnings, work out the compliance report's standings again (roles given or
    taken away in the Django admin reach it here) and record the chart's month that ended."""
    assigned = requirements_sync()
    warnings = expiry_warnings_send()
    standing_rebuild()
    compliance_months_record(ends=month_ends(today=timezone.localdate()))
    return {"assigned": assigned, "warnings": warnings}
