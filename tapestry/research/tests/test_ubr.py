"""The UBR rules, pinned in the program's own answer codes (ubr.PROGRAM_ANSWERS maps them)."""

import datetime as dt
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from tapestry.research.warehouse import schema, ubr

P = ubr.from_program  # the program's answer code -> the warehouse's

# A participant in no underrepresented group who answered everything: each test changes one
# answer, written in the program's codes.
REPRESENTED = {
    "person_id": 1,
    "site": "chicago",
    "consent_date": dt.date(2024, 3, 1),
    "age_at_consent": 40,
    "race_answers": [P("WhatRaceEthnicity_White")],
    "sex_at_birth": P("SexAtBirth_Male"),
    "gender_answers": [P("GenderIdentity_Man")],
    "sexual_orientation": P("SexualOrientation_Straight"),
    "income_bracket": P("AnnualIncome_more200k"),
    "household_size": 2,
    "education": P("HighestGrade_CollegeGraduate"),
    "zip": "60601",
    "rural_zip": False,
    "disability_blind": P("Blind_No"),
    "disability_deaf": P("Deaf_No"),
    "disability_walking": P("WalkingClimbing_No"),
    "disability_dressing": P("DressingBathing_No"),
    "disability_errands": P("ErrandsAlone_No"),
    "disability_concentrating": P("DifficultyConcentrating_No"),
    "health_insurance": P("HealthInsurance_Yes"),
    "usual_source_of_care": P("PlaceforHealthAdvice_Yes"),
    "delayed_care_cost": P("CantAffordCoPay_No"),
    "delayed_care_transport": P("Transportation_No"),
    "delayed_care_time_off_work": P("TimeOffWork_No"),
    "delayed_care_childcare": P("ChildCare_No"),
    "delayed_care_eldercare": P("ElderlyCare_No"),
    "discrimination_delayed_care": P("DelayedOrNoCare_Never"),
}
NOT_ANSWERED = (None, "PMI_Skip", "PMI_PreferNotToAnswer")


def participants(*changes: dict[str, Any]) -> pa.Table:
    rows = [{**REPRESENTED, "person_id": i + 1, **change} for i, change in enumerate(changes)]
    return pa.Table.from_pylist(rows, schema=schema.PARTICIPANT_FEATURES)


def classify_one(**answers: Any) -> dict[str, Any]:
    return dict(ubr.classify(participants(answers)).to_pylist()[0])


def program(code: str | None) -> str | None:
    return None if code is None else P(code)


def test_every_program_code_maps_to_a_warehouse_code() -> None:
    answers = {code for codes in schema.SURVEY.values() for code in codes}
    assert set(ubr.PROGRAM_ANSWERS.values()) <= answers | {schema.SKIP, schema.PREFER_NOT}
    assert set(ubr.PROGRAM_QUESTIONS.values()) <= {*schema.SURVEY, "zip"}


def test_the_reference_participant_is_in_no_category_and_answered_all() -> None:
    result = classify_one()

    assert {code: result[code] for code in (*ubr.CATEGORIES_BY_CODE, "ubr")} == dict.fromkeys(
        (*ubr.CATEGORIES_BY_CODE, "ubr"), False
    )
    assert all(result[column] for column in ubr.ANSWERED_COLUMNS)


@pytest.mark.parametrize(
    ("answers", "expected", "answered"),
    [
        (["WhatRaceEthnicity_White"], False, True),
        (["WhatRaceEthnicity_Black"], True, True),
        (["WhatRaceEthnicity_White", "WhatRaceEthnicity_Hispanic"], True, True),
        (["WhatRaceEthnicity_MENA"], True, True),
        (["WhatRaceEthnicity_RaceEthnicityNoneOfThese"], True, True),
        (["PMI_Skip"], False, False),
        (["PMI_PreferNotToAnswer"], False, False),
        ([], False, False),
    ],
)
def test_race_and_ethnicity(answers: list[str], expected: bool, answered: bool) -> None:
    result = classify_one(race_answers=[P(code) for code in answers])

    assert (result["race_ethnicity"], result["race_ethnicity_answered"]) == (expected, answered)
    assert result["minority"] is expected


@pytest.mark.parametrize(
    ("age", "expected"), [(17, True), (18, False), (64, False), (65, True), (None, False)]
)
def test_age_at_consent(age: int | None, expected: bool) -> None:
    result = classify_one(age_at_consent=age)

    assert (result["age"], result["age_answered"]) == (expected, age is not None)


@pytest.mark.parametrize(
    ("answer", "expected", "answered"),
    [
        ("SexAtBirth_Male", False, True),
        ("SexAtBirth_Female", False, True),
        ("SexAtBirth_Intersex", True, True),
        ("SexAtBirth_SexAtBirthNoneOfThese", True, True),
        *((code, False, False) for code in NOT_ANSWERED),
    ],
)
def test_sex_at_birth(answer: str | None, expected: bool, answered: bool) -> None:
    # The release drops skips before classifying; a skip reaching the rule is not answered too
    result = classify_one(sex_at_birth=program(answer), gender_answers=[])

    assert (result["sex_at_birth"], result["sex_at_birth_answered"]) == (expected, answered)


@pytest.mark.parametrize(
    ("sex", "genders", "expected"),
    [
        ("SexAtBirth_Male", ["GenderIdentity_Man"], False),
        ("SexAtBirth_Female", ["GenderIdentity_Woman"], False),
        ("SexAtBirth_Female", ["GenderIdentity_Man"], True),
        ("SexAtBirth_Male", ["GenderIdentity_Woman"], True),
        ("SexAtBirth_Intersex", ["GenderIdentity_Man"], True),
        ("SexAtBirth_SexAtBirthNoneOfThese", ["GenderIdentity_Woman"], True),
        (None, ["GenderIdentity_Man"], False),  # an unknown sex at birth matches either
        ("SexAtBirth_Male", ["GenderIdentity_NonBinary"], True),
        ("SexAtBirth_Male", ["GenderIdentity_Transgender"], True),
        ("SexAtBirth_Male", ["GenderIdentity_AdditionalOptions"], True),
        # More than one answer counts, even man and woman together
        ("SexAtBirth_Male", ["GenderIdentity_Man", "GenderIdentity_Transgender"], True),
        ("SexAtBirth_Female", ["GenderIdentity_Woman", "GenderIdentity_Man"], True),
    ],
)
def test_gender_identity(sex: str | None, genders: list[str], expected: bool) -> None:
    result = classify_one(sex_at_birth=program(sex), gender_answers=[P(g) for g in genders])

    assert result["sexual_orientation_gender_identity"] is expected
    assert result["sexual_orientation_gender_identity_answered"] is True


@pytest.mark.parametrize(
    ("orientation", "genders", "expected", "answered"),
    [
        ("SexualOrientation_Gay", ["GenderIdentity_Man"], True, True),
        ("SexualOrientation_Lesbian", ["GenderIdentity_Man"], True, True),
        ("SexualOrientation_Bisexual", ["GenderIdentity_Man"], True, True),
        ("SexualOrientation_None", ["GenderIdentity_Man"], True, True),
        ("SexualOrientation_Straight", ["GenderIdentity_Man"], False, True),
        # Either part UBR is UBR; one part not answered and the other not UBR is not answered
        ("PMI_Skip", ["GenderIdentity_NonBinary"], True, True),
        ("SexualOrientation_Gay", ["PMI_Skip"], True, True),
        ("PMI_Skip", ["GenderIdentity_Man"], False, False),
        ("SexualOrientation_Straight", ["GenderIdentity_PreferNotToAnswer"], False, False),
        ("PMI_PreferNotToAnswer", [], False, False),
    ],
)
def test_sexual_orientation(
    orientation: str, genders: list[str], expected: bool, answered: bool
) -> None:
    result = classify_one(sexual_orientation=P(orientation), gender_answers=[P(g) for g in genders])

    assert result["sexual_orientation_gender_identity"] is expected
    assert result["sexual_orientation_gender_identity_answered"] is answered


# 2024 guideline, contiguous states: 1 person $15,060 (200 %: $30,120); 4 people $31,200
# (200 %: $62,400); 8 people $52,720; each person above 8 adds $5,380.
@pytest.mark.parametrize(
    ("bracket", "household", "expected"),
    [
        ("AnnualIncome_less10k", 1, True),
        ("AnnualIncome_25k35k", 1, True),  # 25,000 < 30,120
        ("AnnualIncome_35k50k", 1, False),  # 35,000 >= 30,120
        ("AnnualIncome_50k75k", 4, True),  # 50,000 < 62,400
        ("AnnualIncome_75k100k", 4, False),
        ("AnnualIncome_100k150k", 8, True),  # 8 people: 2 x 52,720 = 105,440
        ("AnnualIncome_more200k", 30, True),  # 30 people: 2 x (52,720 + 22 x 5,380) = 342,160
        ("AnnualIncome_25k35k", None, True),  # a missing household size counts as 1
        ("AnnualIncome_35k50k", None, False),
        ("AnnualIncome_35k50k", 0, False),  # below 1 counts as 1
    ],
)
def test_income_bracket_lower_bound_below_twice_the_guideline(
    bracket: str, household: int | None, expected: bool
) -> None:
    result = classify_one(income_bracket=P(bracket), household_size=household)

    assert (result["income"], result["income_answered"]) == (expected, True)


@pytest.mark.parametrize("answer", ["PMI_Skip", "PMI_PreferNotToAnswer"])
def test_a_skipped_income_is_not_answered(answer: str) -> None:
    result = classify_one(income_bracket=P(answer), household_size=1)

    assert (result["income"], result["income_answered"]) == (False, False)


def test_income_years_past_the_table_use_its_nearest_year() -> None:
    # 2030 is past the table: the last year's guideline applies; 2010 before it: the first's
    late = classify_one(consent_date=dt.date(2030, 1, 5), income_bracket=P("AnnualIncome_25k35k"))
    early = classify_one(consent_date=dt.date(2010, 1, 5), income_bracket=P("AnnualIncome_25k35k"))

    assert late["income"] is True
    assert early["income_answered"] is True


def test_alaska_uses_its_own_table() -> None:
    # 2024 Alaska, 1 person: $18,810, 200 % = $37,620 > 35,000
    alaska = classify_one(zip="99501", income_bracket=P("AnnualIncome_35k50k"), household_size=1)
    chicago = classify_one(zip="60601", income_bracket=P("AnnualIncome_35k50k"), household_size=1)

    assert (alaska["income"], chicago["income"]) == (True, False)


@pytest.mark.parametrize(
    ("answer", "expected", "answered"),
    [
        ("HighestGrade_NeverAttended", True, True),
        ("HighestGrade_OneThroughFour", True, True),
        ("HighestGrade_FiveThroughEight", True, True),
        ("HighestGrade_NineThroughEleven", True, True),
        ("HighestGrade_TwelveOrGED", False, True),
        ("HighestGrade_AdvancedDegree", False, True),
        *((code, False, False) for code in NOT_ANSWERED),
    ],
)
def test_education(answer: str | None, expected: bool, answered: bool) -> None:
    result = classify_one(education=program(answer))

    assert (result["education"], result["education_answered"]) == (expected, answered)


@pytest.mark.parametrize(
    ("rural_zip", "expected", "answered"),
    [(True, True, True), (False, False, True), (None, False, False)],
)
def test_rural_geography(rural_zip: bool | None, expected: bool, answered: bool) -> None:
    result = classify_one(rural_zip=rural_zip)

    assert (result["rural"], result["rural_answered"]) == (expected, answered)


DISABILITY = (
    ("disability_blind", "Blind"),
    ("disability_deaf", "Deaf"),
    ("disability_walking", "WalkingClimbing"),
    ("disability_dressing", "DressingBathing"),
    ("disability_errands", "ErrandsAlone"),
    ("disability_concentrating", "DifficultyConcentrating"),
)


@pytest.mark.parametrize(("question", "prefix"), DISABILITY)
def test_any_disability_yes_counts(question: str, prefix: str) -> None:
    result = classify_one(**{question: P(f"{prefix}_Yes")})

    assert (result["disability"], result["ubr"]) == (True, True)


def test_disability_all_skipped_or_declined_is_not_answered() -> None:
    answers = {q: P(f"{prefix}_PreferNotToAnswer") for q, prefix in DISABILITY}
    answers["disability_deaf"] = P("PMI_Skip")

    result = classify_one(**answers)

    assert (result["disability"], result["disability_answered"]) == (False, False)


@pytest.mark.parametrize(
    ("answers", "expected", "answered"),
    [
        ({"health_insurance": "HealthInsurance_No"}, True, True),
        ({"usual_source_of_care": "PlaceforHealthAdvice_No"}, True, True),
        ({"delayed_care_cost": "CantAffordCoPay_Yes"}, True, True),
        # One barrier alone is not limited access; two are
        ({"delayed_care_transport": "Transportation_Yes"}, False, True),
        (
            {
                "delayed_care_transport": "Transportation_Yes",
                "delayed_care_childcare": "ChildCare_Yes",
            },
            True,
            True,
        ),
        (
            {
                "delayed_care_time_off_work": "TimeOffWork_Yes",
                "delayed_care_eldercare": "ElderlyCare_Yes",
            },
            True,
            True,
        ),
        (
            {
                "delayed_care_childcare": "ChildCare_Yes",
                "discrimination_delayed_care": "DelayedOrNoCare_SomeOfTheTime",
            },
            True,
            True,
        ),
        (
            {
                "delayed_care_childcare": "ChildCare_Yes",
                "discrimination_delayed_care": "DelayedOrNoCare_Rarely",
            },
            False,
            True,
        ),
        ({"discrimination_delayed_care": "DelayedOrNoCare_Always"}, False, True),
        (
            {"health_insurance": "PMI_Skip", "usual_source_of_care": "PMI_PreferNotToAnswer"},
            False,
            False,
        ),
    ],
)
def test_access_to_care_is_its_own_category_outside_the_overall_flag(
    answers: dict[str, str], expected: bool, answered: bool
) -> None:
    result = classify_one(**{question: P(code) for question, code in answers.items()})

    assert (result["access_to_care"], result["access_to_care_answered"]) == (expected, answered)
    assert result["ubr"] is False  # never part of the overall flag


def test_a_participant_who_skipped_everything_is_not_ubr_and_answered_nothing() -> None:
    unknown = {name: None for name in schema.PARTICIPANT_FEATURES.names if name != "person_id"}

    result = classify_one(**unknown)

    assert not any(result[code] for code in (*ubr.CATEGORIES_BY_CODE, "ubr", "minority"))
    assert not any(result[column] for column in ubr.ANSWERED_COLUMNS)


def test_the_output_columns_are_stable_and_never_null() -> None:
    result = ubr.classify(participants({}, {"rural_zip": None}))

    assert tuple(result.column_names) == ubr.OUTPUT_COLUMNS
    assert all(result.column(name).null_count == 0 for name in ubr.OUTPUT_COLUMNS)
    assert ubr.ACCESS_TO_CARE not in ubr.OVERALL_CATEGORIES


def test_a_table_missing_a_feature_column_is_refused() -> None:
    with pytest.raises(ValueError, match="household_size"):
        ubr.classify(participants({}).drop_columns(["household_size"]))


def test_many_participants_are_each_classified() -> None:
    rng = np.random.default_rng(7)
    rows = 50_000
    base = participants({})
    table = pa.concat_tables([base] * rows)
    brackets = pa.array(schema.SURVEY["annual_income"]).take(pa.array(rng.integers(0, 9, rows)))
    table = table.set_column(
        table.schema.get_field_index("income_bracket"), "income_bracket", brackets
    )

    result = ubr.classify(table)

    assert result.num_rows == rows
    assert 0 < pc.sum(result.column("ubr")).as_py() < rows
