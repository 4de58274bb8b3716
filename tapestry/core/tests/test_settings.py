"""The settings as a deployment meets them: started in a fresh process with its environment."""

import os
import socketserver
import subprocess
import sys
import threading
from pathlib import Path
from typing import ClassVar

ROOT = Path(__file__).resolve().parents[3]
PRODUCTION_LIKE = {
    "TAPESTRY_DEBUG": "0",
    "TAPESTRY_SECRET_KEY": "a-production-like-key-" + "k" * 50,
    "TAPESTRY_ALLOWED_HOSTS": "tapestry.example",
    "TAPESTRY_SITE_URL": "https://tapestry.example",
    "TAPESTRY_SECURE_COOKIES": "1",
    "TAPESTRY_SSL_REDIRECT": "1",
    "TAPESTRY_HSTS_SECONDS": "31536000",
    "TAPESTRY_HSTS_INCLUDE_SUBDOMAINS": "1",
    "TAPESTRY_HSTS_PRELOAD": "1",
    "TAPESTRY_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
}


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("TAPESTRY_", "DJANGO_"))}
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


def test_the_deploy_check_refuses_a_production_site_without_https_settings() -> None:
    insecure = {**PRODUCTION_LIKE, "TAPESTRY_SECURE_COOKIES": "0", "TAPESTRY_HSTS_SECONDS": "0"}

    result = _manage("manage.py", "check", "--deploy", "--fail-level", "WARNING", env=insecure)

    assert result.returncode == 1
    assert "security.W004" in result.stderr  # HSTS
    assert "security.W012" in result.stderr  # session cookie not secure


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
