"""The compliance report at 100,000 learners with 5 requirements each, cold and warm.

Builds a throwaway database (PostgreSQL with `--database-url`, whose name must contain
`bench`; else SQLite `var/bench/learning_compliance.sqlite3`), then with bulk inserts:
`--learners` people holding the community-partner role, whose five required courses (one of
them with a Spanish translation, completions of which count for it) each person has completed
in a mix of states: compliant, in the renewal window (expiring), expired, missing, renewed (two
completions), completed with a revoked certificate, or bypassed. Each person has a learner
profile (one of 500 organizations, one of ten regions).

Builds the report's standings (`reports.standing_rebuild`, as the daily job does) and records
the chart's 12 month ends (`reports.compliance_months_record`), timing both once; then times
`reports.compliance_counts` (one GROUP BY over the standings) for everyone grouped by role, by
region, by organization and by course, and for one region's specialist; the 12-month chart for
everyone and for one region; and one person's `standing_refresh` (what a completion, a
revocation or a bypass now adds to its transaction):

- **cold**: a new database connection before each run (PostgreSQL's cache of the tables'
  pages stays warm, as on a live server);
- **warm**: the same connection again.

Prints one JSON document on stdout (progress on stderr). Target (issue 9): median at most
1 s on PostgreSQL for the report.

    .venv/bin/python benchmarks/learning_compliance.py --database-url postgres://postgres@127.0.0.1:5432/tapestry_bench_compliance
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

from _common import BENCH_DIR, analyze, django_setup, log, machine, migrate, summary_ms

TARGET_MEDIAN_MS = 1000.0
REQUIREMENTS = 5
REGIONS = [f"region-{number}" for number in range(1, 11)]
ORGANIZATIONS = 500
# Share of (person, requirement) pairs in each state.
MIX = [
    ("compliant", 0.45),
    ("expiring", 0.12),
    ("expired", 0.10),
    ("missing", 0.13),
    ("renewed", 0.12),
    ("revoked", 0.03),
    ("bypassed", 0.05),
]


def build(learners: int, seed: int) -> dict[str, Any]:
    from django.contrib.auth.models import Group
    from django.db import connection, transaction
    from django.utils import timezone

    from tapestry.accounts.api import Role, role_grant
    from tapestry.accounts.models import User
    from tapestry.learning.models import (
        Bypass,
        Certificate,
        Completion,
        Course,
        LearnerProfile,
        Requirement,
    )

    rng = random.Random(seed)
    now = timezone.now()
    with transaction.atomic():
        with connection.cursor() as cursor:
            for table in (
                "learning_standing",
                "learning_compliancemonth",
                "learning_certificate",
                "learning_bypass",
                "learning_completion",
                "learning_requirement",
                "learning_learnerprofile",
            ):
                cursor.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed names
        Course.objects.filter(slug__startswith="bench-").delete()
        User.objects.filter(email__endswith="@bench.example").delete()
    admin, _created = User.objects.get_or_create(
        email="bench-admin@example.org", defaults={"full_name": "Bench Admin"}
    )
    role_grant(user_id=admin.pk, roles=[Role.ADMINISTRATOR])
    courses = []
    for index in range(REQUIREMENTS):
        courses.append(
            Course.objects.create(
                slug=f"bench-{index}",
                title=f"Bench course {index}",
                summary="Benchmark",
                compliance=True,
                status=Course.Status.PUBLISHED,
            )
        )
    spanish = Course.objects.create(
        slug="bench-0-es",
        title="Curso de prueba 0",
        summary="Prueba",
        language="es",
        compliance=True,
        status=Course.Status.PUBLISHED,
        translation_of=courses[0],
    )
    role = Role.COMMUNITY_PARTNER.value
    requirements = [Requirement.objects.create(role=role, course=course) for course in courses]
    group, _created = Group.objects.get_or_create(name=role)
    log(f"creating {learners:,} learners")
    users = User.objects.bulk_create(
        [
            User(email=f"learner{index}@bench.example", full_name=f"Learner {index}")
            for index in range(learners)
        ],
        batch_size=5000,
    )
    through = User.groups.through
    through.objects.bulk_create(
        [through(user_id=user.pk, group_id=group.pk) for user in users], batch_size=5000
    )
    LearnerProfile.objects.bulk_create(
        [
            LearnerProfile(
                user_id=user.pk,
                organization_id=rng.randrange(1, ORGANIZATIONS + 1),
                region_code=rng.choice(REGIONS),
            )
            for user in users
        ],
        batch_size=5000,
    )
    valid = datetime.timedelta(days=365)
    states = [name for name, _share in MIX]
    weights = [share for _name, share in MIX]
    completions: list[Completion] = []
    revoked_completions: list[int] = []
    bypasses: list[Bypass] = []
    counts: dict[str, int] = dict.fromkeys(states, 0)

    def completion(user_id: int, course: Course, days_ago: int) -> Completion:
        done = now - datetime.timedelta(days=days_ago, minutes=rng.randrange(1440))
        return Completion(
            user_id=user_id,
            course=course,
            course_version=1,
            completed_at=done,
            expires_at=done + valid,
        )

    log("creating completions")
    for user in users:
        for requirement, course in zip(requirements, courses, strict=True):
            state = rng.choices(states, weights)[0]
            counts[state] += 1
            taken = spanish if course is courses[0] and rng.random() < 0.3 else course
            if state == "compliant":
                completions.append(completion(user.pk, taken, rng.randrange(1, 329)))
            elif state == "expiring":
                completions.append(completion(user.pk, taken, rng.randrange(331, 364)))
            elif state == "expired":
                completions.append(completion(user.pk, taken, rng.randrange(366, 700)))
            elif state == "renewed":
                completions.append(completion(user.pk, taken, rng.randrange(366, 700)))
                completions.append(completion(user.pk, taken, rng.randrange(1, 300)))
            elif state == "revoked":
                completions.append(completion(user.pk, taken, rng.randrange(1, 300)))
                revoked_completions.append(len(completions) - 1)
            elif state == "bypassed":
                bypasses.append(
                    Bypass(
                        user_id=user.pk,
                        requirement=requirement,
                        reason="Benchmark",
                        granted_by=admin,
                    )
                )
    Completion.objects.bulk_create(completions, batch_size=5000)
    Certificate.objects.bulk_create(
        [
            Certificate(
                completion=completions[index],
                code=f"BENCH-{number:08d}",
                issued_at=completions[index].completed_at,
                revoked_at=now,
                revoked_reason="Benchmark",
                status_index=1_000_000 + number,
            )
            for number, index in enumerate(revoked_completions)
        ],
        batch_size=5000,
    )
    Bypass.objects.bulk_create(bypasses, batch_size=5000)
    return {
        "learners": learners,
        "requirements_each": REQUIREMENTS,
        "completions": len(completions),
        "bypasses": len(bypasses),
        "revoked_certificates": len(revoked_completions),
        "pairs_by_state": counts,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--learners", type=int, default=100_000)
    parser.add_argument("--database-url")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--explain", action="store_true", help="print the plan on stderr")
    args = parser.parse_args()

    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    database = BENCH_DIR / "learning_compliance.sqlite3"
    if not args.database_url:
        database.unlink(missing_ok=True)
    elif "bench" not in args.database_url.rsplit("/", 1)[-1]:
        raise SystemExit("refusing a database whose name does not contain 'bench'")
    django_setup(args.database_url or f"sqlite:///{database}")
    from django.db import connection

    from tapestry.learning import reports

    migrate()
    started = time.perf_counter()
    data = build(args.learners, args.seed)
    build_seconds = time.perf_counter() - started
    analyze()
    where = machine()  # before the runs: the load average as they start
    everyone = reports.Scope(everyone=True)
    one_region = reports.Scope(region_codes=("region-6",))

    # The standings the report reads: built whole (as the daily job does), then timed again.
    started = time.perf_counter()
    reports.standing_rebuild()
    rebuild_seconds = time.perf_counter() - started
    # The chart's 12 months, recorded once (the daily job records each month as it ends).
    started = time.perf_counter()
    reports.compliance_months_record(ends=reports.month_ends(today=reports.timezone.localdate()))
    months_seconds = time.perf_counter() - started
    analyze()

    if args.explain:
        with connection.cursor() as cursor:
            prefix = (
                "EXPLAIN ANALYZE " if connection.vendor == "postgresql" else "EXPLAIN QUERY PLAN "
            )
            values = reports._standing_values(reports.timezone.now())
            query = f"""SELECT s.region_code, {reports.STATUS_SQL} AS code, COUNT(*)
                FROM learning_standing s JOIN accounts_user u ON u.id = s.user_id
                WHERE u.is_active = %(active)s GROUP BY s.region_code, code"""  # noqa: S608
            cursor.execute(prefix + query, values)
            for row in cursor.fetchall():
                log(" | ".join(str(cell) for cell in row))

    server_cpu: dict[str, list[float]] = {}

    def backend_cpu() -> float:
        """CPU seconds the PostgreSQL backend of this connection has used (0 on SQLite, whose
        work is this process's)."""
        if connection.vendor != "postgresql":
            return time.process_time()
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def timed(function: object, *, cold: bool, name: str = "") -> float:
        if cold:
            connection.close()
        connection.ensure_connection()
        cpu = backend_cpu()
        begun = time.perf_counter()
        function()  # type: ignore[operator]
        elapsed = time.perf_counter() - begun
        if name:
            server_cpu.setdefault(name, []).append(backend_cpu() - cpu)
        return elapsed

    cases: dict[str, Callable[[], object]] = {
        f"report_by_{grouping}": functools.partial(
            reports.compliance_counts, everyone, grouping=grouping
        )
        for grouping in ("role", "region", "organization", "course")
    }
    cases["report_one_region_by_organization"] = lambda: reports.compliance_counts(
        one_region, grouping="organization"
    )
    cases["chart_12_months"] = lambda: reports.compliance_over_time(everyone)
    cases["chart_12_months_one_region"] = lambda: reports.compliance_over_time(one_region)
    # What a completion, revocation or bypass now adds: one person's standings worked out.
    from django.contrib.auth import get_user_model

    some_people = iter(
        get_user_model().objects.filter(groups__isnull=False).values_list("pk", flat=True)[:200]
    )
    cases["standing_refresh_one_person"] = lambda: reports.standing_refresh(
        user_ids=[next(some_people, 1)]
    )
    log("timing")
    check = reports.compliance_counts(everyone, grouping="role")
    timings: dict[str, list[float]] = {}
    for name, function in cases.items():
        timed(function, cold=False)
        timings[f"{name}_cold"] = [
            timed(function, cold=True, name=f"{name}_cold") for _ in range(args.runs)
        ]
        timings[f"{name}_warm"] = [
            timed(function, cold=False, name=f"{name}_warm") for _ in range(args.runs)
        ]
        log(f"{name}: {sorted(timings[f'{name}_warm'])[len(timings[f'{name}_warm']) // 2]:.3f} s")
    summaries = {name: summary_ms(values) for name, values in timings.items()}
    report_medians = [
        summary["median_ms"]
        for name, summary in summaries.items()
        if name.startswith(("report_", "chart_"))
    ]
    counts = check[0].counts
    result = {
        "benchmark": "learning_compliance",
        "machine": where,
        "data": data,
        "build_seconds": round(build_seconds, 1),
        "standing_rebuild_seconds": round(rebuild_seconds, 2),
        "chart_months_record_seconds": round(months_seconds, 2),
        "report_by_role": {
            "compliant": counts.compliant,
            "expiring": counts.expiring,
            "expired": counts.expired,
            "missing": counts.missing,
            "bypassed": counts.bypassed,
            "people": counts.people,
        },
        "timings": summaries,
        # CPU time of the database's work (the PostgreSQL backend; on SQLite this process):
        # on a busy machine the wall time waits for a core, the CPU time does not.
        "database_cpu_median_ms": {
            name: summary_ms(values)["median_ms"] for name, values in server_cpu.items()
        },
        "load_average_1m_at_end": round(os.getloadavg()[0], 2),
        "target": {
            "median_ms_at_most": TARGET_MEDIAN_MS,
            "met": max(report_medians) <= TARGET_MEDIAN_MS,
        },
    }
    print(json.dumps(result, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
