"""Fixtures the core tests share."""

import pytest
from django.tasks import task_backends
from django_tasks_db import DatabaseBackend
from pytest_django.fixtures import Settings


@pytest.fixture
def database_task_backend(settings: Settings) -> None:
    """Tasks queued in the database, for a real worker (`db_worker`, `task_worker`) to run."""
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }
    # Changing TASKS resets Django's backend handler; check rather than trust it.
    assert type(task_backends["default"]) is DatabaseBackend
