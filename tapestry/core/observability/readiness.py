"""Readiness: whether this process should be sent traffic. Core checks the database, the cache
and the worker's heartbeat; domain apps register their own (research: the current release)."""

import logging
import uuid
from collections.abc import Callable
from typing import Literal, TypedDict

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

logger = logging.getLogger(__name__)


class CheckResult(TypedDict):
    status: Literal["ok", "error"]
    detail: str


ReadinessCheck = Callable[[], CheckResult]
_checks: dict[str, ReadinessCheck] = {}


def readiness_check_register(name: str, check: ReadinessCheck) -> None:
    """Add (or replace) a named check. It must be cheap (it runs every few seconds), answer
    `{"status": "ok" | "error", "detail": ...}` and put no personal data in the detail."""
    _checks[name] = check


def ok(detail: str) -> CheckResult:
    return {"status": "ok", "detail": detail}


def error(detail: str) -> CheckResult:
    return {"status": "error", "detail": detail}


def database_check() -> CheckResult:
    from tapestry.core.api import database_status

    status = database_status()
    if status["status"] == "ok":
        return ok(f"{status['vendor']} answers")
    return error(f"{status['vendor']} does not answer")


def cache_check() -> CheckResult:
    # A value of our own, so a stale key left by another process cannot pass for an answer.
    key, value = "tapestry:readyz", uuid.uuid4().hex
    cache.set(key, value, timeout=30)
    if cache.get(key) != value:
        return error("the cache did not return what was stored")
    return ok("the cache stores and returns a value")


def worker_check() -> CheckResult:
    from tapestry.core.models import WorkerHeartbeat

    heartbeat = WorkerHeartbeat.objects.filter(name="worker").first()
    if heartbeat is None:
        return error("no heartbeat from the worker yet")
    age = (timezone.now() - heartbeat.last_seen).total_seconds()
    limit = settings.WORKER_HEARTBEAT_STALE_SECONDS
    if age > limit:
        return error(f"last heartbeat {age:.0f} s ago (more than {limit} s)")
    return ok(f"last heartbeat {age:.0f} s ago")


def readiness_report() -> tuple[bool, dict[str, CheckResult]]:
    """Every check's result, database first; ready when all are ok."""
    results: dict[str, CheckResult] = {}
    checks: dict[str, ReadinessCheck] = {
        "database": database_check,
        "cache": cache_check,
        "worker": worker_check,
        **_checks,
    }
    for name, check in checks.items():
        if name not in {"database", "cache"} and results["database"]["status"] != "ok":
            results[name] = error("not checked: the database does not answer")
            continue
        try:
            results[name] = check()
        # A probe must answer whatever breaks (a Redis connection refused, a disk unmounted):
        # any exception is "not ready", logged here, and never a 500.
        except Exception as exception:
            logger.warning("Readiness check %s failed: %r", name, exception)
            results[name] = error(f"check failed: {type(exception).__name__}")
    return all(result["status"] == "ok" for result in results.values()), results
