from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone
from pytest_django.fixtures import DjangoCaptureOnCommitCallbacks

from tapestry.accounts.api import Role
from tapestry.network.models import MembershipApplication, Organization
from tapestry.network.tests.factories import (
    MembershipApplicationFactory,
    OrganizationFactory,
    UserFactory,
)

if TYPE_CHECKING:
    from tapestry.accounts.api import User

pytestmark = pytest.mark.django_db

PHONE = (
    "Enter a phone number such as (404) 555-0142, with any extension after it: "
    "(404) 555-0142 ext. 12."
)
LIBRARY_ID = (
    "Use only letters, digits, hyphens and periods, as in a DOCLINE or OCLC symbol "
    "(for example GAUEMO)."
)


def _join_form(**overrides: Any) -> dict[str, str | list[str]]:
    return {
        "name": "Prairie Library",
        "org_type": "public_library",
        "address_line1": "1703 Orrington Ave",
        "address_line2": "",
        "city": "Evanston",
        "state": "IL",
        "zip_code": "60201",
        "phone": "847-555-0100",
        "website": "https://prairie.example.org",
        "library_id": "",
        "liaison_name": "Bob Applicant",
        "liaison_email": "bob@example.org",
        "service_reference": ["public", "affiliated"],
        **overrides,
    }


def _applications() -> list[tuple[Any, ...]]:
    return list(
        MembershipApplication.objects.order_by("pk").values_list(
            "name", "status", "decided_by", "organization"
        )
    )


# Joining the network


def test_a_visitor_is_told_why_an_account_is_needed_and_what_happens_next(
    visitor: Client,
) -> None:
    response = visitor.get("/network/join/")

    assert response.status_code == 200
    assert "You need an account to apply" in response.text
    assert "Confirm your email in this browser" in response.text
    assert "Continue: create an account" in response.text
    assert "Send application" not in response.text


def test_a_visitors_form_is_kept_as_a_draft_and_not_accepted(
    visitor: Client, sam_specialist: User, audit_log: Callable[[], list[tuple]]
) -> None:
    response = visitor.post("/network/join/", {**_join_form(), "then": "sign_up"})

    assert response.status_code == 302
    assert response["Location"] == "/accounts/signup/?next=%2Fnetwork%2Fjoin%2F"
    assert _applications() == []
    assert audit_log() == []
    assert mail.outbox == []
    assert visitor.session["network:join-draft"]["name"] == "Prairie Library"


def test_a_signed_in_person_sees_the_form(bob_client: Client) -> None:
    response = bob_client.get("/network/join/")

    assert response.status_code == 200
    assert response.context["form"].is_bound is False


def test_an_application_is_sent_to_the_regions_specialists(
    bob_client: Client,
    bob_applicant: User,
    sam_specialist: User,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = bob_client.post("/network/join/", _join_form())

    assert response.status_code == 302
    assert response["Location"] == "/network/my-applications/"
    application = MembershipApplication.objects.get()
    assert (application.applicant, application.region.code, application.status) == (
        bob_applicant,
        "region-6",
        "pending",
    )
    assert application.services == {"reference": ["affiliated", "public"]}
    assert [message.to for message in mail.outbox] == [["sam@example.org"], ["bob@example.org"]]


def test_the_applicant_sees_their_application(bob_client: Client, bob_applicant: User) -> None:
    MembershipApplicationFactory.create(applicant=bob_applicant, name="Prairie Library")
    MembershipApplicationFactory.create(name="Somebody Else's Library")

    response = bob_client.get("/network/my-applications/")

    assert response.status_code == 200
    assert [a.name for a in response.context["applications"]] == ["Prairie Library"]
    assert "Somebody Else" not in response.text


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"zip_code": "10001"}, "zip_code", "ZIP code 10001 is in NY, not IL."),
        ({"zip_code": "99999"}, "zip_code", "We could not find that ZIP code."),
        ({"zip_code": "6020"}, "zip_code", "We could not find that ZIP code."),
        (
            {"state": "ZZ"},
            "state",
            "Select a valid choice. That choice is not one of the available choices.",
        ),
        (
            {"name": "Prairie\x07Library"},
            "name",
            "Remove the control characters from this field.",
        ),
        (
            {"city": "Evan\x1bston"},
            "city",
            "Remove the control characters from this field.",
        ),
        (
            {"name": "P" * 201},
            "name",
            "Ensure this value has at most 200 characters (it has 201).",
        ),
        ({"phone": "<b>847-555-0100</b>"}, "phone", PHONE),
        ({"phone": "555-0100"}, "phone", PHONE),
        ({"phone": "847-555-0100 ext. twelve"}, "phone", PHONE),
        ({"library_id": "<i>GAUEMO</i>"}, "library_id", LIBRARY_ID),
        ({"library_id": "GA UEMO"}, "library_id", LIBRARY_ID),
        ({"library_id": "-GAUEMO"}, "library_id", LIBRARY_ID),
        ({"liaison_email": "not-an-email"}, "liaison_email", "Enter a valid email address."),
        (
            {"org_type": "castle"},
            "org_type",
            "Select a valid choice. castle is not one of the available choices.",
        ),
        ({"name": ""}, "name", "This field is required."),
    ],
)
def test_a_bad_application_gets_a_400_and_nothing_is_written(
    bob_client: Client,
    sam_specialist: User,
    overrides: dict[str, Any],
    field: str,
    message: Any,
    audit_log: Callable[[], list[tuple]],
) -> None:
    response = bob_client.post("/network/join/", _join_form(**overrides))

    assert response.status_code == 400
    assert response.context["form"].errors == {field: [message]}
    assert _applications() == []
    assert audit_log() == []
    assert mail.outbox == []


def test_a_duplicate_application_gets_a_400_with_the_reason(
    bob_client: Client, sam_specialist: User
) -> None:
    MembershipApplicationFactory.create(name="Prairie Library", zip_code="60201")

    response = bob_client.post("/network/join/", _join_form(name="PRAIRIE LIBRARY"))

    assert response.status_code == 400
    assert response.context["form"].non_field_errors() == [
        "An application for PRAIRIE LIBRARY in ZIP code 60201 is already waiting for review."
    ]
    assert len(_applications()) == 1


def test_an_existing_member_cannot_apply(bob_client: Client, alice_library: Organization) -> None:
    response = bob_client.post(
        "/network/join/",
        _join_form(name="Alice Memorial Library", city="Chicago", zip_code="60601"),
    )

    assert response.status_code == 400
    assert response.context["form"].non_field_errors() == [
        "Alice Memorial Library in ZIP code 60601 is already a member of the network."
    ]
    assert _applications() == []


def test_the_same_form_sent_twice_is_recorded_once(
    bob_client: Client,
    sam_specialist: User,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        first = bob_client.post("/network/join/", _join_form())
        second = bob_client.post("/network/join/", _join_form())

    assert (first.status_code, second.status_code) == (302, 400)
    assert _applications() == [("Prairie Library", "pending", None, None)]
    assert [message.to for message in mail.outbox] == [["sam@example.org"], ["bob@example.org"]]


# The specialist's queue


@pytest.fixture
def applications(bob_applicant: User) -> dict[str, MembershipApplication]:
    """One pending application in Region 6 (Illinois) and one in Region 1 (Kentucky)."""
    return {
        "illinois": MembershipApplicationFactory.create(
            applicant=bob_applicant, name="Prairie Library", zip_code="60201"
        ),
        "kentucky": MembershipApplicationFactory.create(name="Bluegrass Library", zip_code="40202"),
    }


def test_the_queue_sends_a_visitor_to_sign_in(visitor: Client) -> None:
    response = visitor.get("/network/specialist/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/network/specialist/"


@pytest.mark.parametrize("persona", ["alice_client", "bob_client"])
def test_the_queue_is_refused_to_people_who_are_not_specialists(
    request: pytest.FixtureRequest, persona: str, applications: Any
) -> None:
    response = request.getfixturevalue(persona).get("/network/specialist/")

    assert response.status_code == 403


def test_a_specialist_without_regions_is_refused_the_queue(
    staff_signed_in: Callable[[User], Client], applications: Any
) -> None:
    unassigned = UserFactory.create(roles=[Role.ENGAGEMENT_SPECIALIST])

    response = staff_signed_in(unassigned).get("/network/specialist/")

    assert response.status_code == 403


def test_a_specialist_sees_only_their_regions_applications(
    sam_client: Client, applications: Any
) -> None:
    response = sam_client.get("/network/specialist/")

    assert response.status_code == 200
    assert [a.name for a in response.context["pending"]] == ["Prairie Library"]
    assert "Bluegrass Library" not in response.text


def test_another_specialist_sees_only_theirs(olga_client: Client, applications: Any) -> None:
    response = olga_client.get("/network/specialist/")

    assert [a.name for a in response.context["pending"]] == ["Bluegrass Library"]


def test_an_administrator_sees_every_region(admin_signed_in: Client, applications: Any) -> None:
    response = admin_signed_in.get("/network/specialist/")

    assert [a.name for a in response.context["pending"]] == [
        "Prairie Library",
        "Bluegrass Library",
    ]


def test_the_queue_flags_records_overdue_for_review_in_the_specialists_regions(
    sam_client: Client,
) -> None:
    today = timezone.localdate()
    OrganizationFactory.create(
        name="Overdue Library", last_reviewed_on=today - datetime.timedelta(366)
    )
    OrganizationFactory.create(
        name="Fresh Library", last_reviewed_on=today - datetime.timedelta(364)
    )
    OrganizationFactory.create(
        name="Overdue Elsewhere",
        zip_code="40202",
        last_reviewed_on=today - datetime.timedelta(400),
    )

    response = sam_client.get("/network/specialist/")

    assert [o.name for o in response.context["overdue"]] == ["Overdue Library"]


# Deciding


def test_a_specialist_opens_an_application_in_their_region(
    sam_client: Client, applications: Any
) -> None:
    application = applications["illinois"]

    response = sam_client.get(f"/network/specialist/applications/{application.pk}/")

    assert response.status_code == 200
    assert response.context["application"] == application


def test_an_application_outside_the_specialists_region_is_404(
    sam_client: Client, applications: Any
) -> None:
    response = sam_client.get(f"/network/specialist/applications/{applications['kentucky'].pk}/")

    assert response.status_code == 404


def test_an_unknown_application_is_404(sam_client: Client, applications: Any) -> None:
    response = sam_client.get("/network/specialist/applications/999999/")

    assert response.status_code == 404


def test_deciding_is_refused_to_a_liaison(alice_client: Client, applications: Any) -> None:
    response = alice_client.post(
        f"/network/specialist/applications/{applications['illinois'].pk}/",
        {"decision": "approve"},
    )

    assert response.status_code == 403
    assert _applications() == [
        ("Prairie Library", "pending", None, None),
        ("Bluegrass Library", "pending", None, None),
    ]


def test_deciding_sends_a_visitor_to_sign_in(visitor: Client, applications: Any) -> None:
    url = f"/network/specialist/applications/{applications['illinois'].pk}/"

    response = visitor.post(url, {"decision": "approve"})

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={url}"
    assert Organization.objects.count() == 0


def test_a_specialist_approves_and_the_member_appears(
    sam_client: Client, sam_specialist: User, applications: Any, visitor: Client
) -> None:
    application = applications["illinois"]

    response = sam_client.post(
        f"/network/specialist/applications/{application.pk}/", {"decision": "approve"}
    )

    assert response.status_code == 302
    assert response["Location"] == "/network/specialist/"
    organization = Organization.objects.get()
    assert _applications()[0] == ("Prairie Library", "approved", sam_specialist.pk, organization.pk)
    directory = visitor.get("/network/", {"q": "Prairie"})
    assert [o.name for o in directory.context["result"].organizations] == ["Prairie Library"]


def test_a_rejection_without_a_reason_gets_a_400_and_nothing_changes(
    sam_client: Client, applications: Any
) -> None:
    response = sam_client.post(
        f"/network/specialist/applications/{applications['illinois'].pk}/",
        {"decision": "reject", "reason": "  "},
    )

    assert response.status_code == 400
    assert response.context["form"].errors == {"reason": ["Please give the applicant a reason."]}
    assert _applications()[0] == ("Prairie Library", "pending", None, None)


def test_a_specialist_cannot_decide_outside_their_region(
    olga_client: Client, applications: Any
) -> None:
    response = olga_client.post(
        f"/network/specialist/applications/{applications['illinois'].pk}/",
        {"decision": "approve"},
    )

    assert response.status_code == 404
    assert _applications()[0] == ("Prairie Library", "pending", None, None)
    assert Organization.objects.count() == 0


def test_a_second_decision_is_refused_with_a_message_and_nothing_changes(
    sam_client: Client,
    sam_specialist: User,
    applications: Any,
    audit_log: Callable[[], list[tuple]],
) -> None:
    url = f"/network/specialist/applications/{applications['illinois'].pk}/"
    sam_client.post(url, {"decision": "approve"}, follow=True)
    before = (_applications(), audit_log(), Organization.objects.count())

    response = sam_client.post(url, {"decision": "reject", "reason": "Oops"}, follow=True)

    assert response.redirect_chain == [("/network/specialist/", 302)]
    assert [str(m) for m in response.context["messages"]] == [
        "This application was already decided; nothing was changed."
    ]
    assert (_applications(), audit_log(), Organization.objects.count()) == before


# The annual review screen


def test_the_liaison_opens_and_confirms_their_record(
    alice_client: Client, alice_library: Organization
) -> None:
    url = f"/network/organizations/{alice_library.pk}/review/"
    alice_library.last_reviewed_on = datetime.date(2025, 1, 1)
    alice_library.save(update_fields=["last_reviewed_on"])

    page = alice_client.get(url)
    response = alice_client.post(
        url,
        _join_form(
            name="Alice Memorial Library",
            city="Chicago",
            zip_code="60601",
            liaison_name="Alice Liaison",
            liaison_email="alice@example.org",
        ),
    )

    assert page.status_code == 200
    assert response.status_code == 302
    assert response["Location"] == f"/network/organizations/{alice_library.pk}/"
    alice_library.refresh_from_db()
    assert alice_library.last_reviewed_on == timezone.localdate()
    assert alice_library.services == {"reference": ["affiliated", "public"]}


def test_a_bad_review_gets_a_400_and_nothing_changes(
    alice_client: Client, alice_library: Organization
) -> None:
    response = alice_client.post(
        f"/network/organizations/{alice_library.pk}/review/",
        _join_form(name="Alice Memorial Library", zip_code="10001"),
    )

    assert response.status_code == 400
    assert response.context["form"].errors == {"zip_code": ["ZIP code 10001 is in NY, not IL."]}
    alice_library.refresh_from_db()
    assert (alice_library.zip_code, alice_library.city) == ("60601", "Chicago")


@pytest.mark.parametrize("persona", ["bob_client", "sam_client"])
def test_only_the_liaison_may_review_a_record(
    request: pytest.FixtureRequest, persona: str, alice_library: Organization
) -> None:
    url = f"/network/organizations/{alice_library.pk}/review/"
    client = request.getfixturevalue(persona)

    page = client.get(url)
    response = client.post(url, _join_form(name="Taken Over"))

    assert (page.status_code, response.status_code) == (404, 404)
    alice_library.refresh_from_db()
    assert alice_library.name == "Alice Memorial Library"


def test_the_review_screen_sends_a_visitor_to_sign_in(
    visitor: Client, alice_library: Organization
) -> None:
    url = f"/network/organizations/{alice_library.pk}/review/"

    response = visitor.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={url}"
