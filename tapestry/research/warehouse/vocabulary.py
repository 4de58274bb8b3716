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

What people type, in two languages, comes from two more files (formats in
`research/data/synonyms/README.md`):

- `research/data/synonyms/*.csv`: each concept's Spanish name (kind `name`) and the other terms
  people search with (kind `lay`, English or Spanish). They become `concept_synonym` rows with
  their OMOP language concept, beside a row with every concept's English name.
- `research/data/source_codes.csv`: source codes (ICD-10-CM diagnoses, CPT4 procedures, ...)
  with their official titles, each mapped to the standard concept a record coded with it
  becomes. They are non-standard concepts (`standard_concept` null) with local ids from
  `schema.SOURCE_CONCEPT_BASE`, linked by "Maps to" / "Mapped from" in `concept_relationship`,
  as in the OMOP vocabularies.

`spanish_name` and `concept_terms` give the Django side what it needs to show and find a
concept without reading Parquet.

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
import re
from collections import defaultdict, deque
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pyarrow as pa

from tapestry.research.warehouse import schema
from tapestry.research.warehouse.datafiles import DataFileError, csv_rows

DATA_FILE = Path(__file__).resolve().parents[1] / "data" / "vocabulary.json"
SYNONYM_DIR = DATA_FILE.parent / "synonyms"
SOURCE_CODES_FILE = DATA_FILE.parent / "source_codes.csv"


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
    """Every concept: the curated ones, the survey's, then the source codes (non-standard)."""
    concepts = all_concepts() + source_concepts()
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
    rows += [(code.concept_id, code.maps_to, "Maps to") for code in source_codes()]
    rows += [(code.maps_to, code.concept_id, "Mapped from") for code in source_codes()]
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
# Synonyms: Spanish names and the terms people type
# ---------------------------------------------------------------------------------------------

LANGUAGE_CONCEPT_IDS = {"en": schema.LANGUAGE_ENGLISH, "es": schema.LANGUAGE_SPANISH}
SYNONYM_KINDS = ("name", "lay")
# The domain each synonym file holds; `other.csv` holds every other domain, and a file not
# named here (`survey.csv`, the survey's local concepts) is not checked for its domain.
SYNONYM_FILE_DOMAINS = {
    "conditions.csv": "Condition",
    "drugs.csv": "Drug",
    "measurements.csv": "Measurement",
    "procedures.csv": "Procedure",
    "observations.csv": "Observation",
}


@dataclass(frozen=True)
class Synonym:
    concept_id: int
    language: str  # "en" or "es"
    kind: str  # "name": the concept's Spanish name; "lay": another term people type
    synonym: str


def load_synonyms(directory: Path = SYNONYM_DIR) -> tuple[Synonym, ...]:
    """Read every `*.csv` in `directory` (file by file in name order) and check each row.

    A row names a known concept (curated or survey), in the domain its file is for; at most
    one Spanish `name` per concept (that every concept has one is a test's job, so a new
    concept can land before its translation); no term twice for a concept; an English `name`
    is refused, the concept's own name being its English name.
    """
    known = concept_by_id()
    domains = set(SYNONYM_FILE_DOMAINS.values())
    rows: list[Synonym] = []
    seen: dict[tuple[int, str, str], str] = {}  # (concept, language, term folded) -> where
    spanish_names: dict[int, str] = {}
    for path in sorted(directory.glob("*.csv")):
        for row in csv_rows(path.name, directory=directory):
            concept_id = row.integer("concept_id")
            language = row.text("language", choices=tuple(LANGUAGE_CONCEPT_IDS))
            kind = row.text("kind", choices=SYNONYM_KINDS)
            text = row.text("synonym")
            row.finish()
            concept = known.get(concept_id)
            if concept is None:
                raise row.error(f"'concept_id' {concept_id} is not in the vocabulary")
            wanted = SYNONYM_FILE_DOMAINS.get(path.name)
            if (wanted is not None and concept.domain_id != wanted) or (
                path.name == "other.csv" and concept.domain_id in domains
            ):
                raise row.error(
                    f"'concept_id' {concept_id} ({concept.concept_name}) is a "
                    f"{concept.domain_id} concept, not for {path.name}"
                )
            if text != text.strip() or "  " in text:
                raise row.error(f"'synonym' {text!r} has extra spaces")
            if kind == "name" and language == "en":
                raise row.error(
                    "an English 'name' is the concept's own name; another English term is 'lay'"
                )
            if kind == "name" and concept_id in spanish_names:
                raise row.error(
                    f"concept {concept_id} has a Spanish name already ({spanish_names[concept_id]})"
                )
            if language == "en" and text.casefold() == concept.concept_name.casefold():
                raise row.error(f"'synonym' {text!r} repeats the concept's name")
            key = (concept_id, language, text.casefold())
            if key in seen:
                raise row.error(f"'synonym' {text!r} is already given ({seen[key]})")
            seen[key] = f"{path.name}, {row.where}"
            if kind == "name":
                spanish_names[concept_id] = f"{path.name}, {row.where}"
            rows.append(Synonym(concept_id, language, kind, text))
    return tuple(rows)


@cache
def synonyms() -> tuple[Synonym, ...]:
    """Every synonym row of `research/data/synonyms/`, in file order."""
    return load_synonyms()


@cache
def spanish_names() -> dict[int, str]:
    """Each concept's Spanish name, for the concepts that have one."""
    return {s.concept_id: s.synonym for s in synonyms() if s.kind == "name"}


def spanish_name(concept_id: int) -> str | None:
    """The concept's Spanish name; None when it has none (the page shows the English one)."""
    return spanish_names().get(concept_id)


# ---------------------------------------------------------------------------------------------
# Source codes: ICD-10-CM, CPT4, ... mapped to standard concepts
# ---------------------------------------------------------------------------------------------

# The vocabularies a source code may come from, with the pattern of a code. The concept class
# follows Athena's (a billable ICD-10-CM code of 4 characters is a "4-char billing code"): the
# file lists codes as records carry them, so billable codes only.
SOURCE_CODE_PATTERNS = {
    "ICD10CM": re.compile(r"[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?"),
    "ICD9CM": re.compile(r"([0-9]{3}|V[0-9]{2}|E[0-9]{3})(\.[0-9]{1,2})?"),
    "CPT4": re.compile(r"[0-9]{4}[0-9FT]"),
    "HCPCS": re.compile(r"[A-V][0-9]{4}"),
}


@dataclass(frozen=True)
class SourceCode:
    concept_id: int  # local: schema.SOURCE_CONCEPT_BASE + 1 + its place in (vocabulary, code) order
    vocabulary_id: str
    concept_code: str
    concept_name: str  # the code's official title
    maps_to: int  # the standard concept a record with this code becomes


def _source_class(vocabulary_id: str, code: str) -> str:
    characters = len(code.replace(".", ""))
    if vocabulary_id == "ICD10CM":
        return f"{characters}-char billing code"
    if vocabulary_id == "ICD9CM":
        return f"{characters}-dig billing code"
    return vocabulary_id


def load_source_codes(path: Path = SOURCE_CODES_FILE) -> tuple[SourceCode, ...]:
    """Read and check the source codes, numbered in (vocabulary, code) order.

    The numbering makes a concept id stable for a given file; adding a code renumbers the
    codes after it, which is harmless because no summary is kept for a source concept (the
    release counts standard concepts only). Look a code up by (vocabulary, code), not by id.
    """
    standard = {c.concept_id: c for c in standard_concepts() if c.standard_concept == "S"}
    existing = {(c.vocabulary_id, c.concept_code): c.concept_id for c in standard_concepts()}
    found: dict[tuple[str, str], tuple[str, int]] = {}
    where: dict[tuple[str, str], str] = {}
    for row in csv_rows(path.name, directory=path.parent):
        vocabulary_id = row.text("vocabulary_id", choices=tuple(SOURCE_CODE_PATTERNS))
        code = row.text("concept_code")
        name = row.text("concept_name")
        maps_to = row.integer("maps_to")
        row.finish()
        if not SOURCE_CODE_PATTERNS[vocabulary_id].fullmatch(code):
            raise row.error(f"'concept_code' {code!r} is not a {vocabulary_id} code")
        if (vocabulary_id, code) in existing:
            raise row.error(
                f"{vocabulary_id} {code} is a standard concept already "
                f"({existing[vocabulary_id, code]}); it needs no mapping"
            )
        if (vocabulary_id, code) in found:
            raise row.error(
                f"{vocabulary_id} {code} is already given ({where[vocabulary_id, code]})"
            )
        if maps_to not in standard:
            raise row.error(f"'maps_to' {maps_to} is not a standard concept of the vocabulary")
        if name != name.strip() or not name:
            raise row.error(f"'concept_name' {name!r} has extra spaces")
        found[vocabulary_id, code] = (name, maps_to)
        where[vocabulary_id, code] = row.where
    return tuple(
        SourceCode(schema.SOURCE_CONCEPT_BASE + 1 + index, vocabulary_id, code, name, maps_to)
        for index, ((vocabulary_id, code), (name, maps_to)) in enumerate(sorted(found.items()))
    )


@cache
def source_codes() -> tuple[SourceCode, ...]:
    """The source codes of `research/data/source_codes.csv`, in (vocabulary, code) order."""
    return load_source_codes()


@cache
def source_concepts() -> tuple[Concept, ...]:
    """The source codes as OMOP non-standard concepts, in the domain of what they map to."""
    by_id = concept_by_id()
    return tuple(
        Concept(
            concept_id=code.concept_id,
            concept_name=code.concept_name,
            domain_id=by_id[code.maps_to].domain_id,
            vocabulary_id=code.vocabulary_id,
            concept_class_id=_source_class(code.vocabulary_id, code.concept_code),
            standard_concept=None,
            concept_code=code.concept_code,
        )
        for code in source_codes()
    )


# ---------------------------------------------------------------------------------------------
# What the Django side reads: concept_synonym rows and each concept's terms
# ---------------------------------------------------------------------------------------------


@cache
def concept_synonym_table() -> pa.Table:
    """OMOP `concept_synonym`: every concept's English name, then every synonym row."""
    rows = [(c.concept_id, c.concept_name, schema.LANGUAGE_ENGLISH) for c in all_concepts()]
    rows += [(c.concept_id, c.concept_name, schema.LANGUAGE_ENGLISH) for c in source_concepts()]
    rows += [(s.concept_id, s.synonym, LANGUAGE_CONCEPT_IDS[s.language]) for s in synonyms()]
    return pa.table(
        {
            "concept_id": pa.array([r[0] for r in rows], pa.int32()),
            "concept_synonym_name": pa.array([r[1] for r in rows], pa.string()),
            "language_concept_id": pa.array([r[2] for r in rows], pa.int32()),
        },
        schema=schema.SCHEMAS["concept_synonym"],
    )


@dataclass(frozen=True)
class Term:
    """One thing a visitor may type to find a concept."""

    text: str
    kind: str  # "name", "lay", "code" (the concept's own), "source_code", "source_name"
    language: str | None = None  # "en" or "es" for words; None for codes
    vocabulary_id: str | None = None  # for codes: "LOINC", "ICD10CM", ...


@cache
def concept_terms() -> dict[int, tuple[Term, ...]]:
    """For each curated or survey concept, the terms that find it, in this order: its English
    name, its Spanish name, the lay terms, its own code, and the source codes that map to it
    with their titles. A caller showing one name per language takes the first of that language.
    """
    terms: dict[int, list[Term]] = {
        c.concept_id: [Term(c.concept_name, "name", "en")] for c in all_concepts()
    }
    for synonym in sorted(synonyms(), key=lambda s: s.kind != "name"):
        terms[synonym.concept_id].append(Term(synonym.synonym, synonym.kind, synonym.language))
    for concept in all_concepts():
        terms[concept.concept_id].append(
            Term(concept.concept_code, "code", None, concept.vocabulary_id)
        )
    for code in source_codes():
        terms[code.maps_to] += [
            Term(code.concept_code, "source_code", None, code.vocabulary_id),
            Term(code.concept_name, "source_name", "en", code.vocabulary_id),
        ]
    return {concept_id: tuple(found) for concept_id, found in terms.items()}
