import logging

from django.core.mail import EmailMultiAlternatives
from django.tasks import task
from django.utils import timezone

from tapestry.core.models import WorkerHeartbeat
from tapestry.core.task_recovery import task_recovery_run

logger = logging.getLogger(__name__)


@task()
def deliver_email(*, to: list[str], subject: str, body: str, html: str | None = None) -> int:
    message = EmailMultiAlternatives(subject=subject, body=body, to=to)
    if html:
        message.attach_alternative(html, "text/html")
    sent = message.send()
    # Counts only: addresses are personal data and logs travel to log stores.
    logger.info("Sent %s message(s) to %s recipient(s)", sent, len(to))
    return sent


@task()
def worker_heartbeat() -> str:
    now = timezone.now()
    WorkerHeartbeat.objects.update_or_create(name="worker", defaults={"last_seen": now})
    return now.isoformat()


@task()
def task_recovery_task() -> dict[str, int]:
    """Every minute: settle tasks whose worker died and stale work of other kinds (ADR 0031)."""
    outcome = task_recovery_run()
    return {"rerun": len(outcome.rerun), "failed": len(outcome.failed), **outcome.other}
