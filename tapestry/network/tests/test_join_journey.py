"""A visitor's way into the join form: the explanation, the kept draft, the form's details.

Nora has no account. She fills in the join form, is told why she needs an account, signs up,
confirms her address, and finds her form again as she left it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client

from tapestry.network.models import MembershipApplication
from tapestry.network.tests.factories import PASSWORD, UserFactory

if TYPE_CHECKING:
    from tapestry.accounts.api import User

pytestmark = pytest.mark.django_db

NORA = "nora@example.org"


def _join_form(**overrides: Any) -> dict[str, Any]:
    return {
        "name": "Library -- Main Campus",
        "org_type": "public_library",
        "address_line1": "1703 Orrington Ave",
        "address_line2": "",
        "city": "Evanston",
        "state": "IL",
        "zip_code": "60201",
        "phone": "(847) 555-0100 ext. 12",
        "website": "example.org/byl",
        "library_id": "ILPRA",
        "liaison_name": "Nora Newcomer",
        "liaison_email": NORA,
        "service_reference": ["public", "affiliated"],
        **overrides,
    }


def _link_in(message: Any) -> str:
    match = re.search(r"http://testserver(/\S+)", message.body)
    assert match is not None, message.body
    return match.group(1)


def _initial(response: Any) -> dict[str, Any]:
    form = response.context["form"]
    return {
        name: form[name].value()
        for name in ["name", "state", "phone", "website", "service_reference"]
    }


def test_the_draft_survives_sign_up_and_email_confirmation(
    visitor: Client, sam_specialist: User, django_capture_on_commit_callbacks: Any
) -> None:
    # Given Nora filled in the form before she had an account
    to_sign_up = visitor.post("/network/join/", {**_join_form(), "then": "sign_up"})
    assert to_sign_up["Location"] == "/accounts/signup/?next=%2Fnetwork%2Fjoin%2F"
    sign_up_page = visitor.get(to_sign_up["Location"])
    assert "We kept what you typed in the join form." in sign_up_page.text

    # When she signs up and follows the link in the confirmation email in the same browser
    with django_capture_on_commit_callbacks(execute=True):
        visitor.post(
            "/accounts/signup/?next=%2Fnetwork%2Fjoin%2F",
            {
                "full_name": "Nora Quist",
                "email": NORA,
                "password1": PASSWORD,
                "password2": PASSWORD,
                "next": "/network/join/",
            },
        )
    confirmed = visitor.post(_link_in(mail.outbox[-1]))

    # Then she is signed in and back on the form with what she typed
    assert confirmed.status_code == 302
    assert confirmed["Location"] == "/network/join/"
    form_page = visitor.get("/network/join/")
    assert form_page.status_code == 200
    assert "We kept what you typed before you signed in." in form_page.text
    assert _initial(form_page) == {
        "name": "Library -- Main Campus",
        "state": "IL",
        "phone": "(847) 555-0100 ext. 12",
        "website": "example.org/byl",
        "service_reference": ["public", "affiliated"],
    }


def test_the_draft_survives_signing_in(visitor: Client, bob_applicant: User) -> None:
    to_sign_in = visitor.post("/network/join/", {**_join_form(), "then": "sign_in"})
    assert to_sign_in["Location"] == "/accounts/login/?next=%2Fnetwork%2Fjoin%2F"

    signed_in = visitor.post(
        "/accounts/login/",
        {"login": "bob@example.org", "password": PASSWORD, "next": "/network/join/"},
    )

    assert signed_in["Location"] == "/network/join/"
    assert _initial(visitor.get("/network/join/"))["name"] == "Library -- Main Campus"


def test_sending_the_restored_form_applies_and_forgets_the_draft(
    visitor: Client,
    bob_applicant: User,
    sam_specialist: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    visitor.post("/network/join/", {**_join_form(), "then": "sign_in"})
    visitor.force_login(bob_applicant)

    with django_capture_on_commit_callbacks(execute=True):
        sent = visitor.post("/network/join/", _join_form())

    assert sent["Location"] == "/network/my-applications/"
    application = MembershipApplication.objects.get()
    assert (application.name, application.phone, application.website, application.library_id) == (
        "Library -- Main Campus",
        "(847) 555-0100 ext. 12",
        "https://example.org/byl",
        "ILPRA",
    )
    assert "network:join-draft" not in visitor.session
    assert "We kept what you typed before you signed in" not in visitor.get("/network/join/").text


def test_the_draft_keeps_only_the_forms_fields_and_known_audiences(visitor: Client) -> None:
    visitor.post(
        "/network/join/",
        {**_join_form(service_reference=["public", "martians"]), "is_superuser": "1", "then": "x"},
    )

    draft = visitor.session["network:join-draft"]
    assert "is_superuser" not in draft
    assert draft["service_reference"] == ["public"]


def test_the_website_box_takes_an_address_without_https(bob_client: Client) -> None:
    page = bob_client.get("/network/join/")

    assert re.search(
        r'<input class="usa-input" type="text" name="website"[^>]*inputmode="url"', page.text
    )
    assert re.search(r'<input class="usa-input" type="tel" name="phone"', page.text)


# The error summary links to each field in error


def test_the_error_summary_links_to_each_field_in_error(bob_client: Client) -> None:
    response = bob_client.post(
        "/network/join/", _join_form(zip_code="99999", phone="call us", org_type="")
    )

    assert response.status_code == 400
    summary = response.text.split('id="form-errors"')[1].split("</ul>")[0]
    assert re.findall(r'<a class="usa-link" href="#(id_\w+)">', summary) == [
        "id_org_type",
        "id_zip_code",
        "id_phone",
    ]
    assert 'href="#id_zip_code">ZIP code: We could not find that ZIP code.</a>' in summary
    for field_id in ["id_org_type", "id_zip_code", "id_phone"]:
        assert f'id="{field_id}"' in response.text


def test_the_error_summary_links_a_choice_group_to_its_first_choice(
    sam_client: Client, bob_applicant: User
) -> None:
    from tapestry.network.tests.factories import MembershipApplicationFactory

    application = MembershipApplicationFactory.create(applicant=bob_applicant, zip_code="60201")

    response = sam_client.post(f"/network/specialist/applications/{application.pk}/", {})

    assert response.status_code == 400
    assert 'href="#id_decision_0">Decision: This field is required.</a>' in response.text
    assert 'id="id_decision_0"' in response.text


def test_the_error_summary_is_in_spanish_on_a_spanish_page(
    bob_client: Client, settings: Any
) -> None:
    bob_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"

    response = bob_client.post("/network/join/", _join_form(phone="llámenos"))

    assert response.status_code == 400
    assert (
        'href="#id_phone">Teléfono: Introduzca un número de teléfono como (404) 555-0142, con '
        "la extensión después si la hay: (404) 555-0142 ext. 12.</a>" in response.text
    )


def test_the_sign_in_form_has_the_error_summary_too(visitor: Client) -> None:
    response = visitor.post("/accounts/login/", {"login": "", "password": ""})

    assert 'href="#id_login">' in response.text
    assert 'href="#id_password">' in response.text


# The queue and the decision page for one's own application


def test_the_queue_shows_that_a_specialist_cannot_decide_their_own_application(
    sam_client: Client, sam_specialist: User
) -> None:
    from tapestry.network.tests.factories import MembershipApplicationFactory

    MembershipApplicationFactory.create(applicant=sam_specialist, name="Skokie Health Library")

    response = sam_client.get("/network/specialist/")

    row = response.text.split("Skokie Health Library</th>")[1].split("</tr>")[0]
    assert "Your own application" in row
    assert "Another specialist decides it: view Skokie Health Library" in row
    assert ">Review<" not in row


def test_posting_a_decision_on_ones_own_application_is_refused_and_nothing_changes(
    sam_client: Client, sam_specialist: User, audit_log: Callable[[], list[tuple]]
) -> None:
    from tapestry.network.tests.factories import MembershipApplicationFactory

    own = MembershipApplicationFactory.create(
        applicant=sam_specialist, name="Skokie Health Library"
    )
    page = sam_client.get(f"/network/specialist/applications/{own.pk}/")

    response = sam_client.post(
        f"/network/specialist/applications/{own.pk}/", {"decision": "approve", "reason": ""}
    )

    assert "You sent this application yourself, so another specialist must decide it." in page.text
    assert "Save decision" not in page.text
    assert response.status_code == 403
    assert "Nothing was changed." in response.text
    own.refresh_from_db()
    assert (own.status, own.decided_by, own.organization) == ("pending", None, None)
    assert audit_log() == []
    assert mail.outbox == []


def test_a_phone_with_an_extension_and_a_library_id_with_a_hyphen_are_accepted(
    bob_client: Client, sam_specialist: User
) -> None:
    response = bob_client.post(
        "/network/join/", _join_form(phone="+1 847.555.0100 x4", library_id="NY-123.A")
    )

    assert response.status_code == 302
    assert MembershipApplication.objects.values_list("phone", "library_id").get() == (
        "+1 847.555.0100 x4",
        "NY-123.A",
    )


def test_a_new_person_without_an_account_has_none_made_for_them(visitor: Client) -> None:
    visitor.post("/network/join/", {**_join_form(), "then": "sign_up"})

    assert not get_user_model().objects.filter(email=NORA).exists()
    assert UserFactory._meta.model.objects.count() == 0
