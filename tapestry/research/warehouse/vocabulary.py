"""The curated OMOP vocabulary: the concepts the synthetic data and the Data Browser use.

`research/data/vocabulary.json` holds a few hundred real standard concepts of the OMOP
vocabularies (SNOMED conditions, procedures and observations, LOINC measurements, RxNorm
ingredients, ATC classes, visits, units, gender, race and ethnicity), each with its real
concept_id, name and code, and the "Is a" links between them. Every row was checked against
public OHDSI material (the file lists the sources); nothing is invented. The program's own
survey questions and answers are added as local concepts (vocabulary `SURVEY_VOCABULARY`, ids
from `schema.SURVEY_CONCEPT_IDS`, names in `data/survey_concepts.csv`). From these the module
builds the `concept`, `concept_ancestor` (transitive closure, a level-0 row for every concept)
and `concept_relationship` ("Is a" / "Subsumes") tables.

Levels of separation in `concept_ancestor` count steps inside this curated subset: where the
full OMOP hierarchy has intermediate concepts we did not include, a level here is shorter than
in Athena. "Include descendants" still means what it means in OMOP.

The clinical model that draws on these concepts (prevalences, treatments, measurements, ...)
is in `clinical.py` and its data files.

Imports neither Django nor the ORM.
"""

from __future__ import annotations

import datetime
import json
from collections import defaultdict, deque
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pyarrow as pa

from tapestry.research.warehouse import schema
from tapestry.research.warehouse.datafiles import DataFileError, csv_rows

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


@cache
def _document() -> dict[str, Any]:
    return json.loads(DATA_FILE.read_text(encoding="utf-8"))


@cache
def standard_concepts() -> tuple[Concept, ...]:
    """The curated real OMOP concepts, in file order."""
    document = _document()
    columns = document["columns"]
    return tuple(Concept(**dict(zip(columns, row, strict=True))) for row in document["concepts"])


@cache
def survey_concept_names() -> dict[str, str]:
    """The plain-English name of each survey code (data/survey_concepts.csv)."""
    names: dict[str, str] = {}
    for row in csv_rows("survey_concepts.csv"):
        code = row.text("code", choices=tuple(schema.SURVEY_CONCEPT_IDS))
        concept_id = row.integer("concept_id")
        if concept_id != schema.SURVEY_CONCEPT_IDS[code]:
            raise row.error(
                f"'concept_id' of {code!r} is {schema.SURVEY_CONCEPT_IDS[code]} "
                f"(schema.SURVEY_CONCEPT_IDS), not {concept_id}"
            )
        if code in names:
            raise row.error(f"'code' {code!r} is used twice")
        names[code] = row.text("concept_name")
        row.finish()
    missing = [code for code in schema.SURVEY_CONCEPT_IDS if code not in names]
    if missing:
        raise DataFileError(f"survey_concepts.csv: no row for {', '.join(missing)}")
    return names


@cache
def survey_concepts() -> tuple[Concept, ...]:
    """The program survey's questions and answers as local concepts."""
    questions = set(schema.SURVEY)
    names = survey_concept_names()
    return tuple(
        Concept(
            concept_id=concept_id,
            concept_name=names[code],
            domain_id="Observation",
            vocabulary_id=schema.SURVEY_VOCABULARY,
            concept_class_id="Question" if code in questions else "Answer",
            standard_concept="S",
            concept_code=code,
        )
        for code, concept_id in schema.SURVEY_CONCEPT_IDS.items()
    )


@cache
def all_concepts() -> tuple[Concept, ...]:
    """The curated concepts, then the survey's."""
    return standard_concepts() + survey_concepts()


@cache
def concept_by_id() -> dict[int, Concept]:
    """Every concept (curated and survey) by its id."""
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
# The survey explorer: Spanish names and the surveys the questions belong to
# ---------------------------------------------------------------------------------------------

SYNONYMS_DIR = DATA_FILE.parent / "synonyms"
SURVEY_QUESTIONS_FILE = "survey_questions.csv"
# A question the file does not place (one added to schema.SURVEY since) is listed under this.
OTHER_SURVEY = "other"
SURVEYS = ("consent", "the_basics", "health_care_access", OTHER_SURVEY)


@cache
def survey_spanish_names() -> dict[int, str]:
    """The Spanish name of each survey concept that has one (data/synonyms/survey.csv, the
    team's plain Spanish), by concept id. Kept apart from any general synonym loader so the
    survey explorer needs nothing else."""
    names: dict[int, str] = {}
    for row in csv_rows("survey.csv", directory=SYNONYMS_DIR):
        concept_id = row.integer("concept_id")
        language = row.text("language")
        kind = row.text("kind")
        synonym = row.text("synonym")
        row.finish()
        if language == "es" and kind == "name":
            names.setdefault(concept_id, synonym)
    return names


@dataclass(frozen=True)
class SurveyQuestion:
    code: str
    survey: str  # one of SURVEYS
    several_answers: bool  # "select all that apply": a person may give more than one answer


@cache
def survey_questions() -> tuple[SurveyQuestion, ...]:
    """Every question of schema.SURVEY, in its order, with its survey
    (warehouse/data/survey_questions.csv; a question the file lacks goes under OTHER_SURVEY)."""
    placed: dict[str, SurveyQuestion] = {}
    for row in csv_rows(SURVEY_QUESTIONS_FILE):
        code = row.text("question", choices=tuple(schema.SURVEY))
        if code in placed:
            raise row.error(f"'question' {code!r} is listed twice")
        placed[code] = SurveyQuestion(
            code=code,
            survey=row.text("survey", choices=SURVEYS),
            several_answers=row.text("several_answers", choices=("yes", "no")) == "yes",
        )
        row.finish()
    return tuple(
        placed.get(code, SurveyQuestion(code=code, survey=OTHER_SURVEY, several_answers=False))
        for code in schema.SURVEY
    )
