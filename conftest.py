"""Test-wide setup. The environment is set before Django reads its settings."""

import os

import pytest
from hypothesis import settings as hypothesis_settings

from tests.reference_data import reference_data_ensure

# No time limit per example: on shared CI cores a slow example is load, not a bug (timing is
# measured by the benchmarks, never asserted in tests). Files set their own example counts.
hypothesis_settings.register_profile("tapestry", deadline=None)
hypothesis_settings.load_profile("tapestry")

# Real task code runs inline in tests; the database worker itself is tested on its own.
os.environ.setdefault("TAPESTRY_TASKS_BACKEND", "django.tasks.backends.immediate.ImmediateBackend")
os.environ.setdefault("TAPESTRY_FAST_PASSWORD_HASHER", "1")


def pytest_configure(config: pytest.Config) -> None:
    # pytest-django loads the settings before pytest imports this file, so the variables above
    # reach only the processes tests start (a live server, a worker). Apply the same choices
    # to this process too.
    from django.conf import settings
    from django.test.utils import override_settings

    override_settings(
        TASKS={
            alias: {**backend, "BACKEND": os.environ["TAPESTRY_TASKS_BACKEND"]}
            for alias, backend in settings.TASKS.items()
        },
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
    ).enable()


@pytest.fixture(autouse=True)
def _cache_cleared() -> None:
    """Each test starts with an empty cache (the directory caches its results)."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _reference_data_present(request: pytest.FixtureRequest) -> None:
    """A database test finds the reference data the migrations load, whatever ran before it.

    Transactional tests (the browser journeys, the migration and worker tests) flush every
    table when they end, and once Playwright has run in this thread `serialized_rollback`
    cannot restore the rows (Django's connection for the new context lacks the copy it
    serialized). So load them again where they are missing, inside the test's transaction for
    an ordinary test.
    """
    marker = request.node.get_closest_marker("django_db")
    fixtures = set(request.fixturenames)
    if not (marker or {"db", "transactional_db", "live_server"} & fixtures):
        return
    request.getfixturevalue("_django_db_helper")
    reference_data_ensure()
