"""The kits on the dashboard ("My Tapestry"): a liaison sees their organization's kits, the
desk's staff what waits for them in their regions; anyone else sees no kit panel."""

import datetime
from typing import Any

import pytest
from django.test import Client

from tapestry.engagement.models import Kit
from tapestry.engagement.tests.factories import reservation_place

pytestmark = pytest.mark.django_db


def _text(response: Any) -> str:
    return " ".join(response.content.decode().split())


@pytest.fixture
def booked(alice_liaison: Any, alice_library: Any, story_kit: Kit) -> None:
    reservation_place(
        kit=story_kit,
        organization_id=alice_library.pk,
        requested_by=alice_liaison,
        ship_date=datetime.date(2099, 4, 1),
        status="requested",
    )


@pytest.mark.usefixtures("booked")
def test_the_liaison_sees_her_kits(alice_client: Client) -> None:
    page = _text(alice_client.get("/me/"))

    assert "Health literacy story time kit: Requested · ships 1 Apr 2099" in page


@pytest.mark.usefixtures("booked")
def test_the_specialist_sees_what_waits_in_his_regions(
    sam_client: Client, olga_client: Client
) -> None:
    sams = _text(sam_client.get("/me/"))
    olgas = _text(olga_client.get("/me/"))

    assert "1 request to decide" in sams and "0 approved kits to ship" in sams
    assert "0 solicitudes por decidir" in olgas


def test_someone_else_sees_no_kit_panel(signed_in: Any, rosa_spanish: Any) -> None:
    page = _text(signed_in(rosa_spanish).get("/me/"))

    assert "Oficina de kits" not in page and "Kits para programas" not in page
