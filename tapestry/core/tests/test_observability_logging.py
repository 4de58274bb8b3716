"""Request ids: given to every request, on every log line, and carried into the worker."""

import io
import json
import logging
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.management import call_command
from django.http import HttpRequest, HttpResponse
from django.tasks import task
from django.test import Client
from django.urls import path

from tapestry.core.observability.context import JsonFormatter, RequestContextFilter

ROOT = Path(__file__).resolve().parents[3]
NOTE_LOGGER = "tapestry.tests.observed"


@task()
def note_in_the_log(*, note: str) -> str:
    logging.getLogger(NOTE_LOGGER).warning("task says %s", note)
    return note


def enqueue_a_note(request: HttpRequest) -> HttpResponse:
    logging.getLogger(NOTE_LOGGER).warning("view enqueues")
    note_in_the_log.enqueue(note="hello")
    return HttpResponse("queued")


urlpatterns = [path("enqueue", enqueue_a_note, name="enqueue-a-note")]


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """The root logger's records as the production handler writes them (filter + JSON)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestContextFilter())
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    level = root.level
    root.setLevel(logging.INFO)
    yield stream
    root.removeHandler(handler)
    root.setLevel(level)


def _lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


@pytest.mark.django_db
def test_a_request_without_an_id_gets_a_new_one_in_the_response(visitor: Client) -> None:
    first = visitor.get("/healthz")
    second = visitor.get("/healthz")

    assert len(first["X-Request-ID"]) == 32
    assert int(first["X-Request-ID"], 16) >= 0
    assert first["X-Request-ID"] != second["X-Request-ID"]


@pytest.mark.django_db
def test_a_sane_request_id_from_the_proxy_is_kept(visitor: Client) -> None:
    response = visitor.get("/healthz", headers={"X-Request-ID": "lb-2026.11_30-abc"})

    assert response["X-Request-ID"] == "lb-2026.11_30-abc"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "offered",
    ["x" * 65, "two words", 'quote"d', "new\nline", "<script>", "ü-nicode", ""],
)
def test_an_insane_request_id_is_replaced(visitor: Client, offered: str) -> None:
    response = visitor.get("/healthz", headers={"X-Request-ID": offered})

    assert response["X-Request-ID"] != offered
    assert len(response["X-Request-ID"]) == 32


@pytest.mark.urls(__name__)
@pytest.mark.django_db
def test_the_view_log_lines_carry_the_request_id_and_the_user_id_never_the_email(
    json_log: io.StringIO,
    alice_liaison: AbstractBaseUser,
    signed_in: Callable[[AbstractBaseUser], Client],
) -> None:
    client = signed_in(alice_liaison)

    response = client.get("/enqueue", headers={"X-Request-ID": "req-alice-1"})

    view_line = next(line for line in _lines(json_log) if line["message"] == "view enqueues")
    assert response.status_code == 200
    assert view_line["request_id"] == "req-alice-1"
    assert view_line["user_id"] == alice_liaison.pk
    assert view_line["level"] == "WARNING"
    assert view_line["logger"] == NOTE_LOGGER
    assert str(view_line["time"]).endswith("+00:00")
    assert "alice@example.org" not in json_log.getvalue()


# The worker commits for real (see test_worker.py).
@pytest.mark.urls(__name__)
@pytest.mark.django_db(transaction=True)
def test_the_worker_logs_a_task_under_the_id_of_the_request_that_enqueued_it(
    database_task_backend: None, json_log: io.StringIO, visitor: Client
) -> None:
    response = visitor.get("/enqueue", headers={"X-Request-ID": "req-carried-42"})
    assert response.status_code == 200

    call_command(
        "db_worker", "--batch", "--no-startup-delay", stdout=io.StringIO(), stderr=io.StringIO()
    )

    lines = _lines(json_log)
    task_line = next(line for line in lines if line["message"] == "task says hello")
    task_id = task_line["task_id"]
    worker_lines = [line for line in lines if line["task_id"] == task_id]
    assert task_line["request_id"] == "req-carried-42"
    # Django's own "Task id=... state=RUNNING" and "...state=SUCCESSFUL" lines, and the task's.
    assert [(line["logger"], line["request_id"]) for line in worker_lines] == [
        ("django.tasks", "req-carried-42"),
        (NOTE_LOGGER, "req-carried-42"),
        ("django.tasks", "req-carried-42"),
    ]
    assert "state=SUCCESSFUL" in str(worker_lines[-1]["message"])
    # Outside the task the worker's lines carry no request id.
    assert (
        next(line for line in lines if "No more tasks" in str(line["message"]))["request_id"]
        is None
    )


@pytest.mark.urls(__name__)
@pytest.mark.django_db(transaction=True)
def test_a_task_enqueued_outside_a_request_runs_without_a_request_id(
    database_task_backend: None, json_log: io.StringIO
) -> None:
    note_in_the_log.enqueue(note="from the scheduler")

    call_command(
        "db_worker", "--batch", "--no-startup-delay", stdout=io.StringIO(), stderr=io.StringIO()
    )

    task_line = next(
        line for line in _lines(json_log) if line["message"] == "task says from the scheduler"
    )
    assert task_line["request_id"] is None
    assert task_line["task_id"]


def _python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("TAPESTRY_", "DJANGO_"))}
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings_test", **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


LOG_SOMETHING = """
import django, logging
django.setup()
log = logging.getLogger("tapestry.demo")
log.warning("hello %s", "world")
try:
    1 / 0
except ZeroDivisionError:
    log.exception("it broke")
"""


def test_with_json_format_each_log_record_is_one_json_object_per_line() -> None:
    result = _python(LOG_SOMETHING, {"TAPESTRY_LOG_FORMAT": "json"})

    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    ours = [record for record in records if record["logger"] == "tapestry.demo"]
    assert [(r["level"], r["message"], r["request_id"]) for r in ours] == [
        ("WARNING", "hello world", None),
        ("ERROR", "it broke", None),
    ]
    assert "ZeroDivisionError: division by zero" in ours[1]["exc_info"]
    assert ours[0]["time"].endswith("+00:00")


def test_by_default_log_records_are_plain_text_for_a_person() -> None:
    result = _python(LOG_SOMETHING, {})

    assert result.returncode == 0, result.stderr
    assert "WARNING tapestry.demo [None] hello world\n" in result.stderr
    assert "ZeroDivisionError: division by zero" in result.stderr
