"""A dataset: rows of a cohort's participants, de-identified, for a workspace to download.

No Django. Every table is an Ibis expression the backend runs (DuckDB here, Spark unchanged);
only the rows written to the export, or the preview's first rows, come back to Python.

A dataset is built from the cohort's person ids (an Ibis table with a `person_id` column, as
`CohortEngine.persons` returns), concept sets (`ConceptSet`: an event domain, a concept id,
with or without its descendants from `concept_ancestor`) and the columns chosen per table. It
has one table per kind of row: `person` (one row per participant of the cohort) and one per
event domain that has a concept set (`condition`, `drug`, `measurement`, `procedure`,
`observation`: the participants' events whose concept is in the domain's concept sets).

De-identification (both tiers):

- No warehouse `person_id` leaves. Every table carries `research_id` instead: per release, the
  participants are ordered by HMAC-SHA256(key, "research-id:<release>:<person_id>") and
  numbered from RESEARCH_ID_BASE + 1 (1,000,000,001, ...). So a research id is unique in the
  release, says nothing about the warehouse id and, without the key, cannot be linked to the
  same participant's research id in another release. It fits a 32-bit integer, so R and
  spreadsheets keep it exact.
- ZIP codes are cut to their first three digits (`zip3`).
- Registered tier: every date is moved back by the participant's shift, a whole number of
  days from 1 to 364, the same in every table, every dataset and every release:
  HMAC-SHA256(key, "date-shift:<person_id>") read as a big-endian integer, mod 364, plus 1.
  Intervals between one participant's events are kept; calendar dates are not.
- Controlled tier (`shift_dates=False`, only for a controlled-tier workspace and a researcher
  with controlled access, which the caller decides): dates are not moved.

The key table: `keys_write(con, key=..., release=..., path=...)` computes, once per release
and key, the `person_id`, `research_id`, `shift_days` of every participant of the warehouse's
`participant` table and writes them as one Parquet file beside the warehouse (the caller
chooses the path; `keys_file_name` puts the key's fingerprint in its name, so a new key means a
new file). The warehouse itself stays read-only. The file is secret: it links research ids to
warehouse ids, as the warehouse itself does, and never leaves the server.

An export (`dataset_export`) is one zip archive: `<table>.parquet` or `<table>.csv` per table
and `dataset.json` (the tables, their columns and rows, the tier's de-identification). It is
written under a temporary name beside the target and renamed into place at the end, so a
partly written archive is never visible under the final name. What a killed export left under
the temporary names is removed by the next export of the same target.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import shutil
import uuid
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
from ibis import BaseBackend

RESEARCH_ID_BASE = 1_000_000_000
SHIFT_MAX_DAYS = 364
PREVIEW_ROWS = 20
# The preview reads the events of this many participants first (dataset_preview).
PREVIEW_PEOPLE = 100
FORMATS = ("parquet", "csv")
BATCH_ROWS = 100_000


class DatasetError(Exception):
    """The dataset cannot be built as asked; the message says why, for the researcher."""


@dataclass(frozen=True)
class EventSource:
    """An event domain: its OMOP table, concept column and the columns a dataset may take
    (output name -> OMOP column; "concept_name" is the concept's name)."""

    table: str
    concept_column: str
    concept_domain: str  # concept.domain_id
    columns: dict[str, str]
    dates: tuple[str, ...]  # output columns that are dates (shifted)


EVENT_SOURCES: dict[str, EventSource] = {
    "condition": EventSource(
        "condition_occurrence",
        "condition_concept_id",
        "Condition",
        {
            "concept_id": "condition_concept_id",
            "concept_name": "concept_name",
            "start_date": "condition_start_date",
            "end_date": "condition_end_date",
        },
        ("start_date", "end_date"),
    ),
    "drug": EventSource(
        "drug_exposure",
        "drug_concept_id",
        "Drug",
        {
            "concept_id": "drug_concept_id",
            "concept_name": "concept_name",
            "start_date": "drug_exposure_start_date",
            "end_date": "drug_exposure_end_date",
            "days_supply": "days_supply",
        },
        ("start_date", "end_date"),
    ),
    "measurement": EventSource(
        "measurement",
        "measurement_concept_id",
        "Measurement",
        {
            "concept_id": "measurement_concept_id",
            "concept_name": "concept_name",
            "date": "measurement_date",
            "value": "value_as_number",
            "unit": "unit_source_value",
        },
        ("date",),
    ),
    "procedure": EventSource(
        "procedure_occurrence",
        "procedure_concept_id",
        "Procedure",
        {
            "concept_id": "procedure_concept_id",
            "concept_name": "concept_name",
            "date": "procedure_date",
        },
        ("date",),
    ),
    "observation": EventSource(
        "observation",
        "observation_concept_id",
        "Observation",
        {
            "concept_id": "observation_concept_id",
            "concept_name": "concept_name",
            "date": "observation_date",
            "value": "value_as_number",
            "value_code": "value_source_value",
        },
        ("date",),
    ),
}
DOMAINS = tuple(EVENT_SOURCES)
PERSON_COLUMNS = ("year_of_birth", "sex_at_birth", "race", "ethnicity", "zip3", "site")
# table -> the columns it may have besides research_id, in output order.
COLUMNS: dict[str, tuple[str, ...]] = {
    "person": PERSON_COLUMNS,
    **{domain: tuple(source.columns) for domain, source in EVENT_SOURCES.items()},
}
TABLES = tuple(COLUMNS)
DATE_COLUMNS: dict[str, tuple[str, ...]] = {
    "person": (),
    **{domain: source.dates for domain, source in EVENT_SOURCES.items()},
}


@dataclass(frozen=True)
class ConceptSet:
    """The events of one domain whose concept is `concept_id` (with its descendants)."""

    domain: str
    concept_id: int
    descendants: bool = True


@dataclass(frozen=True)
class DatasetSpec:
    """What a dataset holds: concept sets, the columns per table (research_id is always
    there and need not be listed), and whether dates are shifted (registered tier)."""

    concept_sets: tuple[ConceptSet, ...]
    columns: dict[str, tuple[str, ...]] = field(default_factory=dict)
    shift_dates: bool = True

    def tables(self) -> list[str]:
        """The dataset's tables in TABLES order: person when it has columns, and each event
        domain that has a concept set."""
        domains = {item.domain for item in self.concept_sets}
        return [
            table
            for table in TABLES
            if (table == "person" and self.columns.get("person")) or table in domains
        ]

    def columns_of(self, table: str) -> list[str]:
        """The output columns of `table`: research_id, then the chosen ones in COLUMNS order
        (an event table with none chosen gets concept_id and its first date)."""
        chosen = set(self.columns.get(table, ()))
        if table != "person" and not chosen:
            chosen = {"concept_id", DATE_COLUMNS[table][0]}
        return ["research_id", *(name for name in COLUMNS[table] if name in chosen)]


def spec_check(spec: DatasetSpec) -> None:
    """Raise DatasetError for an unknown domain, table or column, or a dataset with no table."""
    for item in spec.concept_sets:
        if item.domain not in EVENT_SOURCES:
            raise DatasetError(f"{item.domain!r} is not an event domain")
    for table, names in spec.columns.items():
        if table not in COLUMNS:
            raise DatasetError(f"{table!r} is not a dataset table")
        unknown = sorted(set(names) - set(COLUMNS[table]))
        if unknown:
            raise DatasetError(f"{table} has no column {', '.join(unknown)}")
    if not spec.tables():
        raise DatasetError("the dataset has no table: choose person columns or a concept set")


# --- the key table --------------------------------------------------------------------------


def date_shift(key: bytes, person_id: int) -> int:
    """The participant's date shift in days, 1 to 364 (module docstring)."""
    return _shift(_keyed(key), person_id)


def _keyed(key: bytes) -> Callable[[bytes], bytes]:
    """HMAC-SHA256 with `key`, for many messages: the keyed state is made once and copied
    (twice as fast as a new HMAC per message, which matters at a million participants)."""
    base = hmac.new(key, digestmod=hashlib.sha256)

    def digest(message: bytes) -> bytes:
        state = base.copy()
        state.update(message)
        return state.digest()

    return digest


def _shift(digest: Callable[[bytes], bytes], person_id: int) -> int:
    return int.from_bytes(digest(b"date-shift:%d" % person_id), "big") % SHIFT_MAX_DAYS + 1


def keys_file_name(key: bytes) -> str:
    """The key table's file name for `key`: a fingerprint of the key, not the key."""
    fingerprint = hmac.new(key, b"tapestry-dataset-keys", hashlib.sha256).hexdigest()[:16]
    return f"dataset-keys-{fingerprint}.parquet"


def keys_table(key: bytes, release: str, person_ids: Iterable[int]) -> pa.Table:
    """`person_id`, `research_id`, `shift_days` for every person id (module docstring)."""
    ids = sorted({int(person_id) for person_id in person_ids})
    digest = _keyed(key)
    prefix = f"research-id:{release}:".encode()
    order = sorted(ids, key=lambda person_id: digest(prefix + b"%d" % person_id))
    research = {person_id: RESEARCH_ID_BASE + rank for rank, person_id in enumerate(order, 1)}
    return pa.table(
        {
            "person_id": pa.array(ids, pa.int64()),
            "research_id": pa.array([research[person_id] for person_id in ids], pa.int64()),
            "shift_days": pa.array([_shift(digest, person_id) for person_id in ids], pa.int32()),
        }
    )


def keys_write(con: BaseBackend, *, key: bytes, release: str, path: Path) -> Path:
    """Write the key table of the warehouse `con` holds to `path` unless it is there already
    (temporary name, then rename: two builds racing write the same content)."""
    if path.is_file():
        return path
    person_ids = con.table("participant").select("person_id").to_pyarrow().column(0).to_pylist()
    table = keys_table(key, release, person_ids)
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        pq.write_table(table, temporary)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return path


# --- the tables -----------------------------------------------------------------------------


def concept_ids(con: BaseBackend, concept_sets: Sequence[ConceptSet]) -> dict[str, list[int]]:
    """Per domain, the concept ids its concept sets stand for (descendants from
    `concept_ancestor`). Raises DatasetError for a concept the release does not hold or of
    another domain."""
    wanted = sorted({item.concept_id for item in concept_sets})
    if not wanted:
        return {}
    concept = con.table("concept")
    found = (
        concept.filter(concept.concept_id.isin(wanted))
        .select("concept_id", "domain_id")
        .to_pyarrow()
        .to_pylist()
    )
    domains = {row["concept_id"]: row["domain_id"] for row in found}
    for item in concept_sets:
        if item.concept_id not in domains:
            raise DatasetError(f"concept {item.concept_id} is not in this data release")
        expected = EVENT_SOURCES[item.domain].concept_domain
        if domains[item.concept_id] != expected:
            raise DatasetError(
                f"concept {item.concept_id} is a {domains[item.concept_id].lower()} concept, "
                f"not a {item.domain} concept"
            )
    with_descendants = sorted({item.concept_id for item in concept_sets if item.descendants})
    descendants: dict[int, set[int]] = {}
    if with_descendants:
        ancestor = con.table("concept_ancestor")
        rows = (
            ancestor.filter(ancestor.ancestor_concept_id.isin(with_descendants))
            .select("ancestor_concept_id", "descendant_concept_id")
            .to_pyarrow()
            .to_pylist()
        )
        for row in rows:
            descendants.setdefault(row["ancestor_concept_id"], set()).add(
                row["descendant_concept_id"]
            )
    result: dict[str, set[int]] = {}
    for item in concept_sets:
        ids = result.setdefault(item.domain, set())
        ids.add(item.concept_id)
        if item.descendants:
            ids |= descendants.get(item.concept_id, set())
    return {domain: sorted(ids) for domain, ids in result.items()}


def dataset_tables(
    con: BaseBackend, persons: ir.Table, spec: DatasetSpec, keys: ir.Table | Path
) -> dict[str, ir.Table]:
    """The dataset's tables as expressions (nothing runs), in `spec.tables()` order, each
    sorted by research_id then its first date. `keys` is the key table (or its file)."""
    spec_check(spec)
    if isinstance(keys, Path):
        keys = con.read_parquet(str(keys))
    cohort = persons.select("person_id").distinct().join(keys, "person_id")
    shift = cohort.shift_days if spec.shift_dates else ibis.literal(0)
    cohort = cohort.select("person_id", "research_id", shift_days=shift.cast("int32"))
    ids = concept_ids(con, spec.concept_sets)
    tables: dict[str, ir.Table] = {}
    for table in spec.tables():
        columns = spec.columns_of(table)
        if table == "person":
            expr = _person(con, cohort, columns)
        else:
            expr = _events(con, cohort, table, ids[table], columns)
        tables[table] = expr
    return tables


def _person(con: BaseBackend, cohort: ir.Table, columns: list[str]) -> ir.Table:
    person = con.table("person")
    location = con.table("location")
    site = con.table("care_site")
    concept = con.table("concept").select("concept_id", "concept_name")

    def name_of(column: str, alias: str) -> ir.Table:
        return concept.select(**{column: concept.concept_id, alias: concept.concept_name})

    joined = (
        cohort.join(person, "person_id")
        .left_join(location.select("location_id", "zip"), "location_id")
        .left_join(site.select("care_site_id", site=site.care_site_source_value), "care_site_id")
        .left_join(name_of("gender_concept_id", "sex_at_birth"), "gender_concept_id")
        .left_join(name_of("race_concept_id", "race"), "race_concept_id")
        .left_join(name_of("ethnicity_concept_id", "ethnicity"), "ethnicity_concept_id")
    )
    values: dict[str, ir.Value] = {
        "research_id": joined.research_id,
        "year_of_birth": joined.year_of_birth,
        "sex_at_birth": joined.sex_at_birth,
        "race": joined.race,
        "ethnicity": joined.ethnicity,
        "zip3": joined.zip.substr(0, 3),
        "site": joined.site,
    }
    return joined.select(**{name: values[name] for name in columns}).order_by("research_id")


def _events(
    con: BaseBackend, cohort: ir.Table, domain: str, ids: list[int], columns: list[str]
) -> ir.Table:
    source = EVENT_SOURCES[domain]
    events = con.table(source.table)
    events = events.filter(events[source.concept_column].isin(ids))
    joined = events.join(cohort, "person_id")
    if "concept_name" in columns:
        concept = con.table("concept")
        joined = joined.left_join(
            concept.select(
                **{source.concept_column: concept.concept_id, "concept_name": concept.concept_name}
            ),
            source.concept_column,
        )
    values: dict[str, ir.Value] = {"research_id": joined.research_id}
    for name in columns[1:]:
        value = joined[source.columns[name]]
        if name in source.dates:
            # A date minus a whole number of days, as every backend has it.
            value = value.sub(joined.shift_days.as_interval("D"))
        values[name] = value
    first_date = source.dates[0]
    order = ["research_id", *([first_date] if first_date in values else [])]
    if "concept_id" in values:
        order.append("concept_id")
    return joined.select(**values).order_by(*order)


# --- preview and export ---------------------------------------------------------------------


def _plain(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def dataset_preview(
    con: BaseBackend,
    persons: ir.Table,
    spec: DatasetSpec,
    keys: ir.Table | Path,
    *,
    limit: int = PREVIEW_ROWS,
) -> list[dict[str, Any]]:
    """The first `limit` rows of each table: [{"table", "columns", "rows": [[...], ...]}],
    values as JSON-friendly Python (dates as ISO strings).

    Each table is sorted by research id first, so its first rows belong to the participants
    with the lowest research ids: the preview is worked out over the cohort's first
    PREVIEW_PEOPLE of them (sorting every event of a large cohort takes seconds), and over
    the whole cohort only for a table those people have fewer than `limit` rows of."""
    if isinstance(keys, Path):
        keys = con.read_parquet(str(keys))
    first = (
        persons.select("person_id")
        .distinct()
        .join(keys, "person_id")
        .order_by("research_id")
        .limit(PREVIEW_PEOPLE)
        .select("person_id")
    )
    whole: dict[str, ir.Table] | None = None
    preview = []
    for table, expr in dataset_tables(con, first, spec, keys).items():
        arrow = expr.limit(limit).to_pyarrow()
        if arrow.num_rows < limit:
            whole = whole or dataset_tables(con, persons, spec, keys)
            arrow = whole[table].limit(limit).to_pyarrow()
        rows = [[_plain(value) for value in row.values()] for row in arrow.to_pylist()]
        preview.append({"table": table, "columns": list(arrow.column_names), "rows": rows})
    return preview


def export_member(table: str, fmt: str) -> str:
    """The file name of a table inside the export's zip archive."""
    return f"{table}.{fmt}"


def dataset_export(
    con: BaseBackend,
    persons: ir.Table,
    spec: DatasetSpec,
    keys: ir.Table | Path,
    *,
    out_path: Path,
    fmt: str,
    progress: Callable[[int], None] = lambda percent: None,
) -> dict[str, int]:
    """Write the dataset to the zip archive `out_path` (module docstring) and return the rows
    per table. `progress(percent)` is called as rows are written (0 to 99; 100 once the archive
    is in place). On any error nothing is left under `out_path` or the temporary names."""
    if fmt not in FORMATS:
        raise DatasetError(f"{fmt!r} is not an export format")
    tables = dataset_tables(con, persons, spec, keys)
    counts = {table: int(expr.count().to_pyarrow().as_py()) for table, expr in tables.items()}
    total = max(sum(counts.values()), 1)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    # A build killed mid-export leaves its temporary folder and archive behind (a finally
    # clause does not run on SIGKILL); one dataset has one build at a time, so any left with
    # this target's prefix are stale.
    for stale in out_path.parent.glob(f".{out_path.name}.*"):
        if stale.is_dir():
            shutil.rmtree(stale, ignore_errors=True)
        else:
            stale.unlink(missing_ok=True)
    token = uuid.uuid4().hex
    folder = out_path.parent / f".{out_path.name}.{token}.parts"
    archive = out_path.parent / f".{out_path.name}.{token}.tmp"
    written = 0
    shown = -1
    try:
        folder.mkdir()
        for table, expr in tables.items():
            member = folder / export_member(table, fmt)
            for batch_rows in _write(expr, member, fmt):
                written += batch_rows
                percent = min(99, written * 100 // total)
                if percent != shown:
                    progress(percent)
                    shown = percent
        manifest = {
            "format": fmt,
            "dates_shifted": spec.shift_dates,
            "tables": [
                {
                    "name": table,
                    "file": export_member(table, fmt),
                    "columns": spec.columns_of(table),
                    "rows": counts[table],
                }
                for table in tables
            ],
        }
        compression = zipfile.ZIP_STORED if fmt == "parquet" else zipfile.ZIP_DEFLATED
        with zipfile.ZipFile(archive, "w", compression=compression) as zipped:
            zipped.writestr("dataset.json", json.dumps(manifest, indent=2))
            for table in tables:
                name = export_member(table, fmt)
                zipped.write(folder / name, name)
        os.replace(archive, out_path)
    finally:
        archive.unlink(missing_ok=True)
        shutil.rmtree(folder, ignore_errors=True)
    progress(100)
    return counts


def _batches(expr: ir.Table) -> pa.RecordBatchReader:
    """The rows of `expr` as a stream of Arrow batches. Ibis 12's DuckDB backend calls a
    cursor method DuckDB 2 no longer has, so on DuckDB the compiled query's own Arrow reader
    is used; other backends stream through Ibis."""
    backend = expr._find_backend()
    if backend.name == "duckdb":
        return backend.con.sql(backend.compile(expr)).to_arrow_reader(BATCH_ROWS)
    return expr.to_pyarrow_batches(chunk_size=BATCH_ROWS)


def _write(expr: ir.Table, path: Path, fmt: str) -> Iterable[int]:
    """Stream `expr` into one Parquet or CSV file, yielding the rows of each batch written."""
    schema = expr.schema().to_pyarrow()
    reader = _batches(expr)
    writer: Any = (
        pq.ParquetWriter(path, schema) if fmt == "parquet" else pa_csv.CSVWriter(path, schema)
    )
    try:
        for batch in reader:
            if batch.num_rows:
                writer.write_batch(batch.cast(schema) if batch.schema != schema else batch)
                yield batch.num_rows
    finally:
        writer.close()
        reader.close()


# --- code that loads an export --------------------------------------------------------------


def snippets(
    file_name: str, tables: Sequence[str], fmt: str, columns: dict[str, Sequence[str]]
) -> dict[str, str]:
    """Python (pandas, polars) and R code that loads the export `file_name` (the downloaded
    zip archive, in the working folder): {"pandas": ..., "polars": ..., "r": ...}. `columns`
    gives each table's columns, so CSV dates are read as dates."""
    folder = Path(file_name).stem or "dataset"
    names = [(table, f"{folder}/{export_member(table, fmt)}") for table in tables]

    def dates(table: str) -> list[str]:
        return [name for name in columns.get(table, ()) if name in DATE_COLUMNS.get(table, ())]

    pandas = ["import zipfile", "", "import pandas as pd", ""]
    polars = ["import zipfile", "", "import polars as pl", ""]
    for lines in (pandas, polars):
        lines += [
            f"with zipfile.ZipFile({file_name!r}) as archive:",
            f"    archive.extractall({folder!r})",
            "",
        ]
    r = [f'unzip("{file_name}", exdir = "{folder}")']
    if fmt == "parquet":
        r.append("library(arrow)")
    for table, path in names:
        if fmt == "parquet":
            pandas.append(f"{table} = pd.read_parquet({path!r})")
            polars.append(f"{table} = pl.read_parquet({path!r})")
            r.append(f'{table} <- read_parquet("{path}")')
        else:
            parse = dates(table)
            extra = f", parse_dates={parse!r}" if parse else ""
            pandas.append(f"{table} = pd.read_csv({path!r}{extra})")
            polars.append(f"{table} = pl.read_csv({path!r}, try_parse_dates=True)")
            r.append(f'{table} <- read.csv("{path}")')
            for name in parse:
                r.append(f"{table}${name} <- as.Date({table}${name})")
    return {
        "pandas": "\n".join(pandas) + "\n",
        "polars": "\n".join(polars) + "\n",
        "r": "\n".join(r) + "\n",
    }


__all__ = [
    "COLUMNS",
    "DOMAINS",
    "FORMATS",
    "PERSON_COLUMNS",
    "TABLES",
    "ConceptSet",
    "DatasetError",
    "DatasetSpec",
    "dataset_export",
    "dataset_preview",
    "dataset_tables",
    "date_shift",
    "keys_file_name",
    "keys_table",
    "keys_write",
    "snippets",
]
