"""A database the test and the processes it starts share, and those processes (fault tests).

pytest-django's test database is in memory on SQLite, so a worker started as its own process
could not see what a test wrote. Tests using `shared_database` are marked
`django_db(transaction=True)` (pytest-django then builds the test database, and nothing wraps
the test in a transaction). `shared_
database` copies the migrated test database to a database of its own (a file with SQLite's
backup API; `CREATE DATABASE ... TEMPLATE` on PostgreSQL), points this process's connection at
it with autocommit, and hands the processes its URL; the copy is thrown away afterwards, so no
flush is needed and the other tests' database is left as it was.
"""

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.tasks import task_backends
from django_tasks_db import DatabaseBackend

from tests.operations.web_nodes import template_sessions_end
from tests.reference_data import reference_data_ensure

MANAGE = Path(settings.BASE_DIR) / "manage.py"
# Long enough for a loaded shared machine; a process that takes longer is a failure to see.
WAIT_SECONDS = 120


@dataclass
class SharedDatabase:
    url: str
    folder: Path
    env: dict[str, str] = field(default_factory=dict)

    def start(self, *args: str, log_name: str = "process") -> "subprocess.Popen[str]":
        """Start `manage.py <args>` on this database, its output in `<log_name>.log`."""
        log = (self.folder / f"{log_name}.log").open("a")
        return self.start_python(str(MANAGE), *args, output=log)

    def start_python(self, *args: str, output: Any = subprocess.PIPE) -> "subprocess.Popen[str]":
        """Start `python <args>` on this database, its output (and errors) to `output`."""
        return subprocess.Popen(
            [sys.executable, *args],
            env=self.env,
            stdout=output,
            stderr=subprocess.STDOUT,
            text=True,
            cwd=settings.BASE_DIR,
        )

    def run(self, *args: str, log_name: str = "process") -> int:
        """Run `manage.py <args>` to the end; its exit status."""
        return self.start(*args, log_name=log_name).wait(timeout=WAIT_SECONDS)

    def log(self, log_name: str) -> str:
        path = self.folder / f"{log_name}.log"
        return path.read_text() if path.exists() else ""

    @property
    def checkpoints(self) -> Path:
        return self.folder / "checkpoints"

    def wait_for_checkpoint(self, name: str, *processes: "subprocess.Popen[str]") -> None:
        """Wait until one of `processes` stands at the checkpoint `name` (core.task_recovery)."""
        reached = self.checkpoints / f"{name}.reached"
        deadline = time.monotonic() + WAIT_SECONDS
        while not reached.exists():
            ended = [process.args for process in processes if process.poll() is not None]
            assert not ended, f"{ended} ended before {name}"
            assert time.monotonic() < deadline, f"{name} was never reached"
            time.sleep(0.05)

    def wait_for_heartbeat(self, process: "subprocess.Popen[str]") -> str:
        """Wait until the `task_worker` process has written its heartbeat; its worker id."""
        from tapestry.core.models import WorkerHeartbeat
        from tapestry.core.task_recovery import HEARTBEAT_PREFIX

        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            name = (
                WorkerHeartbeat.objects.filter(name__contains=f":{process.pid}:")
                .values_list("name", flat=True)
                .first()
            )
            if name:
                return name.removeprefix(HEARTBEAT_PREFIX)
            assert process.poll() is None, "the worker ended before its heartbeat"
            assert time.monotonic() < deadline, "the worker wrote no heartbeat"
            time.sleep(0.05)


def kill(process: "subprocess.Popen[str]") -> None:
    """SIGKILL: no handler, no `finally`, no atexit runs in the process."""
    process.send_signal(signal.SIGKILL)
    assert process.wait(timeout=WAIT_SECONDS) == -signal.SIGKILL


def _copy_sqlite(target: Path) -> None:
    import sqlite3

    connection.ensure_connection()
    source = connection.connection
    with sqlite3.connect(target) as copy:
        source.backup(copy)
    copy.close()


def _admin_sql(sql: str) -> None:
    with connection._nodb_cursor() as cursor:  # the server's maintenance database
        cursor.execute(sql)


@pytest.fixture
def shared_database(
    django_db_setup: None,
    django_db_blocker: Any,
    tmp_path: Path,
    settings: Any,
) -> Iterator[SharedDatabase]:
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }
    # Changing TASKS resets Django's backend handler; check rather than trust it.
    assert type(task_backends["default"]) is DatabaseBackend
    checkpoints = tmp_path / "checkpoints"
    checkpoints.mkdir()
    original = dict(connection.settings_dict)
    # Django never closes an in-memory SQLite connection (closing it would drop the database):
    # set it aside while the copy is in use, and put it back afterwards.
    in_memory = None
    with django_db_blocker.unblock():
        if connection.vendor == "sqlite":
            copy_name = str(tmp_path / "shared.sqlite3")
            _copy_sqlite(Path(copy_name))
            url = f"sqlite:///{copy_name}"
            in_memory, connection.connection = connection.connection, None
        else:
            copy_name = f"tsk_faults_{uuid.uuid4().hex[:12]}"
            template = original["NAME"]
            connection.close()
            template_sessions_end(template)
            _admin_sql(f'CREATE DATABASE "{copy_name}" TEMPLATE "{template}"')
            url = f"postgres://{original['USER']}@{original['HOST']}:{original['PORT']}/{copy_name}"
        connection.close()
        connection.settings_dict["NAME"] = copy_name
        try:
            reference_data_ensure()
            env = {
                **os.environ,
                "DJANGO_SETTINGS_MODULE": "config.settings_test",
                "DATABASE_URL": url,
                "TAPESTRY_TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
                "TAPESTRY_TEST_CHECKPOINT_DIR": str(checkpoints),
                "TAPESTRY_EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
                "TAPESTRY_EMAIL_FILE_PATH": str(tmp_path / "mail"),
                "TAPESTRY_RESEARCH_DATA_DIR": str(settings.RESEARCH_DATA_DIR),
                "PYTHONUNBUFFERED": "1",
            }
            yield SharedDatabase(url=url, folder=tmp_path, env=env)
        finally:
            connection.close()
            connection.settings_dict.clear()
            connection.settings_dict.update(original)
            if in_memory is not None:
                connection.connection = in_memory
            if not copy_name.endswith(".sqlite3"):
                _admin_sql(f'DROP DATABASE IF EXISTS "{copy_name}" WITH (FORCE)')
