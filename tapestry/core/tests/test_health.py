import datetime

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from tapestry.core.tests.factories import WorkerHeartbeatFactory

pytestmark = pytest.mark.django_db


def test_healthz_reports_the_database_and_an_unknown_worker_before_any_heartbeat(
    visitor: Client,
) -> None:
    response = visitor.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": {"status": "ok", "vendor": connection.vendor},
        "worker": {"status": "unknown", "last_seen": None},
    }


def test_healthz_reports_the_worker_ok_after_a_recent_heartbeat(visitor: Client) -> None:
    seen = timezone.now() - datetime.timedelta(seconds=30)
    WorkerHeartbeatFactory.create(last_seen=seen)

    response = visitor.get("/healthz")

    assert response.status_code == 200
    assert response.json()["worker"] == {"status": "ok", "last_seen": seen.isoformat()}


def test_healthz_reports_the_worker_stale_after_three_silent_minutes(visitor: Client) -> None:
    seen = timezone.now() - datetime.timedelta(seconds=181)
    WorkerHeartbeatFactory.create(last_seen=seen)

    response = visitor.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": {"status": "ok", "vendor": connection.vendor},
        "worker": {"status": "stale", "last_seen": seen.isoformat()},
    }


def test_healthz_is_never_cached(visitor: Client) -> None:
    response = visitor.get("/healthz")

    assert "no-cache" in response["Cache-Control"]
    assert "max-age=0" in response["Cache-Control"]


def test_healthz_refuses_a_post(visitor: Client) -> None:
    response = visitor.post("/healthz")

    assert response.status_code == 405
