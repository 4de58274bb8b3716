"""Enqueue periodic jobs when they fall due. Run by the `scheduler` command."""

import datetime
import logging
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from tapestry.core.models import ScheduledRun

logger = logging.getLogger(__name__)


def scheduled_jobs_enqueue_due(*, now: datetime.datetime | None = None) -> list[str]:
    """Enqueue every job whose interval has passed; returns the names enqueued."""
    now = now or timezone.now()
    enqueued = []
    jobs: dict[str, dict[str, Any]] = settings.SCHEDULED_JOBS
    for name, job in jobs.items():
        interval = datetime.timedelta(seconds=job["every_seconds"])
        with transaction.atomic():
            run, created = ScheduledRun.objects.select_for_update().get_or_create(
                job=name, defaults={"last_enqueued_at": now}
            )
            if not created and now - run.last_enqueued_at < interval:
                continue
            run.last_enqueued_at = now
            run.save(update_fields=["last_enqueued_at"])
            task = import_string(job["task"])
            transaction.on_commit(task.enqueue)
        logger.info("Enqueued scheduled job %s", name)
        enqueued.append(name)
    return enqueued
