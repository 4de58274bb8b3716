"""The public Data Browser at 1,000,000 participants: a release build, concept pages, search.

Generates the data set (or reuses `--source`), builds a release into a throwaway database
(SQLite `var/bench/data_browser.sqlite3` unless `--database-url`), then through the whole
Django stack (django.test.Client: middleware, view, selectors, privacy, template):

- GET /data/concepts/<id>/ for every concept in the release (or `--concepts` of them);
- GET /data/concepts/?q=<term> for a fixed list of searches: words from concept names,
  codes, concept ids, two-word queries, a query that matches nothing, and the empty query;
- the same through the API (/api/v1/public/concepts/<id>, /api/v1/public/concepts?q=).

Prints one JSON document on stdout (progress on stderr). Targets (issue 3), medians in the
server at 1,000,000 participants: a concept page at most 50 ms, a search at most 100 ms.

    .venv/bin/python benchmarks/data_browser.py
    .venv/bin/python benchmarks/data_browser.py --participants 10000 --source var/research/generated/demo
"""

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import BENCH_DIR, django_setup, forhp_load, log, machine, migrate, summary_ms

if TYPE_CHECKING:
    from django.test import Client

TARGET_CONCEPT_MEDIAN_MS = 50.0
TARGET_SEARCH_MEDIAN_MS = 100.0


def _timed(client: "Client", path: str) -> float:
    """Seconds one GET takes through the whole stack; anything but 200 stops the run."""
    started = time.perf_counter()
    response = client.get(path)
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        raise SystemExit(f"GET {path} answered {response.status_code}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--participants", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--source", type=Path, help="Reuse data made by research_generate.")
    parser.add_argument("--database-url")
    parser.add_argument("--concepts", type=int, default=0, help="0 times every concept.")
    parser.add_argument("--repeat", type=int, default=3, help="Passes over the URL lists.")
    args = parser.parse_args()

    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    database = BENCH_DIR / "data_browser.sqlite3"
    if not args.database_url:
        database.unlink(missing_ok=True)
    os.environ["TAPESTRY_RESEARCH_DATA_DIR"] = str(BENCH_DIR / "data_browser")
    django_setup(args.database_url or f"sqlite:///{database}")
    from django.test import Client

    from tapestry.research.models import ConceptSummary, Release
    from tapestry.research.services import release_create
    from tapestry.research.warehouse.generate import generate

    migrate()
    Release.objects.all().delete()
    rural = forhp_load()
    result: dict = {"benchmark": "data_browser", "machine": machine()}
    source = args.source
    if source is None:
        source = BENCH_DIR / "data_browser" / f"generated-{args.participants}-{args.seed}"
        if not (source / "manifest.json").is_file():
            log(f"generating {args.participants:,} participants into {source}")
            started = time.perf_counter()
            rural_name, rural_zips = rural or (None, frozenset())
            generate(
                source,
                participants=args.participants,
                seed=args.seed,
                rural_zips=rural_zips,
                rural_list=rural_name,
            )
            result["generate_seconds"] = round(time.perf_counter() - started, 1)
    manifest = json.loads((source / "manifest.json").read_text())
    log("building the release")
    release = release_create(source=source, version="bench")
    result.update(
        participants=release.participants,
        events=release.events,
        release_build_seconds=release.seconds,
        concepts_in_release=ConceptSummary.objects.filter(release=release).count(),
        source_manifest={key: manifest.get(key) for key in ("participants", "seed", "events")},
    )

    rng = random.Random(7)
    concepts = list(
        ConceptSummary.objects.filter(release=release).values_list(
            "concept_id", "name", "code", "domain"
        )
    )
    timed_concepts = rng.sample(concepts, args.concepts) if args.concepts else concepts
    words = sorted({word.lower() for _id, name, _c, _d in concepts for word in name.split()})
    searches = [""]
    searches += rng.sample(words, min(40, len(words)))
    searches += [name.split()[0][:4] for _id, name, _c, _d in rng.sample(concepts, 20)]
    searches += [code for _id, _n, code, _d in rng.sample(concepts, 15)]
    searches += [str(concept_id) for concept_id, _n, _c, _d in rng.sample(concepts, 10)]
    searches += [" ".join(name.split()[:2]) for _id, name, _c, _d in rng.sample(concepts, 10)]
    searches += ["zzzz no such concept", "' OR 1=1 --"]

    client = Client()
    for concept_id, *_rest in timed_concepts[:20]:  # warm up
        client.get(f"/data/concepts/{concept_id}/")
    timings: dict[str, list[float]] = {
        "concept_page": [],
        "search_page": [],
        "concept_api": [],
        "search_api": [],
    }
    log(f"timing {len(timed_concepts)} concept pages and {len(searches)} searches")

    for _pass in range(args.repeat):
        for concept_id, *_rest in timed_concepts:
            timings["concept_page"].append(_timed(client, f"/data/concepts/{concept_id}/"))
            timings["concept_api"].append(_timed(client, f"/api/v1/public/concepts/{concept_id}"))
        for term in searches:
            timings["search_page"].append(_timed(client, f"/data/concepts/?q={quote(term)}"))
            timings["search_api"].append(_timed(client, f"/api/v1/public/concepts?q={quote(term)}"))
    result["timings"] = {name: summary_ms(values) for name, values in timings.items()}
    result["searches"] = len(searches)
    result["target"] = {
        "concept_page_median_ms_at_most": TARGET_CONCEPT_MEDIAN_MS,
        "search_median_ms_at_most": TARGET_SEARCH_MEDIAN_MS,
        "met": result["timings"]["concept_page"]["median_ms"] <= TARGET_CONCEPT_MEDIAN_MS
        and result["timings"]["search_page"]["median_ms"] <= TARGET_SEARCH_MEDIAN_MS,
    }
    print(json.dumps(result, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
