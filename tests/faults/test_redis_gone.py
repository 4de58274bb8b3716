"""Redis gone: the site keeps serving, and rate limits fall back to each process's memory.

With the cache in Redis (TAPESTRY_CACHE_URL), the cache is tapestry.core.resilience's
TolerantRedisCache. These tests point it at a port nothing listens on, and at a redis-server of
their own that is killed mid-test and started again: pages still answer 200, sign-in and API
throttling still refuse past their limits (counted in this process's memory meanwhile), and
once Redis answers again the cache is in Redis again.
"""

import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from django.core.cache import cache, caches
from django.test import Client
from pytest_django.fixtures import Settings

from tapestry.accounts.tests.factories import PASSWORD, UserFactory
from tapestry.core.resilience import TolerantRedisCache
from tests.faults.conftest import free_port, require_program, stop, wait_for_port

pytestmark = pytest.mark.django_db

TOO_MANY_SIGN_INS = "Too many failed login attempts. Try again later."
# The sign-in limit per account from one address (ACCOUNT_RATE_LIMITS "5/5m/key").
SIGN_IN_FAILURES_ALLOWED = 5
PAGES = ["/", "/network/", "/learning/", "/api/v1/network/regions"]


def _redis_cache(settings: Settings, port: int) -> None:
    # Redis is asked again at once after a failure, so the test need not wait to see it
    # come back (production waits TAPESTRY_CACHE_RECHECK_SECONDS).
    settings.CACHES = {
        "default": {
            "BACKEND": "tapestry.core.resilience.TolerantRedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/7",
            "OPTIONS": {"RECHECK_SECONDS": 0},
        }
    }


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator["RedisServer"]:
    server = RedisServer(require_program("redis-server"), free_port(), tmp_path)
    server.start()
    yield server
    server.kill()


class RedisServer:
    """A redis-server of the test's own, on a free port, that keeps nothing on disk."""

    def __init__(self, program: str, port: int, folder: Path) -> None:
        self.program, self.port, self.folder = program, port, folder
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                *(self.program, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""),
                *("--appendonly", "no", "--dir", str(self.folder)),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port, self.process)

    def kill(self) -> None:
        """Gone at once, as when the machine or the process dies (SIGKILL, no goodbye)."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()
        if self.process is not None:
            stop(self.process)

    def client(self) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port, db=7)


def _backend() -> TolerantRedisCache:
    backend = caches["default"]
    assert isinstance(backend, TolerantRedisCache)
    return backend


def _sign_in(client: Client, email: str, password: str) -> list[str]:
    response = client.post("/accounts/login/", {"login": email, "password": password})
    if response.status_code == 302:
        return ["signed in"]
    return list(response.context["form"].non_field_errors())


def _throttled_after_the_limit(email: str) -> list[str]:
    """Failed sign-ins up to the limit, then the right password: what the person is told."""
    client = Client(REMOTE_ADDR="198.51.100.23")
    for _attempt in range(SIGN_IN_FAILURES_ALLOWED):
        _sign_in(client, email, "not-the-password")
    return _sign_in(client, email, PASSWORD)


def test_with_redis_unreachable_pages_answer_and_limits_still_refuse(
    settings: Settings,
) -> None:
    # Given the cache in a Redis nothing answers for (a port nobody listens on)
    _redis_cache(settings, free_port())
    settings.API_THROTTLE_ANONYMOUS = "3/m"
    person = UserFactory.create(email="casey@example.org")
    visitor = Client()

    # When people visit, sign in wrongly, and call the API
    pages = {path: visitor.get(path).status_code for path in PAGES if "/api/" not in path}
    api_client = Client(REMOTE_ADDR="192.0.2.10")
    api = [api_client.get("/api/v1/network/regions").status_code for _ in range(4)]
    refused = _throttled_after_the_limit(person.email)

    # Then pages answer, and the limits hold within this process
    assert pages == {"/": 200, "/network/": 200, "/learning/": 200}
    assert api == [200, 200, 200, 429]
    assert refused == [TOO_MANY_SIGN_INS]
    assert _sign_in(Client(REMOTE_ADDR="198.51.100.99"), person.email, PASSWORD) == ["signed in"]
    assert _backend().redis_available is False


def test_redis_killed_mid_way_then_back_the_cache_returns_to_it(
    settings: Settings, redis_server: RedisServer
) -> None:
    # Given the site using a live Redis: a failed sign-in is counted there
    _redis_cache(settings, redis_server.port)
    first, second = UserFactory.create_batch(2)
    assert _sign_in(Client(REMOTE_ADDR="198.51.100.23"), first.email, "wrong") != ["signed in"]
    assert any(b"login_failed" in key for key in redis_server.client().keys("*"))

    # When Redis dies
    redis_server.kill()

    # Then pages still answer and sign-in throttling still refuses past the limit
    assert {path: Client().get(path).status_code for path in PAGES} == dict.fromkeys(PAGES, 200)
    assert _throttled_after_the_limit(second.email) == [TOO_MANY_SIGN_INS]
    assert cache.get("fault-probe", "missing") == "missing"
    cache.set("fault-probe", "in memory")
    assert cache.get("fault-probe") == "in memory"

    # When Redis comes back (empty: it kept nothing on disk)
    redis_server.start()
    cache.set("fault-probe", "in redis")

    # Then the cache is in Redis again, and the counts kept in memory are gone with the outage
    assert redis_server.client().get(cache.make_key("fault-probe")) is not None
    assert cache.get("fault-probe") == "in redis"
    assert _backend().redis_available is True
