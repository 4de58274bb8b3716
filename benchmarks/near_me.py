"""How fast is "find a library near me" over 10,000 member organizations?

Builds its own database (a throwaway SQLite file under var/bench/ unless --database-url names
another), migrates it, loads generated members spread over real U.S. ZIP codes, then times, in
this process and after a warm-up:

- the selector, `organization_search` with `near` set, page 1, radius 25 and 100 miles, once
  per ZIP code from a fixed list of distinct ZIP codes;
- the whole view, GET /network/?near=<ZIP>&radius_miles=25 through django.test.Client
  (middleware, form validation, the selector, template rendering).

Prints one JSON document on stdout. Target (issue 2): median at most 50 ms in the server.

    .venv/bin/python benchmarks/near_me.py
    .venv/bin/python benchmarks/near_me.py --database-url postgres://postgres@127.0.0.1:5432/tapestry_bench
"""

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    BENCH_DIR,
    analyze,
    django_setup,
    log,
    machine,
    migrate,
    organizations_load,
    query_zips,
    summary_ms,
)

TARGET_MEDIAN_MS = 50.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--database-url",
        help="Database to build and search (default: a fresh SQLite file in var/bench/). "
        "Its member organizations are replaced.",
    )
    parser.add_argument("--organizations", type=int, default=10_000)
    parser.add_argument("--zips", type=int, default=500, help="Distinct ZIP codes to search from.")
    parser.add_argument(
        "--view-zips", type=int, default=200, help="How many of them to request through the view."
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="Allow a --database-url whose name does not contain 'bench' (its members are deleted).",
    )
    args = parser.parse_args()

    if args.database_url:
        database_url = args.database_url
        if "bench" not in database_url.rsplit("/", 1)[-1] and not args.force:
            parser.error("refusing to replace the members of a database not named *bench*")
    else:
        BENCH_DIR.mkdir(parents=True, exist_ok=True)
        path = BENCH_DIR / "near_me.sqlite3"
        for stale in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            stale.unlink(missing_ok=True)
        database_url = f"sqlite:///{path}"

    django_setup(database_url)
    from django.test import Client

    from tapestry.core.geography import zip_lookup
    from tapestry.network.selectors import DirectoryFilters, organization_search

    log(f"migrating {database_url}")
    migrate()
    log(f"loading {args.organizations} organizations")
    started = time.perf_counter()
    loaded = organizations_load(args.organizations)
    load_seconds = time.perf_counter() - started
    analyze()

    places = [place for place in map(zip_lookup, query_zips(args.zips)) if place is not None]

    def search(place, radius):
        return organization_search(filters=DirectoryFilters(near=place, radius_miles=radius))

    # Warm up: the ZIP table, the database connection and caches, the templates.
    for place in places[:20]:
        search(place, 25)
    client = Client()
    for place in places[:5]:
        client.get(f"/network/?near={place.zip_code}&radius_miles=25")

    results = {}
    for radius in (25, 100):
        timings, totals = [], []
        for place in places:
            started = time.perf_counter()
            page = search(place, radius)
            timings.append(time.perf_counter() - started)
            totals.append(page.total)
        results[f"selector_radius_{radius}"] = {
            **summary_ms(timings),
            "median_members_within_radius": statistics.median(totals),
            "max_members_within_radius": max(totals),
        }
        log(f"selector, {radius} miles: {results[f'selector_radius_{radius}']}")

    timings, statuses = [], set()
    for place in places[: args.view_zips]:
        started = time.perf_counter()
        response = client.get(f"/network/?near={place.zip_code}&radius_miles=25")
        timings.append(time.perf_counter() - started)
        statuses.add(response.status_code)
    results["view_radius_25"] = {**summary_ms(timings), "statuses": sorted(statuses)}
    log(f"view, 25 miles: {results['view_radius_25']}")

    worst_median = max(results[key]["median_ms"] for key in results)
    print(
        json.dumps(
            {
                "benchmark": "near_me",
                "machine": machine(),
                "organizations": loaded["loaded"],
                "offers_narrowed_to_fit": loaded["offers_narrowed_to_fit"],
                "load_seconds": round(load_seconds, 2),
                "distinct_zips": len(places),
                "results": results,
                "target": {
                    "median_ms_at_most": TARGET_MEDIAN_MS,
                    "worst_median_ms": worst_median,
                    "met": worst_median <= TARGET_MEDIAN_MS and statuses == {200},
                },
            },
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
