"""Shared set-up for the benchmarks: Django against a throwaway database, and the data.

Django reads DATABASE_URL once, when settings are imported, so `django_setup` must run before
anything imports a model. The organizations are generated from a fixed seed, so two runs on
the same machine measure the same rows.
"""

import datetime
import math
import os
import platform
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "var" / "bench"
DATA_SEED = 2026
QUERY_SEED = 7
# A fixed "today" keeps the generated join and review dates identical from run to run.
DATA_TODAY = datetime.date(2026, 1, 1)
# The program's seed launch sites, always among the ZIP codes queried.
LAUNCH_SITE_ZIPS = ["35203", "60608", "48209", "64106", "10001", "99301"]


def log(message: str) -> None:
    """Progress goes to stderr; stdout carries only the JSON result."""
    print(message, file=sys.stderr, flush=True)


def django_setup(database_url: str) -> None:
    """Point Django at `database_url` and set it up (before anything imports a model)."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("TAPESTRY_LOG_LEVEL", "WARNING")
    import django

    django.setup()


# The FORHP rural ZIP lists beside the project (ADR 0016): name, file, in force from.
FORHP_DIR = ROOT.parent / "shared" / "data" / "forhp-rural-zip"
FORHP_LISTS = (
    ("2014", "rural_zipcodes_2014.txt", "2014-01-01"),
    ("2020", "rural_zipcodes_2020.txt", "2020-09-15"),
)


def forhp_load() -> tuple[str, frozenset[str]] | None:
    """Load the FORHP lists into the benchmark's database as `make demo` does, and return the
    newest (its name and ZIP codes, where the generator places rural participants); None
    where the lists are not beside the project (rural residence is then unknown)."""
    if not (FORHP_DIR / FORHP_LISTS[0][1]).is_file():
        log(f"no FORHP rural ZIP lists at {FORHP_DIR}: rural residence will be unknown")
        return None
    from django.core.management import call_command

    from tapestry.research.services import rural_zips_latest

    for name, file, effective_from in FORHP_LISTS:
        call_command(
            "research_load_rural_zips",
            str(FORHP_DIR / file),
            name=name,
            effective_from=effective_from,
            stdout=open(os.devnull, "w"),  # noqa: SIM115
        )
    return rural_zips_latest()


def forhp_newest() -> tuple[str, frozenset[str]] | None:
    """The newest FORHP list's name and ZIP codes, read from its file (no database), for the
    generator; None where the lists are not beside the project."""
    name, file, _effective_from = FORHP_LISTS[-1]
    if not (FORHP_DIR / file).is_file():
        log(f"no FORHP rural ZIP lists at {FORHP_DIR}: nobody is placed rurally")
        return None
    from tapestry.research.warehouse.rural import parse_lines

    with (FORHP_DIR / file).open(encoding="utf-8") as lines:
        return name, frozenset(parse_lines(lines))


def migrate() -> None:
    """Bring the benchmark's database to the current schema."""
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def organizations_load(count: int, *, seed: int = DATA_SEED) -> int:
    """Replace every member organization with `count` generated ones; return how many.

    The members come from the demo's builder (`network.demo.organizations_build`): every state
    and territory gets one, the rest fall on ordinary ZIP codes drawn at random.
    """
    from django.db import transaction

    from tapestry.network.demo import organizations_build
    from tapestry.network.models import MembershipApplication, Organization, StateTerritory

    organizations = organizations_build(
        count=count,
        states=set(StateTerritory.objects.values_list("code", flat=True)),
        seed=seed,
        today=DATA_TODAY,
    )
    with transaction.atomic():
        MembershipApplication.objects.filter(organization__isnull=False).update(organization=None)
        Organization.objects.all().delete()
        Organization.objects.bulk_create(organizations, batch_size=1000)
    return len(organizations)


def analyze() -> None:
    """Refresh planner statistics after the bulk load, as autovacuum would on a live system.

    On PostgreSQL, VACUUM too: it marks the pages all-visible, which lets "near me" read its
    covering index without visiting the table, as it does on a table autovacuum has seen.
    """
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


def query_zips(count: int, *, seed: int = QUERY_SEED) -> list[str]:
    """Distinct ZIP codes to search from: the launch sites, then a random sample."""
    from tapestry.core.geography import ordinary_zip_places

    rng = random.Random(seed)
    pool = sorted({place.zip_code for place in ordinary_zip_places()} - set(LAUNCH_SITE_ZIPS))
    return LAUNCH_SITE_ZIPS + rng.sample(pool, max(0, count - len(LAUNCH_SITE_ZIPS)))


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return float("nan")
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[rank - 1]


def summary_ms(seconds: list[float]) -> dict[str, Any]:
    """Count, median, p95, p99, mean and max of durations in seconds, in milliseconds."""
    values = sorted(s * 1000 for s in seconds)
    return {
        "count": len(values),
        "median_ms": round(percentile(values, 0.5), 2),
        "p95_ms": round(percentile(values, 0.95), 2),
        "p99_ms": round(percentile(values, 0.99), 2),
        "mean_ms": round(sum(values) / len(values), 2) if values else None,
        "max_ms": round(values[-1], 2) if values else None,
    }


def source_version() -> dict[str, Any]:
    """The commit measured, and whether the working tree differed from it (uncommitted edits
    to tracked files: the figures then belong to no commit)."""

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()

    try:
        return {
            "commit": git("rev-parse", "HEAD"),
            "dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
        }
    except (OSError, subprocess.CalledProcessError):
        return {"commit": None, "dirty": None}


def machine() -> dict[str, Any]:
    """Where and on what the benchmark ran, the load at the start, and the commit measured."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
        else:
            cursor.execute("SELECT sqlite_version()")
        db_version = cursor.fetchone()[0]
    return {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "processor": platform.machine(),
        "python": platform.python_version(),
        "database": f"{connection.vendor} {db_version}",
        # Other work on the machine skews the figures; this says how busy it was at the start.
        "load_average_1m_at_start": round(os.getloadavg()[0], 2),
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        **source_version(),
    }


def postgres_backend_pids(database_url: str) -> list[int]:
    """The PostgreSQL server processes serving the benchmark's database."""
    import psycopg

    name = urlsplit(database_url).path.lstrip("/")
    with psycopg.connect(database_url) as connection:
        rows = connection.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [name],
        ).fetchall()
    return [pid for (pid,) in rows]
