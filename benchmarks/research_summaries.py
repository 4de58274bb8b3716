"""Dump a release's public summaries as canonical JSON, or compare them with an earlier dump.

Builds the warehouse from generated data with `release.release_build` (no Django, no
database) into a scratch folder and writes every summary the Data Browser and the diversity
dashboard serve (participants, events, cutoff date, domains, concepts with their breakdowns and
histograms, enrollment, UBR categories), sorted, so two builds of the same data give the same
bytes whatever order the backend returned the rows in.

Used to check that a change to the release builder leaves the published counts unchanged:

    .venv/bin/python benchmarks/research_summaries.py var/bench/research1m --out before.json
    # ... change the code ...
    .venv/bin/python benchmarks/research_summaries.py var/bench/research1m --compare before.json

Exits 1 and names the first differing summaries when `--compare` finds a difference.
"""

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def summaries_document(source: Path) -> dict[str, Any]:
    """The summaries of a release built from `source`, in canonical (sorted) form."""
    from tapestry.research.warehouse.release import release_build

    with tempfile.TemporaryDirectory() as scratch:
        return release_build(source, Path(scratch) / "release").canonical()


def differences(before: dict[str, Any], after: dict[str, Any], limit: int = 10) -> list[str]:
    """Human-readable differences between two documents (at most `limit`)."""
    found: list[str] = []
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        if old == new:
            continue
        if isinstance(old, list) and isinstance(new, list):
            if len(old) != len(new):
                found.append(f"{key}: {len(old)} rows before, {len(new)} after")
            for index, (old_row, new_row) in enumerate(zip(old, new, strict=False)):
                if old_row != new_row:
                    found.append(f"{key}[{index}]: {old_row!r} != {new_row!r}")
                if len(found) >= limit:
                    return found
        else:
            found.append(f"{key}: {old!r} != {new!r}")
    return found[:limit]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("source", type=Path, help="a folder written by research_generate")
    parser.add_argument("--out", type=Path, help="write the summaries here (JSON)")
    parser.add_argument("--compare", type=Path, help="compare with an earlier --out file")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))

    document = summaries_document(args.source)
    if args.out:
        args.out.write_text(json.dumps(document, indent=1, sort_keys=True) + "\n")
    if args.compare:
        found = differences(json.loads(args.compare.read_text()), document)
        if found:
            print("The summaries differ:", *found, sep="\n  ")
            return 1
        print(
            f"The summaries are identical: {document['participants']:,} participants, "
            f"{len(document['concepts'])} concepts, {len(document['enrollment'])} enrollment "
            f"rows, {len(document['categories'])} category rows."
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
