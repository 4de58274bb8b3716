"""The production profile as an operator runs it: gunicorn with deploy/gunicorn.conf.py, static
files collected with hashed names, PostgreSQL and Redis, behind a TLS-terminating proxy. A real
server in its own processes, started, reloaded and stopped with the signals systemd sends."""

import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
_APP = ["config.wsgi"]
pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the production profile runs on PostgreSQL"
    ),
    pytest.mark.django_db(transaction=True),
]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _production_environment(static_root: Path, port: int) -> dict[str, str]:
    database = connection.settings_dict
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("TAPESTRY_", "DJANGO_"))}
    return {
        **clean,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "TAPESTRY_ENV": "production",
        "TAPESTRY_SECRET_KEY": secrets.token_urlsafe(50),
        "TAPESTRY_ALLOWED_HOSTS": "127.0.0.1",
        "TAPESTRY_SITE_URL": "https://127.0.0.1",
        "TAPESTRY_BEHIND_TLS_PROXY": "1",
        "DATABASE_URL": (
            f"postgres://{database['USER']}@{database['HOST'] or '127.0.0.1'}:"
            f"{database['PORT'] or 5432}/{database['NAME']}"
        ),
        "TAPESTRY_CACHE_URL": "redis://127.0.0.1:6379/3",
        "TAPESTRY_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "TAPESTRY_EMAIL_HOST": "127.0.0.1",
        "TAPESTRY_FROM_EMAIL": "Tapestry <no-reply@tapestry.example>",
        "TAPESTRY_STATIC_ROOT": str(static_root),
        "TAPESTRY_BIND": f"127.0.0.1:{port}",
        "TAPESTRY_WEB_WORKERS": "2",
        "TAPESTRY_WEB_THREADS": "2",
    }


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)


def _get(port: int, path: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    """A GET as the TLS proxy in front would forward it."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", headers={"X-Forwarded-Proto": "https", **headers}
    )
    try:
        with _OPENER.open(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@pytest.fixture
def production_server(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], int]]:
    port = _free_port()
    environment = _production_environment(tmp_path / "static", port)
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "-v", "0"],
        cwd=ROOT,
        env=environment,
        check=True,
        timeout=600,
    )
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "-c", "deploy/gunicorn.conf.py", *_APP],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        for _ in range(300):
            try:
                if _get(port, "/healthz")[0] == 200:
                    break
            except OSError:
                time.sleep(0.2)
        yield server, port
    finally:
        if server.poll() is None:
            server.kill()
        server.wait(timeout=30)


def test_gunicorn_serves_the_production_profile_and_reloads_without_dropping_a_request(
    production_server: tuple[subprocess.Popen[str], int],
) -> None:
    server, port = production_server

    status, _, body = _get(port, "/", **{"Accept-Language": "es"})
    assert status == 200
    page = body.decode()
    assert '<html lang="es"' in page
    # Static files carry their content's hash, and are cached by browsers for ever.
    [stylesheet] = re.findall(
        r'href="(/static/vendor/uswds/css/uswds\.min\.[0-9a-f]{12}\.css)"', page
    )
    status, headers, _ = _get(port, stylesheet, **{"Accept-Encoding": "br"})
    assert status == 200
    assert headers["Content-Encoding"] == "br"
    assert "immutable" in headers["Cache-Control"]
    # Plain HTTP from outside the proxy is sent to HTTPS; the cookies are HTTPS-only.
    assert _get(port, "/", **{"X-Forwarded-Proto": "http"})[0] == 301
    assert "Strict-Transport-Security" in _get(port, "/")[1]

    # A graceful reload (what `systemctl reload tapestry-web` sends after an upgrade) replaces
    # the workers while requests keep coming: none of them fails.
    statuses: list[int] = []
    stop = threading.Event()

    def keep_asking() -> None:
        while not stop.is_set():
            statuses.append(_get(port, "/healthz")[0])

    askers = [threading.Thread(target=keep_asking) for _ in range(3)]
    for asker in askers:
        asker.start()
    time.sleep(1)
    server.send_signal(signal.SIGHUP)
    time.sleep(4)
    stop.set()
    for asker in askers:
        asker.join()
    assert len(statuses) > 10
    assert set(statuses) == {200}

    # SIGTERM (`systemctl stop`) lets the workers finish and the server exits cleanly.
    server.send_signal(signal.SIGTERM)
    assert server.wait(timeout=60) == 0
    log = server.stdout.read() if server.stdout else ""
    assert "Handling signal: hup" in log
    assert "Shutting down: Master" in log
