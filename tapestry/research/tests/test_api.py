"""The public research API: /api/v1/public/summary and /concepts, no login."""

from typing import Any

import pytest
from django.test import Client

from tapestry.research.models import ConceptSummary, Domain, Release
from tapestry.research.tests.factories import (
    ConceptSummaryFactory,
    DomainSummaryFactory,
    ReleaseFactory,
)

pytestmark = pytest.mark.django_db

SUMMARY = "/api/v1/public/summary"
CONCEPTS = "/api/v1/public/concepts"
NO_RELEASE = {"detail": "No data release is available yet."}


def count(value: Any, display: Any, suppressed: bool = False) -> dict:
    return {"count": value, "display": display, "suppressed": suppressed}


@pytest.fixture
def release() -> Release:
    release = ReleaseFactory.create(version="R2025-03", participants=12_345)
    DomainSummaryFactory.create(
        release=release, domain=Domain.CONDITION, participants=9_876, concepts=120
    )
    DomainSummaryFactory.create(release=release, domain=Domain.DRUG, participants=7, concepts=3)
    return release


@pytest.fixture
def diabetes(release: Release) -> ConceptSummary:
    return ConceptSummaryFactory.create(
        release=release,
        concept_id=201826,
        name="Type 2 diabetes mellitus",
        code="44054006",
        participants=41,
        by_sex={"female": 30, "male": 11},
        by_age={"40-49": 41},
        by_race={"black": 41},
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
        by_sex={"female": 501, "male": 500},
        by_age={"50-59": 1_001},
        by_race={"white": 1_001},
        histogram={"unit": "%", "bins": [[4.0, 5.5, 400], [5.5, 7.0, 401], [7.0, 8.5, 200]]},
    )


# Summary


def test_the_summary_gives_protected_participants_and_domain_totals(
    client: Client, release: Release
) -> None:
    response = client.get(SUMMARY)

    assert response.status_code == 200
    body = response.json()
    assert body["release"]["version"] == "R2025-03"
    assert body["release"]["cutoff_date"] == "2025-03-31"
    assert body["participants"] == count(12_360, "12,360")
    assert body["domains"] == [
        {
            "domain": "Condition",
            "label": "Conditions",
            "participants": count(9_880, "9,880"),
            "concepts": 120,
        },
        {"domain": "Drug", "label": "Drugs", "participants": count(20, "≤ 20"), "concepts": 3},
    ]


@pytest.mark.parametrize(
    "path", [SUMMARY, CONCEPTS, f"{CONCEPTS}?q=diabetes", f"{CONCEPTS}/201826"]
)
def test_before_the_first_release_the_api_answers_503(client: Client, path: Any) -> None:
    ReleaseFactory.create(status=Release.Status.BUILDING, finished_at=None)

    response = client.get(path)

    assert response.status_code == 503
    assert response.json() == NO_RELEASE


# Search


def test_search_lists_matching_concepts_with_protected_counts(
    client: Client, diabetes: Any, hba1c: Any
) -> None:
    ConceptSummaryFactory.create(
        release=diabetes.release,
        concept_id=201254,
        name="Type 1 diabetes mellitus",
        code="46635009",
        participants=7,
    )

    response = client.get(CONCEPTS, {"q": "diabetes"})

    assert response.status_code == 200
    body = response.json()
    assert (body["q"], body["domain"], body["count"]) == ("diabetes", "", 2)
    assert (body["total"], body["page"], body["pages"], body["page_size"]) == (2, 1, 1, 50)
    assert body["results"] == [
        {
            "concept_id": 201826,
            "name": "Type 2 diabetes mellitus",
            "name_es": "",
            "display_name": "Type 2 diabetes mellitus",
            "code": "44054006",
            "vocabulary": "SNOMED",
            "domain": "Condition",
            "participants": count(60, "60"),
            "url": "http://testserver/data/concepts/201826/",
        },
        {
            "concept_id": 201254,
            "name": "Type 1 diabetes mellitus",
            "name_es": "",
            "display_name": "Type 1 diabetes mellitus",
            "code": "46635009",
            "vocabulary": "SNOMED",
            "domain": "Condition",
            "participants": count(20, "≤ 20"),
            "url": "http://testserver/data/concepts/201254/",
        },
    ]


def test_search_by_code_and_domain(client: Client, diabetes: Any, hba1c: Any) -> None:
    by_code = client.get(CONCEPTS, {"q": "4548-4"})
    by_domain = client.get(CONCEPTS, {"domain": "Measurement"})

    assert [hit["concept_id"] for hit in by_code.json()["results"]] == [3004410]
    assert [hit["concept_id"] for hit in by_domain.json()["results"]] == [3004410]


def test_a_search_over_100_characters_is_a_400_naming_the_parameter(
    client: Client, diabetes: ConceptSummary
) -> None:
    response = client.get(CONCEPTS, {"q": "x" * 101})

    assert response.status_code == 400
    assert response.json() == {
        "detail": "Invalid request.",
        "errors": {"q": ["String should have at most 100 characters"]},
    }


NO_CONTROL_CHARACTERS = r"String should match pattern '^[^\x00-\x1f\x7f-\x9f]*$'"


@pytest.mark.parametrize(
    ("params", "errors"),
    [
        ({"q": "diabetes\x07"}, {"q": [NO_CONTROL_CHARACTERS]}),
        ({"q": "a\x00b"}, {"q": [NO_CONTROL_CHARACTERS]}),
        ({"q": "a\x85b"}, {"q": [NO_CONTROL_CHARACTERS]}),
        (
            {"domain": "Genome"},
            {
                "domain": [
                    "Input should be 'Condition', 'Drug', 'Measurement', 'Procedure', "
                    "'Observation' or 'Visit'"
                ]
            },
        ),
    ],
)
def test_bad_search_input_is_a_400(
    client: Client,
    diabetes: ConceptSummary,
    params: dict[str, str],
    errors: dict[str, list[str]],
) -> None:
    response = client.get(CONCEPTS, params)

    assert response.status_code == 400
    assert response.json() == {"detail": "Invalid request.", "errors": errors}


@pytest.mark.parametrize(("query", "found"), [("²", 1), ("¹²", 0), ("②", 1), ("٣", 0), ("¹", 0)])
def test_a_search_for_digits_int_cannot_read_is_answered_as_the_digit_it_shows(
    client: Client, diabetes: ConceptSummary, query: str, found: int
) -> None:
    # "²" and "②" are digits to str.isdigit() but not to int(): once a server error. Now
    # they are read as the digit they show ("²" finds "Type 2 diabetes"), never a concept id.
    response = client.get(CONCEPTS, {"q": query})

    assert response.status_code == 200
    assert (response.json()["q"], response.json()["count"]) == (query, found)


@pytest.mark.parametrize(
    "query", ["' OR 1=1 --", "<script>alert(1)</script>", "%", "_", "1; DROP TABLE x"]
)
def test_injection_like_searches_find_nothing(client: Client, diabetes: Any, query: str) -> None:
    response = client.get(CONCEPTS, {"q": query})

    assert response.status_code == 200
    assert response.json()["count"] == 0
    assert response.json()["q"] == query


# One concept


def test_a_concept_gives_protected_breakdowns_and_histogram(client: Client, hba1c: Any) -> None:
    response = client.get(f"{CONCEPTS}/3004410")

    assert response.status_code == 200
    body = response.json()
    assert body["concept_id"] == 3004410
    assert body["name"] == "Hemoglobin A1c/Hemoglobin.total in Blood"
    assert body["vocabulary"] == "LOINC"
    assert body["domain"] == "Measurement"
    assert body["participants"] == count(1_020, "1,020")
    assert body["release"]["version"] == "R2025-03"
    assert body["by_sex"] == {
        "total": count(1_020, "1,020"),
        "cells": [
            {
                "key": "female",
                "label": "Female",
                "count": count(520, "520"),
                "percentage": 51.0,
            },
            {"key": "male", "label": "Male", "count": count(500, "500"), "percentage": 49.0},
            *(
                {"key": key, "label": label, "count": count(20, "≤ 20"), "percentage": None}
                for key, label in (
                    ("intersex", "Intersex"),
                    ("other", "Other"),
                    ("unknown", "Skipped or unknown"),
                )
            ),
        ],
    }
    # everyone is 50 to 59: shown as 1,020, that cell would pin the empty groups below 20
    # (at most 1,020 - 1,001 = 19), so it is suppressed and they stay "≤ 20"
    ages = {cell["key"]: cell["count"] for cell in body["by_age"]["cells"]}
    assert ages["50-59"] == count(None, "suppressed", True)
    assert len(body["by_age"]["cells"]) == 8
    assert body["withheld"] is None
    assert body["histogram"] == {
        "unit": "%",
        "bins": [
            {"low": 4.0, "high": 5.5, "count": count(400, "400")},
            {"low": 5.5, "high": 7.0, "count": count(420, "420")},
            {"low": 7.0, "high": 8.5, "count": count(200, "200")},
        ],
        "no_value": count(20, "≤ 20"),
    }


def test_small_cells_are_hidden_or_suppressed_never_raw(client: Client, diabetes: Any) -> None:
    response = client.get(f"{CONCEPTS}/201826")

    body = response.json()
    assert body["participants"] == count(60, "60")
    assert body["histogram"] is None
    sex = {cell["key"]: cell["count"] for cell in body["by_sex"]["cells"]}
    assert sex["male"] in (count(20, "≤ 20"), count(None, "suppressed", True))
    assert 11 not in [cell["count"]["count"] for cell in body["by_sex"]["cells"]]
    assert 30 not in [cell["count"]["count"] for cell in body["by_sex"]["cells"]]


@pytest.mark.parametrize("concept_id", ["0", "999", str(2**63 - 1)])
def test_an_unknown_concept_is_a_404(
    client: Client, diabetes: ConceptSummary, concept_id: str
) -> None:
    response = client.get(f"{CONCEPTS}/{concept_id}")

    assert response.status_code == 404
    assert response.json() == {"detail": "No concept has that id in the current release."}


@pytest.mark.parametrize(
    ("concept_id", "message"),
    [
        ("diabetes", "Input should be a valid integer, unable to parse string as an integer"),
        ("-1", "Input should be greater than or equal to 0"),
        (str(2**63), "Input should be less than or equal to 9223372036854775807"),
    ],
)
def test_a_concept_id_outside_the_documented_range_is_a_400(
    client: Client, diabetes: ConceptSummary, concept_id: str, message: str
) -> None:
    response = client.get(f"{CONCEPTS}/{concept_id}")

    assert response.status_code == 400
    assert response.json() == {"detail": "Invalid request.", "errors": {"concept_id": [message]}}


def test_the_endpoints_are_in_the_openapi_document(client: Client) -> None:
    paths = client.get("/api/v1/openapi.json").json()["paths"]

    assert {
        "/api/v1/public/summary",
        "/api/v1/public/concepts",
        "/api/v1/public/concepts/{concept_id}",
    } <= set(paths)
