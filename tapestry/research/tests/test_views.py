"""The public Data Browser: /data/, concept search and concept pages, for anyone."""

import datetime
import itertools
import re
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

from tapestry.research import charts, labels, selectors
from tapestry.research.models import ConceptSummary, Domain, Release
from tapestry.research.tests.factories import (
    ConceptSummaryFactory,
    DomainSummaryFactory,
    ReleaseFactory,
)
from tapestry.research.warehouse import ubr

pytestmark = pytest.mark.django_db

PRIVACY_NOTE = (
    "Counts from 1 to 20 are shown as ≤ 20 and other counts are rounded up to the next "
    "multiple of 20 to protect participants' privacy."
)
NO_RELEASE = "The Data Browser opens with the first data release"


@pytest.fixture
def release() -> Release:
    release = ReleaseFactory.create(version="R2025-03", participants=12_345)
    for domain, participants, concepts in [
        (Domain.VISIT, 12_001, 6),
        (Domain.CONDITION, 9_876, 120),
        (Domain.DRUG, 8_001, 80),
    ]:
        DomainSummaryFactory.create(
            release=release, domain=domain, participants=participants, concepts=concepts
        )
    return release


@pytest.fixture
def diabetes(release: Release) -> ConceptSummary:
    return ConceptSummaryFactory.create(
        release=release,
        concept_id=201826,
        name="Type 2 diabetes mellitus",
        code="44054006",
        participants=1_234,
        by_sex={"female": 700, "male": 534},
        by_age={"40-49": 300, "50-59": 500, "60-69": 434},
        by_race={"black": 400, "hispanic": 334, "white": 500},
    )


@pytest.fixture
def hba1c(release: Release) -> ConceptSummary:
    return ConceptSummaryFactory.create(
        release=release,
        measurement=True,
        concept_id=3004410,
        name="Hemoglobin A1c/Hemoglobin.total in Blood",
        code="4548-4",
        participants=1_001,
        histogram={"unit": "%", "bins": [[4.0, 5.5, 400], [5.5, 7.0, 401], [7.0, 8.5, 200]]},
    )


def _cells(html: str) -> list[str]:
    """The text of every table data cell, so a test can see exactly what numbers are shown."""
    return [
        re.sub(r"<[^>]+>", "", cell).strip()
        for cell in re.findall(r"<td[^>]*>(.*?)</td>", html, re.S)
    ]


# The landing page


def test_the_landing_page_shows_the_release_participants_and_domains(
    visitor: Client, release: Release
) -> None:
    response = visitor.get("/data/")

    assert response.status_code == 200
    assert "R2025-03" in response.text
    assert "31 Mar 2025" in response.text  # the one English date format (config/formats)
    assert "12,360" in response.text  # 12,345 rounded up to a multiple of 20
    assert "12,345" not in response.text
    domains = [domain.domain for domain in response.context["summary"].domains]
    assert domains == ["Condition", "Drug", "Visit"]
    assert "9,880" in response.text and "8,020" in response.text and "12,020" in response.text
    assert 'href="/data/concepts/?domain=Condition"' in response.text
    assert PRIVACY_NOTE in response.text


@pytest.mark.parametrize(
    "client_fixture", ["visitor", "alice_client", "bob_client", "paula_client", "admin_signed_in"]
)
def test_the_browser_is_open_to_everyone_signed_in_or_not(
    request: pytest.FixtureRequest, diabetes: Any, client_fixture: str
) -> None:
    client = request.getfixturevalue(client_fixture)

    pages = ["/data/", "/data/concepts/?q=diabetes", "/data/concepts/201826/"]

    assert [client.get(page).status_code for page in pages] == [200, 200, 200]


def test_every_page_of_the_browser_explains_the_privacy_rule(
    visitor: Client, diabetes: Any
) -> None:
    pages = ["/data/", "/data/concepts/?q=diabetes", f"/data/concepts/{diabetes.concept_id}/"]

    responses = [visitor.get(page) for page in pages]

    assert [response.status_code for response in responses] == [200, 200, 200]
    assert all(PRIVACY_NOTE in response.text for response in responses)


@pytest.mark.parametrize(
    "path", ["/data/", "/data/concepts/", "/data/concepts/?q=diabetes", "/data/concepts/201826/"]
)
def test_before_the_first_release_every_page_says_the_browser_opens_with_it(
    visitor: Client, path: str
) -> None:
    response = visitor.get(path)

    assert response.status_code == 200
    assert NO_RELEASE in response.text
    assert PRIVACY_NOTE in response.text


@pytest.mark.parametrize("status", [Release.Status.BUILDING, Release.Status.FAILED])
def test_a_release_that_is_not_ready_is_never_served(visitor: Client, status: Any) -> None:
    ReleaseFactory.create(status=status, finished_at=None)

    response = visitor.get("/data/")

    assert response.status_code == 200
    assert NO_RELEASE in response.text


def test_the_browser_keeps_serving_the_ready_release_while_the_next_is_built(
    visitor: Client, release: Release
) -> None:
    ReleaseFactory.create(version="R2025-04", status=Release.Status.BUILDING, finished_at=None)

    response = visitor.get("/data/")

    assert response.status_code == 200
    assert "R2025-03" in response.text
    assert "R2025-04" not in response.text


# Search


def test_search_by_name_lists_concepts_with_protected_counts(
    visitor: Client, diabetes: Any, hba1c: Any
) -> None:
    ConceptSummaryFactory.create(
        release=diabetes.release, name="Type 1 diabetes mellitus", code="46635009", participants=7
    )
    ConceptSummaryFactory.create(
        release=diabetes.release, name="Gestational diabetes", code="11687002", participants=41
    )

    response = visitor.get("/data/concepts/", {"q": "diabetes"})

    assert response.status_code == 200
    assert [hit.name for hit in response.context["hits"]] == [
        "Type 2 diabetes mellitus",
        "Gestational diabetes",
        "Type 1 diabetes mellitus",
    ]
    cells = _cells(response.text)
    assert cells == [
        "SNOMED 44054006",
        "Conditions",
        "1,240",
        "SNOMED 11687002",
        "Conditions",
        "60",
        "SNOMED 46635009",
        "Conditions",
        "≤ 20",
    ]
    assert "3 concepts match “diabetes”" in response.text


@pytest.mark.parametrize("query", ["44054006", "201826", "  44054006  "])
def test_search_finds_a_concept_by_its_code_or_id(
    visitor: Client, diabetes: Any, hba1c: Any, query: str
) -> None:
    response = visitor.get("/data/concepts/", {"q": query})

    assert response.status_code == 200
    assert [hit.concept_id for hit in response.context["hits"]] == [201826]


def test_search_keeps_to_one_domain(visitor: Client, diabetes: Any, hba1c: Any) -> None:
    response = visitor.get("/data/concepts/", {"domain": "Measurement"})

    assert response.status_code == 200
    assert [hit.concept_id for hit in response.context["hits"]] == [3004410]
    assert "Measurements: 1 concept, most participants first" in response.text


def test_a_search_with_no_match_says_so(visitor: Client, diabetes: Any) -> None:
    response = visitor.get("/data/concepts/", {"q": "zebra stripes"})

    assert response.status_code == 200
    assert response.context["hits"] == []
    assert "No concepts match this search." in response.text


def test_a_search_over_100_characters_is_refused_with_a_clear_message(
    visitor: Client, diabetes: Any
) -> None:
    response = visitor.get("/data/concepts/", {"q": "d" * 101})

    assert response.status_code == 400
    assert "Search for at most 100 characters (you entered 101)." in response.text
    assert response.context["hits"] is None


def test_a_search_of_exactly_100_characters_is_answered(visitor: Client, diabetes: Any) -> None:
    response = visitor.get("/data/concepts/", {"q": "d" * 100})

    assert response.status_code == 200
    assert response.context["hits"] == []


@pytest.mark.parametrize(
    "query",
    [
        "' OR 1=1 --",
        '"; DROP TABLE research_conceptsummary; --',
        "%",
        "_",
        "\\",
    ],
)
def test_sql_like_searches_are_plain_text_and_find_nothing(
    visitor: Client, diabetes: Any, query: str
) -> None:
    response = visitor.get("/data/concepts/", {"q": query})

    assert response.status_code == 200
    assert response.context["hits"] == []
    assert "No concepts match this search." in response.text


def test_markup_in_a_search_is_shown_as_text_never_run(visitor: Client, diabetes: Any) -> None:
    response = visitor.get("/data/concepts/", {"q": "<script>alert(1)</script>"})

    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("diabetes\x07", "Remove the control characters from your search."),
        ("diabetes\x1b[31m", "Remove the control characters from your search."),
        ("dia\x00betes", "Null characters are not allowed."),
    ],
)
def test_control_characters_in_a_search_are_refused(
    visitor: Client, diabetes: Any, query: str, message: str
) -> None:
    response = visitor.get("/data/concepts/", {"q": query})

    assert response.status_code == 400
    assert message in response.text


def test_an_unknown_domain_is_refused(visitor: Client, diabetes: Any) -> None:
    response = visitor.get("/data/concepts/", {"domain": "Genome"})

    assert response.status_code == 400
    assert "Select a valid choice." in response.text


def test_live_search_answers_with_the_results_and_the_status_only(
    visitor: Client, diabetes: Any
) -> None:
    response = visitor.get("/data/concepts/", {"q": "diabetes"}, headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert "<html" not in response.text
    assert "Type 2 diabetes mellitus" in response.text
    assert 'id="search-status" role="status" hx-swap-oob="innerHTML">1 concept found' in (
        response.text
    )
    assert "HX-Request" in response["Vary"]


def test_the_search_page_works_without_javascript(visitor: Client, diabetes: Any) -> None:
    response = visitor.get("/data/concepts/", {"q": "diabetes"})

    assert '<form class="usa-form usa-form--large" role="search" method="get"' in response.text
    assert 'action="/data/concepts/"' in response.text
    assert '<button class="usa-button margin-top-3" type="submit">Search</button>' in (
        response.text
    )


# The concept page


def test_a_concept_page_shows_the_concept_breakdowns_and_release(
    visitor: Client, diabetes: Any
) -> None:
    response = visitor.get("/data/concepts/201826/")

    assert response.status_code == 200
    text = response.text
    assert '<h1 lang="en">Type 2 diabetes mellitus</h1>' in text
    assert "44054006" in text and "SNOMED" in text and "Conditions" in text
    assert "R2025-03" in text
    assert "1,240 participants have this or a more specific concept" in text
    # by sex, by age, by race: label, protected count, percentage of the protected total
    assert '<th scope="row">Female</th>' in text
    assert '<th scope="row">50 to 59</th>' in text
    assert '<th scope="row">Hispanic, Latino or Spanish</th>' in text
    cells = _cells(text)
    assert cells[:4] == ["700", "56.5%", "540", "43.5%"]
    assert "1,234" not in text and "534" not in text
    # every group is listed, an empty one as "≤ 20" with no percentage, and each table has
    # a bar chart beside it; not a measurement: no histogram
    assert cells[4:6] == ["≤ 20", "—"]
    assert 'aria-labelledby="chart-race-title chart-race-desc"' in text
    assert "histogram-title" not in text
    assert "Percentages are of the groups shown with a number" in text


def test_a_measurement_page_draws_a_histogram_with_a_table_beside_it(
    visitor: Client, hba1c: Any
) -> None:
    response = visitor.get("/data/concepts/3004410/")

    assert response.status_code == 200
    text = response.text
    assert 'role="img" aria-labelledby="histogram-title histogram-desc"' in text
    histogram = text.split('id="histogram-desc"')[1].split("</svg>")[0]
    assert histogram.count('fill="#005ea2"></rect>') == 3
    assert "Each participant is counted once, by their most recent value." in text
    assert "Participants by measured value (%)" in text
    assert _cells(text)[:3] == ["400", "420", "200"]
    assert "4 to 5.5" in text


def test_small_counts_on_a_concept_page_are_never_shown_raw(
    visitor: Client, release: Release
) -> None:
    ConceptSummaryFactory.create(
        release=release,
        concept_id=4000001,
        name="Rare condition",
        participants=7,
        by_sex={"female": 7},
        by_age={"30-39": 7},
        by_race={"asian": 7},
    )

    response = visitor.get("/data/concepts/4000001/")

    assert response.status_code == 200
    assert "≤ 20 participants have this" in response.text
    assert "7" not in _cells(response.text)
    assert all(cell in {"≤ 20", "Suppressed", "—", "100.0%", ""} for cell in _cells(response.text))


def test_a_count_of_41_is_shown_as_60(visitor: Client, release: Release) -> None:
    ConceptSummaryFactory.create(
        release=release,
        concept_id=4000002,
        name="Uncommon condition",
        participants=41,
        by_sex={"female": 41},
        by_age={"30-39": 41},
        by_race={"asian": 41},
    )

    response = visitor.get("/data/concepts/4000002/")

    assert "60 participants have this" in response.text
    assert "41" not in _cells(response.text)


def test_a_suppressed_cell_shows_the_word_not_a_number(visitor: Client, release: Release) -> None:
    # 22 → 40 in total; 21 → 40 and 1 → ≤ 20 would narrow the small cell, so it is hidden.
    ConceptSummaryFactory.create(
        release=release,
        concept_id=4000003,
        name="Narrow condition",
        participants=22,
        by_sex={"female": 21, "male": 1},
        by_age={"30-39": 22},
        by_race={"asian": 22},
    )

    response = visitor.get("/data/concepts/4000003/")

    assert response.status_code == 200
    sex_rows = _cells(response.text)[:4]
    assert "Suppressed" in sex_rows
    assert "21" not in sex_rows and "1" not in sex_rows


@pytest.mark.parametrize("path", ["/data/concepts/999/", f"/data/concepts/{2**63}/"])
def test_an_unknown_concept_is_the_404_page(visitor: Client, diabetes: Any, path: Any) -> None:
    response = visitor.get(path)

    assert response.status_code == 404
    assert "We could not find that page" in response.text


def test_a_concept_only_in_an_older_release_is_not_found(visitor: Client, diabetes: Any) -> None:
    older = ReleaseFactory.create(
        version="R2024-12", finished_at=datetime.datetime(2024, 12, 31, tzinfo=datetime.UTC)
    )
    ConceptSummaryFactory.create(release=older, concept_id=555)

    response = visitor.get("/data/concepts/555/")

    assert response.status_code == 404


# Spanish


def test_the_browser_speaks_spanish(visitor: Client, diabetes: Any, hba1c: Any) -> None:
    visitor.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"

    home = visitor.get("/data/")
    search = visitor.get("/data/concepts/", {"q": "diabetes"})
    concept = visitor.get("/data/concepts/201826/")
    measurement = visitor.get("/data/concepts/3004410/")

    assert '<html lang="es">' in home.text
    assert '<h1 class="margin-top-4">Explorador de datos</h1>' in home.text
    assert "12\xa0360" in home.text  # Spanish groups thousands with a (non-breaking) space
    assert "Afecciones" in home.text
    assert "Los recuentos de 1 a 20 se muestran como ≤ 20" in home.text
    assert "1 concepto coincide con “diabetes”" in search.text
    assert "1\xa0240" in search.text
    assert '<th scope="row">Femenino</th>' in concept.text
    assert '<th scope="row">50 a 59</th>' in concept.text
    assert "56,5\xa0%" in concept.text
    assert "Valores medidos" in measurement.text
    assert "4 a 5,5" in measurement.text


def test_the_no_release_page_speaks_spanish(visitor: Client) -> None:
    visitor.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"

    response = visitor.get("/data/")

    assert response.status_code == 200
    assert "El Explorador de datos se abrirá con la primera publicación de datos" in response.text


def test_a_suppressed_cell_is_translated(visitor: Client, release: Release) -> None:
    visitor.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    ConceptSummaryFactory.create(
        release=release,
        concept_id=4000003,
        participants=22,
        by_sex={"female": 21, "male": 1},
        by_age={"30-39": 22},
        by_race={"asian": 22},
    )

    response = visitor.get("/data/concepts/4000003/")

    assert "Suprimido" in _cells(response.text)
    assert "suppressed" not in response.text


# Labels


def test_every_group_and_category_the_warehouse_produces_has_a_label() -> None:
    assert set(selectors.SEX_ORDER) <= set(labels.SEX_LABELS)
    assert set(selectors.AGE_ORDER) <= set(labels.AGE_LABELS)
    assert set(selectors.RACE_ORDER) <= set(labels.RACE_LABELS)
    assert {category.code for category in ubr.CATEGORIES} == set(labels.CATEGORY_LABELS)
    assert {domain.value for domain in Domain} == set(labels.DOMAIN_LABELS)


# Chart helpers


@pytest.mark.parametrize(
    ("value", "english", "spanish"),
    [
        (0, "0", "0"),
        (4.5, "4.5", "4,5"),
        (0.25, "0.25", "0,25"),
        (47.98, "48", "48"),
        (56.43, "56.4", "56,4"),
        (1240, "1,240", "1\xa0240"),
        (12_345.6, "12,346", "12\xa0346"),
    ],
)
def test_chart_numbers_are_written_the_local_way(
    value: int | float, english: str, spanish: str
) -> None:
    with translation.override("en"):
        shown_in_english = charts.format_number(value)
    with translation.override("es"):
        shown_in_spanish = charts.format_number(value)

    assert (shown_in_english, shown_in_spanish) == (english, spanish)


def test_histogram_bars_follow_the_protected_counts_and_labels_never_crowd() -> None:
    edges = [(float(low), float(low + 1)) for low in range(100, 130)]
    heights = [20 * (index % 5) for index in range(30)]

    chart = charts.histogram_chart(edges, heights)

    # The tallest bar (80) reaches the top tick: 0, 20, 40, 60, 80 over 240 units.
    assert [bar.height for bar in chart.bars[:5]] == [0.0, 60.0, 120.0, 180.0, 240.0]
    assert chart.y_ticks[-1].label == "80"
    assert len(chart.x_ticks) < len(edges)
    gaps = [right.position - left.position for left, right in itertools.pairwise(chart.x_ticks)]
    assert min(gaps) >= len("130") * charts.LABEL_CHARACTER_WIDTH


def test_every_page_links_to_the_data_browser_from_the_main_menu(visitor: Client) -> None:
    english = visitor.get("/network/").text
    spanish = visitor.get("/network/", headers={"accept-language": "es"}).text

    assert '<a class="usa-nav-link" href="/data/"><span>Data Browser</span></a>' in english
    assert '<a class="usa-nav-link" href="/data/"><span>Datos</span></a>' in spanish


def test_a_concept_with_1_to_20_participants_is_not_described(
    visitor: Client, release: Release
) -> None:
    # given a concept that 7 participants have, all women aged 18 to 29
    ConceptSummaryFactory.create(
        release=release,
        concept_id=443277,
        participants=7,
        by_sex={"female": 7},
        by_age={"18-29": 7},
        by_race={"white": 7},
    )

    # when a visitor opens its page
    text = visitor.get("/data/concepts/443277/").text

    # then the page gives the count as "≤ 20", says why it shows nothing more, and shows
    # no breakdown
    assert "≤ 20 participants have this" in text
    assert "Fewer than 21 participants have this concept." in text
    assert "By sex at birth" not in text and "100" not in "".join(_cells(text))


def test_a_concept_page_links_its_parents_and_children_with_their_counts(
    visitor: Client, release: Release, diabetes: Any
) -> None:
    # given diabetes mellitus, a parent of type 2 diabetes, and a child with 9 participants
    ConceptSummaryFactory.create(
        release=release,
        concept_id=201820,
        name="Diabetes mellitus",
        name_es="Diabetes mellitus (diabetes)",
        participants=1_500,
        children=[201826],
    )
    ConceptSummaryFactory.create(
        release=release, concept_id=43530656, name="Retinopathy", participants=9, parents=[201826]
    )
    diabetes.parents, diabetes.children = [201820], [43530656]
    diabetes.save()

    # when a visitor opens type 2 diabetes
    text = visitor.get("/data/concepts/201826/").text

    # then both are linked with their protected counts
    assert 'href="/data/concepts/201820/"' in text and 'href="/data/concepts/43530656/"' in text
    assert "More general concepts" in text and "More specific concepts" in text
    assert "1,500" in _cells(text) and "9" not in _cells(text)
    # and in Spanish by their Spanish names
    spanish = visitor.get("/data/concepts/201826/", headers={"accept-language": "es"}).text
    assert (
        '<a class="usa-link" href="/data/concepts/201820/" lang="es">Diabetes mellitus (diabetes)</a>'
        in spanish
    )
