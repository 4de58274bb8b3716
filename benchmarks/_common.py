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
import sys
import time
from pathlib import Path
from typing import Any

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
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("TAPESTRY_LOG_LEVEL", "WARNING")
    import django

    django.setup()


def migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def standard_zip_rows() -> list[dict[str, Any]]:
    """Active, located, ordinary ZIP codes (not PO boxes or single-building ZIPs)."""
    import zipcodes

    return [
        r
        for r in zipcodes.list_all()
        if r["zip_code_type"] == "STANDARD" and r["lat"] and r["long"] and r["active"]
    ]


def organizations_load(count: int, *, seed: int = DATA_SEED) -> dict[str, int]:
    """Replace every member organization with `count` generated ones.

    Every state and territory gets at least one member; the rest fall on ZIP codes drawn at
    random (with replacement) from all ordinary ZIP codes, so dense areas, which have more
    ZIP codes, get more members, and a ZIP code may hold several. Types follow the seed
    region's mix used by the demo. Returns how many were loaded, and how many service offers
    had an audience dropped so the denormalized codes fit their column.
    """
    from django.db import transaction

    from tapestry.network.demo import (
        DEMO_MIX,
        FIRST,
        LAST,
        NAME_PATTERNS,
        STREETS,
        WORDS,
    )
    from tapestry.network.models import (
        Audience,
        MembershipApplication,
        Organization,
        Service,
        StateTerritory,
    )

    rng = random.Random(seed)
    valid_states = set(StateTerritory.objects.values_list("code", flat=True))
    rows = [r for r in standard_zip_rows() if r["state"] in valid_states]
    by_state: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_state.setdefault(row["state"], []).append(row)
    places = [rng.choice(by_state[state]) for state in sorted(by_state)]
    places += rng.choices(rows, k=max(0, count - len(places)))
    places = places[:count]

    mix_total = sum(DEMO_MIX.values())
    types = [t for t, n in DEMO_MIX.items() for _ in range(math.ceil(n * count / mix_total))]
    rng.shuffle(types)

    codes_max_length = Organization._meta.get_field("audience_codes").max_length or 0
    narrowed = 0
    seen: set[tuple[str, str]] = set()
    organizations: list[Any] = []
    for place, org_type in zip(places, types, strict=False):
        city = place["city"].title()
        name = NAME_PATTERNS[org_type].format(
            city=city,
            county=(place["county"] or place["city"]).replace(" County", "") + " County",
            **{key: rng.choice(values) for key, values in WORDS.items()},
        )
        suffix = 2
        base = name
        while (name.lower(), place["zip_code"]) in seen:
            name = f"{base} {suffix}"
            suffix += 1
        seen.add((name.lower(), place["zip_code"]))
        services = {
            service.value: sorted(rng.sample(Audience.values, rng.randint(1, 3)))
            for service in Service
            if rng.random() < 0.55
        }
        joined = DATA_TODAY - datetime.timedelta(days=rng.randint(30, 365 * 20))
        reviewed = max(joined, DATA_TODAY - datetime.timedelta(days=rng.randint(0, 420)))
        first, last = rng.choice(FIRST), rng.choice(LAST)
        organization = Organization(
            name=name,
            org_type=org_type,
            address_line1=f"{rng.randint(10, 9999)} {rng.choice(STREETS)}",
            city=city,
            state_id=place["state"],
            zip_code=place["zip_code"],
            phone=f"({rng.randint(201, 989)}) 555-{rng.randint(1000, 9999)}",
            website="https://example.org/" + "-".join(name.lower().split())[:60],
            library_id=f"{place['state']}{rng.randint(1000, 9999)}"
            if "library" in org_type
            else "",
            liaison_name=f"{first} {last}",
            liaison_email=f"liaison{len(organizations)}@example.org",
            services=services,
            latitude=float(place["lat"]),
            longitude=float(place["long"]),
            joined_on=joined,
            last_reviewed_on=reviewed,
        )
        organization.set_search_codes()
        while len(organization.audience_codes) > codes_max_length:
            # Only before network migration 0003 was the column too short for the widest
            # offers; narrowing keeps the benchmark usable on such a database.
            widest = max(organization.services, key=lambda s: len(organization.services[s]))
            organization.services[widest] = organization.services[widest][:-1]
            organization.set_search_codes()
            narrowed += 1
        organizations.append(organization)

    with transaction.atomic():
        MembershipApplication.objects.filter(organization__isnull=False).update(organization=None)
        Organization.objects.all().delete()
        Organization.objects.bulk_create(organizations, batch_size=1000)
    if narrowed:
        log(f"narrowed {narrowed} service offers to fit Organization.audience_codes")
    return {"loaded": len(organizations), "offers_narrowed_to_fit": narrowed}


def analyze() -> None:
    """Refresh planner statistics after the bulk load, as autovacuum would on a live system."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def query_zips(count: int, *, seed: int = QUERY_SEED) -> list[str]:
    """Distinct ZIP codes to search from: the launch sites, then a random sample."""
    rng = random.Random(seed)
    pool = sorted({r["zip_code"] for r in standard_zip_rows()} - set(LAUNCH_SITE_ZIPS))
    return LAUNCH_SITE_ZIPS + rng.sample(pool, max(0, count - len(LAUNCH_SITE_ZIPS)))


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return float("nan")
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[rank - 1]


def summary_ms(seconds: list[float]) -> dict[str, Any]:
    values = sorted(s * 1000 for s in seconds)
    return {
        "count": len(values),
        "median_ms": round(percentile(values, 0.5), 2),
        "p95_ms": round(percentile(values, 0.95), 2),
        "p99_ms": round(percentile(values, 0.99), 2),
        "mean_ms": round(sum(values) / len(values), 2) if values else None,
        "max_ms": round(values[-1], 2) if values else None,
    }


def machine() -> dict[str, Any]:
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
    }
