"""The restore drill: a host with members, a signed certificate, audit trails, an uploaded file
and a research release is backed up with `manage.py backup`, lost, and restored with `manage.py
restore` into a new empty database (PostgreSQL: a database the test creates; SQLite: a new
file), a new media folder and an empty research folder. Then every table holds the same rows,
the release's files their checksums, the certificate verifies on the restored host, and the
audit trails are the same rows. A damaged backup and a wrong key are refused before anything
is written, and uploads kept in an S3 bucket come back into a new bucket (ADR 0030)."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import boto3
import duckdb
import jwt
import pytest
from cryptography.fernet import Fernet
from django.apps import apps
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.db import connections
from django.db.utils import load_backend
from django.test import Client
from pytest_django.fixtures import Settings

from tapestry.accounts.api import Role
from tapestry.accounts.models import User
from tapestry.core.api import audit_record
from tapestry.core.backup import MANIFEST, database_state
from tapestry.core.models import AuditEvent
from tapestry.learning.models import AuditEntry, Certificate
from tapestry.learning.services import certificate_revoke
from tapestry.learning.tests.factories import course_finish, course_make
from tapestry.network.tests.factories import OrganizationFactory, UserFactory
from tapestry.research.models import Release, ResearchLogEntry
from tapestry.research.services import release_create
from tapestry.research.warehouse.generate import generate
from tests.s3 import KEYS as S3_KEYS
from tests.s3 import s3_server

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
KEY = Fernet.generate_key().decode()
HANDOUT = b"%PDF-1.7\n" + bytes(range(256)) * 40
SAMPLE_ROWS = 20

# --- the host ------------------------------------------------------------------------------


@pytest.fixture
def host(settings: Settings, tmp_path: Path) -> Path:
    """This host's media and research folders, and its backup key."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.RESEARCH_DATA_DIR = tmp_path / "research"
    settings.BACKUP_KEY = KEY
    settings.BACKUP_KEY_FALLBACKS = []
    return tmp_path


@pytest.fixture
def fresh_database(tmp_path: Path) -> Iterator[str]:
    """A new, empty database beside the test database, reachable as the alias "restored"."""
    default = connections["default"]
    config = dict(default.settings_dict)
    if default.vendor == "postgresql":
        config["NAME"] = f"{default.settings_dict['NAME']}_restored"
        with default.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{config["NAME"]}"')
            cursor.execute(f'CREATE DATABASE "{config["NAME"]}"')
    else:
        config["NAME"] = str(tmp_path / "restored.sqlite3")
    # Made here rather than declared in DATABASES: pytest-django would otherwise make (and
    # empty) a test database for it before the test.
    connections["restored"] = load_backend(config["ENGINE"]).DatabaseWrapper(config, "restored")
    yield "restored"
    connections["restored"].close()
    del connections["restored"]
    if default.vendor == "postgresql":
        with default.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{config["NAME"]}" WITH (FORCE)')


@contextmanager
def serving_from(alias: str) -> Iterator[None]:
    """The site (pages through the test client included) reads the database `alias`, as a
    host restored from the backup would."""
    original = connections["default"]
    connections["default"] = connections[alias]
    try:
        yield
    finally:
        connections["default"] = original


def database_url(alias: str) -> str:
    config = connections[alias].settings_dict
    if connections[alias].vendor == "sqlite":
        return f"sqlite:///{config['NAME']}"
    user = quote(config["USER"] or "")
    password = f":{quote(config['PASSWORD'])}" if config["PASSWORD"] else ""
    return f"postgres://{user}{password}@{config['HOST']}:{config['PORT'] or 5432}/{config['NAME']}"


def checksums(root: Path) -> dict[str, str]:
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def backup_run(output: Path, *options: str) -> Path:
    """`manage.py backup` into `output`; the backup directory it wrote."""
    out = io.StringIO()
    call_command("backup", "--output", str(output), *options, stdout=out, stderr=io.StringIO())
    assert out.getvalue().startswith(f"Backup written to {output}/tapestry-")
    (written,) = output.glob("tapestry-*")
    return written


def restore_run(backup: Path, alias: str) -> str:
    out = io.StringIO()
    call_command("restore", str(backup), "--database", alias, stdout=out)
    return out.getvalue()


def rows_sampled(alias: str) -> dict[str, list[tuple[object, ...]]]:
    """The first and last rows (by primary key) of every table a model owns."""
    sample = {}
    for model in apps.get_models(include_auto_created=True):
        if not model._meta.managed or model._meta.proxy:
            continue
        rows = model._base_manager.using(alias).order_by("pk")
        sample[model._meta.db_table] = [
            *rows.values_list()[:SAMPLE_ROWS],
            *rows.reverse().values_list()[:SAMPLE_ROWS],
        ]
    return sample


def audit_trails(alias: str) -> dict[str, list[tuple[object, ...]]]:
    return {
        "core": list(
            AuditEvent.objects.using(alias)
            .order_by("pk")
            .values_list("pk", "occurred_at", "actor_id", "action", "target_id", "summary", "data")
        ),
        "learning": list(AuditEntry.objects.using(alias).order_by("pk").values_list()),
        "research": list(ResearchLogEntry.objects.using(alias).order_by("pk").values_list()),
    }


@pytest.fixture
def alice_liaison(transactional_db: None) -> User:
    return UserFactory.create(
        email="alice@example.org", full_name="Alice Liaison", roles=[Role.LIAISON]
    )


@pytest.fixture
def admin(transactional_db: None) -> User:
    return UserFactory.create(
        email="adam@example.org",
        full_name="Adam Admin",
        roles=[Role.ADMINISTRATOR],
        is_staff=True,
        two_factor=True,
    )


# --- the drill -----------------------------------------------------------------------------


def test_a_backup_restored_into_an_empty_host_holds_everything_the_host_had(
    host: Path, fresh_database: str, settings: Settings, alice_liaison: User, admin: User
) -> None:
    # Given a host with members, a signed certificate (and a revoked one), audit trails, an
    # uploaded file and a research release
    OrganizationFactory.create_batch(3)
    certificate = course_finish(user_id=alice_liaison.pk, course=course_make()).certificate
    revoked = course_finish(
        user_id=alice_liaison.pk, course=course_make(slug="second", title="Second course")
    ).certificate
    certificate_revoke(certificate_id=revoked.pk, actor=admin, reason="Taken by someone else")
    audit_record(actor=admin, action="drill.before_backup", summary="Before the backup")
    handout = default_storage.save("learning/files/handout.pdf", ContentFile(HANDOUT))
    generated = host / "research" / "generated" / "drill"
    generate(generated, participants=200, seed=5)
    release = release_create(source=generated, version="drill-1")
    release_files = checksums(host / "research")
    source_state = database_state(using="default")
    source_rows = rows_sampled("default")
    source_audit = audit_trails("default")

    # When it is backed up, the host is lost, and the backup restored into an empty one
    backup = backup_run(host / "backups")
    shutil.rmtree(host / "research")
    settings.MEDIA_ROOT = host / "new-host-media"
    said = restore_run(backup, fresh_database)

    # Then every table has the same rows
    assert said.startswith(f"Checking {backup} …\nRestored {backup.name}: ")
    restored_state = database_state(using=fresh_database)
    assert restored_state.tables == source_state.tables
    assert restored_state.migrations == source_state.migrations
    assert rows_sampled(fresh_database) == source_rows
    for table in ("network_organization", "learning_certificate", "research_release"):
        assert restored_state.tables[table] >= 1
    # the audit trails are intact: same ids, actions, times, people
    assert audit_trails(fresh_database) == source_audit
    assert {"drill.before_backup", "research.release"} <= {row[3] for row in source_audit["core"]}
    assert AuditEntry.objects.using(fresh_database).get().action == "certificate_revoked"
    # the release's files are back where its rows say, with their checksums
    assert checksums(host / "research") == release_files
    warehouse = Release.objects.using(fresh_database).get().warehouse_path
    assert warehouse == release.warehouse_path
    with duckdb.connect(warehouse, read_only=True) as con:
        (participants,) = con.execute("SELECT COUNT(*) FROM participant").fetchone() or (0,)
        (people,) = con.execute("SELECT COUNT(*) FROM person").fetchone() or (0,)
    assert participants == release.participants
    assert people == 200
    # the uploaded file is in the new host's storage
    with default_storage.open(handout) as restored_handout:
        assert restored_handout.read() == HANDOUT
    # and a certificate issued before the backup verifies on the restored host, with the key
    # the restored host publishes
    with serving_from(fresh_database):
        page = Client().get(f"/learning/verify/{certificate.code}/")
        (published,) = Client().get("/.well-known/jwks.json").json()["keys"]
    assert page.status_code == 200
    assert "Valid" in page.content.decode()
    assert "Alice Liaison" in page.content.decode()
    issued = Certificate.objects.get(pk=certificate.pk).credential_jwt
    claims = jwt.decode(issued, jwt.PyJWK(published).key, algorithms=["RS256"])
    assert claims["jti"] == f"{settings.SITE_URL}/learning/verify/{certificate.code}/"


# --- refusals ------------------------------------------------------------------------------


@pytest.fixture
def small_backup(host: Path, admin: User) -> Path:
    """A backup of a host with an audit row and an uploaded file."""
    audit_record(actor=admin, action="drill.before_backup")
    default_storage.save("learning/files/handout.pdf", ContentFile(HANDOUT))
    return backup_run(host / "backups")


def nothing_restored(alias: str, host: Path) -> bool:
    return (
        connections[alias].introspection.table_names() == []
        and not (host / "new-host-media").exists()
    )


def one_byte_changed(path: Path, old: bytes | None = None, new: bytes = b"") -> bytes:
    """Change one byte of the file (in its middle, or `old` for `new`); returns the original."""
    original = path.read_bytes()
    if old is None:
        changed = bytearray(original)
        changed[len(changed) // 2] ^= 0x01
        path.write_bytes(bytes(changed))
    else:
        assert len(old) == len(new) and original.count(old) == 1
        path.write_bytes(original.replace(old, new))
    return original


# Each refusal below leaves the target as it was; they share one test because each
# transactional test costs a flush of every table on PostgreSQL.
def test_a_damaged_backup_or_a_non_empty_database_is_refused_before_anything_is_written(
    small_backup: Path, fresh_database: str, host: Path, settings: Settings
) -> None:
    manifest = json.loads((small_backup / MANIFEST).read_text())
    (database,) = [entry for entry in manifest["files"] if entry["name"].startswith("database.")]
    settings.MEDIA_ROOT = host / "new-host-media"

    # one byte of the database dump changed
    original = one_byte_changed(small_backup / database["path"])
    with pytest.raises(CommandError) as refused:
        restore_run(small_backup, fresh_database)
    assert str(refused.value) == (
        f"{database['path']} does not match its checksum: the backup is damaged."
    )
    assert nothing_restored(fresh_database, host)
    (small_backup / database["path"]).write_bytes(original)

    # one byte of the manifest changed (a row count, so it is still valid JSON)
    original = one_byte_changed(
        small_backup / MANIFEST, b'"core_auditevent": 1,', b'"core_auditevent": 2,'
    )
    with pytest.raises(CommandError) as refused:
        restore_run(small_backup, fresh_database)
    assert str(refused.value) == "manifest.json was changed after the backup was made."
    assert nothing_restored(fresh_database, host)
    (small_backup / MANIFEST).write_bytes(original)

    # a target database that already has tables (this host's own)
    with pytest.raises(CommandError) as refused:
        restore_run(small_backup, "default")
    assert str(refused.value).startswith(
        f"The target database {connections['default'].settings_dict['NAME']} is not empty "
    )
    assert not (host / "new-host-media").exists()


def test_a_wrong_backup_key_is_refused_clearly_and_after_a_rotation_the_old_key_still_opens_it(
    small_backup: Path, fresh_database: str, host: Path, settings: Settings
) -> None:
    new_key = Fernet.generate_key().decode()
    connections[fresh_database].close()

    # The operator runs restore with only the new key: a message, no traceback
    refused = subprocess.run(
        [sys.executable, "manage.py", "restore", str(small_backup)],
        cwd=ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings_test",
            "DATABASE_URL": database_url(fresh_database),
            "TAPESTRY_MEDIA_ROOT": str(host / "new-host-media"),
            "TAPESTRY_BACKUP_KEY": new_key,
            "TAPESTRY_BACKUP_KEY_FALLBACKS": "",
        },
        capture_output=True,
        text=True,
    )

    assert refused.returncode == 1
    assert refused.stderr == (
        "CommandError: The backup key does not open this backup: neither TAPESTRY_BACKUP_KEY "
        "nor any of TAPESTRY_BACKUP_KEY_FALLBACKS is the key it was made with (after a "
        "rotation, put the old key in TAPESTRY_BACKUP_KEY_FALLBACKS).\n"
    )
    assert "Traceback" not in refused.stdout + refused.stderr
    assert nothing_restored(fresh_database, host)

    # With the old key among the fallbacks, the same backup opens
    settings.BACKUP_KEY, settings.BACKUP_KEY_FALLBACKS = new_key, [KEY]
    settings.MEDIA_ROOT = host / "new-host-media"
    said = restore_run(small_backup, fresh_database)

    assert "\nRestored " in said
    assert AuditEvent.objects.using(fresh_database).get().action == "drill.before_backup"
    assert (host / "new-host-media" / "learning" / "files" / "handout.pdf").read_bytes() == HANDOUT


def test_without_a_key_a_backup_is_refused_unless_asked_in_the_clear_and_old_ones_pruned(
    host: Path, settings: Settings
) -> None:
    settings.BACKUP_KEY = ""

    with pytest.raises(CommandError, match=r"^TAPESTRY_BACKUP_KEY is not set"):
        backup_run(host / "backups")
    written = backup_run(host / "clear", "--no-encrypt")

    assert not (host / "backups").exists()
    manifest = json.loads((written / MANIFEST).read_text())
    assert manifest["encrypted"] is False
    assert {entry["path"] for entry in manifest["files"]} == {manifest["database"]["file"]}
    assert not (written / "manifest.sig").exists()
    # and --keep 1 leaves only the newest backup in the folder
    newest = backup_run(host / "clear", "--no-encrypt", "--keep", "1")
    assert newest != written
    assert not written.exists()


# --- media in object storage -----------------------------------------------------------------


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """A real S3 API server on loopback (moto's), with an empty bucket for each host."""
    with s3_server("old-host", "new-host") as endpoint:
        yield endpoint


def s3_storages(settings: Settings, endpoint: str, bucket: str) -> dict[str, Any]:
    """STORAGES as config/settings.py builds it with TAPESTRY_S3_BUCKET set."""
    return {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": bucket,
                "endpoint_url": endpoint,
                "region_name": "us-east-1",
                "access_key": S3_KEYS["aws_access_key_id"],
                "secret_key": S3_KEYS["aws_secret_access_key"],
                "default_acl": "private",
                "querystring_auth": True,
                "file_overwrite": False,
            },
        },
    }


def test_uploads_in_object_storage_are_backed_up_and_restored_into_a_new_bucket(
    host: Path, fresh_database: str, settings: Settings, s3_endpoint: str
) -> None:
    settings.STORAGES = s3_storages(settings, s3_endpoint, "old-host")
    names = [
        default_storage.save("learning/files/handout.pdf", ContentFile(HANDOUT)),
        default_storage.save("funding/attachments/budget.xlsx", ContentFile(b"budget")),
    ]
    backup = backup_run(host / "backups")

    settings.STORAGES = s3_storages(settings, s3_endpoint, "new-host")
    said = restore_run(backup, fresh_database)

    assert ", 2 media files, " in said
    s3 = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1", **S3_KEYS)
    stored = s3.list_objects_v2(Bucket="new-host")["Contents"]
    assert sorted(item["Key"] for item in stored) == sorted(names)
    assert s3.get_object(Bucket="new-host", Key=names[0])["Body"].read() == HANDOUT
    grants = s3.get_object_acl(Bucket="new-host", Key=names[0])["Grants"]
    assert [grant["Permission"] for grant in grants] == ["FULL_CONTROL"]  # still private
