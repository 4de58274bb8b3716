# ruff: noqa: F811 (the fixtures are imported from cohort_support)
"""POST /api/v1/research/cohorts/count: a token with the `research` scope of a researcher with
registered access now; the protected count; a clear 4xx for everything else."""

import json
from typing import Any

import pytest
from django.test import Client

from tapestry.accounts.tests.factories import UserFactory, api_token_make
from tapestry.research.models import CountLedgerEntry, Release, ResearchLogEntry
from tapestry.research.services import definition_hash
from tapestry.research.tests.cohort_support import (  # noqa: F401
    access_withdraw,
    cohort_built,
    cohort_release,
    researcher_make,
)
from tapestry.research.warehouse.cohort import engine_for
from tapestry.research.warehouse.cohort_definition import definition_parse

URL = "/api/v1/research/cohorts/count"
AGE_40_64 = {"domain": "demographic", "field": "age", "min": 40, "max": 64}
ISSUE_COHORT = {
    "version": 1,
    "include": [
        {"items": [AGE_40_64]},
        {"items": [{"domain": "condition", "concept_id": 201826, "descendants": True}]},
        {
            "items": [
                {
                    "domain": "measurement",
                    "concept_id": 3004410,
                    "value": {"above": 6.5},
                    "temporal": {
                        "relation": "within",
                        "days": 365,
                        "anchor": {"domain": "condition", "concept_id": 201826},
                    },
                }
            ]
        },
    ],
    "exclude": [],
}


def ask(token: str | None, body: Any) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    text = body if isinstance(body, str | bytes) else json.dumps(body)
    return Client().post(URL, text, content_type="application/json", headers=headers)


@pytest.fixture
def researcher(cohort_release: Release) -> Any:
    return researcher_make()


@pytest.fixture
def token(researcher: Any) -> str:
    return api_token_make(user=researcher, scopes=["research"])


def test_the_count_is_protected_and_logged_without_the_true_count(
    cohort_release: Release, researcher: Any, token: str
) -> None:
    true = engine_for(cohort_release.warehouse_path).count(definition_parse(ISSUE_COHORT))

    response = ask(token, ISSUE_COHORT)

    assert response.status_code == 200
    body = response.json()
    rounded = 20 if true <= 20 else -(-true // 20) * 20
    assert body == {
        "count": {
            "count": rounded,
            "display": "≤ 20" if true <= 20 else f"{rounded:,}",
            "suppressed": False,
        },
        "release": "cohort-test",
    }
    entry = ResearchLogEntry.objects.get(user=researcher)
    assert entry.action == ResearchLogEntry.Action.COHORT_COUNT
    assert entry.data == {
        "definition_hash": definition_hash(definition_parse(ISSUE_COHORT)),
        "release": "cohort-test",
        "shown": body["count"]["display"],
    }


def test_a_count_within_20_of_one_seen_is_shown_the_same(
    cohort_release: Release, token: str
) -> None:
    engine = engine_for(cohort_release.warehouse_path)

    def cohort(low: int) -> dict[str, Any]:
        item = {"domain": "demographic", "field": "age", "min": low, "max": 64}
        return {"version": 1, "include": [{"items": [item]}]}

    base = engine.count(definition_parse(cohort(40)))
    low = next(
        low
        for low in range(41, 64)
        if 1 <= base - engine.count(definition_parse(cohort(low))) <= 20
    )

    first, second = ask(token, cohort(40)).json(), ask(token, cohort(low)).json()

    assert first["count"] == second["count"]


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"version": 2}, "version"),
        ({"include": [{"items": [{"domain": "condition"}]}]}, "include[0].items[0].concept_id"),
        (
            {"include": [{"items": [{"domain": "drug", "concept_id": 1}] * 1000}]},
            "include[0].items",
        ),
        (
            {"include": [{"items": [{"domain": "condition", "concept_id": 999_999_999}]}]},
            "include[0].items[0].concept_id",
        ),
        ([1, 2], ""),
    ],
)
def test_a_definition_that_cannot_run_is_a_400_naming_the_path(
    token: str, body: Any, path: str
) -> None:
    response = ask(token, body)

    assert response.status_code == 400
    assert list(response.json()["errors"]) == [path or "body"]
    assert not CountLedgerEntry.objects.exists()


@pytest.mark.parametrize("body", ["{nope", "[" * 20_000 + "]" * 20_000, ""])
def test_a_body_that_is_not_json_or_nested_too_deeply_is_a_400(token: str, body: str) -> None:
    response = ask(token, body)

    assert response.status_code == 400
    assert "errors" in response.json()


@pytest.mark.parametrize(
    "body",
    [
        {"version": 1, "include": [{"items": [AGE_40_64]}], "pad": "x" * 70_000},
        {"version": 1, "include": [{"items": [AGE_40_64] * 5000}]},  # thousands of OR items
    ],
    ids=["padded", "thousands-of-items"],
)
def test_a_body_over_64_kb_is_a_413(token: str, body: Any) -> None:
    response = ask(token, body)

    assert response.status_code == 413
    assert response.json() == {"detail": "The definition is larger than 64 KB."}
    assert not CountLedgerEntry.objects.exists()


def test_no_token_a_token_without_the_scope_and_no_access_are_refused(
    cohort_release: Release, researcher: Any
) -> None:
    without_scope = api_token_make(user=researcher, scopes=["read"])
    stranger = api_token_make(user=UserFactory.create(), scopes=["research"])

    responses = [
        ask(None, ISSUE_COHORT),
        ask(without_scope, ISSUE_COHORT),
        ask(stranger, ISSUE_COHORT),
    ]

    assert [response.status_code for response in responses] == [401, 403, 403]
    assert "research" in responses[1].json()["detail"]
    detail = responses[2].json()["detail"]
    assert detail.startswith("Counting cohorts needs current registered access. Still missing:")
    assert "Registered-tier training" in detail
    assert not CountLedgerEntry.objects.exists()


def test_access_that_lapses_ends_the_tokens_use(researcher: Any, token: str) -> None:
    assert ask(token, ISSUE_COHORT).status_code == 200
    access_withdraw(researcher)

    response = ask(token, ISSUE_COHORT)

    assert response.status_code == 403
    assert "Registered-tier training" in response.json()["detail"]


def test_without_a_release_the_answer_is_503(db: None) -> None:
    token = api_token_make(user=researcher_make(), scopes=["research"])

    response = ask(token, ISSUE_COHORT)

    assert response.status_code == 503
    assert response.json() == {"detail": "No data release is available yet."}


def test_the_endpoint_is_in_the_openapi_document(db: None) -> None:
    document = Client().get("/api/v1/openapi.json").json()
    operation = document["paths"][URL]["post"]

    assert set(operation["responses"]) == {"200", "400", "401", "403", "413", "429", "503"}
    assert operation["requestBody"]["required"] is True
