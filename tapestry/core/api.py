"""What the other apps may use from core: audit, CSV cells, email, the worker's health, language
order."""

import csv
import datetime
import logging
from collections.abc import Iterable, Iterator
from typing import Any

from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import F
from django.db.models.functions import Collate
from django.template.loader import render_to_string
from django.utils import timezone, translation

from tapestry.core.collation import collation_for_language
from tapestry.core.models import AuditEvent, WorkerHeartbeat

logger = logging.getLogger(__name__)


def audit_record(
    *,
    actor: Any,
    action: str,
    target: models.Model | None = None,
    summary: str = "",
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Write an audit row. Call it inside the service's transaction so both land or neither."""
    return AuditEvent.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        summary=summary[:500],
        data=data or {},
    )


# Spreadsheet programs run a cell that starts with one of these as a formula.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> str:
    """A value as CSV cell text that a spreadsheet shows and never runs as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


class _Line:
    """A file for csv.writer that hands back each line instead of storing it."""

    def write(self, value: str) -> str:
        return value


def csv_lines(rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    """CSV text line by line (for a streaming response), every cell through csv_cell."""
    writer = csv.writer(_Line())
    for row in rows:
        yield writer.writerow([csv_cell(value) for value in row])


def email_send(
    *,
    to: list[str],
    template: str,
    context: dict[str, Any],
    language: str = "en",
) -> None:
    """Render `<template>_subject.txt` and `<template>_body.txt` in the recipient's language and
    hand the message to the worker once the surrounding transaction commits."""
    with translation.override(language):
        subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
        body = render_to_string(f"{template}_body.txt", context)
    email_send_rendered(to=to, subject=subject, body=body)


def email_send_rendered(*, to: list[str], subject: str, body: str, html: str | None = None) -> None:
    """Queue an already rendered message for the worker after the transaction commits."""
    from tapestry.core.tasks import deliver_email

    transaction.on_commit(
        lambda: deliver_email.enqueue(to=to, subject=subject, body=body, html=html)
    )


def worker_status() -> dict[str, Any]:
    """Whether the background worker has run a heartbeat task recently."""
    heartbeat = WorkerHeartbeat.objects.filter(name="worker").first()
    if heartbeat is None:
        return {"status": "unknown", "last_seen": None}
    age = timezone.now() - heartbeat.last_seen
    stale = age > datetime.timedelta(seconds=settings.WORKER_HEARTBEAT_STALE_SECONDS)
    return {"status": "stale" if stale else "ok", "last_seen": heartbeat.last_seen.isoformat()}


def database_status() -> dict[str, Any]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:
        logger.warning("Health check could not reach the database: %s", error)
        return {"status": "down", "vendor": connection.vendor}
    return {"status": "ok", "vendor": connection.vendor}


def order_by_language(*, field: str, language: str | None) -> Collate:
    """An ordering expression sorting `field` alphabetically for readers of `language`.

    ICU's collation for the language on PostgreSQL and SQLite alike ("Míchigan" before
    "Minnesota" in Spanish; case and accents only break ties). `language` is a code such as
    "es", "es-mx" or "en"; None and unknown languages sort as English.
    """
    return Collate(F(field), collation_for_language(language))
