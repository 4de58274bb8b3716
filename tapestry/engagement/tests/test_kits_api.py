"""The kits JSON API: the public catalog and availability, and a reservation with a `kits`
token, refused with the same reasons as the pages and a declared 4xx."""

import datetime
from typing import Any

import pytest
from django.test import Client

from tapestry.accounts.tests.factories import api_token_make
from tapestry.engagement.models import Kit, KitReservation
from tapestry.engagement.tests.factories import KitFactory, reservation_place

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("kit_today")]

URL = "/api/v1/engagement/kits"


def _bearer(user: Any, scopes: list[str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_token_make(user=user, scopes=scopes)}"}


def test_the_catalog_lists_active_kits_with_their_next_free_date(
    visitor: Client, story_kit: Kit
) -> None:
    KitFactory.create(name="Hidden", active=False)

    body = visitor.get(URL, {"topic": "health_literacy"}).json()

    assert body["count"] == 1
    [kit] = body["kits"]
    assert (kit["slug"], kit["name_es"], kit["languages"], kit["next_free_ship_date"]) == (
        "story-time",
        "Kit de cuentos",
        ["en", "es"],
        "2027-03-15",
    )
    assert kit["items"][0] == {
        "name": "Picture book: Germs Are Not for Sharing",
        "name_es": "Libro: Los gérmenes no se comparten",
        "quantity": 4,
    }


def test_an_unknown_filter_or_value_is_a_400(visitor: Client) -> None:
    assert visitor.get(URL, {"colour": "red"}).json() == {
        "detail": "Invalid request.",
        "errors": {"colour": ["Unknown parameter."]},
    }
    assert visitor.get(URL, {"topic": "astrology"}).status_code == 400


def test_availability_lists_the_loans_without_borrowers(
    visitor: Client, story_kit: Kit, alice_liaison: Any, alice_library: Any
) -> None:
    reservation_place(
        kit=story_kit,
        organization_id=alice_library.pk,
        requested_by=alice_liaison,
        ship_date=datetime.date(2027, 4, 1),
    )

    body = visitor.get(f"{URL}/story-time").json()

    assert body["busy"] == [
        {"blocked_from": "2027-04-01", "due_date": "2027-05-13", "blocked_until": "2027-05-25"}
    ]
    assert (body["earliest_ship_date"], body["latest_ship_date"]) == ("2027-03-15", "2028-02-29")
    assert visitor.get(f"{URL}/no-such-kit").status_code == 404


def test_a_liaison_reserves_with_a_kits_token(
    visitor: Client, alice_liaison: Any, alice_library: Any, story_kit: Kit
) -> None:
    response = visitor.post(
        f"{URL}/story-time/reservations",
        {"organization_id": alice_library.pk, "ship_date": "2027-04-01"},
        content_type="application/json",
        headers=_bearer(alice_liaison, ["kits"]),
    )

    assert response.status_code == 201
    body = response.json()
    assert (body["status"], body["due_date"]) == ("requested", "2027-05-13")
    assert KitReservation.objects.get().requested_by == alice_liaison


def test_reserving_needs_a_token_with_the_kits_scope(
    visitor: Client, alice_liaison: Any, alice_library: Any, story_kit: Kit
) -> None:
    payload = {"organization_id": alice_library.pk, "ship_date": "2027-04-01"}

    anonymous = visitor.post(
        f"{URL}/story-time/reservations", payload, content_type="application/json"
    )
    read_only = visitor.post(
        f"{URL}/story-time/reservations",
        payload,
        content_type="application/json",
        headers=_bearer(alice_liaison, ["read"]),
    )

    assert (anonymous.status_code, read_only.status_code) == (401, 403)
    assert KitReservation.objects.count() == 0


@pytest.mark.parametrize(
    ("ship_date", "status", "detail"),
    [
        ("2027-03-14", 400, "That ship date is too soon: the earliest is 15 Mar 2027."),
        ("2028-03-01", 400, "That ship date is too far ahead: the latest is 29 Feb 2028."),
        (
            "2027-04-20",
            409,
            "Those dates overlap another loan of this kit: the next free ship date is 25 May 2027.",
        ),
    ],
)
def test_refusals_are_explained(
    visitor: Client,
    alice_liaison: Any,
    alice_library: Any,
    bea_liaison: Any,
    bea_library: int,
    story_kit: Kit,
    ship_date: str,
    status: int,
    detail: str,
) -> None:
    reservation_place(
        kit=story_kit,
        organization_id=bea_library,
        requested_by=bea_liaison,
        ship_date=datetime.date(2027, 4, 1),
    )

    response = visitor.post(
        f"{URL}/story-time/reservations",
        {"organization_id": alice_library.pk, "ship_date": ship_date},
        content_type="application/json",
        headers=_bearer(alice_liaison, ["kits"]),
    )

    assert response.status_code == status
    assert response.json()["detail"] == detail
    assert KitReservation.objects.count() == 1


def test_another_organizations_liaison_is_refused(
    visitor: Client, bea_liaison: Any, alice_library: Any, story_kit: Kit
) -> None:
    response = visitor.post(
        f"{URL}/story-time/reservations",
        {"organization_id": alice_library.pk, "ship_date": "2027-04-01"},
        content_type="application/json",
        headers=_bearer(bea_liaison, ["kits"]),
    )

    assert response.status_code == 403
    assert KitReservation.objects.count() == 0


def test_a_note_with_a_nul_character_is_a_400(
    visitor: Client, alice_liaison: Any, alice_library: Any, story_kit: Kit
) -> None:
    response = visitor.post(
        f"{URL}/story-time/reservations",
        {"organization_id": alice_library.pk, "ship_date": "2027-04-01", "program_note": "a\x00"},
        content_type="application/json",
        headers=_bearer(alice_liaison, ["kits"]),
    )

    assert response.status_code == 400
    assert KitReservation.objects.count() == 0
