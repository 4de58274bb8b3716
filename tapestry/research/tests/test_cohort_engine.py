"""The cohort engine against an oracle: every criterion kind and modifier counted by the engine
(Ibis over the search structures in the warehouse) and by plain pandas over the generated
Parquet files, which share no code with it.

The warehouse is built once per session (conftest: `cohort_warehouse`). The oracle reads the
OMOP Parquet files and the release's `participant` table (the engine's input, not its output),
and works out ages, ethnicity, concept sets and temporal windows on its own.
"""

from __future__ import annotations

import datetime
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tapestry.research.warehouse import schema
from tapestry.research.warehouse.cohort import CohortEngine, engine_for, engines_close
from tapestry.research.warehouse.cohort_definition import (
    ETHNICITY_VALUES,
    RACE_VALUES,
    SEX_VALUES,
    UBR_VALUES,
    CohortDefinition,
    ConceptRef,
    DefinitionError,
    DemographicCriterion,
    EventCriterion,
    SurveyCriterion,
    definition_parse,
)

TYPE_2_DIABETES = 201826
DIABETES_MELLITUS = 201820  # type 1, type 2, gestational, ... below it
T2D_DISORDER = 443732  # below type 2 diabetes, with descendants of its own
RETINOPATHY_T2D = 4226121
HBA1C = 3004410
SYSTOLIC = 3004249
BMI = 3038553
HYPERTENSION = 320128
OBESITY = 433736
ANTIDIABETICS = 21600712  # a drug class: every drug used in diabetes below it
METFORMIN_CLASS = 21600744
ATORVASTATIN = 1545958
IBUPROFEN = 1177480
MAMMOGRAPHY = 4077697
PHYSICAL_EXAM = 4240345
EX_SMOKER = 4310250
CURRENT_SMOKER = 40766945

# Per event domain: OMOP table, concept, date, value columns (the oracle's own copy).
SOURCES = {
    "condition": ("condition_occurrence", "condition_concept_id", "condition_start_date", None),
    "drug": ("drug_exposure", "drug_concept_id", "drug_exposure_start_date", None),
    "measurement": (
        "measurement",
        "measurement_concept_id",
        "measurement_date",
        "value_as_number",
    ),
    "procedure": ("procedure_occurrence", "procedure_concept_id", "procedure_date", None),
    "observation": (
        "observation",
        "observation_concept_id",
        "observation_date",
        "value_as_number",
    ),
}


def _age(born: datetime.date, on: datetime.date) -> int:
    """Whole years; a Feb 29 birthday is Feb 28 in a common year."""
    leap = on.year % 4 == 0 and (on.year % 100 != 0 or on.year % 400 == 0)
    day = 28 if (born.month, born.day) == (2, 29) and not leap else born.day
    return on.year - born.year - (1 if (on.month, on.day) < (born.month, day) else 0)


class Oracle:
    """Cohorts worked out in pandas from the Parquet files and the participant table."""

    def __init__(self, source: Path, warehouse: Path) -> None:
        # A copy: DuckDB refuses a second opening of a file the engine holds open (with its
        # own configuration) in the same process.
        copy = Path(tempfile.mkdtemp()) / "participant.duckdb"
        shutil.copyfile(warehouse, copy)
        with duckdb.connect(str(copy), read_only=True) as con:
            self.participants = con.sql("SELECT * FROM participant").df().set_index("person_id")
        ids = set(self.participants.index)
        person = pd.read_parquet(source / "person").set_index("person_id")
        self.born = {
            pid: datetime.date(
                int(row.year_of_birth), int(row.month_of_birth), int(row.day_of_birth)
            )
            for pid, row in person.iterrows()
        }
        observation = pd.read_parquet(source / "observation")
        survey = observation[observation.observation_type_concept_id == schema.SURVEY_RECORD]
        survey = survey[survey.person_id.isin(ids)].copy()
        survey["answer"] = survey.value_source_value.fillna("skip")
        self.survey = survey
        self.ethnicity = self._ethnicity(survey)
        ancestor = pd.read_parquet(source / "concept_ancestor")
        self.descendants: dict[int, set[int]] = {}
        for row in ancestor.itertuples():
            self.descendants.setdefault(int(row.ancestor_concept_id), set()).add(
                int(row.descendant_concept_id)
            )
        self.events: dict[str, pd.DataFrame] = {}
        for domain, (table, concept, date, value) in SOURCES.items():
            frame = pd.read_parquet(source / table)
            if table == "observation":
                frame = frame[frame.observation_type_concept_id == schema.EHR_RECORD]
            frame = frame[frame.person_id.isin(ids)]
            events = pd.DataFrame(
                {
                    "person_id": frame.person_id.to_numpy(),
                    "concept_id": frame[concept].to_numpy(),
                    "date": [d for d in frame[date]],
                    "value": frame[value].to_numpy() if value else float("nan"),
                }
            )
            events["age"] = [
                _age(self.born[p], d) for p, d in zip(events.person_id, events.date, strict=True)
            ]
            events["row"] = range(len(events))
            self.events[domain] = events

    def _ethnicity(self, survey: pd.DataFrame) -> dict[int, str]:
        """From the first survey on or after consent: hispanic if race_hispanic is among the
        race and ethnicity answers, not hispanic if other answers, else not answered."""
        found = {}
        for pid, rows in survey.groupby("person_id"):
            consent = rows[rows.observation_source_value == "consent"].observation_date.min()
            later = rows[
                (rows.observation_source_value != "consent") & (rows.observation_date >= consent)
            ]
            if later.empty:
                found[pid] = "not_answered"
                continue
            first = later[later.observation_date == later.observation_date.min()]
            answers = set(
                first[
                    first.observation_source_value == "race_ethnicity"
                ].value_source_value.dropna()
            ) - {"skip", "prefer_not_to_answer"}
            found[pid] = (
                "hispanic_latino"
                if "race_hispanic" in answers
                else "not_hispanic_latino"
                if answers
                else "not_answered"
            )
        return found

    def concept_set(self, concept_id: int, descendants: bool, excluded: Any) -> set[int]:
        ids = (
            self.descendants.get(concept_id, set()) | {concept_id} if descendants else {concept_id}
        )
        for ref in excluded:
            ids -= (
                self.descendants.get(ref.concept_id, set()) | {ref.concept_id}
                if ref.descendants
                else {ref.concept_id}
            )
        return ids

    def matching_events(self, item: EventCriterion) -> pd.DataFrame:
        events = self.events[item.domain]
        ids = self.concept_set(item.concept_id, item.descendants, item.excluded)
        keep = events.concept_id.isin(ids)
        if item.value is not None:
            value = item.value
            if value.min is not None:
                keep &= (
                    (events.value > value.min)
                    if value.min_exclusive
                    else (events.value >= value.min)
                )
            if value.max is not None:
                keep &= (
                    (events.value < value.max)
                    if value.max_exclusive
                    else (events.value <= value.max)
                )
        if item.age_at_event is not None:
            if item.age_at_event.min is not None:
                keep &= events.age >= item.age_at_event.min
            if item.age_at_event.max is not None:
                keep &= events.age <= item.age_at_event.max
        if item.event_date is not None:
            if item.event_date.start is not None:
                keep &= events.date.map(lambda d: d >= item.event_date.start)
            if item.event_date.end is not None:
                keep &= events.date.map(lambda d: d <= item.event_date.end)
        return events[keep]

    def event_persons(self, item: EventCriterion) -> set[int]:
        events = self.matching_events(item)
        if item.temporal is not None:
            temporal = item.temporal
            anchor = self.matching_events(temporal.anchor)
            counts = anchor.groupby("person_id").size()
            anchor = anchor[
                anchor.person_id.isin(counts[counts >= temporal.anchor.occurrences].index)
            ]
            if temporal.anchor_occurrence == "first":
                anchor = anchor.groupby("person_id", as_index=False).date.min()
            pairs = events.merge(
                anchor[["person_id", "date"]].rename(columns={"date": "anchor"}), on="person_id"
            )
            days = datetime.timedelta(days=temporal.days)
            low = pairs.anchor - days if temporal.relation in ("within", "before") else pairs.anchor
            high = pairs.anchor + days if temporal.relation in ("within", "after") else pairs.anchor
            near = pairs[(pairs.date >= low) & (pairs.date <= high)]
            events = events[events.row.isin(near.row)]
        counts = events.groupby("person_id").size()
        return set(counts[counts >= item.occurrences].index)

    def persons(self, definition: CohortDefinition) -> set[int]:
        everyone = set(self.participants.index)
        chosen = set(everyone)
        for group in definition.include:
            chosen &= set().union(*(self.item(item) for item in group.items))
        for group in definition.exclude:
            chosen -= set().union(*(self.item(item) for item in group.items))
        return chosen

    def item(self, item: Any) -> set[int]:
        people = self.participants
        if isinstance(item, EventCriterion):
            return self.event_persons(item)
        if isinstance(item, SurveyCriterion):
            rows = self.survey[
                (self.survey.observation_source_value == item.question)
                & self.survey.answer.isin(item.answers)
            ]
            return set(rows.person_id)
        assert isinstance(item, DemographicCriterion)
        if item.field == "age":
            assert item.age is not None
            keep = pd.Series(True, index=people.index)
            if item.age.min is not None:
                keep &= people.age_at_consent >= item.age.min
            if item.age.max is not None:
                keep &= people.age_at_consent <= item.age.max
            return set(people.index[keep])
        if item.field == "sex":
            return set(people.index[people.sex_group.isin(item.values)])
        if item.field == "race":
            return set(people.index[people.race_group.isin(item.values)])
        if item.field == "ethnicity":
            return {
                pid
                for pid in people.index
                if self.ethnicity.get(pid, "not_answered") in item.values
            }
        return set(people.index[people[list(item.values)].any(axis=1)])

    def makeup(self, persons: set[int]) -> dict[str, int]:
        rows = self.participants.loc[sorted(persons)]
        return {"total": len(persons), **{value: int(rows[value].sum()) for value in UBR_VALUES}}


@pytest.fixture(scope="session")
def oracle(cohort_source: Path, cohort_warehouse: Path) -> Oracle:
    return Oracle(cohort_source, cohort_warehouse)


@pytest.fixture(scope="session")
def engine(cohort_warehouse: Path) -> CohortEngine:
    return engine_for(cohort_warehouse)


def condition(concept_id: int, **modifiers: Any) -> dict[str, Any]:
    return {"domain": "condition", "concept_id": concept_id, **modifiers}


def event(domain: str, concept_id: int, **modifiers: Any) -> dict[str, Any]:
    return {"domain": domain, "concept_id": concept_id, **modifiers}


def demographic(field: str, **values: Any) -> dict[str, Any]:
    return {"domain": "demographic", "field": field, **values}


def include(*groups: list[dict[str, Any]], exclude: tuple = ()) -> dict[str, Any]:
    return {
        "version": 1,
        "include": [{"items": items} for items in groups],
        "exclude": [{"items": items} for items in exclude],
    }


HBA1C_NEAR_T2D = event(
    "measurement",
    HBA1C,
    value={"above": 6.5},
    temporal={"relation": "within", "days": 365, "anchor": condition(TYPE_2_DIABETES)},
)

# name -> definition: every criterion kind and modifier, alone and together.
DEFINITIONS: dict[str, dict[str, Any]] = {
    "everyone": include(),
    "condition": include([condition(TYPE_2_DIABETES, descendants=False)]),
    "condition with descendants": include([condition(DIABETES_MELLITUS)]),
    "descendants less an excluded branch": include(
        [condition(DIABETES_MELLITUS, excluded=[{"concept_id": TYPE_2_DIABETES}])]
    ),
    "exclusion without its descendants": include(
        [
            condition(
                TYPE_2_DIABETES,
                excluded=[{"concept_id": T2D_DISORDER, "descendants": False}],
            )
        ]
    ),
    "everything excluded": include(
        [condition(TYPE_2_DIABETES, descendants=False, excluded=[{"concept_id": TYPE_2_DIABETES}])]
    ),
    "drug class": include([event("drug", ANTIDIABETICS)]),
    "drug class, no descendants": include([event("drug", ANTIDIABETICS, descendants=False)]),
    "procedure": include([event("procedure", MAMMOGRAPHY)]),
    "observation from records": include([event("observation", EX_SMOKER)]),
    "value range": include([event("measurement", HBA1C, value={"min": 6.5, "max": 9})]),
    "value above": include([event("measurement", HBA1C, value={"above": 6.5})]),
    "value below": include([event("measurement", SYSTOLIC, value={"below": 120})]),
    "value min and below": include([event("measurement", BMI, value={"min": 25, "below": 30})]),
    "age at event": include([condition(HYPERTENSION, age_at_event={"min": 18, "max": 49})]),
    "age at event, min only": include([event("drug", ATORVASTATIN, age_at_event={"min": 65})]),
    "occurrences": include([condition(HYPERTENSION, occurrences={"min": 3})]),
    "occurrences of measurements": include(
        [event("measurement", HBA1C, value={"above": 7}, occurrences={"min": 2})]
    ),
    "event date": include(
        [condition(OBESITY, event_date={"from": "2018-01-01", "to": "2020-12-31"})]
    ),
    "event date, from only": include(
        [event("procedure", PHYSICAL_EXAM, event_date={"from": "2022-06-01"})]
    ),
    "within": include([HBA1C_NEAR_T2D]),
    "before": include(
        [
            event(
                "drug",
                ANTIDIABETICS,
                temporal={"relation": "before", "days": 180, "anchor": condition(TYPE_2_DIABETES)},
            )
        ]
    ),
    "after": include(
        [
            event(
                "drug",
                METFORMIN_CLASS,
                temporal={"relation": "after", "days": 90, "anchor": condition(TYPE_2_DIABETES)},
            )
        ]
    ),
    "same day only": include(
        [
            event(
                "measurement",
                SYSTOLIC,
                temporal={"relation": "within", "days": 0, "anchor": condition(HYPERTENSION)},
            )
        ]
    ),
    "anchor first": include(
        [
            event(
                "measurement",
                HBA1C,
                value={"above": 6.5},
                temporal={
                    "relation": "after",
                    "days": 365,
                    "anchor": condition(TYPE_2_DIABETES),
                    "anchor_occurrence": "first",
                },
            )
        ]
    ),
    "anchor with modifiers": include(
        [
            event(
                "measurement",
                HBA1C,
                occurrences={"min": 2},
                temporal={
                    "relation": "within",
                    "days": 730,
                    "anchor": condition(
                        TYPE_2_DIABETES, age_at_event={"min": 40}, occurrences={"min": 2}
                    ),
                },
            )
        ]
    ),
    "survey answer": include(
        [
            {
                "domain": "survey",
                "question": "annual_income",
                "answers": ["income_less_10k", "income_10k_25k"],
            }
        ]
    ),
    "survey skip": include(
        [{"domain": "survey", "question": "education", "answers": ["skip", "prefer_not_to_answer"]}]
    ),
    "select-all survey": include(
        [
            {
                "domain": "survey",
                "question": "race_ethnicity",
                "answers": ["race_asian", "race_black"],
            }
        ]
    ),
    "age": include([demographic("age", min=40, max=64)]),
    "age, max only": include([demographic("age", max=30)]),
    "sex": include([demographic("sex", values=["female", "intersex"])]),
    "race": include([demographic("race", values=["more_than_one", "asian", "unknown"])]),
    "ethnicity hispanic": include([demographic("ethnicity", values=["hispanic_latino"])]),
    "ethnicity not hispanic": include([demographic("ethnicity", values=["not_hispanic_latino"])]),
    "ethnicity not answered": include([demographic("ethnicity", values=["not_answered"])]),
    "ubr": include([demographic("ubr", values=["income", "disability"])]),
    "ubr access to care": include([demographic("ubr", values=["access_to_care"])]),
    "items or-ed": include([condition(TYPE_2_DIABETES), event("drug", ANTIDIABETICS)]),
    "groups and-ed": include([condition(HYPERTENSION)], [event("drug", IBUPROFEN)]),
    "demographic or event": include([demographic("sex", values=["male"]), condition(OBESITY)]),
    "exclude": include([condition(HYPERTENSION)], exclude=([condition(TYPE_2_DIABETES)],)),
    "exclude only": include(exclude=([demographic("age", min=65)],)),
    "exclude a demographic or an event": include(
        [event("measurement", BMI, value={"min": 30})],
        exclude=([demographic("sex", values=["male"]), event("observation", CURRENT_SMOKER)],),
    ),
    "included and excluded": include(
        [condition(TYPE_2_DIABETES)], exclude=([condition(TYPE_2_DIABETES)],)
    ),
    "anchored on itself": include(
        [
            condition(
                TYPE_2_DIABETES,
                occurrences={"min": 2},
                temporal={"relation": "after", "days": 30, "anchor": condition(TYPE_2_DIABETES)},
            )
        ]
    ),
    "two temporal groups": include(
        [HBA1C_NEAR_T2D],
        [
            event(
                "drug",
                ANTIDIABETICS,
                temporal={"relation": "after", "days": 3650, "anchor": condition(HYPERTENSION)},
            )
        ],
    ),
    "the issue's cohort": include(
        [demographic("age", min=40, max=64)], [condition(TYPE_2_DIABETES)], [HBA1C_NEAR_T2D]
    ),
}


@pytest.mark.parametrize("name", list(DEFINITIONS))
def test_each_criterion_counts_as_the_oracle(
    name: str, engine: CohortEngine, oracle: Oracle
) -> None:
    definition = definition_parse(DEFINITIONS[name])
    expected = oracle.persons(definition)
    assert engine.count(definition) == len(expected)
    found = engine.persons(definition).to_pyarrow().column("person_id").to_pylist()
    assert sorted(found) == sorted(expected)


def test_the_definitions_are_not_trivial(oracle: Oracle) -> None:
    """Each definition but those meant so selects some participants and not everyone, so an
    engine that ignored a modifier would be caught."""
    sizes = {
        name: len(oracle.persons(definition_parse(data))) for name, data in DEFINITIONS.items()
    }
    total = len(oracle.participants)
    assert sizes["everyone"] == total
    # A drug class has no records of its own: only its descendants do.
    empty = ("everything excluded", "drug class, no descendants", "included and excluded")
    assert [sizes[name] for name in empty] == [0, 0, 0]
    trivial = [
        name
        for name, size in sizes.items()
        if name not in ("everyone", *empty) and not 0 < size < total
    ]
    assert trivial == []
    # Modifiers narrow their criterion.
    assert sizes["value above"] < len(
        oracle.persons(definition_parse(include([event("measurement", HBA1C)])))
    )
    assert sizes["within"] < sizes["value above"]
    assert sizes["anchor first"] < sizes["value above"]
    assert sizes["condition"] < sizes["condition with descendants"]
    assert sizes["descendants less an excluded branch"] < sizes["condition with descendants"]
    # (Everyone with a disorder due to type 2 diabetes has type 2 diabetes itself in this
    # data, so that exclusion shows in the concept set, not in the count.)


def test_concept_sets_expand_descendants_less_exclusions(
    engine: CohortEngine, oracle: Oracle
) -> None:
    t2d = oracle.descendants[TYPE_2_DIABETES]
    disorder = oracle.descendants[T2D_DISORDER]
    assert {TYPE_2_DIABETES, T2D_DISORDER, RETINOPATHY_T2D} <= t2d and len(disorder) > 1
    assert engine.concept_set(TYPE_2_DIABETES) == t2d
    assert engine.concept_set(TYPE_2_DIABETES, descendants=False) == {TYPE_2_DIABETES}
    assert engine.concept_set(
        TYPE_2_DIABETES, excluded=[ConceptRef(T2D_DISORDER, descendants=False)]
    ) == t2d - {T2D_DISORDER}
    assert (
        engine.concept_set(TYPE_2_DIABETES, excluded=[ConceptRef(T2D_DISORDER)]) == t2d - disorder
    )


def test_every_demographic_value_counts_as_the_oracle(engine: CohortEngine, oracle: Oracle) -> None:
    for field, values in (
        ("sex", SEX_VALUES),
        ("race", RACE_VALUES),
        ("ethnicity", ETHNICITY_VALUES),
        ("ubr", UBR_VALUES),
    ):
        for value in values:
            definition = definition_parse(include([demographic(field, values=[value])]))
            assert engine.count(definition) == len(oracle.persons(definition)), (field, value)


def test_the_make_up_counts_ubr_participants_per_category(
    engine: CohortEngine, oracle: Oracle
) -> None:
    definition = definition_parse(DEFINITIONS["items or-ed"])
    assert engine.makeup(definition) == oracle.makeup(oracle.persons(definition))
    everyone = oracle.makeup(set(oracle.participants.index))
    assert engine.program_makeup() == everyone
    assert engine.makeup(definition_parse(include())) == everyone
    assert list(everyone) == ["total", *UBR_VALUES]


# --- random definitions --------------------------------------------------------------------

POOL = {
    "condition": [TYPE_2_DIABETES, DIABETES_MELLITUS, T2D_DISORDER, HYPERTENSION, OBESITY],
    "drug": [ANTIDIABETICS, METFORMIN_CLASS, ATORVASTATIN, IBUPROFEN],
    "measurement": [HBA1C, SYSTOLIC, BMI],
    "procedure": [MAMMOGRAPHY, PHYSICAL_EXAM],
    "observation": [EX_SMOKER, CURRENT_SMOKER],
}
VALUE_BOUNDS = {HBA1C: (5.0, 9.0), SYSTOLIC: (100.0, 160.0), BMI: (20.0, 40.0)}


@st.composite
def event_criteria(draw: st.DrawFn, *, anchor: bool = False) -> dict[str, Any]:
    domain = draw(st.sampled_from(list(POOL)))
    concept_id = draw(st.sampled_from(POOL[domain]))
    item: dict[str, Any] = {
        "domain": domain,
        "concept_id": concept_id,
        "descendants": draw(st.booleans()),
    }
    if draw(st.integers(0, 4)) == 0:
        others = [c for c in POOL[domain] if c != concept_id]
        item["excluded"] = [
            {"concept_id": draw(st.sampled_from(others)), "descendants": draw(st.booleans())}
        ]
    if domain == "measurement" and draw(st.booleans()):
        low, high = VALUE_BOUNDS[concept_id]
        a = draw(st.floats(low, high, allow_nan=False).map(lambda x: round(x, 1)))
        b = draw(st.floats(a, high, allow_nan=False).map(lambda x: round(x, 1)))
        keys = draw(
            st.sampled_from(
                [
                    ("min", "max"),
                    ("above", "below"),
                    ("min",),
                    ("above",),
                    ("below",),
                    ("min", "below"),
                ]
            )
        )
        item["value"] = dict(
            zip(
                keys,
                (a, b) if len(keys) == 2 else (a if keys[0] in ("min", "above") else b,),
                strict=True,
            )
        )
    if draw(st.integers(0, 3)) == 0:
        low = draw(st.integers(0, 80))
        item["age_at_event"] = {"min": low, "max": draw(st.integers(low, 100))}
    if draw(st.integers(0, 3)) == 0:
        item["occurrences"] = {"min": draw(st.integers(1, 4))}
    if draw(st.integers(0, 3)) == 0:
        start = draw(st.dates(datetime.date(2010, 1, 1), datetime.date(2025, 1, 1)))
        item["event_date"] = {
            "from": start.isoformat(),
            "to": (start + datetime.timedelta(days=draw(st.integers(0, 3000)))).isoformat(),
        }
    if not anchor and draw(st.integers(0, 2)) == 0:
        item["temporal"] = {
            "relation": draw(st.sampled_from(["within", "before", "after"])),
            "days": draw(st.sampled_from([0, 30, 365, 1000])),
            "anchor": draw(event_criteria(anchor=True)),
            "anchor_occurrence": draw(st.sampled_from(["any", "first"])),
        }
    return item


demographics = st.one_of(
    st.integers(18, 80).flatmap(
        lambda low: st.integers(low, 90).map(lambda high: demographic("age", min=low, max=high))
    ),
    st.lists(st.sampled_from(SEX_VALUES), min_size=1, max_size=2).map(
        lambda v: demographic("sex", values=v)
    ),
    st.lists(st.sampled_from(RACE_VALUES), min_size=1, max_size=3).map(
        lambda v: demographic("race", values=v)
    ),
    st.lists(st.sampled_from(ETHNICITY_VALUES), min_size=1, max_size=2).map(
        lambda v: demographic("ethnicity", values=v)
    ),
    st.lists(st.sampled_from(UBR_VALUES), min_size=1, max_size=2).map(
        lambda v: demographic("ubr", values=v)
    ),
)
surveys = st.sampled_from(
    [
        ("annual_income", schema.SURVEY["annual_income"]),
        ("education", (*schema.SURVEY["education"], "skip")),
        ("gender_identity", schema.SURVEY["gender_identity"]),
        ("health_insurance", ("yes", "no", "prefer_not_to_answer")),
    ]
).flatmap(
    lambda q: st.lists(st.sampled_from(q[1]), min_size=1, max_size=3).map(
        lambda answers: {"domain": "survey", "question": q[0], "answers": answers}
    )
)
items = st.one_of(event_criteria(), event_criteria(), demographics, surveys)
groups = st.lists(items, min_size=1, max_size=3)
definitions = st.builds(
    lambda inc, exc: {
        "version": 1,
        "include": [{"items": g} for g in inc],
        "exclude": [{"items": g} for g in exc],
    },
    st.lists(groups, min_size=0, max_size=3),
    st.lists(groups, min_size=0, max_size=2),
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=definitions)
def test_random_definitions_count_as_the_oracle(
    data: dict[str, Any], engine: CohortEngine, oracle: Oracle
) -> None:
    definition = definition_parse(data)
    assert engine.count(definition) == len(oracle.persons(definition))


# --- what only the warehouse knows ---------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "path", "message"),
    [
        (
            include([condition(TYPE_2_DIABETES)], [condition(999_999_999)]),
            "include[1].items[0].concept_id",
            "concept 999999999 is not in this data release",
        ),
        (
            include([event("drug", HBA1C)]),
            "include[0].items[0].concept_id",
            "concept 3004410 is a measurement concept, not a drug concept",
        ),
        (
            include(exclude=([condition(TYPE_2_DIABETES, excluded=[{"concept_id": 123}])],)),
            "exclude[0].items[0].excluded[0].concept_id",
            "concept 123 is not in this data release",
        ),
        (
            include(
                [
                    demographic("age", min=40),
                    HBA1C_NEAR_T2D
                    | {
                        "temporal": {
                            "relation": "within",
                            "days": 9,
                            "anchor": event("procedure", TYPE_2_DIABETES),
                        }
                    },
                ]
            ),
            "include[0].items[1].temporal.anchor.concept_id",
            "concept 201826 is a condition concept, not a procedure concept",
        ),
        (
            include([{"domain": "survey", "question": "favourite_colour", "answers": ["blue"]}]),
            "include[0].items[0].question",
            "is not a survey question",
        ),
        (
            include([{"domain": "survey", "question": "education", "answers": ["skip", "yes"]}]),
            "include[0].items[0].answers[1]",
            "is not an answer to education",
        ),
    ],
)
def test_what_the_warehouse_does_not_hold_is_refused_with_its_path(
    data: dict[str, Any], path: str, message: str, engine: CohortEngine
) -> None:
    definition = definition_parse(data)
    with pytest.raises(DefinitionError) as raised:
        engine.check(definition)
    assert (raised.value.path, raised.value.message) == (path, message)
    with pytest.raises(DefinitionError):
        engine.count(definition)


def test_a_survey_concept_is_not_an_observation_from_records(engine: CohortEngine) -> None:
    # Survey answers are observations in OMOP, but the observation criterion counts records.
    survey_concept = schema.SURVEY_CONCEPT_IDS["race_ethnicity"]
    definition = definition_parse(include([event("observation", survey_concept)]))
    engine.check(definition)
    assert engine.count(definition) == 0


# --- serving -------------------------------------------------------------------------------


def test_each_thread_gets_its_own_engine_over_one_read_only_database(
    cohort_warehouse: Path, oracle: Oracle
) -> None:
    definition = definition_parse(DEFINITIONS["the issue's cohort"])
    expected = len(oracle.persons(definition))
    results: dict[int, tuple[int, int]] = {}

    def work(index: int) -> None:
        engine = engine_for(cohort_warehouse)
        assert engine_for(cohort_warehouse) is engine
        counts = [engine.count(definition) for _ in range(3)]
        results[index] = (id(engine), counts[-1])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(count for _engine, count in results.values()) == [expected] * 4
    assert len({engine for engine, _count in results.values()}) == 4
    # Read-only: the serving connection cannot change the warehouse.
    with pytest.raises(duckdb.Error, match="read-only"):
        engine_for(cohort_warehouse).con.con.execute("DELETE FROM cohort_person")


def test_a_closed_database_is_opened_again(cohort_warehouse: Path, oracle: Oracle) -> None:
    definition = definition_parse(DEFINITIONS["sex"])
    before = engine_for(cohort_warehouse)
    engines_close()
    after = engine_for(cohort_warehouse)
    assert after is not before
    assert after.count(definition) == len(oracle.persons(definition))


def test_a_missing_warehouse_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        engine_for(tmp_path / "warehouse.duckdb")
