"""Reports read from a PostgreSQL read replica; everything else stays on the primary.

With `TAPESTRY_REPLICA_DATABASE_URL` set the settings add a `replica` database alias. Nothing
reads from it unless the code says so: a report view wraps its heavy, read-only queries in
`reading_from_replica()`, and only inside that block do reads go to the replica. Writes always
go to the primary, inside the block too, and so does every read outside it: a page that reads
what it has just written must never see a replica that is a few hundred milliseconds behind.

A replica that cannot be reached is not an error for the person reading the report: the block
falls back to the primary, logs a warning, and does not try the replica again for
`DATABASE_REPLICA_RETRY_SECONDS` (so a dead replica costs one failed connection per process per
interval, not one per request). See docs/adr/0029-scale-out.md.
"""

import contextvars
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

logger = logging.getLogger(__name__)

REPLICA_DB_ALIAS = "replica"

# A context variable, not a thread-local: it follows the request into async code and is reset
# by the `with` block whatever happens inside it.
_reading_from_replica: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "tapestry_reading_from_replica", default=False
)
# When the replica last failed: shared by the process's threads, guarded by the lock.
_replica_down_until = 0.0
_replica_down_lock = threading.Lock()


def replica_configured() -> bool:
    return REPLICA_DB_ALIAS in settings.DATABASES


def _replica_reachable() -> bool:
    global _replica_down_until
    if time.monotonic() < _replica_down_until:
        return False
    try:
        connections[REPLICA_DB_ALIAS].ensure_connection()
    except DatabaseError as error:
        with _replica_down_lock:
            _replica_down_until = time.monotonic() + settings.DATABASE_REPLICA_RETRY_SECONDS
        logger.warning(
            "The read replica cannot be reached; reports read from the primary for the next "
            "%s s: %s",
            settings.DATABASE_REPLICA_RETRY_SECONDS,
            error,
        )
        return False
    return True


@contextmanager
def reading_from_replica() -> Iterator[bool]:
    """Inside this block, reads go to the read replica when one is configured and reachable;
    writes (and `select_for_update`, `get_or_create`) still go to the primary.

    Use it only around read-only report queries that tolerate data a little behind (seconds
    at most): never around a read that must see a write made earlier in the same request.
    Evaluate the querysets inside the block: one evaluated after it reads from the primary.
    Yields whether the replica is in use (False without a replica, or when it is down).
    """
    use_replica = replica_configured() and _replica_reachable()
    token = _reading_from_replica.set(use_replica)
    try:
        yield use_replica
    finally:
        _reading_from_replica.reset(token)


class PrimaryReplicaRouter:
    """Django's database router for the primary and its optional read replica."""

    def db_for_read(self, model: type[Any], **hints: Any) -> str:
        # Explicit even outside the block: left to Django, a row read from the replica would
        # take its related rows from the replica later in the request too.
        return REPLICA_DB_ALIAS if _reading_from_replica.get() else DEFAULT_DB_ALIAS

    def db_for_write(self, model: type[Any], **hints: Any) -> str:
        # Explicit: left to Django, saving a row read from the replica would write to it.
        return DEFAULT_DB_ALIAS

    def allow_relation(self, first: Any, second: Any, **hints: Any) -> bool:
        return True  # the replica holds the same rows as the primary

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        # The replica's schema comes from the primary through replication.
        return False if db == REPLICA_DB_ALIAS else None
