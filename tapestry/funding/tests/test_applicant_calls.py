"""The open calls and a call's page: public to read, each of the reader's organizations
with its eligibility and every reason, starting a draft (the liaison only)."""

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from tapestry.funding.models import Application
from tapestry.funding.tests.factories import (
    OpportunityFactory,
    RubricCriterionFactory,
    ScreeningItemFactory,
)
from tapestry.funding.tests.factories_applicant import draft_make
from tapestry.network.tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db

MAY_FIRST_5PM_EDT = datetime.datetime(2027, 5, 1, 21, 0, tzinfo=datetime.UTC)


def test_the_calls_list_orders_by_deadline_and_shows_amount_awards_and_time_zone(
    visitor: Client,
) -> None:
    OpportunityFactory.create(
        title="Later call", deadline=MAY_FIRST_5PM_EDT + datetime.timedelta(days=30)
    )
    OpportunityFactory.create(
        title="Sooner call",
        deadline=MAY_FIRST_5PM_EDT,
        maximum_amount=Decimal("12500.00"),
        awards_available=4,
    )
    OpportunityFactory.create(title="Unpublished call", published_at=None)
    OpportunityFactory.create(
        title="Closed call", deadline=timezone.now() - datetime.timedelta(minutes=1)
    )

    response = visitor.get("/funding/")

    assert response.status_code == 200
    assert [entry["title"] for entry in response.context["calls"]] == ["Sooner call", "Later call"]
    page = response.content.decode()
    assert "May 1, 2027, 5:00 p.m. EDT" in page
    assert "$12,500.00" in page
    assert "Unpublished call" not in page
    assert "Closed call" not in page


def test_the_calls_list_speaks_spanish(visitor: Client) -> None:
    OpportunityFactory.create(
        title="Health outreach", title_es="Alcance en salud", deadline=MAY_FIRST_5PM_EDT
    )
    visitor.cookies["django_language"] = "es"

    page = visitor.get("/funding/").content.decode()

    assert "Alcance en salud" in page
    assert "Health outreach" not in page
    assert "1 de mayo de 2027, 17:00 EDT" in page


def test_no_open_call_says_so(visitor: Client) -> None:
    response = visitor.get("/funding/")

    assert response.context["calls"] == []
    assert "No call is open for applications right now." in response.content.decode()


def test_a_call_page_explains_eligibility_screening_and_rubric(visitor: Client) -> None:
    call = OpportunityFactory.create(
        eligible_types=["public_library"],
        eligible_states=["IL", "IN"],
        performance_start=datetime.date(2027, 5, 1),
        performance_end=datetime.date(2028, 4, 30),
    )
    ScreeningItemFactory.create(opportunity=call, text="The budget has only allowable costs.")
    RubricCriterionFactory.create(opportunity=call, text="Reaches new people.", points=15)

    response = visitor.get(f"/funding/calls/{call.public_id}/")

    page = response.content.decode()
    assert response.status_code == 200
    assert "Public library" in page
    assert "Illinois, Indiana" in page
    assert "1 May 2027 – 30 Apr 2028" in page
    assert "The budget has only allowable costs." in page
    assert "Reaches new people." in page
    assert "Sign in as your organization" in page


def test_an_unpublished_call_is_not_found(alice_client: Client) -> None:
    call = OpportunityFactory.create(published_at=None)

    assert alice_client.get(f"/funding/calls/{call.public_id}/").status_code == 404


def test_a_liaison_sees_eligibility_with_every_reason_per_organization(
    alice_client: Client, alice_liaison: Any, alice_library: Any
) -> None:
    # Alice is also the liaison of a hospital library in Ohio
    OrganizationFactory.create(
        name="Buckeye Hospital Library",
        zip_code="43215",
        org_type="hospital_library",
        liaison=alice_liaison,
    )
    call = OpportunityFactory.create(eligible_types=["public_library"], eligible_states=["IL"])

    response = alice_client.get(f"/funding/calls/{call.public_id}/")

    entries = {
        entry["organization"].name: entry["eligibility"]
        for entry in response.context["organizations"]
    }
    assert entries["Alice Memorial Library"].eligible is True
    assert entries["Buckeye Hospital Library"].reasons == (
        "This call is not open to organizations of your type.",
        "This call is not open to organizations in your state.",
    )
    page = response.content.decode()
    assert page.count("Start an application") == 1


def test_the_liaison_starts_a_draft_and_then_finds_a_link_to_it(
    alice_client: Client, alice_library: Any, audit_log: Any
) -> None:
    call = OpportunityFactory.create()

    response = alice_client.post(
        f"/funding/calls/{call.public_id}/start/", {"organization_id": alice_library.pk}
    )

    application = Application.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/funding/applications/{application.public_id}/"
    assert [member.user.email for member in application.members.all()] == ["alice@example.org"]
    page = alice_client.get(f"/funding/calls/{call.public_id}/").content.decode()
    assert "Continue your draft" in page
    assert "Start an application" not in page


def test_someone_not_the_liaison_cannot_start_for_the_organization(
    bob_client: Client, alice_library: Any, audit_log: Any
) -> None:
    call = OpportunityFactory.create()

    response = bob_client.post(
        f"/funding/calls/{call.public_id}/start/", {"organization_id": alice_library.pk}
    )

    assert response.status_code == 400
    assert "Only your organization&#x27;s liaison may start its application." in (
        response.content.decode()
    )
    assert Application.objects.count() == 0
    assert audit_log() == []


def test_starting_twice_shows_the_service_message(
    alice_client: Client, alice_liaison: Any, alice_library: Any
) -> None:
    application = draft_make(liaison=alice_liaison, organization=alice_library)

    response = alice_client.post(
        f"/funding/calls/{application.opportunity.public_id}/start/",
        {"organization_id": alice_library.pk},
    )

    assert response.status_code == 400
    assert "already has an application" in response.content.decode()
    assert Application.objects.count() == 1


def test_a_closed_call_offers_no_start_and_refuses_one(
    alice_client: Client, alice_library: Any
) -> None:
    call = OpportunityFactory.create(deadline=timezone.now() - datetime.timedelta(hours=1))

    page = alice_client.get(f"/funding/calls/{call.public_id}/").content.decode()
    response = alice_client.post(
        f"/funding/calls/{call.public_id}/start/", {"organization_id": alice_library.pk}
    )

    assert "The deadline has passed" in page
    assert "Start an application" not in page
    assert response.status_code == 400
    assert Application.objects.count() == 0
