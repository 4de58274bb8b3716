"""The funding API's awards: a liaison's `funding` token reads her award with its balance and
submits an invoice; every rule that refuses one is its documented 4xx and writes nothing. The
clock is 15 July 2027, in the award year May 2027 to April 2028."""

import datetime
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.test import Client

from tapestry.accounts.tests.factories import api_token_make
from tapestry.funding.models import Award, Invoice
from tapestry.funding.tests.factories_awards import award_make
from tapestry.network.tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db

JULY = datetime.datetime(2027, 7, 15, 12, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def _mid_july() -> Iterator[None]:
    with time_machine.travel(JULY, tick=False):
        yield


@pytest.fixture
def award(alice_liaison: Any, alice_library: Any, paula_program_staff: Any) -> Award:
    return award_make(
        liaison=alice_liaison, organization_id=alice_library.pk, staff=paula_program_staff
    )


@pytest.fixture
def token(alice_liaison: Any) -> str:
    return api_token_make(user=alice_liaison, scopes=["funding"])


def invoice(token: str, award: Award, **changes: Any) -> Any:
    body = {
        "billing_month": "2027-06-01",
        "invoice_date": "2027-07-01",
        "amount": "1200.00",
        "description": "Screening supplies for the June health fair.",
        **changes,
    }
    return Client().post(
        f"/api/v1/funding/awards/{award.public_id}/invoices",
        body,
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )


def test_an_awardee_submits_an_invoice_and_reads_the_balance(token: str, award: Award) -> None:
    response = invoice(token, award)

    read = Client().get(
        f"/api/v1/funding/awards/{award.public_id}", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 201
    assert response.json()["number"] == f"{award.number}-01"
    assert (response.json()["amount"], response.json()["status"]) == ("1200.00", "submitted")
    assert read.json()["balance"] == "2800.00"
    assert [item["number"] for item in read.json()["invoices"]] == [f"{award.number}-01"]


@pytest.mark.parametrize(
    ("changes", "status", "says"),
    [
        ({"invoice_date": "2027-07-16"}, 400, "future"),
        ({"amount": "4000.01"}, 400, "balance"),
        ({"billing_month": "2027-08-01"}, 400, "not begun"),
        ({"billing_month": "2027-02-01"}, 400, "outside the award period"),
        ({"invoice_date": "2027-02-30"}, 400, "Invalid request"),
        ({"amount": 1200.0}, 400, ""),
        ({"amount": "12.345"}, 400, ""),
    ],
)
def test_an_invoice_the_rules_refuse_is_a_4xx_and_nothing_is_written(
    token: str, award: Award, changes: dict[str, Any], status: int, says: str
) -> None:
    response = invoice(token, award, **changes)

    assert response.status_code == status
    assert says in response.json()["detail"]
    assert not Invoice.objects.exists()


def test_a_second_invoice_for_the_month_is_refused(token: str, award: Award) -> None:
    invoice(token, award)

    response = invoice(token, award, amount="10.00")

    assert response.status_code == 400
    assert "already an invoice for that month" in response.json()["detail"]
    assert Invoice.objects.count() == 1


def test_no_invoice_while_a_report_is_overdue(award: Award, alice_liaison: Any) -> None:
    with time_machine.travel(datetime.datetime(2027, 11, 20, 12, 0, tzinfo=datetime.UTC)):
        november_token = api_token_make(user=alice_liaison, scopes=["funding"])
        response = invoice(
            november_token, award, billing_month="2027-10-01", invoice_date="2027-11-01"
        )

    assert response.status_code == 409
    assert "overdue" in response.json()["detail"]
    assert not Invoice.objects.exists()


def test_another_organizations_award_is_not_found(
    award: Award, bob_applicant: Any, paula_program_staff: Any
) -> None:
    OrganizationFactory.create(liaison=bob_applicant)
    bobs_token = api_token_make(user=bob_applicant, scopes=["funding"])

    response = invoice(bobs_token, award)

    assert response.status_code == 404
    assert not Invoice.objects.exists()
