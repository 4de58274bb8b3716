"""Deterministic synthetic OMOP CDM data for the research warehouse.

`generate(out_dir, participants, seed)` writes every table of `schema.SCHEMAS` as Parquet under
`out_dir/<table>/part-NNNNN.parquet`, plus `out_dir/manifest.json`. No real participant data is
used: people, survey answers and health records are drawn from the clinical model
(`clinical.py` and the data files in `data/`).

How it works:

- Participants are processed in chunks of `chunk_size` (person ids `first + 1 .. first + size`).
  Each chunk draws from its own `numpy.random.Generator`, seeded from `(seed, chunk index)`,
  and writes its own part file of every per-participant table. The same seed and chunk size
  give identical files; another chunk size gives another (equally valid) data set. Chunks are
  independent, so they run in a pool of worker processes (two by default) and memory stays
  bounded by one chunk per worker.
- Everything is vectorized over the chunk with numpy; there is no Python loop per participant
  or per row, only loops over the model's conditions, drugs, panels and rules.
- Ids: `person_id` runs 1..N and `observation_period_id` equals it. Every other `*_id` is
  `chunk index * 1,000,000,000 + row number within the chunk + 1`: unique within its table,
  stable for a seed and chunk size, but not dense.
- Dates: consent dates fall between CONSENT_START and END_DATE, enrollment growing over time at
  each site from its start date (the six launch sites start on CONSENT_START). Health records
  start up to twelve years before consent and run to END_DATE or death. Survey answers are
  dated at consent (the consent row) or within a week after it.
- Sites: the six launch sites of `schema.LAUNCH_SITES` and ten others (`data/sites.csv`);
  each participant is enrolled by one (person.care_site_id) and lives in a real ZIP code near
  it (person.location_id → location), a share of them in rural ZIP codes further out
  (`rural.rural_zips()`). `location` holds one row per ZIP code any site draws from.
- One module per domain, each drawing its part of a chunk: `persons` (who, where, deaths),
  `surveys`, `visits`, `conditions`, `drugs`, `measurements`, `procedures`, `observations`;
  `sites` (sites and ZIP codes), `model` (the data files as arrays), `common` (shared state
  and random helpers). `chunk_tables` runs them in a fixed order.

Imports neither Django nor the ORM.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from tapestry.research.warehouse import schema, vocabulary
from tapestry.research.warehouse.generate import (
    conditions,
    drugs,
    measurements,
    observations,
    persons,
    procedures,
    surveys,
    visits,
)
from tapestry.research.warehouse.generate.common import CONSENT_START, END_DATE, Chunk
from tapestry.research.warehouse.generate.model import arrays as model_arrays
from tapestry.research.warehouse.generate.sites import (
    Site,
    all_sites,
    care_site_table,
    location_table,
)

__all__ = [
    "CONSENT_START",
    "DEFAULT_CHUNK_SIZE",
    "END_DATE",
    "GENERATOR_VERSION",
    "PARTICIPANT_TABLES",
    "SHARED_TABLES",
    "GenerationError",
    "Site",
    "all_sites",
    "chunk_tables",
    "generate",
]

GENERATOR_VERSION = "1"
DEFAULT_CHUNK_SIZE = 50_000
PARQUET_OPTIONS: dict[str, Any] = {"compression": "zstd", "compression_level": 1}


class GenerationError(ValueError):
    """The arguments cannot produce a data set (the message says why)."""


SHARED_TABLES: dict[str, Callable[[], pa.Table]] = {
    "location": location_table,
    "care_site": care_site_table,
    "concept": vocabulary.concept_table,
    "concept_ancestor": vocabulary.concept_ancestor_table,
    "concept_relationship": vocabulary.concept_relationship_table,
    "concept_synonym": vocabulary.concept_synonym_table,
}
PARTICIPANT_TABLES = tuple(table for table in schema.TABLES if table not in SHARED_TABLES)


def chunk_tables(seed: int, chunk_index: int, first_person: int, count: int) -> dict[str, pa.Table]:
    """The per-participant tables of one chunk, in memory (for tests and tools).

    The steps run in a fixed order (people, survey, conditions, deaths, visits, then the events
    anchored at visits), each drawing from the chunk's generator, so the order is part of what
    makes a seed reproducible: a new step goes at the end, or the data of every seed changes.
    """
    chunk = Chunk.start(seed, chunk_index)
    arrays = model_arrays()
    people = persons.draw(chunk, arrays, first_person, count)
    survey = surveys.draw(chunk, arrays, people)
    has = conditions.chronic(chunk, arrays, people)
    death_cause = persons.deaths(chunk, arrays, people, has)
    visit_draw = visits.draw(chunk, people, has)
    visit = visit_draw.visits
    onset, chronic_records = conditions.chronic_records(chunk, arrays, has, visit)
    episodes = conditions.acute_episodes(chunk, arrays, people, has, visit, visit_draw.years)
    condition_table = conditions.table(chunk, people, visit, [chronic_records, episodes])
    drug_table, statin_from = drugs.draw(chunk, arrays, people, visit, has, onset, episodes)
    measurement_table, bmi = measurements.draw(
        chunk, arrays, people, visit, has, onset, statin_from
    )
    procedure_table = procedures.draw(chunk, arrays, people, visit, has, onset, episodes)
    observation_table = observations.draw(chunk, arrays, people, visit, survey, has, onset, bmi)
    return {
        "person": persons.person_table(arrays, people, survey),
        "observation_period": persons.observation_period_table(people),
        "visit_occurrence": visits.table(people, visit_draw),
        "condition_occurrence": condition_table,
        "drug_exposure": drug_table,
        "measurement": measurement_table,
        "procedure_occurrence": procedure_table,
        "observation": observation_table,
        "death": persons.death_table(people, death_cause),
    }


def _write(table: pa.Table, path: Path) -> None:
    pq.write_table(table, path, **PARQUET_OPTIONS)


def _write_chunk(task: tuple[str, int, int, int, int]) -> dict[str, int]:
    directory, seed, chunk_index, first_person, count = task
    tables = chunk_tables(seed, chunk_index, first_person, count)
    rows: dict[str, int] = {}
    for name, table in tables.items():
        _write(table, Path(directory) / name / f"part-{chunk_index:05d}.parquet")
        rows[name] = table.num_rows
    return rows


def _tasks(
    directory: Path, participants: int, seed: int, chunk_size: int
) -> Iterator[tuple[str, int, int, int, int]]:
    for chunk_index, first in enumerate(range(0, participants, chunk_size)):
        yield (str(directory), seed, chunk_index, first, min(chunk_size, participants - first))


def generate(
    out_dir: Path,
    participants: int,
    seed: int,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    *,
    workers: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Write a synthetic data set for `participants` people to `out_dir`; return its manifest.

    `out_dir` is replaced if it holds an earlier data set (a folder with manifest.json) or is
    empty; any other existing folder is refused. The data are built in a sibling folder and
    moved into place at the end, so a reader never sees a half-written data set. `workers`
    processes (default: up to two, one per CPU) build the chunks.

    Raises GenerationError for participants or chunk_size below 1, a negative seed, or an out_dir
    that is not safe to replace; OSError when the folder cannot be written.
    """
    out_dir = Path(out_dir)
    if participants < 1:
        raise GenerationError(f"participants must be at least 1, not {participants}")
    if chunk_size < 1:
        raise GenerationError(f"chunk size must be at least 1, not {chunk_size}")
    if seed < 0:
        raise GenerationError(f"seed must be zero or more, not {seed}")
    if out_dir.exists() and not out_dir.is_dir():
        raise GenerationError(f"{out_dir} exists and is not a folder")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not (out_dir / "manifest.json").is_file():
        raise GenerationError(
            f"{out_dir} is not empty and holds no generated data; refusing to replace it"
        )
    workers = workers or min(2, os.cpu_count() or 1)
    report = progress or (lambda _message: None)
    started = time.perf_counter()

    out_dir.parent.mkdir(parents=True, exist_ok=True)
    building = out_dir.parent / f".{out_dir.name}.building-{os.getpid()}"
    if building.exists():
        shutil.rmtree(building)
    try:
        for table in schema.TABLES:
            (building / table).mkdir(parents=True)
        rows = dict.fromkeys(schema.TABLES, 0)
        for name, build in SHARED_TABLES.items():
            table = build()
            _write(table, building / name / "part-00000.parquet")
            rows[name] = table.num_rows
        tasks = list(_tasks(building, participants, seed, chunk_size))
        workers = min(workers, len(tasks))
        if workers > 1:
            context = multiprocessing.get_context("spawn")
            with context.Pool(workers) as pool:
                for done, chunk_rows in enumerate(pool.imap(_write_chunk, tasks), 1):
                    _add(rows, chunk_rows)
                    report(f"chunk {done}/{len(tasks)} written")
        else:
            for done, task in enumerate(tasks, 1):
                _add(rows, _write_chunk(task))
                report(f"chunk {done}/{len(tasks)} written")
        manifest = {
            "generator": "tapestry.research.warehouse.generate",
            "generator_version": GENERATOR_VERSION,
            "participants": participants,
            "seed": seed,
            "chunk_size": chunk_size,
            "chunks": len(tasks),
            "workers": workers,
            "consent_start": CONSENT_START.isoformat(),
            "end_date": END_DATE.isoformat(),
            "rows": rows,
            "events": sum(rows[table] for table in schema.EVENT_TABLES),
            "concepts_by_domain": vocabulary.concept_counts_by_domain(),
            "seconds": round(time.perf_counter() - started, 2),
        }
        (building / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
        if out_dir.exists():
            shutil.rmtree(out_dir)
        building.rename(out_dir)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    return manifest


def _add(total: dict[str, int], rows: dict[str, int]) -> None:
    for name, count in rows.items():
        total[name] += count
