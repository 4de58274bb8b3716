"""Tapestry settings. This is the one place that reads the environment."""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def _env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def _env_bool(name: str, default: bool = False) -> bool:
    return _env(name, "1" if default else "0").lower() in {"1", "true", "yes", "on"}


# `TAPESTRY_ENV=production` is the one documented way to run Tapestry for real
# (docs/operations.md): it turns the safe defaults on and refuses to start while anything a
# production site needs is missing or unsafe (see `_production_problems` at the end).
ENVIRONMENT = _env("TAPESTRY_ENV", "development")
if ENVIRONMENT not in {"development", "production"}:
    raise ImproperlyConfigured(
        f"TAPESTRY_ENV is {ENVIRONMENT!r}; it must be 'development' or 'production'."
    )
PRODUCTION = ENVIRONMENT == "production"

DEBUG = _env_bool("TAPESTRY_DEBUG")
# No fallback outside DEBUG: a key written in the code would sign the sessions and password-reset
# links of every deployment that forgot to set one, so refuse to start instead. `make` writes a
# random key to var/secret_key once and passes it; tests use config/settings_test.py.
SECRET_KEY = _env("TAPESTRY_SECRET_KEY")
if not SECRET_KEY and DEBUG:
    SECRET_KEY = "insecure-debug-only-key-" + "x" * 40  # local development with DEBUG on only
if not SECRET_KEY:
    raise ImproperlyConfigured(
        "TAPESTRY_SECRET_KEY is not set. Set it to a long random value, for example "
        "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`; `make demo` and "
        "`make test` create one in var/secret_key."
    )
# Signing keys retired by a rotation: what they signed (sessions, password-reset links, signed
# cookies) still verifies until they are dropped from this list (docs/operations.md).
SECRET_KEY_FALLBACKS = [k for k in _env("TAPESTRY_SECRET_KEY_FALLBACKS").split(",") if k]
ALLOWED_HOSTS = [
    h
    for h in _env(
        "TAPESTRY_ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver"
    ).split(",")
    if h
]
CSRF_TRUSTED_ORIGINS = [o for o in _env("TAPESTRY_CSRF_TRUSTED_ORIGINS").split(",") if o]
SITE_URL = _env("TAPESTRY_SITE_URL", "http://127.0.0.1:8000")
# The name people see in emails and page titles.
SITE_NAME = "Tapestry"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "django_tasks_db",
    "ninja",
    "tapestry.core",
    "tapestry.accounts",
    "tapestry.network",
    "tapestry.research",
    "tapestry.surveys",
    "tapestry.learning",
    "tapestry.engagement",
    "tapestry.funding",
    "tapestry.resources",
    "tapestry.sharing",
]

MIDDLEWARE = [
    # First: every later middleware's log lines carry the request id, and the time measured
    # covers them all.
    "tapestry.core.observability.context.RequestIdMiddleware",
    "tapestry.core.observability.metrics.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Outside everything that reads the session or the user: the database unavailable answers
    # 503, the storage full 507, each a page in the person's language (tapestry/core/resilience.py).
    "tapestry.core.resilience.ServiceUnavailableMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "tapestry.core.middleware.PreferredLanguageMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "tapestry.core.middleware.PermissionsPolicyMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "tapestry.accounts.middleware.RequireStaffTwoFactorMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
    {
        # Plain-text email: the same templates, rendered without HTML escaping, so a name such
        # as "Cheyenne Children's Hospital" reads as written (core.api.email_render).
        "NAME": "email",
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {"autoescape": False},
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        _env("DATABASE_URL", f"sqlite:///{BASE_DIR / 'var' / 'tapestry.sqlite3'}"),
        # Production keeps each connection for a minute of requests instead of opening one per
        # request. A kept connection is checked before a request uses it, so after PostgreSQL
        # restarts the next request reconnects instead of failing on a dead socket.
        conn_max_age=int(_env("TAPESTRY_DB_CONN_MAX_AGE", "60" if PRODUCTION else "0")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the worker and the web server read and write the same file side by side.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
# A read replica for reports (docs/adr/0029-scale-out.md): with this URL set, report views read
# from it inside `core.api.reading_from_replica()`; every write and every other read stays on
# the primary. Same engine as the primary. Its sessions are read-only (a real streaming replica
# refuses writes anyway); a replica that is down is retried after so many seconds, and the
# connection gives up quickly so the report falls back to the primary instead of hanging. In
# tests it mirrors the default database (no second test database is made).
_REPLICA_URL = _env("TAPESTRY_REPLICA_DATABASE_URL")
if _REPLICA_URL:
    DATABASES["replica"] = dj_database_url.parse(
        _REPLICA_URL,
        conn_max_age=DATABASES["default"]["CONN_MAX_AGE"],
        conn_health_checks=True,
    )
    if DATABASES["replica"]["ENGINE"] != DATABASES["default"]["ENGINE"]:
        raise ImproperlyConfigured(
            "TAPESTRY_REPLICA_DATABASE_URL must name the same database engine as DATABASE_URL."
        )
    if DATABASES["replica"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["replica"]["OPTIONS"] = {
            "connect_timeout": int(_env("TAPESTRY_REPLICA_CONNECT_TIMEOUT", "3")),
            "options": "-c default_transaction_read_only=on",
        }
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["tapestry.core.db_router.PrimaryReplicaRouter"]
DATABASE_REPLICA_RETRY_SECONDS = int(_env("TAPESTRY_REPLICA_RETRY_SECONDS", "30"))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# While the database is unavailable, pages and the API answer 503 with this Retry-After.
UNAVAILABLE_RETRY_AFTER_SECONDS = int(_env("TAPESTRY_UNAVAILABLE_RETRY_AFTER_SECONDS", "30"))

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if _env_bool("TAPESTRY_FAST_PASSWORD_HASHER"):
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Accounts (django-allauth)
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
# Confirming the address in the browser that signed up signs the person in and takes them on
# to where they were going (e.g. the join form with their draft), not to the sign-in page.
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_ADAPTER = "tapestry.accounts.adapter.AccountAdapter"
ACCOUNT_USER_DISPLAY = "tapestry.accounts.adapter.user_display"
ACCOUNT_FORMS = {"signup": "tapestry.accounts.forms.SignupForm"}
# Failed sign-ins back off per address and per account *from that address* (the key is the
# account and the client's IP), so an attacker elsewhere cannot lock the owner out; see
# docs/adr/0012-sign-in-throttling.md. `login_failed_account` caps guesses at one account
# from everywhere, and does not apply to a browser that has signed in to it before.
ACCOUNT_RATE_LIMITS = {
    "login_failed": _env("TAPESTRY_LOGIN_RATE_LIMIT", "10/5m/ip,30/h/ip,5/5m/key,10/h/key"),
    "login_failed_account": _env("TAPESTRY_LOGIN_ACCOUNT_RATE_LIMIT", "50/h/key"),
    "signup": "20/h/ip",
    "reset_password": "20/m/ip,5/m/key",
}
# Behind a reverse proxy every request arrives from the proxy's address, so the per-address
# sign-in limits above would count all visitors as one; set this to the number of proxies in
# front of gunicorn that append to X-Forwarded-For (1 for one nginx) so allauth reads the
# visitor's address from it. 0 (the default) trusts no header: right with no proxy.
ALLAUTH_TRUSTED_PROXY_COUNT = int(_env("TAPESTRY_TRUSTED_PROXY_COUNT", "0"))
# The API throttle (django-ninja) reads the visitor's address the same way; left unset it would
# trust a client's own X-Forwarded-For and hand a new budget to each made-up address.
NINJA_NUM_PROXIES = ALLAUTH_TRUSTED_PROXY_COUNT
# A browser that signed in to an account is remembered (signed cookie) for this long.
KNOWN_DEVICE_COOKIE = "tapestry_known_device"
KNOWN_DEVICE_MAX_AGE_SECONDS = 365 * 24 * 3600
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Tapestry] "
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Tapestry"
LOGIN_REDIRECT_URL = "accounts:dashboard"
LOGIN_URL = "account_login"

# Roles whose members must sign in with a second factor before they can act.
TWO_FACTOR_REQUIRED_ROLES = [
    "engagement_specialist",
    "reviewer",
    "program_staff",
    "administrator",
    "consortium_staff",
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("es", _("Spanish"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# One date format per language across the site (config/formats/<language>/formats.py).
FORMAT_MODULE_PATH = ["config.formats"]
USE_I18N = True
TIME_ZONE = "America/New_York"
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(_env("TAPESTRY_STATIC_ROOT", str(BASE_DIR / "var" / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploaded files (lesson downloads). Never served from MEDIA_URL directly: each app serves its
# files through a view that checks who may read them.
MEDIA_ROOT = Path(_env("TAPESTRY_MEDIA_ROOT", str(BASE_DIR / "var" / "media")))
MEDIA_URL = "/media/"
# Uploaded files go to MEDIA_ROOT, or with TAPESTRY_S3_BUCKET set to S3-compatible object
# storage (AWS S3, MinIO, Ceph...): private objects, reached only through the apps' views.
_S3_BUCKET = _env("TAPESTRY_S3_BUCKET")
STORAGES = {
    "default": (
        {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": _S3_BUCKET,
                "endpoint_url": _env("TAPESTRY_S3_ENDPOINT_URL") or None,
                "region_name": _env("TAPESTRY_S3_REGION") or None,
                "access_key": _env("TAPESTRY_S3_ACCESS_KEY_ID") or None,
                "secret_key": _env("TAPESTRY_S3_SECRET_ACCESS_KEY") or None,
                "default_acl": "private",
                "querystring_auth": True,
                "file_overwrite": False,
            },
        }
        if _S3_BUCKET
        # A disk that fills mid-write leaves no partial file (tapestry/core/resilience.py).
        else {"BACKEND": "tapestry.core.resilience.DiskFullSafeFileSystemStorage"}
    ),
    # Production serves what `collectstatic` wrote, with content hashes in the names so
    # browsers may cache each file for ever; development serves the source folders as they are.
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "whitenoise.storage.CompressedStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION

# Email: SMTP when configured, otherwise files in var/mail that a person can open.
# One process keeps its own cache by default; several web processes share one through Redis
# (TAPESTRY_CACHE_URL=redis://127.0.0.1:6379/0). The directory caches rendered results.
_CACHE_URL = _env("TAPESTRY_CACHE_URL")
CACHES = {
    "default": (
        # Redis gone: each process serves from its own memory until Redis answers again
        # (tapestry/core/resilience.py); it is asked again this many seconds after a failure.
        {
            "BACKEND": "tapestry.core.resilience.TolerantRedisCache",
            "LOCATION": _CACHE_URL,
            "OPTIONS": {"RECHECK_SECONDS": float(_env("TAPESTRY_CACHE_RECHECK_SECONDS", "5"))},
        }
        if _CACHE_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}
# Sessions: in the database alone by default. With a shared cache, read through it and kept in
# the database as well (Django's cached_db, made to survive Redis being unreachable): any web
# node reads a session another node wrote, at a cache hit's cost, and losing Redis signs no
# one out (ADR 0029)...
if _CACHE_URL:
    SESSION_ENGINE = "tapestry.core.sessions"
# ...for at most this long in the cache, so one whose deletion could not reach Redis is gone
# from the cache within it (tapestry/core/sessions.py).
SESSION_CACHE_SECONDS = int(_env("TAPESTRY_SESSION_CACHE_SECONDS", "300"))

_EMAIL_BACKEND = _env("TAPESTRY_EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
_EMAIL_OPTIONS: dict[str, object] = (
    {
        "host": _env("TAPESTRY_EMAIL_HOST", "127.0.0.1"),
        "port": int(_env("TAPESTRY_EMAIL_PORT", "25")),
        "username": _env("TAPESTRY_EMAIL_USER"),
        "password": _env("TAPESTRY_EMAIL_PASSWORD"),
        "use_tls": _env_bool("TAPESTRY_EMAIL_USE_TLS"),
    }
    if _EMAIL_BACKEND.endswith("smtp.EmailBackend")
    else {"file_path": _env("TAPESTRY_EMAIL_FILE_PATH", str(BASE_DIR / "var" / "mail"))}
    if _EMAIL_BACKEND.endswith("filebased.EmailBackend")
    else {}
)
# Django 6.1's MAILERS replaces EMAIL_BACKEND and EMAIL_HOST/PORT/...; tests swap in locmem.
MAILERS = {"default": {"BACKEND": _EMAIL_BACKEND, "OPTIONS": _EMAIL_OPTIONS}}
DEFAULT_FROM_EMAIL = _env("TAPESTRY_FROM_EMAIL", "Tapestry <no-reply@tapestry.example>")

# Background work: Django's Tasks API with the database backend and its worker.
TASKS = {
    "default": {
        "BACKEND": _env("TAPESTRY_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}
# The worker counts as alive if it has checked in within this many seconds.
WORKER_HEARTBEAT_STALE_SECONDS = 180
# Recovery of tasks whose worker died (core.task_recovery, ADR 0031). `task_worker` and a
# release build write a heartbeat this often; one older than the stale limit (or, on the same
# machine, a process that no longer exists) means the process is gone.
TASK_HEARTBEAT_SECONDS = int(_env("TAPESTRY_TASK_HEARTBEAT_SECONDS", "10"))
TASK_HEARTBEAT_STALE_SECONDS = int(_env("TAPESTRY_TASK_HEARTBEAT_STALE_SECONDS", "60"))
# A task claimed by a worker that writes no heartbeat (a plain `db_worker`) counts as lost
# once it has run this long.
TASK_RECOVERY_LEASE_SECONDS = int(_env("TAPESTRY_TASK_RECOVERY_LEASE_SECONDS", str(6 * 3600)))
# How many times in all a task may be started before a lost run is marked failed instead.
TASK_RECOVERY_MAX_ATTEMPTS = int(_env("TAPESTRY_TASK_RECOVERY_MAX_ATTEMPTS", "3"))
# Tasks whose work is idempotent, run again after their worker died; any other task is marked
# failed ("the worker stopped while running it"). deliver_email is left out on purpose: a
# message may have left before the worker died, and sending it twice is worse than a failed
# row an operator can see.
TASK_RECOVERY_RERUN = frozenset(
    {
        "tapestry.core.tasks.worker_heartbeat",
        "tapestry.core.tasks.task_recovery_task",
        "tapestry.research.tasks.dataset_build_task",
        "tapestry.network.tasks.review_reminders_send_task",
        "tapestry.surveys.tasks.drafts_expire_task",
        "tapestry.learning.tasks.learning_daily_task",
        "tapestry.research.access_tasks.access_changes_review_task",
        "tapestry.engagement.tasks.event_reminders_task",
        "tapestry.engagement.tasks.registrants_retention_task",
        "tapestry.engagement.tasks.kit_overdue_reminders_task",
        "tapestry.funding.tasks.report_reminders_task",
        "tapestry.sharing.tasks.lenders_overdue_task",
        "tapestry.sharing.tasks.deliveries_purge_task",
    }
)
# Only the fault tests set this: long jobs then wait at named checkpoints in this folder
# (core.task_recovery.checkpoint) so a test can kill them mid-way.
TASK_TEST_CHECKPOINT_DIR = _env("TAPESTRY_TEST_CHECKPOINT_DIR")

# Security headers and the Content Security Policy.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# Production is HTTPS only by default; development serves plain HTTP on loopback.
SESSION_COOKIE_SECURE = _env_bool("TAPESTRY_SECURE_COOKIES", PRODUCTION)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = _env_bool("TAPESTRY_SSL_REDIRECT", PRODUCTION)
# HSTS: a year in production (what `check --deploy` asks), off in development.
SECURE_HSTS_SECONDS = int(_env("TAPESTRY_HSTS_SECONDS", "31536000" if PRODUCTION else "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = _env_bool("TAPESTRY_HSTS_INCLUDE_SUBDOMAINS", PRODUCTION)
SECURE_HSTS_PRELOAD = _env_bool("TAPESTRY_HSTS_PRELOAD", PRODUCTION)
# Behind a TLS-terminating proxy, trust its X-Forwarded-Proto so SSL redirects do not loop.
if _env_bool("TAPESTRY_BEHIND_TLS_PROXY"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}

# Plain lines for a person at a terminal; JSON for a log shipper (one object per line), the
# default in production. Either way each record carries the request id (and the signed-in person's
# id, never their email), also in the worker's lines for a task that request enqueued.
TAPESTRY_LOG_FORMAT = _env("TAPESTRY_LOG_FORMAT", "json" if PRODUCTION else "text")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_context": {"()": "tapestry.core.observability.context.RequestContextFilter"}
    },
    "formatters": {
        "text": {"format": "%(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "tapestry.core.observability.context.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_context"],
            "formatter": "json" if TAPESTRY_LOG_FORMAT == "json" else "text",
        }
    },
    "root": {"handlers": ["console"], "level": _env("TAPESTRY_LOG_LEVEL", "INFO")},
}

# Observability (docs/operations.md). /metrics answers a request bearing this token
# (`Authorization: Bearer ...`) or a signed-in staff member; anyone else gets a 404.
TAPESTRY_METRICS_TOKEN = _env("TAPESTRY_METRICS_TOKEN")
# Several web processes (gunicorn workers) share their counts through files in this directory;
# prometheus_client reads the same variable. Empty it before the processes start.
PROMETHEUS_MULTIPROC_DIR = _env("PROMETHEUS_MULTIPROC_DIR")
# Error reports: Sentry's SDK starts when a DSN is set (no personal data is sent).
TAPESTRY_SENTRY_DSN = _env("TAPESTRY_SENTRY_DSN")
TAPESTRY_SENTRY_TRACES_SAMPLE_RATE = float(_env("TAPESTRY_SENTRY_TRACES_SAMPLE_RATE", "0"))
# The deployed version reported with errors; the checkout's git commit when empty.
TAPESTRY_RELEASE = _env("TAPESTRY_RELEASE")
# Functions called with each unhandled request error and failed task (dotted paths).
TAPESTRY_ERROR_REPORTERS = [
    path
    for path in _env(
        "TAPESTRY_ERROR_REPORTERS",
        "tapestry.core.observability.errors.log_reporter"
        + (",tapestry.core.observability.errors.sentry_reporter" if TAPESTRY_SENTRY_DSN else ""),
    ).split(",")
    if path
]

# The network: every figure lives here or in data, never in code.
NETWORK_PAGE_SIZE = 20
NETWORK_DIRECTORY_VERSION_SECONDS = 10
NETWORK_MAX_RADIUS_MILES = 500
NETWORK_DEFAULT_RADIUS_MILES = 25
NETWORK_ANNUAL_REVIEW_DAYS = 365
# Reminders go out this many days before the annual review falls due.
NETWORK_REVIEW_REMINDER_DAYS = [30, 7, 0]
# A link that confirms a liaison email works this many days.
NETWORK_LIAISON_CONFIRMATION_DAYS = 7
# ...and a new one may be asked for this many seconds after the last (no mail-bombing a stranger).
NETWORK_LIAISON_RESEND_SECONDS = 600

# Surveys (issue 8). Anonymous starts per address per hour: a library's computer lab shares one
# address, so the limit is generous; it stops a script filling the database with empty links.
SURVEYS_STARTS_PER_ADDRESS_PER_HOUR = 200
# Answers saved part-way and never submitted are deleted this many days after their last save,
# with their unused one-time links: half-finished answers are not kept for ever.
SURVEYS_DRAFT_DAYS = 90
# For anonymous instruments, a count (or a breakdown cell) of fewer than this many responses is
# never shown, and is protected by complementary suppression (results, evaluation summaries): a
# handful of answers from one course or one library could name the people.
SURVEYS_SMALL_CELL = 5
# Free-text answers per page of results.
SURVEYS_RESULTS_TEXT_PAGE_SIZE = 10
# The JSON API's responses and instruments come in pages of at most this many.
SURVEYS_API_MAX_PAGE_SIZE = 100
# The largest REDCap data dictionary staff may upload (a 500-question dictionary is
# well under 200 KB).
SURVEYS_IMPORT_MAX_BYTES = 1_048_576

# Training (issue 9). Compliance courses pass at this score; completions of required courses
# last this many days, renewal opens on the given day, warnings go out so many days before.
LEARNING_PASS_MARK = 80
LEARNING_COMPLETION_VALID_DAYS = 365
LEARNING_RENEWAL_OPENS_DAY = 330
LEARNING_EXPIRY_WARNING_DAYS = (15, 7, 1)
# A required course assigned by a role is due this many days after the role is granted.
LEARNING_REQUIREMENT_DUE_DAYS = 30
# A quiz allows this many attempts unless its author says otherwise (0 = no limit).
LEARNING_ATTEMPTS_DEFAULT = 3
# Certificate verification by code: checks per address per hour (guessing is refused past it).
LEARNING_VERIFY_PER_ADDRESS_PER_HOUR = 30
# A lesson's downloadable file, and an archive staff may import.
LEARNING_FILE_MAX_BYTES = 20 * 1024 * 1024
LEARNING_ARCHIVE_MAX_BYTES = 2 * 1024 * 1024 * 1024
# The Consumer Health Information Specialization: hours (approved hours) per level, within
# a rolling window of years.
LEARNING_CHIS_LEVELS = {"I": (12, 8), "II": (24, 18)}
LEARNING_CHIS_WINDOW_YEARS = 3
# Who issues the Open Badges 3.0 credentials (the issuer profile's name).
LEARNING_ISSUER_NAME = _env("TAPESTRY_LEARNING_ISSUER_NAME", "Tapestry Training and Education")
# xAPI record store: the most statements GET /api/v1/xapi/statements returns in one page (a
# `limit` of 0 or above it gets this many; `more` links to the rest).
LEARNING_XAPI_MAX_LIMIT = 500
# Compliance reports: working memory PostgreSQL may use for one report query's hash tables.
LEARNING_REPORT_WORK_MEM = _env("TAPESTRY_LEARNING_REPORT_WORK_MEM", "64MB")

# Community engagement: events (issue 10). The finder's page size, default and largest radius.
ENGAGEMENT_EVENTS_PAGE_SIZE = 20
ENGAGEMENT_EVENTS_DEFAULT_RADIUS_MILES = 50
ENGAGEMENT_EVENTS_MAX_RADIUS_MILES = 250
# Registrations per client address per hour (a library's lab shares one address, so it is
# generous); past it the form answers 429.
ENGAGEMENT_REGISTRATIONS_PER_ADDRESS_PER_HOUR = 20
# Registrants' names and emails are erased this many days after the event (counts are kept).
ENGAGEMENT_REGISTRANT_RETENTION_DAYS = int(
    _env("TAPESTRY_ENGAGEMENT_REGISTRANT_RETENTION_DAYS", "90")
)
# The organization and region iCalendar feeds carry events that ended within this many days.
ENGAGEMENT_FEED_PAST_DAYS = 30
# --- Program kits ---
# Community engagement (issue 10): program kits lent by mail (ADR 0021). A reservation is a ship
# date; the borrower mails the kit back on the due date (ship date + loan days); the return
# takes transit days and the desk needs turnaround days to check and restock it, so the next
# ship date is at least due date + transit + turnaround. Reservations are made between the
# minimum and maximum lead days ahead; an organization has at most so many kits at once
# (requested, approved or out on loan).
ENGAGEMENT_KIT_LOAN_DAYS = 42
ENGAGEMENT_KIT_TRANSIT_DAYS = 5
ENGAGEMENT_KIT_TURNAROUND_DAYS = 7
ENGAGEMENT_KIT_MIN_LEAD_DAYS = 14
ENGAGEMENT_KIT_MAX_LEAD_DAYS = 365
ENGAGEMENT_KIT_MAX_ACTIVE_PER_ORGANIZATION = 2
# An overdue kit's borrower is reminded on the first day past the due date, then every so
# many days until it is back.
ENGAGEMENT_KIT_OVERDUE_REMINDER_EVERY_DAYS = 7
# The kit page's availability calendar shows this many months from the current one.
ENGAGEMENT_KIT_CALENDAR_MONTHS = 4
# Kits per page of the public catalog; the largest photo staff may upload.
ENGAGEMENT_KIT_PAGE_SIZE = 12
ENGAGEMENT_KIT_PHOTO_MAX_BYTES = 5 * 1024 * 1024

# Community engagement: activity reports and engagement requests (issue 10). A report's CSV
# upload: the largest file and the most rows it may hold; rows on one report; reports per page.
ENGAGEMENT_REPORT_CSV_MAX_BYTES = 512 * 1024
ENGAGEMENT_REPORT_MAX_ROWS = 500
ENGAGEMENT_REPORTS_PAGE_SIZE = 20

# Community engagement: the outreach dashboard (issue 10). The longest period one view or CSV
# may cover, in months (its figures are grouped by month at the finest).
ENGAGEMENT_OUTREACH_MAX_MONTHS = 60

# Resource sharing (issue 14). Routing asks at most this many lenders; a lender answers within
# its policy's business days (this default for a new policy); business hours for turnaround.
SHARING_MAX_LENDERS = 5
SHARING_DEFAULT_ANSWER_BUSINESS_DAYS = 2
SHARING_BUSINESS_HOURS = (9, 17)
# The CONTU guidelines' "rule of five": articles a year from one journal's recent issues
# (published within this many years before the request) before royalties are due.
SHARING_RULE_OF_FIVE_ARTICLES = 5
SHARING_RULE_OF_FIVE_YEARS = 5
# A delivered PDF: its largest size, and the days its link works before the file is deleted.
SHARING_DELIVERY_MAX_BYTES = 25 * 1024 * 1024
SHARING_DELIVERY_DAYS = 14
# Holdings CSV: the largest file and the most rows one import may hold; lists per page.
SHARING_HOLDINGS_CSV_MAX_BYTES = 2 * 1024 * 1024
SHARING_HOLDINGS_CSV_MAX_ROWS = 5000
SHARING_PAGE_SIZE = 25

API_TOKEN_PREFIX = "tap_"  # noqa: S105 - a public prefix, not a secret
# The lifetimes a person may choose for a new API token (the second is the default).
API_TOKEN_EXPIRY_DAYS = [30, 90, 365]

# Periodic jobs the `scheduler` command hands to the worker: job name -> task and interval.
SCHEDULED_JOBS = {
    "worker-heartbeat": {"task": "tapestry.core.tasks.worker_heartbeat", "every_seconds": 60},
    "network-review-reminders": {
        "task": "tapestry.network.tasks.review_reminders_send_task",
        "every_seconds": 24 * 3600,
    },
    "surveys-drafts-expire": {
        "task": "tapestry.surveys.tasks.drafts_expire_task",
        "every_seconds": 24 * 3600,
    },
    "learning-daily": {
        "task": "tapestry.learning.tasks.learning_daily_task",
        "every_seconds": 24 * 3600,
    },
    "research-access-changes": {
        "task": "tapestry.research.access_tasks.access_changes_review_task",
        "every_seconds": 24 * 3600,
    },
    "engagement-event-reminders": {
        "task": "tapestry.engagement.tasks.event_reminders_task",
        "every_seconds": 3600,
    },
    "engagement-registrants-retention": {
        "task": "tapestry.engagement.tasks.registrants_retention_task",
        "every_seconds": 24 * 3600,
    },
    "engagement-kit-overdue-reminders": {
        "task": "tapestry.engagement.tasks.kit_overdue_reminders_task",
        "every_seconds": 24 * 3600,
    },
    "funding-report-reminders": {
        "task": "tapestry.funding.tasks.report_reminders_task",
        "every_seconds": 24 * 3600,
    },
    "sharing-lenders-overdue": {
        "task": "tapestry.sharing.tasks.lenders_overdue_task",
        "every_seconds": 3600,
    },
    "sharing-deliveries-purge": {
        "task": "tapestry.sharing.tasks.deliveries_purge_task",
        "every_seconds": 24 * 3600,
    },
    "task-recovery": {"task": "tapestry.core.tasks.task_recovery_task", "every_seconds": 60},
}
CSRF_FAILURE_VIEW = "tapestry.core.views.csrf_failure"
PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"
)

# Research data (issue 3): where generated data and releases live, and the program's goals.
RESEARCH_DATA_DIR = Path(_env("TAPESTRY_RESEARCH_DATA_DIR", str(BASE_DIR / "var" / "research")))
RESEARCH_GOAL_MINORITY = 0.50  # share of participants from racial and ethnic minorities
RESEARCH_GOAL_UBR = 0.75  # share from groups underrepresented in biomedical research
RESEARCH_DEMO_PARTICIPANTS = 10_000
# The courses (learning app, by link name) that registered and controlled access require.
RESEARCH_REGISTERED_COURSE = "responsible-conduct-of-research"
RESEARCH_CONTROLLED_COURSE = "controlled-tier-training"
# A workspace states its research purpose in at least this many characters (it is public).
RESEARCH_PURPOSE_MIN_LENGTH = 50
# A researcher's request that staff confirm their identity stays open this many days.
RESEARCH_IDENTITY_REQUEST_OPEN_DAYS = 14
# A staff bypass of an access requirement lasts at most this many days.
RESEARCH_BYPASS_MAX_DAYS = 365

# The JSON API's throttle (django-ninja): requests per address without a token, per token with
# one. Past it, 429 with Retry-After.
API_THROTTLE_ANONYMOUS = _env("TAPESTRY_API_THROTTLE_ANONYMOUS", "120/m")
API_THROTTLE_TOKEN = _env("TAPESTRY_API_THROTTLE_TOKEN", "600/m")

# Backups (issue 15, ADR 0030): `manage.py backup` writes to BACKUP_DIR, every file sealed with
# BACKUP_KEY (`manage.py backup --new-key` makes one; keep it away from the backups). After a
# rotation the old keys, comma-separated, in the fallbacks still open older backups.
BACKUP_DIR = Path(_env("TAPESTRY_BACKUP_DIR", str(BASE_DIR / "var" / "backups")))
BACKUP_KEY = _env("TAPESTRY_BACKUP_KEY")
BACKUP_KEY_FALLBACKS = [k for k in _env("TAPESTRY_BACKUP_KEY_FALLBACKS").split(",") if k.strip()]


def _production_problems() -> list[str]:
    """What a production site must not start without: each a sentence an operator can act on."""
    problems = []
    if DEBUG:
        problems.append("TAPESTRY_DEBUG is on: it shows tracebacks and settings to anyone.")
    if (
        len(SECRET_KEY) < 50
        or len(set(SECRET_KEY)) < 10
        or SECRET_KEY.startswith(("insecure-", "test-only-"))
    ):
        problems.append(
            "TAPESTRY_SECRET_KEY is a default or too weak: use 50 or more random characters."
        )
    if not _env("TAPESTRY_ALLOWED_HOSTS") or "*" in ALLOWED_HOSTS:
        problems.append("TAPESTRY_ALLOWED_HOSTS must name the site's host names (no '*').")
    if not SITE_URL.startswith("https://"):
        problems.append("TAPESTRY_SITE_URL must be the site's https:// address.")
    if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        problems.append("DATABASE_URL must point at PostgreSQL (postgres://...), not SQLite.")
    if not _CACHE_URL:
        problems.append(
            "TAPESTRY_CACHE_URL must point at Redis (redis://...): the web processes share "
            "the cache, rate limits and sessions through it."
        )
    if not _EMAIL_BACKEND.endswith("smtp.EmailBackend") or not _env("TAPESTRY_EMAIL_HOST"):
        problems.append(
            "Mail needs TAPESTRY_EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend "
            "and TAPESTRY_EMAIL_HOST."
        )
    if not _env("TAPESTRY_FROM_EMAIL"):
        problems.append("TAPESTRY_FROM_EMAIL must be the address people receive mail from.")
    return problems


if PRODUCTION and (_problems := _production_problems()):
    raise ImproperlyConfigured(
        "TAPESTRY_ENV=production refuses to start:\n- " + "\n- ".join(_problems)
    )
