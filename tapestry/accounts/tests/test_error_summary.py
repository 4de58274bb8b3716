"""The error summary (templates/includes/form_errors.html) links to each field in error."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_the_api_token_form_links_its_error_to_the_field(alice_client: Client) -> None:
    response = alice_client.post("/me/api-tokens/", {"name": ""})

    assert response.status_code == 400
    assert '<a class="usa-link" href="#id_name">Token name: This field is required.</a>' in (
        response.text
    )
    assert 'id="id_name"' in response.text


def test_the_sign_up_form_links_its_errors_to_the_fields(visitor: Client) -> None:
    response = visitor.post(
        "/accounts/signup/", {"email": "not-an-email", "password1": "x", "password2": "y"}
    )

    summary = response.text.split('id="form-errors"')[1].split("</ul>")[0]
    assert 'href="#id_email">' in summary
    assert 'id="id_email"' in response.text


def test_an_input_in_error_is_described_by_its_hint_and_its_error(bob_client: Client) -> None:
    response = bob_client.post("/network/join/", {"phone": "call us"})

    assert 'aria-describedby="id_phone-hint id_phone-error"' in response.text
