"""States, territories and regions are named in the visitor's language."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from django.test import Client
from django.utils import translation
from pytest_django.fixtures import Settings

from tapestry.network.forms import DirectoryFilterForm
from tapestry.network.models import MembershipApplication, Organization, StateTerritory
from tapestry.network.tests.factories import MembershipApplicationFactory, OrganizationFactory

if TYPE_CHECKING:
    from tapestry.accounts.api import User

pytestmark = pytest.mark.django_db

SPANISH = {"accept-language": "es"}


@pytest.fixture
def santa_fe_library() -> Organization:
    return OrganizationFactory.create(name="Santa Fe Health Library", zip_code="87501")


@pytest.fixture
def prairie_application(bob_applicant: User) -> MembershipApplication:
    """Bob's pending application in Evanston, Illinois (Region 6, Sam's region)."""
    return MembershipApplicationFactory.create(
        applicant=bob_applicant, name="Prairie Library", zip_code="60201"
    )


def _in_spanish(client: Client, settings: Settings) -> Client:
    # Signed-in people get their stored preference unless they chose a language with the switcher.
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    return client


def test_every_state_and_territory_has_a_spanish_name() -> None:
    assert StateTerritory.objects.filter(name_es="").count() == 0
    assert dict(
        StateTerritory.objects.filter(
            code__in=["NM", "NC", "DC", "PR", "VI", "AS", "GU", "MP", "PA"]
        ).values_list("code", "name_es")
    ) == {
        "NM": "Nuevo México",
        "NC": "Carolina del Norte",
        "DC": "Distrito de Columbia",
        "PR": "Puerto Rico",
        "VI": "Islas Vírgenes de los Estados Unidos",
        "AS": "Samoa Estadounidense",
        "GU": "Guam",
        "MP": "Islas Marianas del Norte",
        "PA": "Pensilvania",
    }


@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", "New Mexico"), ("es", "Nuevo México"), ("es-mx", "Nuevo México"), (None, "New Mexico")],
)
def test_a_state_is_named_in_the_language_asked_for(language: str | None, expected: str) -> None:
    assert StateTerritory.objects.get(code="NM").display_name(language) == expected


def test_the_organization_page_names_the_state_in_spanish(
    visitor: Client, santa_fe_library: Any
) -> None:
    response = visitor.get(f"/network/organizations/{santa_fe_library.pk}/", headers=SPANISH)

    assert response.status_code == 200
    assert "Nuevo México" in response.text
    assert "New Mexico" not in response.text


def test_the_organization_page_names_the_state_in_english(
    visitor: Client, santa_fe_library: Any
) -> None:
    response = visitor.get(f"/network/organizations/{santa_fe_library.pk}/")

    assert "New Mexico" in response.text
    assert "Nuevo México" not in response.text


def test_the_region_map_names_states_in_spanish(visitor: Client) -> None:
    response = visitor.get("/network/regions/", headers=SPANISH)

    assert response.status_code == 200
    assert "Carolina del Norte" in response.text
    assert "Islas Vírgenes de los Estados Unidos" in response.text
    assert "North Carolina" not in response.text


def test_the_join_form_offers_spanish_state_names_and_a_spanish_blank_choice(
    bob_client: Client, settings: Settings
) -> None:
    response = _in_spanish(bob_client, settings).get("/network/join/")

    assert response.status_code == 200
    assert '<option value="NM">Nuevo México</option>' in response.text
    assert '<option value="" selected>Elija un tipo</option>' in response.text
    assert "Select an option" not in response.text
    assert "---------" not in response.text


def test_the_join_form_in_english_has_an_english_blank_choice(bob_client: Client) -> None:
    response = bob_client.get("/network/join/")

    assert '<option value="NM">New Mexico</option>' in response.text
    assert '<option value="" selected>Choose a type</option>' in response.text


def test_the_annual_review_form_has_a_spanish_blank_choice(
    alice_client: Client, alice_library: Organization, settings: Settings
) -> None:
    response = _in_spanish(alice_client, settings).get(
        f"/network/organizations/{alice_library.pk}/review/"
    )

    assert response.status_code == 200
    assert ">Elija un tipo</option>" in response.text
    assert '<option value="IL" selected>Illinois</option>' in response.text
    assert "Select an option" not in response.text


@pytest.mark.parametrize(("language", "expected"), [("en", "New Mexico"), ("es", "Nuevo México")])
def test_the_directory_state_filter_names_states_in_the_visitors_language(
    language: str, expected: str
) -> None:
    with translation.override(language):
        state_select = str(DirectoryFilterForm()["state"])

    assert f'<option value="NM">{expected}</option>' in state_select


def test_the_specialists_queue_and_decision_page_name_the_region_in_spanish(
    sam_client: Client, prairie_application: Any, settings: Settings
) -> None:
    spanish_sam = _in_spanish(sam_client, settings)

    queue = spanish_sam.get("/network/specialist/")
    decision = spanish_sam.get(f"/network/specialist/applications/{prairie_application.pk}/")

    assert "Región 6" in queue.text
    assert "Region 6" not in queue.text
    assert "Región 6" in decision.text
    assert "Region 6" not in decision.text


def test_the_applicants_list_names_the_region_in_spanish(
    bob_client: Client, prairie_application: Any, settings: Settings
) -> None:
    response = _in_spanish(bob_client, settings).get("/network/my-applications/")

    assert '<td data-label="Región">Región 6</td>' in response.text
