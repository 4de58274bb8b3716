"""Community engagement's data: events and registrations, activity reports, program kits and
their reservations, engagement requests. The models of each part are below, one block per part."""

# --- Events ---

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from tapestry.core.geography import unit_vector


class FocusArea(models.TextChoices):
    HEALTH_LITERACY = "health_literacy", _("Health literacy")
    DIGITAL_LITERACY = "digital_literacy", _("Digital literacy")
    RESEARCH_LITERACY = "research_literacy", _("Research literacy")
    CITIZEN_SCIENCE = "citizen_science", _("Citizen science")
    PRECISION_MEDICINE = "precision_medicine", _("Precision medicine")


class EventLanguage(models.TextChoices):
    ENGLISH = "en", _("English")
    SPANISH = "es", _("Spanish")


class EventFormat(models.TextChoices):
    IN_PERSON = "in_person", _("In person")
    VIRTUAL = "virtual", _("Virtual")
    HYBRID = "hybrid", _("Hybrid")


class Event(models.Model):
    """A program a member organization (or a region's specialist) holds, in person, online or
    both. Times are stored in UTC and shown in the event's own IANA time zone."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        CANCELLED = "cancelled", _("Cancelled")

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), max_length=5000)
    focus_area = models.CharField(_("focus area"), max_length=30, choices=FocusArea.choices)
    audience = models.CharField(_("audience"), max_length=200, blank=True)
    language = models.CharField(_("language"), max_length=2, choices=EventLanguage.choices)
    format = models.CharField(_("format"), max_length=10, choices=EventFormat.choices)
    # The host: a member organization (network.api), by id; other apps' rows are not
    # foreign keys (the apps are independent).
    organization_id = models.PositiveBigIntegerField(_("host organization"), null=True, blank=True)
    venue_name = models.CharField(_("place"), max_length=200, blank=True)
    address_line1 = models.CharField(_("street address"), max_length=200, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    state_code = models.CharField(_("state"), max_length=2, blank=True)
    zip_code = models.CharField(_("ZIP code"), max_length=5, blank=True)
    # The ZIP code's centroid (core.geography.zip_lookup), for the finder; null online only.
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    # The location as a unit vector (see network's Organization): the finder filters and
    # sorts by distance with arithmetic the database does.
    location_x = models.FloatField(default=0.0, editable=False)
    location_y = models.FloatField(default=0.0, editable=False)
    location_z = models.FloatField(default=0.0, editable=False)
    virtual_link = models.URLField(_("online link"), max_length=500, blank=True)
    capacity = models.PositiveIntegerField(_("seats"))
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    time_zone = models.CharField(_("time zone"), max_length=64)
    accessibility_notes = models.TextField(_("accessibility"), max_length=2000, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    organizer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="events_organized",
    )
    region_code = models.CharField(max_length=50, blank=True, db_index=True)
    published_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    reminders_sent_at = models.DateTimeField(null=True, blank=True)
    evaluation_sent_at = models.DateTimeField(null=True, blank=True)
    # Set when the retention job removed the registrants' names and emails (their counts stay).
    registrants_anonymized_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Set by selectors.event_search on "near" results; not stored.
    distance_miles: float | None = None

    class Meta:
        ordering = ["starts_at", "pk"]
        indexes = [
            # The finder near a ZIP code: published upcoming events, the bounding box on
            # latitude, then the rest of the location and the start, all in the index.
            models.Index(
                fields=[
                    "status",
                    "latitude",
                    "longitude",
                    "location_x",
                    "location_y",
                    "location_z",
                    "ends_at",
                    "starts_at",
                    "id",
                ],
                name="event_finder_location",
            ),
            models.Index(fields=["status", "starts_at"], name="event_status_start"),
            models.Index(fields=["organization_id", "starts_at"], name="event_org_start"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="event_ends_after_start"
            ),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="event_capacity_positive"),
        ]
        verbose_name = _("event")
        verbose_name_plural = _("events")

    def __str__(self) -> str:
        return self.title

    def save(self, *args: object, **kwargs: object) -> None:
        self.set_location()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and {"latitude", "longitude"} & set(update_fields):  # type: ignore[call-overload]
            kwargs["update_fields"] = {*update_fields, "location_x", "location_y", "location_z"}  # type: ignore[misc]
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def set_location(self) -> None:
        """Fill the unit vector from latitude and longitude; call before bulk_create."""
        if self.latitude is None or self.longitude is None:
            self.location_x = self.location_y = self.location_z = 0.0
        else:
            self.location_x, self.location_y, self.location_z = unit_vector(
                self.latitude, self.longitude
            )

    @property
    def is_in_person(self) -> bool:
        return self.format in (EventFormat.IN_PERSON, EventFormat.HYBRID)

    @property
    def is_online(self) -> bool:
        return self.format in (EventFormat.VIRTUAL, EventFormat.HYBRID)


def token_hash(token: str) -> str:
    """What is stored of a secret link token: its SHA-256, so a copy of the database cannot
    confirm or cancel anyone's seat."""
    return hashlib.sha256(token.encode()).hexdigest()


def token_new() -> str:
    return secrets.token_urlsafe(32)


def registration_token(registration: "Registration", purpose: str) -> str:
    """The secret of a registration's confirm or cancel link: an HMAC (with the site's secret
    key) of its id and a random salt, so every email can carry the same working link while
    the database holds only its hash."""
    return salted_hmac(
        f"tapestry.engagement.registration.{purpose}",
        f"{registration.pk}:{registration.link_salt}",
        algorithm="sha256",
    ).hexdigest()


class RegistrantRole(models.TextChoices):
    COMMUNITY_MEMBER = "community_member", _("Community member")
    LIBRARY_STAFF = "library_staff", _("Library staff")
    HEALTH_PROFESSIONAL = "health_professional", _("Health professional")
    STUDENT = "student", _("Student")
    RESEARCHER = "researcher", _("Researcher")
    OTHER = "other", _("Other")


class Registration(models.Model):
    """A person's place at an event, without an account. It takes a seat (or a place on the
    waitlist) only once the email address is confirmed by the link sent to it."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for email confirmation")
        CONFIRMED = "confirmed", _("Confirmed")
        WAITLISTED = "waitlisted", _("On the waitlist")
        CANCELLED = "cancelled", _("Cancelled")

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="registrations")
    name = models.CharField(_("name"), max_length=200, blank=True)
    # Stored lower-case; emptied with the name when the event's retention period ends.
    email = models.EmailField(_("email"), max_length=254, blank=True)
    zip_code = models.CharField(_("ZIP code"), max_length=5, blank=True)
    role = models.CharField(_("role"), max_length=30, choices=RegistrantRole.choices, blank=True)
    language = models.CharField(max_length=2, choices=EventLanguage.choices, default="en")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    attended = models.BooleanField(default=False)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    link_salt = models.CharField(max_length=64, editable=False)
    confirm_token_hash = models.CharField(max_length=64, unique=True)
    cancel_token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # When the address was confirmed: the waitlist's order.
    confirmed_at = models.DateTimeField(null=True, blank=True)
    seated_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    evaluation_invited_at = models.DateTimeField(null=True, blank=True)
    anonymized_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["event", "status", "confirmed_at"], name="registration_queue"),
        ]
        constraints = [
            # One live registration per address and event (a cancelled one may register again).
            models.UniqueConstraint(
                fields=["event", "email"],
                condition=~Q(status="cancelled") & ~Q(email=""),
                name="registration_one_per_email",
            ),
        ]
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")

    def __str__(self) -> str:
        return self.name or f"#{self.pk}"
