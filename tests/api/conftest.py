"""What every API fuzz test here needs: the test's transaction kept across the WSGI app's
requests, and no throttle (their hypothesis settings: fuzzing.py)."""

from collections.abc import Iterator

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from pytest_django.fixtures import Settings


@pytest.fixture(autouse=True)
def _test_connection_kept() -> Iterator[None]:
    """Keep the test's transaction open across requests, as Django's test client does: the
    raw WSGI app would otherwise close the connection at the end of each request."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(autouse=True)
def _unthrottled(settings: Settings) -> None:
    """Thousands of requests in a minute must reach the endpoints, not a 429 (the throttle
    reads these settings on every request; its own tests are in accounts)."""
    settings.API_THROTTLE_ANONYMOUS = "1000000/s"
    settings.API_THROTTLE_TOKEN = "1000000/s"
