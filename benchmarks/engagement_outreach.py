"""The outreach dashboard's figures over one million activity-report rows, cold and warm.

Builds a throwaway database (PostgreSQL with `--database-url`, whose name must contain
`bench`; else SQLite `var/bench/engagement_outreach.sqlite3`), then with bulk inserts, from a
fixed seed, over the 24 months before today:

- `--organizations` member organizations (every state has one; `_common.organizations_load`);
- `--reports` activity reports (about 10 rows each: `--rows` rows in all, one million by
  default) spread over the organizations, so over every region and state; 70% accepted, the
  rest draft, submitted or returned; about 10% of the rows from ZIP codes on the newest FORHP
  rural list (loaded as `make demo` does; `_common.forhp_load`), the rest from ordinary ZIP
  codes;
- events at a fiftieth of the rows (a fifth in Spanish; nine in ten published, a twentieth
  cancelled; a few still to come) with about 15 registrations each, three in five checked in;
- kit loans: 500 kits, each lent back to back through the two years (shipped, or returned);
- engagement requests at a fiftieth of the rows, in every status, some converted to events.

Then times `outreach.outreach_figures` with the page's labels and charts (what
`/engagement/outreach/` computes) over the 24 months: for everyone grouped by region, by
state and by month, and for one region's specialist (region 6) by state and by month:

- **cold**: a new database connection before each run (PostgreSQL's cache of the tables'
  pages stays warm, as on a live server);
- **warm**: the same connection again.

Prints one JSON document on stdout (progress on stderr). Target (issue 10): median at most
1 s on PostgreSQL.

    .venv/bin/python benchmarks/engagement_outreach.py --database-url postgres://postgres@127.0.0.1:5432/tapestry_bench_outreach --explain
"""

import argparse
import datetime
import functools
import json
import os
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common
from _common import (
    BENCH_DIR,
    analyze,
    django_setup,
    forhp_load,
    log,
    machine,
    migrate,
    organizations_load,
    summary_ms,
)

TARGET_MEDIAN_MS = 1000.0
MONTHS = 24
ONE_REGION = "region-6"
REPORT_STATUSES = [("accepted", 0.7), ("draft", 0.1), ("submitted", 0.1), ("returned", 0.1)]
ROLES = ["community_member", "library_staff", "health_professional", "educator", "student"]
REQUEST_STATUSES = [
    ("new", 0.15),
    ("in_discussion", 0.15),
    ("planned", 0.25),
    ("completed", 0.35),
    ("declined", 0.10),
]
KITS = 500


def build(*, organizations: int, reports: int, rows: int, seed: int) -> dict[str, Any]:
    from django.db import connection, transaction
    from django.utils import timezone

    from tapestry.accounts.models import User
    from tapestry.core.geography import ordinary_zip_places
    from tapestry.engagement import kit_calendar
    from tapestry.engagement.models import (
        ActivityReport,
        ActivityReportRow,
        EngagementRequest,
        Event,
        Kit,
        KitReservation,
        Registration,
    )
    from tapestry.network.api import organization_places

    rng = random.Random(seed)
    with transaction.atomic(), connection.cursor() as cursor:
        for table in (
            "engagement_activityreportrow",
            "engagement_activityreport",
            "engagement_requestmessage",
            "engagement_requestmilestone",
            "engagement_engagementrequest",
            "engagement_registration",
            "engagement_event",
            "engagement_kitreturnitem",
            "engagement_kitreservation",
            "engagement_kititem",
            "engagement_kitphoto",
            "engagement_kittopictag",
            "engagement_kitlanguagetag",
            "engagement_kit",
        ):
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed names
    log(f"creating {organizations:,} organizations")
    organizations_load(organizations, seed=seed)
    places = list(organization_places(organization_ids=_organization_ids()).values())
    newest = forhp_load()
    rural = sorted(newest[1]) if newest else []
    urban = sorted({place.zip_code for place in ordinary_zip_places()} - set(rural))
    author, _created = User.objects.get_or_create(
        email="bench-outreach@example.org", defaults={"full_name": "Bench Outreach"}
    )
    today = timezone.localdate()
    first_day = today - datetime.timedelta(days=MONTHS * 30)
    span = (today - first_day).days

    def some_day() -> datetime.date:
        return first_day + datetime.timedelta(days=rng.randrange(span))

    statuses = [name for name, _share in REPORT_STATUSES]
    weights = [share for _name, share in REPORT_STATUSES]
    log(f"creating {reports:,} reports")
    report_objects = []
    for index in range(reports):
        place = rng.choice(places)
        report_objects.append(
            ActivityReport(
                organization_id=place.id,
                region_code=place.region_code,
                author=author,
                activity_type="training",
                delivery="in_person",
                activity_date=some_day(),
                title=f"Bench report {index}",
                status=rng.choices(statuses, weights)[0],
            )
        )
    report_objects = ActivityReport.objects.bulk_create(report_objects, batch_size=5000)
    log(f"creating {rows:,} report rows")
    rural_rows = 0
    batch: list[ActivityReportRow] = []
    per_report = rows / reports
    for index in range(rows):
        report = report_objects[min(int(index / per_report), reports - 1)]
        is_rural = bool(rural) and rng.random() < 0.1
        rural_rows += is_rural
        batch.append(
            ActivityReportRow(
                report_id=report.pk,
                participants=rng.randint(1, 40),
                zip_code=rng.choice(rural if is_rural else urban),
                role=rng.choice(ROLES),
            )
        )
        if len(batch) == 20000:
            ActivityReportRow.objects.bulk_create(batch)
            batch = []
    ActivityReportRow.objects.bulk_create(batch)

    events_count = rows // 50
    log(f"creating {events_count:,} events")
    now = timezone.now()
    event_objects = []
    for index in range(events_count):
        place = rng.choice(places)
        day = some_day() if rng.random() < 0.97 else today + datetime.timedelta(days=10)
        starts = datetime.datetime.combine(
            day, datetime.time(15, 0), tzinfo=datetime.UTC
        ) + datetime.timedelta(minutes=rng.randrange(600))
        status = rng.choices(["published", "draft", "cancelled"], [0.9, 0.05, 0.05])[0]
        event = Event(
            title=f"Bench event {index}",
            description="Benchmark",
            focus_area="health_literacy",
            language="es" if rng.random() < 0.2 else "en",
            format="in_person",
            organization_id=place.id,
            city=place.city,
            state_code=place.state_code,
            zip_code=place.zip_code,
            latitude=place.latitude,
            longitude=place.longitude,
            capacity=40,
            starts_at=starts,
            ends_at=starts + datetime.timedelta(hours=2),
            time_zone="America/Chicago",
            status=status,
            region_code=place.region_code,
            cancelled_at=now if status == "cancelled" else None,
        )
        event.set_location()
        event_objects.append(event)
    event_objects = Event.objects.bulk_create(event_objects, batch_size=5000)
    log("creating registrations")
    registrations: list[Registration] = []
    registration_count = attended = 0
    for event in event_objects:
        for seat in range(rng.randint(5, 25)):
            came = rng.random() < 0.6
            attended += came
            registration_count += 1
            registrations.append(
                Registration(
                    event_id=event.pk,
                    name="",
                    email=f"r{event.pk}-{seat}@bench.example",
                    zip_code=rng.choice(urban),
                    status="confirmed",
                    attended=came,
                    link_salt="bench",
                    confirm_token_hash=f"c{event.pk}-{seat}",
                    cancel_token_hash=f"x{event.pk}-{seat}",
                )
            )
            if len(registrations) == 20000:
                Registration.objects.bulk_create(registrations)
                registrations = []
    Registration.objects.bulk_create(registrations)

    log("creating kit loans")
    kits = Kit.objects.bulk_create(
        [
            Kit(slug=f"bench-kit-{index}", name=f"Bench kit {index}", name_es=f"Kit {index}")
            for index in range(KITS)
        ]
    )
    loans = []
    for kit in kits:
        ship = first_day + datetime.timedelta(days=rng.randrange(20))
        while ship < today - datetime.timedelta(days=1):
            dates = kit_calendar.loan_dates(ship)
            place = rng.choice(places)
            returned = dates.due_date < today
            loans.append(
                KitReservation(
                    kit_id=kit.pk,
                    organization_id=place.id,
                    region_code=place.region_code,
                    requested_by=author,
                    ship_date=ship,
                    due_date=dates.due_date,
                    blocked_from=dates.blocked_from,
                    blocked_until=dates.blocked_until,
                    status="returned" if returned else "shipped",
                    shipped_at=datetime.datetime.combine(
                        ship, datetime.time(16, 0), tzinfo=datetime.UTC
                    ),
                )
            )
            ship = dates.blocked_until + datetime.timedelta(days=rng.randrange(0, 10))
    KitReservation.objects.bulk_create(loans, batch_size=5000)

    requests_count = rows // 50
    log(f"creating {requests_count:,} requests")
    request_statuses = [name for name, _share in REQUEST_STATUSES]
    request_weights = [share for _name, share in REQUEST_STATUSES]
    published = [event for event in event_objects if event.status == "published"]
    requests = []
    for _index in range(requests_count):
        place = rng.choice(places)
        status = rng.choices(request_statuses, request_weights)[0]
        day = some_day()
        requests.append(
            EngagementRequest(
                requester=author,
                organization_id=place.id,
                state_code=place.state_code,
                region_code=place.region_code,
                audience="Adults",
                focus_area="health_literacy",
                language="es" if rng.random() < 0.2 else "en",
                preferred_date_1=day,
                preferred_date_2=day + datetime.timedelta(days=7),
                expected_attendance=20,
                status=status,
                event=rng.choice(published)
                if status in ("planned", "completed") and rng.random() < 0.4
                else None,
            )
        )
    EngagementRequest.objects.bulk_create(requests, batch_size=5000)
    return {
        "organizations": len(places),
        "reports": reports,
        "report_rows": rows,
        "report_rows_rural_zip": rural_rows,
        "rural_list": newest[0] if newest else None,
        "events": events_count,
        "registrations": registration_count,
        "registrations_checked_in": attended,
        "kit_loans": len(loans),
        "requests": requests_count,
        "months": MONTHS,
    }


def existing() -> dict[str, Any]:
    """What an earlier run built (for --reuse)."""
    from tapestry.engagement.models import (
        ActivityReport,
        ActivityReportRow,
        EngagementRequest,
        Event,
        KitReservation,
        Registration,
    )

    return {
        "reused": True,
        "organizations": len(_organization_ids()),
        "reports": ActivityReport.objects.count(),
        "report_rows": ActivityReportRow.objects.count(),
        "events": Event.objects.count(),
        "registrations": Registration.objects.count(),
        "registrations_checked_in": Registration.objects.filter(attended=True).count(),
        "kit_loans": KitReservation.objects.count(),
        "requests": EngagementRequest.objects.count(),
        "months": MONTHS,
    }


def _organization_ids() -> list[int]:
    from tapestry.network.api import organization_choices

    return [pk for pk, _label in organization_choices()]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--organizations", type=int, default=2000)
    parser.add_argument("--reports", type=int, default=100_000)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--database-url")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--explain", action="store_true", help="print the plans on stderr")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="time the data an earlier run built in this PostgreSQL database (no rebuild)",
    )
    parser.add_argument(
        "--forhp-dir",
        type=Path,
        help="where the FORHP lists are (default: shared/data/forhp-rural-zip beside the "
        "project, or beside a parent of it, as in a worktree)",
    )
    args = parser.parse_args()
    if args.forhp_dir:
        _common.FORHP_DIR = args.forhp_dir
    else:
        for parent in Path(__file__).resolve().parents:
            candidate = parent / "shared" / "data" / "forhp-rural-zip"
            if candidate.is_dir():
                _common.FORHP_DIR = candidate
                break

    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    database = BENCH_DIR / "engagement_outreach.sqlite3"
    if not args.database_url:
        database.unlink(missing_ok=True)
    elif "bench" not in args.database_url.rsplit("/", 1)[-1]:
        raise SystemExit("refusing a database whose name does not contain 'bench'")
    django_setup(args.database_url or f"sqlite:///{database}")
    from django.db import connection
    from django.utils import timezone, translation

    from tapestry.engagement import outreach
    from tapestry.engagement.views import outreach as outreach_views

    translation.activate("en")
    migrate()
    started = time.perf_counter()
    if args.reuse and args.database_url:
        data = existing()
        log(f"reusing {data['report_rows']:,} report rows")
    else:
        data = build(
            organizations=args.organizations, reports=args.reports, rows=args.rows, seed=args.seed
        )
    build_seconds = time.perf_counter() - started
    analyze()
    where = machine()  # before the runs: the load average as they start

    today = timezone.localdate()
    date_from = (today - datetime.timedelta(days=MONTHS * 30)).replace(day=1)
    everyone = outreach.OutreachScope(everyone=True)
    one_region = outreach.OutreachScope(region_codes=(ONE_REGION,))

    def dashboard(scope: outreach.OutreachScope, group_by: str) -> outreach.OutreachFigures:
        filters = outreach.OutreachFilters(date_from=date_from, date_to=today, group_by=group_by)
        figures = outreach.outreach_figures(scope=scope, filters=filters)
        outreach_views._sections(figures, outreach_views.group_labels(figures))
        return figures

    if args.explain:
        filters = outreach.OutreachFilters(date_from=date_from, date_to=today)
        rural = outreach.rural_condition(
            outreach.rural_zip_lists(), filters.date_from, filters.date_to
        )
        plans = {
            "events": outreach._events(everyone, filters, timezone.now()),
            "attendees": outreach._attendees(everyone, filters, timezone.now()),
            "participants": outreach._participants(everyone, filters, rural),
            "participants_one_region": outreach._participants(one_region, filters, rural),
            "kits": outreach._kits(everyone, filters),
            "requests": outreach._requests(everyone, filters),
        }
        for name, queryset in plans.items():
            log(f"--- {name}")
            if connection.vendor == "postgresql":
                plan = queryset.explain(analyze=True)
            else:
                plan = queryset.explain()
            # The rural ZIP list makes a plan's line long; such a line is cut.
            for line in plan.splitlines():
                log(line if len(line) < 400 else line[:300] + " …")

    def timed(function: Callable[[], object], *, cold: bool) -> float:
        if cold:
            connection.close()
        connection.ensure_connection()
        begun = time.perf_counter()
        function()
        return time.perf_counter() - begun

    cases: dict[str, Callable[[], object]] = {
        f"everyone_by_{group_by}": functools.partial(dashboard, everyone, group_by)
        for group_by in outreach.GROUPINGS
    }
    cases["one_region_by_state"] = lambda: dashboard(one_region, "state")
    cases["one_region_by_month"] = lambda: dashboard(one_region, "month")
    log("timing")
    check = dashboard(everyone, "region")
    timings: dict[str, list[float]] = {}
    for name, function in cases.items():
        timed(function, cold=False)
        timings[f"{name}_cold"] = [timed(function, cold=True) for _ in range(args.runs)]
        timings[f"{name}_warm"] = [timed(function, cold=False) for _ in range(args.runs)]
        log(f"{name}: {sorted(timings[f'{name}_warm'])[len(timings[f'{name}_warm']) // 2]:.3f} s")
    summaries = {name: summary_ms(values) for name, values in timings.items()}
    result = {
        "benchmark": "engagement_outreach",
        "machine": where,
        "data": data,
        "build_seconds": round(build_seconds, 1),
        "period": [date_from.isoformat(), today.isoformat()],
        "totals_everyone": check.totals,
        "timings": summaries,
        "load_average_1m_at_end": round(os.getloadavg()[0], 2),
        "target": {
            "median_ms_at_most": TARGET_MEDIAN_MS,
            "met": max(summary["median_ms"] for summary in summaries.values()) <= TARGET_MEDIAN_MS,
        },
    }
    print(json.dumps(result, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
