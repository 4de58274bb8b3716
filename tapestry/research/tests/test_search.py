"""Concept search: what people type (Spanish, lay terms, codes, any case or accent), ranked
and paged, through each database's full-text index (run on SQLite and on PostgreSQL)."""

import datetime
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.utils import translation
from pytest_django.fixtures import Settings

from tapestry.research import selectors
from tapestry.research.forms import ConceptSearchForm
from tapestry.research.models import ConceptSummary, ConceptTerm, Domain, Release
from tapestry.research.search import normalize, words
from tapestry.research.services import release_create
from tapestry.research.tests.factories import ConceptSummaryFactory, ReleaseFactory
from tapestry.research.warehouse.generate import generate

pytestmark = pytest.mark.django_db

PAGE = "/data/concepts/"
API = "/api/v1/public/concepts"


@pytest.fixture
def release() -> Release:
    return ReleaseFactory.create(version="R2025-07")


def concept(release: Release, concept_id: int, name: str, **fields: Any) -> ConceptSummary:
    return ConceptSummaryFactory.create(release=release, concept_id=concept_id, name=name, **fields)


@pytest.fixture
def vocabulary(release: Release) -> dict[str, ConceptSummary]:
    """A few real concepts with the names, synonyms and source codes a release gives them."""
    return {
        "asthma": concept(release, 317009, "Asthma", name_es="Asma", code="195967001"),
        "plasma": concept(
            release,
            3004501,
            "Glucose [Mass/volume] in Serum or Plasma",
            name_es="Glucosa en suero o plasma",
            code="2345-7",
            measurement=True,
            participants=3_000,
        ),
        "hypertension": concept(
            release,
            320128,
            "Essential hypertension",
            name_es="Hipertensión esencial",
            code="59621000",
            participants=2_500,
            terms=[
                ("synonym", "en", "High blood pressure"),
                ("synonym", "es", "Presión alta"),
                ("source_code", "", "I10"),
                ("synonym", "en", "Essential (primary) hypertension"),
            ],
        ),
        "metformin": concept(
            release,
            1503297,
            "metformin",
            name_es="metformina",
            code="6809",
            vocabulary="RxNorm",
            domain=Domain.DRUG,
            participants=900,
        ),
        "type_2": concept(
            release,
            201826,
            "Type 2 diabetes mellitus",
            name_es="Diabetes mellitus tipo 2",
            code="44054006",
            participants=1_500,
            terms=[
                ("synonym", "en", "Sugar diabetes"),
                ("source_code", "", "E11.9"),
                ("synonym", "en", "Type 2 diabetes mellitus without complications"),
            ],
        ),
        "type_1": concept(
            release,
            201254,
            "Type 1 diabetes mellitus",
            name_es="Diabetes mellitus tipo 1",
            code="46635009",
            participants=300,
        ),
        "diabetes": concept(
            release,
            201820,
            "Diabetes mellitus",
            name_es="Diabetes",
            code="73211009",
            participants=1_700,
        ),
        "hba1c": concept(
            release,
            3004410,
            "Hemoglobin A1c/Hemoglobin.total in Blood",
            name_es="Hemoglobina A1c en sangre",
            code="4548-4",
            measurement=True,
            participants=2_000,
            terms=[("synonym", "en", "HbA1c")],
        ),
    }


def found(query: str, domain: str = "", **kwargs: Any) -> list[int]:
    release = selectors.release_current()
    assert release is not None
    results = selectors.concept_search(release=release, query=query, domain=domain, **kwargs)
    return [hit.concept_id for hit in results.hits]


# Normalization: one function at write and at query time


@pytest.mark.parametrize(
    ("text", "normalized"),
    [
        ("Hipertensión", "hipertension"),
        ("METFORMINA", "metformina"),
        ("E11.9", "e11 9"),
        ("Straße", "strasse"),
        ("¹", "1"),
        ("①", "1"),
        ("naïve–café", "naive cafe"),
        ("' OR 1=1 --", "or 1 1"),
        ("?!…", ""),
    ],
)
def test_normalization_ignores_case_accents_and_punctuation(text: str, normalized: str) -> None:
    assert normalize(text) == normalized


def test_only_punctuation_has_no_words() -> None:
    assert words("--- ¿? ...") == []


# Matching


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("hipertension", [320128]),
        ("HIPERTENSIÓN", [320128]),
        ("METFORMINA", [1503297]),
        ("metfor", [1503297]),
        ("Metformin", [1503297]),
        ("asma", [317009]),
        ("diabetes tipo 2", [201826]),
        ("high blood pressure", [320128]),
        ("presion alta", [320128]),
        ("HbA1c", [3004410]),
        ("sugar diabetes", [201826]),
        ("I10", [320128]),
        ("i10", [320128]),
        ("E11.9", [201826]),
        ("4548-4", [3004410]),
        ("201826", [201826]),
    ],
)
def test_search_finds_what_people_type(vocabulary: Any, query: str, expected: list[int]) -> None:
    assert found(query) == expected


def test_asma_is_a_word_prefix_never_the_inside_of_plasma(vocabulary: Any) -> None:
    assert 3004501 not in found("asma")
    assert found("plasma") == [3004501]


def test_every_word_must_match(vocabulary: Any) -> None:
    assert found("diabetes tipo") == [201826, 201254]
    assert found("diabetes tipo 3") == []


def test_an_exact_term_ranks_first_then_a_term_starting_with_it_then_the_rest(
    vocabulary: Any,
) -> None:
    # "diabetes" is the whole Spanish name of diabetes mellitus (exact), starts "Diabetes
    # mellitus tipo 1/2" (prefix, most participants first), and is a word of the others.
    assert found("diabetes") == [201820, 201826, 201254]
    # Type 2 has more participants than diabetes mellitus' exact term would need to beat.
    assert found("diabetes mellitus") == [201820, 201826, 201254]


def test_search_keeps_to_the_domain(vocabulary: Any) -> None:
    assert found("in", domain=Domain.MEASUREMENT) == [3004501, 3004410]
    assert found("metformina", domain=Domain.CONDITION) == []


def test_search_reads_only_the_current_release(vocabulary: Any) -> None:
    older = ReleaseFactory.create(
        version="R2024-01", finished_at=datetime.datetime(2024, 1, 31, tzinfo=datetime.UTC)
    )
    concept(older, 1, "Asthma in an old release")

    assert found("asthma") == [317009]


def test_a_deleted_release_leaves_nothing_in_the_index(vocabulary: Any, release: Release) -> None:
    release.delete()
    newer = ReleaseFactory.create(version="R2025-08")
    concept(newer, 317009, "Asthma", name_es="Asma")

    assert found("asma") == [317009]
    assert ConceptTerm.objects.count() == 3  # English name, Spanish name, code


def test_the_search_uses_the_full_text_index(vocabulary: Any, release: Release) -> None:
    # The plan names the index: FTS5's virtual table on SQLite, the GIN index on PostgreSQL.
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "EXPLAIN QUERY PLAN SELECT rowid FROM research_conceptterm_fts "
                "WHERE research_conceptterm_fts MATCH ?",
                ['"asma"*'],
            )
            plan = " ".join(str(row) for row in cursor.fetchall())
            assert "VIRTUAL TABLE INDEX" in plan
        else:
            cursor.execute("SET enable_seqscan = off")
            cursor.execute(
                "EXPLAIN SELECT id FROM research_conceptterm t WHERE "
                "to_tsvector('simple'::regconfig, t.normalized) "
                "@@ to_tsquery('simple'::regconfig, %s)",
                ["'asma':*"],
            )
            plan = " ".join(str(row) for row in cursor.fetchall())
            cursor.execute("SET enable_seqscan = on")
            assert "research_conceptterm_tsv" in plan


# Pagination: a whole domain, page by page


@pytest.fixture
def conditions(release: Release) -> None:
    for index in range(171):
        concept(release, 500_000 + index, f"Condition {index:03d}", participants=1_000 - index)


def test_browsing_a_domain_pages_through_all_of_it(client: Client, conditions: None) -> None:
    pages = [
        client.get(PAGE, {"domain": "Condition", "page": page}).context["hits"]
        for page in (1, 2, 3, 4)
    ]

    assert [len(hits) for hits in pages] == [50, 50, 50, 21]
    ids = [hit.concept_id for hits in pages for hit in hits]
    assert ids == [500_000 + index for index in range(171)]


def test_the_page_says_where_it_is_and_links_to_the_next(client: Client, conditions: None) -> None:
    response = client.get(PAGE, {"domain": "Condition", "page": "2"})

    assert "Showing 51 to 100 of 171 (page 2 of 4)." in response.text
    assert '<nav aria-label="Pagination" class="usa-pagination">' in response.text
    assert "?domain=Condition&amp;page=3" in response.text
    assert "?domain=Condition&amp;page=1" in response.text


@pytest.mark.parametrize(
    ("page", "shown"), [("abc", 1), ("0", 1), ("-1", 1), ("¹", 1), ("9999", 4), ("4", 4)]
)
def test_a_page_out_of_range_or_not_a_number_shows_the_first_or_last(
    client: Client, conditions: None, page: str, shown: int
) -> None:
    response = client.get(PAGE, {"domain": "Condition", "page": page})

    assert response.status_code == 200
    assert response.context["result"].page == shown


def test_the_api_pages_with_page_and_page_size(client: Client, conditions: None) -> None:
    body = client.get(API, {"domain": "Condition", "page": "2", "page_size": "100"}).json()

    assert (body["total"], body["page"], body["pages"], body["page_size"]) == (171, 2, 2, 100)
    assert body["count"] == 71
    assert body["results"][0]["concept_id"] == 500_100


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"page": "abc"}, "page"),
        ({"page": "0"}, "page"),
        ({"page": "¹"}, "page"),
        ({"page_size": "0"}, "page_size"),
        ({"page_size": "101"}, "page_size"),
        ({"page_size": "①"}, "page_size"),
    ],
)
def test_the_api_refuses_a_page_or_size_out_of_range_with_a_400(
    client: Client, conditions: None, params: dict[str, str], field: str
) -> None:
    response = client.get(API, {"domain": "Condition", **params})

    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]


def test_the_api_answers_a_page_past_the_last_with_a_404_that_says_how_many(
    client: Client, conditions: None
) -> None:
    response = client.get(API, {"domain": "Condition", "page": "5", "page_size": "100"})

    assert response.status_code == 404
    assert response.json() == {"detail": "No page 5: the results have 2."}


# Odd input never breaks


ODD = ["¹", "①", "\u00a0", "?!", "--", "…", "a" * 100, "ё", "👩🏽‍⚕️", "𝟙𝟘"]


@pytest.mark.parametrize("query", ODD)
def test_odd_searches_are_answered_in_the_page(client: Client, vocabulary: Any, query: str) -> None:
    assert client.get(PAGE, {"q": query}).status_code == 200


@pytest.mark.parametrize("query", ODD)
def test_odd_searches_are_answered_in_the_api(client: Client, vocabulary: Any, query: str) -> None:
    assert client.get(API, {"q": query}).status_code == 200


def test_only_punctuation_finds_nothing(client: Client, vocabulary: Any) -> None:
    response = client.get(PAGE, {"q": "?!--"})

    assert response.context["hits"] == []
    assert "No concepts match this search." in response.text


@pytest.mark.parametrize("path", [PAGE, API])
def test_a_nul_or_a_very_long_search_is_a_clear_400(
    client: Client, vocabulary: Any, path: str
) -> None:
    assert client.get(f"{path}?q=a%00b").status_code == 400
    assert client.get(path, {"q": "diabetes " * 200}).status_code == 400


# The visitor's language


def test_in_spanish_the_hits_show_the_spanish_name_with_the_standard_one_beside(
    client: Client, vocabulary: Any
) -> None:
    with translation.override("es"):
        response = client.get(PAGE, {"q": "hipertension"}, HTTP_ACCEPT_LANGUAGE="es")

    assert 'lang="es" href="/data/concepts/320128/">Hipertensión esencial</a>' in response.text
    assert 'Nombre estándar: <span lang="en">Essential hypertension</span>' in response.text


def test_in_spanish_the_concept_page_heading_is_the_spanish_name(
    client: Client, vocabulary: Any
) -> None:
    response = client.get("/data/concepts/1503297/", HTTP_ACCEPT_LANGUAGE="es")

    assert '<h1 lang="es">metformina</h1>' in response.text
    assert 'Nombre estándar: <span lang="en">metformin</span>' in response.text


def test_in_english_the_pages_show_the_standard_name(client: Client, vocabulary: Any) -> None:
    search = client.get(PAGE, {"q": "metformina"}, HTTP_ACCEPT_LANGUAGE="en")
    page = client.get("/data/concepts/1503297/", HTTP_ACCEPT_LANGUAGE="en")

    assert 'lang="en" href="/data/concepts/1503297/">metformin</a>' in search.text
    assert '<h1 lang="en">metformin</h1>' in page.text


def test_the_api_gives_both_names_and_the_one_of_the_visitors_language(
    client: Client, vocabulary: Any
) -> None:
    spanish = client.get(API, {"q": "metformina"}, HTTP_ACCEPT_LANGUAGE="es").json()
    english = client.get(API, {"q": "metformina"}, HTTP_ACCEPT_LANGUAGE="en").json()

    hit = spanish["results"][0]
    assert (hit["name"], hit["name_es"], hit["display_name"]) == (
        "metformin",
        "metformina",
        "metformina",
    )
    assert english["results"][0]["display_name"] == "metformin"


# A real release: generated data with the team's vocabulary (names, lay terms, source codes)

HYPERTENSION, HYPERTENSIVE_DISORDER = 320128, 316866
ASTHMA, METFORMIN, TYPE_2_DIABETES, HBA1C = 317009, 1503297, 201826, 3004410


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("generated") / "data"
    generate(out, participants=600, seed=7)
    return out


@pytest.fixture
def built(generated: Path, settings: Settings, tmp_path: Path) -> Release:
    settings.RESEARCH_DATA_DIR = tmp_path / "research"
    return release_create(source=generated, version="search-1")


def test_a_real_release_finds_what_the_issue_typed(built: Release) -> None:
    # Each query of the issue, with the concept it must find first (or among the first two
    # where two concepts share the term, ranked by participants).
    firsts = {
        "metformina": [METFORMIN],
        "METFORMINA": [METFORMIN],
        "metfor": [METFORMIN],
        "hipertensión": [HYPERTENSION],
        "hipertension": [HYPERTENSION],
        "asma": [ASTHMA],
        "diabetes tipo 2": [TYPE_2_DIABETES],
        "sugar diabetes": [TYPE_2_DIABETES],
        "I10": [HYPERTENSION],
        "E11.9": [TYPE_2_DIABETES],
        "4548-4": [HBA1C],  # LOINC
    }
    shared = {
        "high blood pressure": {HYPERTENSION, HYPERTENSIVE_DISORDER},
        "HbA1c": {HBA1C},
    }
    missed = {
        query: found(query)[:3]
        for query, expected in firsts.items()
        if found(query)[: len(expected)] != expected
    }
    missed |= {
        query: found(query)[:3]
        for query, expected in shared.items()
        if not expected <= set(found(query)[:2])
    }
    assert missed == {}


def test_in_a_real_release_asma_finds_no_plasma_test(built: Release) -> None:
    results = selectors.concept_search(release=built, query="asma", page_size=100)

    assert results.hits
    assert not [hit.name for hit in results.hits if "plasma" in hit.name.casefold()]


def test_every_concept_of_a_real_release_has_its_spanish_name(built: Release) -> None:
    concepts = ConceptSummary.objects.filter(release=built)

    assert concepts.exists()
    assert list(concepts.filter(name_es="").values_list("concept_id", flat=True)) == []


def test_every_example_of_the_search_hint_finds_something(built: Release) -> None:
    for language in ("en", "es"):
        with translation.override(language):
            hint = str(ConceptSearchForm().fields["q"].help_text)
        examples = hint.split(":", 1)[1].rstrip(".").replace(" or ", ", ").replace(" o ", ", ")
        for example in examples.split(", "):
            assert found(example.strip()), (language, example)


def test_the_order_of_results_says_nothing_the_rounded_counts_do_not(release: Release) -> None:
    # Given three concepts of 15, 3 and 41 participants: the first two both show as "≤ 20"
    concept(release, 1, "Zeta fever", participants=15)
    concept(release, 2, "Alpha fever", participants=3)
    concept(release, 3, "Mid fever", participants=41)

    searched = selectors.concept_search(release=release, query="fever")
    browsed = selectors.concept_search(release=release)

    # The larger shown count first, then the two "≤ 20" by name: 15 does not come before 3.
    expected = ["Mid fever", "Alpha fever", "Zeta fever"]
    assert [hit.name for hit in searched.hits] == expected
    assert [hit.name for hit in browsed.hits] == expected
