"""Factories for community engagement, one block per part."""

# --- Events ---

import datetime
from typing import Any

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from tapestry.core.geography import zip_lookup
from tapestry.engagement.models import (
    Event,
    EventFormat,
    FocusArea,
    Registration,
    registration_token,
    token_hash,
    token_new,
)


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


# --- Activity reports ---

from tapestry.accounts.tests.factories import UserFactory  # noqa: E402
from tapestry.engagement.models import (  # noqa: E402
    ActivityReport,
    ActivityReportRow,
    EngagementRequest,
)


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
