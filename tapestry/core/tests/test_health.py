import datetime
from collections.abc import Iterator
from pathlib import Path

import pytest
import time_machine
from django.apps import apps
from django.db import connection
from django.test import Client
from django.utils import timezone
from pytest_django.fixtures import Settings

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


# Readiness: /readyz --------------------------------------------------------------------------

NOW = datetime.datetime(2026, 11, 30, 12, 0, tzinfo=datetime.UTC)


@pytest.fixture
def frozen_time() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def _current_release(warehouse: Path) -> None:
    # Research's model through the app registry: core's tests may not import a domain app.
    apps.get_model("research", "Release").objects.create(
        version="R2026-11",
        status="ready",
        source_path="generated",
        warehouse_path=str(warehouse),
        finished_at=NOW,
        seconds=3.5,
    )


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    path = tmp_path / "warehouse.duckdb"
    path.write_bytes(b"a warehouse")
    return path


@pytest.fixture
def all_ready(frozen_time: None, warehouse: Path) -> None:
    WorkerHeartbeatFactory.create(last_seen=NOW - datetime.timedelta(seconds=30))
    _current_release(warehouse)


def test_readyz_is_200_when_the_database_cache_worker_and_release_are_ready(
    all_ready: None, visitor: Client
) -> None:
    response = visitor.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {
            "database": {"status": "ok", "detail": f"{connection.vendor} answers"},
            "cache": {"status": "ok", "detail": "the cache stores and returns a value"},
            "worker": {"status": "ok", "detail": "last heartbeat 30 s ago"},
            "release": {"status": "ok", "detail": "release R2026-11"},
        },
    }


def test_readyz_is_503_before_the_worker_has_ever_checked_in(
    frozen_time: None, warehouse: Path, visitor: Client
) -> None:
    _current_release(warehouse)

    response = visitor.get("/readyz")

    assert response.status_code == 503
    assert response.json()["status"] == "error"
    assert response.json()["checks"]["worker"] == {
        "status": "error",
        "detail": "no heartbeat from the worker yet",
    }
    assert response.json()["checks"]["release"]["status"] == "ok"


def test_readyz_is_503_when_the_worker_heartbeat_is_stale(
    frozen_time: None, warehouse: Path, visitor: Client
) -> None:
    _current_release(warehouse)
    WorkerHeartbeatFactory.create(last_seen=NOW - datetime.timedelta(seconds=181))

    response = visitor.get("/readyz")

    assert response.status_code == 503
    assert response.json()["checks"]["worker"] == {
        "status": "error",
        "detail": "last heartbeat 181 s ago (more than 180 s)",
    }


def test_readyz_is_503_without_a_ready_research_release(frozen_time: None, visitor: Client) -> None:
    WorkerHeartbeatFactory.create(last_seen=NOW)
    apps.get_model("research", "Release").objects.create(
        version="R2026-12", status="building", source_path="generated"
    )

    response = visitor.get("/readyz")

    assert response.status_code == 503
    assert response.json()["checks"]["release"] == {
        "status": "error",
        "detail": "no ready research release",
    }


def test_readyz_is_503_when_the_current_release_lost_its_warehouse_file(
    all_ready: None, warehouse: Path, visitor: Client
) -> None:
    warehouse.unlink()

    response = visitor.get("/readyz")

    assert response.status_code == 503
    assert response.json()["checks"]["release"] == {
        "status": "error",
        "detail": "release R2026-11: the warehouse file is missing",
    }
    assert str(warehouse) not in response.content.decode()


def test_readyz_checks_a_real_redis_cache(
    all_ready: None, settings: Settings, visitor: Client
) -> None:
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/5",
        }
    }

    response = visitor.get("/readyz")

    assert response.status_code == 200
    assert response.json()["checks"]["cache"] == {
        "status": "ok",
        "detail": "the cache stores and returns a value",
    }


def test_readyz_is_503_when_the_redis_cache_does_not_answer(
    all_ready: None, settings: Settings, visitor: Client
) -> None:
    # Nothing listens on port 1: the connection is refused, as when Redis is down.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/5",
        }
    }

    response = visitor.get("/readyz")

    assert response.status_code == 503
    assert response.json()["checks"]["cache"] == {
        "status": "error",
        "detail": "check failed: ConnectionError",
    }
    assert response.json()["checks"]["database"]["status"] == "ok"


def test_readyz_is_never_cached_and_refuses_a_post(all_ready: None, visitor: Client) -> None:
    response = visitor.get("/readyz")

    assert "no-cache" in response["Cache-Control"]
    assert visitor.post("/readyz").status_code == 405
