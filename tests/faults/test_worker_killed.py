"""Faults: the process running a long job is killed (SIGKILL) in the middle of it (ADR 0031).

Each test starts the real process (`task_worker` for the queued jobs, the operator's command
for a release build and an archive import) on a database it shares with the test, waits until
the job stands at a named checkpoint mid-way (core.task_recovery.checkpoint, active only in
these tests), kills it, checks that nothing half-written is visible, and then lets recovery
and a new process settle it: the job runs again to the end, once, or is marked failed with its
reason.
"""

import datetime
import re
import socket
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from pytest_django.fixtures import Settings

from tapestry.accounts.api import Role
from tapestry.accounts.tests.factories import UserFactory
from tapestry.core.models import WorkerHeartbeat
from tapestry.core.task_recovery import (
    HEARTBEAT_PREFIX,
    process_heartbeat,
    process_id_make,
    task_recovery_run,
)
from tapestry.core.tasks import deliver_email
from tapestry.engagement.models import Registration
from tapestry.engagement.tasks import event_reminders_task
from tapestry.engagement.tests.factories import EventFactory, RegistrationFactory
from tapestry.learning.models import Completion, Course
from tapestry.learning.tests.test_archive import _counts, _export, _records, _snapshot, _wipe
from tapestry.research.models import Dataset, Domain, Release
from tapestry.research.selectors import release_current
from tapestry.research.tests.factories import ConceptSummaryFactory, ReleaseFactory
from tapestry.research.tests.test_datasets import (
    DIABETES,
    RELEASE,
    SYSTOLIC,
    SavedCohortFactory,
    WorkspaceFactory,
    built,
    create,
    registered,
)
from tapestry.research.warehouse.cohort import engines_close
from tapestry.research.warehouse.generate import generate
from tests.faults.task_processes import SharedDatabase, kill, shared_database

__all__ = ["built", "shared_database"]

pytestmark = pytest.mark.django_db(transaction=True)

WORKER = ("task_worker", "--no-startup-delay", "--interval", "0.05")
WORKER_UNTIL_EMPTY = (*WORKER, "--batch")


def _mail_recipients(folder: Path) -> Counter[str]:
    """Who got a message, and how many, from the file email backend's folder."""
    if not folder.exists():
        return Counter()
    return Counter(
        address
        for path in folder.iterdir()
        for address in re.findall(r"^To: (.+)$", path.read_text(), flags=re.MULTILINE)
    )


def _reminded() -> set[str]:
    return set(
        Registration.objects.filter(reminded_at__isnull=False).values_list("email", flat=True)
    )


def _queued_emails() -> list[list[str]]:
    return [
        row.args_kwargs["kwargs"]["to"]
        for row in DBTaskResult.objects.filter(task_path=deliver_email.module_path)
    ]


def test_an_email_batch_killed_between_events_is_finished_by_the_next_worker_once_each(
    shared_database: SharedDatabase,
) -> None:
    # Given two events tomorrow with three seated people each, and the reminder batch queued
    soon = timezone.now() + datetime.timedelta(hours=3)
    people = {}
    for name in ("first", "second"):
        event = EventFactory.create(starts_at=soon, title=f"The {name} workshop")
        people[name] = {
            RegistrationFactory.create(event=event, email=f"{name}{number}@example.net").email
            for number in range(3)
        }
    everyone = people["first"] | people["second"]
    batch = event_reminders_task.enqueue()

    # When the worker is killed once the batch has finished one event
    worker = shared_database.start(*WORKER, log_name="worker")
    shared_database.wait_for_checkpoint("email-batch", worker)
    kill(worker)

    # Then what is visible is whole: one event's people marked reminded, with exactly their
    # three messages queued (marks and messages commit together), the other event untouched
    done = _reminded()
    assert done in (people["first"], people["second"])
    assert sorted(to for (to,) in _queued_emails()) == sorted(done)
    assert _mail_recipients(shared_database.folder / "mail") == Counter()
    assert DBTaskResult.objects.get(id=batch.id).status == TaskResultStatus.RUNNING

    # When a new worker starts (recovering first) and runs the queue dry
    (shared_database.checkpoints / "email-batch.release").touch()
    assert shared_database.run(*WORKER_UNTIL_EMPTY, log_name="worker-2") == 0

    # Then the batch ran again to the end and every person got exactly one reminder
    batch_row = DBTaskResult.objects.get(id=batch.id)
    assert batch_row.status == TaskResultStatus.SUCCESSFUL
    assert len(batch_row.worker_ids) == 2
    assert batch_row.return_value == 3  # the second run sent only the other event's three
    assert _reminded() == everyone
    assert _mail_recipients(shared_database.folder / "mail") == Counter(dict.fromkeys(everyone, 1))


def test_an_email_whose_worker_died_while_sending_is_marked_failed_not_sent_twice(
    shared_database: SharedDatabase,
) -> None:
    # Given a worker that had claimed a message when it was killed (the message may or may not
    # have left): a real worker, killed, and the claim it makes written in its name
    worker = shared_database.start(*WORKER, log_name="worker")
    worker_id = shared_database.wait_for_heartbeat(worker)
    kill(worker)
    message = deliver_email.enqueue(to=["alice@example.org"], subject="Hello", body="Hi")
    row = DBTaskResult.objects.get(id=message.id)
    row.claim(worker_id)

    # When recovery runs
    outcome = task_recovery_run()

    # Then the message is FAILED with the reason, and never sent again
    row.refresh_from_db()
    assert outcome.failed == [str(row.id)]
    assert row.status == TaskResultStatus.FAILED
    assert row.exception_class_path == "tapestry.core.task_recovery.WorkerLost"
    assert row.traceback.strip().endswith("WorkerLost: the worker stopped while running it")
    assert shared_database.run(*WORKER_UNTIL_EMPTY, log_name="worker-2") == 0
    assert _mail_recipients(shared_database.folder / "mail") == Counter()


def test_a_dataset_export_killed_mid_write_leaves_no_file_and_is_built_again(
    shared_database: SharedDatabase,
    settings: Settings,
    built: tuple[Path, Path],
    tmp_path: Path,
) -> None:
    # Given a queued dataset of a ready release
    settings.RESEARCH_DATA_DIR = tmp_path / "research"
    shared_database.env["TAPESTRY_RESEARCH_DATA_DIR"] = str(settings.RESEARCH_DATA_DIR)
    release = ReleaseFactory.create(
        version=RELEASE, warehouse_path=str(built[1] / "warehouse.duckdb")
    )
    ConceptSummaryFactory.create(release=release, concept_id=DIABETES, domain=Domain.CONDITION)
    ConceptSummaryFactory.create(release=release, concept_id=SYSTOLIC, measurement=True)
    alice = registered(UserFactory.create(two_factor=True, roles=[Role.RESEARCHER]))
    workspace = WorkspaceFactory.create(owner=alice)
    try:
        dataset = create(
            alice, workspace, SavedCohortFactory.create(workspace=workspace), fmt="csv"
        )
    finally:
        engines_close()
    folder = settings.RESEARCH_DATA_DIR / "workspaces" / str(workspace.public_id)

    # When the worker is killed while the export's rows are being written
    worker = shared_database.start(*WORKER, log_name="worker")
    shared_database.wait_for_checkpoint("dataset-export", worker)
    kill(worker)

    # Then the dataset shows as being built, with no file to download, and only temporary
    # names on disk
    dataset.refresh_from_db()
    assert (dataset.status, dataset.file_path) == (Dataset.Status.BUILDING, "")
    assert [path.name for path in folder.iterdir() if not path.name.startswith(".")] == []

    # When a new worker starts (recovering first) and runs the queue dry
    (shared_database.checkpoints / "dataset-export.release").touch()
    assert shared_database.run(*WORKER_UNTIL_EMPTY, log_name="worker-2") == 0

    # Then the dataset was built to the end once: one file, READY, temporary names cleared
    dataset.refresh_from_db()
    assert (dataset.status, dataset.progress, dataset.error) == (Dataset.Status.READY, 100, "")
    assert [path.name for path in folder.iterdir()] == [Path(dataset.file_path).name]
    result = DBTaskResult.objects.get(task_path="tapestry.research.tasks.dataset_build_task")
    assert (result.status, len(result.worker_ids)) == (TaskResultStatus.SUCCESSFUL, 2)


def test_a_release_build_killed_while_publishing_stays_unpublished_is_failed_then_rebuilt(
    shared_database: SharedDatabase, tmp_path: Path
) -> None:
    # Given generated data
    source = tmp_path / "generated"
    generate(source, participants=200, seed=3)
    build = ("research_release", "--source", str(source), "--name", "R-fault")

    # When the build is killed while it stores the release's summaries
    builder = shared_database.start(*build, log_name="release")
    shared_database.wait_for_checkpoint("release-publish", builder)
    kill(builder)

    # Then the release is still being built, is not served, and has no summaries
    release = Release.objects.get(version="R-fault")
    assert release.status == Release.Status.BUILDING
    assert release_current() is None
    assert (release.domains.count(), release.concepts.count(), release.categories.count()) == (
        0,
        0,
        0,
    )

    # When recovery runs
    outcome = task_recovery_run()

    # Then it is marked failed with the reason
    release.refresh_from_db()
    assert outcome.other["research-releases"] == 1
    assert release.status == Release.Status.FAILED
    assert release.error == (
        "The build stopped before it finished: its process ended. Build it again."
    )

    # When the operator builds it again
    (shared_database.checkpoints / "release-publish.release").touch()
    assert shared_database.run(*build, log_name="release-2") == 0

    # Then it is ready and served, with its summaries
    release.refresh_from_db()
    assert (release.status, release.error) == (Release.Status.READY, "")
    assert release_current() == release
    assert release.participants > 0
    assert release.domains.count() > 0


def test_an_archive_import_killed_mid_way_leaves_nothing_and_runs_again_to_the_end(
    shared_database: SharedDatabase, settings: Settings, tmp_path: Path
) -> None:
    # Given an archive of a platform with training records, and a platform without them
    settings.MEDIA_ROOT = tmp_path / "media"
    shared_database.env["TAPESTRY_MEDIA_ROOT"] = str(settings.MEDIA_ROOT)
    alice = UserFactory.create(email="alice@example.org", roles=[Role.LIAISON])
    rosa = UserFactory.create(email="rosa@example.org", roles=[Role.COMMUNITY_PARTNER])
    admin = UserFactory.create(email="adam@example.org", roles=[Role.ADMINISTRATOR])
    _records(alice, rosa, admin)
    before = _snapshot()
    archive = tmp_path / "archive.zip"
    archive.write_bytes(_export())
    _wipe(keep=admin)
    empty = _counts()

    # When the import is killed after courses and people are written, before completions
    importer = shared_database.start("learning_import", str(archive), log_name="import")
    shared_database.wait_for_checkpoint("archive-import", importer)
    kill(importer)

    # Then nothing of it is visible
    assert _counts() == empty
    assert Course.objects.count() == Completion.objects.count() == 0
    assert get_user_model().objects.count() == 1

    # When it is run again
    (shared_database.checkpoints / "archive-import.release").touch()
    assert shared_database.run("learning_import", str(archive), log_name="import-2") == 0

    # Then everything arrived, once, with the import's own audit entry
    after = _snapshot()
    imported_entries = [entry for entry in after["audit"] if entry[0] == "archive_imported"]
    assert len(imported_entries) == 1
    assert {**after, "audit": sorted(set(after["audit"]) - set(imported_entries))} == before


def _dead_process_id() -> str:
    """The id a process on this machine had: it ran, wrote its heartbeat, and ended."""
    ended = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    process_id = f"{socket.gethostname()[:20]}:{ended.stdout.strip()}:ended000"
    WorkerHeartbeat.objects.create(name=HEARTBEAT_PREFIX + process_id, last_seen=timezone.now())
    return process_id


def test_a_task_whose_worker_died_on_every_try_is_failed_not_run_a_fourth_time(
    shared_database: SharedDatabase, settings: Settings
) -> None:
    # Given a re-runnable batch that was started three times, each by a worker that died
    settings.TASK_RECOVERY_MAX_ATTEMPTS = 3
    batch = event_reminders_task.enqueue()
    row = DBTaskResult.objects.get(id=batch.id)
    for _attempt in range(3):
        row.claim(_dead_process_id())

    # When recovery runs
    outcome = task_recovery_run()

    # Then it is failed with the reason rather than queued a fourth time
    row.refresh_from_db()
    assert (outcome.rerun, outcome.failed) == ([], [str(row.id)])
    assert row.status == TaskResultStatus.FAILED
    assert row.traceback.strip().endswith("WorkerLost: the worker stopped while running it")


def test_a_live_workers_task_is_left_alone_and_one_without_heartbeat_waits_for_the_lease(
    shared_database: SharedDatabase, settings: Settings
) -> None:
    # Given one task held by this (live) process and one by a worker that keeps no heartbeat
    settings.TASK_RECOVERY_LEASE_SECONDS = 3600
    live_id = process_id_make()
    held = DBTaskResult.objects.get(id=event_reminders_task.enqueue().id)
    unknown = DBTaskResult.objects.get(id=event_reminders_task.enqueue().id)
    with process_heartbeat(process_id=live_id):
        held.claim(live_id)
        unknown.claim("elsewhere:123:plainworker")
        started = unknown.started_at
        assert started is not None
        within_lease = started + datetime.timedelta(seconds=3599)
        past_lease = started + datetime.timedelta(seconds=3601)

        # When recovery runs within the lease, and again after it
        early = task_recovery_run(now=within_lease)
        late = task_recovery_run(now=past_lease)

    # Then the live worker's task is never touched; the other is queued again after the lease
    assert (early.rerun, early.failed) == ([], [])
    assert (late.rerun, late.failed) == ([str(unknown.id)], [])
    held.refresh_from_db()
    unknown.refresh_from_db()
    assert held.status == TaskResultStatus.RUNNING
    assert (unknown.status, unknown.started_at) == (TaskResultStatus.READY, None)
