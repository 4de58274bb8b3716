"""Test data for community engagement, one block per part."""

# --- Program kits ---
# Kits with a three-line checklist, member organizations made through the app registry (the
# import contracts keep the network's models and factories private to the network), and
# reservations placed straight in the calendar for the tests that need a booked kit.

import datetime
import io
from typing import Any, cast

import factory
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from factory.django import DjangoModelFactory
from PIL import Image

from tapestry.accounts.tests.factories import UserFactory
from tapestry.core.geography import zip_lookup
from tapestry.engagement import kit_calendar
from tapestry.engagement.models import (
    Kit,
    KitItem,
    KitLanguageTag,
    KitReservation,
    KitTopicTag,
)


class KitFactory(DjangoModelFactory[Kit]):
    class Meta:
        model = Kit
        skip_postgeneration_save = True

    slug = factory.Sequence(lambda n: f"story-time-kit-{n}")
    name = factory.Sequence(lambda n: f"Health literacy story time kit {n}")
    name_es = factory.Sequence(lambda n: f"Kit de cuentos sobre salud {n}")
    description = "Picture books and activity cards for a story time about staying healthy."
    description_es = "Libros ilustrados y tarjetas de actividades para una hora del cuento."

    @factory.post_generation
    def checklist(self, create: Any, extracted: Any, **kwargs: Any) -> None:
        if not create:
            return
        lines = extracted or [
            ("Picture book: Germs Are Not for Sharing", "Libro: Los gérmenes no se comparten", 4),
            ("Activity cards", "Tarjetas de actividades", 30),
            ("Facilitator guide", "Guía para quien facilita", 1),
        ]
        for position, (name, name_es, quantity) in enumerate(lines, start=1):
            KitItem.objects.create(
                kit=cast(Kit, self),
                position=position,
                name=name,
                name_es=name_es,
                quantity=quantity,
            )

    @factory.post_generation
    def topics(self, create: Any, extracted: Any, **kwargs: Any) -> None:
        if create:
            for topic in extracted or ["health_literacy"]:
                KitTopicTag.objects.create(kit=cast(Kit, self), topic=topic)

    @factory.post_generation
    def languages(self, create: Any, extracted: Any, **kwargs: Any) -> None:
        if create:
            for language in extracted or ["en", "es"]:
                KitLanguageTag.objects.create(kit=cast(Kit, self), language=language)


def png_upload(name: str = "kit.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 6), (20, 90, 160)).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def member_organization_make(
    *, name: str, zip_code: str, liaison: Any | None = None, **fields: Any
) -> int:
    """A member organization (the network's record) at a ZIP code; its id."""
    organization_model = apps.get_model("network", "Organization")
    place = zip_lookup(zip_code)
    assert place is not None, zip_code
    liaison = liaison or UserFactory.create()
    organization = organization_model.objects.create(
        name=name,
        org_type="public_library",
        address_line1="1 Main St",
        zip_code=zip_code,
        city=place.city,
        state_id=place.state,
        liaison=liaison,
        liaison_name=liaison.full_name,
        liaison_email=liaison.email,
        services={},
        latitude=place.latitude,
        longitude=place.longitude,
        joined_on=timezone.localdate(),
        last_reviewed_on=timezone.localdate(),
        liaison_email_confirmed_at=timezone.now(),
        **fields,
    )
    return int(organization.pk)


def reservation_place(
    *,
    kit: Kit,
    organization_id: int,
    requested_by: Any,
    ship_date: datetime.date,
    status: str = KitReservation.Status.APPROVED,
    region_code: str = "region-6",
) -> KitReservation:
    """A reservation put straight into the calendar (no lead-time rules: the past too)."""
    dates = kit_calendar.loan_dates(ship_date)
    return KitReservation.objects.create(
        kit=kit,
        organization_id=organization_id,
        region_code=region_code,
        requested_by=requested_by,
        ship_date=ship_date,
        due_date=dates.due_date,
        blocked_from=dates.blocked_from,
        blocked_until=dates.blocked_until,
        status=status,
    )
