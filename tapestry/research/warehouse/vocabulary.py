"""The curated OMOP vocabulary and the clinical model the synthetic data generator draws from.

Two halves:

1. **Concepts.** `research/data/vocabulary.json` holds a few hundred real standard concepts of the
   OMOP vocabularies (SNOMED conditions, procedures and observations, LOINC measurements, RxNorm
   ingredients, ATC classes, visits, units, gender, race and ethnicity), each with its real
   concept_id, name and code, and the "Is a" links between them. Every row was checked against
   public OHDSI material (the file lists the sources); nothing is invented. The program's own
   survey questions and answers are added as local concepts (vocabulary `SURVEY_VOCABULARY`, ids
   from `schema.SURVEY_CONCEPT_IDS`). From these the module builds the `concept`,
   `concept_ancestor` (transitive closure, a level-0 row for every concept) and
   `concept_relationship` ("Is a" / "Subsumes") tables.

   Levels of separation in `concept_ancestor` count steps inside this curated subset: where the
   full OMOP hierarchy has intermediate concepts we did not include, a level here is shorter
   than in Athena. "Include descendants" still means what it means in OMOP.

2. **Clinical model.** Prevalences of chronic conditions (by age, sex, race and ethnicity, and
   other conditions), rates of acute conditions, which drugs treat which conditions, the value
   distributions of measurements (normal mean / standard deviation, clipping range) and what
   shifts them (type 2 diabetes raises HbA1c and glucose, hypertension raises blood pressure,
   statins lower LDL, ...), and the procedures and health-record observations that follow
   conditions. The numbers are plausible round figures in the range U.S. surveillance reports,
   not estimates for any real population.

Imports neither Django nor the ORM.
"""

from __future__ import annotations

import datetime
import json
from collections import defaultdict, deque
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pyarrow as pa

from tapestry.research.warehouse import schema

DATA_FILE = Path(__file__).resolve().parents[1] / "data" / "vocabulary.json"


# ---------------------------------------------------------------------------------------------
# Concepts
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Concept:
    concept_id: int
    concept_name: str
    domain_id: str
    vocabulary_id: str
    concept_class_id: str
    standard_concept: str | None
    concept_code: str


# Plain-English names of the survey's local concepts (questions, then answers).
SURVEY_CONCEPT_NAMES: dict[str, str] = {
    "consent": "Consent to join the research program",
    "consent_yes": "Yes, I agree to join",
    "race_ethnicity": "Which categories describe you? Select all that apply.",
    "race_aian": "American Indian or Alaska Native",
    "race_asian": "Asian",
    "race_black": "Black, African American, or African",
    "race_hispanic": "Hispanic, Latino, or Spanish",
    "race_mena": "Middle Eastern or North African",
    "race_nhpi": "Native Hawaiian or other Pacific Islander",
    "race_white": "White",
    "race_none_of_these": "None of these fully describe me",
    "sex_at_birth": "What was your biological sex assigned at birth?",
    "sex_male": "Male",
    "sex_female": "Female",
    "sex_intersex": "Intersex",
    "sex_none_of_these": "None of these describe me",
    "gender_identity": "What terms best describe your current gender identity?",
    "gender_man": "Man",
    "gender_woman": "Woman",
    "gender_non_binary": "Non-binary",
    "gender_transgender": "Transgender",
    "gender_additional": "Another term not listed",
    "sexual_orientation": "Which of these best describes how you think of yourself?",
    "orientation_straight": "Straight or heterosexual",
    "orientation_gay": "Gay",
    "orientation_lesbian": "Lesbian",
    "orientation_bisexual": "Bisexual",
    "orientation_none_of_these": "None of these describe me",
    "annual_income": "What is your household's total income in a year, from all sources?",
    "income_amount": "Household income in U.S. dollars",
    "household_size": "How many people live in your household, including you?",
    "household_count": "Number of people in the household",
    "education": "What is the highest grade or year of school you finished?",
    "education_never_attended": "Never went to school or only kindergarten",
    "education_grades_1_4": "Grades 1 through 4",
    "education_grades_5_8": "Grades 5 through 8",
    "education_grades_9_11": "Grades 9 through 11",
    "education_high_school_ged": "Grade 12 or GED (high school graduate)",
    "education_some_college": "1 to 3 years of college or technical school",
    "education_college_graduate": "College graduate (4 years or more)",
    "education_advanced_degree": "Advanced degree (master's, doctorate or professional)",
    "disability_blind": "Are you blind, or do you have serious trouble seeing, even with glasses?",
    "disability_deaf": "Are you deaf, or do you have serious trouble hearing?",
    "disability_walking": "Do you have serious trouble walking or climbing stairs?",
    "disability_dressing": "Do you have trouble dressing or bathing?",
    "disability_errands": (
        "Because of a physical, mental or emotional condition, do you have trouble doing "
        "errands alone, such as visiting a doctor's office or shopping?"
    ),
    "disability_concentrating": (
        "Because of a physical, mental or emotional condition, do you have serious trouble "
        "concentrating, remembering or making decisions?"
    ),
    "yes": "Yes",
    "no": "No",
    "health_insurance": "Do you have health insurance or another kind of health care plan?",
    "usual_source_of_care": "Is there a place you usually go when you are sick or need advice "
    "about your health?",
    "delayed_care_cost": "In the past 12 months, did you put off medical care because of the cost?",
    "delayed_care_transport": (
        "In the past 12 months, did you put off medical care because you had no way to get there?"
    ),
    schema.SKIP: "Skipped the question",
    schema.PREFER_NOT: "Prefer not to answer",
}


@cache
def _document() -> dict:
    return json.loads(DATA_FILE.read_text(encoding="utf-8"))


@cache
def standard_concepts() -> tuple[Concept, ...]:
    """The curated real OMOP concepts, in file order."""
    return tuple(Concept(*row) for row in _document()["concepts"])


@cache
def survey_concepts() -> tuple[Concept, ...]:
    """The program survey's questions and answers as local concepts."""
    questions = set(schema.SURVEY)
    concepts = []
    for code, concept_id in schema.SURVEY_CONCEPT_IDS.items():
        concepts.append(
            Concept(
                concept_id=concept_id,
                concept_name=SURVEY_CONCEPT_NAMES[code],
                domain_id="Observation",
                vocabulary_id=schema.SURVEY_VOCABULARY,
                concept_class_id="Question" if code in questions else "Answer",
                standard_concept="S",
                concept_code=code,
            )
        )
    return tuple(concepts)


@cache
def all_concepts() -> tuple[Concept, ...]:
    return standard_concepts() + survey_concepts()


@cache
def concept_by_id() -> dict[int, Concept]:
    return {concept.concept_id: concept for concept in all_concepts()}


@cache
def is_a_edges() -> tuple[tuple[int, int], ...]:
    """Direct (child, parent) links, as in OMOP's "Is a" relationship."""
    return tuple((int(child), int(parent)) for child, parent in _document()["is_a"])


def concept_counts_by_domain() -> dict[str, int]:
    """How many real (non-survey) concepts each domain holds."""
    counts: dict[str, int] = defaultdict(int)
    for concept in standard_concepts():
        counts[concept.domain_id] += 1
    return dict(sorted(counts.items()))


def _dates(count: int) -> tuple[pa.Array, pa.Array]:
    start = datetime.date.fromisoformat(_document()["valid_start_date"])
    end = datetime.date.fromisoformat(_document()["valid_end_date"])
    return pa.array([start] * count, pa.date32()), pa.array([end] * count, pa.date32())


@cache
def concept_table() -> pa.Table:
    concepts = all_concepts()
    start, end = _dates(len(concepts))
    columns = {
        "concept_id": pa.array([c.concept_id for c in concepts], pa.int32()),
        "concept_name": pa.array([c.concept_name for c in concepts], pa.string()),
        "domain_id": pa.array([c.domain_id for c in concepts], pa.string()),
        "vocabulary_id": pa.array([c.vocabulary_id for c in concepts], pa.string()),
        "concept_class_id": pa.array([c.concept_class_id for c in concepts], pa.string()),
        "standard_concept": pa.array([c.standard_concept for c in concepts], pa.string()),
        "concept_code": pa.array([c.concept_code for c in concepts], pa.string()),
        "valid_start_date": start,
        "valid_end_date": end,
        "invalid_reason": pa.nulls(len(concepts), pa.string()),
    }
    return pa.table(columns, schema=schema.SCHEMAS["concept"])


@cache
def ancestor_pairs() -> tuple[tuple[int, int, int, int], ...]:
    """(ancestor, descendant, min_levels, max_levels) for the transitive closure of "Is a",
    with a level-0 row for every standard or classification concept."""
    parents: dict[int, list[int]] = defaultdict(list)
    for child, parent in is_a_edges():
        parents[child].append(parent)
    rows: list[tuple[int, int, int, int]] = []
    for concept in all_concepts():
        if concept.standard_concept is None:
            continue
        levels: dict[int, list[int]] = {}  # ancestor -> [min, max]
        queue: deque[tuple[int, int]] = deque([(concept.concept_id, 0)])
        while queue:
            node, depth = queue.popleft()
            seen = levels.get(node)
            if seen is None:
                levels[node] = [depth, depth]
            else:
                seen[0] = min(seen[0], depth)
                seen[1] = max(seen[1], depth)
            for parent in parents.get(node, ()):
                queue.append((parent, depth + 1))
        rows += [
            (ancestor, concept.concept_id, low, high) for ancestor, (low, high) in levels.items()
        ]
    return tuple(sorted(rows))


@cache
def concept_ancestor_table() -> pa.Table:
    rows = ancestor_pairs()
    return pa.table(
        {
            "ancestor_concept_id": pa.array([r[0] for r in rows], pa.int32()),
            "descendant_concept_id": pa.array([r[1] for r in rows], pa.int32()),
            "min_levels_of_separation": pa.array([r[2] for r in rows], pa.int32()),
            "max_levels_of_separation": pa.array([r[3] for r in rows], pa.int32()),
        },
        schema=schema.SCHEMAS["concept_ancestor"],
    )


@cache
def concept_relationship_table() -> pa.Table:
    rows = [(child, parent, "Is a") for child, parent in is_a_edges()]
    rows += [(parent, child, "Subsumes") for child, parent in is_a_edges()]
    rows.sort()
    start, end = _dates(len(rows))
    return pa.table(
        {
            "concept_id_1": pa.array([r[0] for r in rows], pa.int32()),
            "concept_id_2": pa.array([r[1] for r in rows], pa.int32()),
            "relationship_id": pa.array([r[2] for r in rows], pa.string()),
            "valid_start_date": start,
            "valid_end_date": end,
            "invalid_reason": pa.nulls(len(rows), pa.string()),
        },
        schema=schema.SCHEMAS["concept_relationship"],
    )


# ---------------------------------------------------------------------------------------------
# Clinical model
# ---------------------------------------------------------------------------------------------

# Race and ethnicity groups the model distinguishes (the generator assigns each participant one).
RACE_GROUPS = (
    "white",
    "black",
    "hispanic",
    "asian",
    "aian",
    "nhpi",
    "mena",
    "multi",
    "none",
    "declined",
)


@dataclass(frozen=True)
class ChronicCondition:
    """A lasting condition, present or not for each participant.

    Probability = prevalence (at age 50) * per_decade^((age - 50) / 10) * the sex and race
    factors * the factor of every risk the participant has (other conditions listed before this
    one, "smoker"), capped at 0.9. `requires` limits it to people with all of those conditions.
    """

    key: str
    concept_id: int
    prevalence: float
    per_decade: float = 1.0
    male: float = 1.0
    female: float = 1.0
    race: dict[str, float] = field(default_factory=dict)
    risks: dict[str, float] = field(default_factory=dict)
    requires: tuple[str, ...] = ()
    min_age: int = 0
    max_age: int = 200
    follow_up: float = 0.3  # extra records per later visit


_HIGH_METABOLIC = {"black": 1.6, "hispanic": 1.6, "aian": 2.0, "nhpi": 1.8, "asian": 1.3}

CHRONIC: tuple[ChronicCondition, ...] = (
    ChronicCondition(
        "obesity",
        433736,
        0.38,
        race={"black": 1.3, "hispanic": 1.2, "asian": 0.4, "aian": 1.3, "nhpi": 1.4},
        min_age=10,
    ),
    ChronicCondition(
        "t2dm",
        201826,
        0.042,
        1.45,
        male=1.15,
        race=_HIGH_METABOLIC,
        risks={"obesity": 2.4},
        min_age=18,
        follow_up=0.5,
    ),
    ChronicCondition("t1dm", 201254, 0.005, 0.95, follow_up=0.5),
    ChronicCondition(
        "htn",
        320128,
        0.175,
        1.55,
        male=1.1,
        race={"black": 1.5, "hispanic": 1.05, "aian": 1.2},
        risks={"obesity": 1.5, "t2dm": 1.4},
        min_age=18,
        follow_up=0.45,
    ),
    ChronicCondition(
        "hyperlipidemia", 432867, 0.17, 1.35, male=1.1, risks={"t2dm": 1.5, "obesity": 1.3}
    ),
    ChronicCondition(
        "hypertriglyceridemia", 4120314, 0.03, 1.1, male=1.3, risks={"t2dm": 2.0, "obesity": 1.6}
    ),
    ChronicCondition("metabolic_syndrome", 436940, 0.02, 1.2, risks={"obesity": 3.0, "t2dm": 2.0}),
    ChronicCondition(
        "ckd", 443597, 0.008, 1.8, race={"black": 1.5}, risks={"t2dm": 2.4, "htn": 1.9}
    ),
    ChronicCondition("ckd_early", 443601, 0.006, 1.6, risks={"t2dm": 2.0, "htn": 1.6}),
    ChronicCondition("ckd_stage1", 443614, 0.006, 1.4, risks={"t2dm": 2.0}),
    ChronicCondition("htn_renal", 201313, 0.004, 1.6, risks={"htn": 3.0, "ckd": 4.0}),
    ChronicCondition(
        "cad",
        317576,
        0.011,
        1.9,
        male=1.8,
        female=0.6,
        risks={"t2dm": 1.8, "htn": 1.7, "hyperlipidemia": 1.5, "smoker": 1.8},
        min_age=25,
        follow_up=0.35,
    ),
    ChronicCondition(
        "mi", 4329847, 0.003, 1.6, male=1.8, female=0.6, risks={"cad": 6.0}, min_age=25
    ),
    ChronicCondition(
        "cardiac_arrest", 321042, 0.0008, 1.5, risks={"cad": 4.0, "mi": 3.0}, min_age=25
    ),
    ChronicCondition(
        "af",
        313217,
        0.007,
        2.1,
        male=1.4,
        race={"white": 1.3, "black": 0.7, "asian": 0.7},
        risks={"htn": 1.5, "obesity": 1.3},
        min_age=20,
    ),
    ChronicCondition("flutter", 314665, 0.002, 2.0, male=1.5, risks={"af": 3.0}, min_age=20),
    ChronicCondition(
        "hf",
        4229440,
        0.0025,
        2.0,
        male=1.3,
        race={"black": 1.4},
        risks={"cad": 3.0, "htn": 1.8, "t2dm": 1.6, "af": 2.0},
        min_age=25,
        follow_up=0.45,
    ),
    ChronicCondition("hf_unspecified", 316139, 0.0015, 2.0, risks={"cad": 2.5, "htn": 1.6}),
    ChronicCondition(
        "stroke",
        443454,
        0.003,
        1.9,
        race={"black": 1.5},
        risks={"htn": 2.0, "af": 2.5, "t2dm": 1.5, "smoker": 1.6},
        min_age=20,
    ),
    ChronicCondition("cva", 381316, 0.002, 1.9, risks={"htn": 1.8, "af": 2.0}, min_age=20),
    ChronicCondition("cerebral_hemorrhage", 376713, 0.001, 1.7, risks={"htn": 2.0}, min_age=20),
    ChronicCondition(
        "pvd", 321052, 0.006, 1.8, risks={"t2dm": 2.0, "smoker": 2.0, "htn": 1.3}, min_age=30
    ),
    ChronicCondition(
        "copd", 255573, 0.018, 1.7, risks={"smoker": 4.0}, race={"asian": 0.5}, min_age=35
    ),
    ChronicCondition("emphysema", 261325, 0.006, 1.7, risks={"smoker": 5.0}, min_age=35),
    ChronicCondition("emphysematous_bronchitis", 258780, 0.003, 1.6, risks={"smoker": 4.0}),
    ChronicCondition(
        "asthma",
        317009,
        0.08,
        0.92,
        male=0.8,
        female=1.2,
        race={"black": 1.35, "hispanic": 1.1, "aian": 1.3},
        risks={"obesity": 1.4},
    ),
    ChronicCondition("childhood_asthma", 4051466, 0.006, 0.55),
    ChronicCondition(
        "depression",
        440383,
        0.08,
        0.92,
        male=0.65,
        female=1.3,
        race={"white": 1.15, "asian": 0.6},
        risks={"chronic_pain": 1.6},
        follow_up=0.35,
    ),
    ChronicCondition("mdd", 4152280, 0.05, 0.9, male=0.65, female=1.3, follow_up=0.35),
    ChronicCondition("mdd_single", 4282096, 0.02, 0.9, male=0.7, female=1.3),
    ChronicCondition("anxiety", 442077, 0.07, 0.88, male=0.65, female=1.3, follow_up=0.3),
    ChronicCondition("gad", 434613, 0.035, 0.9, male=0.65, female=1.3, risks={"depression": 2.0}),
    ChronicCondition("panic", 436074, 0.012, 0.85, male=0.6, female=1.4),
    ChronicCondition("ptsd", 436676, 0.018, 0.9, female=1.4, male=0.7, race={"aian": 1.6}),
    ChronicCondition("bipolar", 436665, 0.01, 0.85),
    ChronicCondition("insomnia", 436962, 0.05, 1.1, female=1.2, risks={"depression": 1.8}),
    ChronicCondition("adhd", 440086, 0.012, 0.55, male=1.6, female=0.6, max_age=60),
    ChronicCondition("alcoholism", 4218106, 0.02, 0.95, male=2.0, female=0.5, race={"aian": 2.0}),
    ChronicCondition("opioid_abuse", 438130, 0.008, 0.8, risks={"chronic_pain": 2.0}),
    ChronicCondition("nicotine_dependence", 4209423, 0.01, 1.0, risks={"smoker": 8.0}),
    ChronicCondition("tobacco_dependence", 437264, 0.006, 1.0, risks={"smoker": 8.0}),
    ChronicCondition("dementia", 4182210, 0.003, 2.8, min_age=45),
    ChronicCondition("alzheimers", 378419, 0.002, 3.0, risks={"dementia": 3.0}, min_age=50),
    ChronicCondition("alzheimers_familial", 4043241, 0.0002, 1.5, min_age=35),
    ChronicCondition("epilepsy", 380378, 0.007, 1.0),
    ChronicCondition("seizure_disorder", 4029498, 0.004, 1.0),
    ChronicCondition("migraine", 43530652, 0.025, 0.8, male=0.4, female=1.5),
    ChronicCondition("hypothyroidism", 140673, 0.05, 1.3, male=0.3, female=1.6, follow_up=0.25),
    ChronicCondition("hypothyroidism_atrophic", 4309027, 0.008, 1.3, male=0.3, female=1.6),
    ChronicCondition("oa_knee", 4079750, 0.06, 1.8, risks={"obesity": 1.8}, min_age=30),
    ChronicCondition("oa_hip", 4079749, 0.025, 1.8, min_age=35),
    ChronicCondition("oa_hand", 75036, 0.015, 1.7, female=1.4, male=0.7, min_age=35),
    ChronicCondition("osteoarthritis", 80180, 0.03, 1.6, min_age=30),
    ChronicCondition("ra", 80809, 0.008, 1.3, male=0.45, female=1.5, min_age=18),
    ChronicCondition("osteoporosis", 80502, 0.014, 2.2, male=0.25, female=1.7, min_age=40),
    ChronicCondition(
        "osteoporotic_fracture", 40480160, 0.002, 2.0, risks={"osteoporosis": 8.0}, min_age=50
    ),
    ChronicCondition(
        "gout", 440674, 0.025, 1.5, male=2.2, female=0.4, risks={"ckd": 2.0, "obesity": 1.5}
    ),
    ChronicCondition("fibromyalgia", 4316217, 0.012, 1.1, male=0.3, female=1.7, min_age=18),
    ChronicCondition("chronic_pain", 436096, 0.07, 1.2, risks={"obesity": 1.3}, min_age=18),
    ChronicCondition(
        "anemia",
        439777,
        0.035,
        1.2,
        male=0.6,
        female=1.4,
        race={"black": 1.7},
        risks={"ckd": 2.5},
    ),
    ChronicCondition("breast_cancer", 4112853, 0.011, 1.5, male=0.01, female=1.9, min_age=25),
    ChronicCondition("colon_polyp", 4285898, 0.03, 1.6, min_age=30),
    ChronicCondition(
        "colon_cancer", 197500, 0.003, 1.8, race={"black": 1.2}, risks={"colon_polyp": 2.0}
    ),
    ChronicCondition("colon_cancer_unspecified", 4180790, 0.001, 1.8, min_age=30),
    ChronicCondition("nsclc", 4115276, 0.0025, 1.9, risks={"smoker": 6.0}, min_age=35),
    ChronicCondition("sclc", 4110591, 0.0005, 1.9, risks={"smoker": 8.0}, min_age=35),
    ChronicCondition(
        "prostate_neoplasm", 4129902, 0.007, 2.3, male=2.0, female=0.0, race={"black": 1.7}
    ),
    ChronicCondition("prostate_cis", 200970, 0.002, 2.0, male=2.0, female=0.0, race={"black": 1.5}),
    ChronicCondition("leukemia", 317510, 0.0015, 1.4),
    ChronicCondition("ulcerative_colitis", 81893, 0.005, 1.0),
    ChronicCondition("peptic_ulcer", 4027663, 0.008, 1.3),
    ChronicCondition("esophagitis", 30753, 0.015, 1.2),
    ChronicCondition("diverticular", 4266809, 0.025, 1.8, min_age=30),
    ChronicCondition("gallstone", 196456, 0.025, 1.4, female=1.5, male=0.6, risks={"obesity": 1.8}),
    ChronicCondition("chronic_sinusitis", 257012, 0.02, 1.0),
    ChronicCondition("recurrent_uti", 4056621, 0.008, 1.1, male=0.2, female=1.8),
    ChronicCondition("seasonal_rhinitis", 4280726, 0.09, 0.85, race={"asian": 1.2}, follow_up=0.15),
    ChronicCondition("perennial_rhinitis", 40486433, 0.035, 0.85),
    ChronicCondition("perennial_seasonal_rhinitis", 4048171, 0.02, 0.85),
    ChronicCondition("atopic_dermatitis", 133834, 0.025, 0.7),
    ChronicCondition("cystic_fibrosis", 441267, 0.0003, 0.5, max_age=70),
    ChronicCondition("cf_diabetes", 4144583, 0.3, requires=("cystic_fibrosis",)),
    ChronicCondition("spinal_paralysis", 44782520, 0.0006, 1.0),
    ChronicCondition(
        "gestational_diabetes",
        4024659,
        0.012,
        male=0.0,
        race=_HIGH_METABOLIC,
        min_age=18,
        max_age=45,
    ),
    # Complications of diabetes, among people who have it.
    ChronicCondition("t2dm_disorder", 443732, 0.10, 1.2, requires=("t2dm",)),
    ChronicCondition("t2dm_poor_control", 443238, 0.12, 0.9, requires=("t2dm",)),
    ChronicCondition("dm_kidney", 192279, 0.08, 1.3, risks={"htn": 1.5}, requires=("t2dm",)),
    ChronicCondition("dm_eye", 443767, 0.03, 1.3, requires=("t2dm",)),
    ChronicCondition("dm_nervous", 443730, 0.03, 1.3, requires=("t2dm",)),
    ChronicCondition("t2dm_retinopathy", 4226121, 0.07, 1.3, requires=("t2dm",)),
    ChronicCondition("t2dm_npdr", 43530656, 0.05, 1.3, requires=("t2dm",)),
    ChronicCondition("t2dm_pdr", 43530685, 0.015, 1.3, requires=("t2dm",)),
    ChronicCondition("t2dm_macular_edema", 45770830, 0.01, 1.3, requires=("t2dm",)),
    ChronicCondition("t2dm_blindness", 45763582, 0.004, 1.4, requires=("t2dm",)),
    ChronicCondition("t2dm_neuropathy", 37016354, 0.12, 1.3, requires=("t2dm",)),
    ChronicCondition("dm_peripheral_neuropathy", 4311708, 0.05, 1.3, requires=("t2dm",)),
    ChronicCondition("t2dm_microalbuminuria", 45769905, 0.09, 1.2, requires=("t2dm",)),
    ChronicCondition("t2dm_proteinuria", 45757499, 0.04, 1.3, requires=("t2dm",)),
)
CHRONIC_KEYS = tuple(condition.key for condition in CHRONIC)


@dataclass(frozen=True)
class AcuteCondition:
    """An episode that can happen several times: records = Poisson(rate * years observed *
    per_decade^((age - 50) / 10) * sex factor * risk factors)."""

    concept_id: int
    rate: float  # episodes per person-year at age 50
    per_decade: float = 1.0
    male: float = 1.0
    female: float = 1.0
    risks: dict[str, float] = field(default_factory=dict)
    min_age: int = 0
    max_age: int = 200
    days: int = 10  # how long an episode lasts (condition_end_date)


ACUTE: tuple[AcuteCondition, ...] = (
    AcuteCondition(4112343, 0.06, 0.8, days=7),  # acute viral pharyngitis
    AcuteCondition(28060, 0.02, 0.7, days=10),  # streptococcal sore throat
    AcuteCondition(40481087, 0.05, 0.95, days=10),  # viral sinusitis
    AcuteCondition(4294548, 0.015, 1.0, days=14),  # acute bacterial sinusitis
    AcuteCondition(260139, 0.04, 1.05, risks={"smoker": 1.8, "copd": 2.0}, days=14),  # bronchitis
    AcuteCondition(255848, 0.008, 1.45, risks={"copd": 3.0, "hf": 2.0}, days=21),  # pneumonia
    AcuteCondition(372328, 0.012, 0.6, days=10),  # otitis media
    AcuteCondition(254761, 0.03, 1.05, risks={"smoker": 1.5, "copd": 2.0}, days=14),  # cough
    AcuteCondition(437663, 0.015, 0.9, days=5),  # fever
    AcuteCondition(312437, 0.008, 1.4, risks={"hf": 4.0, "copd": 3.0, "obesity": 1.4}),  # dyspnea
    AcuteCondition(4158346, 0.002, 1.3, risks={"copd": 3.0, "asthma": 2.0}, days=5),
    AcuteCondition(195588, 0.02, 1.0, male=0.2, female=1.8, days=7),  # cystitis
    AcuteCondition(4116491, 0.01, 1.1, male=0.2, female=1.8, days=7),  # E. coli UTI
    AcuteCondition(198199, 0.002, 1.1, male=0.3, female=1.7, days=14),  # pyelonephritis
    AcuteCondition(433125, 0.003, 1.2, risks={"t2dm": 1.6}, days=14),  # staph infection
    AcuteCondition(4008261, 0.001, 1.3, days=14),  # pseudomonas infection
    AcuteCondition(40491961, 0.0004, 1.6, risks={"t2dm": 1.8, "ckd": 2.0}, days=21),  # sepsis
    AcuteCondition(4084167, 0.008, 0.9, days=3),  # acute allergic reaction
    AcuteCondition(134438, 0.012, 0.9, days=14),  # contact dermatitis
    AcuteCondition(81151, 0.012, 0.8, days=30),  # sprain of ankle
    AcuteCondition(78272, 0.005, 0.85, days=30),  # sprain of wrist
    AcuteCondition(4059173, 0.002, 1.0, days=56),  # fracture of ankle
    AcuteCondition(4278672, 0.002, 1.0, days=56),  # fracture of forearm
    AcuteCondition(4237458, 0.001, 0.8, male=1.5, days=56),  # fracture of clavicle
    AcuteCondition(4142905, 0.0015, 1.3, days=42),  # fracture of rib
    AcuteCondition(4230399, 0.0006, 2.6, risks={"osteoporosis": 3.0}, min_age=40, days=90),
    AcuteCondition(4134304, 0.0005, 1.0, days=56),  # fracture subluxation of wrist
    AcuteCondition(4048695, 0.0005, 1.5, risks={"osteoporosis": 2.5}, days=90),
    AcuteCondition(4066995, 0.00005, 1.0, days=120),  # vertebral fracture with cord injury
    AcuteCondition(4113008, 0.008, 0.85, male=1.4, days=14),  # laceration of hand
    AcuteCondition(4109685, 0.003, 0.8, days=14),  # laceration of foot
    AcuteCondition(4155034, 0.003, 0.8, days=14),  # laceration of forearm
    AcuteCondition(4152936, 0.0015, 0.8, days=14),  # laceration of thigh
    AcuteCondition(4156265, 0.003, 0.8, days=14),  # facial laceration
    AcuteCondition(4218389, 0.003, 0.9, days=42),  # whiplash
    AcuteCondition(4035415, 0.002, 1.0, days=60),  # tear of meniscus
    AcuteCondition(40479768, 0.0008, 0.6, days=120),  # ACL injury
    AcuteCondition(40479422, 0.0008, 0.7, days=60),  # MCL injury
    AcuteCondition(4146173, 0.0025, 1.4, days=90),  # rotator cuff
    AcuteCondition(4149245, 0.0003, 0.9, days=120),  # patellar tendon rupture
    AcuteCondition(378001, 0.0025, 0.8, days=21),  # concussion, no loss of consciousness
    AcuteCondition(375671, 0.0007, 0.8, days=30),  # concussion with loss of consciousness
    AcuteCondition(4001336, 0.0005, 0.8, days=30),  # concussion injury of brain
    AcuteCondition(4132546, 0.0004, 1.0, days=90),  # traumatic brain injury
    AcuteCondition(4094814, 0.0003, 0.6, male=3.0, female=0.3, days=30),  # bullet wound
    AcuteCondition(4296204, 0.003, 0.8, days=10),  # epidermal burn
    AcuteCondition(4296205, 0.001, 0.8, days=21),  # partial thickness burn
    AcuteCondition(4299128, 0.0002, 0.8, days=60),  # full thickness burn
    AcuteCondition(440448, 0.0012, 0.7, days=14),  # appendicitis
    AcuteCondition(4166224, 0.0002, 0.7, days=21),  # rupture of appendix
    AcuteCondition(198809, 0.0015, 1.3, risks={"gallstone": 10.0}, days=14),  # cholecystitis
    AcuteCondition(192671, 0.002, 1.5, risks={"peptic_ulcer": 5.0}, days=7),  # GI hemorrhage
    AcuteCondition(4245614, 0.002, 1.2, days=5),  # bleeding from anus
    AcuteCondition(4341247, 0.002, 1.0, days=21),  # protracted diarrhea
    AcuteCondition(4318531, 0.004, 1.0, days=7),  # gastrointestinal irritation
    AcuteCondition(435796, 0.004, 1.3, days=3),  # dehydration
    AcuteCondition(4214376, 0.004, 1.3, risks={"t2dm": 8.0}, days=3),  # hyperglycemia
    AcuteCondition(4208104, 0.0008, 0.8, risks={"opioid_abuse": 15.0}, days=3),  # overdose
    AcuteCondition(4055754, 0.004, 0.4, max_age=45, days=30),  # impacted molars
    AcuteCondition(4329041, 0.01, 1.1, days=7),  # pain
    AcuteCondition(4217975, 0.05, 0.7, male=0.0, female=2.0, min_age=16, max_age=45, days=270),
    AcuteCondition(4188598, 0.008, 0.8, male=0.0, female=2.0, min_age=16, max_age=45, days=270),
    AcuteCondition(4078393, 0.006, 0.9, male=0.0, female=2.0, min_age=16, max_age=45, days=14),
)

# Health-record observations: allergies (concept, share of participants with it).
ALLERGIES: tuple[tuple[int, float], ...] = (
    (4306014, 0.030),  # tree pollen
    (4302207, 0.030),  # grass pollen
    (4048169, 0.025),  # house dust mite
    (439406, 0.020),  # animal dander
    (4304110, 0.012),  # mold
    (4240902, 0.015),  # peanuts
    (438614, 0.008),  # nut
    (433644, 0.012),  # shellfish
    (4219399, 0.004),  # fish
    (442116, 0.005),  # eggs
    (4139681, 0.006),  # dairy product
    (4169137, 0.004),  # wheat
    (37017711, 0.003),  # soy
    (4174876, 0.006),  # bee venom
    (4102123, 0.005),  # latex
)


@dataclass(frozen=True)
class Treatment:
    """For people with `condition`: with `probability`, one drug picked from `choices`
    (ingredient concept_id, weight). Chronic treatments are refilled at later visits; acute
    ones are one exposure at the episode's visit."""

    condition: int | str  # chronic key, or the concept_id of an acute condition
    probability: float
    choices: tuple[tuple[int, float], ...]
    days_supply: tuple[int, ...] = (30, 90)


_SSRI = ((739138, 0.3), (715939, 0.25), (755695, 0.15), (797617, 0.1), (722031, 0.05))
_SNRI = ((715259, 0.06), (743670, 0.06), (717607, 0.03))
_NSAID = ((1177480, 0.45), (1115008, 0.3), (1125315, 0.2), (1124300, 0.05))
_PAIN_ACUTE = ((1177480, 0.5), (1125315, 0.3), (1115008, 0.2))
_OPIOID = ((1174888, 0.5), (1124957, 0.4), (1110410, 0.1))
_ANTIBIOTIC = ((1713332, 0.5), (1738521, 0.25), (1778162, 0.15), (1768849, 0.1))
_UTI = ((920293, 0.75), (1778162, 0.15), (1717327, 0.1))
_SHORT = (5, 7, 10)

TREATMENTS: tuple[Treatment, ...] = (
    Treatment("t2dm", 0.78, ((1503297, 1.0),)),  # metformin
    Treatment(
        "t2dm",
        0.38,
        (
            (1560171, 0.22),  # glipizide
            (1597756, 0.14),  # glimepiride
            (1559684, 0.05),  # glyburide
            (1580747, 0.14),  # sitagliptin
            (40239216, 0.04),  # linagliptin
            (45774751, 0.12),  # empagliflozin
            (44785829, 0.06),  # dapagliflozin
            (43526465, 0.02),  # canagliflozin
            (40170911, 0.06),  # liraglutide
            (793143, 0.07),  # semaglutide
            (45774435, 0.05),  # dulaglutide
            (1525215, 0.03),  # pioglitazone
        ),
    ),
    Treatment("t1dm", 0.3, ((1517998, 1.0),)),  # pramlintide (insulin is not in the subset)
    Treatment("gestational_diabetes", 0.3, ((1503297, 1.0),)),
    Treatment(
        "htn",
        0.5,
        (
            (1308216, 0.5),  # lisinopril
            (1341927, 0.08),  # enalapril
            (1335471, 0.08),  # benazepril
            (1334456, 0.07),  # ramipril
            (1331235, 0.03),  # quinapril
            (1367500, 0.14),  # losartan
            (1308842, 0.05),  # valsartan
            (40226742, 0.03),  # olmesartan
            (1347384, 0.02),  # irbesartan
        ),
    ),
    Treatment("htn", 0.36, ((1332418, 0.8), (1318853, 0.1), (1328165, 0.1))),  # CCB
    Treatment("htn", 0.3, ((974166, 0.65), (1395058, 0.3), (978555, 0.05))),  # thiazide
    Treatment("htn", 0.18, ((1307046, 0.5), (1314002, 0.25), (1346823, 0.15), (1338005, 0.1))),
    Treatment("htn", 0.04, ((1398937, 0.5), (1373928, 0.3), (1363053, 0.2))),
    Treatment(
        "hyperlipidemia",
        0.62,
        ((1545958, 0.45), (1539403, 0.2), (1510813, 0.2), (1551860, 0.1), (1592085, 0.05)),
    ),
    Treatment("cad", 0.7, ((1112807, 1.0),)),  # aspirin
    Treatment("cad", 0.65, ((1545958, 0.7), (1510813, 0.3))),
    Treatment("cad", 0.5, ((1307046, 0.7), (1346823, 0.3))),
    Treatment("cad", 0.22, ((1322184, 1.0),)),  # clopidogrel
    Treatment("cad", 0.2, ((1361711, 1.0),)),  # nitroglycerin
    Treatment("mi", 0.8, ((1322184, 1.0),)),
    Treatment("mi", 0.8, ((1307046, 0.7), (1346823, 0.3))),
    Treatment("hf", 0.65, ((956874, 0.8), (942350, 0.12), (932745, 0.08))),  # loop diuretic
    Treatment("hf", 0.5, ((1346823, 0.6), (1307046, 0.4))),
    Treatment("hf", 0.3, ((970250, 0.85), (1309799, 0.15))),
    Treatment("hf", 0.45, ((1308216, 0.5), (1367500, 0.3), (1308842, 0.2))),
    Treatment("hf", 0.08, ((1326303, 1.0),)),  # digoxin
    Treatment("hf_unspecified", 0.5, ((956874, 1.0),)),
    Treatment("af", 0.45, ((1310149, 1.0),)),  # warfarin
    Treatment("af", 0.5, ((1307046, 0.5), (1328165, 0.4), (1307863, 0.1))),
    Treatment("af", 0.08, ((1309944, 1.0),)),  # amiodarone
    Treatment("stroke", 0.6, ((1322184, 0.5), (1112807, 0.5))),
    Treatment("stroke", 0.5, ((1545958, 1.0),)),
    Treatment("pvd", 0.5, ((1112807, 0.6), (1322184, 0.4))),
    Treatment("copd", 0.8, ((1154343, 1.0),)),  # albuterol
    Treatment("copd", 0.35, ((1137529, 1.0),)),  # salmeterol
    Treatment("copd", 0.3, ((1149380, 1.0),)),  # fluticasone
    Treatment("emphysema", 0.7, ((1154343, 1.0),)),
    Treatment("asthma", 0.85, ((1154343, 1.0),)),
    Treatment("asthma", 0.4, ((1149380, 1.0),)),
    Treatment("asthma", 0.1, ((1137529, 1.0),)),
    Treatment("childhood_asthma", 0.8, ((1154343, 1.0),)),
    Treatment("depression", 0.6, _SSRI + _SNRI),
    Treatment("mdd", 0.65, _SSRI + _SNRI),
    Treatment("anxiety", 0.45, ((739138, 0.3), (715939, 0.3), (733301, 0.25), (777221, 0.15))),
    Treatment("anxiety", 0.18, ((781039, 0.4), (791967, 0.3), (798874, 0.3))),
    Treatment("gad", 0.5, ((715939, 0.4), (739138, 0.3), (733301, 0.3))),
    Treatment("panic", 0.5, ((739138, 0.5), (798874, 0.3), (781039, 0.2))),
    Treatment("ptsd", 0.5, ((739138, 0.6), (722031, 0.4))),
    Treatment("insomnia", 0.25, ((777221, 0.5), (1129625, 0.3), (738818, 0.2))),
    Treatment("adhd", 0.7, ((705944, 0.75), (742185, 0.25))),
    Treatment("alcoholism", 0.25, ((990678, 1.0),)),
    Treatment("dementia", 0.55, ((715997, 0.6), (701322, 0.3), (757627, 0.1))),
    Treatment("alzheimers", 0.7, ((715997, 0.6), (701322, 0.3), (757627, 0.1))),
    Treatment("epilepsy", 0.75, ((740275, 0.6), (19050832, 0.2), (798874, 0.2))),
    Treatment("seizure_disorder", 0.6, ((740275, 0.7), (798874, 0.3))),
    Treatment("migraine", 0.4, ((1177480, 0.4), (1115008, 0.3), (1353766, 0.3))),
    Treatment("hypothyroidism", 0.9, ((1501700, 1.0),)),
    Treatment("hypothyroidism_atrophic", 0.9, ((1501700, 1.0),)),
    Treatment("oa_knee", 0.5, (*_NSAID, (1118084, 0.1))),
    Treatment("oa_hip", 0.5, (*_NSAID, (1118084, 0.1))),
    Treatment("oa_hand", 0.4, _NSAID),
    Treatment("osteoarthritis", 0.45, (*_NSAID, (1118084, 0.1))),
    Treatment("chronic_pain", 0.45, (*_NSAID, *_OPIOID, (715259, 0.2))),
    Treatment("fibromyalgia", 0.5, ((715259, 0.6), (1125315, 0.4))),
    Treatment("ra", 0.7, ((1305058, 1.0),)),  # methotrexate
    Treatment("ra", 0.4, ((1551099, 1.0),)),  # prednisone
    Treatment("osteoporosis", 0.5, ((1557272, 1.0),)),  # alendronate
    Treatment("gout", 0.45, ((1115008, 0.5), (1551099, 0.5))),
    Treatment("anemia", 0.5, ((1396131, 0.8), (1595799, 0.2))),
    Treatment("anemia", 0.1, ((1308738, 1.0),)),
    Treatment("ulcerative_colitis", 0.5, ((1551099, 0.6), (975125, 0.4))),
    Treatment(
        "seasonal_rhinitis", 0.6, ((1107830, 0.3), (1149196, 0.35), (1153428, 0.2), (1149380, 0.15))
    ),
    Treatment("perennial_rhinitis", 0.6, ((1107830, 0.3), (1149196, 0.35), (1149380, 0.35))),
    Treatment("perennial_seasonal_rhinitis", 0.6, ((1149196, 0.5), (1149380, 0.5))),
    Treatment("atopic_dermatitis", 0.5, ((975125, 1.0),)),
    Treatment("cystic_fibrosis", 0.8, ((1125443, 1.0),)),
    Treatment("cystic_fibrosis", 0.7, ((926487, 1.0),)),
    Treatment("breast_cancer", 0.3, ((1000560, 1.0),)),  # ondansetron with chemotherapy
    Treatment("colon_cancer", 0.3, ((1000560, 1.0),)),
    # Acute episodes: one short exposure at the visit.
    Treatment(28060, 0.9, ((1729720, 0.5), (1713332, 0.5)), _SHORT),
    Treatment(4112343, 0.25, _PAIN_ACUTE, _SHORT),
    Treatment(4294548, 0.8, _ANTIBIOTIC, _SHORT),
    Treatment(40481087, 0.2, ((1107830, 0.5), (1149196, 0.5)), _SHORT),
    Treatment(260139, 0.35, ((1119510, 0.6), (1154343, 0.4)), _SHORT),
    Treatment(255848, 0.9, _ANTIBIOTIC, _SHORT),
    Treatment(372328, 0.8, ((1713332, 0.8), (1768849, 0.2)), _SHORT),
    Treatment(254761, 0.3, ((1119510, 1.0),), _SHORT),
    Treatment(437663, 0.4, ((1125315, 0.6), (1177480, 0.4)), _SHORT),
    Treatment(195588, 0.9, _UTI, _SHORT),
    Treatment(195588, 0.25, ((933724, 1.0),), (3,)),
    Treatment(4116491, 0.9, _UTI, _SHORT),
    Treatment(198199, 0.9, ((1778162, 0.6), (1717327, 0.4)), (10, 14)),
    Treatment(433125, 0.8, ((1738521, 0.6), (1713332, 0.4)), _SHORT),
    Treatment(40491961, 0.9, ((1746114, 1.0),), (7, 14)),
    Treatment(40491961, 0.9, ((1741122, 1.0),), (7, 14)),
    Treatment(4084167, 0.75, ((1129625, 0.6), (1343916, 0.15), (1551099, 0.25)), (1, 3, 5)),
    Treatment(134438, 0.5, ((975125, 1.0),), (7, 14)),
    Treatment(81151, 0.6, _PAIN_ACUTE, _SHORT),
    Treatment(78272, 0.6, _PAIN_ACUTE, _SHORT),
    Treatment(4059173, 0.5, _OPIOID, (3, 5)),
    Treatment(4278672, 0.5, _OPIOID, (3, 5)),
    Treatment(4142905, 0.5, _OPIOID, (3, 5)),
    Treatment(4230399, 0.8, _OPIOID, (5, 7)),
    Treatment(4113008, 0.4, _PAIN_ACUTE, _SHORT),
    Treatment(4156265, 0.4, _PAIN_ACUTE, _SHORT),
    Treatment(4146173, 0.5, _NSAID, (14, 30)),
    Treatment(4296205, 0.5, _PAIN_ACUTE, _SHORT),
    Treatment(440448, 0.9, ((1713332, 0.3), (1759842, 0.3), (1746114, 0.4)), (5, 7)),
    Treatment(198809, 0.7, ((1746114, 0.5), (1741122, 0.5)), (5, 7)),
    Treatment(4055754, 0.7, ((1177480, 0.6), (1174888, 0.4)), (3, 5)),
    Treatment(4217975, 0.3, ((1396131, 1.0),), (90,)),  # prenatal iron
)


@dataclass(frozen=True)
class Measurement:
    """A measurement's unit and its distribution in people without the conditions that shift it.

    value = mean + shifts + sd * (rho * person effect + √(1 - rho²) * noise), clipped to
    [low, high] and rounded to `decimals`; rho is how much repeated values of one person agree.
    """

    concept_id: int
    unit_concept_id: int
    unit: str
    mean: float
    sd: float
    low: float
    high: float
    decimals: int = 1
    rho: float = 0.6


MEASUREMENTS: tuple[Measurement, ...] = (
    Measurement(3004249, 8876, "mm[Hg]", 118.0, 13.0, 75, 230, 0, 0.65),  # systolic BP
    Measurement(3012888, 8876, "mm[Hg]", 75.0, 9.0, 40, 140, 0, 0.6),  # diastolic BP
    Measurement(3027018, 8541, "/min", 74.0, 11.0, 38, 170, 0, 0.5),  # heart rate
    Measurement(3024171, 8541, "/min", 16.0, 2.0, 8, 40, 0, 0.3),  # respiratory rate
    Measurement(3025315, 9529, "kg", 0.0, 0.0, 30, 260, 1, 0.97),  # body weight (from BMI)
    Measurement(3036277, 8582, "cm", 162.5, 7.0, 130, 215, 1, 0.98),  # body height
    Measurement(3038553, 9531, "kg/m2", 0.0, 0.0, 14, 75, 1, 0.97),  # BMI (person level)
    Measurement(3004410, 8554, "%", 5.4, 0.35, 3.8, 15.0, 1, 0.75),  # HbA1c
    Measurement(3004501, 8840, "mg/dL", 94.0, 11.0, 45, 600, 0, 0.5),  # glucose, serum
    Measurement(3000483, 8840, "mg/dL", 96.0, 14.0, 45, 600, 0, 0.5),  # glucose, blood
    Measurement(3027114, 8840, "mg/dL", 192.0, 36.0, 90, 420, 0, 0.7),  # total cholesterol
    Measurement(3007070, 8840, "mg/dL", 54.0, 14.0, 15, 130, 0, 0.8),  # HDL
    Measurement(3009966, 8840, "mg/dL", 112.0, 31.0, 25, 300, 0, 0.7),  # LDL
    Measurement(3022192, 8840, "mg/dL", 125.0, 55.0, 30, 1200, 0, 0.6),  # triglycerides
    Measurement(3016723, 8840, "mg/dL", 0.82, 0.15, 0.3, 14.0, 2, 0.8),  # creatinine
    Measurement(3013682, 8840, "mg/dL", 14.0, 4.0, 3, 130, 0, 0.6),  # urea nitrogen
    Measurement(3019550, 8753, "mmol/L", 139.5, 2.3, 118, 162, 0, 0.4),  # sodium
    Measurement(3023103, 8753, "mmol/L", 4.2, 0.35, 2.5, 7.0, 1, 0.4),  # potassium
    Measurement(3014576, 8753, "mmol/L", 103.0, 2.8, 85, 122, 0, 0.4),  # chloride
    Measurement(3015632, 8753, "mmol/L", 25.0, 2.5, 12, 40, 0, 0.4),  # carbon dioxide
    Measurement(3045716, 8753, "mmol/L", 10.0, 2.5, 2, 25, 0, 0.3),  # anion gap
    Measurement(3006906, 8840, "mg/dL", 9.4, 0.4, 6.5, 13.0, 1, 0.5),  # calcium
    Measurement(3024561, 8713, "g/dL", 4.2, 0.3, 1.5, 5.8, 1, 0.6),  # albumin
    Measurement(3020630, 8713, "g/dL", 7.1, 0.45, 4.0, 10.0, 1, 0.5),  # total protein
    Measurement(3006923, 8645, "U/L", 24.0, 10.0, 5, 600, 0, 0.6),  # ALT
    Measurement(3013721, 8645, "U/L", 23.0, 8.0, 5, 600, 0, 0.6),  # AST
    Measurement(3035995, 8645, "U/L", 74.0, 20.0, 20, 600, 0, 0.7),  # alkaline phosphatase
    Measurement(3024128, 8840, "mg/dL", 0.6, 0.22, 0.1, 12.0, 1, 0.6),  # bilirubin
    Measurement(3000963, 8713, "g/dL", 13.4, 1.0, 5.5, 20.0, 1, 0.75),  # hemoglobin
    Measurement(3009542, 8554, "%", 40.0, 3.2, 18, 62, 1, 0.75),  # hematocrit
    Measurement(3010813, 8848, "10*3/uL", 6.9, 1.8, 1.2, 35.0, 1, 0.5),  # leukocytes
    Measurement(3007461, 8848, "10*3/uL", 250.0, 55.0, 30, 750, 0, 0.7),  # platelets
    Measurement(3026361, 8815, "10*6/uL", 4.5, 0.4, 2.2, 7.0, 2, 0.75),  # erythrocytes
    Measurement(3023599, 8583, "fL", 90.0, 5.0, 60, 125, 0, 0.85),  # MCV
    Measurement(3009201, 9093, "u[IU]/mL", 1.9, 0.9, 0.01, 60.0, 2, 0.7),  # TSH
    Measurement(3013603, 8842, "ng/mL", 1.1, 0.9, 0.0, 150.0, 2, 0.8),  # PSA
    Measurement(3016502, 8554, "%", 97.0, 1.4, 75, 100, 0, 0.4),  # oxygen saturation
    Measurement(43055141, 0, "{score}", 2.0, 1.8, 0, 10, 0, 0.4),  # pain score
)

# (measurement concept, factor, shift): factor is a chronic condition key (counts from the
# visit of diagnosis on), "male", "age" (shift per year over 50), "smoker", or "statin".
MEASUREMENT_SHIFTS: tuple[tuple[int, str, float], ...] = (
    (3004249, "htn", 17.0),
    (3004249, "age", 0.35),
    (3004249, "male", 4.0),
    (3004249, "obesity", 4.0),
    (3004249, "ckd", 5.0),
    (3012888, "htn", 8.0),
    (3012888, "obesity", 2.0),
    (3027018, "af", 12.0),
    (3027018, "hf", 6.0),
    (3027018, "smoker", 3.0),
    (3036277, "male", 13.5),
    (3004410, "t2dm", 2.2),
    (3004410, "t1dm", 2.6),
    (3004410, "t2dm_poor_control", 1.6),
    (3004410, "obesity", 0.15),
    (3004410, "age", 0.008),
    (3004501, "t2dm", 62.0),
    (3004501, "t1dm", 80.0),
    (3004501, "t2dm_poor_control", 45.0),
    (3000483, "t2dm", 60.0),
    (3000483, "t1dm", 75.0),
    (3027114, "hyperlipidemia", 38.0),
    (3027114, "statin", -42.0),
    (3009966, "hyperlipidemia", 33.0),
    (3009966, "statin", -40.0),
    (3007070, "male", -11.0),
    (3007070, "t2dm", -5.0),
    (3007070, "obesity", -5.0),
    (3022192, "t2dm", 45.0),
    (3022192, "hypertriglyceridemia", 140.0),
    (3022192, "obesity", 30.0),
    (3016723, "male", 0.22),
    (3016723, "ckd", 0.75),
    (3016723, "ckd_early", 0.3),
    (3016723, "htn_renal", 0.8),
    (3016723, "dm_kidney", 0.35),
    (3013682, "ckd", 12.0),
    (3013682, "ckd_early", 4.0),
    (3023103, "ckd", 0.35),
    (3000963, "male", 1.6),
    (3000963, "anemia", -2.4),
    (3000963, "ckd", -1.0),
    (3009542, "male", 4.5),
    (3009542, "anemia", -7.0),
    (3026361, "male", 0.5),
    (3026361, "anemia", -0.7),
    (3023599, "anemia", -6.0),
    (3009201, "hypothyroidism", 4.5),
    (3009201, "hypothyroidism_atrophic", 5.5),
    (3013603, "age", 0.03),
    (3013603, "prostate_neoplasm", 6.0),
    (3016502, "copd", -3.5),
    (3016502, "emphysema", -4.0),
    (3016502, "hf", -1.5),
    (3006923, "obesity", 6.0),
    (3006923, "alcoholism", 18.0),
    (3013721, "alcoholism", 22.0),
    (43055141, "chronic_pain", 3.0),
    (43055141, "fibromyalgia", 3.0),
    (43055141, "oa_knee", 1.5),
)


@dataclass(frozen=True)
class Panel:
    """Measurements taken together at a visit: with probability `base`, plus `boosts` for
    people with the listed conditions (sex- and age-limited panels use min_age / sex)."""

    concept_ids: tuple[int, ...]
    base: float
    boosts: dict[str, float] = field(default_factory=dict)
    sex: str | None = None  # "male" / "female" limits the panel
    min_age: int = 0


VITALS = (3004249, 3012888, 3027018, 3025315, 3038553)
PANELS: tuple[Panel, ...] = (
    Panel(VITALS, 0.32),
    Panel((3024171,), 0.08, {"copd": 0.3, "asthma": 0.1}),
    Panel(
        (3004501, 3016723, 3013682, 3019550, 3023103, 3014576, 3015632, 3006906),
        0.05,
        {"htn": 0.05, "t2dm": 0.08, "ckd": 0.2, "ckd_early": 0.1, "hf": 0.15},
    ),
    Panel((3045716,), 0.03, {"ckd": 0.1}),
    Panel(
        (3027114, 3007070, 3009966, 3022192),
        0.035,
        {"hyperlipidemia": 0.1, "cad": 0.08, "t2dm": 0.07},
    ),
    Panel((3004410,), 0.02, {"t2dm": 0.4, "t1dm": 0.45, "obesity": 0.02}),
    Panel((3000483,), 0.02, {"t2dm": 0.1}),
    Panel(
        (3000963, 3009542, 3010813, 3007461, 3026361, 3023599),
        0.035,
        {"anemia": 0.2, "ckd": 0.1, "leukemia": 0.4, "breast_cancer": 0.15, "colon_cancer": 0.15},
    ),
    Panel(
        (3006923, 3013721, 3035995, 3024128, 3024561, 3020630),
        0.025,
        {"alcoholism": 0.2, "obesity": 0.01},
    ),
    Panel((3009201,), 0.012, {"hypothyroidism": 0.3, "hypothyroidism_atrophic": 0.3}),
    Panel((3013603,), 0.03, {"prostate_neoplasm": 0.4}, sex="male", min_age=45),
    Panel((3016502,), 0.03, {"copd": 0.35, "emphysema": 0.35, "hf": 0.15, "asthma": 0.1}),
    Panel((43055141,), 0.02, {"chronic_pain": 0.3, "fibromyalgia": 0.3, "oa_knee": 0.1}),
)


@dataclass(frozen=True)
class ProcedureRule:
    """Procedures a participant gets: with `probability` for people who have `condition`
    (a chronic key, an acute concept_id, or "anyone"), `repeats` times at most, within the
    age and sex limits."""

    procedure_id: int
    condition: int | str
    probability: float
    repeats: int = 1
    sex: str | None = None
    min_age: int = 0
    max_age: int = 200


PROCEDURES: tuple[ProcedureRule, ...] = (
    ProcedureRule(4240345, "anyone", 0.3, 2),  # physical examination
    ProcedureRule(4326177, "anyone", 0.2, 2),  # medication reconciliation
    ProcedureRule(4064377, "anyone", 0.15, 2),  # depression screening
    ProcedureRule(37395717, "anyone", 0.06),  # PHQ-9
    ProcedureRule(4218408, "anyone", 0.25, 2),  # blood specimen collection
    ProcedureRule(4187458, "anyone", 0.05),  # review of systems
    ProcedureRule(4163708, "anyone", 0.06),  # DTaP vaccination
    ProcedureRule(4295880, "anyone", 0.08),  # intramuscular injection
    ProcedureRule(4134565, "anyone", 0.04, min_age=60),  # hearing examination
    ProcedureRule(4077697, "anyone", 0.55, 3, sex="female", min_age=40),  # screening mammography
    ProcedureRule(4324693, "anyone", 0.05, sex="female", min_age=40),  # mammography
    ProcedureRule(4249893, "anyone", 0.22, min_age=45),  # colonoscopy
    ProcedureRule(4018619, "anyone", 0.08, min_age=45),  # fecal occult blood screening
    ProcedureRule(4195803, "anyone", 0.35, sex="female", min_age=65),  # bone density scan
    ProcedureRule(4234541, "anyone", 0.3, 2, sex="female", min_age=21, max_age=65),  # Pap smear
    ProcedureRule(4146053, "anyone", 0.1, sex="female", min_age=21),  # pelvic examination
    ProcedureRule(4254766, "anyone", 0.08, sex="male", min_age=45),  # digital rectal exam
    ProcedureRule(4330583, "anyone", 0.015, sex="male", min_age=28, max_age=55),  # vasectomy
    ProcedureRule(4117038, "anyone", 0.015, sex="female", min_age=25, max_age=45),
    ProcedureRule(4275113, "anyone", 0.04, sex="female", min_age=18, max_age=45),  # IUD in
    ProcedureRule(4238715, "anyone", 0.015, sex="female", min_age=20, max_age=50),  # IUD out
    ProcedureRule(4059978, "anyone", 0.015, sex="female", min_age=18, max_age=40),  # implant
    ProcedureRule(4163951, "cad", 0.8, 2),  # ECG
    ProcedureRule(4163951, "af", 0.8, 2),
    ProcedureRule(4163951, "anyone", 0.04),
    ProcedureRule(4216130, "cad", 0.1),  # PCI
    ProcedureRule(4216130, "mi", 0.5),
    ProcedureRule(4336464, "cad", 0.035),  # CABG
    ProcedureRule(4078793, "af", 0.1),  # cardioversion
    ProcedureRule(4057420, "af", 0.05),  # catheter ablation
    ProcedureRule(4230911, "hf", 0.5),  # echocardiography
    ProcedureRule(4335825, "hf", 0.35),
    ProcedureRule(4335825, "af", 0.2),
    ProcedureRule(40492359, "hf", 0.03),  # biventricular ICD
    ProcedureRule(4035793, "copd", 0.08),  # pulmonary rehabilitation
    ProcedureRule(36713048, "copd", 0.08),  # HRCT chest
    ProcedureRule(4062501, "asthma", 0.15),  # asthma screening
    ProcedureRule(4162736, 255848, 0.3),  # oxygen by mask for pneumonia
    ProcedureRule(4163872, 255848, 0.9),  # chest X-ray for pneumonia
    ProcedureRule(4163872, 4142905, 0.8),  # rib fracture
    ProcedureRule(4146536, "ckd", 0.03, 3),  # renal dialysis
    ProcedureRule(4032243, "ckd", 0.01),
    ProcedureRule(4198190, 440448, 0.95),  # appendectomy
    ProcedureRule(4163971, 198809, 0.6),  # laparoscopic cholecystectomy
    ProcedureRule(4242997, "gallstone", 0.1),
    ProcedureRule(43531648, "oa_knee", 0.06),  # total knee replacement
    ProcedureRule(4203771, "oa_hip", 0.08),  # total hip replacement
    ProcedureRule(4047494, "breast_cancer", 0.9),  # biopsy of breast
    ProcedureRule(4213045, "breast_cancer", 0.55),
    ProcedureRule(4082984, "breast_cancer", 0.3),
    ProcedureRule(4273629, "breast_cancer", 0.4, 3),  # chemotherapy
    ProcedureRule(4029715, "breast_cancer", 0.4),
    ProcedureRule(4249893, "colon_polyp", 0.9),
    ProcedureRule(4166761, "colon_polyp", 0.3),
    ProcedureRule(4294513, "colon_cancer", 0.8),
    ProcedureRule(4181781, "colon_cancer", 0.6),
    ProcedureRule(4273629, "colon_cancer", 0.4, 3),
    ProcedureRule(4068785, "nsclc", 0.7),  # bronchoscopy
    ProcedureRule(4302356, "nsclc", 0.9),
    ProcedureRule(4273629, "nsclc", 0.6, 3),
    ProcedureRule(4068785, "sclc", 0.7),
    ProcedureRule(4273629, "sclc", 0.8, 3),
    ProcedureRule(4278515, "prostate_neoplasm", 0.6),  # biopsy of prostate
    ProcedureRule(4235738, "prostate_neoplasm", 0.15),
    ProcedureRule(4108705, "leukemia", 0.5, 2),  # transfusion of packed cells
    ProcedureRule(2108119, "anemia", 0.02),  # CPT4 transfusion
    ProcedureRule(4022139, "anemia", 0.02),
    ProcedureRule(4327941, "depression", 0.2),  # psychotherapy
    ProcedureRule(4043071, "anxiety", 0.12),  # CBT
    ProcedureRule(4230209, "bipolar", 0.4),
    ProcedureRule(4234705, "mdd", 0.2),
    ProcedureRule(4030840, "mdd", 0.004),  # ECT
    ProcedureRule(4021192, "depression", 0.1),  # suicide risk assessment
    ProcedureRule(4301557, "anyone", 0.03),  # mental health screening
    ProcedureRule(4181917, "epilepsy", 0.5),  # EEG
    ProcedureRule(44784284, "dementia", 0.2),  # MRI brain volume
    ProcedureRule(4170947, 4059173, 0.9),  # bone immobilization, ankle fracture
    ProcedureRule(4024289, 4059173, 0.9),  # radiography of ankle
    ProcedureRule(4024289, 81151, 0.4),
    ProcedureRule(4170947, 4278672, 0.9),
    ProcedureRule(4243062, 4278672, 0.8),
    ProcedureRule(4243062, 4134304, 0.9),
    ProcedureRule(4170947, 4237458, 0.8),
    ProcedureRule(4058899, 4237458, 0.9),
    ProcedureRule(4145310, 4230399, 0.9),  # pelvis X-ray for hip fracture
    ProcedureRule(4252419, 4035415, 0.7),  # knee X-ray for meniscus tear
    ProcedureRule(4252419, "oa_knee", 0.3),
    ProcedureRule(4047491, 4146173, 0.3),  # humerus X-ray
    ProcedureRule(4125906, 4113008, 0.8),  # suture, hand laceration
    ProcedureRule(4125906, 4109685, 0.8),
    ProcedureRule(4125906, 4155034, 0.8),
    ProcedureRule(4125906, 4152936, 0.8),
    ProcedureRule(4125906, 4156265, 0.8),
    ProcedureRule(4075363, 4217975, 0.8),  # fetal heart auscultation
    ProcedureRule(4060626, 4217975, 0.6),
    ProcedureRule(4015701, 4217975, 0.3),  # cesarean section
    ProcedureRule(4150970, 4217975, 0.2),
    ProcedureRule(4311671, 4217975, 0.08),
    ProcedureRule(4191853, "seasonal_rhinitis", 0.15),  # allergy screening
    ProcedureRule(4107731, "seasonal_rhinitis", 0.05),
    ProcedureRule(4010253, "chronic_sinusitis", 0.2),
    ProcedureRule(4276519, 4055754, 0.9),  # extraction of wisdom tooth
    ProcedureRule(4085731, 40491961, 0.9),  # IV antibiotics for sepsis
    ProcedureRule(4030886, 435796, 0.6),  # IV infusion for dehydration
    ProcedureRule(4181778, 4084167, 0.3),
    ProcedureRule(4202832, 321042, 0.6),  # intubation with cardiac arrest
    ProcedureRule(4240305, "hf", 0.02),  # thoracentesis
    ProcedureRule(4108565, "pvd", 0.02),  # amputation of the foot
)

# Health-record observations that follow conditions (observation concept, condition, share).
OBSERVATION_RULES: tuple[tuple[int, str, float], ...] = (
    (4163874, "mi", 0.6),  # history of myocardial infarction
    (4324181, "cardiac_arrest", 0.5),
    (43021173, "t2dm", 0.15),  # history of diabetes mellitus type 2
    (4060985, "obesity", 0.35),  # BMI 30+
    (4090651, "ckd", 0.04),  # dialysis finding
    (4058850, "pvd", 0.02),  # history of lower limb amputation
    (4323766, "pvd", 0.01),
    (45766064, "epilepsy", 0.3),  # history of single seizure
    (443279, "depression", 0.004),  # attempted suicide
    (443277, "depression", 0.002),
    (4038238, "nsclc", 0.4),  # suspected lung cancer
    (40769338, "t2dm", 0.05),  # history of diabetes (PhenX)
)
SMOKING_CURRENT = (40766945, 42709996, 4005823)  # current smoker, smokes daily, tobacco user
SMOKING_FORMER = 4310250  # ex-smoker
SEVERE_OBESITY = 4256640  # BMI 40+


def referenced_concept_ids() -> set[int]:
    """Every concept id the clinical model uses (so tests can check they are all curated)."""
    ids = {condition.concept_id for condition in CHRONIC}
    ids |= {condition.concept_id for condition in ACUTE}
    ids |= {concept_id for concept_id, _share in ALLERGIES}
    for treatment in TREATMENTS:
        ids |= {drug for drug, _weight in treatment.choices}
        if isinstance(treatment.condition, int):
            ids.add(treatment.condition)
    for measurement in MEASUREMENTS:
        ids.add(measurement.concept_id)
        if measurement.unit_concept_id:
            ids.add(measurement.unit_concept_id)
    for panel in PANELS:
        ids |= set(panel.concept_ids)
    for rule in PROCEDURES:
        ids.add(rule.procedure_id)
        if isinstance(rule.condition, int):
            ids.add(rule.condition)
    ids |= {concept_id for concept_id, _condition, _share in OBSERVATION_RULES}
    ids |= {*SMOKING_CURRENT, SMOKING_FORMER, SEVERE_OBESITY}
    ids |= {concept_id for concept_id, _factor, _shift in MEASUREMENT_SHIFTS}
    return ids
