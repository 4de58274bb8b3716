"""The kit pages as each persona sees them: the public catalog and kit page, the reserve form's
explained refusals, "My organization's kits", and the desk (a specialist's regions only). A
visitor, another organization's liaison or a specialist of another region gets a sign-in
redirect, 403 or 404, and nothing changes."""

import datetime
from typing import Any

import pytest
from django.test import Client, override_settings

from tapestry.engagement.models import Kit, KitPhoto, KitReservation
from tapestry.engagement.tests.factories import KitFactory, png_upload, reservation_place

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("kit_today")]

SHIP = datetime.date(2027, 4, 1)


@pytest.fixture
def alices_reservation(alice_liaison: Any, alice_library: Any, story_kit: Kit) -> KitReservation:
    return reservation_place(
        kit=story_kit,
        organization_id=alice_library.pk,
        requested_by=alice_liaison,
        ship_date=SHIP,
        status="requested",
    )


def _text(response: Any) -> str:
    return " ".join(response.content.decode().split())


def test_the_catalog_searches_and_filters(visitor: Client) -> None:
    KitFactory.create(name="All of Us precision medicine kit", topics=["precision_medicine"])
    KitFactory.create(
        name="Citizen science water kit", topics=["citizen_science"], languages=["en"]
    )
    KitFactory.create(name="Retired kit", active=False)

    everything = _text(visitor.get("/engagement/kits/"))
    by_word = _text(visitor.get("/engagement/kits/?q=precision"))
    by_topic = _text(visitor.get("/engagement/kits/?topic=citizen_science"))
    by_language = _text(visitor.get("/engagement/kits/?language=es"))

    assert "2 kits" in everything and "Retired kit" not in everything
    assert "1 kit" in by_word and "All of Us precision medicine kit" in by_word
    assert "Citizen science water kit" in by_topic and "All of Us" not in by_topic
    assert "All of Us" in by_language and "Citizen science water kit" not in by_language


def test_the_catalog_explains_an_empty_result_and_refuses_a_bad_filter(visitor: Client) -> None:
    KitFactory.create()

    empty = visitor.get("/engagement/kits/?q=zebra")
    bad = visitor.get("/engagement/kits/?topic=astrology")

    assert "No kits match these filters. Try removing one." in _text(empty)
    assert bad.status_code == 400
    assert "Select a valid choice." in _text(bad)


@override_settings(ENGAGEMENT_KIT_PAGE_SIZE=2)
def test_the_catalog_pages(visitor: Client) -> None:
    for letter in "ABCDE":
        KitFactory.create(name=f"Kit {letter}")

    second = _text(visitor.get("/engagement/kits/?page=2"))

    assert "Kit C" in second and "Kit A" not in second and "Kit E" not in second
    assert "Page 2 of 3" in second


def test_the_catalog_speaks_spanish(visitor: Client, story_kit: Kit) -> None:
    visitor.cookies["django_language"] = "es"

    page = _text(visitor.get("/engagement/kits/"))

    assert "Kits para programas" in page
    assert "Kit de cuentos" in page


def test_the_kit_page_shows_contents_photos_and_the_booked_calendar(
    visitor: Client,
    story_kit: Kit,
    alices_reservation: KitReservation,
    settings: Any,
    tmp_path: Any,
) -> None:
    settings.MEDIA_ROOT = tmp_path
    photo = KitPhoto.objects.create(
        kit=story_kit,
        image=png_upload(),
        alt_text="Four picture books and a stack of cards",
        alt_text_es="Cuatro libros ilustrados",
    )

    page = _text(visitor.get("/engagement/kits/story-time/"))
    image = visitor.get(f"/engagement/kits/photos/{photo.pk}/")

    assert "Picture book: Germs Are Not for Sharing" in page
    assert 'alt="Four picture books and a stack of cards"' in page
    assert (
        "On loan from 1 Apr 2027 (due back 13 May 2027); unavailable until 24 May 2027 for the "
        "return and restocking." in page
    )
    assert "Next free ship date: 25 May 2027." in page
    assert "Alice" not in page  # the calendar never names the borrower
    assert '1<span class="tapestry-kit-day__state" aria-hidden="true">L</span>' in (
        visitor.get("/engagement/kits/story-time/").content.decode()
    )
    assert image.status_code == 200
    assert b"".join(image.streaming_content).startswith(b"\x89PNG")  # type: ignore[attr-defined]


def test_an_inactive_kit_has_no_page(visitor: Client) -> None:
    KitFactory.create(slug="gone", active=False)

    assert visitor.get("/engagement/kits/gone/").status_code == 404


def test_a_visitor_is_sent_to_sign_in_to_reserve(visitor: Client, story_kit: Kit) -> None:
    response = visitor.get("/engagement/kits/story-time/reserve/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_someone_without_an_organization_cannot_reserve(
    signed_in: Any, rosa_spanish: Any, story_kit: Kit
) -> None:
    client = signed_in(rosa_spanish)

    response = client.post("/engagement/kits/story-time/reserve/", {"ship_date": "2027-04-01"})

    assert response.status_code == 403
    assert KitReservation.objects.count() == 0


def test_the_reserve_form_explains_too_soon(
    alice_client: Client, alice_library: Any, story_kit: Kit
) -> None:
    response = alice_client.post(
        "/engagement/kits/story-time/reserve/",
        {"organization": alice_library.pk, "ship_date": "2027-03-14"},
    )

    assert response.status_code == 400
    assert "That ship date is too soon: the earliest is 15 Mar 2027." in _text(response)
    assert KitReservation.objects.count() == 0


def test_the_reserve_form_explains_an_overlap_with_the_next_free_date(
    alice_client: Client,
    alice_library: Any,
    story_kit: Kit,
    bea_liaison: Any,
    bea_library: int,
) -> None:
    reservation_place(
        kit=story_kit, organization_id=bea_library, requested_by=bea_liaison, ship_date=SHIP
    )

    response = alice_client.post(
        "/engagement/kits/story-time/reserve/",
        {"organization": alice_library.pk, "ship_date": "2027-04-20"},
    )

    assert response.status_code == 409
    assert (
        "Those dates overlap another loan of this kit: the next free ship date is 25 May 2027."
        in _text(response)
    )
    assert KitReservation.objects.count() == 1


def test_the_reserve_form_refuses_a_date_that_is_not_a_date(
    alice_client: Client, alice_library: Any, story_kit: Kit
) -> None:
    response = alice_client.post(
        "/engagement/kits/story-time/reserve/",
        {"organization": alice_library.pk, "ship_date": "next tuesday"},
    )

    assert response.status_code == 400
    assert "Enter a date as year-month-day, for example 2027-03-15." in _text(response)


def test_a_liaison_reserves_and_sees_it_in_their_list(
    alice_client: Client, alice_library: Any, story_kit: Kit
) -> None:
    response = alice_client.post(
        "/engagement/kits/story-time/reserve/",
        {"organization": alice_library.pk, "ship_date": "2027-04-01", "program_note": "Fair"},
    )
    reservation = KitReservation.objects.get()
    mine = _text(alice_client.get(response["Location"]))

    assert response["Location"] == f"/engagement/kits/mine/{reservation.pk}/"
    assert (reservation.organization_id, reservation.program_note) == (alice_library.pk, "Fair")
    assert "Alice Memorial Library" in mine and "1 Apr 2027" in mine and "Requested" in mine


def test_another_liaison_neither_sees_nor_cancels_it(
    signed_in: Any, bea_liaison: Any, bea_library: int, alices_reservation: KitReservation
) -> None:
    bea = signed_in(bea_liaison)

    mine = _text(bea.get("/engagement/kits/mine/"))
    cancel = bea.post(f"/engagement/kits/reservations/{alices_reservation.pk}/cancel/")
    detail = bea.get(f"/engagement/kits/mine/{alices_reservation.pk}/")

    assert "Alice Memorial Library" not in mine
    assert cancel.status_code == 404
    assert detail.status_code == 404
    alices_reservation.refresh_from_db()
    assert alices_reservation.status == "requested"


def test_the_liaison_cancels_from_their_list(
    alice_client: Client, alices_reservation: KitReservation
) -> None:
    response = alice_client.post(f"/engagement/kits/reservations/{alices_reservation.pk}/cancel/")

    assert response["Location"] == "/engagement/kits/mine/"
    alices_reservation.refresh_from_db()
    assert alices_reservation.status == "cancelled"


def test_the_desk_is_closed_to_visitors_and_liaisons(
    visitor: Client, alice_client: Client, alices_reservation: KitReservation
) -> None:
    assert visitor.get("/engagement/kits/desk/").status_code == 302
    assert alice_client.get("/engagement/kits/desk/").status_code == 403
    assert (
        alice_client.post(
            f"/engagement/kits/desk/{alices_reservation.pk}/",
            {"action": "decide", "decision": "approve"},
        ).status_code
        == 403
    )
    alices_reservation.refresh_from_db()
    assert alices_reservation.status == "requested"


def test_a_specialist_of_another_region_neither_sees_nor_decides_it(
    olga_client: Client, alices_reservation: KitReservation, audit_log: Any
) -> None:
    queue = _text(olga_client.get("/engagement/kits/desk/"))
    page = olga_client.get(f"/engagement/kits/desk/{alices_reservation.pk}/")
    decide = olga_client.post(
        f"/engagement/kits/desk/{alices_reservation.pk}/",
        {"action": "decide", "decision": "approve"},
    )

    assert "Alice Memorial Library" not in queue
    assert (page.status_code, decide.status_code) == (404, 404)
    alices_reservation.refresh_from_db()
    assert alices_reservation.status == "requested"
    assert [row for row in audit_log() if row[0].startswith("kit.")] == []


def test_the_specialist_approves_ships_returns_and_restocks(
    sam_client: Client, alices_reservation: KitReservation
) -> None:
    url = f"/engagement/kits/desk/{alices_reservation.pk}/"
    items = list(alices_reservation.kit.items.all())

    assert "Alice Memorial Library" in _text(sam_client.get("/engagement/kits/desk/"))
    assert sam_client.post(url, {"action": "decide", "decision": "approve"}).status_code == 302
    unticked = sam_client.post(url, {"action": "ship", "items": [items[0].pk]})
    assert unticked.status_code == 400
    assert "Not ticked: Activity cards, Facilitator guide." in _text(unticked)
    shipped = sam_client.post(url, {"action": "ship", "items": [item.pk for item in items]})
    assert shipped.status_code == 302
    too_many = sam_client.post(url, {"action": "return", f"missing_{items[2].pk}": "2"})
    assert too_many.status_code == 400
    assert "Ensure this value is less than or equal to 1." in _text(too_many)
    returned = sam_client.post(
        url, {"action": "return", f"missing_{items[1].pk}": "4", "notes": "Wet box"}
    )
    assert returned.status_code == 302
    alices_reservation.refresh_from_db()
    assert alices_reservation.status == "returned"
    assert "Activity cards: 4 missing, 0 damaged" in _text(sam_client.get(url))
    desk = _text(sam_client.get("/engagement/kits/desk/"))
    assert "Kits held until restocked" in desk and "Health literacy story time kit" in desk
    restock = sam_client.post(f"/engagement/kits/desk/kits/{alices_reservation.kit_id}/restock/")
    assert restock.status_code == 302
    assert Kit.objects.get(pk=alices_reservation.kit_id).held is False


@pytest.mark.parametrize(
    "data",
    [
        {"action": "ship", "items": []},
        {"action": "return", "notes": "x"},
        {"action": "decide", "decision": "decline", "reason": "No"},
    ],
    ids=["ship", "return", "decline"],
)
def test_another_regions_specialist_cannot_act_at_any_stage(
    olga_client: Client,
    sam_specialist: Any,
    alices_reservation: KitReservation,
    data: dict[str, Any],
    audit_log: Any,
) -> None:
    status = {"ship": "approved", "return": "shipped", "decide": "requested"}[data["action"]]
    KitReservation.objects.filter(pk=alices_reservation.pk).update(status=status)

    response = olga_client.post(f"/engagement/kits/desk/{alices_reservation.pk}/", data)
    cancel = olga_client.post(f"/engagement/kits/reservations/{alices_reservation.pk}/cancel/")

    assert (response.status_code, cancel.status_code) == (404, 404)
    alices_reservation.refresh_from_db()
    assert alices_reservation.status == status
    assert [row for row in audit_log() if row[0].startswith("kit.")] == []


def test_program_staff_see_every_regions_reservations(
    paula_client: Client,
    alices_reservation: KitReservation,
    bea_liaison: Any,
    bea_library: int,
    story_kit: Kit,
) -> None:
    reservation_place(
        kit=story_kit,
        organization_id=bea_library,
        requested_by=bea_liaison,
        ship_date=SHIP + datetime.timedelta(days=60),
        status="requested",
        region_code="region-1",
    )

    queue = _text(paula_client.get("/engagement/kits/desk/?status=requested"))

    assert "Alice Memorial Library" in queue and "Free Library of Philadelphia" in queue


def test_a_liaison_cannot_restock(alice_client: Client, story_kit: Kit) -> None:
    Kit.objects.filter(pk=story_kit.pk).update(held=True)

    response = alice_client.post(f"/engagement/kits/desk/kits/{story_kit.pk}/restock/")

    assert response.status_code == 403
    assert Kit.objects.get(pk=story_kit.pk).held is True
