"""The warehouse's shape: OMOP CDM tables as Parquet, and the program's survey codes.

This module is the contract between the generator (generate.py), which writes the tables, and
the release (release.py), which reads them. It imports neither Django nor the ORM.

Layout of a generated data set (`research_generate --out DIR`):

    DIR/<table>/part-00000.parquet, part-00001.parquet, ...   one folder per OMOP table
    DIR/manifest.json                                          what was generated, with what seed

Survey answers live in `observation`, as in the All of Us program's OMOP data: one row per
answer, `observation_source_value` = the question code, `value_source_value` = the answer code,
`observation_concept_id` / `value_as_concept_id` = the local concept ids below (OMOP reserves
ids above 2,000,000,000 for local concepts), numeric answers in `value_as_number`. A question
that allows several answers (race and ethnicity) has one row per answer chosen.
"""

import pyarrow as pa

# OMOP CDM v5.4 tables the generator writes, with the columns it fills.
_ID = pa.int64()
_INT = pa.int32()
_DATE = pa.date32()
_STR = pa.string()
_FLOAT = pa.float64()

SCHEMAS: dict[str, pa.Schema] = {
    "person": pa.schema(
        [
            ("person_id", _ID),
            ("gender_concept_id", _INT),  # sex at birth: 8507 male, 8532 female, 0 other
            ("year_of_birth", _INT),
            ("month_of_birth", _INT),
            ("day_of_birth", _INT),
            ("race_concept_id", _INT),
            ("ethnicity_concept_id", _INT),
            ("location_id", _ID),
            ("care_site_id", _ID),  # the site that enrolled the participant
            ("person_source_value", _STR),
            ("gender_source_value", _STR),
            ("race_source_value", _STR),
            ("ethnicity_source_value", _STR),
        ]
    ),
    "location": pa.schema(
        [
            ("location_id", _ID),
            ("city", _STR),
            ("state", _STR),
            ("zip", _STR),  # five digits
            ("county", _STR),
        ]
    ),
    "care_site": pa.schema(
        [
            ("care_site_id", _ID),
            ("care_site_name", _STR),
            ("location_id", _ID),
            ("care_site_source_value", _STR),  # the site's code, e.g. "birmingham"
        ]
    ),
    "observation_period": pa.schema(
        [
            ("observation_period_id", _ID),
            ("person_id", _ID),
            ("observation_period_start_date", _DATE),
            ("observation_period_end_date", _DATE),
            ("period_type_concept_id", _INT),
        ]
    ),
    "visit_occurrence": pa.schema(
        [
            ("visit_occurrence_id", _ID),
            ("person_id", _ID),
            ("visit_concept_id", _INT),
            ("visit_start_date", _DATE),
            ("visit_end_date", _DATE),
            ("visit_type_concept_id", _INT),
            ("care_site_id", _ID),
        ]
    ),
    "condition_occurrence": pa.schema(
        [
            ("condition_occurrence_id", _ID),
            ("person_id", _ID),
            ("condition_concept_id", _INT),
            ("condition_start_date", _DATE),
            ("condition_end_date", _DATE),
            ("condition_type_concept_id", _INT),
            ("visit_occurrence_id", _ID),
        ]
    ),
    "drug_exposure": pa.schema(
        [
            ("drug_exposure_id", _ID),
            ("person_id", _ID),
            ("drug_concept_id", _INT),
            ("drug_exposure_start_date", _DATE),
            ("drug_exposure_end_date", _DATE),
            ("drug_type_concept_id", _INT),
            ("days_supply", _INT),
            ("visit_occurrence_id", _ID),
        ]
    ),
    "measurement": pa.schema(
        [
            ("measurement_id", _ID),
            ("person_id", _ID),
            ("measurement_concept_id", _INT),
            ("measurement_date", _DATE),
            ("measurement_type_concept_id", _INT),
            ("value_as_number", _FLOAT),
            ("unit_concept_id", _INT),
            ("unit_source_value", _STR),
            ("visit_occurrence_id", _ID),
        ]
    ),
    "procedure_occurrence": pa.schema(
        [
            ("procedure_occurrence_id", _ID),
            ("person_id", _ID),
            ("procedure_concept_id", _INT),
            ("procedure_date", _DATE),
            ("procedure_type_concept_id", _INT),
            ("visit_occurrence_id", _ID),
        ]
    ),
    "observation": pa.schema(
        [
            ("observation_id", _ID),
            ("person_id", _ID),
            ("observation_concept_id", _INT),
            ("observation_date", _DATE),
            ("observation_type_concept_id", _INT),
            ("value_as_number", _FLOAT),
            ("value_as_concept_id", _INT),
            ("observation_source_value", _STR),
            ("value_source_value", _STR),
        ]
    ),
    "death": pa.schema(
        [
            ("person_id", _ID),
            ("death_date", _DATE),
            ("death_type_concept_id", _INT),
            ("cause_concept_id", _INT),
        ]
    ),
    "concept": pa.schema(
        [
            ("concept_id", _INT),
            ("concept_name", _STR),
            ("domain_id", _STR),  # Condition, Drug, Measurement, Procedure, Observation, Visit, ...
            ("vocabulary_id", _STR),  # SNOMED, RxNorm, LOINC, CPT4, Visit, Gender, Race, ...
            ("concept_class_id", _STR),
            ("standard_concept", _STR),  # "S", "C" or null
            ("concept_code", _STR),
            ("valid_start_date", _DATE),
            ("valid_end_date", _DATE),
            ("invalid_reason", _STR),
        ]
    ),
    "concept_ancestor": pa.schema(
        [
            ("ancestor_concept_id", _INT),
            ("descendant_concept_id", _INT),  # every concept is its own descendant at level 0
            ("min_levels_of_separation", _INT),
            ("max_levels_of_separation", _INT),
        ]
    ),
    "concept_relationship": pa.schema(
        [
            ("concept_id_1", _INT),
            ("concept_id_2", _INT),
            ("relationship_id", _STR),  # "Is a", "Subsumes", "Maps to", "Mapped from"
            ("valid_start_date", _DATE),
            ("valid_end_date", _DATE),
            ("invalid_reason", _STR),
        ]
    ),
    "concept_synonym": pa.schema(
        [
            ("concept_id", _INT),
            ("concept_synonym_name", _STR),
            ("language_concept_id", _INT),  # LANGUAGE_ENGLISH or LANGUAGE_SPANISH
        ]
    ),
}

TABLES = tuple(SCHEMAS)

# Event tables: what counts towards "events" in the generator's figures.
EVENT_TABLES = (
    "visit_occurrence",
    "condition_occurrence",
    "drug_exposure",
    "measurement",
    "procedure_occurrence",
    "observation",
)

# Standard OMOP concepts for demographics and record provenance.
MALE, FEMALE, UNKNOWN_SEX = 8507, 8532, 0
RACE_WHITE = 8527
RACE_BLACK = 8516
RACE_ASIAN = 8515
RACE_AIAN = 8657
RACE_NHPI = 8557
RACE_OTHER_OR_MULTIPLE = 8522  # "Other Race"
RACE_UNKNOWN = 0
HISPANIC, NOT_HISPANIC, ETHNICITY_UNKNOWN = 38003563, 38003564, 0
# OMOP's language concepts, for concept_synonym.language_concept_id.
LANGUAGE_ENGLISH = 4180186  # "English language"
LANGUAGE_SPANISH = 4182511  # "Spanish language"
EHR_RECORD = 32817  # type concept "EHR"
SURVEY_RECORD = 45905771  # type concept "Observation recorded from a Survey"

# The program's survey: question code -> answer codes. Local concept ids follow in
# SURVEY_CONCEPT_IDS. "skip" and "prefer_not_to_answer" are possible for every question.
SKIP = "skip"
PREFER_NOT = "prefer_not_to_answer"
SURVEY: dict[str, tuple[str, ...]] = {
    "consent": ("consent_yes",),  # observation_date is the primary consent date
    # Several answers may be chosen; "race_hispanic" is the ethnicity answer.
    "race_ethnicity": (
        "race_aian",
        "race_asian",
        "race_black",
        "race_hispanic",
        "race_mena",
        "race_nhpi",
        "race_white",
        "race_none_of_these",
    ),
    "sex_at_birth": ("sex_male", "sex_female", "sex_intersex", "sex_none_of_these"),
    "gender_identity": (
        "gender_man",
        "gender_woman",
        "gender_non_binary",
        "gender_transgender",
        "gender_additional",
    ),
    "sexual_orientation": (
        "orientation_straight",
        "orientation_gay",
        "orientation_lesbian",
        "orientation_bisexual",
        "orientation_none_of_these",
    ),
    "annual_income": ("income_amount",),  # value_as_number: household income, US dollars
    "household_size": ("household_count",),  # value_as_number: people in the household
    "education": (
        "education_never_attended",
        "education_grades_1_4",
        "education_grades_5_8",
        "education_grades_9_11",
        "education_high_school_ged",
        "education_some_college",
        "education_college_graduate",
        "education_advanced_degree",
    ),
    # Disability: one yes/no question each.
    "disability_blind": ("yes", "no"),
    "disability_deaf": ("yes", "no"),
    "disability_walking": ("yes", "no"),
    "disability_dressing": ("yes", "no"),
    "disability_errands": ("yes", "no"),
    "disability_concentrating": ("yes", "no"),
    # Access to care.
    "health_insurance": ("yes", "no"),  # has any health insurance
    "usual_source_of_care": ("yes", "no"),
    "delayed_care_cost": ("yes", "no"),
    "delayed_care_transport": ("yes", "no"),
}
DISABILITY_QUESTIONS = tuple(q for q in SURVEY if q.startswith("disability_"))

LOCAL_CONCEPT_BASE = 2_000_000_000
SURVEY_VOCABULARY = "Tapestry Survey"  # vocabulary_id of the local survey concepts
# Source codes (ICD-10-CM, CPT4, ... from research/data/source_codes.csv) are local,
# non-standard concepts too, numbered from here on, well above the survey's ids.
SOURCE_CONCEPT_BASE = 2_100_000_000


def _survey_concept_ids() -> dict[str, int]:
    """Stable local concept ids: questions and answer codes, in declaration order."""
    codes: list[str] = []
    for question, answers in SURVEY.items():
        codes.append(question)
        codes.extend(a for a in answers if a not in codes)
    codes.extend([SKIP, PREFER_NOT])
    return {code: LOCAL_CONCEPT_BASE + 1 + index for index, code in enumerate(codes)}


SURVEY_CONCEPT_IDS = _survey_concept_ids()

# Enrollment sites: the seed's six launch sites first, then the others. The code is
# care_site.care_site_source_value.
LAUNCH_SITES: tuple[tuple[str, str, str, str], ...] = (
    # code, name, state, a ZIP code at the site
    ("birmingham", "Birmingham, AL", "AL", "35233"),
    ("chicago", "Chicago, IL", "IL", "60612"),
    ("detroit", "Detroit, MI", "MI", "48201"),
    ("kansas_city", "Kansas City, MO", "MO", "64108"),
    ("new_york", "New York City, NY", "NY", "10032"),
    ("pasco", "Pasco, WA", "WA", "99301"),
)

# The participant features the release derives from person, location and the survey, one row
# per participant; the UBR classifier (ubr.py) reads these columns.
PARTICIPANT_FEATURES = pa.schema(
    [
        ("person_id", _ID),
        ("site", _STR),  # care_site_source_value
        ("consent_date", _DATE),
        ("age_at_consent", _INT),
        ("race_answers", pa.list_(_STR)),  # answer codes chosen for race_ethnicity
        ("sex_at_birth", _STR),  # answer code, or null when skipped
        ("gender_identity", _STR),
        ("sexual_orientation", _STR),
        ("annual_income", _FLOAT),  # null when skipped
        ("household_size", _INT),
        ("education", _STR),
        ("zip", _STR),
        ("rural_zip", pa.bool_()),
        *[(question, _STR) for question in DISABILITY_QUESTIONS],  # "yes", "no" or null
        ("health_insurance", _STR),
        ("usual_source_of_care", _STR),
        ("delayed_care_cost", _STR),
        ("delayed_care_transport", _STR),
    ]
)
