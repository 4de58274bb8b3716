"""Underrepresentation in biomedical research (UBR): the program's rules, as Ibis expressions.

`categories(features)` takes an Ibis table shaped like `schema.PARTICIPANT_FEATURES` (one row
per participant) and returns an expression with, for each participant, one boolean per category
in `CATEGORIES`, then `ubr` (any category) and `minority` (the race and ethnicity category, the
program's other goal). Being an expression, it runs where the data is: DuckDB for a release
here, Spark when one machine is not enough; nothing is pulled into Python. `classify` applies
the same expression to an in-memory Arrow table (through an in-memory DuckDB), for tests and
tools: a million participants take a few seconds.

The rules come from PRODUCT.md ("Research participants"). One principle runs through all of
them: **a missing answer never makes someone underrepresented.** Null, "skip" and
"prefer_not_to_answer" mean "unknown", and unknown is reported as False, not as UBR. Each
category's edge cases are written down in its `Category.rule` and pinned by tests.

Imports neither Django nor the ORM; labels are plain English (the Django layer translates).
"""

from collections.abc import Callable
from dataclasses import dataclass

import ibis
import ibis.expr.types as ir
import numpy as np
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

GuidelineYearOf = Callable[[ir.Table], ir.IntegerValue]
PovertyYearOf = Callable[[pa.Array], pa.Array]


def calendar_year_of_consent(features: ir.Table) -> ir.IntegerValue:
    """The default guideline year: the calendar year of the consent date (null stays null)."""
    return features.consent_date.year()


def categories(
    features: ir.Table,
    *,
    guidelines: ir.Table,
    guideline_year_of: GuidelineYearOf = calendar_year_of_consent,
) -> ir.Table:
    """One row per participant: `person_id`, a boolean per category, `ubr` and `minority`.

    `features` has the columns of `schema.PARTICIPANT_FEATURES`; `guidelines` is
    `poverty.guidelines_table()` on the same backend. `guideline_year_of` gives each
    participant's guideline year (null when unknown; by default the calendar year of consent);
    years outside the table are clamped to its first or last year. Every output column is
    non-null boolean: unknown is False. Raises ValueError naming any missing feature column.
    """
    return categories_with(
        features, guidelines=guidelines, keep=(), guideline_year_of=guideline_year_of
    )


def categories_with(
    features: ir.Table,
    *,
    guidelines: ir.Table,
    keep: tuple[str, ...],
    guideline_year_of: GuidelineYearOf = calendar_year_of_consent,
) -> ir.Table:
    """`categories`, with the feature columns named in `keep` after `person_id`."""
    missing = [name for name in schema.PARTICIPANT_FEATURES.names if name not in features.columns]
    if missing:
        raise ValueError(f"features lack columns: {', '.join(missing)}")
    flags = _flags(features, guidelines=guidelines, guideline_year_of=guideline_year_of)
    return flags.select(
        "person_id",
        *keep,
        *(category.code for category in CATEGORIES),
        ibis.or_(*(flags[category.code] for category in CATEGORIES)).name(UBR),
        flags[RACE_ETHNICITY.code].name(MINORITY),
    )


def _flags(
    features: ir.Table, *, guidelines: ir.Table, guideline_year_of: GuidelineYearOf
) -> ir.Table:
    """`features` with one boolean column per category added (the income rule needs a join
    with the poverty guidelines, the others read one row each)."""
    t = _with_low_income(features, guidelines, guideline_year_of)
    return t.mutate(
        **{
            RACE_ETHNICITY.code: _race_minority(t.race_answers),
            AGE.code: _known(
                (t.age_at_consent >= OLDER_ADULT_AGE) | (t.age_at_consent < ADULT_AGE)
            ),
            SEX_AT_BIRTH.code: _is(t.sex_at_birth, "sex_intersex"),
            SEXUAL_ORIENTATION_GENDER_IDENTITY.code: _sexual_or_gender_minority(
                t.sexual_orientation, t.gender_identity, t.sex_at_birth
            ),
            INCOME.code: _known(t.low_income),
            EDUCATION.code: _known(t.education.isin(BELOW_HIGH_SCHOOL)),
            RURAL.code: _known(t.rural_zip),
            DISABILITY.code: ibis.or_(
                *(_is(t[question], "yes") for question in schema.DISABILITY_QUESTIONS)
            ),
            ACCESS_TO_CARE.code: (
                _is(t.health_insurance, "no")
                | _is(t.usual_source_of_care, "no")
                | _is(t.delayed_care_cost, "yes")
                | _is(t.delayed_care_transport, "yes")
            ),
        }
    ).drop("low_income")


def classify(features: pa.Table, *, poverty_year_of: PovertyYearOf | None = None) -> pa.Table:
    """`categories` over an Arrow table, in its row order (an in-memory DuckDB runs it).

    `poverty_year_of` maps the `consent_date` column (date32) to the guideline year of each
    participant (integers, null when unknown); by default the calendar year of consent.
    """
    missing = [
        name for name in schema.PARTICIPANT_FEATURES.names if name not in features.schema.names
    ]
    if missing:
        raise ValueError(f"features lack columns: {', '.join(missing)}")
    table = features.select(schema.PARTICIPANT_FEATURES.names).append_column(
        "_row", pa.array(np.arange(features.num_rows, dtype=np.int64))
    )
    year_of: GuidelineYearOf = calendar_year_of_consent
    if poverty_year_of is not None:
        years = poverty_year_of(features.column("consent_date").combine_chunks())
        table = table.append_column("_guideline_year", pc.cast(years, pa.int64()))
        year_of = _guideline_year_column
    result = categories_with(
        ibis.memtable(table),
        guidelines=ibis.memtable(poverty.guidelines_table()),
        keep=("_row",),
        guideline_year_of=year_of,
    )
    con = ibis.duckdb.connect()
    try:
        con.raw_sql("SET enable_progress_bar = false")
        unordered = con.to_pyarrow(result)
    finally:
        con.disconnect()
    # Back to the input's order: the join may reorder rows, and placing each row by its
    # number here is much cheaper than an ORDER BY.
    rows = unordered.column("_row").to_numpy()
    order = np.empty(rows.shape[0], dtype=np.int64)
    order[rows] = np.arange(rows.shape[0], dtype=np.int64)
    arrow = unordered.take(pa.array(order))
    return pa.Table.from_arrays(
        [arrow.column("person_id").cast(pa.int64())]
        + [arrow.column(name).cast(pa.bool_()) for name in OUTPUT_COLUMNS[1:]],
        names=list(OUTPUT_COLUMNS),
    )


def _guideline_year_column(features: ir.Table) -> ir.IntegerValue:
    return features["_guideline_year"]


def _known(value: ir.BooleanValue) -> ir.BooleanValue:
    """Null (an unknown answer) is not UBR."""
    return value.fill_null(False)


def _is(values: ir.StringValue, answer: str) -> ir.BooleanValue:
    return _known(values == answer)


def _race_minority(race_answers: ir.ArrayValue) -> ir.BooleanValue:
    # Any answer other than White counts; null answers, skips and prefer-not drop out, so a row
    # with nothing but skips is "unknown", never minority.
    minority_answers = race_answers.filter(
        lambda answer: answer.notnull() & ~answer.isin(UNKNOWN_ANSWERS) & (answer != "race_white")
    )
    return _known(minority_answers.length() > 0)


def _sexual_or_gender_minority(
    orientation: ir.StringValue, gender: ir.StringValue, sex_at_birth: ir.StringValue
) -> ir.BooleanValue:
    minority_orientation = _known(
        orientation.isin(
            [a for a in schema.SURVEY["sexual_orientation"] if a != "orientation_straight"]
        )
    )
    other_gender = _known(
        gender.isin(
            [a for a in schema.SURVEY["gender_identity"] if a not in ("gender_man", "gender_woman")]
        )
    )
    # Only a known sex at birth can fail to match; an unknown one is not evidence.
    known_sex = _known(sex_at_birth.isin(list(schema.SURVEY["sex_at_birth"])))
    man_not_male = _is(gender, "gender_man") & known_sex & ~_is(sex_at_birth, "sex_male")
    woman_not_female = _is(gender, "gender_woman") & known_sex & ~_is(sex_at_birth, "sex_female")
    return minority_orientation | other_gender | man_not_male | woman_not_female


def _with_low_income(
    features: ir.Table, guidelines: ir.Table, guideline_year_of: GuidelineYearOf
) -> ir.Table:
    """`features` with `low_income`: income at or below INCOME_LIMIT_PERCENT_OF_POVERTY of
    the guideline for the household's size, region and guideline year (null when unknown)."""
    years = poverty.guideline_years()
    year = guideline_year_of(features)
    prefix = features.zip.substr(0, 3)
    keyed = features.mutate(
        poverty_year_known=year.notnull(),
        poverty_year=ibis.greatest(
            years.start, ibis.least(years.stop - 1, year.fill_null(years.start))
        ),
        poverty_size=features.household_size.fill_null(0).cast("int64"),
        poverty_region=ibis.cases(
            (prefix.isin(ALASKA_ZIP_PREFIXES), poverty.ALASKA),
            (prefix.isin(HAWAII_ZIP_PREFIXES), poverty.HAWAII),
            else_=poverty.CONTIGUOUS,
        ),
    )
    joined = keyed.left_join(
        guidelines,
        [
            keyed.poverty_year == guidelines.guideline_year,
            keyed.poverty_region == guidelines.guideline_region,
            ibis.least(keyed.poverty_size, poverty.LISTED_SIZES)
            == guidelines.guideline_household_size,
        ],
    )
    # A household above the listed sizes adds the amount per additional person.
    extra_people = ibis.greatest(joined.poverty_size - poverty.LISTED_SIZES, 0)
    line = joined.guideline_amount + extra_people.cast("float64") * (
        joined.guideline_per_additional_person
    )
    limit = line * (INCOME_LIMIT_PERCENT_OF_POVERTY / 100)
    income = joined.annual_income.cast("float64")
    # NaN compares above every number in DuckDB, so it is excluded explicitly.
    known = (
        joined.poverty_year_known
        & (joined.poverty_size >= 1)
        & income.notnull()
        & ~income.isnan()
        & (income >= 0)
    )
    return joined.mutate(low_income=known & (income <= limit)).drop(
        "poverty_year_known", "poverty_year", "poverty_size", "poverty_region", *guidelines.columns
    )
