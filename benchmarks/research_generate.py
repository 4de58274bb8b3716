"""How fast does the synthetic data generator write the research warehouse's OMOP tables?

Runs `tapestry.research.warehouse.generate.generate()` for `--participants` people (default
1,000,000) with seed 1 into var/bench/research (replaced each run), and prints one JSON
document on stdout: wall seconds, peak resident memory (this process and its worker
processes, from `resource.getrusage`), rows per table, events and whether the target was met.
Progress goes to stderr.

Target (issue 3): 1,000,000 participants, at least 50,000,000 events, in at most 180 s on
the project's 2-core machine.

    .venv/bin/python benchmarks/research_generate.py
    .venv/bin/python benchmarks/research_generate.py --participants 100000 --workers 1
"""

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import forhp_newest, source_version

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "var" / "bench" / "research"
TARGET_PARTICIPANTS = 1_000_000
TARGET_EVENTS = 50_000_000
TARGET_SECONDS = 180.0


def log(message: str) -> None:
    """Progress goes to stderr; stdout carries only the JSON result."""
    print(message, file=sys.stderr, flush=True)


def measured_commit() -> str:
    """The commit the run measured, with "+changes" when the worktree differs from it."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{commit}+changes" if dirty else commit


def main() -> int:
    """Generate the data set, print the JSON result."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--participants", type=int, default=TARGET_PARTICIPANTS)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--chunk-size", type=int, default=None)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    from tapestry.research.warehouse import generate

    chunk_size = args.chunk_size or generate.DEFAULT_CHUNK_SIZE
    load_at_start = round(os.getloadavg()[0], 2)
    source = source_version()  # the commit measured, read before the run
    rural_name, rural_zips = forhp_newest() or (None, frozenset())
    log(f"generating {args.participants:,} participants into {args.out} …")
    started = time.perf_counter()
    manifest = generate.generate(
        args.out,
        args.participants,
        args.seed,
        chunk_size,
        workers=args.workers,
        progress=log,
        rural_zips=rural_zips,
        rural_list=rural_name,
    )
    seconds = time.perf_counter() - started
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    events = manifest["events"]
    result = {
        "benchmark": "research_generate",
        "commit": measured_commit(),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "load_average_1m_at_start": load_at_start,
            "load_average_1m_at_end": round(os.getloadavg()[0], 2),
            "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            **source,
        },
        "participants": args.participants,
        "seed": args.seed,
        "chunk_size": chunk_size,
        "workers": manifest["workers"],
        "seconds": round(seconds, 1),
        "events": events,
        "events_per_second": round(events / seconds),
        "peak_rss_mb": {
            "main_process": round(own, 1),
            "largest_worker": round(children, 1),
        },
        "rows": manifest["rows"],
        "bytes_on_disk": sum(f.stat().st_size for f in args.out.rglob("*.parquet")),
        "target": {
            "participants": TARGET_PARTICIPANTS,
            "min_events": TARGET_EVENTS,
            "max_seconds": TARGET_SECONDS,
        },
        "target_met": (
            args.participants >= TARGET_PARTICIPANTS
            and events >= TARGET_EVENTS
            and seconds <= TARGET_SECONDS
        ),
    }
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
