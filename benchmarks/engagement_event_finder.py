"""The public event finder near a ZIP code over 50,000 events, cold and warm.

Builds a throwaway database (PostgreSQL with `--database-url`, whose name must contain
`bench`; else SQLite `var/bench/engagement_event_finder.sqlite3`), then with bulk inserts:
`--events` events from a fixed seed, on ordinary ZIP codes drawn at random (a fifth of them
online only, with no place), starting over 90 days past and 365 days ahead, nine in ten
published. Times `selectors.event_search` (the count, the page of ids in date order, the
page's rows and their exact distances: everything the finder page and the API need) near
`--zips` ZIP codes at the largest radius (ENGAGEMENT_EVENTS_MAX_RADIUS_MILES) and at a small
one (10 miles), and with a language and focus filter at the largest radius:

- **cold**: a new database connection before each search;
- **warm**: the same connection again.

Prints one JSON document on stdout (progress on stderr). Target (issue 10): median at most
100 ms.

    .venv/bin/python benchmarks/engagement_event_finder.py --database-url postgres://postgres@127.0.0.1:5432/tapestry_bench_events
"""

import argparse
import datetime
import json
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    BENCH_DIR,
    analyze,
    django_setup,
    log,
    machine,
    migrate,
    query_zips,
    summary_ms,
)

TARGET_MEDIAN_MS = 100.0
# The moment the searches run at: fixed, so two runs see the same upcoming events.
NOW = datetime.datetime(2026, 3, 1, 12, 0, tzinfo=datetime.UTC)
SMALL_RADIUS = 10
FOCUS_AREAS = [
    "health_literacy",
    "digital_literacy",
    "research_literacy",
    "citizen_science",
    "precision_medicine",
]


def build(count: int, seed: int) -> dict[str, Any]:
    from django.db import transaction

    from tapestry.core.geography import ordinary_zip_places
    from tapestry.engagement.models import Event

    rng = random.Random(seed)
    places = ordinary_zip_places()
    events = []
    for number in range(count):
        place = rng.choice(places)
        online_only = rng.random() < 0.2
        starts_at = NOW + datetime.timedelta(minutes=rng.randint(-90 * 24 * 60, 365 * 24 * 60))
        event = Event(
            title=f"Event {number}",
            description="A benchmark event.",
            focus_area=rng.choice(FOCUS_AREAS),
            language="es" if rng.random() < 0.3 else "en",
            format="virtual" if online_only else rng.choice(("in_person", "hybrid")),
            city="" if online_only else place.city,
            state_code="" if online_only else place.state,
            zip_code="" if online_only else place.zip_code,
            latitude=None if online_only else place.latitude,
            longitude=None if online_only else place.longitude,
            capacity=rng.choice((10, 20, 40)),
            starts_at=starts_at,
            ends_at=starts_at + datetime.timedelta(minutes=90),
            time_zone="America/Chicago",
            status="published" if rng.random() < 0.9 else rng.choice(("draft", "cancelled")),
            region_code=f"region-{rng.randint(1, 7)}",
        )
        event.set_location()
        events.append(event)
    with transaction.atomic():
        Event.objects.all().delete()
        Event.objects.bulk_create(events, batch_size=2000)
    return {"events": count, "seed": seed}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--zips", type=int, default=40)
    parser.add_argument("--database-url")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--explain", action="store_true", help="print the plan on stderr")
    args = parser.parse_args()

    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    database = BENCH_DIR / "engagement_event_finder.sqlite3"
    if not args.database_url:
        database.unlink(missing_ok=True)
    elif "bench" not in args.database_url.rsplit("/", 1)[-1]:
        raise SystemExit("refusing a database whose name does not contain 'bench'")
    django_setup(args.database_url or f"sqlite:///{database}")
    from django.conf import settings
    from django.db import connection

    from tapestry.core.geography import zip_lookup
    from tapestry.engagement import selectors

    migrate()
    started = time.perf_counter()
    data = build(args.events, args.seed)
    build_seconds = time.perf_counter() - started
    analyze()
    where = machine()
    largest = settings.ENGAGEMENT_EVENTS_MAX_RADIUS_MILES
    zips = query_zips(args.zips)
    places = [zip_lookup(zip_code) for zip_code in zips]

    def search(place: Any, radius: int, **filters: Any) -> Any:
        return selectors.event_search(
            filters=selectors.EventFilters(near=place, radius_miles=radius, **filters), now=NOW
        )

    if args.explain:
        from django.test.utils import CaptureQueriesContext

        # The plans of the search's own queries (the count and the page of ids), at the
        # largest radius from the first ZIP code.
        with CaptureQueriesContext(connection) as captured:
            search(places[0], largest)
        prefix = "EXPLAIN ANALYZE " if connection.vendor == "postgresql" else "EXPLAIN QUERY PLAN "
        for query in captured.captured_queries[:2]:
            log(query["sql"][:300])
            with connection.cursor() as cursor:
                cursor.execute(prefix + query["sql"])
                for row in cursor.fetchall():
                    log("  " + " | ".join(str(cell) for cell in row))

    cases = {
        f"near_{largest}_miles": lambda place: search(place, largest),
        f"near_{SMALL_RADIUS}_miles": lambda place: search(place, SMALL_RADIUS),
        f"near_{largest}_miles_spanish_health": lambda place: search(
            place, largest, language="es", focus_area="health_literacy"
        ),
    }
    timings: dict[str, list[float]] = {}
    found: dict[str, list[int]] = {}
    for name, function in cases.items():
        for place in places[:3]:
            function(place)  # warm the process (imports, the ZIP index)
        for cold in (True, False):
            key = f"{name}_{'cold' if cold else 'warm'}"
            timings[key] = []
            for place in places:
                if cold:
                    connection.close()
                connection.ensure_connection()
                begun = time.perf_counter()
                result = function(place)
                timings[key].append(time.perf_counter() - begun)
                found.setdefault(name, []).append(result.total) if cold else None
        log(f"{name}: {sorted(timings[name + '_warm'])[len(places) // 2] * 1000:.1f} ms warm")
    summaries = {name: summary_ms(values) for name, values in timings.items()}
    medians = [summary["median_ms"] for summary in summaries.values()]
    result = {
        "benchmark": "engagement_event_finder",
        "machine": where,
        "data": data,
        "build_seconds": round(build_seconds, 1),
        "zips": len(places),
        "events_found_median": {
            name: sorted(counts)[len(counts) // 2] for name, counts in found.items()
        },
        "timings": summaries,
        "load_average_1m_at_end": round(os.getloadavg()[0], 2),
        "target": {"median_ms_at_most": TARGET_MEDIAN_MS, "met": max(medians) <= TARGET_MEDIAN_MS},
    }
    print(json.dumps(result, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
