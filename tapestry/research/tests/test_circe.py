"""Circe JSON import and export: ATLAS exports read exactly, the rest refused by name, and every
exportable definition comes back equal."""

import copy
import datetime
import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tapestry.research.warehouse.circe import CirceUnsupported, circe_export, circe_import
from tapestry.research.warehouse.cohort_definition import (
    MAX_CONCEPT_ID,
    MAX_DATE,
    MAX_DAYS,
    MAX_OCCURRENCES,
    MIN_DATE,
    RELATIONS,
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
)

FIXTURES = Path(__file__).parent / "data" / "circe"


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


T2D = EventCriterion("condition", 201826)
HBA1C_HIGH_BEFORE = EventCriterion(
    "measurement",
    3004410,
    descendants=False,
    value=Range(6.5, None, min_exclusive=True),
    temporal=Temporal("before", 365, T2D, "first"),
)
DM_NOT_TYPE1 = EventCriterion("condition", 201820, excluded=(ConceptRef(201254, True),))


# --- ATLAS exports, read ---------------------------------------------------------------------


def test_type_2_diabetes_with_a_high_hba1c_in_the_year_before_the_first_diagnosis() -> None:
    definition = circe_import((FIXTURES / "t2d_hba1c_first_event.json").read_text())

    assert definition == CohortDefinition(
        include=(Group((T2D,)), Group((HBA1C_HIGH_BEFORE,))),
    )


def test_a_concept_set_with_an_excluded_descendant_carries_the_exclusion() -> None:
    definition = circe_import(fixture("diabetes_excluding_type1.json"))

    assert definition == CohortDefinition(
        include=(
            Group((DM_NOT_TYPE1,)),
            Group((EventCriterion("drug", 1503297, occurrences=2),)),
        ),
        exclude=(
            Group(
                (
                    EventCriterion(
                        "condition",
                        4024659,
                        temporal=Temporal("within", 365, DM_NOT_TYPE1, "first"),
                    ),
                )
            ),
        ),
    )


def test_adult_women_by_age_at_the_first_event_and_gender() -> None:
    definition = circe_import(fixture("hypertension_adult_women.json"))

    # The first hypertension event is at 18 or older exactly when none is before 18.
    assert definition == CohortDefinition(
        include=(
            Group((EventCriterion("condition", 320128),)),
            Group((DemographicCriterion(field="sex", values=("female",)),)),
        ),
        exclude=(Group((EventCriterion("condition", 320128, age_at_event=Range(None, 17)),)),),
    )


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (
            "unsupported_visit_criteria.json",
            "InclusionRules[1].expression.CriteriaList[0].Criteria.VisitOccurrence: "
            "visit criteria are not supported",
        ),
        (
            "unsupported_condition_era.json",
            "PrimaryCriteria.CriteriaList[0].ConditionEra: condition era criteria are not supported",
        ),
        (
            "unsupported_include_mapped.json",
            "ConceptSets[0].expression.items[0].includeMapped: mapped (source) concepts are not "
            "supported",
        ),
        (
            "unsupported_observation_window.json",
            "PrimaryCriteria.ObservationWindow.PriorDays: requiring 365 days of observation "
            "before the entry event is not supported",
        ),
        (
            "unsupported_nested_groups.json",
            "InclusionRules[0].expression.Groups: nested criteria groups are not supported",
        ),
        (
            "unsupported_exactly_two.json",
            "InclusionRules[0].expression.CriteriaList[0].Occurrence: 'exactly 2 occurrences' is "
            "not supported",
        ),
    ],
)
def test_an_atlas_export_the_builder_cannot_express_is_refused_by_name(
    name: str, message: str
) -> None:
    with pytest.raises(CirceUnsupported) as caught:
        circe_import(fixture(name))

    assert str(caught.value) == message


# --- one change at a time to the type 2 diabetes export ------------------------------------


def primary(data: dict) -> dict:
    return data["PrimaryCriteria"]["CriteriaList"][0]["ConditionOccurrence"]


def rule(data: dict, index: int = 0) -> dict:
    return data["InclusionRules"][index]["expression"]


def correlated(data: dict) -> dict:
    return rule(data)["CriteriaList"][0]


def measurement(data: dict) -> dict:
    return correlated(data)["Criteria"]["Measurement"]


def limit(data: dict, value: str) -> dict:
    data["PrimaryCriteria"]["PrimaryCriteriaLimit"]["Type"] = value
    return data


def changed(change: Callable[[dict], object]) -> dict:
    data = fixture("t2d_hba1c_first_event.json")
    change(data)
    return data


RULE = "InclusionRules[0].expression"
CRITERION = f"{RULE}.CriteriaList[0]"
MEASUREMENT = f"{CRITERION}.Criteria.Measurement"
CONDITION = "PrimaryCriteria.CriteriaList[0].ConditionOccurrence"
WINDOW = f"{CRITERION}.StartWindow"
LIMIT = "PrimaryCriteria.PrimaryCriteriaLimit.Type"

REFUSED = [
    (
        lambda d: d["PrimaryCriteria"].update(CriteriaList=[{"Death": {"CodesetId": 0}}]),
        "PrimaryCriteria.CriteriaList[0].Death: death criteria are not supported",
    ),
    (
        lambda d: correlated(d).update(Criteria={"DrugEra": {"CodesetId": 1}}),
        f"{CRITERION}.Criteria.DrugEra: drug era criteria are not supported",
    ),
    (
        lambda d: d["PrimaryCriteria"].update(CriteriaList=[{"Specimen": {"CodesetId": 0}}]),
        "PrimaryCriteria.CriteriaList[0].Specimen: specimen criteria are not supported",
    ),
    (
        lambda d: correlated(d).update(Criteria={"VisitDetail": {"CodesetId": 1}}),
        f"{CRITERION}.Criteria.VisitDetail: visit detail criteria are not supported",
    ),
    (
        lambda d: primary(d).update(First=True),
        f"{CONDITION}.First: first occurrence in history only (First: true) is not supported",
    ),
    (
        lambda d: primary(d).update(
            ConditionType=[{"CONCEPT_ID": 32020, "CONCEPT_NAME": "EHR encounter diagnosis"}]
        ),
        f"{CONDITION}.ConditionType: condition type is not supported",
    ),
    (
        lambda d: measurement(d).update(ProviderSpecialty=[{"CONCEPT_ID": 38004456}]),
        f"{MEASUREMENT}.ProviderSpecialty: provider specialty is not supported",
    ),
    (
        lambda d: primary(d).update(VisitType=[{"CONCEPT_ID": 9201}]),
        f"{CONDITION}.VisitType: visit type is not supported",
    ),
    (
        lambda d: measurement(d).update(Unit=[{"CONCEPT_ID": 8554}]),
        f"{MEASUREMENT}.Unit: a unit is not supported",
    ),
    (
        lambda d: primary(d).update(OccurrenceEndDate={"Value": "2020-01-01", "Op": "lt"}),
        f"{CONDITION}.OccurrenceEndDate: an end date range is not supported",
    ),
    (
        lambda d: primary(d).update(Gender=[{"CONCEPT_ID": 8532}]),
        f"{CONDITION}.Gender: gender on a criterion is not supported",
    ),
    (
        lambda d: primary(d).update(ConditionSourceConcept=3),
        f"{CONDITION}.ConditionSourceConcept: ConditionSourceConcept is not supported",
    ),
    (
        lambda d: primary(d).update(DateAdjustment={"StartWith": "START_DATE", "StartOffset": 1}),
        f"{CONDITION}.DateAdjustment: a date adjustment is not supported",
    ),
    (
        lambda d: primary(d).update(CorrelatedCriteria=copy.deepcopy(rule(d))),
        f"{CONDITION}.CorrelatedCriteria: nested (correlated) criteria is not supported",
    ),
    (
        lambda d: primary(d).update(CodesetId=None),
        f"{CONDITION}.CodesetId: a criterion without a concept set (any concept of the domain) "
        "is not supported",
    ),
    (
        lambda d: correlated(d).update(
            Criteria={"Observation": {"CodesetId": 1, "ValueAsNumber": {"Value": 1, "Op": "gt"}}}
        ),
        f"{CRITERION}.Criteria.Observation.ValueAsNumber: a value (the builder has values on "
        "measurements only) is not supported",
    ),
    (
        lambda d: measurement(d).update(ValueAsNumber={"Value": 4, "Op": "!bt", "Extent": 6.5}),
        f"{MEASUREMENT}.ValueAsNumber.Op: '!bt' (outside a range / not equal) is not supported",
    ),
    (
        lambda d: primary(d).update(Age={"Value": 18, "Op": "!eq"}),
        f"{CONDITION}.Age.Op: '!eq' (outside a range / not equal) is not supported",
    ),
    (
        lambda d: correlated(d)["StartWindow"].update(UseEventEnd=True),
        f"{WINDOW}.UseEventEnd: a window on the event's end date is not supported",
    ),
    (
        lambda d: correlated(d)["StartWindow"].update(UseIndexEnd=True),
        f"{WINDOW}.UseIndexEnd: a window on the index event's end date is not supported",
    ),
    (
        lambda d: correlated(d)["StartWindow"]["Start"].update(TimeUnit="week"),
        f"{WINDOW}.Start.TimeUnit: a window in weeks is not supported",
    ),
    (
        lambda d: correlated(d)["StartWindow"]["End"].update(Days=30),
        f"{WINDOW}: a window from 365 days before the index event to 30 days after the index "
        "event is not supported (the builder's windows: N days before to N days after, N days "
        "before to the index day, the index day to N days after, or any time)",
    ),
    (
        lambda d: correlated(d)["StartWindow"].update(Start={"Coeff": -1}),
        f"{WINDOW}: a window from all days before the index event to the index day is not "
        "supported (the builder's windows: N days before to N days after, N days before to the "
        "index day, the index day to N days after, or any time)",
    ),
    (
        lambda d: correlated(d)["StartWindow"].update(
            Start={"Days": 30, "Coeff": 1}, End={"Days": 60, "Coeff": 1}
        ),
        f"{WINDOW}: a window from 30 days after the index event to 60 days after the index "
        "event is not supported (the builder's windows: N days before to N days after, N days "
        "before to the index day, the index day to N days after, or any time)",
    ),
    (
        lambda d: correlated(d).update(EndWindow=copy.deepcopy(correlated(d)["StartWindow"])),
        f"{CRITERION}.EndWindow: an end window is not supported",
    ),
    (
        lambda d: correlated(d).update(RestrictVisit=True),
        f"{CRITERION}.RestrictVisit: restricting to the index event's visit is not supported",
    ),
    (
        lambda d: correlated(d)["Occurrence"].update(IsDistinct=True),
        f"{CRITERION}.Occurrence.IsDistinct: counting distinct occurrences is not supported",
    ),
    (
        lambda d: correlated(d)["Occurrence"].update(Count=0),
        f"{CRITERION}.Occurrence: 'at least 0 occurrences' always holds in Circe; it is not "
        "supported (for none, use 'exactly 0')",
    ),
    (
        lambda d: rule(d).update(Type="AT_MOST", Count=1),
        f"{RULE}.Type: AT_MOST 1 of the criteria is not supported (use ALL or ANY)",
    ),
    (
        lambda d: (rule(d).update(Type="ANY"), correlated(d)["Occurrence"].update(Type=0, Count=0)),
        f"{CRITERION}.Occurrence: an 'exactly 0' or 'at most' criterion inside an ANY rule is "
        "not supported",
    ),
    (
        lambda d: rule(d).update(
            Type="ANY", DemographicCriteriaList=[{"Age": {"Value": 18, "Op": "gte"}}]
        ),
        f"{RULE}.DemographicCriteriaList[0].Age: age at the index event inside an ANY rule is "
        "not supported",
    ),
    (
        lambda d: rule(d).update(
            Type="ANY",
            DemographicCriteriaList=[
                {"Gender": [{"CONCEPT_ID": 8532}], "Race": [{"CONCEPT_ID": 8527}]}
            ],
        ),
        f"{RULE}.DemographicCriteriaList[0]: a demographic criterion inside an ANY rule must "
        "give exactly one of Gender, Race or Ethnicity",
    ),
    (
        lambda d: rule(d).update(
            DemographicCriteriaList=[{"OccurrenceStartDate": {"Value": "2015-01-01", "Op": "gt"}}]
        ),
        f"{RULE}.DemographicCriteriaList[0].OccurrenceStartDate: a date range on the index event "
        "in demographic criteria is not supported",
    ),
    (
        lambda d: rule(d).update(DemographicCriteriaList=[{"Gender": [{"CONCEPT_ID": 8551}]}]),
        f"{RULE}.DemographicCriteriaList[0].Gender[0].CONCEPT_ID: gender concept 8551 has no "
        "value in the builder (known: 8507 male, 8532 female)",
    ),
    (
        lambda d: rule(d).update(DemographicCriteriaList=[{"Race": [{"CONCEPT_ID": 8522}]}]),
        f"{RULE}.DemographicCriteriaList[0].Race[0].CONCEPT_ID: race concept 8522 has no value "
        "in the builder (known: 8527 white, 8516 black, 8515 asian, 8657 aian, 8557 nhpi)",
    ),
    (
        lambda d: d.update(AdditionalCriteria=copy.deepcopy(rule(d))),
        "AdditionalCriteria: additional criteria on the entry events are not supported (write "
        "them as inclusion rules)",
    ),
    (
        lambda d: d.update(CensorWindow={"StartDate": "2015-01-01", "EndDate": None}),
        "CensorWindow: a censor window drops cohort episodes outside its dates; it is not "
        "supported",
    ),
    (
        lambda d: d["PrimaryCriteria"]["ObservationWindow"].update(PostDays=30),
        "PrimaryCriteria.ObservationWindow.PostDays: requiring 30 days of observation after the "
        "entry event is not supported",
    ),
    (
        lambda d: limit(d, "Last"),
        f"{LIMIT}: the last event as the index event is not supported when a rule depends on it",
    ),
    (
        lambda d: (
            limit(d, "All"),
            d["InclusionRules"].append(copy.deepcopy(d["InclusionRules"][0])),
        ),
        f"{LIMIT}: All (every entry event an index event) with more than one rule relative to "
        "the index event is not supported: Circe checks them against the same index event; use "
        "First",
    ),
    (
        lambda d: (limit(d, "All"), correlated(d)["Occurrence"].update(Type=0, Count=0)),
        f"{LIMIT}: All (every entry event an index event) with an exclusion relative to the "
        f"index event ({CRITERION}) is not supported: Circe requires one index event without "
        "it; use First",
    ),
    (
        lambda d: (limit(d, "All"), correlated(d)["Occurrence"].update(Count=2)),
        f"{CRITERION}.Occurrence: 2 occurrences relative to any of several index events "
        "(PrimaryCriteriaLimit All) is not supported; use First",
    ),
    (
        lambda d: d["PrimaryCriteria"]["CriteriaList"].append(
            {"ConditionOccurrence": {"CodesetId": 0}}
        ),
        f"{WINDOW}: a window relative to the index event needs the entry event to be one "
        "criterion with a concept set of one concept (the primary criteria give 2)",
    ),
    (
        lambda d: (
            d["ConceptSets"][1]["expression"]["items"].append(
                {"concept": {"CONCEPT_ID": 3005673}, "includeDescendants": False}
            ),
            correlated(d)["Occurrence"].update(Count=2),
        ),
        f"{CRITERION}.Occurrence: counting 2 occurrences across a concept set of 2 concepts is "
        "not supported (the builder counts each concept on its own)",
    ),
    (
        lambda d: d["ConceptSets"][0]["expression"]["items"][0].update(isExcluded=True),
        "ConceptSets[0]: a concept set with no included concept matches nothing",
    ),
    (
        lambda d: d["ConceptSets"][0]["expression"]["items"][0].update(conceptSetItemId=3),
        "ConceptSets[0].expression.items[0].conceptSetItemId: is not a concept set item field "
        "the importer knows",
    ),
    (
        lambda d: d.update(Foo={"Type": "All"}),
        "Foo: is not a part of a Circe cohort expression",
    ),
]


@pytest.mark.parametrize(("change", "message"), REFUSED)
def test_each_feature_the_builder_cannot_express_is_refused_by_name(
    change: Callable[[dict], object], message: str
) -> None:
    data = changed(change)

    with pytest.raises(CirceUnsupported) as caught:
        circe_import(data)

    assert str(caught.value) == message


MALFORMED = [
    ("not json", "not valid JSON: Expecting value (line 1, column 1)"),
    ('{"PrimaryCriteria": NaN}', "NaN is not a number JSON allows"),
    ('{"PrimaryCriteria": -Infinity}', "-Infinity is not a number JSON allows"),
    ("[]", "must be a Circe cohort expression (a JSON object)"),
    ("[" * 100_000 + "]" * 100_000, "nested deeper than 40 levels"),
    (" " * 1_000_001, "the JSON is larger than 1,000,000 characters"),
    ({}, "PrimaryCriteria: must be an object"),
    (None, "must be a Circe cohort expression (a JSON object)"),
    (42, "must be a Circe cohort expression (a JSON object)"),
]


@pytest.mark.parametrize(("data", "message"), MALFORMED)
def test_a_malformed_or_enormous_document_is_refused(data: Any, message: str) -> None:
    with pytest.raises(DefinitionError) as caught:
        circe_import(data)

    assert str(caught.value) == message
    assert not isinstance(caught.value, CirceUnsupported)


SHAPE_FAULTS = [
    (
        lambda d: d.update(PrimaryCriteria={"CriteriaList": []}),
        "PrimaryCriteria.CriteriaList: needs at least one entry event criterion",
    ),
    (
        lambda d: primary(d).update(CodesetId=7),
        f"{CONDITION}.CodesetId: must be the id of one of ConceptSets",
    ),
    (
        lambda d: primary(d).update(CodesetId=True),
        f"{CONDITION}.CodesetId: must be the id of one of ConceptSets",
    ),
    (
        lambda d: d["ConceptSets"][0]["expression"]["items"][0]["concept"].update(CONCEPT_ID=True),
        "ConceptSets[0].expression.items[0].concept.CONCEPT_ID: must be a whole number",
    ),
    (
        lambda d: d["ConceptSets"][0]["expression"]["items"][0].update(includeDescendants=1),
        "ConceptSets[0].expression.items[0].includeDescendants: must be true or false",
    ),
    (lambda d: d["ConceptSets"][1].update(id=0), "ConceptSets[1].id: concept set 0 is given twice"),
    (lambda d: d["ConceptSets"][1].update(id="1"), "ConceptSets[1].id: must be a whole number"),
    (
        lambda d: d["PrimaryCriteria"]["CriteriaList"][0].update(Measurement={"CodesetId": 1}),
        "PrimaryCriteria.CriteriaList[0]: must name exactly one criteria type",
    ),
    (
        lambda d: d["PrimaryCriteria"].update(CriteriaList=[{"Diagnosis": {"CodesetId": 0}}]),
        "PrimaryCriteria.CriteriaList[0].Diagnosis: is not a Circe criteria type",
    ),
    (
        lambda d: correlated(d)["Occurrence"].update(Type=3),
        f"{CRITERION}.Occurrence.Type: must be 0 (exactly), 1 (at most) or 2 (at least)",
    ),
    (
        lambda d: correlated(d)["Occurrence"].update(Type=True),
        f"{CRITERION}.Occurrence.Type: must be 0 (exactly), 1 (at most) or 2 (at least)",
    ),
    (
        lambda d: correlated(d)["Occurrence"].update(Count=-1),
        f"{CRITERION}.Occurrence.Count: must be at least 0",
    ),
    (
        lambda d: correlated(d)["Occurrence"].update(Count=1.5),
        f"{CRITERION}.Occurrence.Count: must be a whole number",
    ),
    (lambda d: correlated(d).pop("StartWindow"), f"{WINDOW}: is required"),
    (
        lambda d: correlated(d)["StartWindow"]["Start"].update(Coeff=0),
        f"{WINDOW}.Start.Coeff: must be -1 (before) or 1 (after)",
    ),
    (
        lambda d: correlated(d)["StartWindow"]["Start"].update(Days="365"),
        f"{WINDOW}.Start.Days: must be a whole number",
    ),
    (
        lambda d: measurement(d).update(ValueAsNumber={"Value": 6.5, "Op": "above"}),
        f"{MEASUREMENT}.ValueAsNumber.Op: must be one of lt, lte, eq, !eq, gt, gte, bt, !bt",
    ),
    (
        lambda d: measurement(d).update(ValueAsNumber={"Value": 9, "Op": "bt", "Extent": 6.5}),
        f"{MEASUREMENT}.ValueAsNumber: Value must not be greater than Extent",
    ),
    (
        lambda d: measurement(d).update(ValueAsNumber={"Value": "6.5", "Op": "gt"}),
        f"{MEASUREMENT}.ValueAsNumber.Value: must be a number",
    ),
    (
        lambda d: measurement(d).update(ValueAsNumber={"Value": False, "Op": "gt"}),
        f"{MEASUREMENT}.ValueAsNumber.Value: must be a number",
    ),
    (
        lambda d: measurement(d).update(ValueAsNumber={"Value": 6.5, "Op": "bt"}),
        f"{MEASUREMENT}.ValueAsNumber.Extent: must be a number",
    ),
    (
        lambda d: primary(d).update(Age={"Value": 18.5, "Op": "gte"}),
        f"{CONDITION}.Age.Value: must be a whole number",
    ),
    (
        lambda d: primary(d).update(OccurrenceStartDate={"Value": "2015/01/01", "Op": "gt"}),
        f"{CONDITION}.OccurrenceStartDate.Value: must be a date written YYYY-MM-DD",
    ),
    (
        lambda d: primary(d).update(OccurrenceStartDate={"Value": "1850-01-01", "Op": "gt"}),
        f"{CONDITION}.OccurrenceStartDate.Value: must be from 1900-01-01 to 2100-12-31",
    ),
    (
        lambda d: primary(d).update(
            OccurrenceStartDate={"Value": "2020-01-01", "Op": "bt", "Extent": "2019-01-01"}
        ),
        f"{CONDITION}.OccurrenceStartDate: Value must not be after Extent",
    ),
    (
        lambda d: d["PrimaryCriteria"]["PrimaryCriteriaLimit"].update(Type="Second"),
        "PrimaryCriteria.PrimaryCriteriaLimit.Type: must be First, All or Last",
    ),
    (
        lambda d: rule(d).update(Type=None),
        f"{RULE}.Type: must be ALL, ANY, AT_LEAST or AT_MOST",
    ),
    (lambda d: d.update(InclusionRules={}), "InclusionRules: must be a list"),
    (
        lambda d: primary(d).update(ConditionTypeExclude="no"),
        f"{CONDITION}.ConditionTypeExclude: must be true or false",
    ),
]


@pytest.mark.parametrize(("change", "message"), SHAPE_FAULTS)
def test_a_malformed_shape_is_refused_with_its_path(
    change: Callable[[dict], object], message: str
) -> None:
    data = changed(change)

    with pytest.raises(DefinitionError) as caught:
        circe_import(data)

    assert str(caught.value) == message
    assert not isinstance(caught.value, CirceUnsupported)


def test_a_nan_inside_an_object_is_refused() -> None:
    data = changed(
        lambda d: measurement(d).update(ValueAsNumber={"Value": float("nan"), "Op": "gt"})
    )

    with pytest.raises(DefinitionError) as caught:
        circe_import(data)

    assert str(caught.value) == "NaN and infinite numbers are not JSON numbers"


def test_an_object_nested_too_deeply_is_refused_without_recursion() -> None:
    deep: dict = {}
    for _ in range(100_000):
        deep = {"Groups": [deep]}
    data = changed(lambda d: d.update(AdditionalCriteria=deep))

    with pytest.raises(DefinitionError) as caught:
        circe_import(data)

    assert str(caught.value) == "nested deeper than 40 levels"


def test_the_builders_limits_apply_after_mapping() -> None:
    concepts = [
        {"concept": {"CONCEPT_ID": 1_000 + index}, "includeDescendants": True}
        for index in range(101)
    ]
    data = changed(lambda d: d["ConceptSets"][0]["expression"].update(items=concepts))
    data["InclusionRules"] = []

    with pytest.raises(DefinitionError) as caught:
        circe_import(data)

    assert str(caught.value) == (
        "the imported definition is past the builder's limits: include[0].items: at most 100 items"
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: correlated(d)["Occurrence"].update(Count=1001),
            "include[1].items[0].occurrences.min: must be from 1 to 1000",
        ),
        (
            lambda d: correlated(d)["StartWindow"]["Start"].update(Days=40_000),
            "include[1].items[0].temporal.days: must be from 0 to 36500",
        ),
        (
            lambda d: d["ConceptSets"][0]["expression"]["items"][0]["concept"].update(CONCEPT_ID=0),
            "include[0].items[0].concept_id: must be from 1 to 2147483647",
        ),
        (
            lambda d: primary(d).update(Age={"Value": 200, "Op": "lt"}),
            "include[0].items[0].age_at_event.max: must be from 0 to 130",
        ),
    ],
)
def test_values_past_the_builders_limits_are_refused(
    change: Callable[[dict], object], message: str
) -> None:
    with pytest.raises(DefinitionError) as caught:
        circe_import(changed(change))

    assert str(caught.value) == f"the imported definition is past the builder's limits: {message}"


# --- what maps, and how ------------------------------------------------------------------


def imported(change: Callable[[dict], object]) -> CohortDefinition:
    return circe_import(changed(change))


def event_at(definition: CohortDefinition, group: int) -> EventCriterion:
    """The first item of an include group, an event criterion."""
    item = definition.include[group].items[0]
    assert isinstance(item, EventCriterion)
    return item


def test_exit_dates_and_the_episode_kept_do_not_change_who_is_counted() -> None:
    def exits(data: dict) -> None:
        data["EndStrategy"] = {
            "CustomEra": {"DrugCodesetId": 1, "GapDays": 30, "Offset": 0, "DaysSupplyOverride": 7}
        }
        data["CensoringCriteria"] = [{"Death": {}}, {"VisitOccurrence": {"CodesetId": 1}}]
        data["CollapseSettings"] = {"CollapseType": "ERA", "EraPad": 30}
        data["ExpressionLimit"] = {"Type": "All"}
        data["CensorWindow"] = {"StartDate": None, "EndDate": None}
        data["cdmVersionRange"] = ">=5.3.0"
        data["Title"] = "T2D"
        correlated(data)["IgnoreObservationPeriod"] = True

    assert imported(exits) == CohortDefinition(
        include=(Group((T2D,)), Group((HBA1C_HIGH_BEFORE,))),
    )


def test_a_webapi_definition_wraps_the_expression_as_text() -> None:
    wrapped = {
        "id": 12,
        "name": "T2D",
        "expression": json.dumps(fixture("t2d_hba1c_first_event.json")),
    }

    assert circe_import(wrapped) == CohortDefinition(
        include=(Group((T2D,)), Group((HBA1C_HIGH_BEFORE,))),
    )


def test_a_fault_inside_a_wrapped_expression_names_the_wrapper() -> None:
    expression = changed(lambda d: primary(d).update(First=True))

    with pytest.raises(CirceUnsupported) as caught:
        circe_import({"name": "T2D", "expression": expression})

    assert str(caught.value) == (
        f"expression.{CONDITION}.First: first occurrence in history only (First: true) is not "
        "supported"
    )


def test_a_concept_set_of_several_concepts_is_one_item_per_concept_with_every_exclusion() -> None:
    def several(data: dict) -> None:
        items = data["ConceptSets"][0]["expression"]["items"]
        items.append({"concept": {"CONCEPT_ID": 443238}, "includeDescendants": False})
        items.append(
            {"concept": {"CONCEPT_ID": 443729}, "isExcluded": True, "includeDescendants": True}
        )
        items.append({"concept": {"CONCEPT_ID": 4193704}, "isExcluded": True})
        data["InclusionRules"] = []

    exclusions = (ConceptRef(443729, True), ConceptRef(4193704, False))
    assert imported(several) == CohortDefinition(
        include=(
            Group(
                (
                    EventCriterion("condition", 201826, excluded=exclusions),
                    EventCriterion("condition", 443238, descendants=False, excluded=exclusions),
                )
            ),
        )
    )


def test_an_any_rule_is_one_group_of_its_criteria_or_ed() -> None:
    def any_rule(data: dict) -> None:
        data["ConceptSets"].append(
            {
                "id": 5,
                "name": "Metformin",
                "expression": {
                    "items": [{"concept": {"CONCEPT_ID": 1503297}, "includeDescendants": True}]
                },
            }
        )
        rule(data)["Type"] = "ANY"
        rule(data)["CriteriaList"].append(
            {
                "Criteria": {"DrugExposure": {"CodesetId": 5}},
                "StartWindow": {"Start": {"Coeff": -1}, "End": {"Coeff": 1}},
                "Occurrence": {"Type": 2, "Count": 3},
            }
        )
        rule(data)["DemographicCriteriaList"] = [{"Ethnicity": [{"CONCEPT_ID": 38003563}]}]

    assert imported(any_rule) == CohortDefinition(
        include=(
            Group((T2D,)),
            Group(
                (
                    HBA1C_HIGH_BEFORE,
                    EventCriterion("drug", 1503297, occurrences=3),
                    DemographicCriterion(field="ethnicity", values=("hispanic_latino",)),
                )
            ),
        )
    )


def test_at_least_one_of_the_criteria_is_any() -> None:
    def at_least_one(data: dict) -> None:
        rule(data).update(Type="AT_LEAST", Count=1)

    assert imported(at_least_one) == CohortDefinition(
        include=(Group((T2D,)), Group((HBA1C_HIGH_BEFORE,))),
    )


def test_an_all_rule_makes_a_group_per_criterion_and_one_exclude_group_of_its_exclusions() -> None:
    def all_rule(data: dict) -> None:
        second = copy.deepcopy(correlated(data))
        second["Occurrence"] = {"Type": 0, "Count": 0}
        third = copy.deepcopy(second)
        third["Occurrence"] = {"Type": 1, "Count": 2}
        third["StartWindow"] = {"Start": {"Days": 30, "Coeff": 1}, "End": {"Days": 90, "Coeff": 1}}
        third["StartWindow"] = {"Start": {"Days": 0, "Coeff": 1}, "End": {"Days": 90, "Coeff": 1}}
        rule(data)["CriteriaList"] += [second, third]
        rule(data)["DemographicCriteriaList"] = [
            {
                "Gender": [{"CONCEPT_ID": 8507}, {"CONCEPT_ID": 8532}],
                "Race": [{"CONCEPT_ID": 8516}],
            },
            {},
        ]

    assert imported(all_rule) == CohortDefinition(
        include=(
            Group((T2D,)),
            Group((HBA1C_HIGH_BEFORE,)),
            Group((DemographicCriterion(field="sex", values=("male", "female")),)),
            Group((DemographicCriterion(field="race", values=("black",)),)),
        ),
        exclude=(
            Group(
                (
                    HBA1C_HIGH_BEFORE,
                    EventCriterion(
                        "measurement",
                        3004410,
                        descendants=False,
                        value=Range(6.5, None, min_exclusive=True),
                        occurrences=3,
                        temporal=Temporal("after", 90, T2D, "first"),
                    ),
                )
            ),
        ),
    )


@pytest.mark.parametrize(
    ("start", "end", "temporal"),
    [
        ({"Days": 30, "Coeff": -1}, {"Days": 30, "Coeff": 1}, ("within", 30)),
        ({"Days": 0, "Coeff": -1}, {"Days": 0, "Coeff": 1}, ("within", 0)),
        ({"Days": 0, "Coeff": 1}, {"Days": 0, "Coeff": -1}, ("within", 0)),
        ({"Days": 90, "Coeff": -1}, {"Days": 0, "Coeff": -1}, ("before", 90)),
        ({"Days": 0, "Coeff": -1}, {"Days": 7, "Coeff": 1}, ("after", 7)),
        (
            {"Days": 365, "Coeff": -1, "TimeUnitValue": 365, "TimeUnit": "day"},
            {"Days": 0, "Coeff": 1},
            ("before", 365),
        ),
        ({"Coeff": -1}, {"Coeff": 1}, None),
    ],
)
def test_windows_map_onto_temporal_relations(
    start: dict, end: dict, temporal: tuple[Literal["within", "before", "after"], int] | None
) -> None:
    def window(data: dict) -> None:
        correlated(data)["StartWindow"].update(Start=start, End=end)

    item = event_at(imported(window), 1)

    if temporal is None:
        assert item.temporal is None
    else:
        assert item.temporal == Temporal(temporal[0], temporal[1], T2D, "first")


@pytest.mark.parametrize(
    ("circe", "builder"),
    [
        ({"Value": 6.5, "Op": "gte"}, Range(6.5, None)),
        ({"Value": 6.5, "Op": "gt"}, Range(6.5, None, min_exclusive=True)),
        ({"Value": 9, "Op": "lte"}, Range(None, 9)),
        ({"Value": 9, "Op": "lt"}, Range(None, 9, max_exclusive=True)),
        ({"Value": 7, "Op": "eq"}, Range(7, 7)),
        ({"Value": 6.5, "Op": "bt", "Extent": 9}, Range(6.5, 9)),
    ],
)
def test_measurement_values(circe: dict, builder: Range) -> None:
    item = event_at(imported(lambda d: measurement(d).update(ValueAsNumber=circe)), 1)

    assert item.value == builder


@pytest.mark.parametrize(
    ("circe", "builder"),
    [
        ({"Value": 17, "Op": "gt"}, Range(18, None)),
        ({"Value": 18, "Op": "gte"}, Range(18, None)),
        ({"Value": 65, "Op": "lt"}, Range(None, 64)),
        ({"Value": 64.0, "Op": "lte"}, Range(None, 64)),
        ({"Value": 40, "Op": "eq"}, Range(40, 40)),
        ({"Value": 18, "Op": "bt", "Extent": 64}, Range(18, 64)),
    ],
)
def test_age_at_the_event_in_whole_years(circe: dict, builder: Range) -> None:
    definition = imported(lambda d: primary(d).update(Age=circe))

    temporal = event_at(definition, 1).temporal
    assert event_at(definition, 0).age_at_event == builder
    assert temporal is not None
    assert temporal.anchor.age_at_event == builder


@pytest.mark.parametrize(
    ("circe", "builder"),
    [
        ({"Value": "2015-01-01", "Op": "gte"}, ("2015-01-01", None)),
        ({"Value": "2015-01-01", "Op": "gt"}, ("2015-01-02", None)),
        ({"Value": "2015-01-01", "Op": "lte"}, (None, "2015-01-01")),
        ({"Value": "2015-01-01", "Op": "lt"}, (None, "2014-12-31")),
        ({"Value": "2015-01-01", "Op": "eq"}, ("2015-01-01", "2015-01-01")),
        ({"Value": "2015-01-01", "Op": "bt", "Extent": "2020-12-31"}, ("2015-01-01", "2020-12-31")),
    ],
)
def test_event_dates(circe: dict, builder: tuple[str | None, str | None]) -> None:
    expected = DateRange(
        *(None if day is None else datetime.date.fromisoformat(day) for day in builder)
    )

    item = event_at(imported(lambda d: measurement(d).update(OccurrenceStartDate=circe)), 1)

    assert item.event_date == expected


def test_with_every_event_an_index_event_age_at_index_limits_the_entry_events_and_the_anchor() -> (
    None
):
    def all_events(data: dict) -> None:
        limit(data, "All")
        data["InclusionRules"].append(
            {
                "name": "Working age",
                "expression": {
                    "Type": "ALL",
                    "CriteriaList": [],
                    "DemographicCriteriaList": [{"Age": {"Value": 18, "Op": "bt", "Extent": 64}}],
                    "Groups": [],
                },
            }
        )

    working_age = EventCriterion("condition", 201826, age_at_event=Range(18, 64))
    assert imported(all_events) == CohortDefinition(
        include=(
            Group((working_age,)),
            Group(
                (
                    EventCriterion(
                        "measurement",
                        3004410,
                        descendants=False,
                        value=Range(6.5, None, min_exclusive=True),
                        temporal=Temporal("before", 365, working_age, "any"),
                    ),
                )
            ),
        )
    )


def test_with_the_first_event_age_at_index_bounds_the_first_event_from_both_sides() -> None:
    def first_event(data: dict) -> None:
        primary(data)["Age"] = {"Value": 10, "Op": "gte"}
        data["InclusionRules"].append(
            {
                "name": "Working age",
                "expression": {
                    "Type": "ALL",
                    "CriteriaList": [],
                    "DemographicCriteriaList": [{"Age": {"Value": 18, "Op": "bt", "Extent": 64}}],
                    "Groups": [],
                },
            }
        )

    from_ten = EventCriterion("condition", 201826, age_at_event=Range(10, None))
    assert imported(first_event) == CohortDefinition(
        include=(
            Group((EventCriterion("condition", 201826, age_at_event=Range(10, 64)),)),
            Group((replace_temporal(HBA1C_HIGH_BEFORE, from_ten),)),
        ),
        exclude=(Group((EventCriterion("condition", 201826, age_at_event=Range(10, 17)),)),),
    )


def replace_temporal(item: EventCriterion, anchor: EventCriterion) -> EventCriterion:
    assert item.temporal is not None
    return EventCriterion(
        item.domain,
        item.concept_id,
        descendants=item.descendants,
        value=item.value,
        temporal=Temporal(
            item.temporal.relation, item.temporal.days, anchor, item.temporal.anchor_occurrence
        ),
    )


def test_an_age_at_index_no_entry_event_can_have_is_refused() -> None:
    def never(data: dict) -> None:
        limit(data, "All")
        primary(data)["Age"] = {"Value": 70, "Op": "gte"}
        rule(data)["DemographicCriteriaList"] = [{"Age": {"Value": 65, "Op": "lt"}}]

    with pytest.raises(DefinitionError) as caught:
        imported(never)

    assert str(caught.value) == (
        f"{RULE}.DemographicCriteriaList[0].Age: the age at the index event and the entry "
        "event's age never overlap"
    )


def test_an_empty_additional_criteria_lets_the_qualified_limit_pick_the_first_event() -> None:
    def qualified(data: dict) -> None:
        limit(data, "All")
        data["AdditionalCriteria"] = {
            "Type": "ALL",
            "CriteriaList": [],
            "DemographicCriteriaList": [],
            "Groups": [],
        }

    assert imported(qualified) == CohortDefinition(
        include=(Group((T2D,)), Group((HBA1C_HIGH_BEFORE,))),
    )


def test_with_every_event_an_index_event_one_window_relates_to_any_of_them() -> None:
    definition = imported(lambda d: limit(d, "All"))

    assert event_at(definition, 1).temporal == Temporal("before", 365, T2D, "any")


def test_the_last_event_is_accepted_when_no_rule_depends_on_it() -> None:
    def last(data: dict) -> None:
        limit(data, "Last")
        correlated(data)["StartWindow"] = {"Start": {"Coeff": -1}, "End": {"Coeff": 1}}

    assert event_at(imported(last), 1).temporal is None


def test_at_most_n_is_excluded_from_n_plus_one() -> None:
    def at_most(data: dict) -> None:
        correlated(data)["Occurrence"] = {"Type": 1, "Count": 2, "IsDistinct": False}

    definition = imported(at_most)

    assert definition.include == (Group((T2D,)),)
    assert definition.exclude == (
        Group(
            (
                EventCriterion(
                    "measurement",
                    3004410,
                    descendants=False,
                    value=Range(6.5, None, min_exclusive=True),
                    occurrences=3,
                    temporal=Temporal("before", 365, T2D, "first"),
                ),
            )
        ),
    )


def test_an_empty_rule_keeps_everyone() -> None:
    def empty(data: dict) -> None:
        data["InclusionRules"].append(
            {
                "name": "Nothing yet",
                "expression": {
                    "Type": "ALL",
                    "CriteriaList": [],
                    "DemographicCriteriaList": [],
                    "Groups": [],
                },
            }
        )

    assert imported(empty) == CohortDefinition(include=(Group((T2D,)), Group((HBA1C_HIGH_BEFORE,))))


# --- export --------------------------------------------------------------------------------

NAMES = {201826: "Type 2 diabetes mellitus", 3004410: "Hemoglobin A1c/Hemoglobin.total in Blood"}


def test_the_t2d_definition_exports_as_atlas_writes_it() -> None:
    definition = CohortDefinition(include=(Group((T2D,)), Group((HBA1C_HIGH_BEFORE,))))

    assert circe_export(definition, NAMES) == {
        "cdmVersionRange": ">=5.0.0",
        "PrimaryCriteria": {
            "CriteriaList": [
                {"ConditionOccurrence": {"CodesetId": 0, "ConditionTypeExclude": False}}
            ],
            "ObservationWindow": {"PriorDays": 0, "PostDays": 0},
            "PrimaryCriteriaLimit": {"Type": "First"},
        },
        "ConceptSets": [
            {
                "id": 0,
                "name": "Type 2 diabetes mellitus",
                "expression": {
                    "items": [
                        {
                            "concept": {
                                "CONCEPT_ID": 201826,
                                "CONCEPT_NAME": "Type 2 diabetes mellitus",
                                "DOMAIN_ID": "Condition",
                                "VOCABULARY_ID": "",
                            },
                            "isExcluded": False,
                            "includeDescendants": True,
                            "includeMapped": False,
                        }
                    ]
                },
            },
            {
                "id": 1,
                "name": "Hemoglobin A1c/Hemoglobin.total in Blood",
                "expression": {
                    "items": [
                        {
                            "concept": {
                                "CONCEPT_ID": 3004410,
                                "CONCEPT_NAME": "Hemoglobin A1c/Hemoglobin.total in Blood",
                                "DOMAIN_ID": "Measurement",
                                "VOCABULARY_ID": "",
                            },
                            "isExcluded": False,
                            "includeDescendants": False,
                            "includeMapped": False,
                        }
                    ]
                },
            },
        ],
        "QualifiedLimit": {"Type": "First"},
        "ExpressionLimit": {"Type": "First"},
        "InclusionRules": [
            {
                "name": "Hemoglobin A1c/Hemoglobin.total in Blood in the 365 days before the index event",
                "description": None,
                "expression": {
                    "Type": "ALL",
                    "CriteriaList": [
                        {
                            "Criteria": {
                                "Measurement": {
                                    "CodesetId": 1,
                                    "ValueAsNumber": {"Value": 6.5, "Op": "gt"},
                                    "MeasurementTypeExclude": False,
                                }
                            },
                            "StartWindow": {
                                "Start": {"Days": 365, "Coeff": -1},
                                "End": {"Days": 0, "Coeff": 1},
                                "UseIndexEnd": False,
                                "UseEventEnd": False,
                            },
                            "RestrictVisit": False,
                            "IgnoreObservationPeriod": False,
                            "Occurrence": {"Type": 2, "Count": 1, "IsDistinct": False},
                        }
                    ],
                    "DemographicCriteriaList": [],
                    "Groups": [],
                },
            }
        ],
        "CensoringCriteria": [],
        "CollapseSettings": {"CollapseType": "ERA", "EraPad": 0},
        "CensorWindow": {},
    }


def test_exclusions_demographics_and_unknown_names_export() -> None:
    definition = CohortDefinition(
        include=(
            Group((DM_NOT_TYPE1,)),
            Group((DemographicCriterion(field="race", values=("asian", "nhpi")),)),
        ),
        exclude=(Group((EventCriterion("drug", 1503297, occurrences=3),)),),
    )

    exported = circe_export(definition)

    assert exported["ConceptSets"][0] == {
        "id": 0,
        "name": "Concept 201820",
        "expression": {
            "items": [
                {
                    "concept": {
                        "CONCEPT_ID": 201820,
                        "CONCEPT_NAME": "",
                        "DOMAIN_ID": "Condition",
                        "VOCABULARY_ID": "",
                    },
                    "isExcluded": False,
                    "includeDescendants": True,
                    "includeMapped": False,
                },
                {
                    "concept": {
                        "CONCEPT_ID": 201254,
                        "CONCEPT_NAME": "",
                        "DOMAIN_ID": "Condition",
                        "VOCABULARY_ID": "",
                    },
                    "isExcluded": True,
                    "includeDescendants": True,
                    "includeMapped": False,
                },
            ]
        },
    }
    assert exported["PrimaryCriteria"]["PrimaryCriteriaLimit"] == {"Type": "All"}
    assert [
        rule["expression"]["DemographicCriteriaList"] for rule in exported["InclusionRules"]
    ] == [
        [
            {
                "Race": [
                    {
                        "CONCEPT_ID": 8515,
                        "CONCEPT_NAME": "Asian",
                        "DOMAIN_ID": "Race",
                        "VOCABULARY_ID": "Race",
                    },
                    {
                        "CONCEPT_ID": 8557,
                        "CONCEPT_NAME": "Native Hawaiian or Other Pacific Islander",
                        "DOMAIN_ID": "Race",
                        "VOCABULARY_ID": "Race",
                    },
                ]
            }
        ],
        [],
    ]
    assert exported["InclusionRules"][1]["name"] == "Not drug 1503297"
    assert exported["InclusionRules"][1]["expression"]["CriteriaList"][0]["Occurrence"] == {
        "Type": 1,
        "Count": 2,
        "IsDistinct": False,
    }
    assert exported["InclusionRules"][1]["expression"]["CriteriaList"][0]["StartWindow"] == {
        "Start": {"Coeff": -1},
        "End": {"Coeff": 1},
        "UseIndexEnd": False,
        "UseEventEnd": False,
    }
    assert circe_import(exported) == definition


@pytest.mark.parametrize(
    "name",
    [
        "t2d_hba1c_first_event.json",
        "diabetes_excluding_type1.json",
        "hypertension_adult_women.json",
    ],
)
def test_an_imported_atlas_export_exports_and_imports_back_equal(name: str) -> None:
    definition = circe_import(fixture(name))

    assert circe_import(json.dumps(circe_export(definition))) == definition


SURVEY = SurveyCriterion(question="annual_income", answers=("income_less_10k",))
WOMEN = DemographicCriterion(field="sex", values=("female",))
T1D_WITHIN = EventCriterion("condition", 201254, temporal=Temporal("within", 30, T2D, "first"))

EXPORT_REFUSED = [
    (
        CohortDefinition(),
        "include: Circe needs entry events: the first include group must be event criteria",
    ),
    (
        CohortDefinition(include=(Group((WOMEN,)), Group((T2D,)))),
        "include[0].items[0]: the first include group becomes Circe's entry events and must hold "
        "event criteria only, not demographic criteria",
    ),
    (
        CohortDefinition(include=(Group((T1D_WITHIN,)),)),
        "include[0].items[0].temporal: an entry event (first include group) cannot be temporal",
    ),
    (
        CohortDefinition(include=(Group((EventCriterion("condition", 201826, occurrences=2),)),)),
        "include[0].items[0].occurrences: a number of occurrences on an entry event (first "
        "include group) is not supported",
    ),
    (
        CohortDefinition(include=(Group((T2D,)), Group((SURVEY,)))),
        "include[1].items[0]: survey criteria have no Circe form",
    ),
    (
        CohortDefinition(
            include=(
                Group((T2D,)),
                Group((DemographicCriterion(field="age", age=Range(18, None)),)),
            )
        ),
        "include[1].items[0]: age at consent has no Circe form (Circe's demographic age is at the "
        "index event; use age_at_event on the first include group)",
    ),
    (
        CohortDefinition(
            include=(Group((T2D,)), Group((DemographicCriterion(field="ubr", values=("income",)),)))
        ),
        "include[1].items[0]: ubr criteria have no Circe form",
    ),
    (
        CohortDefinition(
            include=(
                Group((T2D,)),
                Group((DemographicCriterion(field="race", values=("white", "mena")),)),
            )
        ),
        "include[1].items[0].values[1]: race mena has no OMOP concept Circe could use",
    ),
    (
        CohortDefinition(
            include=(
                Group((T2D,)),
                Group((DemographicCriterion(field="sex", values=("intersex",)),)),
            )
        ),
        "include[1].items[0].values[0]: sex intersex has no OMOP concept Circe could use",
    ),
    (
        CohortDefinition(include=(Group((T2D,)),), exclude=(Group((WOMEN,)),)),
        "exclude[0].items[0]: an exclude group of demographic criteria has no Circe form (Circe "
        "excludes by events)",
    ),
    (
        CohortDefinition(
            include=(Group((T2D, EventCriterion("condition", 443238))), Group((T1D_WITHIN,)))
        ),
        "include[1].items[0].temporal.anchor: in Circe a window is relative to the index event: "
        "the anchor must be the first include group's one criterion",
    ),
    (
        CohortDefinition(
            include=(
                Group((T2D,)),
                Group(
                    (
                        EventCriterion(
                            "condition",
                            201254,
                            temporal=Temporal("within", 30, EventCriterion("condition", 201254)),
                        ),
                    )
                ),
            )
        ),
        "include[1].items[0].temporal.anchor: in Circe a window is relative to the index event: "
        "the anchor must be the first include group's one criterion",
    ),
    (
        CohortDefinition(
            include=(
                Group((T2D,)),
                Group(
                    (
                        T1D_WITHIN,
                        EventCriterion("drug", 1503297, temporal=Temporal("after", 7, T2D, "any")),
                    )
                ),
            )
        ),
        "include[1].items[1].temporal.anchor_occurrence: anchors on the first event and on any "
        "event together have no Circe form (one primary criteria limit)",
    ),
    (
        CohortDefinition(
            include=(Group((T2D,)),),
            exclude=(
                Group((EventCriterion("condition", 201254, temporal=Temporal("within", 30, T2D)),)),
            ),
        ),
        "exclude[0].items[0].temporal: an exclusion relative to any anchor event has no Circe form "
        "(use anchor_occurrence first)",
    ),
    (
        CohortDefinition(
            include=(
                Group((T2D,)),
                Group(
                    (
                        EventCriterion(
                            "condition", 201254, occurrences=2, temporal=Temporal("within", 30, T2D)
                        ),
                    )
                ),
            ),
        ),
        "include[1].items[0].occurrences: several occurrences relative to any anchor event have "
        "no Circe form (use anchor_occurrence first)",
    ),
    (
        CohortDefinition(
            include=(
                Group((T2D,)),
                Group((EventCriterion("condition", 201254, temporal=Temporal("within", 30, T2D)),)),
                Group((EventCriterion("drug", 1503297, temporal=Temporal("after", 30, T2D)),)),
            ),
        ),
        "include: more than one group relative to any anchor event has no Circe form (Circe "
        "checks every rule against the same index event; use anchor_occurrence first)",
    ),
    (
        CohortDefinition(
            include=(
                Group(
                    (
                        EventCriterion(
                            "measurement", 3004410, value=Range(6.5, 9, min_exclusive=True)
                        ),
                    )
                ),
            )
        ),
        "include[0].items[0].value: a range with an exclusive bound and a second bound has no Circe form",
    ),
]


@pytest.mark.parametrize(("definition", "message"), EXPORT_REFUSED)
def test_a_definition_outside_circe_is_refused_by_name_on_export(
    definition: CohortDefinition, message: str
) -> None:
    with pytest.raises(CirceUnsupported) as caught:
        circe_export(definition)

    assert str(caught.value) == message


# --- round trip over the exportable subset (hypothesis) -----------------------------------

concept_ids = st.integers(1, MAX_CONCEPT_ID)
whole = st.integers(0, 130)
ONCE = st.just(1)
NO_TEMPORAL = st.none()


def bounds(values: st.SearchStrategy) -> st.SearchStrategy:
    """Two bounds, at least one given, the lower first."""
    return (
        st.tuples(st.none() | values, st.none() | values)
        .filter(lambda pair: pair != (None, None))
        .map(lambda pair: tuple(sorted(pair)) if None not in pair else pair)
    )


@st.composite
def values(draw: st.DrawFn) -> Range:
    low, high = draw(
        bounds(st.one_of(st.integers(-1000, 1000), st.floats(-1e6, 1e6, allow_nan=False)))
    )
    if low is not None and high is not None:
        return Range(low, high)
    return Range(
        low,
        high,
        min_exclusive=low is not None and draw(st.booleans()),
        max_exclusive=high is not None and draw(st.booleans()),
    )


@st.composite
def events(
    draw: st.DrawFn,
    *,
    occurrences: st.SearchStrategy = ONCE,
    temporal: st.SearchStrategy = NO_TEMPORAL,
) -> EventCriterion:
    domain = draw(st.sampled_from(["condition", "drug", "measurement", "procedure", "observation"]))
    return EventCriterion(
        domain=domain,
        concept_id=draw(concept_ids),
        descendants=draw(st.booleans()),
        excluded=tuple(
            draw(st.lists(st.builds(ConceptRef, concept_ids, st.booleans()), max_size=3))
        ),
        value=draw(st.none() | values()) if domain == "measurement" else None,
        age_at_event=draw(st.none() | bounds(whole).map(lambda pair: Range(*pair))),
        occurrences=draw(occurrences),
        event_date=draw(
            st.none() | bounds(st.dates(MIN_DATE, MAX_DATE)).map(lambda pair: DateRange(*pair))
        ),
        temporal=draw(temporal),
    )


def subsets(values: tuple[str, ...]) -> st.SearchStrategy:
    return st.lists(st.sampled_from(values), min_size=1, unique=True).map(tuple)


circe_demographics = st.one_of(
    subsets(("male", "female")).map(lambda v: DemographicCriterion(field="sex", values=v)),
    subsets(("white", "black", "asian", "aian", "nhpi")).map(
        lambda v: DemographicCriterion(field="race", values=v)
    ),
    subsets(("hispanic_latino", "not_hispanic_latino")).map(
        lambda v: DemographicCriterion(field="ethnicity", values=v)
    ),
)


def temporals(anchor: EventCriterion, occurrence: Literal["any", "first"]) -> st.SearchStrategy:
    return st.builds(
        lambda relation, days: Temporal(relation if days else "within", days, anchor, occurrence),
        st.sampled_from(RELATIONS),
        st.integers(0, MAX_DAYS),
    )


@st.composite
def exportable(draw: st.DrawFn, *, anchored: bool = False) -> CohortDefinition:
    """A definition in the exportable subset; `anchored`: one entry criterion and windows."""
    if anchored or draw(st.booleans()):
        entry = [draw(events())]
    else:
        entry = draw(st.lists(events(), min_size=2, max_size=3))
    occurrence: Literal["any", "first"] = draw(st.sampled_from(["first", "any"]))
    include = [Group(tuple(entry))]
    windowed_groups = 0
    for index in range(draw(st.integers(1 if anchored else 0, 4))):
        # With every event an index event Circe has room for one window group, of single events.
        window_here = (
            len(entry) == 1
            and (occurrence == "first" or windowed_groups == 0)
            and ((anchored and index == 0) or draw(st.booleans()))
        )
        counts = ONCE if window_here and occurrence == "any" else st.integers(1, MAX_OCCURRENCES)
        windowed = events(occurrences=counts, temporal=temporals(entry[0], occurrence))
        plain = events(occurrences=counts)
        items = draw(st.lists(windowed | plain | circe_demographics, min_size=1, max_size=3))
        if window_here and not any(isinstance(item, EventCriterion) for item in items):
            items.append(draw(windowed))
        if not window_here:
            items = [
                replace(item, temporal=None) if isinstance(item, EventCriterion) else item
                for item in items
            ]
        windowed_groups += any(isinstance(item, EventCriterion) and item.temporal for item in items)
        include.append(Group(tuple(items)))
    exclude = []
    for _ in range(draw(st.integers(0, 3))):
        counts = st.integers(1, MAX_OCCURRENCES)
        choices = events(occurrences=counts)
        if len(entry) == 1 and occurrence == "first":
            choices = choices | events(occurrences=counts, temporal=temporals(entry[0], "first"))
        exclude.append(Group(tuple(draw(st.lists(choices, min_size=1, max_size=3)))))
    return CohortDefinition(include=tuple(include), exclude=tuple(exclude))


def events_first(definition: CohortDefinition) -> CohortDefinition:
    """Circe keeps a rule's events and demographics in two lists: events come back first."""

    def order(group: Group) -> Group:
        return Group(
            tuple(sorted(group.items, key=lambda item: isinstance(item, DemographicCriterion)))
        )

    return CohortDefinition(
        include=tuple(order(group) for group in definition.include),
        exclude=tuple(order(group) for group in definition.exclude),
    )


@given(exportable())
@settings(max_examples=300, deadline=None)
def test_every_exportable_definition_imports_back_equal(definition: CohortDefinition) -> None:
    exported = circe_export(
        definition,
        {
            item.concept_id: "A concept"
            for item in definition.criteria()
            if isinstance(item, EventCriterion)
        },
    )

    assert circe_import(json.dumps(exported)) == events_first(definition)


@given(exportable(anchored=True))
@settings(max_examples=200, deadline=None)
def test_every_exportable_definition_with_windows_imports_back_equal(
    definition: CohortDefinition,
) -> None:
    assert circe_import(json.dumps(circe_export(definition))) == events_first(definition)


@given(exportable())
@settings(max_examples=50, deadline=None)
def test_the_export_is_plain_json_with_atlas_top_level_keys(definition: CohortDefinition) -> None:
    exported = circe_export(definition)

    assert json.loads(json.dumps(exported)) == exported
    assert list(exported) == [
        "cdmVersionRange",
        "PrimaryCriteria",
        "ConceptSets",
        "QualifiedLimit",
        "ExpressionLimit",
        "InclusionRules",
        "CensoringCriteria",
        "CollapseSettings",
        "CensorWindow",
    ]
