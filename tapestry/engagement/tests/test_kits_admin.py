"""The kits in the Django admin: lists and records open for a superuser, a photo is checked by
its content, and reservations are shown, never changed there."""

import datetime
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tapestry.engagement.models import Kit, KitPhoto, KitReservation
from tapestry.engagement.tests.factories import png_upload, reservation_place

pytestmark = pytest.mark.django_db


@pytest.fixture
def reservation(alice_liaison: Any, alice_library: Any, story_kit: Kit) -> KitReservation:
    return reservation_place(
        kit=story_kit,
        organization_id=alice_library.pk,
        requested_by=alice_liaison,
        ship_date=datetime.date(2027, 4, 1),
    )


def test_kit_and_reservation_pages_open(
    admin_signed_in: Client, story_kit: Kit, reservation: KitReservation
) -> None:
    for url in (
        "/admin/engagement/kit/",
        f"/admin/engagement/kit/{story_kit.pk}/change/",
        "/admin/engagement/kitreservation/",
        f"/admin/engagement/kitreservation/{reservation.pk}/change/",
    ):
        assert admin_signed_in.get(url).status_code == 200, url


def test_a_reservation_cannot_be_changed_in_the_admin(
    admin_signed_in: Client, reservation: KitReservation
) -> None:
    response = admin_signed_in.post(
        f"/admin/engagement/kitreservation/{reservation.pk}/change/", {"status": "returned"}
    )

    assert response.status_code == 403
    reservation.refresh_from_db()
    assert reservation.status == "approved"


def _kit_form(story_kit: Kit, photo: Any) -> dict[str, Any]:
    return {
        "slug": story_kit.slug,
        "name": story_kit.name,
        "name_es": story_kit.name_es,
        "description": story_kit.description,
        "description_es": story_kit.description_es,
        "active": "on",
        "items-TOTAL_FORMS": "0",
        "items-INITIAL_FORMS": "0",
        "photos-TOTAL_FORMS": "1",
        "photos-INITIAL_FORMS": "0",
        "photos-0-position": "1",
        "photos-0-image": photo,
        "photos-0-alt_text": "Books on a table",
        "photos-0-alt_text_es": "Libros en una mesa",
        "topic_tags-TOTAL_FORMS": "0",
        "topic_tags-INITIAL_FORMS": "0",
        "language_tags-TOTAL_FORMS": "0",
        "language_tags-INITIAL_FORMS": "0",
    }


def test_a_photo_that_is_not_an_image_is_refused(admin_signed_in: Client, story_kit: Kit) -> None:
    fake = SimpleUploadedFile("kit.png", b"<script>alert(1)</script>", content_type="image/png")

    response = admin_signed_in.post(
        f"/admin/engagement/kit/{story_kit.pk}/change/", _kit_form(story_kit, fake)
    )

    assert response.status_code == 200
    assert "Upload a valid image." in response.content.decode()
    assert KitPhoto.objects.count() == 0


def test_a_real_photo_is_accepted(
    admin_signed_in: Client, story_kit: Kit, settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path

    response = admin_signed_in.post(
        f"/admin/engagement/kit/{story_kit.pk}/change/", _kit_form(story_kit, png_upload())
    )

    assert response.status_code == 302
    assert KitPhoto.objects.get().alt_text == "Books on a table"
