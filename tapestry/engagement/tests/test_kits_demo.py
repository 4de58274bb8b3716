"""`manage.py engagement_seed_demo`'s kits: five kits in both languages with a photo each, a
calendar booked around today that keeps the calendar rules, Lucía's request waiting for the
specialist; running it again changes nothing."""

import datetime
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from tapestry.accounts.api import PERSONAS, persona_ensure
from tapestry.engagement import kit_calendar
from tapestry.engagement.models import Kit, KitReservation
from tapestry.engagement.tests.factories import member_organization_make

pytestmark = pytest.mark.django_db

ZIPS = ["19103", "35203", "64105", "80202", "98101", "60601", "10001"]


@pytest.fixture
def seeded(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path
    for number, zip_code in enumerate(ZIPS):
        member_organization_make(name=f"Demo Library {number}", zip_code=zip_code)
    lucia = persona_ensure(PERSONAS[0], password="demo-password-1")
    member_organization_make(
        name="Pilsen Community Public Library", zip_code="60608", liaison=lucia
    )
    call_command("engagement_seed_demo", stdout=StringIO())


def test_five_kits_in_both_languages_with_checklists_and_photos(seeded: None) -> None:
    kits = list(Kit.objects.order_by("slug"))

    assert len(kits) == 5
    assert all(kit.name_es and kit.description_es for kit in kits)
    assert all(kit.items.count() >= 4 and kit.photos.count() == 1 for kit in kits)
    assert Kit.objects.get(slug="health-literacy-story-time").name_es == (
        "Kit de cuentos sobre salud"
    )
    photo = kits[0].photos.get()
    assert photo.image.open("rb").read(4) == b"\x89PNG"
    assert photo.alt_text_es.startswith("Tarjeta de portada")


def test_the_calendar_is_booked_around_today_without_overlap(seeded: None) -> None:
    today = timezone.localdate()
    holding = KitReservation.objects.filter(status__in=KitReservation.HOLDING)

    for kit in Kit.objects.all():
        ranges = sorted(holding.filter(kit=kit).values_list("blocked_from", "blocked_until"))
        assert all(
            not kit_calendar.overlaps(first, second)
            for index, first in enumerate(ranges)
            for second in ranges[index + 1 :]
        )
    overdue = KitReservation.objects.get(status="shipped", due_date__lt=today)
    assert overdue.kit.slug == "health-literacy-story-time"
    assert overdue.due_date == today - datetime.timedelta(days=8)
    assert list(Kit.objects.filter(held=True).values_list("slug", flat=True)) == [
        "citizen-science-air-quality"
    ]
    lucias = KitReservation.objects.get(requested_by__email="liaison@tapestry.example")
    assert (lucias.status, lucias.region_code, lucias.kit.slug) == (
        "requested",
        "region-6",
        "all-of-us-precision-medicine",
    )


def test_running_it_again_changes_nothing(seeded: None) -> None:
    before = list(KitReservation.objects.values_list("pk", "status", "ship_date"))

    call_command("engagement_seed_demo", stdout=StringIO())

    assert Kit.objects.count() == 5
    assert list(KitReservation.objects.values_list("pk", "status", "ship_date")) == before
