"""The request id (and the signed-in person's id) every log line carries, in the web process
and in the worker running a task the request enqueued."""

import datetime
import json
import logging
import re
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from django.http import HttpRequest, HttpResponseBase

# Context variables, not thread locals: each gunicorn thread and each asyncio task sees its own.
request_id_var: ContextVar[str | None] = ContextVar("tapestry_request_id", default=None)
user_id_var: ContextVar[int | None] = ContextVar("tapestry_user_id", default=None)
task_id_var: ContextVar[str | None] = ContextVar("tapestry_task_id", default=None)

REQUEST_ID_HEADER = "X-Request-ID"
# A proxy's id is kept only if it cannot smuggle anything into a log line or a header.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


def request_id_from_header(value: str | None) -> str:
    """The caller's request id when it is short and plain, else a new one."""
    if value and _SANE_REQUEST_ID.fullmatch(value):
        return value
    return uuid.uuid4().hex


def current_request_id() -> str | None:
    return request_id_var.get()


class RequestIdMiddleware:
    """Give each request an id (the proxy's `X-Request-ID` if sane), put it in the context for
    the log lines and tasks of this request, and answer with it.

    First in MIDDLEWARE, so every later middleware's log lines carry it too.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        request_id = request_id_from_header(request.headers.get(REQUEST_ID_HEADER))
        request.request_id = request_id  # type: ignore[attr-defined]
        request_token = request_id_var.set(request_id)
        user_token = user_id_var.set(None)
        try:
            response = self.get_response(request)
        finally:
            user_id_var.reset(user_token)
            request_id_var.reset(request_token)
        response[REQUEST_ID_HEADER] = request_id
        return response

    def process_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        # By now authentication has run; the id (never the email) identifies the person.
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            user_id_var.set(user.pk)


class RequestContextFilter(logging.Filter):
    """Adds `request_id`, `user_id` and `task_id` to every record (None outside a request or a
    task), for the JSON formatter and for `%(request_id)s` in a plain format."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        record.user_id = user_id_var.get()
        record.task_id = task_id_var.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log shippers: time (ISO 8601, UTC), level, logger,
    message, the request context, and the exception as text."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.datetime.fromtimestamp(record.created, tz=datetime.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
            "user_id": getattr(record, "user_id", None),
            "task_id": getattr(record, "task_id", None),
        }
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exc_info"] = record.exc_text
        if record.stack_info:
            entry["stack_info"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str, ensure_ascii=False)
