"""Build a release: the DuckDB warehouse over generated Parquet, and its aggregate summaries.

`release_build(source, target)` writes `target/warehouse.duckdb`, whose OMOP tables are views
over the Parquet files in `source` and whose `participant` table holds every participant's
features and underrepresentation (UBR) categories. It returns the summaries the public Data
Browser and the diversity dashboard serve, as plain data: raw counts, which the Django layer
stores and protects on output (tapestry/research/privacy.py).

Every step is an Ibis expression run by the backend, and results are written by the backend
(`create_table` from an expression): the participant table, with its UBR categories, is built
inside the warehouse, and only the small summaries (hundreds of rows) come back to Python. So
the same code runs on another backend (Spark) when one machine is no longer enough; DuckDB runs
it here, in bounded memory (`MEMORY_LIMIT`, spilling to the release folder beyond it).
"""

import datetime
import itertools
import json
import logging
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import ibis
import ibis.expr.types as ir
import pyarrow as pa
from ibis import BaseBackend, _

from tapestry.research.warehouse import poverty, schema, ubr, vocabulary
from tapestry.research.warehouse.rural import RuralList

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
# DuckDB's own memory (it would take 80% of the machine's by default); beyond it, joins and
# aggregations spill to a temporary folder inside the release.
MEMORY_LIMIT = "2GB"

# The warehouse's `participant` table, one row per consented participant.
PARTICIPANT_COLUMNS = (
    "person_id",
    "site",
    "consent_date",
    "age_at_consent",
    *ubr.OUTPUT_COLUMNS[1:],
    "sex_group",
    "age_group",
    "race_group",
)

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
    surveys: list[dict[str, Any]] = field(default_factory=list)  # see _survey_answers
    # Per concept id: {"name_es": str, "terms": [(kind, language, text), ...]}, the text that
    # finds it in the Data Browser. Not counts, so not in `canonical`.
    search_terms: dict[int, dict[str, Any]] = field(default_factory=dict)

    def canonical(self) -> dict[str, Any]:
        """Every summary as plain JSON values, rows sorted by their keys, so two builds of the
        same data compare equal whatever order the backend returned the rows in."""

        def rows(items: list[dict[str, Any]], *keys: str) -> list[Any]:
            return sorted(
                (_canonical(item) for item in items),
                key=lambda item: tuple(str(item[key]) for key in keys),
            )

        return {
            "participants": self.participants,
            "events": self.events,
            "cutoff_date": self.cutoff_date.isoformat(),
            "domains": rows(self.domains, "domain"),
            "concepts": rows(self.concepts, "concept_id"),
            "enrollment": rows(self.enrollment, "site", "month"),
            "categories": rows(self.categories, "site", "category"),
            "surveys": rows(self.surveys, "question_code"),
        }


def _canonical(value: Any) -> Any:
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(key): _canonical(item) for key, item in sorted(value.items())}
    if isinstance(value, list | tuple):
        return [_canonical(item) for item in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def release_build(
    source: Path,
    target: Path,
    *,
    memory_limit: str = MEMORY_LIMIT,
    rural_lists: Sequence[RuralList] = (),
) -> ReleaseSummaries:
    """Build the warehouse in `target` (replaced if present) from the data set in `source`.

    `memory_limit` caps DuckDB's memory (a DuckDB size, "2GB"); beyond it work spills to disk.
    `rural_lists` are the loaded FORHP lists: each participant's geography uses the one in
    force on their consent date; with none, geography is unknown for everyone.
    """
    manifest = _manifest(source)
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    try:
        con = ibis.duckdb.connect(str(target / "warehouse.duckdb"))
    except duckdb.Error as error:  # a full disk refuses even the empty database file
        raise ReleaseError(f"The warehouse could not be created: {error}") from error
    started = time.perf_counter()

    def step(name: str) -> None:
        logger.info(
            "release %s: %s done at %.1f s", target.name, name, time.perf_counter() - started
        )

    try:
        con.raw_sql("SET enable_progress_bar = false")
        con.raw_sql(f"SET memory_limit = '{memory_limit}'")
        # Row order is never relied on (every result that needs one has ORDER BY); without
        # it DuckDB needs less memory to write tables.
        con.raw_sql("SET preserve_insertion_order = false")
        spill = str((target / "spill").resolve()).replace("'", "''")
        con.raw_sql(f"SET temp_directory = '{spill}'")
        for table in schema.TABLES:
            # Table names come from the schema; the path is quoted as an SQL string literal.
            files = str((source / table).resolve() / "*.parquet").replace("'", "''")
            con.raw_sql(f"CREATE VIEW {table} AS SELECT * FROM read_parquet('{files}')")  # noqa: S608
        con.create_table("participant", _participants(con, rural_lists))
        step("participants")
        participant = con.table("participant")
        summaries = ReleaseSummaries(
            participants=int(participant.count().to_pyarrow().as_py()),
            events=int(manifest.get("events", 0)),
            cutoff_date=_cutoff_date(con),
        )
        summaries.enrollment = _enrollment(con)
        summaries.categories = _categories(con)
        step("enrollment and categories")
        summaries.concepts, summaries.domains = _concepts(con)
        summaries.search_terms = _search_terms(
            con, {row["concept_id"] for row in summaries.concepts}
        )
        step("concepts")
        summaries.surveys = _survey_answers(con)
        step("surveys")
        from tapestry.research.warehouse.cohort import index_build  # it imports this module

        index_build(con)
        step("cohort search structures")
    except duckdb.Error as error:
        # Out of memory or disk, or a damaged Parquet file: the release fails with the reason.
        raise ReleaseError(f"The warehouse could not be built: {error}") from error
    finally:
        _disconnect(con)
    shutil.rmtree(target / "spill", ignore_errors=True)
    (target / "release.json").write_text(
        json.dumps(
            {
                "source": str(source.resolve()),
                "participants": summaries.participants,
                "events": summaries.events,
                "cutoff_date": summaries.cutoff_date.isoformat(),
                "rural_zip_lists": [
                    {"name": item.name, "effective_from": item.effective_from.isoformat()}
                    for item in rural_lists
                ],
            },
            indent=2,
        )
    )
    return summaries


def _disconnect(con: BaseBackend) -> None:
    try:
        con.disconnect()
    except duckdb.Error as error:
        # Closing writes the last changes into the file (a checkpoint); if that fails (a full
        # disk), the warehouse is incomplete.
        raise ReleaseError(f"The warehouse could not be written to the end: {error}") from error


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


def _participants(con: BaseBackend, rural_lists: Sequence[RuralList] = ()) -> ir.Table:
    """One row per consented participant: the features, the UBR categories and the groups
    the public breakdowns use (an expression; nothing is read into Python).

    The answers are those of the participant's FIRST Basics survey on or after consent (the
    earliest survey date from consent on; a later survey's changed answers are ignored), as the
    program's calculator requires.
    """
    survey = con.table("observation").filter(_.observation_type_concept_id == schema.SURVEY_RECORD)
    consents = survey.group_by("person_id").aggregate(
        consent_date=survey.observation_date.min(where=survey.observation_source_value == "consent")
    )
    dated = survey.join(consents, "person_id")
    first_basics = dated.group_by("person_id").aggregate(
        basics_date=dated.observation_date.min(
            where=(dated.observation_source_value != "consent")
            & (dated.observation_date >= dated.consent_date)
        )
    )
    rows = dated.join(first_basics, "person_id").filter(
        lambda t: (t.observation_source_value == "consent") | (t.observation_date == t.basics_date)
    )
    question = rows.observation_source_value
    answer = rows.value_source_value

    def single(code: str) -> ir.StringValue:
        return answer.arbitrary(where=(question == code) & ~answer.isin(NOT_AN_ANSWER))

    def chosen(code: str) -> ir.ArrayValue:
        return answer.collect(where=(question == code) & ~answer.isin(NOT_AN_ANSWER))

    answers = rows.group_by("person_id").aggregate(
        consent_date=rows.consent_date.min(),
        race_answers=chosen("race_ethnicity"),
        gender_answers=chosen("gender_identity"),
        income_bracket=single("annual_income"),
        household_size=rows.value_as_number.max(where=question == "household_size"),
        **{
            code: single(code)
            for code in (
                "sex_at_birth",
                "sexual_orientation",
                "education",
                *schema.DISABILITY_QUESTIONS,
                *schema.ACCESS_TO_CARE_QUESTIONS,
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
    joined = _with_rural_zip(joined, rural_lists)
    columns: dict[str, ir.Value] = {
        name: joined[name] for name in schema.PARTICIPANT_FEATURES.names if name in joined.columns
    }
    columns["age_at_consent"] = _calendar_age(
        joined.consent_date, joined.year_of_birth, joined.month_of_birth, joined.day_of_birth
    ).cast("int32")
    columns["household_size"] = joined.household_size.cast("int32")
    features = joined.select(
        **{name: columns[name] for name in schema.PARTICIPANT_FEATURES.names}
    ).cast(schema.PARTICIPANT_FEATURES)
    # The public breakdowns' groups are added before classifying: two category codes
    # (sex_at_birth, education) are also feature names, and the categories replace them.
    grouped = features.mutate(
        sex_group=_sex_group(features.sex_at_birth),
        age_group=_age_group(features.age_at_consent),
        race_group=_race_group(features.race_answers),
    )
    return ubr.categories_with(
        grouped,
        guidelines=ibis.memtable(poverty.guidelines_table()),
        keep=("site", "consent_date", "age_at_consent", "sex_group", "age_group", "race_group"),
    ).select(*PARTICIPANT_COLUMNS)


def _calendar_age(
    on: ir.DateValue, year: ir.IntegerValue, month: ir.IntegerValue, day: ir.IntegerValue
) -> ir.IntegerValue:
    """Whole years from a birth date to `on`, as the program counts them (relativedelta): a
    Feb 29 birthday falls on Feb 28 in a year that is not a leap year."""
    y = on.year()
    leap = ((y % 4 == 0) & (y % 100 != 0)) | (y % 400 == 0)
    birthday = ((month == 2) & (day == 29) & ~leap).ifelse(28, day)
    before_birthday = (on.month() < month) | ((on.month() == month) & (on.day() < birthday))
    return y - year - before_birthday.ifelse(1, 0)


def _with_rural_zip(joined: ir.Table, rural_lists: Sequence[RuralList]) -> ir.Table:
    """`joined` with `rural_zip`: whether the five-digit ZIP code is on the FORHP list in
    force on the consent date (the latest list in force from on or before it); null when
    there is no ZIP code or no list in force (with no list loaded, for everyone)."""
    if not rural_lists:
        return joined.mutate(rural_zip=ibis.null("boolean"))
    newest_first = sorted(rural_lists, key=lambda item: item.effective_from, reverse=True)
    lists = ibis.memtable(
        pa.table(
            {
                "rural_list": pa.array(
                    [item.name for item in rural_lists for _code in item.zip_codes], pa.string()
                ),
                "rural_zip_code": pa.array(
                    [code for item in rural_lists for code in sorted(item.zip_codes)], pa.string()
                ),
            }
        )
    )
    keyed = joined.mutate(
        zip5=joined.zip.re_replace(r"[^0-9]", "").substr(0, 5).nullif(""),
        list_in_force=ibis.cases(
            *((joined.consent_date >= item.effective_from, item.name) for item in newest_first),
            else_=ibis.null("string"),
        ),
    )
    matched = keyed.left_join(
        lists,
        [keyed.list_in_force == lists.rural_list, keyed.zip5 == lists.rural_zip_code],
    )
    return matched.mutate(
        rural_zip=(matched.zip5.isnull() | matched.list_in_force.isnull()).ifelse(
            ibis.null("boolean"), matched.rural_zip_code.notnull()
        )
    ).drop("zip5", "list_in_force", "rural_list", "rural_zip_code")


def _sex_group(sex_at_birth: ir.StringValue) -> ir.StringValue:
    return ibis.cases(
        *((sex_at_birth == code, group) for code, group in SEX_GROUPS.items()), else_="unknown"
    )


def _age_group(age: ir.IntegerValue) -> ir.StringValue:
    """The label of the group the age falls in; below the first bound the first group, an
    unknown age the last."""
    return ibis.cases(
        *(
            (age < upper_low, label)
            for (_low, _high, label), (upper_low, _upper_high, _upper_label) in itertools.pairwise(
                AGE_GROUPS
            )
        ),
        else_=AGE_GROUPS[-1][2],
    )


def _race_group(race_answers: ir.ArrayValue) -> ir.StringValue:
    """The one race answer without its "race_" prefix, "more_than_one", or "unknown"."""
    count = race_answers.length().fill_null(0)
    only = race_answers[0]
    return ibis.cases(
        (count == 0, "unknown"),
        (count > 1, "more_than_one"),
        else_=only.startswith("race_").ifelse(only.substr(5), only),
    )


def _cutoff_date(con: BaseBackend) -> datetime.date:
    participant = con.table("participant")
    latest = participant.consent_date.max().to_pyarrow().as_py()
    return latest or datetime.date.today()


def _enrollment(con: BaseBackend) -> list[dict[str, Any]]:
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


def _categories(con: BaseBackend) -> list[dict[str, Any]]:
    """Participants per site in each UBR category (one query, one row per site)."""
    participant = con.table("participant")
    per_site = (
        participant.group_by("site")
        .aggregate(
            **{
                category.code: participant[category.code].sum().fill_null(0)
                for category in ubr.CATEGORIES
            },
            **{
                category.answered: (~participant[category.answered]).sum().fill_null(0)
                for category in ubr.CATEGORIES
            },
        )
        .order_by("site")
        .to_pyarrow()
        .to_pylist()
    )
    return [
        {
            "site": row["site"],
            "category": category.code,
            "participants": row[category.code],
            "not_answered": row[category.answered],
        }
        for category in ubr.CATEGORIES
        for row in per_site
    ]


def _concepts(con: BaseBackend) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
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
    hierarchy = _hierarchy(con)
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
                **hierarchy.get(concept_id, {"parents": [], "children": []}),
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


LANGUAGES = {schema.LANGUAGE_ENGLISH: "en", schema.LANGUAGE_SPANISH: "es"}


def _search_terms(con: BaseBackend, concept_ids: set[int]) -> dict[int, dict[str, Any]]:
    """What finds each published concept in the Data Browser, from the release's vocabulary:
    its `concept_synonym` rows with their language, and the source concepts (ICD-10-CM,
    CPT4, ...) that "Maps to" it, by code and by title. The concept's own names and code are
    stored with it already (services.concept_terms_create adds them).

    The Spanish display name is the team's (vocabulary.spanish_names) when the release's
    synonyms hold it; concept_synonym itself does not say which Spanish synonym is the name.
    """
    found: dict[int, dict[str, Any]] = {
        concept_id: {"name_es": "", "terms": []} for concept_id in concept_ids
    }
    # Both lists are vocabulary-sized (thousands of rows), so they are filtered here.
    synonym = con.table("concept_synonym")
    names = vocabulary.spanish_names()
    for row in (
        synonym.select("concept_id", "concept_synonym_name", "language_concept_id")
        .order_by(["concept_id", "language_concept_id", "concept_synonym_name"])
        .to_pyarrow()
        .to_pylist()
    ):
        concept_id, text = row["concept_id"], row["concept_synonym_name"]
        if concept_id not in found:
            continue
        language = LANGUAGES.get(row["language_concept_id"], "")
        found[concept_id]["terms"].append(("synonym", language, text))
        if language == "es" and names.get(concept_id) == text:
            found[concept_id]["name_es"] = text
    relationship = con.table("concept_relationship")
    concept = con.table("concept")
    source = concept.select(
        source_id=concept.concept_id, code=concept.concept_code, title=concept.concept_name
    )
    maps_to = relationship.filter(
        (relationship.relationship_id == "Maps to")
        & (relationship.concept_id_1 != relationship.concept_id_2)
    )
    mapped = maps_to.join(source, maps_to.concept_id_1 == source.source_id)
    for row in (
        mapped.select(
            concept_id=mapped.concept_id_2.cast("int64"), code=mapped.code, title=mapped.title
        )
        .order_by(["concept_id", "code"])
        .to_pyarrow()
        .to_pylist()
    ):
        if row["concept_id"] not in found:
            continue
        terms = found[row["concept_id"]]["terms"]
        terms += [("source_code", "", row["code"]), ("synonym", "en", row["title"])]
    return found


def _histograms(con: BaseBackend) -> dict[int, dict[str, Any]]:
    """For each measurement: participants per value bin, each participant counted once, by
    their most recent numeric value (latest date, then the latest record), in ten bins over
    the 1st to 99th percentile of those values (values outside fall in the end bins).

    So the bars add up to the participants with a numeric value, and are published as a
    breakdown of the concept's participants (with those who have no numeric value).
    """
    participant = con.table("participant").select("person_id")
    measurement = con.table("measurement").filter(_.value_as_number.notnull())
    latest_first = ibis.window(
        group_by=[measurement.person_id, measurement.measurement_concept_id],
        order_by=[ibis.desc(measurement.measurement_date), ibis.desc(measurement.measurement_id)],
    )
    latest = (
        measurement.mutate(rank=ibis.row_number().over(latest_first))
        .filter(_.rank == 0)
        .join(participant, "person_id")
        .select("person_id", "measurement_concept_id", "value_as_number", "unit_source_value")
    )
    bounds = latest.group_by("measurement_concept_id").aggregate(
        low=latest.value_as_number.quantile(0.01),
        high=latest.value_as_number.quantile(0.99),
        unit=latest.unit_source_value.arbitrary(),
    )
    binned = latest.join(bounds, "measurement_concept_id")
    width = (binned.high - binned.low).nullif(0)
    position = ((binned.value_as_number - binned.low) / width * HISTOGRAM_BINS).floor()
    bin_index = ibis.greatest(0, ibis.least(HISTOGRAM_BINS - 1, position.fill_null(0)))
    counts = (
        binned.mutate(bin=bin_index.cast("int32"))
        .group_by(["measurement_concept_id", "bin", "low", "high", "unit"])
        .aggregate(participants=_.count())
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


def _hierarchy(con: BaseBackend) -> dict[int, dict[str, list[int]]]:
    """Each concept's parents and children (concept_ancestor, min_levels_of_separation 1),
    as concept ids in ascending order: {concept_id: {"parents": [...], "children": [...]}}."""
    ancestor = con.table("concept_ancestor").filter(_.min_levels_of_separation == 1)
    pairs = (
        ancestor.select(
            parent=ancestor.ancestor_concept_id.cast("int64"),
            child=ancestor.descendant_concept_id.cast("int64"),
        )
        .distinct()
        .order_by(["parent", "child"])
        .to_pyarrow()
        .to_pylist()
    )
    hierarchy: dict[int, dict[str, list[int]]] = {}
    for pair in pairs:
        parent, child = int(pair["parent"]), int(pair["child"])
        hierarchy.setdefault(parent, {"parents": [], "children": []})["children"].append(child)
        hierarchy.setdefault(child, {"parents": [], "children": []})["parents"].append(parent)
    return hierarchy


def _survey_answers(con: BaseBackend) -> list[dict[str, Any]]:
    """Per survey question: the participants who answered it and, per answer code, how many
    chose it; for the survey explorer.

    Skipping and "prefer not to answer" are answers of their own (a missing answer code counts
    as a skip), so for a one-answer question the answers add up to the question's total. A
    question where a person may give several answers (race and ethnicity) is marked
    `several_answers`: its answers add up to more than the total. Every answer option is
    listed, zeros included, so a reader cannot tell an empty answer from a small one. A
    person's answers are those of the first day they answered the question (the first survey),
    and only consented participants count.
    """
    participant = con.table("participant").select("person_id")
    survey = con.table("observation").filter(_.observation_type_concept_id == schema.SURVEY_RECORD)
    rows = survey.select(
        "person_id",
        question=survey.observation_source_value,
        answer=survey.value_source_value.fill_null(schema.SKIP),
        day=survey.observation_date,
    ).join(participant, "person_id")
    rows = rows.mutate(first_day=rows.day.min().over(group_by=[rows.person_id, rows.question]))
    chosen = (
        rows.filter(rows.day == rows.first_day).select("person_id", "question", "answer").distinct()
    )
    totals = {
        row["question"]: row["participants"]
        for row in chosen.group_by("question")
        .aggregate(participants=chosen.person_id.nunique())
        .to_pyarrow()
        .to_pylist()
    }
    counts: dict[str, dict[str, int]] = {}
    for row in (
        chosen.group_by(["question", "answer"])
        .aggregate(participants=_.count())
        .to_pyarrow()
        .to_pylist()
    ):
        counts.setdefault(row["question"], {})[row["answer"]] = row["participants"]
    per_person = chosen.group_by(["question", "person_id"]).aggregate(answers=_.count())
    several = {
        row["question"]
        for row in per_person.filter(per_person.answers > 1)
        .select("question")
        .distinct()
        .to_pyarrow()
        .to_pylist()
    }

    english = vocabulary.survey_concept_names()
    spanish = vocabulary.spanish_names()

    def described(code: str) -> dict[str, Any]:
        concept_id = schema.SURVEY_CONCEPT_IDS.get(code, 0)
        return {
            "concept_id": concept_id,
            "name": english.get(code, code),
            "name_es": spanish.get(concept_id, ""),
        }

    summaries = []
    for position, question in enumerate(vocabulary.survey_questions()):
        answered = counts.get(question.code, {})
        options = [*schema.SURVEY[question.code], *NOT_AN_ANSWER]
        options += sorted(set(answered) - set(options))  # codes the schema does not list
        summaries.append(
            {
                "survey": question.survey,
                "question_code": question.code,
                "position": position,
                **described(question.code),
                "several_answers": question.several_answers or question.code in several,
                "participants": totals.get(question.code, 0),
                "answers": [
                    {"code": code, **described(code), "participants": answered.get(code, 0)}
                    for code in options
                ],
            }
        )
    return summaries


def _as_date(value: Any) -> datetime.date:
    return value.date() if isinstance(value, datetime.datetime) else value
