"""Identified surveys: signed-in people, one response each unless the survey allows more, and
invitations that only their person may use."""

import pytest
from django.test import Client
from django.urls import reverse

from tapestry.accounts.roles import Role
from tapestry.accounts.tests.factories import UserFactory
from tapestry.surveys.models import AccessToken, Draft, Instrument, Response
from tapestry.surveys.selectors import instrument_structure
from tapestry.surveys.services import AlreadyAnswered, response_submit, token_issue
from tapestry.surveys.tests.factories import instrument_make
from tapestry.surveys.tests.test_answering import ABOUT_YOU, NEEDS, send

pytestmark = pytest.mark.django_db

ANSWER_URL = "/surveys/sample-needs/answer/"


def identified(*, allow_multiple: bool = False) -> Instrument:
    return instrument_make(mode="identified", allow_multiple=allow_multiple)


def answered(client: Client, url: str = ANSWER_URL) -> int:
    """Answer both sections; returns the submit's status."""
    client.get(url)
    send(client, url, section=0, action="next", answers=ABOUT_YOU)
    return int(send(client, url, section=1, action="submit", answers=NEEDS).status_code)


def test_a_visitor_is_asked_to_sign_in_first_and_nothing_is_made() -> None:
    identified()

    page = Client().get(ANSWER_URL)

    assert page.status_code == 302
    assert page["Location"] == f"{reverse('account_login')}?next={ANSWER_URL}"
    assert Draft.objects.count() == 0


def test_the_landing_page_of_an_identified_survey_says_to_sign_in() -> None:
    identified()

    page = Client().get("/surveys/sample-needs/")

    assert "Sign in to answer." in page.text
    assert "each person answers once" in page.text
    assert f'href="{ANSWER_URL}"' in page.text


def test_a_signed_in_person_answers_once_with_their_role_and_sequence() -> None:
    identified()
    person = UserFactory.create(roles=[Role.COMMUNITY_PARTNER])
    client = Client()
    client.force_login(person)

    status = answered(client)

    assert status == 302
    response = Response.objects.get()
    assert (response.person, response.sequence) == (person, 1)
    assert response.role == Role.COMMUNITY_PARTNER.value
    assert response.region == ""
    assert Draft.objects.count() == 0


def test_a_second_visit_says_the_person_already_answered() -> None:
    identified()
    person = UserFactory.create()
    client = Client()
    client.force_login(person)
    answered(client)

    again = client.get(ANSWER_URL)

    assert again.status_code == 409
    assert "You have already answered this survey." in again.text
    assert Response.objects.count() == 1
    assert Draft.objects.count() == 0


def test_a_survey_that_allows_more_numbers_each_response_of_a_person() -> None:
    identified(allow_multiple=True)
    person = UserFactory.create()
    client = Client()
    client.force_login(person)

    first, second = answered(client), answered(client)

    assert (first, second) == (302, 302)
    assert list(Response.objects.order_by("sequence").values_list("sequence", flat=True)) == [1, 2]


def test_a_double_submit_of_the_same_draft_makes_one_response() -> None:
    # Two requests loaded the same draft; the second finds it gone (or, at the same moment,
    # the sequence taken) and is refused.
    instrument = identified(allow_multiple=True)
    person = UserFactory.create()
    client = Client()
    client.force_login(person)
    client.get(ANSWER_URL)
    send(client, ANSWER_URL, section=0, action="next", answers=ABOUT_YOU)
    send(client, ANSWER_URL, section=1, action="save", answers=NEEDS)
    structure = instrument_structure(instrument=instrument)
    first, second = Draft.objects.get(), Draft.objects.get()

    response_submit(draft=first, structure=structure, revision=1, language="en")
    with pytest.raises(AlreadyAnswered):
        response_submit(draft=second, structure=structure, revision=1, language="en")

    assert Response.objects.count() == 1


def test_save_and_finish_later_tells_a_signed_in_person_to_come_back() -> None:
    identified()
    client = Client()
    client.force_login(UserFactory.create())
    client.get(ANSWER_URL)

    saved = send(client, ANSWER_URL, section=0, action="save", answers={"role": "liaison"})

    assert "sign in and come back to this page" in saved.text
    assert "we do not email it" not in saved.text


def test_an_invitation_answers_only_for_its_person_and_counts_for_its_subject() -> None:
    instrument = identified()
    invited, other = UserFactory.create(), UserFactory.create()
    secret = token_issue(
        instrument=instrument, subject_kind="course", subject_ref="12", person_id=invited.pk
    )
    url = f"/surveys/sample-needs/r/{secret}/"
    stranger, visitor, guest = Client(), Client(), Client()
    stranger.force_login(other)
    guest.force_login(invited)

    refused = stranger.get(url)
    asked_to_sign_in = visitor.get(url)
    status = answered(guest, url)

    assert refused.status_code == 403
    assert "This link was sent to someone else." in refused.text
    assert asked_to_sign_in.status_code == 302
    assert status == 302
    response = Response.objects.get()
    assert (response.person, response.subject_kind, response.subject_ref) == (
        invited,
        "course",
        "12",
    )
    assert AccessToken.objects.get().used_at is not None
    assert Draft.objects.count() == 0
