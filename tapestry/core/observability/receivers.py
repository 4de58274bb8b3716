"""Connects observability to Django's signals; called once from CoreConfig.ready()."""

from django.contrib.auth.signals import user_login_failed
from django.core.signals import got_request_exception
from django.tasks.signals import task_finished

from tapestry.core.observability.errors import (
    request_exception_report,
    sentry_init,
    task_failure_report,
)
from tapestry.core.observability.metrics import login_failed_count
from tapestry.core.observability.tasks import task_context_connect


def observability_connect() -> None:
    sentry_init()
    user_login_failed.connect(login_failed_count, dispatch_uid="core.login_failed_count")
    got_request_exception.connect(request_exception_report, dispatch_uid="core.error_report")
    # Before the task context is left, so the report carries the task's request id.
    task_finished.connect(task_failure_report, dispatch_uid="core.task_error_report")
    task_context_connect()
