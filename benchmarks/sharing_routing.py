"""Routing one resource-sharing request over 5,000 libraries and 2,000,000 holdings ranges
(issue 14).

Builds a throwaway database (PostgreSQL with `--database-url`, whose name must contain
`bench`; else SQLite `var/bench/sharing_routing.sqlite3`), then, from a fixed seed and with
bulk inserts (COPY on PostgreSQL): `--libraries` member organizations (the demo's builder, so
the network's region map of its reference data places them), each holding about
`--ranges / --libraries` holdings ranges with a realistic skew: a few hundred popular journals
held by most libraries (the most popular by about nine in ten, the 300th by one in five), a
long tail of 20,000 journals held by a few libraries each; one to three ranges per holding
(gaps), print and electronic (most licences allowing lending); books by ISBN for a few
libraries; a lending policy for nine libraries in ten (fees $0 to $20, to the region, the
network, public libraries), closures for a few, preferred lenders for some borrowers.

Then it times `routing.lenders_route(...)` for a sample of requests: popular journals, tail
journals and a book by ISBN, each from several borrowers:

- **cold**: a new database connection before each call (the first query after connecting);
- **warm**: the same connection again.

Prints one JSON document on stdout (progress on stderr): a row per kind of request and way
(each with the commit measured), the lenders found, the plan of the policies query for a
popular journal (EXPLAIN ANALYZE), the database, the scale. Target (issue 14): median at
most 50 ms on PostgreSQL.

    .venv/bin/python benchmarks/sharing_routing.py
    .venv/bin/python benchmarks/sharing_routing.py --database-url postgres://postgres@127.0.0.1:5432/tapestry_bench_sharing
"""

import argparse
import datetime
import json
import os
import random
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    BENCH_DIR,
    DATA_TODAY,
    ROOT,
    analyze,
    django_setup,
    log,
    machine,
    migrate,
    organizations_load,
    summary_ms,
)

TARGET_MEDIAN_MS = 50.0
POPULAR_JOURNALS = 300
TAIL_JOURNALS = 20_000
BOOKS = 200
# The day routing is asked about (holdings are generated up to the year before).
TODAY = DATA_TODAY + datetime.timedelta(days=30)
FEES = [0, 0, 0, 500, 800, 1000, 1000, 1200, 1500, 2000]


def issn_of(number: int) -> str:
    """A valid ISSN (check digit included) from a number below 10,000,000."""
    from tapestry.sharing.identifiers import issn_check_digit

    digits = f"{number:07d}"
    whole = digits + issn_check_digit(digits)
    return f"{whole[:4]}-{whole[4:]}"


def isbn_of(number: int) -> str:
    twelve = f"978{number:09d}"
    total = sum(int(digit) * (3 if index % 2 else 1) for index, digit in enumerate(twelve))
    return twelve + str((10 - total % 10) % 10)


def _journals() -> tuple[list[str], list[str]]:
    rng = random.Random(11)
    numbers = rng.sample(range(1_000_000, 9_999_999), POPULAR_JOURNALS + TAIL_JOURNALS)
    issns = [issn_of(number) for number in numbers]
    return issns[:POPULAR_JOURNALS], issns[POPULAR_JOURNALS:]


def _ranges(rng: random.Random, count: int) -> list[tuple[int, int | None]]:
    """`count` year ranges with gaps between them, the last one often open."""
    start = rng.randint(1950, 2012)
    ranges: list[tuple[int, int | None]] = []
    for index in range(count):
        end = min(start + rng.randint(2, 20), 2025)
        last = index == count - 1
        ranges.append((start, None if last and rng.random() < 0.6 else end))
        start = end + rng.randint(2, 5)
        if start > 2024:
            break
    return ranges


def _holdings_of(
    rng: random.Random, popular: list[str], tail: list[str], per_library: int
) -> Iterator[tuple[str, str, bool, list[tuple[int, int | None]]]]:
    """A library's journals: (issn, format, licence allows lending, ranges)."""
    chosen = [
        issn
        for rank, issn in enumerate(popular)
        if rng.random() < 0.9 * (1 - rank / (POPULAR_JOURNALS * 1.15))
    ]
    # About 1.9 ranges a journal (print with gaps, and electronic for a third).
    wanted_journals = max(10, round(per_library / 1.9))
    if len(chosen) > wanted_journals * 0.8:
        chosen = rng.sample(chosen, round(wanted_journals * 0.8))
    chosen += rng.sample(tail, max(0, wanted_journals - len(chosen)))
    for issn in chosen:
        yield issn, "print", False, _ranges(rng, rng.choice((1, 1, 2, 2, 3)))
        if rng.random() < 0.33:
            since = rng.randint(1995, 2015)
            yield issn, "electronic", rng.random() < 0.7, [(since, None)]


def _copy(table: str, columns: list[str], rows: Iterator[tuple[Any, ...]]) -> None:
    """Bulk-insert rows: COPY on PostgreSQL, executemany in batches on SQLite."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            raw = cursor.cursor
            with raw.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        return
    marks = ", ".join("?" for _ in columns)
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"  # noqa: S608 - names are this file's constants
    batch: list[tuple[Any, ...]] = []
    with connection.cursor() as cursor:
        for row in rows:
            batch.append(row)
            if len(batch) == 20_000:
                cursor.executemany(sql, batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)


def build(*, libraries: int, ranges: int, seed: int) -> dict[str, Any]:
    """Replace the members, holdings and policies with generated ones."""
    from django.db import connection, transaction

    from tapestry.network.models import Organization
    from tapestry.sharing.models import (
        Closure,
        Holding,
        HoldingRange,
        LendingPolicy,
        PreferredLender,
        Request,
    )

    rng = random.Random(seed)
    log(f"creating {libraries:,} member organizations")
    organizations_load(libraries, seed=seed)
    ids = sorted(Organization.objects.values_list("pk", flat=True))
    popular, tail = _journals()
    books = [isbn_of(100_000_000 + number) for number in range(BOOKS)]
    per_library = ranges / libraries
    now = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    with transaction.atomic():
        Request.objects.all().delete()
        for model in (HoldingRange, Holding, LendingPolicy, Closure, PreferredLender):
            model.objects.all().delete()
    holding_rows: list[tuple[Any, ...]] = []
    range_rows: list[tuple[Any, ...]] = []
    holding_id = 0
    log("generating holdings")
    for organization_id in ids:
        # The real count of ranges per library varies around the mean.
        wanted = max(20, round(rng.gauss(per_library, per_library / 4)))
        for issn, holding_format, licence, years in _holdings_of(rng, popular, tail, wanted):
            holding_id += 1
            lendable = holding_format == "print" or licence
            holding_rows.append(
                (
                    holding_id,
                    organization_id,
                    "serial",
                    f"Journal {issn}",
                    issn,
                    "",
                    holding_format,
                    licence,
                    now,
                    now,
                )
            )
            for year_from, year_to in years:
                range_rows.append(
                    (holding_id, organization_id, issn, lendable, year_from, year_to, None, None)
                )
        if rng.random() < 0.3:
            for isbn in rng.sample(books, rng.randint(1, 8)):
                holding_id += 1
                holding_rows.append(
                    (
                        holding_id,
                        organization_id,
                        "book",
                        f"Book {isbn}",
                        "",
                        isbn,
                        "print",
                        False,
                        now,
                        now,
                    )
                )
    log(f"inserting {len(holding_rows):,} holdings and {len(range_rows):,} ranges")
    with transaction.atomic():
        _copy(
            "sharing_holding",
            [
                "id",
                "organization_id",
                "kind",
                "title",
                "issn",
                "isbn",
                "holding_format",
                "licence_allows_lending",
                "created_at",
                "updated_at",
            ],
            iter(holding_rows),
        )
        _copy(
            "sharing_holdingrange",
            [
                "holding_id",
                "organization_id",
                "issn",
                "lendable",
                "year_from",
                "year_to",
                "volume_from",
                "volume_to",
            ],
            iter(range_rows),
        )
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT setval(pg_get_serial_sequence('sharing_holding', 'id'), %s)",
                    [holding_id],
                )
    policies = []
    for organization_id in ids:
        if rng.random() >= 0.9:
            continue
        mail = rng.random() < 0.5
        policies.append(
            LendingPolicy(
                organization_id=organization_id,
                lends=rng.random() < 0.95,
                lends_to_region=True,
                lends_to_network=rng.random() < 0.6,
                lends_to_public_libraries=rng.random() < 0.3,
                fee_cents=rng.choice(FEES),
                delivers_electronically=not mail or rng.random() < 0.8,
                delivers_by_mail=mail,
                answer_business_days=rng.choice((2, 2, 3)),
                accepts_patron_requests=rng.random() < 0.1,
            )
        )
    closures = []
    for organization_id in rng.sample(ids, len(ids) // 50):
        starts = TODAY + datetime.timedelta(days=rng.randint(-60, 60))
        ends = None if rng.random() < 0.2 else starts + datetime.timedelta(days=rng.randint(1, 14))
        closures.append(
            Closure(
                organization_id=organization_id, starts_on=starts, ends_on=ends, reason="Closed"
            )
        )
    preferred = []
    for borrower_id in rng.sample(ids, len(ids) // 5):
        lenders = rng.sample([pk for pk in ids if pk != borrower_id][:2000], rng.randint(2, 5))
        preferred += [
            PreferredLender(borrower_id=borrower_id, lender_id=lender_id, position=position)
            for position, lender_id in enumerate(lenders, start=1)
        ]
    with transaction.atomic():
        LendingPolicy.objects.bulk_create(policies, batch_size=5000)
        Closure.objects.bulk_create(closures, batch_size=5000)
        PreferredLender.objects.bulk_create(preferred, batch_size=5000)
    return {
        "libraries": len(ids),
        "holdings": len(holding_rows),
        "holdings_ranges": len(range_rows),
        "popular_journals": POPULAR_JOURNALS,
        "tail_journals": TAIL_JOURNALS,
        "books": BOOKS,
        "policies": len(policies),
        "closures": len(closures),
        "preferred_lenders": len(preferred),
    }


def sample_requests(*, seed: int) -> dict[str, list[dict[str, Any]]]:
    """Requests to route, by kind: (borrower, citation) pairs drawn from the data."""
    from tapestry.network.models import Organization
    from tapestry.sharing.models import HoldingRange
    from tapestry.sharing.routing import Citation

    rng = random.Random(seed)
    popular, tail = _journals()
    ids = sorted(Organization.objects.values_list("pk", flat=True))
    borrowers = rng.sample(ids, 20)
    public = list(
        Organization.objects.filter(org_type="public_library").values_list("pk", flat=True)[:5]
    )
    borrowers = public + borrowers
    held_tail = [
        issn
        for issn in rng.sample(tail, 400)
        if HoldingRange.objects.filter(issn=issn, lendable=True).exists()
    ][:20]
    requests: dict[str, list[dict[str, Any]]] = {"popular": [], "tail": [], "book": []}
    for index, borrower_id in enumerate(borrowers):
        requests["popular"].append(
            {
                "borrower_id": borrower_id,
                "citation": Citation(issn=popular[index % 10], year=rng.randint(2005, 2024)),
            }
        )
        requests["tail"].append(
            {
                "borrower_id": borrower_id,
                "citation": Citation(
                    issn=held_tail[index % len(held_tail)], year=rng.randint(2000, 2020)
                ),
            }
        )
        requests["book"].append(
            {"borrower_id": borrower_id, "citation": Citation(isbn=isbn_of(100_000_000 + index))}
        )
    return requests


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


def explain(citation: Any, borrower_id: int) -> list[str]:
    """The plan, with actual times on PostgreSQL, of routing's policies query (the one that
    reads the holdings ranges)."""
    from django.db import connection

    from tapestry.sharing.models import LendingPolicy
    from tapestry.sharing.routing import _holders

    query = (
        LendingPolicy.objects.filter(_holders(citation), lends=True, fee_cents__lte=2000)
        .exclude(organization_id=borrower_id)
        .only(
            "organization_id",
            "fee_cents",
            "answer_business_days",
            "lends_to_region",
            "lends_to_network",
            "lends_to_public_libraries",
        )
    )
    sql, parameters = query.query.sql_with_params()
    prefix = (
        "EXPLAIN (ANALYZE, BUFFERS) "
        if connection.vendor == "postgresql"
        else "EXPLAIN QUERY PLAN "
    )
    with connection.cursor() as cursor:
        cursor.execute(prefix + sql, parameters)
        return [" ".join(str(part) for part in row) for row in cursor.fetchall()]


def stages(request: dict[str, Any]) -> dict[str, float]:
    """Where one warm routing call spends its time: the policies query, the organizations
    (network.api), and the whole call, in milliseconds."""
    from tapestry.network.api import organizations_get
    from tapestry.sharing.models import LendingPolicy
    from tapestry.sharing.routing import _holders, lenders_route

    begun = time.perf_counter()
    policies = list(
        LendingPolicy.objects.filter(
            _holders(request["citation"]), lends=True, fee_cents__lte=2000
        ).only("organization_id", "fee_cents")
    )
    policies_ms = (time.perf_counter() - begun) * 1000
    begun = time.perf_counter()
    organizations_get(organization_ids=[policy.organization_id for policy in policies])
    organizations_ms = (time.perf_counter() - begun) * 1000
    begun = time.perf_counter()
    lenders_route(
        borrower_id=request["borrower_id"],
        citation=request["citation"],
        max_cost_cents=2000,
        today=TODAY,
        seed=1,
    )
    return {
        "qualifying_policies": len(policies),
        "policies_query_ms": round(policies_ms, 2),
        "organizations_get_ms": round(organizations_ms, 2),
        "lenders_route_ms": round((time.perf_counter() - begun) * 1000, 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--database-url")
    parser.add_argument("--libraries", type=int, default=5_000)
    parser.add_argument("--ranges", type=int, default=2_000_000)
    parser.add_argument("--runs", type=int, default=3, help="Timed runs of each request, each way.")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--reuse", action="store_true", help="Time the data already in the database."
    )
    args = parser.parse_args()

    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    database = BENCH_DIR / "sharing_routing.sqlite3"
    if not args.database_url:
        if not args.reuse:
            for stale in (database, Path(f"{database}-wal"), Path(f"{database}-shm")):
                stale.unlink(missing_ok=True)
    elif "bench" not in args.database_url.rsplit("/", 1)[-1]:
        raise SystemExit("refusing a database whose name does not contain 'bench'")
    os.environ.setdefault("TAPESTRY_SECRET_KEY", "benchmark-only")
    django_setup(args.database_url or f"sqlite:///{database}")
    from django.db import connection

    from tapestry.sharing.models import HoldingRange, LendingPolicy
    from tapestry.sharing.routing import lenders_route

    log("migrating")
    migrate()
    started = time.perf_counter()
    if args.reuse and HoldingRange.objects.exists():
        data: dict[str, Any] = {
            "libraries": LendingPolicy.objects.count(),
            "holdings_ranges": HoldingRange.objects.count(),
            "reused": True,
        }
    else:
        data = build(libraries=args.libraries, ranges=args.ranges, seed=args.seed)
        data["build_seconds"] = round(time.perf_counter() - started, 1)
        log("analyzing")
        analyze()
    where = machine()
    commit = short_commit()

    def timed(request: dict[str, Any], *, cold: bool) -> tuple[float, int]:
        if cold:
            connection.close()
            connection.ensure_connection()  # connecting is not routing's time
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("DISCARD ALL")
        begun = time.perf_counter()
        lenders = lenders_route(
            borrower_id=request["borrower_id"],
            citation=request["citation"],
            max_cost_cents=2000,
            today=TODAY,
            seed=request["borrower_id"],
        )
        return time.perf_counter() - begun, len(lenders)

    requests = sample_requests(seed=args.seed)
    rows = []
    lenders_found: dict[str, list[int]] = {}
    every: dict[str, list[float]] = {"cold": [], "warm": []}
    for kind, sample in requests.items():
        lenders_found[kind] = []
        timings: dict[str, list[float]] = {"cold": [], "warm": []}
        for request in sample:
            _seconds, found = timed(request, cold=False)  # warm-up: the plan, the caches
            lenders_found[kind].append(found)
            for way in ("cold", "warm"):
                for _run in range(args.runs):
                    seconds, _found = timed(request, cold=way == "cold")
                    timings[way].append(seconds)
        for way, values in timings.items():
            every[way] += values
            rows.append({"commit": commit, "request": kind, "way": way, **summary_ms(values)})
            log(f"{kind} {way}: median {rows[-1]['median_ms']} ms, p95 {rows[-1]['p95_ms']} ms")
    for way, values in every.items():
        rows.append({"commit": commit, "request": "all", "way": way, **summary_ms(values)})
    # Met only when every kind of request meets it, cold and warm (popular journals are the
    # hard case; the overall median would hide them).
    medians = [row["median_ms"] for row in rows if row["request"] != "all"]
    popular = requests["popular"][5]
    print(
        json.dumps(
            {
                "benchmark": "sharing_routing",
                "commit": commit,
                "database": where["database"],
                "scale": data,
                "machine": where,
                "runs_per_request": args.runs,
                "requests": {kind: len(sample) for kind, sample in requests.items()},
                "lenders_found": lenders_found,
                "rows": rows,
                "stages_popular_warm": stages(popular),
                "stages_tail_warm": stages(requests["tail"][5]),
                "plan_popular": explain(popular["citation"], popular["borrower_id"]),
                "load_average_1m_at_end": round(os.getloadavg()[0], 2),
                "target": {
                    "median_ms_at_most": TARGET_MEDIAN_MS,
                    "met": max(medians) <= TARGET_MEDIAN_MS,
                },
            },
            indent=2,
            default=str,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
