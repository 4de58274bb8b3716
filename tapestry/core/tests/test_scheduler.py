import datetime
from collections.abc import Iterator
from typing import Any

import pytest
from django.tasks.signals import task_enqueued
from django.utils import timezone
from pytest_django.fixtures import DjangoCaptureOnCommitCallbacks

from tapestry.core.models import ScheduledRun, WorkerHeartbeat
from tapestry.core.scheduler import scheduled_jobs_enqueue_due

pytestmark = pytest.mark.django_db

START = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def enqueued_tasks() -> Iterator[list[str]]:
    names: list[str] = []

    def record(sender: Any, task_result: Any, **kwargs: Any) -> None:
        names.append(task_result.task.name)

    task_enqueued.connect(record)
    yield names
    task_enqueued.disconnect(record)


def test_first_check_enqueues_every_job_once(
    enqueued_tasks: Any, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        names = scheduled_jobs_enqueue_due(now=START)

    assert names == [
        "worker-heartbeat",
        "network-review-reminders",
        "surveys-drafts-expire",
        "learning-daily",
        "research-access-changes",
        "engagement-event-reminders",
        "engagement-registrants-retention",
        "engagement-kit-overdue-reminders",
        "funding-report-reminders",
        "sharing-lenders-overdue",
        "sharing-deliveries-purge",
        "task-recovery",
    ]
    assert enqueued_tasks == [
        "worker_heartbeat",
        "review_reminders_send_task",
        "drafts_expire_task",
        "learning_daily_task",
        "access_changes_review_task",
        "event_reminders_task",
        "registrants_retention_task",
        "kit_overdue_reminders_task",
        "report_reminders_task",
        "lenders_overdue_task",
        "deliveries_purge_task",
        "task_recovery_task",
    ]
    assert dict(ScheduledRun.objects.values_list("job", "last_enqueued_at")) == {
        "worker-heartbeat": START,
        "network-review-reminders": START,
        "surveys-drafts-expire": START,
        "learning-daily": START,
        "research-access-changes": START,
        "engagement-event-reminders": START,
        "engagement-registrants-retention": START,
        "engagement-kit-overdue-reminders": START,
        "funding-report-reminders": START,
        "sharing-lenders-overdue": START,
        "sharing-deliveries-purge": START,
        "task-recovery": START,
    }


def test_a_job_is_not_enqueued_again_within_its_interval(
    enqueued_tasks: Any, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        scheduled_jobs_enqueue_due(now=START)
    enqueued_tasks.clear()

    with django_capture_on_commit_callbacks(execute=True):
        names = scheduled_jobs_enqueue_due(now=START + datetime.timedelta(seconds=59))

    assert names == []
    assert enqueued_tasks == []
    assert ScheduledRun.objects.get(job="worker-heartbeat").last_enqueued_at == START


def test_each_job_is_enqueued_again_once_its_interval_has_passed(
    enqueued_tasks: Any, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        scheduled_jobs_enqueue_due(now=START)
    enqueued_tasks.clear()
    a_minute_later = START + datetime.timedelta(seconds=60)

    with django_capture_on_commit_callbacks(execute=True):
        names = scheduled_jobs_enqueue_due(now=a_minute_later)

    assert names == ["worker-heartbeat", "task-recovery"]
    assert enqueued_tasks == ["worker_heartbeat", "task_recovery_task"]
    assert dict(ScheduledRun.objects.values_list("job", "last_enqueued_at")) == {
        "worker-heartbeat": a_minute_later,
        "network-review-reminders": START,
        "surveys-drafts-expire": START,
        "learning-daily": START,
        "research-access-changes": START,
        "engagement-event-reminders": START,
        "engagement-registrants-retention": START,
        "engagement-kit-overdue-reminders": START,
        "funding-report-reminders": START,
        "sharing-lenders-overdue": START,
        "sharing-deliveries-purge": START,
        "task-recovery": a_minute_later,
    }


def test_nothing_is_enqueued_if_the_transaction_does_not_commit(
    enqueued_tasks: Any, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        scheduled_jobs_enqueue_due(now=START)

    assert len(callbacks) == 12
    assert enqueued_tasks == []


def test_the_enqueued_heartbeat_runs_and_records_the_worker(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    before = timezone.now()

    with django_capture_on_commit_callbacks(execute=True):
        scheduled_jobs_enqueue_due(now=START)

    heartbeat = WorkerHeartbeat.objects.get()
    assert heartbeat.name == "worker"
    assert heartbeat.last_seen >= before
