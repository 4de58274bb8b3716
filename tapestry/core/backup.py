"""Backups of a whole Tapestry host, and their restore into an empty one (ADR 0030).

A backup is one directory:

    tapestry-20261201T020000Z/
      manifest.json       what is inside: time, commit, migrations, row counts, every file's
                          size and sha256 (as stored and as plain)
      manifest.sig        the manifest's digest sealed with the backup's data key
      database.pgdump.enc   pg_dump --format=custom (SQLite: database.sqlite3.enc)
      media/...             every file of the default storage (local or S3)
      <part>/<label>/...    files the domain apps register (research: the current release)

Every stored file is sealed: cut in chunks, each chunk (with its index and a last-chunk
flag, so chunks cannot be reordered or dropped) encrypted with Fernet under a random data
key made for this backup; the data key itself is encrypted with TAPESTRY_BACKUP_KEY. So the
signing keys and password hashes in the dump, the members' uploads and the participants'
data never lie on the backup disk in the clear, memory stays bounded whatever the size, and
a new backup key can take over while old backups still open (TAPESTRY_BACKUP_KEY_FALLBACKS).

Core knows no domain app: research (and any app of tomorrow) adds its files through
`backup_part_register` from its AppConfig.ready().
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
import logging
import os
import posixpath
import shutil
import sqlite3
import struct
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import icu
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.files.base import File
from django.core.files.storage import Storage, default_storage
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone

from tapestry.core.collation import COLLATION_LOCALES

logger = logging.getLogger(__name__)

FORMAT = 1
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
# Plaintext bytes per sealed chunk: large enough that Fernet's per-chunk cost vanishes, small
# enough that a dump of any size is sealed and opened in bounded memory.
CHUNK_BYTES = 4 * 1024 * 1024
SEALED_MAGIC = b"TAPESTRY-SEALED-1\n"
_FRAME_LENGTH = struct.Struct(">I")
_CHUNK_HEADER = struct.Struct(">QB")  # chunk index, 1 on the last chunk
DATABASE_FILES = {"postgresql": "database.pgdump", "sqlite": "database.sqlite3"}
PART_NAME_CHARACTERS = set("abcdefghijklmnopqrstuvwxyz0123456789-_")


class BackupError(Exception):
    """A backup or restore that cannot go on; the message tells the operator why and what to
    do, and is shown without a traceback."""


# --- the registry of files the domain apps own ---------------------------------------------

_parts: dict[str, Callable[[], dict[str, Path]]] = {}


def backup_part_register(*, name: str, roots: Callable[[], dict[str, Path]]) -> None:
    """Add files outside the database and the media storage to every backup.

    `roots()` is called when a backup runs and returns {label: folder or file}; everything
    under each is stored as `<name>/<label>/...` and restored to the same absolute path (the
    database rows that point at them keep working). Call it from AppConfig.ready().
    """
    if not name or set(name) - PART_NAME_CHARACTERS:
        raise ValueError(f"A backup part name is lowercase letters, digits, - and _: {name!r}")
    _parts[name] = roots


# --- keys -------------------------------------------------------------------------------------


def key_new() -> str:
    """A new random backup key, for TAPESTRY_BACKUP_KEY."""
    return Fernet.generate_key().decode()


def _master_keys() -> MultiFernet:
    """TAPESTRY_BACKUP_KEY first (it seals new backups), then the fallbacks (they only open
    backups sealed before a rotation)."""
    texts = [settings.BACKUP_KEY, *settings.BACKUP_KEY_FALLBACKS]
    texts = [text.strip() for text in texts if text.strip()]
    if not texts:
        raise BackupError(
            "TAPESTRY_BACKUP_KEY is not set. Backups are encrypted with it: make one with "
            "`manage.py backup --new-key`, keep it apart from the backups (a password manager "
            "or a vault), and set it. --no-encrypt writes a backup in the clear instead."
        )
    keys = []
    for position, text in enumerate(texts):
        try:
            keys.append(Fernet(text.encode()))
        except ValueError as error:
            name = "TAPESTRY_BACKUP_KEY" if position == 0 else "TAPESTRY_BACKUP_KEY_FALLBACKS"
            raise BackupError(
                f"{name} holds a value that is not a backup key (32 random bytes in URL-safe "
                f"base64, as `manage.py backup --new-key` prints): {error}"
            ) from error
    return MultiFernet(keys)


# --- sealed files -------------------------------------------------------------------------


def _chunks_of(stream: IO[bytes]) -> Iterator[bytes]:
    while chunk := stream.read(CHUNK_BYTES):
        yield chunk


def _rechunked(chunks: Iterable[bytes]) -> Iterator[tuple[bytes, bool]]:
    """`chunks` regrouped in CHUNK_BYTES pieces, each with whether it is the last one (an empty
    input gives one empty last piece, so every sealed file has a last chunk)."""
    pending = b""
    held: bytes | None = None
    for chunk in chunks:
        pending += chunk
        while len(pending) >= CHUNK_BYTES:
            if held is not None:
                yield held, False
            held, pending = pending[:CHUNK_BYTES], pending[CHUNK_BYTES:]
    if pending:
        if held is not None:
            yield held, False
        held = pending
    yield (held if held is not None else b""), True


@dataclass(frozen=True)
class StoredFile:
    name: str  # the name in the backup: "database.pgdump", "media/...", "research/..."
    path: str  # where it sits in the backup directory
    size: int  # plaintext bytes
    sha256: str  # of the plaintext
    stored_sha256: str  # of the file as stored (sealed or not)

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "path": self.path,
            "size": self.size,
            "sha256": self.sha256,
            "stored_sha256": self.stored_sha256,
        }


class _Writer:
    """Writes files into a backup directory, sealed with `fernet` (None: in the clear)."""

    def __init__(self, root: Path, fernet: Fernet | None) -> None:
        self.root, self.fernet = root, fernet
        self.files: list[StoredFile] = []

    def add(self, name: str, chunks: Iterable[bytes]) -> StoredFile:
        path = name + ".enc" if self.fernet else name
        target = self.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        plain, stored, size = hashlib.sha256(), hashlib.sha256(), 0
        with target.open("wb") as out:

            def write(data: bytes) -> None:
                stored.update(data)
                out.write(data)

            if self.fernet is None:
                for chunk in chunks:
                    plain.update(chunk)
                    size += len(chunk)
                    write(chunk)
            else:
                write(SEALED_MAGIC)
                for index, (chunk, last) in enumerate(_rechunked(chunks)):
                    plain.update(chunk)
                    size += len(chunk)
                    # Stored as raw bytes, not Fernet's base64 text: a third smaller.
                    token = base64.urlsafe_b64decode(
                        self.fernet.encrypt(_CHUNK_HEADER.pack(index, last) + chunk)
                    )
                    write(_FRAME_LENGTH.pack(len(token)) + token)
        stored_file = StoredFile(name, path, size, plain.hexdigest(), stored.hexdigest())
        self.files.append(stored_file)
        return stored_file


def _opened(path: Path, fernet: Fernet | None) -> Iterator[bytes]:
    """The plaintext of a stored file, chunk by chunk; raises BackupError if a chunk does not
    open, is out of order, or the file ends before its last chunk."""
    with path.open("rb") as stored:
        if fernet is None:
            yield from _chunks_of(stored)
            return
        if stored.read(len(SEALED_MAGIC)) != SEALED_MAGIC:
            raise BackupError(f"{path.name} is not a sealed backup file.")
        expected = 0
        while header := stored.read(_FRAME_LENGTH.size):
            (length,) = _FRAME_LENGTH.unpack(header)
            token = stored.read(length)
            try:
                opened = fernet.decrypt(base64.urlsafe_b64encode(token))
            except InvalidToken as error:
                raise BackupError(f"{path.name} was changed after the backup.") from error
            index, last = _CHUNK_HEADER.unpack(opened[: _CHUNK_HEADER.size])
            if index != expected:
                raise BackupError(f"{path.name} has its parts out of order.")
            yield opened[_CHUNK_HEADER.size :]
            if last:
                if stored.read(1):
                    raise BackupError(f"{path.name} has bytes after its end.")
                return
            expected += 1
        raise BackupError(f"{path.name} is cut short.")


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in _chunks_of(stream):
            digest.update(chunk)
    return digest.hexdigest()


# --- the database ----------------------------------------------------------------------------


@dataclass(frozen=True)
class DatabaseState:
    tables: dict[str, int]  # table -> rows
    migrations: dict[str, list[str]]  # app -> applied migrations, in name order


def _state_from(cursor: Any, tables: list[str], quote: Callable[[str], str]) -> DatabaseState:
    counts = {}
    for table in sorted(tables):
        cursor.execute(f"SELECT COUNT(*) FROM {quote(table)}")  # noqa: S608 - a table name
        counts[table] = int(cursor.fetchone()[0])
    migrations: dict[str, list[str]] = {}
    if "django_migrations" in counts:
        cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
        for app, name in cursor.fetchall():
            migrations.setdefault(app, []).append(name)
    return DatabaseState(counts, migrations)


def database_state(*, using: str = "default") -> DatabaseState:
    """Every table's row count and the applied migrations, as the database holds them now."""
    connection = connections[using]
    with connection.cursor() as cursor:
        return _state_from(
            cursor, connection.introspection.table_names(cursor), connection.ops.quote_name
        )


def _postgres_environment(connection: BaseDatabaseWrapper) -> dict[str, str]:
    """libpq's variables for the connection, so no password appears in a process list."""
    config = connection.settings_dict
    values = {
        "PGHOST": config.get("HOST") or "",
        "PGPORT": str(config.get("PORT") or ""),
        "PGUSER": config.get("USER") or "",
        "PGPASSWORD": config.get("PASSWORD") or "",
        "PGDATABASE": config["NAME"],
        "PGSSLMODE": (config.get("OPTIONS") or {}).get("sslmode", ""),
    }
    return {**os.environ, **{name: value for name, value in values.items() if value}}


def _program(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} is not installed; it comes with PostgreSQL's client programs "
            "(Debian: apt-get install postgresql-client, the server's major version or newer)."
        )
    return found


def _postgres_dump(connection: BaseDatabaseWrapper, writer: _Writer) -> DatabaseState:
    """pg_dump --format=custom into the backup, and the row counts of the very snapshot the
    dump reads (a transaction that exports its snapshot to pg_dump), so they always agree."""
    if connection.in_atomic_block:
        raise BackupError("A backup cannot run inside a database transaction.")
    program = _program("pg_dump")
    connection.ensure_connection()
    connection.set_autocommit(False)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            state = _state_from(
                cursor, connection.introspection.table_names(cursor), connection.ops.quote_name
            )
        with tempfile.TemporaryFile() as errors:
            process = subprocess.Popen(
                [program, "--format=custom", f"--snapshot={snapshot}"],
                stdout=subprocess.PIPE,
                stderr=errors,
                env=_postgres_environment(connection),
            )
            assert process.stdout is not None
            writer.add(DATABASE_FILES["postgresql"], _chunks_of(process.stdout))
            if process.wait() != 0:
                errors.seek(0)
                raise BackupError(f"pg_dump failed: {errors.read().decode(errors='replace')}")
    finally:
        connection.rollback()
        connection.set_autocommit(True)
    return state


def _sqlite_with_collations(path: Path) -> sqlite3.Connection:
    """A plain sqlite3 connection that knows the ICU collations the schema names."""
    copy = sqlite3.connect(path)
    for name, locale in COLLATION_LOCALES.items():
        copy.create_collation(name, _compare_by(locale))
    return copy


def _compare_by(locale: str) -> Callable[[str, str], int]:
    collator = icu.Collator.createInstance(icu.Locale.forLanguageTag(locale))

    def compare(left: str, right: str) -> int:
        return int(collator.compare(left, right))

    return compare


def _sqlite_dump(connection: BaseDatabaseWrapper, writer: _Writer) -> DatabaseState:
    """SQLite's online backup of the live database into a copy (consistent even while the
    site writes), counted from the copy itself, then sealed into the backup."""
    connection.ensure_connection()
    copy_path = writer.root / "database.sqlite3.copy"
    copy = _sqlite_with_collations(copy_path)
    try:
        connection.connection.backup(copy)
        cursor = copy.cursor()
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
        tables = [row[0] for row in cursor.fetchall()]
        state = _state_from(cursor, tables, connection.ops.quote_name)
    finally:
        copy.close()
    try:
        with copy_path.open("rb") as stream:
            writer.add(DATABASE_FILES["sqlite"], _chunks_of(stream))
    finally:
        copy_path.unlink()
    return state


def _postgres_restore(connection: BaseDatabaseWrapper, chunks: Iterable[bytes]) -> None:
    """pg_restore from the opened dump on its standard input (no plaintext on disk), in one
    transaction: a failure leaves the target as empty as it was."""
    program = _program("pg_restore")
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(
            [
                program,
                "--no-owner",
                "--no-acl",
                "--exit-on-error",
                "--single-transaction",
                f"--dbname={connection.settings_dict['NAME']}",
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=errors,
            env=_postgres_environment(connection),
        )
        assert process.stdin is not None
        try:
            for chunk in chunks:
                process.stdin.write(chunk)
            process.stdin.close()
        except BrokenPipeError:
            pass  # pg_restore stopped early; its own error follows
        finally:
            code = process.wait()
        if code != 0:
            errors.seek(0)
            raise BackupError(f"pg_restore failed: {errors.read().decode(errors='replace')}")


def _sqlite_restore(connection: BaseDatabaseWrapper, chunks: Iterable[bytes]) -> None:
    """The copy opened into a private temporary file beside the target (where the database
    lies in the clear anyway), then copied into the target database with SQLite's backup API
    (which also suits a database the target connection holds open)."""
    name = str(connection.settings_dict["NAME"])
    in_memory = name == ":memory:" or "mode=memory" in name
    work = None if in_memory else Path(name).resolve().parent
    with tempfile.NamedTemporaryFile(dir=work, suffix=".sqlite3", delete=False) as opened:
        for chunk in chunks:
            opened.write(chunk)
    source = sqlite3.connect(opened.name)
    try:
        connection.ensure_connection()
        source.backup(connection.connection)
    finally:
        source.close()
        Path(opened.name).unlink()


# --- files ---------------------------------------------------------------------------------


def _storage_names(storage: Storage, folder: str = "") -> Iterator[str]:
    """Every file name in the storage, through Django's storage API (local or S3 alike)."""
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:
        return  # a storage that never held a file has no folder yet
    for name in sorted(files):
        yield posixpath.join(folder, name) if folder else name
    for name in sorted(folders):
        yield from _storage_names(storage, posixpath.join(folder, name) if folder else name)


def _files_under(root: Path) -> Iterator[tuple[str, Path]]:
    """(relative posix name, path) of every file at or under `root`, in a stable order."""
    if root.is_file():
        yield root.name, root
        return
    for path in sorted(root.rglob("*")):
        if path.is_file():
            yield path.relative_to(root).as_posix(), path


def _safe_name(name: str) -> str:
    """A name from the manifest, refused if it would write outside its folder."""
    parts = name.split("/")
    if name.startswith("/") or any(part in ("", ".", "..") for part in parts):
        raise BackupError(f"The backup names a file outside its folders: {name!r}.")
    return name


# --- backup -------------------------------------------------------------------------------


@dataclass(frozen=True)
class BackupResult:
    path: Path
    seconds: float
    bytes: int
    files: int
    tables: int
    rows: int


def _git_commit() -> str:
    git = shutil.which("git")
    if git is None:
        return ""
    try:
        found = subprocess.run(
            [git, "rev-parse", "HEAD"],
            cwd=settings.BASE_DIR,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
    except (subprocess.SubprocessError, OSError):
        return ""  # not a git checkout (an installed release): the manifest says so
    return found.stdout.strip()


def backup_create(
    *, output: Path, encrypt: bool = True, using: str = "default", keep: int = 0
) -> BackupResult:
    """Write a backup of the database, the media storage and every registered part to a new
    directory in `output`; returns where and how big. Written under a hidden name and renamed
    when complete, so a half-written backup never looks like one. With `keep`, only the newest
    `keep` backups in `output` are kept.
    """
    started = time.perf_counter()
    connection = connections[using]
    if connection.vendor not in DATABASE_FILES:
        raise BackupError(f"Backups support PostgreSQL and SQLite, not {connection.vendor}.")
    created_at = timezone.now()
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "created_at": created_at.isoformat(),
        "commit": _git_commit(),
        "encrypted": encrypt,
    }
    data_key: Fernet | None = None
    if encrypt:
        raw_key = Fernet.generate_key()
        manifest["data_key"] = _master_keys().encrypt(raw_key).decode()
        data_key = Fernet(raw_key)
    output.mkdir(parents=True, exist_ok=True)
    name = f"tapestry-{created_at.astimezone(datetime.UTC):%Y%m%dT%H%M%S%fZ}"
    partial = output / f".{name}.partial"
    partial.mkdir(mode=0o700)
    try:
        writer = _Writer(partial, data_key)
        dump = _postgres_dump if connection.vendor == "postgresql" else _sqlite_dump
        state = dump(connection, writer)
        manifest["database"] = {
            "vendor": connection.vendor,
            "file": DATABASE_FILES[connection.vendor],
            "tables": state.tables,
            "migrations": state.migrations,
        }
        media = 0
        for media_name in _storage_names(default_storage):
            try:
                with default_storage.open(media_name, "rb") as stream:
                    writer.add(f"media/{media_name}", _chunks_of(stream))
            except FileNotFoundError:
                # Deleted since the listing (the database dump was taken first, so the row
                # that pointed at it is gone from the dump too, or will be soon).
                logger.warning("backup: media file %s vanished while the backup ran", media_name)
                continue
            media += 1
        manifest["media_files"] = media
        manifest["parts"] = {}
        for part, roots in sorted(_parts.items()):
            manifest["parts"][part] = {}
            for label, root in sorted(roots().items()):
                root = root.resolve()
                _safe_name(label)
                manifest["parts"][part][label] = {"path": str(root), "file": root.is_file()}
                for relative, path in _files_under(root):
                    with path.open("rb") as stream:
                        writer.add(f"{part}/{label}/{relative}", _chunks_of(stream))
        manifest["files"] = [stored.as_json() for stored in writer.files]
        manifest["seconds"] = round(time.perf_counter() - started, 2)
        text = json.dumps(manifest, indent=2, sort_keys=True).encode()
        (partial / MANIFEST).write_bytes(text)
        if data_key is not None:
            (partial / SIGNATURE).write_bytes(
                data_key.encrypt(hashlib.sha256(text).hexdigest().encode())
            )
        final = output / name
        partial.rename(final)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    if keep:
        backups_prune(output=output, keep=keep)
    size = sum(path.stat().st_size for path in final.rglob("*") if path.is_file())
    return BackupResult(
        path=final,
        seconds=round(time.perf_counter() - started, 2),
        bytes=size,
        files=len(writer.files),
        tables=len(state.tables),
        rows=sum(state.tables.values()),
    )


def backups_prune(*, output: Path, keep: int) -> list[Path]:
    """Delete all but the newest `keep` complete backups in `output`; returns those deleted."""
    complete = sorted(
        path for path in output.glob("tapestry-*") if (path / MANIFEST).is_file() and path.is_dir()
    )
    doomed = complete[:-keep] if keep > 0 else []
    for path in doomed:
        shutil.rmtree(path)
    return doomed


# --- restore ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RestoreResult:
    seconds: float
    tables: int
    rows: int
    media_files: int
    part_files: int
    migrations_behind: list[str]  # migrations this code has that the backup had not applied


@dataclass(frozen=True)
class _Opened:
    manifest: dict[str, Any]
    fernet: Fernet | None
    files: list[StoredFile]


def backup_open(*, path: Path) -> _Opened:
    """Read a backup's manifest, check it with the backup key, and check every file's size
    and checksum, reading everything and writing nothing. Raises BackupError on the first
    thing wrong."""
    manifest_path = path / MANIFEST
    if not manifest_path.is_file():
        raise BackupError(f"{path} is not a Tapestry backup (it has no {MANIFEST}).")
    text = manifest_path.read_bytes()
    try:
        manifest = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise BackupError(f"{MANIFEST} is damaged: {error}.") from error
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{MANIFEST} is damaged or of an unknown format.")
    fernet: Fernet | None = None
    if manifest.get("encrypted", True):
        try:
            fernet = Fernet(_master_keys().decrypt(str(manifest["data_key"]).encode()))
        except (InvalidToken, KeyError) as error:
            raise BackupError(
                "The backup key does not open this backup: neither TAPESTRY_BACKUP_KEY nor any "
                "of TAPESTRY_BACKUP_KEY_FALLBACKS is the key it was made with (after a "
                "rotation, put the old key in TAPESTRY_BACKUP_KEY_FALLBACKS)."
            ) from error
        try:
            signed = fernet.decrypt((path / SIGNATURE).read_bytes())
        except (InvalidToken, FileNotFoundError) as error:
            raise BackupError(f"{SIGNATURE} is missing or damaged.") from error
        if signed != hashlib.sha256(text).hexdigest().encode():
            raise BackupError(f"{MANIFEST} was changed after the backup was made.")
    else:
        logger.warning("restore: %s is not encrypted, so its manifest is not signed", path)
    files = [StoredFile(**entry) for entry in manifest["files"]]
    for stored in files:
        _safe_name(stored.name)
        stored_path = path / _safe_name(stored.path)
        if not stored_path.is_file():
            raise BackupError(f"{stored.path} is missing from the backup.")
        if _sha256_of(stored_path) != stored.stored_sha256:
            raise BackupError(f"{stored.path} does not match its checksum: the backup is damaged.")
    return _Opened(manifest, fernet, files)


def _opened_checked(path: Path, stored: StoredFile, fernet: Fernet | None) -> Iterator[bytes]:
    """The plaintext of `stored`; raises BackupError at the end if it is not what was saved."""
    digest, size = hashlib.sha256(), 0
    for chunk in _opened(path / stored.path, fernet):
        digest.update(chunk)
        size += len(chunk)
        yield chunk
    if (size, digest.hexdigest()) != (stored.size, stored.sha256):
        raise BackupError(f"{stored.name} does not match its checksum once opened.")


def _part_targets(manifest: dict[str, Any], stored: StoredFile) -> Path:
    part, label_and_rest = stored.name.split("/", 1)
    for label, root in manifest["parts"].get(part, {}).items():
        if root["file"] and label_and_rest.startswith(f"{label}/"):
            return Path(root["path"])
        if label_and_rest.startswith(f"{label}/"):
            return Path(root["path"]) / label_and_rest[len(label) + 1 :]
    raise BackupError(f"The backup holds {stored.name}, which belongs to no registered folder.")


def backup_restore(*, path: Path, using: str = "default") -> RestoreResult:
    """Restore the backup in `path` into an empty host: the database `using`, the default
    storage and the registered parts' folders.

    Everything is checked before anything is written: the key, every checksum, that the
    database vendor matches, that this code knows every migration the backup had applied,
    that the database has no table and that no file to restore already exists. Then the
    database, the media and the parts are restored, each file checked again as it is written,
    and the row counts compared with the backup's. Raises BackupError with the reason.
    """
    started = time.perf_counter()
    opened = backup_open(path=path)
    manifest, fernet = opened.manifest, opened.fernet
    connection = connections[using]
    vendor = manifest["database"]["vendor"]
    if vendor != connection.vendor:
        raise BackupError(
            f"This backup holds a {vendor} database and the target is {connection.vendor}: "
            "restore into the same kind of database (moving between kinds is not supported)."
        )
    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    applied = {
        (app, name) for app, names in manifest["database"]["migrations"].items() for name in names
    }
    unknown = sorted(applied - known)
    if unknown:
        raise BackupError(
            "This backup was made by newer code: it has migrations this code lacks ("
            + ", ".join(f"{app}.{name}" for app, name in unknown[:5])
            + f"). Restore with the code of commit {manifest.get('commit') or 'its time'}."
        )
    tables = connection.introspection.table_names()
    if tables:
        raise BackupError(
            f"The target database {connection.settings_dict['NAME']} is not empty (it has "
            f"{len(tables)} tables). Restore into a new, empty database."
        )
    media = [stored for stored in opened.files if stored.name.startswith("media/")]
    for stored in media:
        if default_storage.exists(stored.name.removeprefix("media/")):
            raise BackupError(
                f"The media storage already holds {stored.name}; restore needs it empty."
            )
    part_files = [
        (stored, _part_targets(manifest, stored))
        for stored in opened.files
        if stored.name.split("/", 1)[0] in manifest["parts"]
    ]
    for _stored, target in part_files:
        if target.exists():
            raise BackupError(f"{target} already exists; restore needs the folder empty.")

    database_file = next(
        stored for stored in opened.files if stored.name == manifest["database"]["file"]
    )
    chunks = _opened_checked(path, database_file, fernet)
    if vendor == "postgresql":
        _postgres_restore(connection, chunks)
    else:
        _sqlite_restore(connection, chunks)
    for stored in media:
        name = stored.name.removeprefix("media/")
        with tempfile.TemporaryFile() as spool:
            for chunk in _opened_checked(path, stored, fernet):
                spool.write(chunk)
            spool.seek(0)
            saved = default_storage.save(name, File(spool, name=posixpath.basename(name)))
        if saved != name:
            raise BackupError(f"The media storage saved {name} as {saved}.")
    for stored, target in part_files:
        target.parent.mkdir(parents=True, exist_ok=True)
        writing = target.with_name(f".{target.name}.restoring")
        with writing.open("wb") as out:
            for chunk in _opened_checked(path, stored, fernet):
                out.write(chunk)
        writing.rename(target)

    state = database_state(using=using)
    expected = manifest["database"]["tables"]
    different = sorted(
        table
        for table in expected.keys() | state.tables.keys()
        if expected.get(table) != state.tables.get(table)
    )
    if different:
        raise BackupError(
            "The restored database does not hold the rows the backup counted: "
            + ", ".join(
                f"{table} ({state.tables.get(table)} of {expected.get(table)})"
                for table in different[:10]
            )
        )
    executor = MigrationExecutor(connection)
    behind = [
        f"{migration.app_label}.{migration.name}"
        for migration, _backwards in executor.migration_plan(executor.loader.graph.leaf_nodes())
    ]
    return RestoreResult(
        seconds=round(time.perf_counter() - started, 2),
        tables=len(state.tables),
        rows=sum(state.tables.values()),
        media_files=len(media),
        part_files=len(part_files),
        migrations_behind=behind,
    )
