"""Survey results at 50,000 responses: the staff results page, cold and warm.

Builds a throwaway database (SQLite `var/bench/survey_results.sqlite3` unless
`--database-url`), creates an anonymous instrument of ten questions of every kind (choices,
multiple choice, Likert, number, date, free text, branching) and `--responses` responses
(`surveys.demo.responses_generate`), then times the results view (the filter form, the counts,
the suppression, the template), called with a request from a signed-in program staff member:

- **cold**: the cache emptied before each request, so the counts are queried and protected;
- **warm**: the same page again, the counts and their protection read from the cache;
- warm, filtered to one region, and warm with a breakdown by region.

Prints one JSON document on stdout (progress on stderr). Target (issue 8): median at most
300 ms for the results page at 50,000 responses, which we hold both cold and warm to.

    .venv/bin/python benchmarks/survey_results.py
    .venv/bin/python benchmarks/survey_results.py --database-url postgres://postgres@127.0.0.1:5432/tapestry_bench_results
"""

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import BENCH_DIR, analyze, django_setup, log, machine, migrate, summary_ms

TARGET_MEDIAN_MS = 300.0


def os_environ_profile() -> str:
    """SURVEY_RESULTS_PROFILE=warm|cold prints a profile of the view instead of timing it."""
    import os

    return os.environ.get("SURVEY_RESULTS_PROFILE", "")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--responses", type=int, default=50_000)
    parser.add_argument("--database-url")
    parser.add_argument("--cold-runs", type=int, default=7)
    parser.add_argument("--warm-runs", type=int, default=30)
    args = parser.parse_args()

    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    database = BENCH_DIR / "survey_results.sqlite3"
    if not args.database_url:
        database.unlink(missing_ok=True)
    elif "bench" not in args.database_url.rsplit("/", 1)[-1]:
        raise SystemExit("refusing a database whose name does not contain 'bench'")
    django_setup(args.database_url or f"sqlite:///{database}")
    from django.contrib.auth.models import AnonymousUser  # noqa: F401 - loads auth first
    from django.core.cache import cache
    from django.test import RequestFactory

    from tapestry.accounts.api import Role, role_grant
    from tapestry.accounts.models import User
    from tapestry.surveys.demo import responses_generate
    from tapestry.surveys.models import Instrument, Response
    from tapestry.surveys.schemas import InstrumentSpec
    from tapestry.surveys.services import instrument_create
    from tapestry.surveys.tests.factories import AGREEMENT, sample_spec
    from tapestry.surveys.views.results import instrument_results

    migrate()
    Response.objects.all().delete()
    Instrument.objects.all().delete()
    spec = sample_spec(slug="bench-results")
    spec["sections"][1]["questions"].append(
        {
            "code": "useful",
            "kind": "likert",
            "label": {"en": "The network's training is useful.", "es": "La capacitación es útil."},
            "required": True,
            "choices": AGREEMENT,
        }
    )
    instrument = instrument_create(spec=InstrumentSpec.model_validate(spec))
    instrument.status = Instrument.Status.PUBLISHED
    instrument.save(update_fields=["status"])
    log(f"generating {args.responses:,} responses")
    started = time.perf_counter()
    answers = responses_generate(instrument=instrument, count=args.responses, seed=2026)
    generate_seconds = time.perf_counter() - started
    analyze()
    staff, _created = User.objects.get_or_create(
        email="bench-staff@example.org", defaults={"full_name": "Bench Staff"}
    )
    role_grant(user_id=staff.pk, roles=[Role.PROGRAM_STAFF])
    factory = RequestFactory()
    path = f"/surveys/staff/{instrument.slug}/results/"

    def timed(query: dict[str, str], *, cold: bool) -> float:
        if cold:
            cache.clear()
        request = factory.get(path, query)
        request.user = User.objects.get(pk=staff.pk)
        request.LANGUAGE_CODE = "en"  # type: ignore[attr-defined]
        begun = time.perf_counter()
        response = instrument_results(request, slug=instrument.slug)
        elapsed = time.perf_counter() - begun
        if response.status_code != 200:
            raise SystemExit(f"GET {path}?{query} answered {response.status_code}")
        return elapsed

    if os_environ_profile():
        import cProfile
        import pstats

        timed({}, cold=True)
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(3):
            timed({}, cold=os_environ_profile() == "cold")
        profile.disable()
        pstats.Stats(profile, stream=sys.stderr).sort_stats("tottime").print_stats(30)
        return 0
    log("timing")
    timed({}, cold=True)  # warm up the process (templates, translations)
    timings = {
        "cold": [timed({}, cold=True) for _ in range(args.cold_runs)],
        "warm": [timed({}, cold=False) for _ in range(args.warm_runs)],
        "warm_filtered_region": [timed({"region": "1"}, cold=False) for _ in range(args.warm_runs)],
        "warm_breakdown_region": [
            timed({"breakdown": "region"}, cold=False) for _ in range(args.warm_runs)
        ],
    }
    result: dict = {
        "benchmark": "survey_results",
        "machine": machine(),
        "responses": Response.objects.filter(instrument=instrument).count(),
        "answers": answers,
        "questions": instrument.questions.count(),
        "generate_seconds": round(generate_seconds, 1),
        "timings": {name: summary_ms(values) for name, values in timings.items()},
    }
    result["target"] = {
        "median_ms_at_most": TARGET_MEDIAN_MS,
        "warm_met": result["timings"]["warm"]["median_ms"] <= TARGET_MEDIAN_MS,
        "cold_met": result["timings"]["cold"]["median_ms"] <= TARGET_MEDIAN_MS,
    }
    print(json.dumps(result, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
