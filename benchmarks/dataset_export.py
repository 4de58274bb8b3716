"""How long does a dataset export take: a 100,000-person cohort, five concept sets, 1 M people?

Builds a release warehouse (`release_build`) from the generated data in `--source` (default
var/bench/research, written by `benchmarks/research_generate.py`) into `--release` (default
var/bench/dataset-release; reused when it is there already, `--rebuild` to build it again),
then runs `warehouse/dataset.py` on it the way the background task does, without Django:

1. the key table (research ids and date shifts of every participant; once per release),
2. the preview (first 20 rows of each table),
3. the export to a zip archive, Parquet and then CSV.

The cohort is every tenth participant (`person_id % 10 == 0`: 100,000 of 1,000,000), as an
Ibis expression, so the figures measure the dataset and not a cohort definition. The five
concept sets: diabetes mellitus and essential hypertension with their descendants, drugs used
in diabetes with theirs, systolic blood pressure and serum glucose. Every table gets every
column. Prints one JSON document on stdout (progress goes to stderr) with the commit measured.

    .venv/bin/python benchmarks/dataset_export.py
    .venv/bin/python benchmarks/dataset_export.py --source /path/to/generated --release /tmp/r
"""

import argparse
import json
import os
import resource
import shutil
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import source_version

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "var" / "bench" / "research"
RELEASE = ROOT / "var" / "bench" / "dataset-release"
KEY = b"benchmark key"
COHORT_EVERY = 10
CONCEPT_SETS = (
    ("condition", 201820, True),  # Diabetes mellitus
    ("condition", 320128, True),  # Essential hypertension
    ("drug", 21600712, True),  # DRUGS USED IN DIABETES (ATC class)
    ("measurement", 3004249, False),  # Systolic blood pressure
    ("measurement", 3004501, False),  # Glucose [Mass/volume] in Serum or Plasma
)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--source", type=Path, default=SOURCE)
    parser.add_argument("--release", type=Path, default=RELEASE)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--out", type=Path, default=None, help="folder for the exports")
    args = parser.parse_args()
    if not (args.source / "manifest.json").is_file():
        log(f"no generated data in {args.source}: run benchmarks/research_generate.py first")
        return 2

    sys.path.insert(0, str(ROOT))
    import duckdb
    import ibis

    from tapestry.research.warehouse import dataset
    from tapestry.research.warehouse.release import release_build

    load_at_start = round(os.getloadavg()[0], 2)
    source = source_version()
    result: dict[str, Any] = {"benchmark": "dataset_export"}
    warehouse = args.release / "warehouse.duckdb"
    if args.rebuild or not warehouse.is_file():
        log(f"building the release from {args.source} into {args.release} …")
        started = time.perf_counter()
        release_build(args.source, args.release)
        result["release_build_seconds"] = round(time.perf_counter() - started, 1)
    database = duckdb.connect(str(warehouse), read_only=True, config={"threads": 2})
    con = ibis.duckdb.from_connection(database.cursor())
    participant = con.table("participant")
    persons = participant.filter(participant.person_id % COHORT_EVERY == 0).select("person_id")
    spec = dataset.DatasetSpec(
        concept_sets=tuple(dataset.ConceptSet(*item) for item in CONCEPT_SETS),
        columns={table: dataset.COLUMNS[table] for table in dataset.TABLES},
    )
    keys_path = args.release / dataset.keys_file_name(KEY)
    keys_path.unlink(missing_ok=True)
    log("key table …")
    started = time.perf_counter()
    dataset.keys_write(con, key=KEY, release="bench", path=keys_path)
    result["key_table_seconds"] = round(time.perf_counter() - started, 2)
    result["cohort_participants"] = int(persons.count().to_pyarrow().as_py())

    log("preview …")
    started = time.perf_counter()
    preview = dataset.dataset_preview(con, persons, spec, keys_path)
    result["preview_seconds"] = round(time.perf_counter() - started, 2)
    result["preview_tables"] = [table["table"] for table in preview]

    out = args.out or args.release / "exports"
    out.mkdir(parents=True, exist_ok=True)
    result["exports"] = {}
    for fmt in dataset.FORMATS:
        target = out / f"bench.{fmt}.zip"
        log(f"export {fmt} …")
        updates: list[int] = []
        started = time.perf_counter()
        counts = dataset.dataset_export(
            con, persons, spec, keys_path, out_path=target, fmt=fmt, progress=updates.append
        )
        seconds = time.perf_counter() - started
        rows = sum(counts.values())
        result["exports"][fmt] = {
            "seconds": round(seconds, 2),
            "rows": counts,
            "rows_total": rows,
            "rows_per_second": round(rows / seconds),
            "archive_bytes": target.stat().st_size,
            "progress_updates": len(updates),
        }
        target.unlink()
    shutil.rmtree(out, ignore_errors=True)
    database.close()
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    result["machine"] = {
        "cpus": os.cpu_count(),
        "load_average_1m_at_start": load_at_start,
        "load_average_1m_at_end": round(os.getloadavg()[0], 2),
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "duckdb": duckdb.__version__,
        **source,
    }
    result["commit"] = source["commit"]
    result["concept_sets"] = [list(item) for item in CONCEPT_SETS]
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
