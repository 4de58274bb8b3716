"""Factories for community engagement, one block per part."""

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
    ActivityReport,
    ActivityReportRow,
    EngagementRequest,
    Event,
    EventFormat,
    FocusArea,
    Kit,
    KitItem,
    KitLanguageTag,
    KitReservation,
    KitTopicTag,
    Registration,
    registration_token,
    token_hash,
    token_new,
)

# --- Events ---


def _place(zip_code: str) -> tuple[float, float, str, str]:
    place = zip_lookup(zip_code)
    assert place is not None, f"test data uses an unknown ZIP code {zip_code}"
    return place.latitude, place.longitude, place.state, place.city.title()


class EventFactory(DjangoModelFactory[Event]):
    """A published in-person event in Chicago (60601, region-6) a week from now, 2 hours."""

    class Meta:
        model = Event

    title = factory.Sequence(lambda n: f"Finding health information online {n}")
    description = "Learn to find trustworthy health information online."
    focus_area = FocusArea.HEALTH_LITERACY
    audience = "Adults"
    language = "en"
    format = EventFormat.IN_PERSON
    venue_name = "Community room"
    address_line1 = "78 E Washington St"
    zip_code = "60601"
    latitude = factory.LazyAttribute(lambda event: _place(event.zip_code)[0])
    longitude = factory.LazyAttribute(lambda event: _place(event.zip_code)[1])
    state_code = factory.LazyAttribute(lambda event: _place(event.zip_code)[2])
    city = factory.LazyAttribute(lambda event: _place(event.zip_code)[3])
    capacity = 20
    starts_at = factory.LazyFunction(
        lambda: (timezone.now() + datetime.timedelta(days=7)).replace(microsecond=0)
    )
    ends_at = factory.LazyAttribute(lambda event: event.starts_at + datetime.timedelta(hours=2))
    time_zone = "America/Chicago"
    status = Event.Status.PUBLISHED
    region_code = "region-6"


class RegistrationFactory(DjangoModelFactory[Registration]):
    """A confirmed (seated) registration; pass `status=` for others."""

    class Meta:
        model = Registration
        skip_postgeneration_save = True

    event = factory.SubFactory(EventFactory)
    name = factory.Sequence(lambda n: f"Registrant {n}")
    email = factory.Sequence(lambda n: f"registrant{n}@example.net")
    language = "en"
    status = Registration.Status.CONFIRMED
    link_salt = factory.LazyFunction(token_new)
    confirm_token_hash = factory.LazyFunction(lambda: token_hash(token_new()))
    cancel_token_hash = factory.LazyFunction(lambda: token_hash(token_new()))
    confirmed_at = factory.LazyFunction(timezone.now)
    seated_at = factory.LazyAttribute(
        lambda registration: (
            registration.confirmed_at
            if registration.status == Registration.Status.CONFIRMED
            else None
        )
    )

    @factory.post_generation
    def links(self, create: bool, extracted: object, **kwargs: object) -> None:
        """Make the stored hashes those of the registration's real links."""
        if create:
            registration: Registration = self  # type: ignore[assignment]
            registration.confirm_token_hash = token_hash(
                registration_token(registration, "confirm")
            )
            registration.cancel_token_hash = token_hash(registration_token(registration, "cancel"))
            registration.save(update_fields=["confirm_token_hash", "cancel_token_hash"])


def organization_make(*, zip_code: str, liaison: Any = None, name: str = "") -> Any:
    """A member organization, built through the app registry: engagement's tests may not
    import the network app's factories (the import contracts keep the apps apart)."""
    from django.apps import apps

    latitude, longitude, state, city = _place(zip_code)
    organization = apps.get_model("network", "Organization")
    count = organization.objects.count()
    return organization.objects.create(
        name=name or f"Riverside Library {count + 1}",
        org_type="public_library",
        address_line1=f"{count + 1} Main St",
        city=city,
        state_id=state,
        zip_code=zip_code,
        liaison=liaison,
        liaison_name="A Liaison",
        liaison_email="liaison@example.org",
        services={},
        latitude=latitude,
        longitude=longitude,
        joined_on=timezone.localdate(),
        last_reviewed_on=timezone.localdate(),
        liaison_email_confirmed_at=timezone.now(),
    )


# --- Program kits ---
# Kits with a three-line checklist, member organizations made through the app registry (the
# import contracts keep the network's models and factories private to the network), and
# reservations placed straight in the calendar for the tests that need a booked kit.


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


# --- Activity reports ---


class ActivityReportFactory(DjangoModelFactory[ActivityReport]):
    """A draft training report in region 6; pass `organization_id` and `author`."""

    class Meta:
        model = ActivityReport

    author = factory.SubFactory(UserFactory)
    organization_id = 0
    region_code = "region-6"
    activity_type = "training"
    delivery = "in_person"
    activity_date = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=3))
    title = factory.Sequence(lambda n: f"Health information workshop {n}")
    status = ActivityReport.Status.DRAFT


class ActivityReportRowFactory(DjangoModelFactory[ActivityReportRow]):
    class Meta:
        model = ActivityReportRow

    report = factory.SubFactory(ActivityReportFactory)
    participants = 10
    zip_code = "60601"
    role = "community_member"


# --- Engagement requests ---


class EngagementRequestFactory(DjangoModelFactory[EngagementRequest]):
    """A new request from Illinois (region 6); pass `requester`."""

    class Meta:
        model = EngagementRequest

    requester = factory.SubFactory(UserFactory)
    state_code = "IL"
    region_code = "region-6"
    audience = "Older adults"
    focus_area = "health_literacy"
    language = "en"
    preferred_date_1 = factory.LazyFunction(
        lambda: timezone.localdate() + datetime.timedelta(days=30)
    )
    preferred_date_2 = factory.LazyFunction(
        lambda: timezone.localdate() + datetime.timedelta(days=37)
    )
    expected_attendance = 25
    notes = ""


def specialist_make(*, region_code: str, email: str, language: str = "en") -> Any:
    """An engagement specialist covering one region (through the app registry, as above)."""
    from django.apps import apps

    from tapestry.accounts.api import Role

    person = UserFactory.create(
        email=email,
        full_name=email.split("@")[0].title(),
        roles=[Role.ENGAGEMENT_SPECIALIST],
        preferred_language=language,
    )
    region = apps.get_model("network", "Region").objects.get(code=region_code)
    apps.get_model("network", "RegionSpecialist").objects.create(user=person, region=region)
    return person
