"""What the site does when something under it breaks: the database, the cache, the disk.

- The database unreachable (restarted, shut down, the connection dropped):
  `ServiceUnavailableMiddleware` answers 503 with a page in the person's language (JSON for the
  API) and a Retry-After header, rendered without touching the database; Django's connection
  handling (CONN_HEALTH_CHECKS) opens a fresh connection once it is back.
- Redis gone: `TolerantRedisCache` serves from this process's memory until Redis answers again,
  so pages keep working and rate limits count per process instead of failing open or locking
  everyone out.
- The disk full: `DiskFullSafeFileSystemStorage` removes what it half wrote and raises
  `StorageFull`; the middleware answers 507 ("nothing was saved").

See docs/operations.md ("Faults") for what an operator sees and does.
"""

import errno
import logging
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from django.core.files.storage import FileSystemStorage
from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.cache import add_never_cache_headers, patch_vary_headers
from django.utils.csp import CSP, build_policy
from django.utils.translation import gettext as _
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

# Errors that mean "the database is not there right now" rather than "this request is wrong":
# refused or dropped connections, an administrator's shutdown, a server starting up (all
# OperationalError), and a connection Django already knows is closed (InterfaceError).
DATABASE_UNAVAILABLE: tuple[type[Exception], ...] = (OperationalError, InterfaceError)
# No space on the device, over the quota, or a file bigger than the process may write.
DISK_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
# Where the JSON API lives: its clients get JSON, not a page.
API_PREFIX = "/api/"
# Set on the request when an inner layer failed with one of these errors (see the signal below).
_FAULT_ATTRIBUTE = "_tapestry_fault"


class StorageFull(OSError):
    """A file could not be stored because the disk (or the quota) is full. Nothing of it was
    kept. Subclasses OSError, so code that already handles OSError keeps working."""


def disk_full(error: BaseException | None) -> bool:
    """Whether `error` says the disk is full (ENOSPC), the quota is used up (EDQUOT) or the file
    is bigger than the process may write (EFBIG)."""
    return isinstance(error, OSError) and error.errno in DISK_FULL_ERRNOS


@dataclass(frozen=True)
class _Fault:
    status: int
    log_message: str

    def heading(self) -> str:
        if self.status == 507:
            return _("There is no room to store this right now")
        return _("Tapestry is briefly unavailable")

    def explanation(self) -> str:
        if self.status == 507:
            return _(
                "The server's storage is full, so nothing you sent was saved. The site's "
                "operators have been told. Please try again later."
            )
        return _(
            "Part of the service is not answering, so we could not finish your request. It "
            "usually comes back within a minute. If you were sending a form, check whether it "
            "was saved before you send it again."
        )


_DATABASE_FAULT = _Fault(503, "database unavailable")
_STORAGE_FAULT = _Fault(507, "storage full")


def _fault_of(error: BaseException | None) -> _Fault | None:
    if isinstance(error, DATABASE_UNAVAILABLE):
        return _DATABASE_FAULT
    if disk_full(error):
        return _STORAGE_FAULT
    return None


def _remember_fault(sender: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
    """Sent by Django inside its handling of an uncaught exception (sys.exception() is the
    error): note the fault on the request, so the middleware replaces the 500 that follows."""
    error = sys.exception()
    if request is not None and _fault_of(error) is not None:
        setattr(request, _FAULT_ATTRIBUTE, error)


class ServiceUnavailableMiddleware:
    """Answer 503 (database unavailable) or 507 (storage full) instead of 500.

    Sits just inside SecurityMiddleware and WhiteNoise and outside everything that reads the
    session or the user. Django turns an exception in an inner middleware (the session read
    in PreferredLanguageMiddleware, the user lookup, the session save) into a 500 at that
    layer before this one sees it, so the fault is noted on the request from the
    got_request_exception signal and the 500 is replaced here; a view's exception arrives in
    process_exception. The answer is rendered with no request context (no context processors:
    no session, no user, no messages), so it cannot fail on the database again.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        got_request_exception.connect(_remember_fault, dispatch_uid="tapestry.core.resilience")

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        try:
            response = self.get_response(request)
        except (OperationalError, InterfaceError, OSError) as raised:
            # Django's 500 handler failed too (its page asked for the user): still answer.
            fault = _fault_of(raised)
            if fault is None:
                raise
            return fault_response(request, fault=fault, error=raised)
        noted = getattr(request, _FAULT_ATTRIBUTE, None)
        fault = _fault_of(noted)
        if fault is not None and response.status_code >= 500:
            return fault_response(request, fault=fault, error=noted)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        fault = _fault_of(exception)
        if fault is None:
            return None
        return fault_response(request, fault=fault, error=exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """Django's handler500. A fault raised outside the views (the session read by a middleware,
    the session saved after the view) answers 503 or 507 right where Django handles it, so the
    log says "Service Unavailable", not "Internal Server Error"; anything else is the site's
    500 page."""
    error = sys.exception()
    fault = _fault_of(error)
    if fault is not None:
        return fault_response(request, fault=fault, error=error)
    from tapestry.core.views import error_500  # the views import models; this module must not

    return error_500(request)


def fault_response(
    request: HttpRequest, *, fault: _Fault, error: BaseException | None
) -> HttpResponse:
    logger.warning(
        "%s %s answered %s (%s): %s",
        request.method,
        request.path,
        fault.status,
        fault.log_message,
        error,
    )
    # From the language cookie or Accept-Language, never from the database: a signed-in
    # person's saved language is there only if PreferredLanguageMiddleware could read it.
    language = translation.get_language_from_request(request)
    response: HttpResponse
    with translation.override(language):
        if request.path.startswith(API_PREFIX):
            response = JsonResponse({"detail": fault.explanation()}, status=fault.status)
        else:
            page = render_to_string(
                "503.html",
                {
                    "heading": fault.heading(),
                    "explanation": fault.explanation(),
                    "status": fault.status,
                },
            )
            response = HttpResponse(page, status=fault.status)
            # The Content Security Policy middleware sits inside this one and never saw it.
            if settings.SECURE_CSP:
                response[CSP.HEADER_ENFORCE] = build_policy(settings.SECURE_CSP)  # type: ignore[arg-type]
    response["Content-Language"] = language
    if fault.status == 503:  # a full disk is not fixed in seconds: no time to come back
        response["Retry-After"] = str(settings.UNAVAILABLE_RETRY_AFTER_SECONDS)
    add_never_cache_headers(response)
    patch_vary_headers(response, ["Accept-Language", "Cookie"])
    return response


# --- The cache: Redis when it answers, this process's memory when it does not ---

_REDIS_DOWN = (RedisConnectionError, RedisTimeoutError)
# A dead Redis should cost milliseconds, not the default of waiting for ever.
DEFAULT_SOCKET_CONNECT_TIMEOUT = 0.25
DEFAULT_SOCKET_TIMEOUT = 0.5
# After a failure Redis is not asked again for this long (every call would otherwise pay the
# connection attempt); then one call tries it again.
DEFAULT_RECHECK_SECONDS = 5.0
# While Redis stays down, the warning is repeated at most this often.
WARNING_EVERY_SECONDS = 60.0


@dataclass
class _Outage:
    down_since: float | None = None
    recheck_at: float = 0.0
    warned_at: float = 0.0


_outages: dict[str, _Outage] = {}
_outages_lock = threading.Lock()


class TolerantRedisCache(RedisCache):
    """Django's Redis cache that, when Redis does not answer, behaves like a local memory cache.

    Django keeps one cache object per thread; the outage state and the fallback memory are per
    process (shared by its threads), keyed by the Redis location. While Redis is down, rate
    limits (allauth's sign-in throttle, the API throttle, the per-address limits) count in each
    process's memory: a limit of N becomes at most N per web process, never unlimited and never
    everyone refused. Values written during the outage stay in that memory; once Redis answers
    again it is used again and the memory is emptied (nothing is copied back: every value in
    this cache is short-lived or recomputed).

    OPTIONS beyond redis-py's: RECHECK_SECONDS (how long after a failure Redis is left alone).
    socket_connect_timeout and socket_timeout default to a quarter and half a second.
    """

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        options = dict(params.get("OPTIONS") or {})
        self._recheck_seconds = float(options.pop("RECHECK_SECONDS", DEFAULT_RECHECK_SECONDS))
        options.setdefault("socket_connect_timeout", DEFAULT_SOCKET_CONNECT_TIMEOUT)
        options.setdefault("socket_timeout", DEFAULT_SOCKET_TIMEOUT)
        super().__init__(server, {**params, "OPTIONS": options})
        self._location = server if isinstance(server, str) else ",".join(server)
        fallback_params: dict[str, Any] = {
            name: params[name]
            for name in ("TIMEOUT", "KEY_PREFIX", "VERSION", "KEY_FUNCTION")
            if name in params
        }
        self._fallback = LocMemCache(f"tapestry-redis-fallback:{self._location}", fallback_params)
        with _outages_lock:
            self._outage = _outages.setdefault(self._location, _Outage())

    @property
    def redis_available(self) -> bool:
        """Whether this process currently uses Redis (False during an outage)."""
        return self._outage.down_since is None

    def _call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        outage = self._outage
        if outage.down_since is not None and time.monotonic() < outage.recheck_at:
            return getattr(self._fallback, name)(*args, **kwargs)
        try:
            result = getattr(super(), name)(*args, **kwargs)
        except _REDIS_DOWN as error:
            self._went_down(error)
            return getattr(self._fallback, name)(*args, **kwargs)
        if outage.down_since is not None:
            self._came_back()
        return result

    def _went_down(self, error: Exception) -> None:
        now = time.monotonic()
        outage = self._outage
        with _outages_lock:
            first = outage.down_since is None
            if first:
                outage.down_since = now
            outage.recheck_at = now + self._recheck_seconds
            warn = first or now - outage.warned_at >= WARNING_EVERY_SECONDS
            if warn:
                outage.warned_at = now
        if warn:
            logger.warning(
                "Redis cache at %s is not answering (%s): this process uses its own memory for "
                "the cache and rate limits until it answers again",
                self._location,
                error,
            )

    def _came_back(self) -> None:
        outage = self._outage
        with _outages_lock:
            if outage.down_since is None:
                return
            seconds = time.monotonic() - outage.down_since
            outage.down_since = None
            outage.recheck_at = 0.0
        # The counts kept meanwhile must not come back at the next outage.
        self._fallback.clear()
        logger.warning(
            "Redis cache at %s answers again after %.1f s; using it again", self._location, seconds
        )

    def add(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> Any:
        return self._call("add", key, value, timeout, version)

    def get(self, key: Any, default: Any = None, version: Any = None) -> Any:
        return self._call("get", key, default, version)

    def set(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> Any:
        return self._call("set", key, value, timeout, version)

    def touch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> Any:
        return self._call("touch", key, timeout, version)

    def delete(self, key: Any, version: Any = None) -> Any:
        return self._call("delete", key, version)

    def get_many(self, keys: Any, version: Any = None) -> Any:
        return self._call("get_many", keys, version)

    def has_key(self, key: Any, version: Any = None) -> Any:
        return self._call("has_key", key, version)

    def incr(self, key: Any, delta: int = 1, version: Any = None) -> Any:
        return self._call("incr", key, delta, version)

    def set_many(self, data: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> Any:
        return self._call("set_many", data, timeout, version)

    def delete_many(self, keys: Any, version: Any = None) -> Any:
        return self._call("delete_many", keys, version)

    def clear(self) -> Any:
        self._fallback.clear()
        return self._call("clear")


# --- Files: nothing half-written is left when the disk fills ---


class DiskFullSafeFileSystemStorage(FileSystemStorage):
    """Django's file storage that, when the disk fills while a file is written, removes the
    part written and raises StorageFull: no truncated file is left for a row to point at.

    The upload paths in Tapestry all hold a fresh random name (uuid4), so the file at `name`
    is the one this call was writing, never another upload's.
    """

    def _save(self, name: str, content: Any) -> str:
        try:
            return str(super()._save(name, content))  # type: ignore[misc]
        except OSError as error:
            if not disk_full(error):
                raise
            partial = self.path(name)
            try:
                self.delete(name)
            except OSError as cleanup_error:
                logger.error("Could not remove the partial file %s: %s", partial, cleanup_error)
            logger.error("Storage full: %s was not stored (%s)", name, error)
            raise StorageFull(error.errno, error.strerror, partial) from error
