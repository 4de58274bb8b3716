import datetime as dt
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from tapestry.research.warehouse import schema, ubr

SKIP, PREFER_NOT = schema.SKIP, schema.PREFER_NOT

# A participant in no underrepresented group: every other test changes one answer.
REPRESENTED = {
    "person_id": 1,
    "site": "chicago",
    "consent_date": dt.date(2024, 3, 1),
    "age_at_consent": 40,
    "race_answers": ["race_white"],
    "sex_at_birth": "sex_male",
    "gender_identity": "gender_man",
    "sexual_orientation": "orientation_straight",
    "annual_income": 250_000.0,
    "household_size": 2,
    "education": "education_college_graduate",
    "zip": "60601",
    "rural_zip": False,
    **{question: "no" for question in schema.DISABILITY_QUESTIONS},
    "health_insurance": "yes",
    "usual_source_of_care": "yes",
    "delayed_care_cost": "no",
    "delayed_care_transport": "no",
}


def participants(*changes: dict) -> pa.Table:
    """One row per dict: the represented participant with those answers changed."""
    rows = [
        {**REPRESENTED, "person_id": index + 1, **change} for index, change in enumerate(changes)
    ]
    return pa.Table.from_pylist(rows, schema=schema.PARTICIPANT_FEATURES)


def classify_one(**answers: Any) -> dict:
    return ubr.classify(participants(answers)).to_pylist()[0]


def test_the_reference_participant_is_in_no_category() -> None:
    # given a participant who answered every question and fits no rule
    # when classified
    result = classify_one()

    # then every flag is False
    assert result == {"person_id": 1, **dict.fromkeys(ubr.OUTPUT_COLUMNS[1:], False)}


def test_a_participant_who_skipped_everything_is_in_no_category() -> None:
    # given a participant whose every answer is missing
    unknown = {name: None for name in schema.PARTICIPANT_FEATURES.names if name != "person_id"}

    # when classified
    result = classify_one(**unknown)

    # then missing answers never make anyone underrepresented
    assert result == {"person_id": 1, **dict.fromkeys(ubr.OUTPUT_COLUMNS[1:], False)}


@pytest.mark.parametrize(
    ("race_answers", "expected"),
    [
        (["race_white", "race_hispanic"], True),
        (["race_hispanic"], True),
        (["race_black"], True),
        (["race_white", "race_black"], True),
        (["race_asian"], True),
        (["race_aian"], True),
        (["race_nhpi"], True),
        (["race_mena"], True),
        (["race_none_of_these"], True),
        ([SKIP, "race_asian"], True),
        (["race_white"], False),
        (["race_white", SKIP], False),
        (["race_white", None], False),
        ([], False),
        ([SKIP], False),
        ([PREFER_NOT], False),
        (None, False),
    ],
)
def test_race_and_ethnicity_other_than_white_only_is_minority(
    race_answers: list[Any] | None, expected: bool
) -> None:
    # given the answers chosen for race and ethnicity
    # when classified
    result = classify_one(race_answers=race_answers)

    # then minority and the race_ethnicity category agree with the rule
    assert result["race_ethnicity"] is expected
    assert result["minority"] is expected
    assert result["ubr"] is expected


@pytest.mark.parametrize(
    ("age", "expected"),
    [(65, True), (64, False), (17, True), (18, False), (0, True), (101, True), (None, False)],
)
def test_age_65_or_older_or_under_18_at_consent(age: int | None, expected: bool) -> None:
    # given an age at consent
    # when classified
    result = classify_one(age_at_consent=age)

    # then exactly 65 and 17 are UBR, 64 and 18 are not, unknown is not
    assert result["age"] is expected
    assert result["ubr"] is expected


@pytest.mark.parametrize(
    ("sex", "expected"),
    [
        ("sex_intersex", True),
        ("sex_male", False),
        ("sex_female", False),
        ("sex_none_of_these", False),
        (SKIP, False),
        (None, False),
    ],
)
def test_intersex_sex_at_birth(sex: Any, expected: bool) -> None:
    # given a sex at birth, with gender identity left unanswered so only this rule applies
    # when classified
    result = classify_one(sex_at_birth=sex, gender_identity=None)

    # then only intersex is UBR in this category
    assert result["sex_at_birth"] is expected
    assert result["ubr"] is expected


@pytest.mark.parametrize(
    ("orientation", "gender", "sex", "expected"),
    [
        ("orientation_straight", "gender_man", "sex_male", False),
        ("orientation_straight", "gender_woman", "sex_female", False),
        ("orientation_gay", "gender_man", "sex_male", True),
        ("orientation_lesbian", "gender_woman", "sex_female", True),
        ("orientation_bisexual", "gender_woman", "sex_female", True),
        ("orientation_none_of_these", "gender_man", "sex_male", True),
        ("orientation_straight", "gender_non_binary", "sex_male", True),
        ("orientation_straight", "gender_transgender", "sex_female", True),
        ("orientation_straight", "gender_additional", None, True),
        ("orientation_straight", "gender_man", "sex_female", True),
        ("orientation_straight", "gender_woman", "sex_male", True),
        ("orientation_straight", "gender_man", "sex_intersex", True),
        ("orientation_straight", "gender_woman", "sex_none_of_these", True),
        ("orientation_straight", "gender_man", None, False),
        ("orientation_straight", "gender_woman", SKIP, False),
        ("orientation_straight", "gender_man", PREFER_NOT, False),
        (SKIP, "gender_man", "sex_male", False),
        (None, None, "sex_male", False),
        (PREFER_NOT, SKIP, "sex_female", False),
        ("orientation_gay", SKIP, None, True),
        (SKIP, "gender_non_binary", SKIP, True),
    ],
)
def test_sexual_orientation_and_gender_identity(
    orientation: Any, gender: Any, sex: Any, expected: bool
) -> None:
    # given orientation, gender identity and sex at birth
    # when classified
    result = classify_one(sexual_orientation=orientation, gender_identity=gender, sex_at_birth=sex)

    # then orientation other than straight, or gender not matching a known sex at birth, is UBR
    assert result["sexual_orientation_gender_identity"] is expected


# 2024 contiguous guideline: 1 person 15,060 (200% = 30,120); 8 people 52,720, +5,380 each.
@pytest.mark.parametrize(
    ("income", "household_size", "expected"),
    [
        (30_120.0, 1, True),  # exactly 200%
        (30_121.0, 1, False),
        (30_120.01, 1, False),
        (0.0, 1, True),
        (2 * 20_440.0, 2, True),
        (2 * 20_440.0 + 1, 2, False),
        (2 * 52_720.0, 8, True),
        (2 * 52_720.0 + 1, 8, False),
        (2 * (52_720.0 + 5_380), 9, True),
        (2 * (52_720.0 + 5_380) + 1, 9, False),
        (2 * (52_720.0 + 3 * 5_380), 11, True),
        (None, 1, False),
        (float("nan"), 1, False),
        (-5.0, 1, False),
        (1_000.0, None, False),
        (1_000.0, 0, False),
    ],
)
def test_income_at_or_below_200_percent_of_the_poverty_line(
    income: Any, household_size: int | None, expected: bool
) -> None:
    # given a 2024 consent, a household income and a household size
    # when classified
    result = classify_one(annual_income=income, household_size=household_size)

    # then income at or below twice the guideline for that size is UBR; unknown is not
    assert result["income"] is expected
    assert result["ubr"] is expected


@pytest.mark.parametrize(
    ("consent_date", "income", "expected"),
    [
        (dt.date(2018, 6, 1), 2 * 12_140.0, True),
        (dt.date(2018, 6, 1), 2 * 12_140.0 + 1, False),
        (dt.date(2012, 6, 1), 2 * 12_140.0, True),  # before the table: the 2018 guideline
        (dt.date(2012, 6, 1), 2 * 12_140.0 + 1, False),
        (dt.date(2025, 1, 2), 2 * 15_650.0, True),
        (dt.date(2031, 6, 1), 2 * 15_650.0, True),  # after the table: the 2025 guideline
        (dt.date(2031, 6, 1), 2 * 15_650.0 + 1, False),
        (None, 1_000.0, False),
    ],
)
def test_income_uses_the_guideline_of_the_consent_year_clamped_to_the_table(
    consent_date: Any, income: Any, expected: bool
) -> None:
    # given a one-person household consenting in a given year
    # when classified
    result = classify_one(consent_date=consent_date, annual_income=income, household_size=1)

    # then that year's guideline applies, the nearest year outside the table, unknown if no date
    assert result["income"] is expected


@pytest.mark.parametrize(
    ("zip_code", "income", "expected"),
    [
        ("99501", 2 * 18_810.0, True),  # Anchorage: the Alaska table
        ("60601", 2 * 18_810.0, False),
        ("96813", 2 * 17_310.0, True),  # Honolulu: the Hawaii table
        ("96813", 2 * 17_310.0 + 1, False),
        (None, 2 * 15_060.0, True),
    ],
)
def test_alaska_and_hawaii_zip_codes_use_their_own_poverty_tables(
    zip_code: str | None, income: Any, expected: bool
) -> None:
    # given a one-person household in 2024 living in a ZIP code
    # when classified
    result = classify_one(zip=zip_code, annual_income=income, household_size=1)

    # then the state's table decides
    assert result["income"] is expected


def test_the_guideline_year_can_be_chosen_by_the_caller() -> None:
    # given a one-person household consenting in 2025 with an income between 200% of the 2024
    # and the 2025 guidelines
    table = participants(
        {"consent_date": dt.date(2025, 1, 5), "annual_income": 31_000.0, "household_size": 1}
    )

    # when classified with the default, and with the guideline of the year before consent
    default = ubr.classify(table).column("income").to_pylist()
    year_before = ubr.classify(
        table, poverty_year_of=lambda dates: pc.subtract(pc.year(dates), 1)
    ).column("income")

    # then the 2025 line (31,300) makes it UBR and the 2024 line (30,120) does not
    assert default == [True]
    assert year_before.to_pylist() == [False]


@pytest.mark.parametrize(
    ("education", "expected"),
    [
        ("education_never_attended", True),
        ("education_grades_1_4", True),
        ("education_grades_5_8", True),
        ("education_grades_9_11", True),
        ("education_high_school_ged", False),
        ("education_some_college", False),
        ("education_college_graduate", False),
        ("education_advanced_degree", False),
        (SKIP, False),
        (None, False),
    ],
)
def test_education_below_a_high_school_diploma_or_ged(education: Any, expected: bool) -> None:
    # given the highest education completed
    # when classified
    result = classify_one(education=education)

    # then below a diploma or GED is UBR
    assert result["education"] is expected
    assert result["ubr"] is expected


@pytest.mark.parametrize(("rural_zip", "expected"), [(True, True), (False, False), (None, False)])
def test_rural_zip_code(rural_zip: bool | None, expected: bool) -> None:
    # given whether the participant's ZIP code is rural
    # when classified
    result = classify_one(rural_zip=rural_zip)

    # then rural is UBR and unknown is not
    assert result["rural"] is expected
    assert result["ubr"] is expected


@pytest.mark.parametrize("question", schema.DISABILITY_QUESTIONS)
def test_any_of_the_six_disability_answers_yes(question: Any) -> None:
    # given a 'yes' to one disability question
    # when classified
    result = classify_one(**{question: "yes"})

    # then the participant is UBR for disability
    assert result["disability"] is True
    assert result["ubr"] is True


@pytest.mark.parametrize("answer", [None, SKIP, PREFER_NOT, "no"])
def test_disability_answers_other_than_yes_are_not_ubr(answer: Any) -> None:
    # given every disability question answered the same non-yes way
    # when classified
    result = classify_one(**dict.fromkeys(schema.DISABILITY_QUESTIONS, answer))

    # then the participant is not UBR for disability
    assert result["disability"] is False


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ({"health_insurance": "no"}, True),
        ({"usual_source_of_care": "no"}, True),
        ({"delayed_care_cost": "yes"}, True),
        ({"delayed_care_transport": "yes"}, True),
        ({"health_insurance": None}, False),
        ({"health_insurance": SKIP}, False),
        ({"usual_source_of_care": PREFER_NOT}, False),
        ({"delayed_care_cost": None, "delayed_care_transport": SKIP}, False),
    ],
)
def test_limited_access_to_care(answers: dict[str, Any], expected: bool) -> None:
    # given answers about insurance, a usual source of care and delayed care
    # when classified
    result = classify_one(**answers)

    # then no insurance, no usual source or delay for cost or transport is UBR
    assert result["access_to_care"] is expected
    assert result["ubr"] is expected


def test_a_table_of_participants_is_classified_row_by_row() -> None:
    # given several participants, each changed in a different way
    table = participants(
        {},
        {"race_answers": ["race_white", "race_hispanic"]},
        {"rural_zip": True, "age_at_consent": 70},
        {"race_answers": [SKIP], "annual_income": None, "household_size": None},
        {"annual_income": 20_000.0, "household_size": 3, "education": "education_grades_9_11"},
        {"sex_at_birth": "sex_intersex", "gender_identity": "gender_woman"},
    )

    # when classified together
    result = ubr.classify(table)

    # then each row gets its own flags, in order
    columns = result.to_pydict()
    assert columns["person_id"] == [1, 2, 3, 4, 5, 6]
    assert columns["race_ethnicity"] == [False, True, False, False, False, False]
    assert columns["minority"] == columns["race_ethnicity"]
    assert columns["age"] == [False, False, True, False, False, False]
    assert columns["rural"] == [False, False, True, False, False, False]
    assert columns["income"] == [False, False, False, False, True, False]
    assert columns["education"] == [False, False, False, False, True, False]
    assert columns["sex_at_birth"] == [False, False, False, False, False, True]
    assert columns["sexual_orientation_gender_identity"] == [False] * 5 + [True]
    assert columns["ubr"] == [False, True, True, False, True, True]


def test_the_output_has_person_id_a_column_per_category_ubr_and_minority() -> None:
    # given two participants
    # when classified
    result = ubr.classify(participants({}, {"rural_zip": True}))

    # then the columns are stable, boolean and never null
    assert tuple(result.column_names) == ubr.OUTPUT_COLUMNS
    assert result.column_names[1:-2] == [category.code for category in ubr.CATEGORIES]
    assert result.schema.field("person_id").type == pa.int64()
    assert all(result.schema.field(name).type == pa.bool_() for name in ubr.OUTPUT_COLUMNS[1:])
    assert all(result.column(name).null_count == 0 for name in ubr.OUTPUT_COLUMNS)


def test_a_table_in_several_chunks_is_classified_like_one() -> None:
    # given the same participants as one chunk and as two record batches
    whole = participants(
        {}, {"race_answers": ["race_black"]}, {"education": "education_grades_1_4"}
    )
    chunked = pa.Table.from_batches(whole.to_batches(max_chunksize=2))

    # when both are classified
    # then the answers are the same
    assert chunked.column("race_answers").num_chunks == 2
    assert ubr.classify(chunked).to_pylist() == ubr.classify(whole).to_pylist()


def test_an_empty_table_gives_an_empty_result() -> None:
    # given no participants
    empty = schema.PARTICIPANT_FEATURES.empty_table()

    # when classified
    result = ubr.classify(empty)

    # then there are no rows and the same columns
    assert result.num_rows == 0
    assert tuple(result.column_names) == ubr.OUTPUT_COLUMNS


def test_a_table_missing_a_feature_column_is_refused() -> None:
    # given participants without the household size column
    table = participants({}).drop_columns(["household_size"])

    # when classified
    # then the missing column is named
    with pytest.raises(ValueError, match="household_size"):
        ubr.classify(table)


def test_categories_have_stable_codes_and_plain_labels() -> None:
    # given the category list
    # when its codes are read
    codes = [category.code for category in ubr.CATEGORIES]

    # then they are the nine rules in PRODUCT.md's order, each with a label and a rule
    assert codes == [
        "race_ethnicity",
        "age",
        "sex_at_birth",
        "sexual_orientation_gender_identity",
        "income",
        "education",
        "rural",
        "disability",
        "access_to_care",
    ]
    assert all(category.label and category.rule for category in ubr.CATEGORIES)
    assert ubr.CATEGORIES_BY_CODE["income"] is ubr.INCOME


def _many_participants() -> pa.Table:
    rng = np.random.default_rng(7)
    rows = 100_000

    def answers(options: list[str | None]) -> pa.Array:
        return pc.take(
            pa.array(options, pa.string()), pa.array(rng.integers(0, len(options), rows))
        )

    race_counts = rng.integers(0, 3, rows)
    offsets = np.concatenate([[0], np.cumsum(race_counts)]).astype(np.int32)
    race_values = answers([*schema.SURVEY["race_ethnicity"], SKIP]).take(
        pa.array(rng.integers(0, rows, int(offsets[-1])))
    )
    columns = {
        "person_id": pa.array(np.arange(rows), pa.int64()),
        "site": answers(["chicago", "pasco"]),
        "consent_date": pa.array(rng.integers(17_500, 20_500, rows).astype(np.int32), pa.date32()),
        "age_at_consent": pa.array(rng.integers(15, 95, rows).astype(np.int32)),
        "race_answers": pa.ListArray.from_arrays(pa.array(offsets), race_values),
        "sex_at_birth": answers([*schema.SURVEY["sex_at_birth"], None]),
        "gender_identity": answers([*schema.SURVEY["gender_identity"], None]),
        "sexual_orientation": answers([*schema.SURVEY["sexual_orientation"], None]),
        "annual_income": pa.array(rng.uniform(0, 200_000, rows)),
        "household_size": pa.array(rng.integers(0, 12, rows).astype(np.int32)),
        "education": answers([*schema.SURVEY["education"], None]),
        "zip": answers(["60601", "99501", "96813", "59001"]),
        "rural_zip": pa.array(rng.random(rows) < 0.2),
    }
    for question in (
        *schema.DISABILITY_QUESTIONS,
        "health_insurance",
        "usual_source_of_care",
        "delayed_care_cost",
        "delayed_care_transport",
    ):
        columns[question] = answers(["yes", "no", "no", "no", None])
    return pa.Table.from_pydict(columns, schema=schema.PARTICIPANT_FEATURES)


def test_many_participants_with_mixed_answers_are_each_classified() -> None:
    # given 100,000 participants with mixed answers (the release's timing at a million is
    # measured by benchmarks/, not here)
    table = _many_participants()

    # when classified
    result = ubr.classify(table)

    # then every row is classified, and some but not all are UBR
    assert result.num_rows == 100_000
    assert 0 < pc.sum(result.column("ubr")).as_py() < 100_000
