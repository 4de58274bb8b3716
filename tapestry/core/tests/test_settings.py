"""The settings as a deployment meets them: started in a fresh process with its environment."""

import os
import socketserver
import subprocess
import sys
import threading
from pathlib import Path
from typing import ClassVar

import pytest

ROOT = Path(__file__).resolve().parents[3]
PRODUCTION_LIKE = {
    "TAPESTRY_ENV": "production",
    "TAPESTRY_SECRET_KEY": "a-production-like-key-0123456789-" + "k" * 30,
    "TAPESTRY_ALLOWED_HOSTS": "tapestry.example",
    "TAPESTRY_SITE_URL": "https://tapestry.example",
    "DATABASE_URL": "postgres://tapestry@db.tapestry.example/tapestry",
    "TAPESTRY_CACHE_URL": "redis://cache.tapestry.example:6379/0",
    "TAPESTRY_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
    "TAPESTRY_EMAIL_HOST": "smtp.tapestry.example",
    "TAPESTRY_FROM_EMAIL": "Tapestry <no-reply@tapestry.example>",
}


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TAPESTRY_", "DJANGO_", "DATABASE_URL", "PROMETHEUS_"))
    }
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_without_a_secret_key_the_site_refuses_to_start() -> None:
    result = _manage("manage.py", "check", env={"TAPESTRY_DEBUG": "0"})

    assert result.returncode == 1
    assert "ImproperlyConfigured: TAPESTRY_SECRET_KEY is not set." in result.stderr


def test_a_production_like_environment_passes_the_deploy_check_without_warnings() -> None:
    result = _manage(
        "-W",
        "error::PendingDeprecationWarning",
        "-W",
        "error::DeprecationWarning",
        "manage.py",
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env=PRODUCTION_LIKE,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "System check identified no issues (0 silenced)."


def test_the_deploy_check_refuses_a_production_site_that_turns_https_off() -> None:
    insecure = {**PRODUCTION_LIKE, "TAPESTRY_SECURE_COOKIES": "0", "TAPESTRY_HSTS_SECONDS": "0"}

    result = _manage("manage.py", "check", "--deploy", "--fail-level", "WARNING", env=insecure)

    assert result.returncode == 1
    assert "security.W004" in result.stderr  # HSTS
    assert "security.W012" in result.stderr  # session cookie not secure


def test_production_turns_https_hashed_static_files_and_connection_reuse_on() -> None:
    result = _manage(
        "-c",
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, "
        "s.SECURE_HSTS_SECONDS, s.DATABASES['default']['CONN_MAX_AGE'], "
        "s.DATABASES['default']['CONN_HEALTH_CHECKS'], s.WHITENOISE_USE_FINDERS, "
        "s.STORAGES['staticfiles']['BACKEND'], s.CACHES['default']['LOCATION'])",
        env=PRODUCTION_LIKE,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "True",
        "True",
        "True",
        "31536000",
        "60",
        "True",
        "False",
        "whitenoise.storage.CompressedManifestStaticFilesStorage",
        "redis://cache.tapestry.example:6379/0",
    ]


@pytest.mark.parametrize(
    ("change", "refusal"),
    [
        ({"TAPESTRY_DEBUG": "1"}, "TAPESTRY_DEBUG is on"),
        ({"TAPESTRY_SECRET_KEY": "short-key"}, "TAPESTRY_SECRET_KEY is a default or too weak"),
        ({"TAPESTRY_SECRET_KEY": "x" * 60}, "TAPESTRY_SECRET_KEY is a default or too weak"),
        ({"TAPESTRY_ALLOWED_HOSTS": ""}, "TAPESTRY_ALLOWED_HOSTS must name the site's host"),
        ({"TAPESTRY_ALLOWED_HOSTS": "*"}, "TAPESTRY_ALLOWED_HOSTS must name the site's host"),
        ({"TAPESTRY_SITE_URL": "http://tapestry.example"}, "TAPESTRY_SITE_URL must be the"),
        ({"DATABASE_URL": "sqlite:////tmp/t.sqlite3"}, "DATABASE_URL must point at PostgreSQL"),
        ({"TAPESTRY_CACHE_URL": ""}, "TAPESTRY_CACHE_URL must point at Redis"),
        ({"TAPESTRY_EMAIL_BACKEND": ""}, "Mail needs TAPESTRY_EMAIL_BACKEND"),
        ({"TAPESTRY_EMAIL_HOST": ""}, "Mail needs TAPESTRY_EMAIL_BACKEND"),
        ({"TAPESTRY_FROM_EMAIL": ""}, "TAPESTRY_FROM_EMAIL must be the address"),
    ],
)
def test_production_refuses_to_start_without_what_it_needs(
    change: dict[str, str], refusal: str
) -> None:
    result = _manage("manage.py", "check", env={**PRODUCTION_LIKE, **change})

    assert result.returncode == 1
    assert "ImproperlyConfigured: TAPESTRY_ENV=production refuses to start:" in result.stderr
    assert f"\n- {refusal}" in result.stderr
    # One problem, one line: the others were all right.
    assert result.stderr.count("\n- ") == 1


def test_production_lists_every_problem_at_once() -> None:
    result = _manage(
        "manage.py", "check", env={"TAPESTRY_ENV": "production", "TAPESTRY_SECRET_KEY": "dev"}
    )

    assert result.returncode == 1
    assert result.stderr.count("\n- ") == 7


def test_an_unknown_environment_name_is_refused() -> None:
    result = _manage("manage.py", "check", env={**PRODUCTION_LIKE, "TAPESTRY_ENV": "prod"})

    assert result.returncode == 1
    assert "TAPESTRY_ENV is 'prod'; it must be 'development' or 'production'." in result.stderr


def test_a_rotated_secret_key_still_verifies_what_the_old_one_signed() -> None:
    old, new = "old-key-" + "o1" * 30, "new-key-" + "n2" * 30
    signed = _manage(
        "-c",
        "import django; django.setup(); from django.core import signing; "
        "print(signing.dumps({'reset': 'rosa'}))",
        env={"TAPESTRY_SECRET_KEY": old},
    ).stdout.strip()
    check = (
        "import django, sys; django.setup(); from django.core import signing; "
        f"print(signing.loads({signed!r})['reset'])"
    )

    rotated = _manage("-c", check, env={"TAPESTRY_SECRET_KEY": new, **_fallback(old)})
    dropped = _manage("-c", check, env={"TAPESTRY_SECRET_KEY": new})

    assert rotated.stdout.strip() == "rosa", rotated.stderr
    assert "BadSignature" in dropped.stderr


def _fallback(key: str) -> dict[str, str]:
    return {"TAPESTRY_SECRET_KEY_FALLBACKS": key}


class _SmtpSink(socketserver.StreamRequestHandler):
    """Just enough SMTP to accept one message and keep its text (loopback only)."""

    received: ClassVar[list[str]] = []

    def handle(self) -> None:
        self.wfile.write(b"220 sink ready\r\n")
        while line := self.rfile.readline():
            command = line.decode().strip().upper()
            if command.startswith(("EHLO", "HELO")):
                self.wfile.write(b"250 sink\r\n")
            elif command == "DATA":
                self.wfile.write(b"354 go on\r\n")
                lines = []
                while (data := self.rfile.readline()) not in (b".\r\n", b""):
                    lines.append(data.decode())
                _SmtpSink.received.append("".join(lines))
                self.wfile.write(b"250 queued\r\n")
            elif command == "QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 ok\r\n")


_SEND = (
    "import django; django.setup(); from tapestry.core.tasks import deliver_email; "
    "deliver_email.call(to=['rosa@example.org'], subject='Recordatorio', body='Hola, Rosa:')"
)


def test_the_smtp_settings_from_the_environment_deliver_through_smtp() -> None:
    _SmtpSink.received.clear()
    with socketserver.TCPServer(("127.0.0.1", 0), _SmtpSink) as server:
        threading.Thread(target=server.handle_request, daemon=True).start()
        result = _manage(
            "-W",
            "error::PendingDeprecationWarning",
            "-c",
            _SEND,
            env={
                "TAPESTRY_SECRET_KEY": "k" * 50,
                "TAPESTRY_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "TAPESTRY_EMAIL_HOST": "127.0.0.1",
                "TAPESTRY_EMAIL_PORT": str(server.server_address[1]),
            },
        )

    assert result.returncode == 0, result.stderr
    assert len(_SmtpSink.received) == 1
    assert "Subject: Recordatorio" in _SmtpSink.received[0]
    assert "To: rosa@example.org" in _SmtpSink.received[0]


def test_the_default_file_backend_writes_the_message_where_configured(tmp_path: Path) -> None:
    result = _manage(
        "-W",
        "error::PendingDeprecationWarning",
        "-c",
        _SEND,
        env={"TAPESTRY_SECRET_KEY": "k" * 50, "TAPESTRY_EMAIL_FILE_PATH": str(tmp_path)},
    )

    assert result.returncode == 0, result.stderr
    [written] = list(tmp_path.iterdir())
    assert "Subject: Recordatorio" in written.read_text()
