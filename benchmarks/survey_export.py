"""How fast, and in how much memory, do 50,000 survey responses export as REDCap records?

Builds its own database (a throwaway SQLite file under var/bench/ unless --database-url names
another), migrates it, creates the tests' sample instrument (every question kind, branching,
a multiple-choice question that becomes four `var___code` columns), and writes responses with
`demo.responses_generate` in steps (10,000, then up to 50,000 by default). At each step it:

- downloads /surveys/staff/<slug>/redcap-records.csv through django.test.Client, signed in as
  program staff with two-factor sign-in (the whole request: middleware, permission, audit row,
  the streaming response read to its end), several times, and reports the median;
- reads the same stream once more under tracemalloc and reports the peak of memory allocated
  while it ran, which must not grow with the number of responses (the export streams).

Prints one JSON document on stdout. Target (issue 8): at most 5 s for 50,000 responses, with
constant memory.

    .venv/bin/python benchmarks/survey_export.py
    .venv/bin/python benchmarks/survey_export.py --database-url postgres://postgres@127.0.0.1:5432/tapestry_bench_export
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import BENCH_DIR, ROOT, analyze, django_setup, log, machine, migrate

TARGET_SECONDS = 5.0
SLUG = "bench-export"


def short_commit() -> str | None:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def staff_client() -> Any:
    """A test client signed in as program staff, through the password and the TOTP code."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    from tapestry.accounts.api import Role
    from tapestry.accounts.tests.factories import PASSWORD, UserFactory, totp_code_now

    # A database kept from an earlier run (PostgreSQL) has this person already.
    get_user_model().objects.filter(email="bench-staff@example.org").delete()
    user = UserFactory.create(
        email="bench-staff@example.org", roles=[Role.PROGRAM_STAFF], two_factor=True
    )
    client = Client()
    response = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.status_code
    response = client.post("/accounts/2fa/authenticate/", {"code": totp_code_now()})
    assert response.status_code == 302, response.status_code
    return client


def download(client: Any, url: str) -> tuple[float, float, int, int, Any]:
    """Seconds to the last byte, this process's CPU seconds meanwhile, bytes, lines, and the
    response. On a busy machine the CPU time says what the export costs whatever else runs;
    the database server's own time (PostgreSQL) is in the wall-clock figure only."""
    started = time.perf_counter()
    cpu_started = time.process_time()
    response = client.get(url)
    size = 0
    lines = 0
    for chunk in response.streaming_content:
        size += len(chunk)
        lines += chunk.count(b"\n")
    return (
        time.perf_counter() - started,
        time.process_time() - cpu_started,
        size,
        lines,
        response,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument(
        "--database-url",
        help="Database to build (default: a fresh SQLite file in var/bench/). Its survey "
        "responses are deleted first.",
    )
    parser.add_argument(
        "--steps",
        default="10000,50000",
        help="Response counts to measure at, in increasing order (comma-separated).",
    )
    parser.add_argument("--repeats", type=int, default=5, help="Timed downloads per step.")
    args = parser.parse_args()
    steps = [int(step) for step in args.steps.split(",")]

    if args.database_url:
        database_url = args.database_url
        if "bench" not in database_url.rsplit("/", 1)[-1]:
            parser.error("refusing to delete the responses of a database not named *bench*")
    else:
        BENCH_DIR.mkdir(parents=True, exist_ok=True)
        path = BENCH_DIR / "survey_export.sqlite3"
        for stale in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            stale.unlink(missing_ok=True)
        database_url = f"sqlite:///{path}"

    django_setup(database_url)
    from django.test.utils import setup_test_environment

    # The test client's host ("testserver") and a local email outbox, as in the tests.
    setup_test_environment()
    from tapestry.surveys.demo import responses_generate
    from tapestry.surveys.models import Answer, Instrument, Response
    from tapestry.surveys.tests.factories import instrument_make

    log(f"migrating {database_url}")
    migrate()
    Answer.objects.filter(response__instrument__slug=SLUG).delete()
    Response.objects.filter(instrument__slug=SLUG).delete()
    Instrument.objects.filter(slug=SLUG).delete()
    instrument = instrument_make(slug=SLUG)
    client = staff_client()
    url = f"/surveys/staff/{SLUG}/redcap-records.csv"
    machine_info = machine()

    results: list[dict[str, Any]] = []
    written = 0
    answers = 0
    for step in steps:
        log(f"writing responses up to {step}")
        started = time.perf_counter()
        answers += responses_generate(instrument=instrument, count=step - written, seed=step)
        generate_seconds = time.perf_counter() - started
        written = step
        analyze()
        download(client, url)  # warm-up: the structure, the query plans, the page cache
        timings = []
        cpu_timings = []
        for _repeat in range(args.repeats):
            seconds, cpu_seconds, size, lines, response = download(client, url)
            timings.append(seconds)
            cpu_timings.append(cpu_seconds)
        tracemalloc.start()
        tracemalloc.reset_peak()
        download(client, url)
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        result = {
            "responses": step,
            "answers": answers,
            "generate_seconds": round(generate_seconds, 1),
            "status": response.status_code,
            "streaming": bool(response.streaming),
            "bytes": size,
            "lines": lines,
            "median_seconds": round(statistics.median(timings), 3),
            "max_seconds": round(max(timings), 3),
            "median_cpu_seconds": round(statistics.median(cpu_timings), 3),
            "tracemalloc_peak_kib": round(peak / 1024),
        }
        log(json.dumps(result))
        results.append(result)

    last = results[-1]
    print(
        json.dumps(
            {
                "benchmark": "survey_export",
                "commit_short": (machine_info["commit"] or "")[:7] or short_commit(),
                "machine": machine_info,
                "instrument": "tests/factories.SAMPLE_SPEC (9 questions, 12 columns)",
                "repeats": args.repeats,
                "load_average_1m_at_end": round(os.getloadavg()[0], 2),
                "results": results,
                "target": {
                    "seconds_at_most": TARGET_SECONDS,
                    "met": last["median_seconds"] <= TARGET_SECONDS,
                    "memory_constant": results[-1]["tracemalloc_peak_kib"]
                    <= 1.5 * results[0]["tracemalloc_peak_kib"],
                },
            },
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
