"""Factories for releases and their summaries. Counts here are raw, as the release stores
them; the pages and the API must only ever show them protected."""

import datetime
from typing import Any

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from tapestry.research.models import (
    CategorySummary,
    ConceptSummary,
    Domain,
    DomainSummary,
    EnrollmentSummary,
    Release,
    SurveyQuestionSummary,
)
from tapestry.research.privacy import round_count
from tapestry.research.services import concept_terms_create


class ReleaseFactory(DjangoModelFactory[Release]):
    """A ready release (the Data Browser serves the newest ready one)."""

    class Meta:
        model = Release

    version = factory.Sequence(lambda n: f"R2025-{n + 1:02d}")
    status = Release.Status.READY
    source_path = "var/research/generated/test"
    warehouse_path = "var/research/releases/test/warehouse.duckdb"
    participants = 12_345
    events = 1_000_000
    cutoff_date = datetime.date(2025, 3, 31)
    finished_at = factory.LazyFunction(timezone.now)
    seconds = 12.5


class DomainSummaryFactory(DjangoModelFactory[DomainSummary]):
    class Meta:
        model = DomainSummary

    release = factory.SubFactory(ReleaseFactory)
    domain = Domain.CONDITION
    participants = 9_876
    concepts = 120


def _split(participants: int, keys: tuple[str, ...]) -> dict[str, int]:
    """`participants` shared out over `keys` as evenly as whole people allow."""
    share, rest = divmod(participants, len(keys))
    return {key: share + (1 if index < rest else 0) for index, key in enumerate(keys)}


class ConceptSummaryFactory(DjangoModelFactory[ConceptSummary]):
    """A concept whose breakdowns add up to its participants (privacy.py checks that)."""

    class Meta:
        model = ConceptSummary
        skip_postgeneration_save = True

    release = factory.SubFactory(ReleaseFactory)
    concept_id = factory.Sequence(lambda n: 201_000 + n)
    name = factory.Sequence(lambda n: f"Test condition {n}")
    code = factory.Sequence(lambda n: f"{73_000_000 + n}")
    vocabulary = "SNOMED"
    domain = Domain.CONDITION
    participants = 1_000
    participants_shown = factory.LazyAttribute(lambda row: round_count(row.participants))
    by_sex = factory.LazyAttribute(lambda row: _split(row.participants, ("female", "male")))
    by_age = factory.LazyAttribute(lambda row: _split(row.participants, ("40-49", "50-59")))
    by_race = factory.LazyAttribute(
        lambda row: _split(row.participants, ("black", "hispanic", "white"))
    )
    histogram = factory.LazyFunction(dict)

    @factory.post_generation
    def terms(obj: ConceptSummary, create: bool, extracted: Any, **kwargs: Any) -> None:
        """Index the concept's names and code for search, with `terms=[(kind, language,
        text), ...]` given to the factory (synonyms, source codes), as a release does."""
        if create:
            concept_terms_create([(obj, extracted or [])])

    class Params:
        measurement = factory.Trait(
            domain=Domain.MEASUREMENT,
            vocabulary="LOINC",
            histogram=factory.LazyAttribute(
                lambda row: {
                    "unit": "%",
                    "bins": [
                        [4.0, 5.0, row.participants // 2],
                        [5.0, 6.0, row.participants - row.participants // 2 - 7],
                        [6.0, 7.0, 7],
                    ],
                }
            ),
        )


class EnrollmentSummaryFactory(DjangoModelFactory[EnrollmentSummary]):
    class Meta:
        model = EnrollmentSummary

    release = factory.SubFactory(ReleaseFactory)
    site = "chicago"
    site_name = "Chicago, IL"
    month = datetime.date(2024, 1, 1)
    participants = 200
    minority = 100
    ubr = 150


class CategorySummaryFactory(DjangoModelFactory[CategorySummary]):
    class Meta:
        model = CategorySummary

    release = factory.SubFactory(ReleaseFactory)
    site = "chicago"
    category = "race_ethnicity"
    participants = 100


class SurveyQuestionSummaryFactory(DjangoModelFactory[SurveyQuestionSummary]):
    """The education question of The Basics, its answers adding up to its participants."""

    class Meta:
        model = SurveyQuestionSummary

    release = factory.SubFactory(ReleaseFactory)
    survey = "the_basics"
    question_code = "education"
    position = 7
    concept_id = 2_000_000_033
    name = "What is the highest grade or year of school you finished?"
    name_es = "¿Cuál es el grado o año escolar más alto que terminó?"
    participants = 1_000
    answers = factory.LazyAttribute(
        lambda row: [
            {
                "code": "education_college_graduate",
                "concept_id": 2_000_000_040,
                "name": "College graduate (4 years or more)",
                "name_es": "Graduado universitario (4 años o más)",
                "participants": row.participants - row.participants // 3,
            },
            {
                "code": "education_high_school_ged",
                "concept_id": 2_000_000_038,
                "name": "Grade 12 or GED (high school graduate)",
                "name_es": "12.º grado o GED (graduado de la escuela secundaria)",
                "participants": row.participants // 3,
            },
            {
                "code": "skip",
                "concept_id": 2_000_000_054,
                "name": "Skipped the question",
                "name_es": "Omitió la pregunta",
                "participants": 0,
            },
        ]
    )
