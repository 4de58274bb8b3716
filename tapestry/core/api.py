"""What the other apps may use from core: audit, CSV cells, email, the worker's health, language
order, the observability registries (readiness checks, scrape-time gauges), adding their files
to backups, and reading reports from the read replica."""

import csv
import datetime
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.paginator import Page
from django.db import DatabaseError, connection, models, transaction
from django.db.models import F
from django.db.models.functions import Collate
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone, translation

# Re-exported for the domain apps (they may import nothing else of core's): adding their files
# to every backup, reading reports from the replica, the observability registries, and what a
# full disk looks like.
from tapestry.core.backup import backup_part_register as backup_part_register
from tapestry.core.collation import collation_for_language
from tapestry.core.db_router import reading_from_replica as reading_from_replica
from tapestry.core.models import AuditEvent, WorkerHeartbeat
from tapestry.core.observability.context import current_request_id as current_request_id
from tapestry.core.observability.metrics import GaugeSample as GaugeSample
from tapestry.core.observability.metrics import metrics_gauges_register as metrics_gauges_register
from tapestry.core.observability.readiness import CheckResult as CheckResult
from tapestry.core.observability.readiness import (
    readiness_check_register as readiness_check_register,
)
from tapestry.core.resilience import StorageFull as StorageFull
from tapestry.core.resilience import disk_full as disk_full

# Long jobs' heartbeats and the fault tests' checkpoints (ADR 0031), for the apps' own jobs.
from tapestry.core.task_recovery import checkpoint as checkpoint
from tapestry.core.task_recovery import process_alive as process_alive
from tapestry.core.task_recovery import process_heartbeat as process_heartbeat
from tapestry.core.task_recovery import process_id_make as process_id_make
from tapestry.core.task_recovery import stale_work_register as stale_work_register

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


@dataclass(frozen=True)
class SiteInfo:
    """The site as emails name it (what allauth's templates call `current_site`)."""

    name: str
    domain: str
    url: str


def site_info() -> SiteInfo:
    return SiteInfo(
        name=settings.SITE_NAME,
        domain=urlsplit(settings.SITE_URL).netloc,
        url=settings.SITE_URL,
    )


def email_render(template: str, context: dict[str, Any], *, one_line: bool = False) -> str:
    """Render a plain-text email template without HTML escaping ("Children's", not
    "Children&#x27;s"). `one_line` folds whitespace, for subjects."""
    text = render_to_string(template, context, using="email")
    return " ".join(text.split()) if one_line else text.strip() + "\n"


def email_send(
    *,
    to: list[str],
    template: str,
    context: dict[str, Any],
    language: str = "en",
    recipient_name: str = "",
) -> None:
    """Render `<template>_subject.txt` and `<template>_body.txt` in the recipient's language,
    between a greeting by name ("Hello Alice Liaison,") and the site's sign-off, and hand the
    message to the worker once the surrounding transaction commits."""
    context = {"site_url": settings.SITE_URL, **context}
    with translation.override(language):
        subject = email_render(f"{template}_subject.txt", context, one_line=True)
        body = email_render(
            "core/email/message.txt",
            {
                "recipient_name": recipient_name,
                "content": email_render(f"{template}_body.txt", context).strip(),
                "site": site_info(),
            },
        )
    email_send_rendered(to=to, subject=subject, body=body)


def email_send_rendered(*, to: list[str], subject: str, body: str, html: str | None = None) -> None:
    """Queue an already rendered message for the worker after the transaction commits."""
    from django_tasks_db import DatabaseBackend

    from tapestry.core.tasks import deliver_email

    if transaction.get_connection().in_atomic_block and isinstance(
        deliver_email.get_backend(), DatabaseBackend
    ):
        # The queue is a table of this database: the task row commits with the work that sent
        # the message (a reminder's "sent" mark) or not at all, so a process killed between
        # the commit and an on_commit callback cannot lose the message (ADR 0031).
        deliver_email.enqueue(to=to, subject=subject, body=body, html=html)
        return
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
    except DatabaseError as error:
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


class PageFacts:
    """What a results page says about its paging (total, page, pages, page size, previous and
    next), from the Django page `page_obj` that the page's own dataclass holds: for result
    pages that page over ids and load their rows themselves (the directory, the event finder)."""

    page_obj: Page[Any]

    @property
    def total(self) -> int:
        return self.page_obj.paginator.count

    @property
    def page(self) -> int:
        return self.page_obj.number

    @property
    def num_pages(self) -> int:
        return self.page_obj.paginator.num_pages

    @property
    def page_size(self) -> int:
        return self.page_obj.paginator.per_page

    @property
    def has_previous(self) -> bool:
        return self.page_obj.has_previous()

    @property
    def has_next(self) -> bool:
        return self.page_obj.has_next()


def client_address(request: HttpRequest) -> str:
    """The visitor's address, for per-address limits and audit. Behind
    ALLAUTH_TRUSTED_PROXY_COUNT proxies (TAPESTRY_TRUSTED_PROXY_COUNT), the entry that many
    from the end of X-Forwarded-For, the one the nearest trusted proxy saw; the entries before
    it are the client's own claims and never trusted. Without proxies, the connection's
    address (a header is then anyone's to write)."""
    trusted = settings.ALLAUTH_TRUSTED_PROXY_COUNT
    forwarded = [a.strip() for a in request.headers.get("X-Forwarded-For", "").split(",")]
    if trusted > 0 and len(forwarded) >= trusted and forwarded[-trusted]:
        return forwarded[-trusted][:45]
    return str(request.META.get("REMOTE_ADDR", ""))[:45]
