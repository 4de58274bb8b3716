"""The funding dashboard (the pipeline by stage, money by region, the reach of the funded
projects) with 5,000 applications, through the whole request, cold and warm.

Builds a throwaway database (PostgreSQL with `--database-url`, whose name must contain
`bench`; else SQLite `var/bench/funding_pipeline.sqlite3`), then with bulk inserts, from a
fixed seed:

- `--organizations` member organizations (every state has one; `_common.organizations_load`);
- `--calls` funding calls, with `--applications` applications spread over them (one per
  organization and call) at every stage: about 10% drafts, 25% submitted, 15% screened, 20%
  under review, 15% awarded, 12% declined, 3% withdrawn;
- an award for each awarded application, in its organization's region, for May 1 to April 30
  of one of two years, with up to 8 monthly invoices each in every invoice status;
- `--reports` filed engagement activity reports from the awardees and others over the two
  years, with a few rows of participants each (the reach).

Then GETs /funding/staff/dashboard/ (and, for comparison, the staff home /funding/staff/ with
the pipeline per call) through django.test.Client, signed in as program staff with
two-factor sign-in (middleware, permission, queries, template):

- **cold**: a new database connection before each request;
- **warm**: the same connection again.

Prints one JSON document on stdout (progress on stderr) with median and p95 and the commit
measured. Target (issue 12): median at most 300 ms for the dashboard.

    .venv/bin/python benchmarks/funding_pipeline.py
    .venv/bin/python benchmarks/funding_pipeline.py --database-url postgres://postgres@127.0.0.1:5432/tapestry_bench_funding
"""

import argparse
import datetime
import json
import os
import random
import sys
import time
from decimal import Decimal
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
    organizations_load,
    summary_ms,
)

TARGET_MEDIAN_MS = 300.0
STAGES = [
    ("draft", 0.10),
    ("submitted", 0.25),
    ("screened", 0.15),
    ("under_review", 0.20),
    ("awarded", 0.15),
    ("declined", 0.12),
    ("withdrawn", 0.03),
]
INVOICE_STATUSES = [("submitted", 0.2), ("approved", 0.3), ("paid", 0.4), ("returned", 0.1)]
AWARD_YEARS = (2025, 2026)


def build(
    *, organizations: int, calls: int, applications: int, reports: int, seed: int
) -> dict[str, Any]:
    from django.db import connection, transaction
    from django.utils import timezone

    from tapestry.accounts.models import User
    from tapestry.engagement.models import ActivityReport, ActivityReportRow
    from tapestry.funding.models import (
        Application,
        Award,
        Invoice,
        Opportunity,
        StatusChange,
    )
    from tapestry.network.api import organization_choices, organizations_get

    rng = random.Random(seed)
    with transaction.atomic(), connection.cursor() as cursor:
        for table in (
            "funding_awardchange",
            "funding_invoice",
            "funding_awardreport",
            "funding_extensionrequest",
            "funding_publishedmaterial",
            "funding_award",
            "funding_rubricscore",
            "funding_reviewassignment",
            "funding_screeninganswer",
            "funding_statuschange",
            "funding_budgetline",
            "funding_applicationsection",
            "funding_attachment",
            "funding_applicationmember",
            "funding_application",
            "funding_rubriccriterion",
            "funding_screeningitem",
            "funding_opportunity",
            "engagement_activityreportrow",
            "engagement_activityreport",
        ):
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed names
    log(f"creating {organizations:,} organizations")
    organizations_load(organizations, seed=seed)
    organization_ids = [pk for pk, _label in organization_choices()]
    refs = organizations_get(organization_ids=organization_ids)
    author, _created = User.objects.get_or_create(
        email="bench-funding@example.org", defaults={"full_name": "Bench Funding"}
    )
    now = timezone.now()
    opportunities = Opportunity.objects.bulk_create(
        Opportunity(
            title=f"Bench call {index}",
            title_es=f"Convocatoria {index}",
            description="Benchmark",
            description_es="Benchmark",
            performance_start=datetime.date(AWARD_YEARS[index % 2], 5, 1),
            performance_end=datetime.date(AWARD_YEARS[index % 2] + 1, 4, 30),
            awards_available=50,
            maximum_amount=Decimal("10000.00"),
            deadline=now + datetime.timedelta(days=30 - 60 * (index % 2)),
            published_at=now if index else None,
            created_by=author,
        )
        for index in range(calls)
    )
    per_call = -(-applications // calls)
    if per_call > len(organization_ids):
        raise SystemExit("more applications per call than organizations: raise --organizations")
    stages = [name for name, _share in STAGES]
    weights = [share for _name, share in STAGES]
    log(f"creating {applications:,} applications")
    objects = []
    for index in range(applications):
        opportunity = opportunities[index % calls]
        status = rng.choices(stages, weights)[0]
        objects.append(
            Application(
                opportunity=opportunity,
                organization_id=organization_ids[(index // calls) % len(organization_ids)],
                status=status,
                project_title=f"Bench project {index}",
                summary="Benchmark",
                tracking_number=None if status == "draft" else f"F2026-{index + 1:06d}",
                submitted_at=None if status == "draft" else now,
                created_by=author,
            )
        )
    created = Application.objects.bulk_create(objects, batch_size=2000)
    StatusChange.objects.bulk_create(
        (
            StatusChange(
                application=application,
                from_status="draft",
                to_status=application.status,
                actor=author,
            )
            for application in created
            if application.status != "draft"
        ),
        batch_size=2000,
    )
    awarded = [application for application in created if application.status == "awarded"]
    log(f"creating {len(awarded):,} awards and their invoices")
    awards = Award.objects.bulk_create(
        (
            Award(
                application=application,
                organization_id=application.organization_id,
                region_code=refs[application.organization_id].region_code,
                number=f"A-{index:05d}",
                amount=Decimal(rng.randrange(2000, 10000)),
                period_start=datetime.date(year, 5, 1),
                period_end=datetime.date(year + 1, 4, 30),
                acknowledgement="Funded by the network.",
                awarded_by=author,
            )
            for index, application in enumerate(awarded)
            for year in [AWARD_YEARS[index % 2]]
        ),
        batch_size=2000,
    )
    invoice_statuses = [name for name, _share in INVOICE_STATUSES]
    invoice_weights = [share for _name, share in INVOICE_STATUSES]
    invoices = []
    for award in awards:
        for month in range(rng.randrange(0, 9)):
            billing = datetime.date(
                award.period_start.year + (award.period_start.month + month - 1) // 12,
                (award.period_start.month + month - 1) % 12 + 1,
                1,
            )
            invoices.append(
                Invoice(
                    award=award,
                    number=f"I-{award.number}-{month}",
                    billing_month=billing,
                    invoice_date=billing,
                    amount=Decimal(rng.randrange(100, 800)),
                    description="Benchmark",
                    status=rng.choices(invoice_statuses, invoice_weights)[0],
                    submitted_by=author,
                )
            )
    Invoice.objects.bulk_create(invoices, batch_size=2000)
    log(f"creating {reports:,} activity reports")
    first_day = datetime.date(AWARD_YEARS[0], 5, 1)
    span = (datetime.date(AWARD_YEARS[-1] + 1, 4, 30) - first_day).days
    awardee_ids = [award.organization_id for award in awards]
    report_objects = ActivityReport.objects.bulk_create(
        (
            ActivityReport(
                organization_id=rng.choice(awardee_ids)
                if awardee_ids and rng.random() < 0.7
                else rng.choice(organization_ids),
                region_code="region-6",
                author=author,
                activity_type=rng.choice(["training", "presentation", "webinar"]),
                delivery="in_person",
                activity_date=first_day + datetime.timedelta(days=rng.randrange(span)),
                title=f"Bench report {index}",
                status=rng.choice(["accepted", "accepted", "submitted", "draft"]),
            )
            for index in range(reports)
        ),
        batch_size=5000,
    )
    ActivityReportRow.objects.bulk_create(
        (
            ActivityReportRow(
                report_id=report.pk,
                participants=rng.randint(1, 40),
                zip_code="60601",
                role="community_member",
            )
            for report in report_objects
            for _row in range(rng.randint(1, 4))
        ),
        batch_size=10000,
    )
    return {
        "organizations": len(organization_ids),
        "calls": calls,
        "applications": len(created),
        "awards": len(awards),
        "invoices": len(invoices),
        "activity_reports": reports,
    }


def staff_client() -> Any:
    """A test client signed in as program staff, through the password and the TOTP code."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    from tapestry.accounts.api import Role
    from tapestry.accounts.tests.factories import PASSWORD, UserFactory, totp_code_now

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


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--database-url")
    parser.add_argument("--organizations", type=int, default=1500)
    parser.add_argument("--calls", type=int, default=8)
    parser.add_argument("--applications", type=int, default=5000)
    parser.add_argument("--reports", type=int, default=20000)
    parser.add_argument("--runs", type=int, default=30, help="Timed requests per case.")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()

    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    database = BENCH_DIR / "funding_pipeline.sqlite3"
    if not args.database_url:
        for stale in (database, Path(f"{database}-wal"), Path(f"{database}-shm")):
            stale.unlink(missing_ok=True)
    elif "bench" not in args.database_url.rsplit("/", 1)[-1]:
        raise SystemExit("refusing a database whose name does not contain 'bench'")
    django_setup(args.database_url or f"sqlite:///{database}")
    from django.db import connection
    from django.test.utils import setup_test_environment

    # The test client's host ("testserver") and a local email outbox, as in the tests.
    setup_test_environment()
    log("migrating")
    migrate()
    started = time.perf_counter()
    data = build(
        organizations=args.organizations,
        calls=args.calls,
        applications=args.applications,
        reports=args.reports,
        seed=args.seed,
    )
    build_seconds = time.perf_counter() - started
    analyze()
    client = staff_client()
    where = machine()

    def timed(url: str, *, cold: bool) -> float:
        if cold:
            connection.close()
        begun = time.perf_counter()
        response = client.get(url)
        seconds = time.perf_counter() - begun
        assert response.status_code == 200, (url, response.status_code)
        return seconds

    cases = {"dashboard": "/funding/staff/dashboard/", "staff_home": "/funding/staff/"}
    timings: dict[str, list[float]] = {}
    for name, url in cases.items():
        timed(url, cold=False)  # warm-up: templates, query plans, the page cache
        timings[f"{name}_cold"] = [timed(url, cold=True) for _ in range(args.runs)]
        timings[f"{name}_warm"] = [timed(url, cold=False) for _ in range(args.runs)]
        log(f"{name}: warm median {sorted(timings[f'{name}_warm'])[args.runs // 2] * 1000:.1f} ms")
    summaries = {name: summary_ms(values) for name, values in timings.items()}
    dashboard_medians = [
        summaries["dashboard_cold"]["median_ms"],
        summaries["dashboard_warm"]["median_ms"],
    ]
    print(
        json.dumps(
            {
                "benchmark": "funding_pipeline",
                "commit": where.get("commit"),
                "machine": where,
                "data": data,
                "build_seconds": round(build_seconds, 1),
                "timings": summaries,
                "load_average_1m_at_end": round(os.getloadavg()[0], 2),
                "target": {
                    "page": cases["dashboard"],
                    "median_ms_at_most": TARGET_MEDIAN_MS,
                    "met": max(dashboard_medians) <= TARGET_MEDIAN_MS,
                },
            },
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
