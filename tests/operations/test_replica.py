"""Reports read from a PostgreSQL read replica, against two real databases.

The primary and the replica are two databases of the local PostgreSQL server, both copies of
the test database with what the test made (`CREATE DATABASE ... TEMPLATE`). This server runs
with `wal_level=replica`, so logical replication between them is not available; a copy stands
in for a streaming replica that is exactly up to date, and the tests then make the two differ
on purpose: a figure changed on the replica alone shows which database a page read from.

(The two tests that need PostgreSQL are skipped on SQLite; the settings' own tests run on
both.)

A web node (gunicorn, the production settings) serves the outreach dashboard with
`TAPESTRY_REPLICA_DATABASE_URL` set: the dashboard's figures come from the replica, the
liaison's sign-in (the session, the last sign-in time) is written to the primary, and once the
replica's database is gone the page is still 200, with the primary's figures and a warning in
the log. A process with the two databases configured shows what goes where inside
`reading_from_replica()`: reads to the replica, a locking read and a write to the primary; and
with the replica's port closed, reads to the primary.
"""

import datetime
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from tapestry.accounts.api import Role
from tapestry.accounts.tests.factories import PASSWORD
from tapestry.engagement.models import ActivityReport
from tapestry.engagement.tests.factories import ActivityReportFactory, ActivityReportRowFactory
from tapestry.network.tests.factories import OrganizationFactory, UserFactory
from tests.operations.web_nodes import (
    ROOT,
    database_copy,
    database_drop,
    free_port,
    postgres_run,
    sign_in,
    web_node,
)

needs_postgresql = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="a read replica is a PostgreSQL deployment: this needs two PostgreSQL databases "
    "(run with DATABASE_URL=postgres://...)",
)
# Committed rows: the copies are made from what the test database holds.
with_committed_rows = pytest.mark.django_db(transaction=True)

EMAIL = "alice@example.org"
# Reported on the primary; the replica is changed to say otherwise.
PRIMARY_PARTICIPANTS = 17
REPLICA_PARTICIPANTS = 4321


@pytest.fixture
def primary_and_replica(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """Alice's library with one accepted report of 17 participants, on a primary and a
    replica that says 4,321 (both copies of the test database)."""
    alice = UserFactory.create(email=EMAIL, full_name="Alice Liaison", roles=[Role.LIAISON])
    library = OrganizationFactory.create(
        name="Alice Memorial Library", zip_code="60601", liaison=alice
    )
    report = ActivityReportFactory.create(
        organization_id=library.pk,
        author=alice,
        status=ActivityReport.Status.ACCEPTED,
        activity_date=timezone.localdate() - datetime.timedelta(days=10),
    )
    ActivityReportRowFactory.create(report=report, participants=PRIMARY_PARTICIPANTS)
    name = connection.settings_dict["NAME"]
    primary = database_copy(f"{name}_primary", tmp_path)
    replica = database_copy(f"{name}_replica", tmp_path)
    postgres_run(
        "UPDATE engagement_activityreportrow SET participants = %s",
        (REPLICA_PARTICIPANTS,),
        database=database_name(replica),
    )
    yield primary, replica
    database_drop(primary)
    database_drop(replica)


def database_name(url: str) -> str:
    return url.rsplit("/", 1)[1]


def count(query: str, url: str) -> int:
    rows = postgres_run(query, database=database_name(url))
    return int(rows[0][0])  # type: ignore[call-overload]


def totals_shown(html: str) -> dict[str, str]:
    """The dashboard's totals, label -> figure as printed."""
    pairs = re.findall(
        r'<p class="margin-0 font-sans-lg text-bold">([^<]*)</p><p class="margin-0">([^<]*)</p>',
        html,
    )
    return {label: value for value, label in pairs}


@needs_postgresql
@with_committed_rows
def test_the_outreach_dashboard_reads_the_replica_and_the_primary_once_it_is_gone(
    primary_and_replica: tuple[str, str], tmp_path: Path
) -> None:
    primary, replica = primary_and_replica
    signed_in = "SELECT count(*) FROM accounts_user WHERE last_login IS NOT NULL"
    environment = {"DATABASE_URL": primary, "TAPESTRY_REPLICA_DATABASE_URL": replica}

    with web_node("reports", tmp_path, environment) as node:
        browser = sign_in(node, email=EMAIL, password=PASSWORD)
        from_replica = browser.get(f"{node.url}/engagement/outreach/", timeout=60)
        log_before = node.log_text()
        database_drop(replica)
        replica_gone = browser.get(f"{node.url}/engagement/outreach/", timeout=60)
        log_after = node.log_text()

    participants = "Activity-report participants"
    assert from_replica.status_code == 200
    assert totals_shown(from_replica.text)[participants] == f"{REPLICA_PARTICIPANTS}"
    assert "read replica" not in log_before
    # The sign-in beside the report wrote the session and the sign-in time to the primary.
    assert (count(signed_in, primary), count("SELECT count(*) FROM django_session", primary)) == (
        1,
        1,
    )
    assert replica_gone.status_code == 200
    assert totals_shown(replica_gone.text)[participants] == f"{PRIMARY_PARTICIPANTS}"
    assert "The read replica cannot be reached; reports read from the primary" in log_after


# Run in a process with the primary and the replica configured: inside reading_from_replica(),
# a read, a locking read and a write, as a report that also wrote would do them.
PROBE = """
import json
import django
django.setup()
from django.db import transaction
from tapestry.core.api import audit_record, reading_from_replica
from tapestry.engagement.models import ActivityReportRow
with reading_from_replica() as on_replica, transaction.atomic():
    read = ActivityReportRow.objects.get().participants
    locked = ActivityReportRow.objects.select_for_update().get().participants
    audit_record(actor=None, action="scale.probe", summary="written inside a report")
print(json.dumps({"on_replica": on_replica, "read": read, "locked": locked}))
"""
PROBE_AUDIT_ROWS = "SELECT count(*) FROM core_auditevent WHERE action = 'scale.probe'"


def probe(primary: str, replica: str) -> dict[str, object]:
    completed = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": primary,
            "TAPESTRY_REPLICA_DATABASE_URL": replica,
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    result: dict[str, object] = json.loads(completed.stdout)
    return result


@needs_postgresql
@with_committed_rows
def test_inside_a_report_reads_go_to_the_replica_writes_to_the_primary_and_a_closed_port_to_the_primary(
    primary_and_replica: tuple[str, str],
) -> None:
    primary, replica = primary_and_replica
    closed = f"postgres://postgres@127.0.0.1:{free_port()}/replica"

    with_replica = probe(primary, replica)
    replica_port_closed = probe(primary, closed)

    assert with_replica == {
        "on_replica": True,
        "read": REPLICA_PARTICIPANTS,
        "locked": PRIMARY_PARTICIPANTS,  # select_for_update is a write's read: the primary
    }
    assert replica_port_closed == {
        "on_replica": False,
        "read": PRIMARY_PARTICIPANTS,
        "locked": PRIMARY_PARTICIPANTS,
    }
    # Each run's audit row went to the primary.
    assert (count(PROBE_AUDIT_ROWS, primary), count(PROBE_AUDIT_ROWS, replica)) == (2, 0)


def settings_databases(environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """DATABASES and the routers as the settings module builds them from this environment."""
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import json; from config import settings; "
            "print(json.dumps([settings.DATABASES, settings.DATABASE_ROUTERS]))",
        ],
        cwd=ROOT,
        env={**os.environ, **environment},
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_replica_alias_is_read_only_gives_up_quickly_and_mirrors_the_default_in_tests() -> None:
    built = settings_databases(
        {
            "DATABASE_URL": "postgres://tapestry@primary-host:5432/tapestry",
            "TAPESTRY_REPLICA_DATABASE_URL": "postgres://tapestry@replica-host:5432/tapestry",
        }
    )

    databases, routers = json.loads(built.stdout)
    assert (databases["replica"]["HOST"], databases["replica"]["TEST"]) == (
        "replica-host",
        {"MIRROR": "default"},
    )
    assert databases["replica"]["OPTIONS"] == {
        "connect_timeout": 3,
        "options": "-c default_transaction_read_only=on",
    }
    assert routers == ["tapestry.core.db_router.PrimaryReplicaRouter"]


def test_a_replica_on_another_engine_than_the_primary_refuses_to_start() -> None:
    built = settings_databases(
        {
            "DATABASE_URL": "postgres://tapestry@primary-host:5432/tapestry",
            "TAPESTRY_REPLICA_DATABASE_URL": "sqlite:////tmp/replica.sqlite3",
        }
    )

    assert built.returncode == 1
    assert "TAPESTRY_REPLICA_DATABASE_URL must name the same database engine" in built.stderr
