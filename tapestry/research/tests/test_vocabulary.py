# The queries below are built from the generated folder's path and this module's constants.
# ruff: noqa: S608
"""The vocabulary in two languages: Spanish names, lay terms and source codes, their files'
checks, and the OMOP tables the generator writes from them."""

import shutil
from pathlib import Path

import duckdb
import pytest

from tapestry.research.warehouse import schema, vocabulary
from tapestry.research.warehouse.datafiles import DataFileError
from tapestry.research.warehouse.generate import generate

HYPERTENSION, ESSENTIAL_HYPERTENSION, ASTHMA, T2DM = 316866, 320128, 317009, 201826
METFORMIN, HBA1C = 1503297, 3004410
HEADER = "concept_id,language,kind,synonym\n"
SOURCE_HEADER = "vocabulary_id,concept_code,concept_name,maps_to\n"


@pytest.fixture
def synonym_dir(tmp_path: Path) -> Path:
    """A copy of the synonym files that a test may break."""
    copy = tmp_path / "synonyms"
    shutil.copytree(vocabulary.SYNONYM_DIR, copy)
    return copy


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("generated") / "data"
    generate(out, participants=50, seed=1, workers=1)
    return out


def sql(query: str) -> list[tuple]:
    relation = duckdb.sql(query)
    assert relation is not None
    return relation.fetchall()


def append(path: Path, line: str) -> None:
    with path.open("a", encoding="utf-8") as handle:
        handle.write(line + "\n")


def terms(concept_id: int) -> set[tuple[str, str, str | None]]:
    return {(t.text, t.kind, t.language) for t in vocabulary.concept_terms()[concept_id]}


# -- what the files give ----------------------------------------------------------------------

PUBLIC_DOMAINS = ("Condition", "Drug", "Measurement", "Procedure", "Observation", "Visit")


def test_every_curated_concept_has_exactly_one_spanish_name() -> None:
    # When the Spanish names are counted per concept (the loader refuses a second one)
    named = [s.concept_id for s in vocabulary.synonyms() if s.kind == "name"]

    # Then every concept of vocabulary.json has one, the six public domains' included
    curated = vocabulary.standard_concepts()
    assert [c.concept_id for c in curated if named.count(c.concept_id) != 1] == []
    assert {c.domain_id for c in curated} >= set(PUBLIC_DOMAINS)
    assert {s.language for s in vocabulary.synonyms() if s.kind == "name"} == {"es"}


def test_no_synonym_names_an_unknown_concept_or_repeats_an_english_name() -> None:
    known = vocabulary.concept_by_id()
    rows = vocabulary.synonyms()
    assert {s.concept_id for s in rows} <= set(known)
    assert [
        s
        for s in rows
        if s.language == "en"
        and s.synonym.casefold() == known[s.concept_id].concept_name.casefold()
    ] == []


def test_the_common_concepts_have_lay_terms_in_both_languages() -> None:
    # When the concepts with lay terms in English and in Spanish are counted per domain
    known = vocabulary.concept_by_id()
    english = {
        s.concept_id for s in vocabulary.synonyms() if s.kind == "lay" and s.language == "en"
    }
    spanish = {
        s.concept_id for s in vocabulary.synonyms() if s.kind == "lay" and s.language == "es"
    }
    both = english & spanish
    per_domain = {
        domain: sum(1 for c in both if known[c].domain_id == domain)
        for domain in ("Condition", "Drug", "Measurement", "Procedure")
    }

    # Then the many conditions, drugs, measurements and procedures people search for have them
    assert per_domain["Condition"] >= 60
    assert per_domain["Drug"] >= 40
    assert per_domain["Measurement"] >= 20
    assert per_domain["Procedure"] >= 20
    # And the everyday words the issue names are among them
    assert ("IMC", "lay", "es") in terms(3038553)
    assert ("BMI", "lay", "en") in terms(3038553)
    assert ("colesterol malo", "lay", "es") in terms(3009966)
    assert ("water pill", "lay", "en") in terms(974166)


def test_the_issue_s_spanish_searches_have_their_concepts() -> None:
    # Then the terms the issue says find nothing today are each a concept's term
    assert vocabulary.spanish_name(METFORMIN) == "metformina"
    assert vocabulary.spanish_name(ESSENTIAL_HYPERTENSION) == "Hipertensión esencial"
    assert vocabulary.spanish_name(ASTHMA) == "Asma"
    assert ("diabetes tipo 2", "lay", "es") in terms(T2DM)
    assert ("hipertensión", "lay", "es") in terms(ESSENTIAL_HYPERTENSION)


def test_lay_terms_in_both_languages_find_their_concepts() -> None:
    assert {("high blood pressure", "lay", "en"), ("presión alta", "lay", "es")} <= terms(
        ESSENTIAL_HYPERTENSION
    )
    assert {("sugar diabetes", "lay", "en"), ("diabetes del adulto", "lay", "es")} <= terms(T2DM)
    assert {("HbA1c", "lay", "en"), ("hemoglobina glicosilada", "lay", "es")} <= terms(HBA1C)


def test_a_concept_s_terms_start_with_its_names_then_list_its_codes() -> None:
    # When the terms of essential hypertension are read in order
    found = vocabulary.concept_terms()[ESSENTIAL_HYPERTENSION]

    # Then the English name, then the Spanish name come first, and the codes follow
    assert [(t.text, t.language) for t in found[:2]] == [
        ("Essential hypertension", "en"),
        ("Hipertensión esencial", "es"),
    ]
    assert ("59621000", "code", None) in terms(ESSENTIAL_HYPERTENSION)
    assert ("I10", "source_code", None) in terms(ESSENTIAL_HYPERTENSION)
    assert ("Essential (primary) hypertension", "source_name", "en") in terms(
        ESSENTIAL_HYPERTENSION
    )


def test_source_codes_map_to_the_standard_concept_the_issue_names() -> None:
    # When the issue's codes are looked up
    maps = {(c.vocabulary_id, c.concept_code): c.maps_to for c in vocabulary.source_codes()}

    # Then each maps to its standard concept
    assert maps["ICD10CM", "I10"] == ESSENTIAL_HYPERTENSION
    assert maps["ICD10CM", "E11.9"] == T2DM
    assert maps["ICD10CM", "J45.909"] == ASTHMA
    assert any(vocabulary_id == "CPT4" for vocabulary_id, _code in maps)


def test_many_conditions_have_icd10cm_codes_and_procedures_cpt4_codes() -> None:
    # When the source codes are grouped by vocabulary and the domain they map to
    known = vocabulary.concept_by_id()
    codes = vocabulary.source_codes()
    icd10 = {c.maps_to for c in codes if c.vocabulary_id == "ICD10CM"}
    cpt4 = {c.maps_to for c in codes if c.vocabulary_id == "CPT4"}

    # Then at least 80 conditions have an ICD-10-CM code and 20 procedures a CPT4 code
    assert sum(1 for c in icd10 if known[c].domain_id == "Condition") >= 80
    assert sum(1 for c in cpt4 if known[c].domain_id == "Procedure") >= 20
    # And an older ICD-9-CM code finds the same concept as its ICD-10-CM successor
    maps = {(c.vocabulary_id, c.concept_code): c.maps_to for c in codes}
    assert maps["ICD9CM", "401.9"] == maps["ICD10CM", "I10"] == ESSENTIAL_HYPERTENSION


def test_every_source_code_maps_to_a_standard_concept_and_is_a_non_standard_concept() -> None:
    standard = {c.concept_id for c in vocabulary.standard_concepts() if c.standard_concept == "S"}
    codes = vocabulary.source_codes()
    assert {code.maps_to for code in codes} <= standard
    # And their ids are local, above the survey's, in (vocabulary, code) order
    assert [c.concept_id for c in codes] == [
        schema.SOURCE_CONCEPT_BASE + 1 + i for i in range(len(codes))
    ]
    assert max(schema.SURVEY_CONCEPT_IDS.values()) < schema.SOURCE_CONCEPT_BASE
    assert [(c.vocabulary_id, c.concept_code) for c in codes] == sorted(
        (c.vocabulary_id, c.concept_code) for c in codes
    )
    assert {c.standard_concept for c in vocabulary.source_concepts()} == {None}


# -- the generated tables ---------------------------------------------------------------------


def test_the_generated_concept_synonym_table_holds_names_in_both_languages(
    generated: Path,
) -> None:
    # When the generated concept_synonym table is read
    rows = set(
        sql(
            f"select concept_id, concept_synonym_name, language_concept_id "
            f"from read_parquet('{generated}/concept_synonym/*.parquet')"
        )
    )

    # Then it holds the English names, the Spanish names and the lay terms with their language
    assert (METFORMIN, "metformin", schema.LANGUAGE_ENGLISH) in rows
    assert (METFORMIN, "metformina", schema.LANGUAGE_SPANISH) in rows
    assert (ESSENTIAL_HYPERTENSION, "presión alta", schema.LANGUAGE_SPANISH) in rows
    assert (ESSENTIAL_HYPERTENSION, "high blood pressure", schema.LANGUAGE_ENGLISH) in rows
    # And every concept of the concept table has its English name there
    concepts = sql(
        f"select count(*) from read_parquet('{generated}/concept/*.parquet') c "
        f"anti join read_parquet('{generated}/concept_synonym/*.parquet') s "
        f"on s.concept_id = c.concept_id and s.concept_synonym_name = c.concept_name "
        f"and s.language_concept_id = {schema.LANGUAGE_ENGLISH}"
    )
    assert concepts == [(0,)]


def test_the_generated_relationships_map_source_codes_both_ways(generated: Path) -> None:
    # When I10's concept and its relationships are read
    base = f"read_parquet('{generated}/concept/*.parquet')"
    relationship = f"read_parquet('{generated}/concept_relationship/*.parquet')"
    i10 = sql(
        f"select concept_id, standard_concept, domain_id, concept_class_id, concept_name "
        f"from {base} where vocabulary_id = 'ICD10CM' and concept_code = 'I10'"
    )
    assert len(i10) == 1
    i10_id, standard, domain, concept_class, name = i10[0]
    assert (standard, domain, concept_class, name) == (
        None,
        "Condition",
        "3-char billing code",
        "Essential (primary) hypertension",
    )
    links = set(
        sql(
            f"select concept_id_1, concept_id_2, relationship_id from {relationship} "
            f"where relationship_id in ('Maps to', 'Mapped from')"
        )
    )

    # Then it maps to essential hypertension, which is mapped from it, and every code has both
    assert (i10_id, ESSENTIAL_HYPERTENSION, "Maps to") in links
    assert (ESSENTIAL_HYPERTENSION, i10_id, "Mapped from") in links
    assert len(links) == 2 * len(vocabulary.source_codes())


# -- malformed rows ---------------------------------------------------------------------------


def test_an_unknown_concept_names_its_file_and_row(synonym_dir: Path) -> None:
    # Given a row whose concept is not in the vocabulary, at the end of drugs.csv
    path = synonym_dir / "drugs.csv"
    append(path, "999999999,es,lay,algo")
    line = len(path.read_text(encoding="utf-8").splitlines())

    # Then loading stops with the file, the row and the id
    with pytest.raises(DataFileError) as error:
        vocabulary.load_synonyms(synonym_dir)
    assert str(error.value) == (
        f"drugs.csv, row {line}: 'concept_id' 999999999 is not in the vocabulary"
    )


def test_a_second_spanish_name_is_refused(synonym_dir: Path) -> None:
    append(synonym_dir / "drugs.csv", f"{METFORMIN},es,name,metformina clorhidrato")
    with pytest.raises(DataFileError, match=r"drugs\.csv, row \d+: concept 1503297 has a Spanish"):
        vocabulary.load_synonyms(synonym_dir)


def test_a_concept_in_the_wrong_file_is_refused(synonym_dir: Path) -> None:
    append(synonym_dir / "conditions.csv", f"{METFORMIN},es,lay,pastilla para la diabetes")
    with pytest.raises(DataFileError, match=r"is a Drug concept, not for conditions\.csv"):
        vocabulary.load_synonyms(synonym_dir)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (f"{METFORMIN},pt,lay,metformina", "'language' must be one of en, es, not 'pt'"),
        (f"{METFORMIN},en,name,Metformin", "an English 'name' is the concept's own name"),
        (f"{METFORMIN},en,lay,Metformin", "'synonym' 'Metformin' repeats the concept's name"),
        (f"{METFORMIN},es,lay, metformina", "'synonym' ' metformina' has extra spaces"),
        (f"{METFORMIN},es,lay,Metformina", "'synonym' 'Metformina' is already given"),
        (f"{METFORMIN},es,lay,metformina,x", "more fields than columns"),
    ],
)
def test_a_malformed_synonym_row_says_what_is_wrong(
    synonym_dir: Path, line: str, message: str
) -> None:
    append(synonym_dir / "drugs.csv", line)
    with pytest.raises(DataFileError, match=r"^drugs\.csv, row \d+: ") as error:
        vocabulary.load_synonyms(synonym_dir)
    assert message in str(error.value)


def test_the_survey_s_file_is_read_when_present(synonym_dir: Path) -> None:
    # Given a survey.csv beside the domain files (the survey's own helpers write it)
    consent = schema.SURVEY_CONCEPT_IDS["consent"]
    (synonym_dir / "survey.csv").write_text(
        HEADER + f"{consent},es,name,Consentimiento para participar\n", encoding="utf-8"
    )

    # Then its rows load with the others
    loaded = vocabulary.load_synonyms(synonym_dir)
    assert vocabulary.Synonym(consent, "es", "name", "Consentimiento para participar") in loaded


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("ICD10CM,I10,Essential (primary) hypertension,999", "'maps_to' 999 is not a standard"),
        ("ICD10CM,I10,Essential hypertension,21600381", "'maps_to' 21600381 is not a standard"),
        ("ICD10CM,i10,Essential (primary) hypertension,320128", "'i10' is not a ICD10CM code"),
        ("CPT4,83036,Hemoglobin; glycosylated (A1C),4197971", "a standard concept already"),
        ("SNOMED,59621000,Essential hypertension,320128", "'vocabulary_id' must be one of"),
    ],
)
def test_a_malformed_source_code_row_says_what_is_wrong(
    tmp_path: Path, line: str, message: str
) -> None:
    # Given a source code file with one bad row after a good one
    path = tmp_path / "source_codes.csv"
    path.write_text(SOURCE_HEADER + "ICD10CM,E11.9,Type 2 diabetes,201826\n" + line + "\n")

    # Then loading stops at row 3 and says why
    with pytest.raises(DataFileError, match=r"^source_codes\.csv, row 3: ") as error:
        vocabulary.load_source_codes(path)
    assert message in str(error.value)


def test_a_source_code_given_twice_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "source_codes.csv"
    path.write_text(SOURCE_HEADER + "ICD10CM,I10,A,320128\nICD10CM,I10,B,320128\n")
    with pytest.raises(DataFileError, match=r"row 3: ICD10CM I10 is already given \(row 2\)"):
        vocabulary.load_source_codes(path)
