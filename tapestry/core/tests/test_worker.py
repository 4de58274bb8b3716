"""The real database-backed worker, end to end. Other tests run tasks inline."""

import io

import pytest
from django.core.management import call_command
from django.tasks import TaskResultStatus
from django.test import Client

from tapestry.core.models import WorkerHeartbeat
from tapestry.core.tasks import worker_heartbeat


# The worker commits for real, so this test cannot run inside a rolled-back transaction;
# the flush afterwards empties every table, and conftest loads the reference data again.
@pytest.mark.django_db(transaction=True)
def test_the_database_worker_runs_a_queued_heartbeat(
    database_task_backend: None, visitor: Client
) -> None:
    result = worker_heartbeat.enqueue()
    assert result.status == TaskResultStatus.READY
    assert WorkerHeartbeat.objects.count() == 0
    assert visitor.get("/healthz").json()["worker"]["status"] == "unknown"

    call_command(
        "db_worker", "--batch", "--no-startup-delay", stdout=io.StringIO(), stderr=io.StringIO()
    )

    result.refresh()
    assert result.status == TaskResultStatus.SUCCESSFUL
    heartbeat = WorkerHeartbeat.objects.get()
    assert result.return_value == heartbeat.last_seen.isoformat()
    assert visitor.get("/healthz").json()["worker"] == {
        "status": "ok",
        "last_seen": heartbeat.last_seen.isoformat(),
    }
