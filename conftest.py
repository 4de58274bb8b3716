"""Test-wide setup. The environment is set before Django reads its settings."""

import os

import pytest

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
