"""Background work whose process died, found and settled (ADR 0031).

django-tasks-db claims a task by setting it RUNNING inside a locked transaction and records the
worker's id, but it keeps no sign of life: a worker killed with SIGKILL (or a machine lost)
leaves its task RUNNING for ever. Here every long-running process of ours (the `task_worker`
command, a release build) writes a heartbeat row named after its process id
(`host:pid:token`) while it runs. Recovery, run when a worker starts and by the scheduler, then
settles each RUNNING task whose worker is gone: a task listed in TASK_RECOVERY_RERUN (one whose
work is idempotent) goes back to READY to run again, any other is marked FAILED with the reason
"the worker stopped while running it". Apps add their own checks for work outside the queue
(`stale_work_register`), filled from their AppConfig.ready().
"""

import datetime
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psutil
from django.conf import settings
from django.db import DatabaseError, connections, transaction
from django.tasks import TaskResultStatus
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.translation import gettext as _
from django_tasks_db.models import DBTaskResult

from tapestry.core.models import WorkerHeartbeat

logger = logging.getLogger(__name__)

# Heartbeat rows of processes are named "process:<host>:<pid>:<token>"; the row named "worker"
# is the heartbeat *task*'s (core.api.worker_status) and is left alone.
HEARTBEAT_PREFIX = "process:"
# WorkerHeartbeat.name holds 50 characters: the prefix (8), the host (at most 20), the pid (at
# most 7 on Linux), the token (8) and two colons.
_HOST_LENGTH = 20
# A finished process removes its row; one that died leaves it, deleted after this long.
_HEARTBEAT_KEEP = datetime.timedelta(days=1)

StaleWorkCheck = Callable[[], int]
_stale_work_checks: dict[str, StaleWorkCheck] = {}


class WorkerLost(Exception):
    """Recorded as a task's error when the process running it stopped before it finished."""


@dataclass(frozen=True)
class RecoveryOutcome:
    rerun: list[str]
    failed: list[str]
    other: dict[str, int]


def _this_host() -> str:
    return socket.gethostname()[:_HOST_LENGTH]


def process_id_make() -> str:
    """A name for this process that says where it runs: `host:pid:token`."""
    return f"{_this_host()}:{os.getpid()}:{get_random_string(8)}"


def _heartbeat_beat(process_id: str) -> None:
    WorkerHeartbeat.objects.update_or_create(
        name=HEARTBEAT_PREFIX + process_id, defaults={"last_seen": timezone.now()}
    )


@contextmanager
def process_heartbeat(*, process_id: str) -> Iterator[None]:
    """Keep this process's heartbeat row fresh while the block runs.

    A thread beats every TASK_HEARTBEAT_SECONDS on its own database connection, so a task that
    runs for an hour (or waits on a lock) still shows a live process; the row goes when the
    block ends, and stays behind, going stale, when the process is killed.
    """
    _heartbeat_beat(process_id)
    stop = threading.Event()

    def beat() -> None:
        try:
            while not stop.wait(settings.TASK_HEARTBEAT_SECONDS):
                try:
                    _heartbeat_beat(process_id)
                except DatabaseError as error:
                    # A locked SQLite file or a restarting server: the next beat tries again,
                    # and a few missed beats are well inside TASK_HEARTBEAT_STALE_SECONDS.
                    logger.warning("Heartbeat of %s not written: %s", process_id, error)
        finally:
            connections.close_all()

    thread = threading.Thread(target=beat, name=f"heartbeat {process_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        WorkerHeartbeat.objects.filter(name=HEARTBEAT_PREFIX + process_id).delete()


def process_alive(*, process_id: str, now: datetime.datetime | None = None) -> bool | None:
    """Whether the process named `process_id` is still running: None when it never wrote a
    heartbeat (a plain `db_worker`), so only a lease can tell."""
    now = now or timezone.now()
    heartbeat = WorkerHeartbeat.objects.filter(name=HEARTBEAT_PREFIX + process_id).first()
    if heartbeat is None:
        return None
    host, _colon, rest = process_id.partition(":")
    pid_text = rest.partition(":")[0]
    # On this machine the operating system knows, at once and even while a long SQLite write
    # holds back the heartbeat; elsewhere the heartbeat's age tells.
    if host == _this_host() and pid_text.isdigit():
        return bool(psutil.pid_exists(int(pid_text)))
    stale_after = datetime.timedelta(seconds=settings.TASK_HEARTBEAT_STALE_SECONDS)
    return now - heartbeat.last_seen <= stale_after


def _worker_gone(result: DBTaskResult, now: datetime.datetime) -> bool:
    worker_id = result.worker_ids[-1] if result.worker_ids else ""
    alive = process_alive(process_id=worker_id, now=now) if worker_id else None
    if alive is not None:
        return not alive
    # A worker started without heartbeats: only a lease can tell it from a long task.
    lease = datetime.timedelta(seconds=settings.TASK_RECOVERY_LEASE_SECONDS)
    return result.started_at is not None and now - result.started_at > lease


def tasks_orphaned_recover(*, now: datetime.datetime | None = None) -> RecoveryOutcome:
    """Settle every RUNNING task whose worker is gone: run it again (READY) when its task is
    in TASK_RECOVERY_RERUN and it has been tried fewer than TASK_RECOVERY_MAX_ATTEMPTS times,
    otherwise mark it FAILED with the reason. Returns the task ids of each."""
    now = now or timezone.now()
    rerun: list[str] = []
    failed: list[str] = []
    candidates = [
        result
        for result in DBTaskResult.objects.running().order_by("started_at")
        if _worker_gone(result, now)
    ]
    for candidate in candidates:
        with transaction.atomic():
            # The same claim test the worker uses: a row another recovery already settled (or
            # whose worker finished meanwhile) is no longer RUNNING with the same start.
            result = (
                DBTaskResult.objects.select_for_update(skip_locked=True)
                .filter(
                    pk=candidate.pk,
                    status=TaskResultStatus.RUNNING,
                    started_at=candidate.started_at,
                )
                .first()
            )
            if result is None:
                continue
            attempts = len(result.worker_ids)
            if (
                result.task_path in settings.TASK_RECOVERY_RERUN
                and attempts < settings.TASK_RECOVERY_MAX_ATTEMPTS
            ):
                result.status = TaskResultStatus.READY
                result.started_at = None
                result.save(update_fields=["status", "started_at"])
                logger.warning(
                    "Task %s (%s) lost its worker %s; queued to run again (attempt %d)",
                    result.pk,
                    result.task_path,
                    result.worker_ids[-1:],
                    attempts + 1,
                )
                rerun.append(str(result.pk))
            else:
                result.set_failed(WorkerLost(_("the worker stopped while running it")))
                logger.error(
                    "Task %s (%s) lost its worker %s after %d attempt(s); marked failed",
                    result.pk,
                    result.task_path,
                    result.worker_ids[-1:],
                    attempts,
                )
                failed.append(str(result.pk))
    return RecoveryOutcome(rerun=rerun, failed=failed, other={})


def stale_work_register(*, name: str, check: StaleWorkCheck) -> None:
    """Add an app's check for its own work whose process died (a release build); it returns
    how many it settled. Called from the app's AppConfig.ready()."""
    _stale_work_checks[name] = check


def task_recovery_run(*, now: datetime.datetime | None = None) -> RecoveryOutcome:
    """Recover the queue, run every app's stale-work check, and forget old heartbeats."""
    now = now or timezone.now()
    outcome = tasks_orphaned_recover(now=now)
    other = {name: check() for name, check in sorted(_stale_work_checks.items())}
    WorkerHeartbeat.objects.filter(
        name__startswith=HEARTBEAT_PREFIX, last_seen__lt=now - _HEARTBEAT_KEEP
    ).delete()
    return RecoveryOutcome(rerun=outcome.rerun, failed=outcome.failed, other=other)


def checkpoint(name: str) -> None:
    """A named point in a long job where the fault tests stop it (tests/faults/).

    Does nothing unless TASK_TEST_CHECKPOINT_DIR is set (only the fault tests set it, for the
    processes they start): then it writes `<name>.reached` there and waits until
    `<name>.release` appears, so a test can kill the process at exactly this point.
    """
    folder = settings.TASK_TEST_CHECKPOINT_DIR
    if not folder:
        return
    directory = Path(folder)
    (directory / f"{name}.reached").write_text(str(os.getpid()))
    while not (directory / f"{name}.release").exists():
        time.sleep(0.05)
