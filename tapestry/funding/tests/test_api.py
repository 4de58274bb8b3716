"""The funding API: open calls for anyone; a liaison's `funding` token starts an application,
sets its budget (money as strings, never JSON numbers) and submits it. Every refusal is its
documented 4xx and changes nothing."""

import datetime
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.test import Client

from tapestry.accounts.tests.factories import api_token_make
from tapestry.funding.models import Application, BudgetLine
from tapestry.funding.tests.factories import OpportunityFactory
from tapestry.network.tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db

API = "/api/v1/funding"


def call_api(method: str, path: str, token: str | None = None, data: Any = None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return getattr(Client(), method)(
        f"{API}{path}", data, content_type="application/json", headers=headers
    )


@pytest.fixture
def call() -> Any:
    return OpportunityFactory.create(maximum_amount=Decimal("5000.00"))


@pytest.fixture
def token(alice_liaison: Any, alice_library: Any) -> str:
    return api_token_make(user=alice_liaison, scopes=["funding"])


def start(token: str, call: Any, organization: Any) -> Any:
    return call_api(
        "post",
        "/applications",
        token,
        {
            "call_id": str(call.public_id),
            "organization_id": organization.pk,
            "project_title": "Health fair at the library",
            "summary": "A Saturday fair with screenings.",
        },
    )


def test_anyone_reads_the_open_calls_with_money_as_strings(call: Any) -> None:
    OpportunityFactory.create(published_at=None)  # a call not published yet

    response = call_api("get", "/calls")

    assert response.status_code == 200
    assert [(item["id"], item["maximum_amount"]) for item in response.json()["items"]] == [
        (str(call.public_id), "5000.00")
    ]


def test_an_unpublished_call_is_not_found() -> None:
    hidden = OpportunityFactory.create(published_at=None)

    assert call_api("get", f"/calls/{hidden.public_id}").status_code == 404


def test_a_liaison_applies_sets_the_budget_and_submits(
    token: str, call: Any, alice_library: Any
) -> None:
    started = start(token, call, alice_library)
    application_id = started.json()["id"]

    budget = call_api(
        "put",
        f"/applications/{application_id}/budget",
        token,
        {
            "lines": [
                {"description": "Supplies", "amount": "1200.50"},
                {"description": "Interpreter", "amount": "800"},
            ]
        },
    )
    submitted = call_api("post", f"/applications/{application_id}/submit", token)

    application = Application.objects.get()
    assert started.status_code == 201
    assert budget.status_code == 200
    assert budget.json()["budget_total"] == "2000.50"
    assert submitted.status_code == 200
    assert submitted.json()["status"] == "submitted"
    assert submitted.json()["tracking_number"] == application.tracking_number
    assert application.tracking_number is not None


def test_a_budget_over_the_maximum_is_refused_and_the_old_one_kept(
    token: str, call: Any, alice_library: Any
) -> None:
    application_id = start(token, call, alice_library).json()["id"]
    call_api(
        "put",
        f"/applications/{application_id}/budget",
        token,
        {"lines": [{"description": "Supplies", "amount": "100.00"}]},
    )

    response = call_api(
        "put",
        f"/applications/{application_id}/budget",
        token,
        {
            "lines": [
                {"description": "Supplies", "amount": "4000"},
                {"description": "Van", "amount": "1000.01"},
            ]
        },
    )

    assert response.status_code == 400
    assert "maximum" in response.json()["detail"]
    assert list(BudgetLine.objects.values_list("description", "amount")) == [
        ("Supplies", Decimal("100.00"))
    ]


@pytest.mark.parametrize("amount", [1200.5, "12.345", "-5", "1e3", "NaN"])
def test_an_amount_that_is_not_dollars_and_cents_is_refused(
    token: str, call: Any, alice_library: Any, amount: Any
) -> None:
    application_id = start(token, call, alice_library).json()["id"]

    response = call_api(
        "put",
        f"/applications/{application_id}/budget",
        token,
        {"lines": [{"description": "Supplies", "amount": amount}]},
    )

    assert response.status_code == 400
    assert not BudgetLine.objects.exists()


def test_a_submission_after_the_deadline_is_a_conflict_and_stays_a_draft(
    token: str, call: Any, alice_library: Any
) -> None:
    application_id = start(token, call, alice_library).json()["id"]
    call_api(
        "put",
        f"/applications/{application_id}/budget",
        token,
        {"lines": [{"description": "Supplies", "amount": "100.00"}]},
    )

    with time_machine.travel(call.deadline + datetime.timedelta(minutes=1)):
        response = call_api("post", f"/applications/{application_id}/submit", token)

    assert response.status_code == 409
    assert Application.objects.get().status == "draft"
    assert Application.objects.get().tracking_number is None


def test_a_second_application_from_the_same_organization_is_a_conflict(
    token: str, call: Any, alice_library: Any
) -> None:
    start(token, call, alice_library)

    response = start(token, call, alice_library)

    assert response.status_code == 409
    assert Application.objects.count() == 1


def test_another_organizations_application_is_not_found(
    token: str, call: Any, bob_applicant: Any
) -> None:
    other = OrganizationFactory.create(liaison=bob_applicant)
    bobs_token = api_token_make(user=bob_applicant, scopes=["funding"])
    application_id = start(bobs_token, call, other).json()["id"]

    assert call_api("get", f"/applications/{application_id}", token).status_code == 404
    assert call_api("post", f"/applications/{application_id}/submit", token).status_code == 404
    assert call_api("get", "/applications", token).json()["items"] == []


def test_an_organization_not_ones_own_is_not_found(
    token: str, call: Any, bob_applicant: Any
) -> None:
    other = OrganizationFactory.create(liaison=bob_applicant)

    response = start(token, call, other)

    assert response.status_code == 404
    assert not Application.objects.exists()


def test_a_token_without_the_funding_scope_is_refused(
    alice_liaison: Any, alice_library: Any, call: Any
) -> None:
    reports_token = api_token_make(user=alice_liaison, scopes=["reports"])

    assert call_api("get", "/applications", reports_token).status_code == 403
    assert start(reports_token, call, alice_library).status_code == 403
    assert call_api("get", "/applications").status_code == 401
    assert not Application.objects.exists()
