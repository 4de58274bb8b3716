"""Underrepresentation in biomedical research (UBR): the program's rules, vectorized.

`classify` reads a table shaped like `schema.PARTICIPANT_FEATURES` (one row per participant)
and returns, for each participant, one boolean per category in `CATEGORIES`, then `ubr` (any
category) and `minority` (the race and ethnicity category, the program's other goal). It works
on whole columns with pyarrow.compute and numpy: a million participants take about a second.

The rules come from PRODUCT.md ("Research participants"). One principle runs through all of
them: **a missing answer never makes someone underrepresented.** Null, "skip" and
"prefer_not_to_answer" mean "unknown", and unknown is reported as False, not as UBR. Each
category's edge cases are written down in its `Category.rule` and pinned by tests.

Imports neither Django nor the ORM; labels are plain English (the Django layer translates).
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from tapestry.research.warehouse import poverty, schema

UNKNOWN_ANSWERS = (schema.SKIP, schema.PREFER_NOT)
INCOME_LIMIT_PERCENT_OF_POVERTY = 200
OLDER_ADULT_AGE = 65
ADULT_AGE = 18
# Three-digit ZIP prefixes with their own poverty tables (the rest use the contiguous table).
ALASKA_ZIP_PREFIXES = ("995", "996", "997", "998", "999")
HAWAII_ZIP_PREFIXES = ("967", "968")

BELOW_HIGH_SCHOOL = (
    "education_never_attended",
    "education_grades_1_4",
    "education_grades_5_8",
    "education_grades_9_11",
)


@dataclass(frozen=True)
class Category:
    """One underrepresentation category: a stable code (a column name) and how it is decided."""

    code: str
    label: str
    rule: str


RACE_ETHNICITY = Category(
    "race_ethnicity",
    "Racial or ethnic minority",
    "Race other than White only, or Hispanic, Latino or Spanish. From `race_answers` (several "
    "answers allowed; `race_hispanic` is the ethnicity answer). Any answer other than "
    "`race_white` counts, including `race_mena` and `race_none_of_these`; skip and prefer-not "
    "answers are ignored. [race_white, race_hispanic] is minority; [race_white, race_black] "
    "is minority; [race_white] alone is not; [race_white, skip] is not; [] or [skip] or null "
    "is unknown, not minority.",
)
AGE = Category(
    "age",
    "Age 65 or older, or under 18",
    "Age at consent (`age_at_consent`, whole years) 65 or older, or under 18. Exactly 65 is "
    "UBR, 64 is not; 17 is UBR, 18 is not. Null is unknown, not UBR.",
)
SEX_AT_BIRTH = Category(
    "sex_at_birth",
    "Intersex",
    "Sex at birth `sex_intersex`. `sex_male`, `sex_female`, `sex_none_of_these`, skip and "
    "null are not UBR in this category.",
)
SEXUAL_ORIENTATION_GENDER_IDENTITY = Category(
    "sexual_orientation_gender_identity",
    "Sexual or gender minority",
    "Sexual orientation other than straight (gay, lesbian, bisexual, none of these), or "
    "gender identity other than man or woman matching sex at birth. Non-binary, transgender "
    "and additional identities are UBR whatever the sex at birth. `gender_man` is UBR unless "
    "sex at birth is `sex_male`, and `gender_woman` unless it is `sex_female` (so a man with "
    "`sex_female`, `sex_intersex` or `sex_none_of_these` is UBR); when sex at birth is "
    "unknown, man or woman is not UBR. Skipped orientation and skipped gender identity are "
    "not UBR; either answer alone can make someone UBR.",
)
INCOME = Category(
    "income",
    "Household income at or below 200% of the poverty level",
    "Annual household income (`annual_income`) at or below 200% of the HHS poverty guideline "
    "for the household size (`household_size`) in the guideline year of consent (by default "
    "the calendar year of the consent date, clamped to the years in poverty_guidelines.json). "
    "Exactly 200% is UBR; one dollar more is not. Households above 8 people extend the table "
    "by its amount per additional person. ZIP codes 995-999 use the Alaska table and 967-968 "
    "the Hawaii table. Unknown (not UBR) when income is null, NaN or negative, when household "
    "size is null or below 1, or when the consent date is null.",
)
EDUCATION = Category(
    "education",
    "Less than a high school diploma or GED",
    "Highest education below a high-school diploma or GED: never attended, grades 1-4, 5-8 "
    "or 9-11. `education_high_school_ged` and above are not UBR; skip and null are unknown.",
)
RURAL = Category(
    "rural",
    "Rural residence",
    "Lives in a rural ZIP code (`rural_zip`, set by the release from rural.is_rural). Null "
    "is unknown, not UBR.",
)
DISABILITY = Category(
    "disability",
    "Disability",
    "Answered 'yes' to any of the six disability questions (blind, deaf, walking, dressing, "
    "errands, concentrating). 'no', skip and null are not UBR.",
)
ACCESS_TO_CARE = Category(
    "access_to_care",
    "Limited access to care",
    "No health insurance (`health_insurance` = 'no'), or no usual source of care "
    "(`usual_source_of_care` = 'no'), or delayed care because of cost or transport "
    "(`delayed_care_cost` or `delayed_care_transport` = 'yes'). Skip and null are not UBR.",
)

CATEGORIES: tuple[Category, ...] = (
    RACE_ETHNICITY,
    AGE,
    SEX_AT_BIRTH,
    SEXUAL_ORIENTATION_GENDER_IDENTITY,
    INCOME,
    EDUCATION,
    RURAL,
    DISABILITY,
    ACCESS_TO_CARE,
)
CATEGORIES_BY_CODE = {category.code: category for category in CATEGORIES}
UBR = "ubr"  # any category
MINORITY = "minority"  # the race and ethnicity category, the program's other goal
OUTPUT_COLUMNS = ("person_id", *(category.code for category in CATEGORIES), UBR, MINORITY)

PovertyYearOf = Callable[[pa.Array], pa.Array]


def calendar_year_of_consent(consent_dates: pa.Array) -> pa.Array:
    """The default guideline year: the calendar year of the consent date (null stays null)."""
    return pc.year(consent_dates)


def classify(
    features: pa.Table, *, poverty_year_of: PovertyYearOf = calendar_year_of_consent
) -> pa.Table:
    """One row per participant: `person_id`, a boolean per category, `ubr` and `minority`.

    `features` has the columns of `schema.PARTICIPANT_FEATURES` (extra columns are ignored).
    `poverty_year_of` maps the `consent_date` column (date32) to the guideline year to use for
    each participant (integers, null when unknown); years outside the table are clamped to
    its first or last year. Every output column is non-null boolean: unknown is False.
    """
    missing = [
        name for name in schema.PARTICIPANT_FEATURES.names if name not in features.schema.names
    ]
    if missing:
        raise ValueError(f"features lack columns: {', '.join(missing)}")

    def column(name: str) -> pa.Array:
        return features.column(name).combine_chunks()

    row_count = features.num_rows
    flags: dict[str, npt.NDArray[np.bool_]] = {
        RACE_ETHNICITY.code: _race_minority(column("race_answers"), row_count),
        AGE.code: _age(column("age_at_consent")),
        SEX_AT_BIRTH.code: _is(column("sex_at_birth"), "sex_intersex"),
        SEXUAL_ORIENTATION_GENDER_IDENTITY.code: _sexual_or_gender_minority(
            column("sexual_orientation"), column("gender_identity"), column("sex_at_birth")
        ),
        INCOME.code: _low_income(
            column("annual_income"),
            column("household_size"),
            poverty_year_of(column("consent_date")),
            column("zip"),
        ),
        EDUCATION.code: _is_in(column("education"), BELOW_HIGH_SCHOOL),
        RURAL.code: _true(column("rural_zip")),
        DISABILITY.code: np.logical_or.reduce(
            [_is(column(question), "yes") for question in schema.DISABILITY_QUESTIONS]
        ),
        ACCESS_TO_CARE.code: (
            _is(column("health_insurance"), "no")
            | _is(column("usual_source_of_care"), "no")
            | _is(column("delayed_care_cost"), "yes")
            | _is(column("delayed_care_transport"), "yes")
        ),
    }
    any_category = np.logical_or.reduce(list(flags.values())) if flags else np.zeros(0, bool)
    arrays: list[pa.Array] = [column("person_id")]
    arrays += [pa.array(flags[category.code], type=pa.bool_()) for category in CATEGORIES]
    arrays += [
        pa.array(any_category, type=pa.bool_()),
        pa.array(flags[RACE_ETHNICITY.code], type=pa.bool_()),
    ]
    return pa.Table.from_arrays(arrays, names=list(OUTPUT_COLUMNS))


def _to_numpy_bool(values: pa.Array) -> npt.NDArray[np.bool_]:
    """A boolean array with nulls read as False."""
    filled = pc.fill_null(values, False)
    return np.asarray(filled.to_numpy(zero_copy_only=False), dtype=bool)


def _is(values: pa.Array, answer: str) -> npt.NDArray[np.bool_]:
    return _to_numpy_bool(pc.equal(values, pa.scalar(answer, type=values.type)))


def _is_in(values: pa.Array, answers: tuple[str, ...]) -> npt.NDArray[np.bool_]:
    return _to_numpy_bool(pc.is_in(values, value_set=pa.array(answers, type=values.type)))


def _true(values: pa.Array) -> npt.NDArray[np.bool_]:
    return _to_numpy_bool(values)


def _race_minority(race_answers: pa.Array, row_count: int) -> npt.NDArray[np.bool_]:
    # One flat array of every answer chosen, and for each the row it came from; null lists and
    # null answers drop out, so a row with nothing but skips is "unknown", never minority.
    answers = pc.list_flatten(race_answers)
    rows = pc.list_parent_indices(race_answers).to_numpy(zero_copy_only=False)
    known = _to_numpy_bool(
        pc.invert(pc.is_in(answers, value_set=pa.array(UNKNOWN_ANSWERS, type=answers.type)))
    )
    not_white = ~_to_numpy_bool(pc.equal(answers, pa.scalar("race_white", type=answers.type)))
    present = _to_numpy_bool(pc.is_valid(answers))
    minority_answer = known & not_white & present
    return np.bincount(rows[minority_answer], minlength=row_count)[:row_count] > 0


def _age(ages: pa.Array) -> npt.NDArray[np.bool_]:
    older = _to_numpy_bool(pc.greater_equal(ages, OLDER_ADULT_AGE))
    younger = _to_numpy_bool(pc.less(ages, ADULT_AGE))
    return older | younger


def _sexual_or_gender_minority(
    orientation: pa.Array, gender: pa.Array, sex_at_birth: pa.Array
) -> npt.NDArray[np.bool_]:
    minority_orientation = _is_in(
        orientation,
        tuple(
            answer
            for answer in schema.SURVEY["sexual_orientation"]
            if answer != "orientation_straight"
        ),
    )
    other_gender = _is_in(
        gender,
        tuple(
            answer
            for answer in schema.SURVEY["gender_identity"]
            if answer not in ("gender_man", "gender_woman")
        ),
    )
    # Only a known sex at birth can fail to match; an unknown one is not evidence.
    known_sex = _is_in(sex_at_birth, schema.SURVEY["sex_at_birth"])
    man_not_male = _is(gender, "gender_man") & known_sex & ~_is(sex_at_birth, "sex_male")
    woman_not_female = _is(gender, "gender_woman") & known_sex & ~_is(sex_at_birth, "sex_female")
    return minority_orientation | other_gender | man_not_male | woman_not_female


def _low_income(
    income: pa.Array, household_size: pa.Array, guideline_year: pa.Array, zip_codes: pa.Array
) -> npt.NDArray[np.bool_]:
    years = poverty.guideline_years()
    income_values = np.asarray(
        pc.fill_null(pc.cast(income, pa.float64()), np.nan).to_numpy(zero_copy_only=False),
        dtype=np.float64,
    )
    sizes = np.asarray(
        pc.fill_null(pc.cast(household_size, pa.int64()), 0).to_numpy(zero_copy_only=False),
        dtype=np.int64,
    )
    year_known = _to_numpy_bool(pc.is_valid(guideline_year))
    year_values = np.asarray(
        pc.fill_null(pc.cast(guideline_year, pa.int64()), years.start).to_numpy(
            zero_copy_only=False
        ),
        dtype=np.int64,
    )
    year_values = np.clip(year_values, years.start, years.stop - 1)

    prefixes = pc.utf8_slice_codeunits(zip_codes, 0, 3)
    regions = np.where(
        _is_in(prefixes, ALASKA_ZIP_PREFIXES),
        poverty.ALASKA,
        np.where(_is_in(prefixes, HAWAII_ZIP_PREFIXES), poverty.HAWAII, poverty.CONTIGUOUS),
    )
    lines = poverty.poverty_lines(year_values, sizes, regions)  # NaN where size < 1
    limit = lines * (INCOME_LIMIT_PERCENT_OF_POVERTY / 100)
    known = year_known & (sizes >= 1) & np.isfinite(income_values) & (income_values >= 0)
    with np.errstate(invalid="ignore"):
        at_or_below = income_values <= limit
    return known & at_or_below
