"""The live cohort count as a researcher sees it: the whole request through the server (issue 11).

`cohort_count.py` times the engine alone. This times what the builder's page and the API add
around it, at the largest warehouse available: each request is a researcher editing the
issue's cohort (aged 40 to 64, type 2 diabetes with its descendants, an HbA1c above a value
within 365 days of it), with the HbA1c bound moved at every request so that every count is a
new definition, as in the builder. Three ways, one run, alternating:

- "page": `POST /research/workspaces/<id>/cohorts/new/` as htmx sends it (action "count"): the
  middleware, sign-in and two-factor session, access worked out afresh (access.py), the
  workspace lookup, the definition parsed, the engine's check and make-up (the total and nine
  UBR categories in one query), ten ledger lookups and inserts, the research log, the builder
  rendered back;
- "api": `POST /api/v1/research/cohorts/count` with a `research` token (the same service);
- "engine": `engine.makeup(definition)` alone, in the same process, for the difference.

Through Django's test client in this process (no network, no separate server process: the
figure is the server's own time). Database: a throwaway SQLite file (`--database-url` for
PostgreSQL). Warehouse: `var/bench/cohort-release` (the 1 M-participant release that
`cohort_count.py` builds from `var/bench/research`), built here if missing; `--release` for
another. Prints one JSON document with the commit; progress on stderr.

    .venv/bin/python benchmarks/cohort_live.py
    .venv/bin/python benchmarks/cohort_live.py --runs 41
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import django_setup, log, machine, summary_ms

ROOT = Path(__file__).resolve().parent.parent

SOURCE = ROOT / "var" / "bench" / "research"
RELEASE = ROOT / "var" / "bench" / "cohort-release"
DATABASE = ROOT / "var" / "bench" / "cohort_live.sqlite3"
TYPE_2_DIABETES = 201826
HBA1C = 3004410


def definition(bound: float) -> dict[str, Any]:
    """The issue's cohort with the HbA1c bound at `bound`."""
    return {
        "version": 1,
        "include": [
            {"items": [{"domain": "demographic", "field": "age", "min": 40, "max": 64}]},
            {
                "items": [
                    {"domain": "condition", "concept_id": TYPE_2_DIABETES, "descendants": True}
                ]
            },
            {
                "items": [
                    {
                        "domain": "measurement",
                        "concept_id": HBA1C,
                        "value": {"above": bound},
                        "temporal": {
                            "relation": "within",
                            "days": 365,
                            "anchor": {"domain": "condition", "concept_id": TYPE_2_DIABETES},
                        },
                    }
                ]
            },
        ],
        "exclude": [],
    }


def warehouse(release_dir: Path, source: Path) -> Path:
    path = release_dir / "warehouse.duckdb"
    if path.is_file():
        return path
    from tapestry.research.warehouse.release import release_build

    log(f"building the release from {source} into {release_dir} (minutes at 1 M)")
    started = time.perf_counter()
    release_build(source, release_dir)
    log(f"built in {time.perf_counter() - started:.0f} s")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21, help="timed requests of each kind")
    parser.add_argument("--release", type=Path, default=RELEASE)
    parser.add_argument("--source", type=Path, default=SOURCE)
    parser.add_argument("--database-url", default=f"sqlite:///{DATABASE}")
    args = parser.parse_args()

    if args.database_url.startswith("sqlite:///") and DATABASE.exists():
        DATABASE.unlink()
    os.environ.setdefault("TAPESTRY_SECRET_KEY", "bench")
    django_setup(args.database_url)

    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    settings.API_THROTTLE_TOKEN = "1000000/s"  # noqa: S105 (a rate; read at every request)
    settings.ALLOWED_HOSTS = ["*"]

    from tapestry.accounts.api import role_grant
    from tapestry.accounts.models import User
    from tapestry.accounts.roles import Role
    from tapestry.accounts.services import api_token_create
    from tapestry.research.access import REGISTERED
    from tapestry.research.models import AccessBypass, Institution, Release, Workspace
    from tapestry.research.warehouse.cohort import engine_for
    from tapestry.research.warehouse.cohort_definition import definition_parse

    path = warehouse(args.release, args.source)
    engine = engine_for(path)
    participants = int(engine.program_makeup()["total"])
    log(f"warehouse {path}: {participants:,} participants")
    Release.objects.create(
        version="bench-live",
        status=Release.Status.READY,
        source_path=str(args.source),
        warehouse_path=str(path),
        participants=participants,
        finished_at=timezone.now(),
    )

    researcher = User.objects.create_user(email="researcher@bench.example", password="x" * 20)
    role_grant(user_id=researcher.pk, roles=[Role.RESEARCHER])
    staff = User.objects.create_user(email="staff@bench.example", password="x" * 20)
    for requirement in REGISTERED:
        AccessBypass.objects.create(
            user=researcher,
            requirement=requirement,
            reason="benchmark",
            ends_on=timezone.localdate() + datetime.timedelta(days=30),
            granted_by=staff,
        )
    workspace = Workspace.objects.create(
        name="Benchmark",
        purpose="Timing the live count.",
        owner=researcher,
        institution=Institution.objects.create(name="Benchmark University"),
    )
    _token, raw_token = api_token_create(user=researcher, name="bench", scopes=["research"])

    page_client = Client()
    page_client.force_login(researcher)
    session = page_client.session
    session["account_authentication_methods_user"] = str(researcher.pk)
    session["account_authentication_methods"] = [{"method": "mfa", "at": time.time()}]
    session.save()
    page_url = f"/research/workspaces/{workspace.public_id}/cohorts/new/"
    api_client = Client()

    bounds = iter(6.5 + step / 1000 for step in range(100_000))

    def page() -> float:
        body = {"definition": json.dumps(definition(next(bounds))), "action": "count"}
        started = time.perf_counter()
        response = page_client.post(page_url, body, headers={"HX-Request": "true"})
        elapsed = time.perf_counter() - started
        assert response.status_code == 200, response.content[:500]
        assert b"data-count=" in response.content
        return elapsed

    def api() -> float:
        started = time.perf_counter()
        response = api_client.post(
            "/api/v1/research/cohorts/count",
            json.dumps(definition(next(bounds))),
            content_type="application/json",
            headers={"Authorization": f"Bearer {raw_token}"},
        )
        elapsed = time.perf_counter() - started
        assert response.status_code == 200, response.content[:500]
        return elapsed

    def engine_only() -> float:
        parsed = definition_parse(definition(next(bounds)))
        started = time.perf_counter()
        engine.check(parsed)
        engine.makeup(parsed)
        return time.perf_counter() - started

    result: dict[str, Any] = {"benchmark": "cohort_live", "machine": machine()}
    log("first requests (cold: the engine's compiled queries and Django's templates)")
    result["cold_ms"] = {
        "page": round(page() * 1000, 1),
        "api": round(api() * 1000, 1),
        "engine": round(engine_only() * 1000, 1),
    }
    timings: dict[str, list[float]] = {"page": [], "api": [], "engine": []}
    cpu_started = time.process_time()
    for run in range(args.runs):
        for name, measure in (("page", page), ("api", api), ("engine", engine_only)):
            timings[name].append(measure())
        log(
            f"run {run + 1}/{args.runs}: "
            + ", ".join(f"{k} {v[-1] * 1000:.0f} ms" for k, v in timings.items())
        )
    cpu = time.process_time() - cpu_started
    result.update(
        {
            "warehouse": {"path": str(path), "participants": participants},
            "definition": definition(6.5),
            "runs": args.runs,
            "page": summary_ms(timings["page"]),
            "api": summary_ms(timings["api"]),
            "engine_makeup": summary_ms(timings["engine"]),
            "server_overhead_median_ms": {
                "page": round(
                    (statistics.median(timings["page"]) - statistics.median(timings["engine"]))
                    * 1000,
                    1,
                ),
                "api": round(
                    (statistics.median(timings["api"]) - statistics.median(timings["engine"]))
                    * 1000,
                    1,
                ),
            },
            "cpu_ms_per_request": round(cpu * 1000 / (3 * args.runs), 1),
            "load_average_1m_at_end": round(os.getloadavg()[0], 2),
        }
    )
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
