"""The cohort engine: a cohort definition (`cohort_definition.py`) compiled to an Ibis expression
over precomputed search structures in the warehouse, run by DuckDB here and by Spark unchanged.

Search structures (`index_build(con)`, written by the backend at the end of `release_build`):

- `cohort_person`: one row per participant: `person_id`, birth date (`year_of_birth`,
  `month_of_birth`, `day_of_birth`), `age_at_consent`, `sex` (SEX_VALUES), `race`
  (RACE_VALUES), `ethnicity` (ETHNICITY_VALUES, from the race and ethnicity answers of the
  survey the participant table uses), and `ubr_<category>` for each of UBR_VALUES.
- `cohort_<domain>` for each event domain (condition, drug, measurement, procedure,
  observation): every event of a participant as one row (`concept_id`, `person_id`,
  `event_date`, `event_day` = days since 1970-01-01, `value_as_number`, `age_at_event` in whole
  calendar years), SORTED by concept id, then person, then day. A criterion reads one concept
  set, so DuckDB's per-row-group min/max (zone maps) skip every row group outside the set's
  range of ids, and the age and value filters apply to the few rows left: no join with the
  person table at query time. Observations are those from health records only.
- `cohort_concept_person`: (domain, concept_id, person_id), each participant once under
  every concept they have an event of and each of its ancestors, sorted by concept: a
  criterion with descendants and no other modifier reads one run of rows.
- `cohort_survey`: (question, answer, person_id), each participant's answers on any survey
  (a missing answer code is a skip), distinct, sorted by question and answer.

Compilation (`CohortEngine`): concept sets are expanded to concept ids in Python at compile time
(the definition names a handful of concepts; `concept_ancestor` gives their descendants), so
an event criterion is a filter on one sorted table. A demographic criterion is a predicate on
`cohort_person`; an event or survey criterion is a set of person ids. An include group is a
predicate (demographics only) or a semi join with the union of its items' person sets; an
exclude group the same negated (an anti join). A temporal relation is a join of the
criterion's events with the anchor's on the same person and a range of days (a semi join when
the criterion counts occurrences, so each event counts once however many anchors are near it),
worked out only for the participants the groups before it left (a cohort the query names
once). Everything is Ibis (no SQL written by hand), so
`CohortEngine(ibis.pyspark.connect(session))` runs the same definitions on Spark; on DuckDB the
SQL Ibis compiles for a definition is kept and run on the thread's cursor.

Serving (`engine_for(path)`): one read-only DuckDB database per warehouse file per process,
opened with bounded memory and threads (QUERY_MEMORY_LIMIT, QUERY_THREADS); each thread gets
its own cursor (a DuckDB connection is not safe to share between threads; its cursors are
connections to the same database and share its cache and limits), wrapped in its own Ibis
backend. A query that runs longer than QUERY_TIMEOUT seconds is interrupted
(`CohortTimeout`). Read-only: any number of web processes may open the same file at once.

Imports no Django.
"""

from __future__ import annotations

import datetime
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import ibis
import ibis.expr.types as ir
import sqlglot as sg
import sqlglot.expressions as sge
from ibis import BaseBackend
from ibis.common.exceptions import TableNotFound

from tapestry.research.warehouse import schema, ubr
from tapestry.research.warehouse.cohort_definition import (
    ETHNICITY_VALUES,
    EVENT_DOMAINS,
    UBR_VALUES,
    CohortDefinition,
    Criterion,
    DefinitionError,
    DemographicCriterion,
    EventCriterion,
    Group,
    Range,
    SurveyCriterion,
)
from tapestry.research.warehouse.release import NOT_AN_ANSWER, _calendar_age

PERSON_TABLE = "cohort_person"
SURVEY_TABLE = "cohort_survey"
CONCEPT_PERSON_TABLE = "cohort_concept_person"
EVENT_TABLE_PREFIX = "cohort_"
# Per event domain: the OMOP table, its concept, date and value columns, the concept domain.
EVENT_SOURCES: dict[str, tuple[str, str, str, str | None, str]] = {
    "condition": (
        "condition_occurrence",
        "condition_concept_id",
        "condition_start_date",
        None,
        "Condition",
    ),
    "drug": ("drug_exposure", "drug_concept_id", "drug_exposure_start_date", None, "Drug"),
    "measurement": (
        "measurement",
        "measurement_concept_id",
        "measurement_date",
        "value_as_number",
        "Measurement",
    ),
    "procedure": (
        "procedure_occurrence",
        "procedure_concept_id",
        "procedure_date",
        None,
        "Procedure",
    ),
    "observation": (
        "observation",
        "observation_concept_id",
        "observation_date",
        "value_as_number",
        "Observation",
    ),
}
EPOCH = datetime.date(1970, 1, 1)
# Compiled queries kept per engine (see CohortEngine._fetch).
COMPILED_CACHE_SIZE = 256
# A concept set up to this size is matched with OR-ed equalities, a larger one with IN.
MAX_OR_CONCEPTS = 64
# `ubr_<category>` columns of cohort_person, in UBR_VALUES order.
UBR_COLUMNS = {value: f"ubr_{value}" for value in UBR_VALUES}
ETHNICITY_HISPANIC, ETHNICITY_NOT_HISPANIC, ETHNICITY_NOT_ANSWERED = ETHNICITY_VALUES

# Serving limits (engine_for): DuckDB's memory and threads for the whole process, shared by
# every request; a count past QUERY_TIMEOUT seconds is interrupted.
QUERY_MEMORY_LIMIT = "1GB"
QUERY_THREADS = 2
QUERY_TIMEOUT = 30.0

assert tuple(category.code for category in ubr.CATEGORIES) == UBR_VALUES, (
    "cohort_definition.UBR_VALUES must list ubr.CATEGORIES' codes"
)


def event_table(domain: str) -> str:
    """The search structure of an event domain ("condition" -> "cohort_condition")."""
    return f"{EVENT_TABLE_PREFIX}{domain}"


# --- search structures ---------------------------------------------------------------------


def index_build(con: BaseBackend) -> None:
    """Write the search structures (module docstring) into the warehouse `con` holds, from its
    OMOP tables and its `participant` table; replaces them if present. Every table is written by
    the backend from an expression (nothing is read into Python)."""
    restore = None
    if con.name == "duckdb":
        # The event tables are written in their ORDER BY order (their zone maps depend on it);
        # release_build lets DuckDB reorder rows to save memory, so that is undone here.
        restore = con.settings["preserve_insertion_order"]
        con.settings["preserve_insertion_order"] = True
    try:
        for name in (
            PERSON_TABLE,
            SURVEY_TABLE,
            CONCEPT_PERSON_TABLE,
            *map(event_table, EVENT_DOMAINS),
        ):
            if _table_exists(con, name):
                _drop_table(con, name)
        con.create_table(PERSON_TABLE, _person_expr(con))
        person = con.table(PERSON_TABLE)
        for domain in EVENT_DOMAINS:
            con.create_table(event_table(domain), _events_expr(con, domain, person))
        con.create_table(SURVEY_TABLE, _survey_expr(con, person))
        con.create_table(CONCEPT_PERSON_TABLE, _concept_person_expr(con))
    finally:
        if restore is not None:
            con.settings["preserve_insertion_order"] = restore


def _table_exists(con: BaseBackend, name: str) -> bool:
    # Not `list_tables`: Ibis 12's calls a method DuckDB 2 no longer has.
    try:
        con.table(name)
    except TableNotFound:
        return False
    return True


def _drop_table(con: BaseBackend, name: str) -> None:
    """Drop a table, in the backend's dialect. Ibis 12's own `drop_table` (and
    `create_table(overwrite=True)`) build their DROP for an older sqlglot, whose `Drop` took
    `this`; sqlglot 30 takes `tables`, and the statement loses its table name."""
    table = sg.table(name, quoted=True)
    target = {"tables": [table]} if "tables" in sge.Drop.arg_types else {"this": table}
    con.raw_sql(sge.Drop(kind="TABLE", exists=True, **target).sql(con.dialect))


def _person_expr(con: BaseBackend) -> ir.Table:
    participant = con.table("participant")
    person = con.table("person").select(
        "person_id", "year_of_birth", "month_of_birth", "day_of_birth"
    )
    ethnicity = _ethnicity_expr(con)
    joined = participant.join(person, "person_id").left_join(
        ethnicity, participant.person_id == ethnicity.hispanic_person_id
    )
    return joined.select(
        person_id=joined.person_id,
        year_of_birth=joined.year_of_birth,
        month_of_birth=joined.month_of_birth,
        day_of_birth=joined.day_of_birth,
        age_at_consent=joined.age_at_consent,
        sex=joined.sex_group,
        race=joined.race_group,
        ethnicity=ibis.cases(
            (joined.hispanic, ETHNICITY_HISPANIC),
            (~joined.hispanic, ETHNICITY_NOT_HISPANIC),
            else_=ETHNICITY_NOT_ANSWERED,
        ),
        **{column: joined[value].fill_null(False) for value, column in UBR_COLUMNS.items()},
    ).order_by("person_id")


def _ethnicity_expr(con: BaseBackend) -> ir.Table:
    """Per participant who answered the race and ethnicity question (skip and "prefer not to
    answer" are no answer) in the survey the participant table uses (the first one on or after
    consent): `hispanic`, whether race_hispanic is among the answers."""
    participant = con.table("participant").select("person_id", "consent_date")
    observation = con.table("observation")
    survey = observation.filter(
        observation.observation_type_concept_id == schema.SURVEY_RECORD
    ).select(
        "person_id",
        question=observation.observation_source_value,
        answer=observation.value_source_value,
        day=observation.observation_date,
    )
    rows = survey.join(participant, "person_id")
    basics = (
        rows.filter((rows.question != "consent") & (rows.day >= rows.consent_date))
        .group_by("person_id")
        .aggregate(basics_day=lambda t: t.day.min())
    )
    race = rows.filter(
        (rows.question == "race_ethnicity")
        & rows.answer.notnull()
        & ~rows.answer.isin(NOT_AN_ANSWER)
    )
    race = race.join(basics, (race.person_id == basics.person_id) & (race.day == basics.basics_day))
    return race.group_by(hispanic_person_id=race.person_id).aggregate(
        hispanic=(race.answer == "race_hispanic").any()
    )


def _events_expr(con: BaseBackend, domain: str, person: ir.Table) -> ir.Table:
    table_name, concept_column, date_column, value_column, _domain_id = EVENT_SOURCES[domain]
    events = con.table(table_name)
    if table_name == "observation":
        events = events.filter(events.observation_type_concept_id == schema.EHR_RECORD)
    births = person.select(
        birth_person_id=person.person_id,
        year_of_birth=person.year_of_birth,
        month_of_birth=person.month_of_birth,
        day_of_birth=person.day_of_birth,
    )
    joined = events.join(births, events.person_id == births.birth_person_id)
    date = joined[date_column]
    value = (
        joined[value_column].cast("float64") if value_column is not None else ibis.null("float64")
    )
    return joined.select(
        concept_id=joined[concept_column].cast("int32"),
        person_id=joined.person_id.cast("int64"),
        event_date=date,
        event_day=_epoch_day(date),
        value_as_number=value,
        age_at_event=_calendar_age(
            date, joined.year_of_birth, joined.month_of_birth, joined.day_of_birth
        ).cast("int16"),
    ).order_by(["concept_id", "person_id", "event_day"])


def _epoch_day(date: ir.DateValue) -> ir.IntegerValue:
    return date.epoch_days().cast("int32")


def _concept_person_expr(con: BaseBackend) -> ir.Table:
    """(domain, concept_id, person_id): the participants with an event of the concept or of
    any of its descendants, once each, sorted by concept: "has X or a descendant" reads one
    run of rows."""
    ancestor = con.table("concept_ancestor")
    pairs = []
    for domain in EVENT_DOMAINS:
        events = con.table(event_table(domain)).select("concept_id", "person_id").distinct()
        expanded = events.join(
            ancestor, events.concept_id == ancestor.descendant_concept_id.cast("int32")
        ).select(concept_id=ancestor.ancestor_concept_id.cast("int32"), person_id=events.person_id)
        pairs.append(
            ibis.union(events, expanded, distinct=True).mutate(domain=ibis.literal(domain))
        )
    return ibis.union(*pairs, distinct=False).order_by(["concept_id", "person_id"])


def _survey_expr(con: BaseBackend, person: ir.Table) -> ir.Table:
    observation = con.table("observation")
    survey = observation.filter(observation.observation_type_concept_id == schema.SURVEY_RECORD)
    rows = survey.semi_join(person, survey.person_id == person.person_id).select(
        question=survey.observation_source_value,
        answer=survey.value_source_value.fill_null(schema.SKIP),
        person_id=survey.person_id.cast("int64"),
    )
    return rows.distinct().order_by(["question", "answer", "person_id"])


# --- compiling -----------------------------------------------------------------------------


class CohortTimeout(Exception):
    """A cohort query ran longer than the engine's timeout and was interrupted."""


@dataclass(frozen=True)
class _Concept:
    concept_id: int
    domain_id: str


class CohortEngine:
    """Counts cohort definitions over a warehouse whose search structures `index_build` wrote.

    `con` is an Ibis backend (DuckDB, PySpark, ...). Not thread-safe (Ibis backends are not):
    one engine per thread, as `engine_for` hands out. `timeout` (seconds, DuckDB only)
    interrupts a query that runs longer and raises CohortTimeout.
    """

    def __init__(self, con: BaseBackend, *, timeout: float | None = None) -> None:
        self.con = con
        self.timeout = timeout
        self._concepts: dict[int, _Concept | None] = {}
        self._descendants: dict[int, frozenset[int]] = {}
        self._program_makeup: dict[str, int] | None = None
        self._tables: dict[str, ir.Table] = {}
        self._compiled: dict[Any, tuple[str, tuple[str, ...]]] = {}

    # public API

    def check(self, definition: CohortDefinition) -> None:
        """Raise DefinitionError, with the item's path, for what only the warehouse knows: a
        concept it does not hold or of another domain than the criterion's, a survey question
        or answer code the survey does not have."""
        refs = list(_concept_refs(definition))
        self._load_concepts({concept_id for _path, concept_id, _domain in refs})
        for path, concept_id, domain in refs:
            concept = self._concepts.get(concept_id)
            if concept is None:
                raise DefinitionError(path, f"concept {concept_id} is not in this data release")
            expected = EVENT_SOURCES[domain][4]
            if concept.domain_id != expected:
                raise DefinitionError(
                    path,
                    f"concept {concept_id} is a {concept.domain_id.lower()} concept, "
                    f"not a {domain} concept",
                )
        for path, item in _items(definition):
            if isinstance(item, SurveyCriterion):
                if item.question not in schema.SURVEY:
                    raise DefinitionError(f"{path}.question", "is not a survey question")
                allowed = (*schema.SURVEY[item.question], *NOT_AN_ANSWER)
                for index, answer in enumerate(item.answers):
                    if answer not in allowed:
                        raise DefinitionError(
                            f"{path}.answers[{index}]",
                            f"is not an answer to {item.question}",
                        )

    def persons(self, definition: CohortDefinition) -> ir.Table:
        """The cohort as an expression: one row per participant, column `person_id`."""
        return self._cohort(definition).select("person_id")

    def count(self, definition: CohortDefinition) -> int:
        """The number of participants in the cohort (raw: protect it before showing it)."""
        row = self._fetch(
            ("count", definition),
            lambda: self._cohort(definition).aggregate(total=ibis._.count()),
        )
        return int(row["total"])

    def makeup(self, definition: CohortDefinition) -> dict[str, int]:
        """{"total": participants, <each of UBR_VALUES>: those of them UBR in that category}."""
        return self._makeup(("makeup", definition), lambda: self._cohort(definition))

    def program_makeup(self) -> dict[str, int]:
        """`makeup` of every participant (cached: the warehouse of a release never changes)."""
        if self._program_makeup is None:
            self._program_makeup = self._makeup(("makeup", None), lambda: self._table(PERSON_TABLE))
        return dict(self._program_makeup)

    def concept_set(
        self, concept_id: int, *, descendants: bool = True, excluded: Iterable[Any] = ()
    ) -> frozenset[int]:
        """The concept ids a criterion's concept set stands for (see the definition's
        docstring): the concept, with its descendants if asked, less the excluded concepts
        (objects with `concept_id` and `descendants`, as ConceptRef)."""
        excluded = tuple(excluded)
        wanted = {concept_id} | {ref.concept_id for ref in excluded}
        self._load_descendants(wanted)
        ids = set(self._descendants[concept_id]) if descendants else {concept_id}
        for ref in excluded:
            ids -= self._descendants[ref.concept_id] if ref.descendants else {ref.concept_id}
        return frozenset(ids)

    # compilation

    def _table(self, name: str) -> ir.Table:
        # Looking a table up asks the backend for its schema: once per engine is enough, the
        # warehouse of a release never changes.
        table = self._tables.get(name)
        if table is None:
            table = self._tables[name] = self.con.table(name)
        return table

    def _cohort(self, definition: CohortDefinition) -> ir.Table:
        self.check(definition)
        self._load_descendants(
            {concept_id for _path, concept_id, _domain in _concept_refs(definition)}
        )
        person = self._table(PERSON_TABLE)
        # Groups are AND-ed, so their order is free. Demographic groups first, included or
        # excluded: filters on the person table.
        cohort = person
        for group in definition.include:
            if _group_cost(group) == 0:
                cohort = cohort.filter(self._group(group, person, None)[0])
        for group in definition.exclude:
            if _group_cost(group) == 0:
                cohort = cohort.filter(~self._group(group, person, None)[0])
        # Then groups of plain criteria, then those with a temporal relation. After a group of
        # events or survey answers (usually few people), a temporal relation is worked out only
        # for the participants still in the cohort: the range join is the costly part. That
        # cohort so far is then read twice (as the scope and to continue from): two views of
        # it make Ibis name it once (a CTE), which DuckDB works out once. After demographics
        # alone, the scope would keep most people and cost more than it saves.
        ordered = sorted((g for g in definition.include if _group_cost(g) > 0), key=_group_cost)
        for index, group in enumerate(ordered):
            scope = None
            if _group_cost(group) == 2 and index > 0:
                scope, cohort = cohort.view(), cohort.view()
            _predicate, persons = self._group(group, person, scope)
            assert persons is not None
            # Each joined set gets a column name of its own: Ibis flattens a chain of joins,
            # and the same set twice in one chain (a criterion both included and excluded)
            # would make its column ambiguous.
            key = f"include_{index}_person_id"
            persons = persons.select(**{key: persons.person_id})
            cohort = cohort.semi_join(persons, cohort.person_id == persons[key])
        for index, group in enumerate(definition.exclude):
            if _group_cost(group) == 0:
                continue
            _predicate, persons = self._group(group, person, None)
            assert persons is not None
            key = f"exclude_{index}_person_id"
            persons = persons.select(**{key: persons.person_id})
            cohort = cohort.anti_join(persons, cohort.person_id == persons[key])
        return cohort

    def _group(
        self, group: Group, person: ir.Table, scope: ir.Table | None
    ) -> tuple[ir.BooleanValue, ir.Table | None]:
        """A group as a predicate on cohort_person (demographic items only), or as the union
        of its items' person ids (any other). `scope`, if given, is the cohort so far: the
        items' temporal relations need only be worked out for its participants."""
        predicates = [
            _demographic(item, person)
            for item in group.items
            if isinstance(item, DemographicCriterion)
        ]
        predicate = ibis.or_(*predicates) if predicates else ibis.literal(False)
        sets = [
            self._criterion_persons(item, scope)
            for item in group.items
            if not isinstance(item, DemographicCriterion)
        ]
        if not sets:
            return predicate, None
        if predicates:
            sets.append(person.filter(predicate).select("person_id"))
        return predicate, sets[0] if len(sets) == 1 else ibis.union(*sets, distinct=False)

    def _criterion_persons(self, item: Criterion, scope: ir.Table | None = None) -> ir.Table:
        if isinstance(item, SurveyCriterion):
            survey = self._table(SURVEY_TABLE)
            return survey.filter(
                (survey.question == item.question) & survey.answer.isin(list(item.answers))
            ).select("person_id")
        assert isinstance(item, EventCriterion)
        if _plain(item):
            # Only "has the concept or a descendant": one run of the sorted person table.
            table = self._table(CONCEPT_PERSON_TABLE)
            return table.filter(
                table.concept_id == item.concept_id, table.domain == item.domain
            ).select("person_id")
        events = self._events(item)
        if item.temporal is not None:
            events = self._near_anchor(events, item, scope)
        if item.occurrences > 1:
            return _at_least(events, item.occurrences)
        return events.select("person_id")

    def _near_anchor(
        self, events: ir.Table, item: EventCriterion, scope: ir.Table | None
    ) -> ir.Table:
        """The events within the temporal relation's window of an anchor event of the same
        person: each event once, however many anchor events are near it, when the criterion
        counts occurrences; otherwise once per anchor near it."""
        temporal = item.temporal
        assert temporal is not None
        anchor = self._events(temporal.anchor)
        if scope is not None:
            scope = scope.select(scope_person_id=scope.person_id)
            anchor = anchor.semi_join(scope, anchor.person_id == scope.scope_person_id)
        if temporal.anchor.occurrences > 1:
            often = _at_least(anchor, temporal.anchor.occurrences).select(
                often_person_id="person_id"
            )
            anchor = anchor.semi_join(often, anchor.person_id == often.often_person_id)
        if temporal.anchor_occurrence == "first":
            anchor = anchor.group_by("person_id").aggregate(event_day=anchor.event_day.min())
        anchor = anchor.select(anchor_person_id=anchor.person_id, anchor_day=anchor.event_day)
        before = temporal.days if temporal.relation in ("within", "before") else 0
        after = temporal.days if temporal.relation in ("within", "after") else 0
        near = [
            events.person_id == anchor.anchor_person_id,
            events.event_day >= anchor.anchor_day - before,
            events.event_day <= anchor.anchor_day + after,
        ]
        if item.occurrences > 1:
            return events.semi_join(anchor, near)
        # Only the participants are wanted: an inner join (an event once per anchor near it)
        # lets DuckDB filter the scan of the events by the anchors' participants, which a
        # semi join with the events as its build side does not.
        return events.join(anchor, near).select("person_id", "event_day")

    def _events(self, item: EventCriterion) -> ir.Table:
        """The events matching an event criterion's concept set and event modifiers (not its
        occurrences or temporal relation): columns person_id and event_day."""
        table = self._table(event_table(item.domain))
        ids = sorted(
            self.concept_set(item.concept_id, descendants=item.descendants, excluded=item.excluded)
        )
        if not ids:
            return table.filter(ibis.literal(False)).select("person_id", "event_day")
        if len(ids) <= MAX_OR_CONCEPTS:
            # Equalities OR-ed are evaluated in the scan, against each row group's min/max;
            # an IN list becomes a join after the scan (DuckDB 2).
            conditions = [ibis.or_(*(table.concept_id == concept_id for concept_id in ids))]
        else:
            # The range lets the scan skip the row groups outside the set's ids.
            conditions = [table.concept_id.between(ids[0], ids[-1]), table.concept_id.isin(ids)]
        if item.value is not None:
            conditions += _bounds(table.value_as_number, item.value)
        if item.age_at_event is not None:
            conditions += _bounds(table.age_at_event, item.age_at_event)
        if item.event_date is not None:
            if item.event_date.start is not None:
                conditions.append(table.event_day >= _day(item.event_date.start))
            if item.event_date.end is not None:
                conditions.append(table.event_day <= _day(item.event_date.end))
        return table.filter(*conditions).select("person_id", "event_day")

    # warehouse lookups

    def _load_concepts(self, concept_ids: set[int]) -> None:
        missing = sorted(concept_ids - set(self._concepts))
        if not missing:
            return
        concept = self._table("concept")
        rows = _rows(
            concept.filter(concept.concept_id.isin(missing)).select(
                concept_id=concept.concept_id.cast("int64"), domain_id=concept.domain_id
            ),
            self,
        )
        for concept_id in missing:
            self._concepts[concept_id] = None
        for row in rows:
            self._concepts[int(row["concept_id"])] = _Concept(
                int(row["concept_id"]), row["domain_id"]
            )

    def _load_descendants(self, concept_ids: set[int]) -> None:
        missing = sorted(concept_ids - set(self._descendants))
        if not missing:
            return
        ancestor = self._table("concept_ancestor")
        found: dict[int, set[int]] = {concept_id: {concept_id} for concept_id in missing}
        for row in _rows(
            ancestor.filter(ancestor.ancestor_concept_id.isin(missing)).select(
                ancestor=ancestor.ancestor_concept_id.cast("int64"),
                descendant=ancestor.descendant_concept_id.cast("int64"),
            ),
            self,
        ):
            found[int(row["ancestor"])].add(int(row["descendant"]))
        for concept_id, ids in found.items():
            self._descendants[concept_id] = frozenset(ids)

    def _makeup(self, key: Any, cohort_of: Any) -> dict[str, int]:
        def build() -> ir.Table:
            cohort = cohort_of()
            return cohort.aggregate(
                total=cohort.count(),
                **{
                    value: cohort[column].sum().fill_null(0)
                    for value, column in UBR_COLUMNS.items()
                },
            )

        row = self._fetch(key, build)
        return {key: int(row[key] or 0) for key in ("total", *UBR_VALUES)}

    def _fetch(self, key: Any, build: Any) -> dict[str, Any]:
        """The one row of the expression `build()` returns, as a dict.

        On DuckDB the SQL that Ibis compiles is kept per `key` (a definition is immutable and
        hashable; the warehouse never changes), so counting a definition again, as the live
        count does while a researcher toggles back and forth, skips building and compiling
        it; the query itself always runs."""
        if self.con.name != "duckdb":
            return self._run(lambda: build().to_pyarrow().to_pylist()[0])
        compiled = self._compiled.get(key)
        if compiled is None:
            expr = build()
            compiled = (str(self.con.compile(expr)), tuple(expr.columns))
            self._compiled[key] = compiled
            while len(self._compiled) > COMPILED_CACHE_SIZE:
                self._compiled.pop(next(iter(self._compiled)))
        sql, names = compiled
        cursor = self.con.con
        # fetchall: DuckDB 2 keeps a result that was not read to its end open on the cursor.
        values = self._run(lambda: cursor.execute(sql).fetchall()[0])
        return dict(zip(names, values, strict=True))

    def _run(self, work: Any) -> Any:
        """Run `work()`, interrupting the DuckDB connection after `timeout` seconds."""
        if self.timeout is None or self.con.name != "duckdb":
            return work()
        interrupted = threading.Event()

        def interrupt() -> None:
            interrupted.set()
            self.con.con.interrupt()

        timer = threading.Timer(self.timeout, interrupt)
        timer.start()
        try:
            return work()
        except duckdb.InterruptException as error:
            if interrupted.is_set():
                raise CohortTimeout(
                    f"the cohort query took longer than {self.timeout:g} s"
                ) from error
            raise
        finally:
            timer.cancel()


def _rows(expr: ir.Table, engine: CohortEngine) -> list[dict[str, Any]]:
    return engine._run(lambda: expr.to_pyarrow().to_pylist())


def _plain(item: EventCriterion) -> bool:
    """A criterion with descendants and no other modifier."""
    return (
        item.descendants
        and not item.excluded
        and item.value is None
        and item.age_at_event is None
        and item.event_date is None
        and item.occurrences == 1
        and item.temporal is None
    )


def _group_cost(group: Group) -> int:
    """0: demographic items only; 1: no temporal relation; 2: a temporal relation."""
    if all(isinstance(item, DemographicCriterion) for item in group.items):
        return 0
    temporal = any(
        isinstance(item, EventCriterion) and item.temporal is not None for item in group.items
    )
    return 2 if temporal else 1


def _at_least(events: ir.Table, occurrences: int) -> ir.Table:
    counted = events.group_by("person_id").aggregate(events_count=events.count())
    return counted.filter(counted.events_count >= occurrences).select("person_id")


def _bounds(column: ir.NumericValue, bounds: Range) -> list[ir.BooleanValue]:
    conditions = []
    if bounds.min is not None:
        conditions.append(column > bounds.min if bounds.min_exclusive else column >= bounds.min)
    if bounds.max is not None:
        conditions.append(column < bounds.max if bounds.max_exclusive else column <= bounds.max)
    return conditions


def _day(date: datetime.date) -> int:
    return (date - EPOCH).days


def _demographic(item: DemographicCriterion, person: ir.Table) -> ir.BooleanValue:
    if item.field == "age":
        assert item.age is not None
        conditions = _bounds(person.age_at_consent, item.age)
        return ibis.and_(*conditions).fill_null(False)
    if item.field == "ubr":
        return ibis.or_(*(person[UBR_COLUMNS[value]] for value in item.values))
    return person[item.field].isin(list(item.values))


def _items(definition: CohortDefinition) -> Iterator[tuple[str, Criterion]]:
    for kind, groups in (("include", definition.include), ("exclude", definition.exclude)):
        for g, group in enumerate(groups):
            for i, item in enumerate(group.items):
                yield f"{kind}[{g}].items[{i}]", item


def _concept_refs(definition: CohortDefinition) -> Iterator[tuple[str, int, str]]:
    """(path of the concept_id, concept id, domain) of every concept the definition names."""
    for path, item in _items(definition):
        if not isinstance(item, EventCriterion):
            continue
        events = [(path, item)]
        if item.temporal is not None:
            events.append((f"{path}.temporal.anchor", item.temporal.anchor))
        for event_path, event in events:
            yield f"{event_path}.concept_id", event.concept_id, event.domain
            for index, ref in enumerate(event.excluded):
                yield f"{event_path}.excluded[{index}].concept_id", ref.concept_id, event.domain


# --- serving -------------------------------------------------------------------------------

_databases: dict[str, duckdb.DuckDBPyConnection] = {}
_databases_lock = threading.Lock()
_local = threading.local()


def engine_for(path: Path | str) -> CohortEngine:
    """The calling thread's engine over the warehouse file `path` (a release's
    `warehouse.duckdb`), opened read-only.

    One DuckDB database per file per process (opened on first use, with QUERY_MEMORY_LIMIT
    and QUERY_THREADS for all its queries together), and per thread one cursor on it in its own
    Ibis backend, because neither a DuckDB connection nor an Ibis backend may be shared
    between threads. Cheap after the first call in a thread: use it per request.
    """
    key = str(Path(path).resolve())
    engines: dict[str, tuple[duckdb.DuckDBPyConnection, CohortEngine]] = _local.__dict__.setdefault(
        "engines", {}
    )
    known = engines.get(key)
    # A thread's engine is reused while the database its cursor belongs to is still open.
    if known is not None and _databases.get(key) is known[0]:
        return known[1]
    with _databases_lock:
        database = _databases.get(key)
        if database is None:
            if not Path(key).is_file():
                raise FileNotFoundError(f"no warehouse at {key}")
            database = duckdb.connect(
                key,
                read_only=True,
                config={
                    "memory_limit": QUERY_MEMORY_LIMIT,
                    "threads": QUERY_THREADS,
                },
            )
            _databases[key] = database
        cursor = database.cursor()
    engine = CohortEngine(ibis.duckdb.from_connection(cursor), timeout=QUERY_TIMEOUT)
    engines[key] = (database, engine)
    return engine


def engines_close() -> None:
    """Close every database `engine_for` opened (a release removed, the tests' end); the next
    `engine_for` opens them again."""
    with _databases_lock:
        for database in _databases.values():
            database.close()
        _databases.clear()
    _local.__dict__.pop("engines", None)


__all__ = [
    "CohortEngine",
    "CohortTimeout",
    "engine_for",
    "engines_close",
    "event_table",
    "index_build",
]
