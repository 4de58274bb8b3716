"""States, territories and regions are named in the visitor's language."""

import pytest
from django.utils import translation

from tapestry.network.forms import DirectoryFilterForm
from tapestry.network.models import StateTerritory
from tapestry.network.tests.factories import MembershipApplicationFactory, OrganizationFactory

pytestmark = pytest.mark.django_db

SPANISH = {"accept-language": "es"}


@pytest.fixture
def santa_fe_library():
    return OrganizationFactory.create(name="Santa Fe Health Library", zip_code="87501")


@pytest.fixture
def prairie_application(bob_applicant):
    """Bob's pending application in Evanston, Illinois (Region 6, Sam's region)."""
    return MembershipApplicationFactory.create(
        applicant=bob_applicant, name="Prairie Library", zip_code="60201"
    )


def _in_spanish(client, settings):
    # Signed-in people get their stored preference unless they chose a language with the switcher.
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    return client


def test_every_state_and_territory_has_a_spanish_name():
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
def test_a_state_is_named_in_the_language_asked_for(language, expected):
    assert StateTerritory.objects.get(code="NM").display_name(language) == expected


def test_the_organization_page_names_the_state_in_spanish(visitor, santa_fe_library):
    response = visitor.get(f"/network/organizations/{santa_fe_library.pk}/", headers=SPANISH)

    assert response.status_code == 200
    assert "Nuevo México" in response.text
    assert "New Mexico" not in response.text


def test_the_organization_page_names_the_state_in_english(visitor, santa_fe_library):
    response = visitor.get(f"/network/organizations/{santa_fe_library.pk}/")

    assert "New Mexico" in response.text
    assert "Nuevo México" not in response.text


def test_the_region_map_names_states_in_spanish(visitor):
    response = visitor.get("/network/regions/", headers=SPANISH)

    assert response.status_code == 200
    assert "Carolina del Norte" in response.text
    assert "Islas Vírgenes de los Estados Unidos" in response.text
    assert "North Carolina" not in response.text


def test_the_join_form_offers_spanish_state_names_and_a_spanish_blank_choice(bob_client, settings):
    response = _in_spanish(bob_client, settings).get("/network/join/")

    assert response.status_code == 200
    assert '<option value="NM">Nuevo México</option>' in response.text
    assert '<option value="" selected>Elija un tipo</option>' in response.text
    assert "Select an option" not in response.text
    assert "---------" not in response.text


def test_the_join_form_in_english_has_an_english_blank_choice(bob_client):
    response = bob_client.get("/network/join/")

    assert '<option value="NM">New Mexico</option>' in response.text
    assert '<option value="" selected>Choose a type</option>' in response.text


def test_the_annual_review_form_has_a_spanish_blank_choice(alice_client, alice_library, settings):
    response = _in_spanish(alice_client, settings).get(
        f"/network/organizations/{alice_library.pk}/review/"
    )

    assert response.status_code == 200
    assert ">Elija un tipo</option>" in response.text
    assert '<option value="IL" selected>Illinois</option>' in response.text
    assert "Select an option" not in response.text


@pytest.mark.parametrize(("language", "expected"), [("en", "New Mexico"), ("es", "Nuevo México")])
def test_the_directory_state_filter_names_states_in_the_visitors_language(language, expected):
    with translation.override(language):
        state_select = str(DirectoryFilterForm()["state"])

    assert f'<option value="NM">{expected}</option>' in state_select


def test_the_specialists_queue_and_decision_page_name_the_region_in_spanish(
    sam_client, prairie_application, settings
):
    spanish_sam = _in_spanish(sam_client, settings)

    queue = spanish_sam.get("/network/specialist/")
    decision = spanish_sam.get(f"/network/specialist/applications/{prairie_application.pk}/")

    assert "Región 6" in queue.text
    assert "Region 6" not in queue.text
    assert "Región 6" in decision.text
    assert "Region 6" not in decision.text


def test_the_applicants_list_names_the_region_in_spanish(bob_client, prairie_application, settings):
    response = _in_spanish(bob_client, settings).get("/network/my-applications/")

    assert '<td data-label="Región">Región 6</td>' in response.text
