"""Scale-out: two workers on one queue drain it together and never run a task twice.

django-tasks-db claims a task inside a transaction (`SELECT ... FOR UPDATE SKIP LOCKED` on
PostgreSQL, `BEGIN EXCLUSIVE` on SQLite) and marks it RUNNING before it commits, so a second
worker skips it. Two real `task_worker` processes drain 200 queued tasks; each task writes one
row naming itself and its worker.
"""

import time
from collections import Counter

import pytest
from django.tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from tapestry.core.models import AuditEvent
from tests.faults.task_processes import WAIT_SECONDS, SharedDatabase, shared_database
from tests.faults.worker_tasks import run_recorded

__all__ = ["shared_database"]

TASKS = 200


def _runs() -> list[dict[str, str]]:
    return list(AuditEvent.objects.filter(action="faults.task_ran").values_list("data", flat=True))


@pytest.mark.django_db(transaction=True)
def test_two_workers_on_one_queue_run_every_task_exactly_once(
    shared_database: SharedDatabase,
) -> None:
    # Given 200 queued tasks, the first of which will hold its worker at a checkpoint
    queued = {run_recorded.enqueue(number=number).id for number in range(TASKS)}
    worker_args = ("task_worker", "--batch", "--no-startup-delay", "--interval", "0.05")

    # When two workers start on the queue at once
    workers = [
        shared_database.start(*worker_args, log_name=f"worker-{index}") for index in range(2)
    ]
    holder_checkpoint = "first-task"
    shared_database.wait_for_checkpoint(holder_checkpoint, *workers)
    # While one worker holds task 0, the other runs every other task by itself.
    deadline = time.monotonic() + WAIT_SECONDS
    while len(_runs()) < TASKS - 1:
        assert time.monotonic() < deadline, [shared_database.log(f"worker-{i}") for i in (0, 1)]
        time.sleep(0.1)
    (shared_database.checkpoints / f"{holder_checkpoint}.release").touch()
    exit_codes = [worker.wait(timeout=WAIT_SECONDS) for worker in workers]

    # Then every task ran exactly once, each by one worker, and both workers took part
    runs = _runs()
    assert exit_codes == [0, 0]
    assert sorted(run["task"] for run in runs) == sorted(queued)
    assert len(runs) == TASKS
    results = DBTaskResult.objects.filter(id__in=queued)
    assert {result.status for result in results} == {TaskResultStatus.SUCCESSFUL}
    assert {len(result.worker_ids) for result in results} == {1}
    per_worker = Counter(run["worker"] for run in runs)
    assert len(per_worker) == 2
    assert sorted(per_worker.values()) == [1, TASKS - 1]
