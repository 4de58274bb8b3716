"""Submission: what will be sent and the deadline first; then the tracking number, an email to
each of the application's people in their language; refusals change nothing; "My
applications" and withdrawal."""

import datetime
import re
from decimal import Decimal
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone, translation
from django.utils.translation import pgettext

from tapestry.funding.models import Application, BudgetLine, Opportunity, StatusChange
from tapestry.funding.services import application_member_add
from tapestry.funding.states import Status
from tapestry.funding.tests.factories import OpportunityFactory
from tapestry.funding.tests.factories_applicant import draft_make

pytestmark = pytest.mark.django_db

MAY_FIRST_5PM_EDT = datetime.datetime(2027, 5, 1, 21, 0, tzinfo=datetime.UTC)


@pytest.fixture
def draft(alice_liaison: Any, alice_library: Any) -> Application:
    call = OpportunityFactory.create(
        title="Health outreach awards",
        title_es="Premios de alcance en salud",
        deadline=MAY_FIRST_5PM_EDT,
        maximum_amount=Decimal("5000.00"),
    )
    return draft_make(liaison=alice_liaison, organization=alice_library, opportunity=call)


def url(application: Application, rest: str = "") -> str:
    return f"/funding/applications/{application.public_id}/{rest}"


def test_the_confirmation_step_shows_what_will_be_sent_and_the_deadline(
    alice_client: Client, draft: Application
) -> None:
    response = alice_client.get(url(draft, "submit/"))

    page = response.content.decode()
    assert response.status_code == 200
    assert "Health fair at the library" in page
    assert "$1,200.50" in page
    assert "May 1, 2027, 5:00 p.m. EDT" in page
    assert draft.status == Status.DRAFT


def test_submitting_gives_the_tracking_number_and_emails_everyone_in_their_language(
    alice_client: Client,
    alice_liaison: Any,
    rosa_spanish: Any,
    draft: Application,
    django_capture_on_commit_callbacks: Any,
) -> None:
    application_member_add(actor=alice_liaison, application=draft, email=rosa_spanish.email)

    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(url(draft, "submit/"))

    draft.refresh_from_db()
    number = f"F2027-{draft.pk:06d}"
    assert (draft.status, draft.tracking_number) == (Status.SUBMITTED, number)
    assert response.status_code == 302
    assert response["Location"] == url(draft, "submitted/")
    page = alice_client.get(response["Location"]).content.decode()
    assert number in page
    assert "Application submitted" in page
    by_person = {tuple(message.to): message for message in mail.outbox}
    assert sorted(by_person) == [("alice@example.org",), ("rosa@example.org",)]
    english, spanish = by_person[("alice@example.org",)], by_person[("rosa@example.org",)]
    assert english.subject == f"Application received: {number}"
    assert "Hello Alice Liaison," in english.body
    assert (
        "Your organization's application to “Health outreach awards” was submitted." in english.body
    )
    assert f"Tracking number: {number}" in english.body
    assert "http://" in english.body and "/funding/applications/" in english.body
    # Rosa reads Spanish: the call's Spanish title and Spanish dates
    assert number in spanish.subject
    assert "Premios de alcance en salud" in spanish.body
    assert "Health outreach awards" not in spanish.body
    assert re.search(r"\d{1,2} de [a-z]+ de \d{4}, \d\d:\d\d E[SD]T", str(spanish.body))
    assert re.search(
        r"[A-Z][a-z]+ \d{1,2}, \d{4}, \d{1,2}:\d\d [ap]\.m\. E[SD]T", str(english.body)
    )
    assert number in spanish.body


def test_a_second_submit_shows_already_submitted_not_an_error(
    alice_client: Client, draft: Application
) -> None:
    alice_client.post(url(draft, "submit/"))

    response = alice_client.post(url(draft, "submit/"), follow=True)

    assert response.status_code == 200
    assert "This application was already submitted." in response.content.decode()
    assert StatusChange.objects.filter(application=draft).count() == 1


def test_after_the_deadline_nothing_is_submitted(alice_client: Client, draft: Application) -> None:
    Opportunity.objects.filter(pk=draft.opportunity_id).update(
        deadline=timezone.now() - datetime.timedelta(seconds=1)
    )

    response = alice_client.post(url(draft, "submit/"))

    draft.refresh_from_db()
    assert response.status_code == 400
    assert "This call is not open for applications." in response.content.decode()
    assert (draft.status, draft.tracking_number) == (Status.DRAFT, None)
    assert mail.outbox == []


def test_without_a_budget_nothing_is_submitted(alice_client: Client, draft: Application) -> None:
    BudgetLine.objects.filter(application=draft).delete()

    response = alice_client.post(url(draft, "submit/"))

    draft.refresh_from_db()
    assert response.status_code == 400
    assert "Add at least one budget line before submitting." in response.content.decode()
    assert draft.status == Status.DRAFT
    assert StatusChange.objects.count() == 0


def test_a_stranger_cannot_submit(bob_client: Client, draft: Application) -> None:
    assert bob_client.post(url(draft, "submit/")).status_code == 404
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT


def test_my_applications_lists_status_tracking_number_and_call(
    alice_client: Client, draft: Application
) -> None:
    alice_client.post(url(draft, "submit/"))

    response = alice_client.get("/funding/applications/")

    page = response.content.decode()
    assert [row["application"] for row in response.context["rows"]] == [draft]
    assert f"F2027-{draft.pk:06d}" in page
    assert "Submitted" in page
    assert "Health outreach awards" in page


def test_my_applications_in_spanish_uses_the_status_label_of_the_application(
    alice_client: Client, draft: Application
) -> None:
    alice_client.cookies["django_language"] = "es"

    page = alice_client.get("/funding/applications/").content.decode()

    assert "Premios de alcance en salud" in page
    with translation.override("es"):
        draft_label = pgettext("funding application", "Draft")
    assert f'<span class="usa-tag">{draft_label}</span>' in page


def test_a_stranger_sees_no_applications(bob_client: Client, draft: Application) -> None:
    assert bob_client.get("/funding/applications/").context["rows"] == []


def test_withdrawing_a_submitted_application_needs_a_reason(
    alice_client: Client, draft: Application
) -> None:
    alice_client.post(url(draft, "submit/"))

    refused = alice_client.post(url(draft, "withdraw/"), {"reason": ""})
    draft.refresh_from_db()
    assert refused.status_code == 400
    assert "Give a reason for this change." in refused.content.decode()
    assert draft.status == Status.SUBMITTED

    response = alice_client.post(url(draft, "withdraw/"), {"reason": "Our partner left."})

    draft.refresh_from_db()
    assert response.status_code == 302
    assert draft.status == Status.WITHDRAWN
    change = StatusChange.objects.filter(application=draft).last()
    assert change is not None
    assert (change.from_status, change.to_status, change.reason) == (
        Status.SUBMITTED,
        Status.WITHDRAWN,
        "Our partner left.",
    )


def test_a_draft_is_withdrawn_without_a_reason(alice_client: Client, draft: Application) -> None:
    response = alice_client.post(url(draft, "withdraw/"), {"reason": ""})

    draft.refresh_from_db()
    assert response.status_code == 302
    assert draft.status == Status.WITHDRAWN


def test_a_liaison_who_took_over_after_the_draft_began_is_emailed_too(
    alice_client: Client,
    alice_library: Any,
    bob_applicant: Any,
    draft: Application,
    django_capture_on_commit_callbacks: Any,
) -> None:
    type(alice_library).objects.filter(pk=alice_library.pk).update(liaison=bob_applicant)

    with django_capture_on_commit_callbacks(execute=True):
        alice_client.post(url(draft, "submit/"))

    assert sorted(tuple(message.to) for message in mail.outbox) == [
        ("alice@example.org",),
        (bob_applicant.email,),
    ]
