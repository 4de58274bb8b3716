"""The cohort definition (JSON version 1): parse and dump round-trip, every refusal names its
path, and the limits hold for enormous, deep or oddly typed input."""

import copy
import datetime
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tapestry.research.warehouse.cohort_definition import (
    ETHNICITY_VALUES,
    EVENT_DOMAINS,
    MAX_AGE,
    MAX_CONCEPT_ID,
    MAX_DATE,
    MAX_DAYS,
    MAX_OCCURRENCES,
    MIN_DATE,
    RACE_VALUES,
    RELATIONS,
    SEX_VALUES,
    UBR_VALUES,
    CohortDefinition,
    ConceptRef,
    DateRange,
    DefinitionError,
    DemographicCriterion,
    EventCriterion,
    Group,
    Range,
    SurveyCriterion,
    Temporal,
    criterion_dump,
    definition_dump,
    definition_parse,
)

# --- strategies: every definition the parser accepts, as dataclasses ----------------------

concept_ids = st.integers(1, MAX_CONCEPT_ID)
codes = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_",
    min_size=1,
    max_size=60,
)
dates = st.dates(MIN_DATE, MAX_DATE)
numbers = st.one_of(
    st.integers(-(10**12), 10**12),
    st.floats(-1e12, 1e12, allow_nan=False, allow_infinity=False),
)


def ordered(bounds: st.SearchStrategy) -> st.SearchStrategy:
    """Two optional bounds, the lower first."""
    return st.tuples(st.none() | bounds, st.none() | bounds).map(
        lambda pair: tuple(sorted(pair)) if None not in pair else pair
    )


whole_ranges = ordered(st.integers(0, MAX_AGE)).map(lambda pair: Range(*pair))


@st.composite
def value_ranges(draw: st.DrawFn) -> Range:
    low, high = draw(ordered(numbers))
    return Range(
        low,
        high,
        min_exclusive=low is not None and draw(st.booleans()),
        max_exclusive=high is not None and draw(st.booleans()),
    )


date_ranges = ordered(dates).map(lambda pair: DateRange(*pair))


@st.composite
def events(draw: st.DrawFn, *, anchor: bool = False) -> EventCriterion:
    domain = draw(st.sampled_from(EVENT_DOMAINS))
    temporal = None
    if not anchor and draw(st.booleans()):
        temporal = Temporal(
            relation=draw(st.sampled_from(RELATIONS)),
            days=draw(st.integers(0, MAX_DAYS)),
            anchor=draw(events(anchor=True)),
            anchor_occurrence=draw(st.sampled_from(["any", "first"])),
        )
    return EventCriterion(
        domain=domain,
        concept_id=draw(concept_ids),
        descendants=draw(st.booleans()),
        excluded=tuple(
            draw(st.lists(st.builds(ConceptRef, concept_ids, st.booleans()), max_size=4))
        ),
        value=draw(st.none() | value_ranges()) if domain == "measurement" else None,
        age_at_event=draw(st.none() | whole_ranges),
        occurrences=draw(st.integers(1, MAX_OCCURRENCES)),
        event_date=draw(st.none() | date_ranges),
        temporal=temporal,
    )


def unique_values(allowed: tuple[str, ...]) -> st.SearchStrategy:
    return st.lists(st.sampled_from(allowed), min_size=1, unique=True).map(tuple)


demographics = st.one_of(
    whole_ranges.filter(lambda age: age.min is not None or age.max is not None).map(
        lambda age: DemographicCriterion(field="age", age=age)
    ),
    unique_values(SEX_VALUES).map(lambda v: DemographicCriterion(field="sex", values=v)),
    unique_values(RACE_VALUES).map(lambda v: DemographicCriterion(field="race", values=v)),
    unique_values(ETHNICITY_VALUES).map(
        lambda v: DemographicCriterion(field="ethnicity", values=v)
    ),
    unique_values(UBR_VALUES).map(lambda v: DemographicCriterion(field="ubr", values=v)),
)
surveys = st.builds(
    SurveyCriterion,
    question=codes,
    answers=st.lists(codes, min_size=1, max_size=5, unique=True).map(tuple),
)
groups = st.lists(events() | demographics | surveys, min_size=1, max_size=4).map(
    lambda items: Group(tuple(items))
)
definitions = st.builds(
    CohortDefinition,
    include=st.lists(groups, max_size=5).map(tuple),
    exclude=st.lists(groups, max_size=4).map(tuple),
)


@given(definitions)
@settings(max_examples=300)
def test_every_definition_round_trips_through_its_json(definition: CohortDefinition) -> None:
    data = definition_dump(definition)

    assert definition_parse(data) == definition
    assert definition_dump(definition_parse(copy.deepcopy(data))) == data


def test_a_definition_with_every_modifier_reads_as_written() -> None:
    anchor = {"domain": "condition", "concept_id": 201826, "descendants": True}
    data = {
        "version": 1,
        "name": "HbA1c high near a diabetes diagnosis",
        "include": [
            {
                "name": "measurement",
                "items": [
                    {
                        "domain": "measurement",
                        "concept_id": 3004410,
                        "descendants": False,
                        "excluded": [{"concept_id": 3004411}],
                        "value": {"above": 6.5, "max": 20},
                        "age_at_event": {"min": 18},
                        "occurrences": {"min": 2},
                        "event_date": {"from": "2015-01-01", "to": "2020-12-31"},
                        "temporal": {
                            "relation": "before",
                            "days": 365,
                            "anchor": anchor,
                            "anchor_occurrence": "first",
                        },
                        "label": "HbA1c above 6.5",
                    }
                ],
            }
        ],
        "exclude": [{"items": [{"domain": "survey", "question": "q", "answers": ["a", "a"]}]}],
    }

    definition = definition_parse(data)

    assert definition == CohortDefinition(
        include=(
            Group(
                (
                    EventCriterion(
                        domain="measurement",
                        concept_id=3004410,
                        descendants=False,
                        excluded=(ConceptRef(3004411, True),),
                        value=Range(6.5, 20, min_exclusive=True),
                        age_at_event=Range(18, None),
                        occurrences=2,
                        event_date=DateRange(
                            datetime.date(2015, 1, 1), datetime.date(2020, 12, 31)
                        ),
                        temporal=Temporal(
                            "before", 365, EventCriterion("condition", 201826), "first"
                        ),
                    ),
                )
            ),
        ),
        exclude=(Group((SurveyCriterion("q", ("a",)),)),),
    )
    assert definition.criteria() == [*definition.include[0].items, *definition.exclude[0].items]
    assert definition.concept_ids() == {3004410, 3004411, 201826}


def test_no_group_at_all_is_every_participant() -> None:
    assert definition_parse({}) == CohortDefinition()
    assert definition_dump(CohortDefinition()) == {"version": 1, "include": [], "exclude": []}


def test_an_empty_occurrences_object_means_one() -> None:
    item = {"domain": "drug", "concept_id": 1, "occurrences": {}}

    parsed = definition_parse({"include": [{"items": [item]}]}).include[0].items[0]

    assert parsed == EventCriterion("drug", 1)


def test_demographic_dump_reads_back() -> None:
    item = DemographicCriterion(field="age", age=Range(40, None))

    assert criterion_dump(item) == {"domain": "demographic", "field": "age", "min": 40}


# --- refusals: each names its path -------------------------------------------------------

EVENT = {"domain": "condition", "concept_id": 201826}


def one(item: Any) -> dict[str, Any]:
    return {"include": [{"items": [item]}]}


def with_(**changes: Any) -> dict[str, Any]:
    return one({**EVENT, **changes})


TEMPORAL = {"relation": "within", "days": 30, "anchor": EVENT}

REFUSALS = [
    ([], "must be an object"),
    ({"include": [], "colour": 1}, "colour: is not a field the builder knows"),
    ({"version": 2}, "version: must be 1"),
    ({"version": True}, "version: must be 1"),
    ({"version": "1"}, "version: must be 1"),
    ({"include": {}}, "include: must be a list of groups"),
    ({"exclude": "x"}, "exclude: must be a list of groups"),
    ({"include": [{"items": [EVENT]}] * 21}, "include: at most 20 groups"),
    (
        {"include": [{"items": [EVENT]}] * 11, "exclude": [{"items": [EVENT]}] * 10},
        "at most 20 groups in all",
    ),
    ({"include": [[EVENT]]}, "include[0]: must be an object"),
    ({"include": [{}]}, "include[0].items: is required"),
    ({"include": [{"items": []}]}, "include[0].items: must be a list of at least one item"),
    ({"include": [{"items": EVENT}]}, "include[0].items: must be a list of at least one item"),
    (
        {"include": [{"items": [EVENT], "or": True}]},
        "include[0].or: is not a field the builder knows",
    ),
    (
        {"include": [{"items": [EVENT] * 60}, {"items": [EVENT] * 41}]},
        "at most 100 items in all groups together",
    ),
    (one("condition"), "include[0].items[0]: must be an object"),
    (
        one({"domain": "visit", "concept_id": 9201}),
        "include[0].items[0].domain: must be one of condition, drug, measurement, procedure, "
        "observation, survey, demographic",
    ),
    (
        one({"concept_id": 1}),
        "include[0].items[0].domain: must be one of condition, drug, "
        "measurement, procedure, observation, survey, demographic",
    ),
    (one({"domain": "condition"}), "include[0].items[0].concept_id: is required"),
    (with_(concept_id=True), "include[0].items[0].concept_id: must be a whole number"),
    (with_(concept_id=1.0), "include[0].items[0].concept_id: must be a whole number"),
    (with_(concept_id="201826"), "include[0].items[0].concept_id: must be a whole number"),
    (with_(concept_id=0), "include[0].items[0].concept_id: must be from 1 to 2147483647"),
    (with_(concept_id=2**31), "include[0].items[0].concept_id: must be from 1 to 2147483647"),
    (with_(colour="red"), "include[0].items[0].colour: is not a field the builder knows"),
    (with_(descendants=1), "include[0].items[0].descendants: must be true or false"),
    (with_(descendants="yes"), "include[0].items[0].descendants: must be true or false"),
    (with_(excluded={"concept_id": 1}), "include[0].items[0].excluded: must be a list of concepts"),
    (
        with_(excluded=[{"concept_id": 1}] * 51),
        "include[0].items[0].excluded: at most 50 concepts",
    ),
    (with_(excluded=[{}]), "include[0].items[0].excluded[0].concept_id: is required"),
    (with_(excluded=[5]), "include[0].items[0].excluded[0]: must be an object"),
    (
        with_(excluded=[{"concept_id": 1, "descendants": 0}]),
        "include[0].items[0].excluded[0].descendants: must be true or false",
    ),
    (
        with_(excluded=[{"concept_id": False}]),
        "include[0].items[0].excluded[0].concept_id: must be a whole number",
    ),
    (with_(value={"min": 1}), "include[0].items[0].value: only a measurement has a value range"),
    (
        one({"domain": "measurement", "concept_id": 1, "value": {"min": 1, "above": 0}}),
        "include[0].items[0].value: give min or above, max or below, not both",
    ),
    (
        one({"domain": "measurement", "concept_id": 1, "value": {"max": 1, "below": 2}}),
        "include[0].items[0].value: give min or above, max or below, not both",
    ),
    (
        one({"domain": "measurement", "concept_id": 1, "value": {"above": 9, "below": 2}}),
        "include[0].items[0].value: the lower bound must not be greater than the upper",
    ),
    (
        one({"domain": "measurement", "concept_id": 1, "value": {"min": math.nan}}),
        "include[0].items[0].value.min: must be a number",
    ),
    (
        one({"domain": "measurement", "concept_id": 1, "value": {"max": math.inf}}),
        "include[0].items[0].value.max: must be a number",
    ),
    (
        one({"domain": "measurement", "concept_id": 1, "value": {"above": True}}),
        "include[0].items[0].value.above: must be a number",
    ),
    (
        one({"domain": "measurement", "concept_id": 1, "value": {"min": "6.5"}}),
        "include[0].items[0].value.min: must be a number",
    ),
    (
        one({"domain": "measurement", "concept_id": 1, "value": {"below": 1e13}}),
        "include[0].items[0].value.below: must be from -1e+12 to 1e+12",
    ),
    (
        one({"domain": "measurement", "concept_id": 1, "value": {"between": [1, 2]}}),
        "include[0].items[0].value.between: is not a field the builder knows",
    ),
    (
        one({"domain": "measurement", "concept_id": 1, "value": 6.5}),
        "include[0].items[0].value: must be an object",
    ),
    (
        with_(age_at_event={"min": 65, "max": 18}),
        "include[0].items[0].age_at_event: min must not be greater than max",
    ),
    (
        with_(age_at_event={"max": 131}),
        "include[0].items[0].age_at_event.max: must be from 0 to 130",
    ),
    (
        with_(age_at_event={"min": -1}),
        "include[0].items[0].age_at_event.min: must be from 0 to 130",
    ),
    (
        with_(age_at_event={"min": 18.5}),
        "include[0].items[0].age_at_event.min: must be a whole number",
    ),
    (
        with_(age_at_event={"min": True}),
        "include[0].items[0].age_at_event.min: must be a whole number",
    ),
    (
        with_(age_at_event={"above": 18}),
        "include[0].items[0].age_at_event.above: is not a field the builder knows",
    ),
    (with_(occurrences=2), "include[0].items[0].occurrences: must be an object"),
    (with_(occurrences={"max": 2}), "include[0].items[0].occurrences.min: is required"),
    (with_(occurrences={"min": 0}), "include[0].items[0].occurrences.min: must be from 1 to 1000"),
    (
        with_(occurrences={"min": 1001}),
        "include[0].items[0].occurrences.min: must be from 1 to 1000",
    ),
    (
        with_(occurrences={"min": True}),
        "include[0].items[0].occurrences.min: must be a whole number",
    ),
    (
        with_(event_date={"from": "2015-13-01"}),
        "include[0].items[0].event_date.from: must be a date written YYYY-MM-DD",
    ),
    (
        with_(event_date={"from": "20150101"}),
        "include[0].items[0].event_date.from: must be a date written YYYY-MM-DD",
    ),
    (
        with_(event_date={"to": 2015}),
        "include[0].items[0].event_date.to: must be a date written YYYY-MM-DD",
    ),
    (
        with_(event_date={"from": "1899-12-31"}),
        "include[0].items[0].event_date.from: must be from 1900-01-01 to 2100-12-31",
    ),
    (
        with_(event_date={"to": "2101-01-01"}),
        "include[0].items[0].event_date.to: must be from 1900-01-01 to 2100-12-31",
    ),
    (
        with_(event_date={"from": "2020-01-02", "to": "2020-01-01"}),
        "include[0].items[0].event_date: from must not be after to",
    ),
    (
        with_(event_date={"since": "2020-01-01"}),
        "include[0].items[0].event_date.since: is not a field the builder knows",
    ),
    (with_(temporal="within 30 days"), "include[0].items[0].temporal: must be an object"),
    (
        with_(temporal={"days": 30, "anchor": EVENT}),
        "include[0].items[0].temporal.relation: is required",
    ),
    (
        with_(temporal={**TEMPORAL, "relation": "during"}),
        "include[0].items[0].temporal.relation: must be one of within, before, after",
    ),
    (
        with_(temporal={**TEMPORAL, "days": -1}),
        "include[0].items[0].temporal.days: must be from 0 to 36500",
    ),
    (
        with_(temporal={**TEMPORAL, "days": 36_501}),
        "include[0].items[0].temporal.days: must be from 0 to 36500",
    ),
    (
        with_(temporal={**TEMPORAL, "days": True}),
        "include[0].items[0].temporal.days: must be a whole number",
    ),
    (
        with_(temporal={**TEMPORAL, "days": 30.0}),
        "include[0].items[0].temporal.days: must be a whole number",
    ),
    (
        with_(temporal={**TEMPORAL, "anchor_occurrence": "last"}),
        "include[0].items[0].temporal.anchor_occurrence: must be any or first",
    ),
    (
        with_(temporal={**TEMPORAL, "anchor": {"domain": "demographic", "field": "sex"}}),
        "include[0].items[0].temporal.anchor.domain: must be one of condition, drug, "
        "measurement, procedure, observation",
    ),
    (
        with_(temporal={**TEMPORAL, "anchor": {**EVENT, "concept_id": -5}}),
        "include[0].items[0].temporal.anchor.concept_id: must be from 1 to 2147483647",
    ),
    (
        # The anchor's own temporal is refused as an unknown field: one level only.
        with_(temporal={**TEMPORAL, "anchor": {**EVENT, "temporal": TEMPORAL}}),
        "include[0].items[0].temporal.anchor.temporal: is not a field the builder knows",
    ),
    (
        one({"domain": "survey", "question": "income"}),
        "include[0].items[0].answers: is required",
    ),
    (
        one({"domain": "survey", "question": "annual income", "answers": ["a"]}),
        "include[0].items[0].question: must be a code of letters, digits and _",
    ),
    (
        one({"domain": "survey", "question": "q" * 61, "answers": ["a"]}),
        "include[0].items[0].question: must be a code of letters, digits and _",
    ),
    (
        one({"domain": "survey", "question": "q", "answers": []}),
        "include[0].items[0].answers: must be a list of at least one value",
    ),
    (
        one({"domain": "survey", "question": "q", "answers": ["a"] * 51}),
        "include[0].items[0].answers: at most 50 values",
    ),
    (
        one({"domain": "survey", "question": "q", "answers": ["a", 7]}),
        "include[0].items[0].answers[1]: must be a code of letters, digits and _",
    ),
    (
        one({"domain": "survey", "question": "q", "answers": ["a"], "concept_id": 1}),
        "include[0].items[0].concept_id: is not a field the builder knows",
    ),
    (
        one({"domain": "demographic", "field": "income", "values": ["x"]}),
        "include[0].items[0].field: must be one of age, sex, race, ethnicity, ubr",
    ),
    (
        one({"domain": "demographic", "field": "age"}),
        "include[0].items[0]: an age criterion needs a min or a max",
    ),
    (
        one({"domain": "demographic", "field": "age", "min": 70, "max": 40}),
        "include[0].items[0]: min must not be greater than max",
    ),
    (
        one({"domain": "demographic", "field": "age", "min": 200}),
        "include[0].items[0].min: must be from 0 to 130",
    ),
    (
        one({"domain": "demographic", "field": "age", "min": 40, "values": ["x"]}),
        "include[0].items[0].values: is not a field the builder knows",
    ),
    (
        one({"domain": "demographic", "field": "sex", "values": ["robot"]}),
        "include[0].items[0].values[0]: must be one of male, female, intersex, other, unknown",
    ),
    (
        one({"domain": "demographic", "field": "race"}),
        "include[0].items[0].values: is required",
    ),
    (
        one({"domain": "demographic", "field": "ubr", "values": "income"}),
        "include[0].items[0].values: must be a list of at least one value",
    ),
]


@pytest.mark.parametrize(("data", "message"), REFUSALS)
def test_each_fault_is_refused_naming_its_path(data: Any, message: str) -> None:
    with pytest.raises(DefinitionError) as caught:
        definition_parse(data)

    assert str(caught.value) == message


def test_the_error_keeps_its_path_and_message_apart() -> None:
    with pytest.raises(DefinitionError) as caught:
        definition_parse(with_(concept_id=0))

    assert caught.value.path == "include[0].items[0].concept_id"
    assert caught.value.message == "must be from 1 to 2147483647"


def test_an_unknown_key_is_cut_short_in_the_message() -> None:
    with pytest.raises(DefinitionError) as caught:
        definition_parse({"x" * 10_000: 1})

    assert str(caught.value) == "x" * 40 + ": is not a field the builder knows"


def test_thousands_of_or_items_are_refused_before_reading_them() -> None:
    items = [{"domain": "condition", "concept_id": index} for index in range(1, 5_001)]

    with pytest.raises(DefinitionError) as caught:
        definition_parse({"include": [{"items": items}]})

    assert str(caught.value) == "include[0].items: at most 100 items"


def test_a_hundred_items_across_groups_are_the_limit() -> None:
    data = {"include": [{"items": [EVENT] * 50}], "exclude": [{"items": [EVENT] * 50}]}

    assert len(definition_parse(data).criteria()) == 100


def test_deep_nesting_through_anchors_stops_at_the_second_level() -> None:
    # Built without recursion: 50,000 anchors each with its own temporal relation.
    deepest: dict = dict(EVENT)
    for _ in range(50_000):
        deepest = {**EVENT, "temporal": {"relation": "within", "days": 1, "anchor": deepest}}

    with pytest.raises(DefinitionError) as caught:
        definition_parse(one(deepest))

    assert str(caught.value) == (
        "include[0].items[0].temporal.anchor.temporal: is not a field the builder knows"
    )


@pytest.mark.parametrize(
    "value",
    [float("nan"), float("inf"), float("-inf"), True, None, "1", [1], {"n": 1}],
)
def test_a_concept_id_must_be_an_int_and_nothing_else(value: Any) -> None:
    with pytest.raises(DefinitionError) as caught:
        definition_parse(with_(concept_id=value))

    assert str(caught.value) == "include[0].items[0].concept_id: must be a whole number"


@pytest.mark.parametrize(
    ("day", "message"),
    [
        ("1900-01-01", None),
        ("2100-12-31", None),
        ("0001-01-01", "must be from 1900-01-01 to 2100-12-31"),
        ("9999-12-31", "must be from 1900-01-01 to 2100-12-31"),
        ("2023-02-29", "must be a date written YYYY-MM-DD"),
        ("2020-1-1", "must be a date written YYYY-MM-DD"),
        ("2020-01-01T00:00", "must be a date written YYYY-MM-DD"),
        ("", "must be a date written YYYY-MM-DD"),
    ],
)
def test_dates_are_iso_days_within_the_supported_years(day: str, message: str | None) -> None:
    data = with_(event_date={"from": day})

    if message is None:
        assert definition_parse(data).include[0].items[0] == EventCriterion(
            "condition", 201826, event_date=DateRange(datetime.date.fromisoformat(day), None)
        )
    else:
        with pytest.raises(DefinitionError) as caught:
            definition_parse(data)
        assert str(caught.value) == f"include[0].items[0].event_date.from: {message}"


def test_duplicate_values_are_read_once() -> None:
    data = one({"domain": "demographic", "field": "sex", "values": ["female", "female", "male"]})

    assert definition_parse(data).include[0].items[0] == DemographicCriterion(
        field="sex", values=("female", "male")
    )
