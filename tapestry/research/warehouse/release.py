"""Build a release: the DuckDB warehouse over generated Parquet, and its aggregate summaries.

`release_build(source, target)` writes `target/warehouse.duckdb`, whose OMOP tables are views
over the Parquet files in `source` and whose `participant` table holds every participant's
features and underrepresentation (UBR) categories. It returns the summaries the public Data
Browser and the diversity dashboard serve, as plain data: raw counts, which the Django layer
stores and protects on output (tapestry/research/privacy.py).

Queries go through Ibis, so the same expressions run on another backend (Spark) when one
machine is no longer enough; DuckDB runs them here.
"""

import datetime
import json
import logging
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ibis
import numpy
import pyarrow as pa
import pyarrow.compute as pc
from ibis import _

from tapestry.research.warehouse import schema, ubr
from tapestry.research.warehouse.rural import rural_zips

logger = logging.getLogger(__name__)

AGE_GROUPS = (
    (0, 17, "0-17"),
    (18, 29, "18-29"),
    (30, 39, "30-39"),
    (40, 49, "40-49"),
    (50, 59, "50-59"),
    (60, 69, "60-69"),
    (70, 79, "70-79"),
    (80, 200, "80+"),
)
SEX_GROUPS = {
    "sex_male": "male",
    "sex_female": "female",
    "sex_intersex": "intersex",
    "sex_none_of_these": "other",
}
NOT_AN_ANSWER = (schema.SKIP, schema.PREFER_NOT)
HISTOGRAM_BINS = 10

# (domain, table, concept column); observations count only those from health records.
EVENT_SOURCES = (
    ("Condition", "condition_occurrence", "condition_concept_id"),
    ("Drug", "drug_exposure", "drug_concept_id"),
    ("Measurement", "measurement", "measurement_concept_id"),
    ("Procedure", "procedure_occurrence", "procedure_concept_id"),
    ("Observation", "observation", "observation_concept_id"),
    ("Visit", "visit_occurrence", "visit_concept_id"),
)


class ReleaseError(Exception):
    """The generated data cannot be built into a release; the message says why."""


@dataclass
class ReleaseSummaries:
    participants: int
    events: int
    cutoff_date: datetime.date
    domains: list[dict[str, Any]] = field(default_factory=list)
    concepts: list[dict[str, Any]] = field(default_factory=list)
    enrollment: list[dict[str, Any]] = field(default_factory=list)
    categories: list[dict[str, Any]] = field(default_factory=list)


def release_build(source: Path, target: Path) -> ReleaseSummaries:
    """Build the warehouse in `target` (replaced if present) from the data set in `source`."""
    manifest = _manifest(source)
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    con = ibis.duckdb.connect(str(target / "warehouse.duckdb"))
    try:
        con.raw_sql("SET enable_progress_bar = false")
        for table in schema.TABLES:
            # Table names come from the schema; the path is quoted as an SQL string literal.
            files = str((source / table).resolve() / "*.parquet").replace("'", "''")
            con.raw_sql(f"CREATE VIEW {table} AS SELECT * FROM read_parquet('{files}')")  # noqa: S608
        participants = _participants(con)
        con.create_table("participant", ibis.memtable(participants))
        summaries = ReleaseSummaries(
            participants=participants.num_rows,
            events=int(manifest.get("events", 0)),
            cutoff_date=_cutoff_date(con),
        )
        summaries.enrollment = _enrollment(con)
        summaries.categories = _categories(con)
        summaries.concepts, summaries.domains = _concepts(con)
    finally:
        con.disconnect()
    (target / "release.json").write_text(
        json.dumps(
            {
                "source": str(source.resolve()),
                "participants": summaries.participants,
                "events": summaries.events,
                "cutoff_date": summaries.cutoff_date.isoformat(),
            },
            indent=2,
        )
    )
    return summaries


def _manifest(source: Path) -> dict[str, Any]:
    manifest_path = source / "manifest.json"
    if not manifest_path.is_file():
        raise ReleaseError(f"{source} holds no generated data (manifest.json is missing).")
    missing = [table for table in schema.TABLES if not any((source / table).glob("*.parquet"))]
    if missing:
        raise ReleaseError(f"{source} is missing tables: {', '.join(missing)}.")
    try:
        return json.loads(manifest_path.read_text())
    except json.JSONDecodeError as error:
        raise ReleaseError(f"{manifest_path} is not valid JSON: {error}.") from error


def _participants(con) -> pa.Table:
    """One row per consented participant: the features, the UBR categories and the groups
    the public breakdowns use."""
    survey = con.table("observation").filter(_.observation_type_concept_id == schema.SURVEY_RECORD)
    question = survey.observation_source_value
    answer = survey.value_source_value

    def single(code: str):
        return answer.arbitrary(where=(question == code) & ~answer.isin(NOT_AN_ANSWER))

    answers = survey.group_by("person_id").aggregate(
        consent_date=survey.observation_date.min(where=question == "consent"),
        race_answers=answer.collect(
            where=(question == "race_ethnicity") & ~answer.isin(NOT_AN_ANSWER)
        ),
        annual_income=survey.value_as_number.max(where=question == "annual_income"),
        household_size=survey.value_as_number.max(where=question == "household_size"),
        **{
            code: single(code)
            for code in (
                "sex_at_birth",
                "gender_identity",
                "sexual_orientation",
                "education",
                *schema.DISABILITY_QUESTIONS,
                "health_insurance",
                "usual_source_of_care",
                "delayed_care_cost",
                "delayed_care_transport",
            )
        },
    )
    person = con.table("person")
    location = con.table("location")
    site = con.table("care_site")
    joined = (
        answers.filter(answers.consent_date.notnull())
        .join(person, "person_id")
        .join(location, "location_id")
        .join(site.select("care_site_id", site=site.care_site_source_value), "care_site_id")
    )
    consent = joined.consent_date
    before_birthday = (consent.month() < joined.month_of_birth) | (
        (consent.month() == joined.month_of_birth) & (consent.day() < joined.day_of_birth)
    )
    age = consent.year() - joined.year_of_birth - before_birthday.ifelse(1, 0)
    columns = {
        name: joined[name] for name in schema.PARTICIPANT_FEATURES.names if name in joined.columns
    }
    columns["age_at_consent"] = age.cast("int32")
    columns["household_size"] = joined.household_size.cast("int32")
    columns["rural_zip"] = ibis.literal(False)
    features = joined.select(**columns).order_by("person_id").to_pyarrow()
    rural = pc.is_in(features["zip"], value_set=pa.array(sorted(rural_zips()), pa.string()))
    features = features.set_column(
        features.schema.get_field_index("rural_zip"), "rural_zip", pc.fill_null(rural, False)
    )
    features = features.select(schema.PARTICIPANT_FEATURES.names).cast(schema.PARTICIPANT_FEATURES)
    categories = ubr.classify(features)
    table = features.select(["person_id", "site", "consent_date", "age_at_consent"])
    for name in categories.column_names:
        if name != "person_id":
            table = table.append_column(name, categories[name])
    return _with_groups(table, features)


def _with_groups(table: pa.Table, features: pa.Table) -> pa.Table:
    """Add sex_group, age_group and race_group, the public breakdowns' categories."""
    sex = features["sex_at_birth"].to_pylist()
    race = features["race_answers"].to_pylist()
    ages = features["age_at_consent"].to_numpy(zero_copy_only=False)
    lows = numpy.array([low for low, _high, _label in AGE_GROUPS])
    labels = numpy.array([label for _low, _high, label in AGE_GROUPS])
    age_group = labels[numpy.clip(numpy.searchsorted(lows, ages, side="right") - 1, 0, None)]
    sex_group = [SEX_GROUPS.get(code or "", "unknown") for code in sex]
    race_group = [
        (codes[0].removeprefix("race_") if len(codes) == 1 else "more_than_one")
        if codes
        else "unknown"
        for codes in race
    ]
    return (
        table.append_column("sex_group", pa.array(sex_group, pa.string()))
        .append_column("age_group", pa.array(age_group.tolist(), pa.string()))
        .append_column("race_group", pa.array(race_group, pa.string()))
    )


def _cutoff_date(con) -> datetime.date:
    participant = con.table("participant")
    latest = participant.consent_date.max().to_pyarrow().as_py()
    return latest or datetime.date.today()


def _enrollment(con) -> list[dict[str, Any]]:
    participant = con.table("participant")
    site = con.table("care_site")
    month = participant.consent_date.truncate("M").name("month")
    rows = (
        participant.group_by(participant.site, month)
        .aggregate(
            participants=_.count(),
            minority=participant.minority.sum(),
            ubr=participant.ubr.sum(),
        )
        .join(site.select(site=site.care_site_source_value, site_name=site.care_site_name), "site")
        .order_by(["site", "month"])
        .to_pyarrow()
        .to_pylist()
    )
    for row in rows:
        row["month"] = _as_date(row["month"])
    return rows


def _categories(con) -> list[dict[str, Any]]:
    participant = con.table("participant")
    rows = []
    for category in ubr.CATEGORIES:
        counts = (
            participant.group_by("site")
            .aggregate(participants=participant[category.code].sum())
            .to_pyarrow()
            .to_pylist()
        )
        rows += [
            {"site": row["site"], "category": category.code, "participants": row["participants"]}
            for row in counts
        ]
    return rows


def _concepts(con) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Participants per concept, counting a concept's descendants with it, with breakdowns."""
    participant = con.table("participant").select(
        "person_id", "sex_group", "age_group", "race_group"
    )
    ancestor = con.table("concept_ancestor")
    concept = con.table("concept").filter(_.standard_concept.notnull())
    pairs = []
    for domain, table_name, column in EVENT_SOURCES:
        events = con.table(table_name)
        if table_name == "observation":
            events = events.filter(_.observation_type_concept_id == schema.EHR_RECORD)
        pairs.append(
            events.select(person_id=events.person_id, concept_id=events[column].cast("int64"))
            .distinct()
            .mutate(domain=ibis.literal(domain))
        )
    # Materialized once: both the per-concept counts and the per-domain totals read it.
    con.create_table("person_concept_direct", ibis.union(*pairs, distinct=False))
    person_concept = con.table("person_concept_direct")
    expanded = (
        person_concept.join(
            ancestor, person_concept.concept_id == ancestor.descendant_concept_id.cast("int64")
        )
        .select(
            person_id=person_concept.person_id,
            concept_id=ancestor.ancestor_concept_id.cast("int64"),
            domain=person_concept.domain,
        )
        .distinct()
        .join(participant, "person_id")
    )
    con.create_table("person_concept", expanded)
    expanded = con.table("person_concept")

    totals = {
        row["concept_id"]: row
        for row in expanded.group_by(["concept_id", "domain"])
        .aggregate(participants=_.count())
        .to_pyarrow()
        .to_pylist()
    }
    breakdowns: dict[str, dict[int, dict[str, int]]] = {}
    for group in ("sex_group", "age_group", "race_group"):
        by_concept: dict[int, dict[str, int]] = {}
        for row in (
            expanded.group_by(["concept_id", group])
            .aggregate(participants=_.count())
            .to_pyarrow()
            .to_pylist()
        ):
            by_concept.setdefault(row["concept_id"], {})[row[group]] = row["participants"]
        breakdowns[group] = by_concept
    histograms = _histograms(con)
    names = {
        row["concept_id"]: row
        for row in concept.select(
            "concept_id", "concept_name", "concept_code", "vocabulary_id", "domain_id"
        )
        .to_pyarrow()
        .to_pylist()
    }

    concepts = []
    for concept_id, total in totals.items():
        described = names.get(concept_id)
        if described is None or described["vocabulary_id"] == schema.SURVEY_VOCABULARY:
            continue
        concepts.append(
            {
                "concept_id": concept_id,
                "name": described["concept_name"],
                "code": described["concept_code"],
                "vocabulary": described["vocabulary_id"],
                "domain": total["domain"],
                "participants": total["participants"],
                "by_sex": breakdowns["sex_group"].get(concept_id, {}),
                "by_age": breakdowns["age_group"].get(concept_id, {}),
                "by_race": breakdowns["race_group"].get(concept_id, {}),
                "histogram": histograms.get(concept_id, {}),
            }
        )
    domain_rows = (
        person_concept.group_by("domain")
        .aggregate(participants=person_concept.person_id.nunique())
        .to_pyarrow()
        .to_pylist()
    )
    concepts_per_domain: dict[str, int] = {}
    for row in concepts:
        concepts_per_domain[row["domain"]] = concepts_per_domain.get(row["domain"], 0) + 1
    domains = [
        {**row, "concepts": concepts_per_domain.get(row["domain"], 0)} for row in domain_rows
    ]
    return concepts, domains


def _histograms(con) -> dict[int, dict[str, Any]]:
    """For each measurement: participants per value bin, ten bins over the 1st to 99th
    percentile (values outside fall in the end bins)."""
    measurement = con.table("measurement").filter(_.value_as_number.notnull())
    bounds = measurement.group_by("measurement_concept_id").aggregate(
        low=measurement.value_as_number.quantile(0.01),
        high=measurement.value_as_number.quantile(0.99),
        unit=measurement.unit_source_value.arbitrary(),
    )
    binned = measurement.join(bounds, "measurement_concept_id")
    width = (binned.high - binned.low).nullif(0)
    position = ((binned.value_as_number - binned.low) / width * HISTOGRAM_BINS).floor()
    bin_index = ibis.greatest(0, ibis.least(HISTOGRAM_BINS - 1, position.fill_null(0)))
    counts = (
        binned.mutate(bin=bin_index.cast("int32"))
        .group_by(["measurement_concept_id", "bin", "low", "high", "unit"])
        .aggregate(participants=binned.person_id.nunique())
        .to_pyarrow()
        .to_pylist()
    )
    histograms: dict[int, dict[str, Any]] = {}
    for row in counts:
        concept_id = int(row["measurement_concept_id"])
        low, high = float(row["low"]), float(row["high"])
        step = (high - low) / HISTOGRAM_BINS
        histogram = histograms.setdefault(
            concept_id,
            {
                "unit": row["unit"] or "",
                "bins": [
                    [round(low + i * step, 2), round(low + (i + 1) * step, 2), 0]
                    for i in range(HISTOGRAM_BINS)
                ],
            },
        )
        histogram["bins"][row["bin"]][2] = row["participants"]
    return histograms


def _as_date(value: Any) -> datetime.date:
    return value.date() if isinstance(value, datetime.datetime) else value
