"""Error reports through pluggable reporters: an unhandled exception in a request
(`got_request_exception`) or a failed task (`task_finished` with FAILED) is handed to every
reporter named in `TAPESTRY_ERROR_REPORTERS`. The default writes it to the log; with
`TAPESTRY_SENTRY_DSN` set, Sentry's SDK is started too (see `sentry_init`).

A reporter is a function `report(*, exc_info, context)`; `context` holds only plain labels
(kind, view or task name, request id), never a person's data.
"""

import logging
import subprocess
import sys
from collections.abc import Callable
from functools import cache
from types import TracebackType
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.http import HttpRequest
from django.tasks import TaskResult, TaskResultStatus
from django.utils.module_loading import import_string

from tapestry.core.observability.context import request_id_var, task_id_var
from tapestry.core.observability.metrics import view_name

if TYPE_CHECKING:
    from sentry_sdk.types import Event

logger = logging.getLogger("tapestry.errors")

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None] | tuple[None, None, None]
Reporter = Callable[..., None]


def log_reporter(*, exc_info: ExcInfo, context: dict[str, str]) -> None:
    """The default: one ERROR line with the traceback."""
    logger.error(
        "Unhandled error in %s %s",
        context.get("kind", "?"),
        context.get("where", "?"),
        exc_info=exc_info if exc_info[0] else None,
    )


def sentry_reporter(*, exc_info: ExcInfo, context: dict[str, str]) -> None:
    """Sends failed tasks to Sentry. Request errors need nothing from here: the SDK's Django
    integration captures those itself, with the request's details (minus personal data)."""
    if context.get("kind") != "task":
        return
    import sentry_sdk

    with sentry_sdk.new_scope() as scope:
        for key, value in context.items():
            scope.set_tag(key, value)
        if exc_info[0] is not None:
            sentry_sdk.capture_exception(exc_info)
        else:
            sentry_sdk.capture_message(f"Task {context.get('where')} failed", level="error")


@cache
def _reporters(paths: tuple[str, ...]) -> list[Reporter]:
    return [import_string(path) for path in paths]


def error_report(*, exc_info: ExcInfo, context: dict[str, str]) -> None:
    """Hand an error to every configured reporter. A broken reporter must not hide the error
    from the others, nor turn a handled failure into a crash."""
    context = {**context, "request_id": request_id_var.get() or ""}
    for reporter in _reporters(tuple(settings.TAPESTRY_ERROR_REPORTERS)):
        try:
            reporter(exc_info=exc_info, context=context)
        except Exception:  # any failure at all: see the docstring
            logger.exception("Error reporter %r failed", reporter)


def request_exception_report(
    sender: Any, request: HttpRequest | None = None, **kwargs: Any
) -> None:
    """got_request_exception receiver (sent from inside Django's exception handler)."""
    where = view_name(request) if request is not None else "?"
    error_report(exc_info=sys.exc_info(), context={"kind": "request", "where": where})


def task_failure_report(sender: Any, task_result: TaskResult, **kwargs: Any) -> None:
    """task_finished receiver: report the failures (the worker sends it from its except)."""
    if task_result.status != TaskResultStatus.FAILED:
        return
    error_report(
        exc_info=sys.exc_info(),
        context={
            "kind": "task",
            "where": task_result.task.module_path,
            "task_id": task_id_var.get() or str(task_result.id),
        },
    )


def git_commit() -> str:
    """The deployed commit, from `TAPESTRY_RELEASE` or the checkout; "" when unknown."""
    if settings.TAPESTRY_RELEASE:
        return settings.TAPESTRY_RELEASE
    try:
        completed = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=settings.BASE_DIR,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return completed.stdout.strip()


def _request_id_tag(event: "Event", hint: dict[str, Any]) -> "Event":
    """Tag each event with the request id, to find its log lines."""
    request_id = request_id_var.get()
    if request_id:
        event.setdefault("tags", {}).setdefault("request_id", request_id)
    return event


def sentry_init() -> None:
    """Start Sentry's SDK with the Django integration when a DSN is configured."""
    if not settings.TAPESTRY_SENTRY_DSN:
        return
    import sentry_sdk
    from sentry_sdk.integrations.django import DjangoIntegration
    from sentry_sdk.integrations.logging import ignore_logger

    sentry_sdk.init(
        dsn=settings.TAPESTRY_SENTRY_DSN,
        integrations=[DjangoIntegration()],
        environment=settings.ENVIRONMENT,
        release=git_commit() or None,
        # No cookies, headers, user emails or IP addresses leave the site; nor do request
        # bodies or a frame's local variables, where a person's data often sits.
        send_default_pii=False,
        include_local_variables=False,
        max_request_body_size="never",
        before_send=_request_id_tag,
        traces_sample_rate=settings.TAPESTRY_SENTRY_TRACES_SAMPLE_RATE,
    )
    # The log reporter's lines, and Django's "Task ... state=FAILED" line, would reach Sentry
    # through its logging integration first (and its deduplication would then drop
    # `sentry_reporter`'s event, which carries the task's tags): let only the reporter send them.
    ignore_logger(logger.name)
    ignore_logger("django.tasks")
