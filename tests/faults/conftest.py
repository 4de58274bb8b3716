"""Helpers for the fault tests: free ports, and waiting for a process to listen."""

import http.client
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# How long a process this suite starts may take to come up before the test gives up on it
# (a setup limit, not an assertion: the tests assert behaviour, never speed).
STARTUP_SECONDS = 60


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_port(port: int, process: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the process exited with {process.returncode} before listening")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listened on port {port} within {STARTUP_SECONDS} s")


def wait_for_page(port: int, path: str, process: subprocess.Popen[bytes]) -> None:
    """Until `path` answers 200: gunicorn listens before its workers have loaded the site."""
    wait_for_port(port, process)
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the process exited with {process.returncode}")
        client = http.client.HTTPConnection("127.0.0.1", port, timeout=STARTUP_SECONDS)
        try:
            client.request("GET", path)
            if client.getresponse().status == 200:
                return
        except (OSError, http.client.HTTPException):
            time.sleep(0.2)
        finally:
            client.close()
    raise RuntimeError(f"{path} did not answer 200 within {STARTUP_SECONDS} s")


def gunicorn_command(port: int) -> list[str]:
    """The site under gunicorn as in production: two workers of two threads."""
    return [
        *(sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}"),
        *("--workers", "2", "--threads", "2", "--worker-class", "gthread", "--timeout", "120"),
        *("--graceful-timeout", "5"),
        # Several test runs share this machine: no control socket in the home folder.
        "--no-control-socket",
        # The site is loaded once, then the workers fork from it (faster to start).
        "--preload",
    ]


def require_program(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed, so this fault cannot be caused for real here")
    return path


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
