"""Real web nodes for the scale-out tests: gunicorn processes of the project on loopback, each
with its own environment (database URLs, cache, storage), and copies of the test database for
them to share.

The data a test makes goes into pytest-django's test database (committed: the tests use
`transactional_db`), and `database_copy` copies it for the nodes: PostgreSQL's `CREATE DATABASE
... TEMPLATE`, SQLite's backup API into a file. The nodes run `config.settings`, the production
settings module, with the test process's secret key.
"""

import os
import re
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
import requests
from django.db import connection, connections

ROOT = Path(__file__).resolve().parents[2]
# The most a node may take to answer its first /healthz (Django's start-up on a busy machine).
START_TIMEOUT_SECONDS = 60


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def postgres_url(name: str) -> str:
    """The URL of database `name` on the server the test database lives on."""
    settings = connection.settings_dict
    user = settings["USER"] or "postgres"
    password = f":{settings['PASSWORD']}" if settings["PASSWORD"] else ""
    host = settings["HOST"] or "127.0.0.1"
    port = settings["PORT"] or 5432
    return f"postgres://{user}{password}@{host}:{port}/{name}"


def postgres_run(
    statement: str, parameters: tuple[object, ...] = (), *, database: str = "postgres"
) -> list[tuple[object, ...]]:
    """One statement on the test server, outside any transaction (CREATE/DROP DATABASE)."""
    with psycopg.connect(postgres_url(database), autocommit=True) as maintenance:
        cursor = maintenance.execute(statement, parameters)  # type: ignore[arg-type]
        return cursor.fetchall() if cursor.description else []


def template_sessions_end(template: str) -> None:
    """End every other session on the database about to be copied: PostgreSQL copies a
    template no one else is connected to. In the full suite a thread of this process that
    outlives its test (the browser tests' live server) may still hold one."""
    postgres_run(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
        " WHERE datname = %s AND pid <> pg_backend_pid()",
        (template,),
    )


def database_copy(name: str, directory: Path) -> str:
    """Copy the test database, with what the test committed, to a new database; its URL."""
    if connection.vendor == "postgresql":
        template = connection.settings_dict["NAME"]
        # A template may have no other session: close this process's own.
        connections.close_all()
        postgres_run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        template_sessions_end(template)
        postgres_run(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return postgres_url(name)
    # The in-memory test database's name is a URI ("file:memorydb_default?mode=memory..."):
    # keep only what a file name and a database URL can carry.
    path = directory / f"{re.sub(r'[^A-Za-z0-9_]', '_', name)}.sqlite3"
    connection.ensure_connection()
    target = sqlite3.connect(path)
    try:
        connection.connection.backup(target)
    finally:
        target.close()
    return f"sqlite:///{path}"


def database_drop(url: str) -> None:
    if url.startswith("postgres"):
        postgres_run(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


@dataclass(frozen=True)
class WebNode:
    url: str
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


@contextmanager
def web_nodes(
    names: list[str], directory: Path, environment: dict[str, str]
) -> Iterator[list[WebNode]]:
    """gunicorn nodes (one worker, two threads each) with `environment` over the test
    process's, started together and answering /healthz; stopped (SIGTERM, then waited for)
    when the block ends."""
    started: list[tuple[subprocess.Popen[bytes], WebNode]] = []
    try:
        for name in names:
            started.append(_start(name, directory, environment))
        for process, node in started:
            _wait_until_healthy(node, process)
        yield [node for _process, node in started]
    finally:
        for process, _node in started:
            process.terminate()
        for process, _node in started:
            process.wait(timeout=30)


@contextmanager
def web_node(name: str, directory: Path, environment: dict[str, str]) -> Iterator[WebNode]:
    with web_nodes([name], directory, environment) as (node,):
        yield node


def _start(
    name: str, directory: Path, environment: dict[str, str]
) -> tuple[subprocess.Popen[bytes], WebNode]:
    port = free_port()
    log = directory / f"{name}.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "TAPESTRY_ALLOWED_HOSTS": "127.0.0.1",
        "TAPESTRY_MEDIA_ROOT": str(directory / f"{name}-media"),
        "TAPESTRY_LOG_LEVEL": "WARNING",
        **environment,
    }
    with log.open("w") as output:
        process = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "config.wsgi:application",
                f"--bind=127.0.0.1:{port}",
                "--workers=1",
                "--threads=2",
                "--timeout=60",
                f"--name=tapestry-{name}",
                # Two nodes (and other test runs) on one machine: no shared control socket.
                "--no-control-socket",
            ],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    return process, WebNode(url=f"http://127.0.0.1:{port}", log=log)


def _wait_until_healthy(node: WebNode, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"The node stopped at start-up:\n{node.log_text()}")
        try:
            if requests.get(f"{node.url}/healthz", timeout=30).status_code == 200:
                return
        except (requests.ConnectionError, requests.Timeout):
            pass
        time.sleep(0.2)
    raise AssertionError(f"The node did not answer /healthz in time:\n{node.log_text()}")


def sign_in(node: WebNode, *, email: str, password: str) -> requests.Session:
    """A browser session signed in through the node's sign-in form (allauth, with CSRF)."""
    browser = requests.Session()
    page = browser.get(f"{node.url}/accounts/login/", timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert token is not None, page.text
    response = browser.post(
        f"{node.url}/accounts/login/",
        data={"csrfmiddlewaretoken": token.group(1), "login": email, "password": password},
        headers={"Referer": f"{node.url}/accounts/login/"},
        allow_redirects=False,
        timeout=30,
    )
    assert response.status_code == 302, response.text
    return browser


def csrf_token(browser: requests.Session, page_url: str) -> str:
    page = browser.get(page_url, timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert token is not None, page.text
    return token.group(1)
