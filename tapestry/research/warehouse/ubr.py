"""Underrepresentation in biomedical research (UBR): the program's rules, as Ibis expressions.

`categories(features)` takes an Ibis table shaped like `schema.PARTICIPANT_FEATURES` (one row
per participant) and returns an expression with, for each participant, one boolean per category
in `CATEGORIES`, one `<category>_answered` boolean per category, then `ubr` (any category of
`OVERALL_CATEGORIES`: every one but access to care) and `minority` (the race and ethnicity
category, the program's other goal). Being an expression, it runs where the data is: DuckDB for
a release here, Spark when one machine is not enough; nothing is pulled into Python. `classify`
applies the same expression to an in-memory Arrow table (through an in-memory DuckDB), for
tests and tools.

The rules are the program's own calculator (the Raw Data Repository's `participant_ubr.py`,
PRODUCT.md "Research participants"), which knows three values per category: UBR, not UBR, and
"not answered" (skip, prefer not to answer, missing). Here a category's flag is True only for
UBR, and `<category>_answered` is False for "not answered", so "not answered" stays distinct
from "not UBR" while the overall flag counts only UBR. A missing answer never makes anyone
underrepresented. `PROGRAM_ANSWERS` maps the program's answer codes onto the warehouse's, so
that the rules are tested in the program's codes; each category's edge cases are in its `rule`.

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
# A household size that is missing or below 1 counts as one person, as in the program (the
# smallest guideline: only a bracket that is low for any household counts).
DEFAULT_HOUSEHOLD_SIZE = 1

BELOW_HIGH_SCHOOL = (
    "education_never_attended",
    "education_grades_1_4",
    "education_grades_5_8",
    "education_grades_9_11",
)
# Access to care: any one of these answers is limited access...
ACCESS_ANY_ONE = (
    ("health_insurance", "no"),
    ("usual_source_of_care", "no"),
    ("delayed_care_cost", "yes"),
)
# ...and so are two or more of these.
ACCESS_TWO_OR_MORE = (
    ("delayed_care_transport", ("yes",)),
    ("delayed_care_time_off_work", ("yes",)),
    ("delayed_care_childcare", ("yes",)),
    ("delayed_care_eldercare", ("yes",)),
    (
        "discrimination_delayed_care",
        (
            "discrimination_always",
            "discrimination_most_of_the_time",
            "discrimination_some_of_the_time",
        ),
    ),
)

# The program's question codes (Raw Data Repository, The Basics and ConsentPII) and the
# warehouse's question each one is.
PROGRAM_QUESTIONS: dict[str, str] = {
    "Race_WhatRaceEthnicity": "race_ethnicity",
    "BiologicalSexAtBirth_SexAtBirth": "sex_at_birth",
    "Gender_GenderIdentity": "gender_identity",
    "TheBasics_SexualOrientation": "sexual_orientation",
    "Income_AnnualIncome": "annual_income",
    # The program asks how many OTHER people live in the household and adds one; the
    # warehouse asks the total, so household_size = the program's answer + 1.
    "LivingSituation_HowManyPeople": "household_size",
    "EducationLevel_HighestGrade": "education",
    "StreetAddress_PIIZIP": "zip",
    "Disability_Blind": "disability_blind",
    "Disability_Deaf": "disability_deaf",
    "Disability_WalkingClimbing": "disability_walking",
    "Disability_DressingBathing": "disability_dressing",
    "Disability_ErrandsAlone": "disability_errands",
    "Disability_DifficultyConcentrating": "disability_concentrating",
    "Insurance_HealthInsurance": "health_insurance",
    "HealthAdvice_PlaceForHealthAdvice": "usual_source_of_care",
    "DelayedMedicalCare_CantAffordCoPay": "delayed_care_cost",
    "DelayedMedicalCare_Transportation": "delayed_care_transport",
    "DelayedMedicalCare_TimeOffWork": "delayed_care_time_off_work",
    "DelayedMedicalCare_ChildCare": "delayed_care_childcare",
    "DelayedMedicalCare_ElderlyCare": "delayed_care_eldercare",
    "HealthProviderRaceReligion_DelayedOrNoCare": "discrimination_delayed_care",
}


def _yes_no(prefix: str) -> dict[str, str]:
    return {
        f"{prefix}_Yes": "yes",
        f"{prefix}_No": "no",
        f"{prefix}_PreferNotToAnswer": schema.PREFER_NOT,
    }


# The program's answer codes and the warehouse's answer code each one is.
PROGRAM_ANSWERS: dict[str, str] = {
    "PMI_Skip": schema.SKIP,
    "PMI_PreferNotToAnswer": schema.PREFER_NOT,
    "WhatRaceEthnicity_AIAN": "race_aian",
    "WhatRaceEthnicity_Asian": "race_asian",
    "WhatRaceEthnicity_Black": "race_black",
    "WhatRaceEthnicity_Hispanic": "race_hispanic",
    "WhatRaceEthnicity_MENA": "race_mena",
    "WhatRaceEthnicity_NHPI": "race_nhpi",
    "WhatRaceEthnicity_White": "race_white",
    "WhatRaceEthnicity_RaceEthnicityNoneOfThese": "race_none_of_these",
    "SexAtBirth_Male": "sex_male",
    "SexAtBirth_Female": "sex_female",
    "SexAtBirth_Intersex": "sex_intersex",
    "SexAtBirth_SexAtBirthNoneOfThese": "sex_none_of_these",
    "GenderIdentity_Man": "gender_man",
    "GenderIdentity_Woman": "gender_woman",
    "GenderIdentity_NonBinary": "gender_non_binary",
    "GenderIdentity_Transgender": "gender_transgender",
    "GenderIdentity_AdditionalOptions": "gender_additional",
    "GenderIdentity_PreferNotToAnswer": schema.PREFER_NOT,
    "SexualOrientation_Straight": "orientation_straight",
    "SexualOrientation_Gay": "orientation_gay",
    "SexualOrientation_Lesbian": "orientation_lesbian",
    "SexualOrientation_Bisexual": "orientation_bisexual",
    "SexualOrientation_None": "orientation_none_of_these",
    "AnnualIncome_less10k": "income_less_10k",
    "AnnualIncome_10k25k": "income_10k_25k",
    "AnnualIncome_25k35k": "income_25k_35k",
    "AnnualIncome_35k50k": "income_35k_50k",
    "AnnualIncome_50k75k": "income_50k_75k",
    "AnnualIncome_75k100k": "income_75k_100k",
    "AnnualIncome_100k150k": "income_100k_150k",
    "AnnualIncome_150k200k": "income_150k_200k",
    "AnnualIncome_more200k": "income_more_200k",
    "HighestGrade_NeverAttended": "education_never_attended",
    "HighestGrade_OneThroughFour": "education_grades_1_4",
    "HighestGrade_FiveThroughEight": "education_grades_5_8",
    "HighestGrade_NineThroughEleven": "education_grades_9_11",
    "HighestGrade_TwelveOrGED": "education_high_school_ged",
    "HighestGrade_CollegeOnetoThree": "education_some_college",
    "HighestGrade_CollegeGraduate": "education_college_graduate",
    "HighestGrade_AdvancedDegree": "education_advanced_degree",
    **_yes_no("Blind"),
    **_yes_no("Deaf"),
    **_yes_no("WalkingClimbing"),
    **_yes_no("DressingBathing"),
    **_yes_no("ErrandsAlone"),
    **_yes_no("DifficultyConcentrating"),
    **_yes_no("HealthInsurance"),
    **_yes_no("PlaceforHealthAdvice"),
    **_yes_no("CantAffordCoPay"),
    **_yes_no("Transportation"),
    **_yes_no("TimeOffWork"),
    **_yes_no("ChildCare"),
    **_yes_no("ElderlyCare"),
    "DelayedOrNoCare_Always": "discrimination_always",
    "DelayedOrNoCare_MostOfTheTime": "discrimination_most_of_the_time",
    "DelayedOrNoCare_SomeOfTheTime": "discrimination_some_of_the_time",
    "DelayedOrNoCare_Rarely": "discrimination_rarely",
    "DelayedOrNoCare_Never": "discrimination_never",
}


def from_program(code: str) -> str:
    """The warehouse's answer code for one of the program's (KeyError if unmapped)."""
    return PROGRAM_ANSWERS[code]


@dataclass(frozen=True)
class Category:
    """One underrepresentation category: a stable code (a column name) and how it is decided."""

    code: str
    label: str
    rule: str

    @property
    def answered(self) -> str:
        """The column saying whether the participant answered what the category needs."""
        return f"{self.code}_answered"


RACE_ETHNICITY = Category(
    "race_ethnicity",
    "Racial or ethnic minority",
    "Any race or ethnicity answer other than White alone (WhatRaceEthnicity_White); more than "
    "one answer always counts ([White, Hispanic] is UBR). Skips and prefer-not answers are "
    "dropped first; nothing left is not answered.",
)
AGE = Category(
    "age",
    "Age 65 or older, or under 18",
    "Calendar age at consent (`age_at_consent`; a Feb 29 birthday turns over on Feb 28 in "
    "other years) 65 or older, or under 18. Exactly 65 is UBR, 64 is not; 17 is UBR, 18 is "
    "not. No birth date is not answered.",
)
SEX_AT_BIRTH = Category(
    "sex_at_birth",
    "Sex at birth other than male or female",
    "Sex at birth other than SexAtBirth_Male or SexAtBirth_Female: intersex and 'none of "
    "these' are UBR. Skip, prefer not to answer and missing are not answered.",
)
SEXUAL_ORIENTATION_GENDER_IDENTITY = Category(
    "sexual_orientation_gender_identity",
    "Sexual or gender minority",
    "Sexual orientation other than straight, or gender identity other than one man/woman "
    "answer matching sex at birth: more than one gender answer is UBR; a single Man is UBR "
    "unless sex at birth is male or unknown, a single Woman unless female or unknown; other "
    "identities are UBR. UBR when either part is; not UBR only when both are answered and "
    "not UBR; otherwise not answered.",
)
INCOME = Category(
    "income",
    "Household income below 200% of the poverty level",
    "The income bracket's LOWER bound is below 200% of the HHS poverty guideline for the "
    "household size and the calendar year of consent. Years past the table use its nearest "
    "year (clamped); households above 8 add the table's amount per additional person; a "
    "missing household size counts as 1 (as the program does). ZIP codes 995-999 use the "
    "Alaska table and 967-968 Hawaii's. A skipped bracket is not answered.",
)
EDUCATION = Category(
    "education",
    "Less than a high school diploma or GED",
    "Highest grade below a high-school diploma or GED: never attended, grades 1-4, 5-8 or "
    "9-11. Twelve or GED and above are not UBR; skip and missing are not answered.",
)
RURAL = Category(
    "rural",
    "Rural residence",
    "The ZIP code (cut to five digits) is on the FORHP rural list in force on the consent "
    "date (`rural_zip`, set by the release from the loaded lists). No ZIP code, or no list in "
    "force (none loaded), is not answered: geography unknown, not 'not rural'.",
)
DISABILITY = Category(
    "disability",
    "Disability",
    "Yes to any of the six disability questions (blind, deaf, walking, dressing, errands, "
    "concentrating). Not answered when all six are skipped, declined or missing.",
)
ACCESS_TO_CARE = Category(
    "access_to_care",
    "Limited access to care",
    "No health insurance, no usual source of care, or care delayed for its cost; or two or "
    "more of: care delayed for transport, time off work, child care, elder care, or unfair "
    "treatment (always, most or some of the time). Not answered when neither insurance nor "
    "a usual source of care was answered. Reported on its own: not part of the overall flag.",
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
# The categories whose UBR makes a participant UBR overall (access to care is reported apart).
OVERALL_CATEGORIES: tuple[Category, ...] = tuple(c for c in CATEGORIES if c is not ACCESS_TO_CARE)
CATEGORIES_BY_CODE = {category.code: category for category in CATEGORIES}
UBR = "ubr"  # any category of OVERALL_CATEGORIES
MINORITY = "minority"  # the race and ethnicity category, the program's other goal
ANSWERED_COLUMNS = tuple(category.answered for category in CATEGORIES)
OUTPUT_COLUMNS = (
    "person_id",
    *(category.code for category in CATEGORIES),
    *ANSWERED_COLUMNS,
    UBR,
    MINORITY,
)

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
        *ANSWERED_COLUMNS,
        ibis.or_(*(flags[category.code] for category in OVERALL_CATEGORIES)).name(UBR),
        flags[RACE_ETHNICITY.code].name(MINORITY),
    )


def _flags(
    features: ir.Table, *, guidelines: ir.Table, guideline_year_of: GuidelineYearOf
) -> ir.Table:
    """`features` with, per category, its UBR flag and whether it was answered (the income
    rule needs a join with the poverty guidelines, the others read one row each)."""
    t = _with_low_income(features, guidelines, guideline_year_of)
    race = _answers(t.race_answers)
    gender = _answers(t.gender_answers)
    orientation = _answer(t.sexual_orientation)
    sex = _answer(t.sex_at_birth)
    education = _answer(t.education)
    orientation_ubr = _known(orientation != "orientation_straight")
    gender_ubr = _gender_ubr(gender, sex)
    sogi_ubr = orientation_ubr | gender_ubr
    disability_answered = ibis.or_(
        *(_answer(t[question]).notnull() for question in schema.DISABILITY_QUESTIONS)
    )
    access_ubr = ibis.or_(*(_is(t[question], answer) for question, answer in ACCESS_ANY_ONE))
    barriers = sum(
        (
            _known(_answer(t[question]).isin(answers)).cast("int8")
            for question, answers in (ACCESS_TWO_OR_MORE)
        ),
        start=ibis.literal(0, "int8"),
    )
    access_ubr = access_ubr | (barriers >= 2)
    values: dict[str, ir.BooleanValue] = {
        RACE_ETHNICITY.code: _known(race.filter(lambda a: a != "race_white").length() > 0),
        RACE_ETHNICITY.answered: race.length().fill_null(0) > 0,
        AGE.code: _known((t.age_at_consent >= OLDER_ADULT_AGE) | (t.age_at_consent < ADULT_AGE)),
        AGE.answered: t.age_at_consent.notnull(),
        SEX_AT_BIRTH.code: _known(~sex.isin(["sex_male", "sex_female"])),
        SEX_AT_BIRTH.answered: sex.notnull(),
        SEXUAL_ORIENTATION_GENDER_IDENTITY.code: sogi_ubr,
        SEXUAL_ORIENTATION_GENDER_IDENTITY.answered: sogi_ubr
        | (orientation.notnull() & (gender.length().fill_null(0) > 0)),
        INCOME.code: _known(t.low_income),
        INCOME.answered: t.low_income.notnull(),
        EDUCATION.code: _known(education.isin(BELOW_HIGH_SCHOOL)),
        EDUCATION.answered: education.notnull(),
        RURAL.code: _known(t.rural_zip),
        RURAL.answered: t.rural_zip.notnull(),
        DISABILITY.code: ibis.or_(
            *(_is(t[question], "yes") for question in schema.DISABILITY_QUESTIONS)
        ),
        DISABILITY.answered: disability_answered,
        ACCESS_TO_CARE.code: access_ubr,
        ACCESS_TO_CARE.answered: access_ubr
        | _answer(t.health_insurance).notnull()
        | _answer(t.usual_source_of_care).notnull(),
    }
    return t.mutate(**values).drop("low_income")


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


def _answer(value: ir.StringValue) -> ir.StringValue:
    """The answer, or null for a skip or prefer-not-to-answer."""
    return value.isin(UNKNOWN_ANSWERS).ifelse(ibis.null("string"), value)


def _answers(values: ir.ArrayValue) -> ir.ArrayValue:
    """The answers chosen, without skips, prefer-not answers and nulls."""
    return values.filter(lambda answer: answer.notnull() & ~answer.isin(UNKNOWN_ANSWERS))


def _is(values: ir.StringValue, answer: str) -> ir.BooleanValue:
    return _known(values == answer)


def _gender_ubr(gender: ir.ArrayValue, sex: ir.StringValue) -> ir.BooleanValue:
    """More than one answer; or one answer other than a man/woman answer that matches sex at
    birth (an unknown sex at birth matches either, as in the program)."""
    count = gender.length().fill_null(0)
    only = gender[0]
    matches = ((only == "gender_man") & (sex.isnull() | (sex == "sex_male"))) | (
        (only == "gender_woman") & (sex.isnull() | (sex == "sex_female"))
    )
    return (count > 1) | ((count == 1) & ~_known(matches))


def _with_low_income(
    features: ir.Table, guidelines: ir.Table, guideline_year_of: GuidelineYearOf
) -> ir.Table:
    """`features` with `low_income`: the income bracket's lower bound below
    INCOME_LIMIT_PERCENT_OF_POVERTY of the guideline for the household's size, region and
    guideline year (null when the bracket or the year is unknown)."""
    years = poverty.guideline_years()
    year = guideline_year_of(features)
    prefix = features.zip.substr(0, 3)
    bracket = _answer(features.income_bracket)
    lower = ibis.cases(
        *((bracket == code, float(low)) for code, (low, _high) in schema.INCOME_BRACKETS.items()),
        else_=ibis.null("float64"),
    )
    size = features.household_size.cast("int64")
    keyed = features.mutate(
        poverty_year_known=year.notnull(),
        poverty_year=ibis.greatest(
            years.start, ibis.least(years.stop - 1, year.fill_null(years.start))
        ),
        poverty_size=((size >= 1) & size.notnull()).ifelse(size, DEFAULT_HOUSEHOLD_SIZE),
        poverty_region=ibis.cases(
            (prefix.isin(ALASKA_ZIP_PREFIXES), poverty.ALASKA),
            (prefix.isin(HAWAII_ZIP_PREFIXES), poverty.HAWAII),
            else_=poverty.CONTIGUOUS,
        ),
        income_lower_bound=lower,
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
    known = joined.poverty_year_known & joined.income_lower_bound.notnull()
    low_income = known.ifelse(joined.income_lower_bound < limit, ibis.null("boolean"))
    return joined.mutate(low_income=low_income).drop(
        "poverty_year_known",
        "poverty_year",
        "poverty_size",
        "poverty_region",
        "income_lower_bound",
        *guidelines.columns,
    )
