"""Error reports: unhandled request errors and failed tasks reach every configured reporter,
and with a DSN Sentry's SDK sends them (here to a loopback server standing in for Sentry)."""

import gzip
import http.server
import io
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import brotli
import pytest
from django.core.management import call_command
from django.http import HttpRequest, HttpResponse
from django.tasks import task
from django.test import Client
from django.urls import include, path
from pytest_django.fixtures import Settings

ROOT = Path(__file__).resolve().parents[3]
MODULE = __name__

# What `collect` was handed, for the assertions (a reporter is just a function).
REPORTS: list[dict[str, Any]] = []


def collect(*, exc_info: Any, context: dict[str, str]) -> None:
    REPORTS.append({"exception": repr(exc_info[1]), **context})


def breaks(*, exc_info: Any, context: dict[str, str]) -> None:
    raise OSError("the reporting service is down")


@task()
def fails_on_purpose(*, reason: str) -> None:
    raise RuntimeError(reason)


def view_that_breaks(request: HttpRequest) -> HttpResponse:
    raise ValueError("view broke")


def view_that_enqueues_a_failure(request: HttpRequest) -> HttpResponse:
    fails_on_purpose.enqueue(reason="queued from a request")
    return HttpResponse("queued")


# The site's own routes too: the 500 page links home.
urlpatterns = [
    path("", include("config.urls")),
    path("breaks", view_that_breaks, name="breaks"),
    path("enqueue-failure", view_that_enqueues_a_failure, name="enqueue-failure"),
]


@pytest.fixture
def reporters(settings: Settings) -> Iterator[list[dict[str, Any]]]:
    settings.TAPESTRY_ERROR_REPORTERS = [
        f"{MODULE}.breaks",
        f"{MODULE}.collect",
        "tapestry.core.observability.errors.log_reporter",
    ]
    REPORTS.clear()
    yield REPORTS
    REPORTS.clear()


@pytest.mark.urls(__name__)
@pytest.mark.django_db
def test_an_unhandled_request_error_reaches_the_reporters_with_its_request_id(
    reporters: list[dict[str, Any]], caplog: pytest.LogCaptureFixture
) -> None:
    client = Client(raise_request_exception=False)

    response = client.get("/breaks", headers={"X-Request-ID": "req-broken-1"})

    assert response.status_code == 500
    assert response["X-Request-ID"] == "req-broken-1"
    assert reporters == [
        {
            "exception": "ValueError('view broke')",
            "kind": "request",
            "where": "breaks",
            "request_id": "req-broken-1",
        }
    ]
    # The broken reporter is logged and the log reporter after it still ran.
    messages = [(r.name, r.getMessage()) for r in caplog.records if r.name == "tapestry.errors"]
    assert messages[0][1].startswith("Error reporter <function breaks")
    assert messages[1] == ("tapestry.errors", "Unhandled error in request breaks")


@pytest.mark.urls(__name__)
@pytest.mark.django_db
def test_a_task_failing_inline_reaches_the_reporters(reporters: list[dict[str, Any]]) -> None:
    # The tests' immediate backend runs the task inside the request.
    response = Client().get("/enqueue-failure", headers={"X-Request-ID": "req-inline-2"})

    assert response.status_code == 200
    assert len(reporters) == 1
    assert reporters[0]["exception"] == "RuntimeError('queued from a request')"
    assert reporters[0]["kind"] == "task"
    assert reporters[0]["where"] == f"{MODULE}.fails_on_purpose"
    assert reporters[0]["request_id"] == "req-inline-2"


@pytest.mark.urls(__name__)
@pytest.mark.django_db(transaction=True)
def test_a_task_failing_in_the_worker_reaches_the_reporters_with_its_request_id(
    database_task_backend: None, reporters: list[dict[str, Any]]
) -> None:
    response = Client().get("/enqueue-failure", headers={"X-Request-ID": "req-queued-3"})
    assert response.status_code == 200
    assert reporters == []

    call_command(
        "db_worker", "--batch", "--no-startup-delay", stdout=io.StringIO(), stderr=io.StringIO()
    )

    assert len(reporters) == 1
    assert reporters[0]["exception"] == "RuntimeError('queued from a request')"
    assert reporters[0]["where"] == f"{MODULE}.fails_on_purpose"
    assert reporters[0]["request_id"] == "req-queued-3"
    assert reporters[0]["task_id"]


@pytest.mark.django_db
def test_a_successful_task_reports_nothing(reporters: list[dict[str, Any]]) -> None:
    from tapestry.core.tasks import worker_heartbeat

    worker_heartbeat.enqueue()

    assert reporters == []


class _FakeSentry(http.server.BaseHTTPRequestHandler):
    """Sentry's ingest endpoint on loopback: keeps each envelope it is sent."""

    envelopes: list[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        encoding = self.headers.get("Content-Encoding", "")
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "br":
            body = brotli.decompress(body)
        items = []
        for line in body.splitlines():
            try:
                items.append(json.loads(line))
            except ValueError:
                continue
        self.envelopes.append(items)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def fake_sentry() -> Iterator[tuple[int, list[list[dict[str, Any]]]]]:
    _FakeSentry.envelopes = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _FakeSentry)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], _FakeSentry.envelopes
    server.shutdown()
    server.server_close()


FAIL_A_TASK_AND_A_REQUEST = f"""
import django
django.setup()
import sentry_sdk
from django.test import Client
from django.test.utils import override_settings
from {MODULE} import fails_on_purpose

fails_on_purpose.enqueue(reason="task broke for sentry")
with override_settings(ROOT_URLCONF="{MODULE}"):
    response = Client(raise_request_exception=False).get(
        "/breaks?email=alice@example.org", headers={{"X-Request-ID": "req-sentry-4"}}
    )
    assert response.status_code == 500
sentry_sdk.flush(timeout=30)
"""


def test_with_a_dsn_sentry_receives_failed_tasks_and_request_errors_without_personal_data(
    fake_sentry: tuple[int, list[list[dict[str, Any]]]],
) -> None:
    port, envelopes = fake_sentry
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("TAPESTRY_", "DJANGO_"))}

    result = subprocess.run(
        [sys.executable, "-c", FAIL_A_TASK_AND_A_REQUEST],
        cwd=ROOT,
        env={
            **clean,
            "DJANGO_SETTINGS_MODULE": "config.settings_test",
            "TAPESTRY_TASKS_BACKEND": "django.tasks.backends.immediate.ImmediateBackend",
            "TAPESTRY_SENTRY_DSN": f"http://publickey@127.0.0.1:{port}/7",
            "TAPESTRY_ENV": "development",
            "TAPESTRY_RELEASE": "abc1234",
            "DATABASE_URL": "sqlite:///:memory:",
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    events = [item for envelope in envelopes for item in envelope if "exception" in item]
    by_type = {event["exception"]["values"][-1]["type"]: event for event in events}
    assert sorted(by_type) == ["RuntimeError", "ValueError"]
    task_event, request_event = by_type["RuntimeError"], by_type["ValueError"]
    assert task_event["exception"]["values"][-1]["value"] == "task broke for sentry"
    assert task_event["tags"]["where"] == f"{MODULE}.fails_on_purpose"
    assert request_event["exception"]["values"][-1]["value"] == "view broke"
    assert {event["environment"] for event in events} == {"development"}
    assert {event["release"] for event in events} == {"abc1234"}
    assert "user" not in request_event or "email" not in request_event["user"]
    assert "Cookie" not in json.dumps(request_event.get("request", {}).get("headers", {}))
    assert request_event["tags"]["request_id"] == "req-sentry-4"
    assert "alice@example.org" not in json.dumps(events)
