"""Carry the request id from the request that enqueued a task to the worker that runs it.

django-tasks-db stores a task's arguments as `{"args": [...], "kwargs": {...}}` and reads back
only those two keys, so the id rides along in the same JSON under its own key: no extra table,
no extra query, and the admin's task page shows it. The worker puts it back in the context
while the task runs (`task_started` .. `task_finished`), so every line the task logs, and the
worker's own "Task ... state=..." lines, carry it.
"""

from contextvars import Token
from typing import Any

from django.tasks import TaskResult
from django.tasks.signals import log_task_started, task_finished, task_started

from tapestry.core.observability.context import request_id_var, task_id_var

ARGS_KEY = "request_id"

# Tokens to restore the context when the task finishes, by task result id.
_tokens: dict[str, tuple[Token[str | None], Token[str | None] | None]] = {}


def task_request_id_record(sender: Any, instance: Any, **kwargs: Any) -> None:
    """pre_save of a new DBTaskResult: note the current request's id with its arguments."""
    request_id = request_id_var.get()
    if instance._state.adding and request_id and isinstance(instance.args_kwargs, dict):
        instance.args_kwargs = {**instance.args_kwargs, ARGS_KEY: request_id}


def _carried_request_id(task_result: TaskResult) -> str | None:
    db_result = getattr(task_result, "db_result", None)
    args_kwargs = getattr(db_result, "args_kwargs", None)
    if isinstance(args_kwargs, dict):
        value = args_kwargs.get(ARGS_KEY)
        return value if isinstance(value, str) else None
    return None


def task_context_enter(sender: Any, task_result: TaskResult, **kwargs: Any) -> None:
    task_token = task_id_var.set(str(task_result.id))
    carried = _carried_request_id(task_result)
    # A task run inline (the immediate backend) is already inside its request's context.
    request_token = request_id_var.set(carried) if carried else None
    _tokens[str(task_result.id)] = (task_token, request_token)


def task_context_exit(sender: Any, task_result: TaskResult, **kwargs: Any) -> None:
    tokens = _tokens.pop(str(task_result.id), None)
    if tokens is None:
        return
    task_token, request_token = tokens
    if request_token is not None:
        request_id_var.reset(request_token)
    task_id_var.reset(task_token)


def task_context_connect() -> None:
    from django.db.models.signals import pre_save
    from django_tasks_db.models import DBTaskResult

    pre_save.connect(
        task_request_id_record, sender=DBTaskResult, dispatch_uid="core.task_request_id"
    )
    # Receivers run in the order they were connected, and Django's own "Task ... RUNNING" line
    # is connected first; reconnect it after ours so that line carries the request id too.
    task_started.disconnect(log_task_started)
    task_started.connect(task_context_enter, dispatch_uid="core.task_context_enter")
    task_started.connect(log_task_started)
    # Connected after Django's "Task ... state=FAILED/SUCCESSFUL" line, so it keeps the id.
    task_finished.connect(task_context_exit, dispatch_uid="core.task_context_exit")
