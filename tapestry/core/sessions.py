"""Sessions for several web nodes: Django's `cached_db` (Redis in front, the database as the
durable copy) that keeps working while Redis is unreachable. ADR 0029.

Django's own engine already reads through a failed cache and logs a failed cache write, but
checking whether a new session key is taken and deleting a session (sign-in rotates the key,
sign-out deletes it) still raise when Redis is down. Here they fall back to the database. A
delete that could not reach Redis leaves the old copy in the cache; so that a signed-out
session cannot come back from it for long, the cache holds a session for at most
`SESSION_CACHE_SECONDS` (five minutes), refilled from the database on the next request after.
"""

import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.sessions.backends import cached_db
from django.contrib.sessions.models import Session
from django.core.cache import BaseCache
from redis import RedisError

logger = logging.getLogger(__name__)


class SessionStore(cached_db.SessionStore):
    # What Django's engine sets and the type stubs leave out.
    _cache: BaseCache
    _session: dict[str, Any]
    _get_session_from_db: Callable[[], Session | None]

    def _cache_seconds(self, expiry_age: int) -> int:
        return min(expiry_age, settings.SESSION_CACHE_SECONDS)

    def load(self) -> dict[str, Any]:
        try:
            data: dict[str, Any] | None = self._cache.get(self.cache_key)
        except RedisError:
            data = None
        if data is not None:
            return data
        stored = self._get_session_from_db()
        if not stored:
            return {}
        data = self.decode(stored.session_data)
        try:
            self._cache.set(
                self.cache_key,
                data,
                self._cache_seconds(self.get_expiry_age(expiry=stored.expire_date)),
            )
        except RedisError as error:
            logger.warning("Could not cache a session: %s", error)
        return data

    def exists(self, session_key: str | None) -> bool:
        if not session_key:
            return False
        try:
            if (self.cache_key_prefix + session_key) in self._cache:
                return True
        except RedisError as error:
            logger.warning("Could not look a session up in the cache: %s", error)
        return bool(super(cached_db.SessionStore, self).exists(session_key))

    def save(self, must_create: bool = False) -> None:
        super(cached_db.SessionStore, self).save(must_create)
        try:
            self._cache.set(
                self.cache_key, self._session, self._cache_seconds(self.get_expiry_age())
            )
        except RedisError as error:
            logger.warning("Could not cache a session: %s", error)

    def delete(self, session_key: str | None = None) -> None:
        super(cached_db.SessionStore, self).delete(session_key)
        if session_key is None:
            if self.session_key is None:
                return
            session_key = self.session_key
        try:
            self._cache.delete(self.cache_key_prefix + session_key)
        except RedisError as error:
            logger.warning(
                "Could not delete a session from the cache (it expires there within %s s): %s",
                settings.SESSION_CACHE_SECONDS,
                error,
            )
