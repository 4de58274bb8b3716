"""PostgreSQL restarted under load: requests fail cleanly, and the site recovers by itself.

A private PostgreSQL cluster (never the shared server other tests use) holds a copy of the
test database's schema; a real gunicorn serves the site from it with connections kept between
requests. Threads send requests while the cluster is stopped and started again. Every answer
must be 200 or a 503 in the person's language (never a 500, never a dropped connection), and
once the database is back the same gunicorn serves again.
"""

import http.client
import json
import os
import secrets
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.db import connection
from django.utils import translation

from tests.faults.conftest import (
    ROOT,
    free_port,
    gunicorn_command,
    require_program,
    stop,
    wait_for_page,
)

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: the fault is a PostgreSQL server restarted, and the schema "
        "is copied from the PostgreSQL test database (run with DATABASE_URL=postgres://...)",
    ),
]

# A request's attempts to succeed once the database is back, and the answers then required.
ATTEMPTS_TO_RECOVER = 10
ANSWERS_AFTER_RECOVERY = 10
# Attempts to see the outage from the test's own thread (the server needs a moment to stop).
ATTEMPTS_TO_SEE_OUTAGE = 200
LOAD_THREADS = 4


@dataclass(frozen=True)
class Ask:
    """One kind of request: a page or the API, in a language, with or without a session."""

    name: str
    path: str
    language: str
    session: bool = False

    def headers(self) -> dict[str, str]:
        headers = {"Accept-Language": self.language, "Host": "127.0.0.1"}
        if self.session:
            # A session the database must look up before anything else runs (in the
            # middleware that reads a signed-in person's language).
            headers["Cookie"] = f"sessionid={secrets.token_hex(16)}"
        return headers


ASKS = [
    Ask("home with a session, Spanish", "/", "es", session=True),
    Ask("directory, English", "/network/", "en"),
    Ask("directory, Spanish", "/network/", "es", session=True),
    Ask("API, Spanish", "/api/v1/network/organizations", "es"),
]


@dataclass(frozen=True)
class Answer:
    ask: Ask
    status: int | None
    headers: dict[str, str]
    body: str
    error: str = ""


def send(port: int, ask: Ask) -> Answer:
    client = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        client.request("GET", ask.path, headers=ask.headers())
        response = client.getresponse()
        body = response.read().decode("utf-8", "replace")
        return Answer(ask, response.status, {k.lower(): v for k, v in response.getheaders()}, body)
    except (OSError, http.client.HTTPException) as error:
        return Answer(ask, None, {}, "", error=f"{type(error).__name__}: {error}")
    finally:
        client.close()


def _pg(data: Path, *args: str) -> None:
    subprocess.run(
        ["runuser", "-u", "postgres", "--", "pg_ctl", "-D", str(data), *args],
        check=True,
        capture_output=True,
        timeout=60,
    )


@dataclass
class Cluster:
    data: Path
    port: int
    options: str

    def stop(self) -> None:
        _pg(self.data, "stop", "-m", "fast", "-w")

    def start(self) -> None:
        _pg(self.data, "start", "-w", "-o", self.options, "-l", str(self.data.parent / "log"))


@pytest.fixture
def private_cluster() -> Iterator[Cluster]:
    """A PostgreSQL cluster of our own on a free port, holding the test database's schema."""
    require_program("initdb")
    require_program("pg_ctl")
    require_program("pg_dump")
    if os.geteuid() != 0:
        pytest.skip("starting a private PostgreSQL cluster needs root (to run it as postgres)")
    home = Path(tempfile.mkdtemp(prefix="flt_pg_"))
    shutil.chown(home, user="postgres")
    data = home / "data"
    port = free_port()
    subprocess.run(
        [
            *("runuser", "-u", "postgres", "--", "initdb", "-D", str(data), "-A", "trust"),
            *("-U", "postgres", "--no-sync", "-E", "UTF8", "--locale=C.UTF-8"),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    # fsync off: the cluster is thrown away, and the test is about connections, not durability.
    cluster = Cluster(data, port, f"-p {port} -k {home} -c listen_addresses=127.0.0.1 -c fsync=off")
    cluster.start()
    try:
        _copy_schema(port)
        yield cluster
    finally:
        subprocess.run(
            [
                "runuser",
                "-u",
                "postgres",
                "--",
                "pg_ctl",
                "-D",
                str(data),
                "stop",
                "-m",
                "immediate",
            ],
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(home, ignore_errors=True)


def _copy_schema(port: int) -> None:
    """The test database (migrated by pytest-django) copied into the private cluster: migrating
    from zero would take most of a minute."""
    source = connection.settings_dict
    environment = {**os.environ, "PGPASSWORD": str(source.get("PASSWORD") or "")}
    subprocess.run(
        ["createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "flt_outage"],
        check=True,
        capture_output=True,
        timeout=60,
    )
    dump = subprocess.run(
        [
            *("pg_dump", "--no-owner", "--no-privileges", "-h", str(source["HOST"] or "127.0.0.1")),
            *("-p", str(source["PORT"] or 5432), "-U", str(source["USER"]), str(source["NAME"])),
        ],
        check=True,
        capture_output=True,
        env=environment,
        timeout=120,
    )
    subprocess.run(
        [
            *("psql", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", str(port)),
            *("-U", "postgres", "-d", "flt_outage"),
        ],
        input=dump.stdout,
        check=True,
        capture_output=True,
        timeout=120,
    )


@pytest.fixture
def gunicorn(private_cluster: Cluster, tmp_path: Path) -> Iterator[int]:
    """The site served by gunicorn (two workers of two threads) from the private cluster, with
    connections kept between requests, as in production."""
    port = free_port()
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:{private_cluster.port}/flt_outage",
        "TAPESTRY_DB_CONN_MAX_AGE": "600",
        "TAPESTRY_SECRET_KEY": "fault-test-" + "k" * 40,
        "TAPESTRY_DEBUG": "0",
        "TAPESTRY_MEDIA_ROOT": str(tmp_path / "media"),
    }
    log = (tmp_path / "gunicorn.log").open("wb")
    process = subprocess.Popen(
        gunicorn_command(port),
        cwd=ROOT,
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for_page(port, "/healthz", process)
        yield port
    finally:
        stop(process)
        log.close()


def _spanish(text: str) -> str:
    with translation.override("es"):
        return translation.gettext(text)


def test_postgresql_restarted_under_load_answers_503_in_the_persons_language_then_recovers(
    private_cluster: Cluster, gunicorn: int
) -> None:
    # Given the site answering, with connections to the database open in its workers
    for ask in ASKS:
        assert send(gunicorn, ask).status == 200, ask.name
    answers: list[Answer] = []
    done = threading.Event()

    def load() -> None:
        while not done.is_set():
            for ask in ASKS:
                answers.append(send(gunicorn, ask))

    threads = [threading.Thread(target=load) for _ in range(LOAD_THREADS)]
    for thread in threads:
        thread.start()
    try:
        # When PostgreSQL stops under that load
        private_cluster.stop()
        during = {ask.name: _first_answer(gunicorn, ask, status=503) for ask in ASKS}
        # ...and starts again
        private_cluster.start()
        recovered = {ask.name: _first_answer(gunicorn, ask, status=200) for ask in ASKS}
        after = [send(gunicorn, ask) for ask in ASKS for _ in range(ANSWERS_AFTER_RECOVERY)]
    finally:
        done.set()
        for thread in threads:
            thread.join()

    # Then every answer, under load, was a page or a clean 503: no 500, no dropped connection
    every = answers + list(during.values()) + list(recovered.values()) + after
    assert [(a.ask.name, a.status, a.error) for a in every if a.status not in (200, 503)] == []
    assert any(answer.status == 503 for answer in answers)
    # ...each 503 in the language asked for, with when to try again
    for name, answer in during.items():
        assert answer.status == 503, name
        assert answer.headers["retry-after"] == "30", name
        assert answer.headers["content-language"] == ("es" if "Spanish" in name else "en"), name
    home = during["home with a session, Spanish"]
    assert '<html lang="es">' in home.body
    assert _spanish("Tapestry is briefly unavailable") in home.body
    assert _spanish("Go to the home page") in home.body
    assert "Ir a la página de inicio" in home.body
    assert '<html lang="en">' in during["directory, English"].body
    api = during["API, Spanish"]
    assert api.headers["content-type"] == "application/json"
    assert json.loads(api.body) == {
        "detail": _spanish(
            "Part of the service is not answering, so we could not finish your request. It "
            "usually comes back within a minute. If you were sending a form, check whether it "
            "was saved before you send it again."
        )
    }
    # ...and once the database is back, the same gunicorn serves again by itself
    assert {name: answer.status for name, answer in recovered.items()} == {
        ask.name: 200 for ask in ASKS
    }
    assert [a.status for a in after] == [200] * len(after)


def _first_answer(port: int, ask: Ask, *, status: int) -> Answer:
    """The first answer with `status` (or the last tried, to fail on)."""
    attempts = ATTEMPTS_TO_SEE_OUTAGE if status == 503 else ATTEMPTS_TO_RECOVER
    answer = send(port, ask)
    for _attempt in range(attempts - 1):
        if answer.status == status or answer.status not in (200, 503):
            break
        answer = send(port, ask)
    return answer
