import datetime
import re
import unicodedata
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from tapestry.core.geography import unit_vector

zip_code_validator = RegexValidator(r"^\d{5}$", _("Enter a five-digit ZIP code."))
# Letters and digits, with inner hyphens or periods: DOCLINE (GAUEMO), OCLC (EMU), state
# library codes (IL0608, NY-123). Nothing else, so the value is the same in HTML, JSON and CSV.
library_id_validator = RegexValidator(
    r"^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,28}[A-Za-z0-9])?$",
    _(
        "Use only letters, digits, hyphens and periods, as in a DOCLINE or OCLC symbol (for example GAUEMO)."
    ),
    code="invalid_library_id",
)
# A North American or international number in the ways people write it, then an optional
# extension ("ext. 12", "x12", "extension 12").
_PHONE = re.compile(
    r"(?P<number>\+?\(?[0-9][0-9 ().-]*[0-9])(?:\s*(?:ext\.?|extension|x)\s*(?P<extension>[0-9]{1,6}))?",
    re.IGNORECASE,
)


def validate_phone(value: str) -> None:
    """Refuse anything but a phone number with its area code (10 to 15 digits, as E.164 allows)
    and an optional extension: the directory is national, so a local number is not enough."""
    match = _PHONE.fullmatch(value.strip())
    digits = sum(character.isdigit() for character in match["number"]) if match else 0
    if not 10 <= digits <= 15:
        raise ValidationError(
            _(
                "Enter a phone number such as (404) 555-0142, with any extension after it: (404) 555-0142 ext. 12."
            ),
            code="invalid_phone",
        )


def organization_name_key(name: str) -> str:
    """What the duplicate check compares: a name without case, accents, spaces or punctuation.

    "St. Mary's  Library", "st marys library" and "ST MARY-S LIBRARY" are one organization.
    """
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return "".join(
        character
        for character in decomposed
        if character.isalnum() and not unicodedata.combining(character)
    )


class StateTerritory(models.Model):
    """A U.S. state, the District of Columbia, a territory or a freely associated state."""

    class Kind(models.TextChoices):
        STATE = "state", _("State")
        DISTRICT = "district", _("Federal district")
        TERRITORY = "territory", _("Territory")
        FREELY_ASSOCIATED = "freely_associated", _("Freely associated state")

    code = models.CharField(max_length=2, primary_key=True)
    name = models.CharField(max_length=60)
    name_es = models.CharField(max_length=60, blank=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # Position on the tile-grid region map (one square per state, no map tiles needed).
    tile_column = models.PositiveSmallIntegerField(default=0)
    tile_row = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["name"]
        verbose_name = _("state or territory")
        verbose_name_plural = _("states and territories")

    def __str__(self) -> str:
        return self.name

    def display_name(self, language: str | None) -> str:
        # get_language() may return a regional variant ("es-mx") or None.
        if language and language.startswith("es") and self.name_es:
            return self.name_es
        return self.name


class RegionMap(models.Model):
    """One way of dividing the country into regions, in force between two dates."""

    code = models.SlugField(max_length=30, unique=True)
    name = models.CharField(max_length=100)
    name_es = models.CharField(max_length=100, blank=True)
    effective_from = models.DateField()
    effective_to = models.DateField(null=True, blank=True, help_text=_("Last day in force."))

    class Meta:
        ordering = ["-effective_from"]
        verbose_name = _("region map")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(effective_to__isnull=True)
                | models.Q(effective_to__gte=models.F("effective_from")),
                name="region_map_dates_in_order",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def display_name(self, language: str) -> str:
        return self.name_es if language == "es" and self.name_es else self.name

    def in_force_on(self, day: datetime.date) -> bool:
        return self.effective_from <= day and (
            self.effective_to is None or day <= self.effective_to
        )


class Region(models.Model):
    region_map = models.ForeignKey(RegionMap, on_delete=models.PROTECT, related_name="regions")
    code = models.SlugField(max_length=30)
    name = models.CharField(max_length=100)
    name_es = models.CharField(max_length=100, blank=True)
    color = models.CharField(max_length=7, default="#005ea2")
    states = models.ManyToManyField(StateTerritory, through="RegionState", related_name="regions")

    # Set by selectors.regions_with_member_counts; not stored.
    member_count: int = 0

    class Meta:
        ordering = ["region_map", "code"]
        constraints = [
            models.UniqueConstraint(fields=["region_map", "code"], name="region_code_unique_in_map")
        ]

    def __str__(self) -> str:
        return self.name

    def display_name(self, language: str) -> str:
        return self.name_es if language == "es" and self.name_es else self.name


class RegionState(models.Model):
    """A state belongs to exactly one region of each map."""

    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="memberships")
    region_map = models.ForeignKey(RegionMap, on_delete=models.CASCADE, related_name="+")
    state = models.ForeignKey(StateTerritory, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["region_map", "state"], name="one_region_per_state_per_map"
            )
        ]

    def __str__(self) -> str:
        return f"{self.state_id} → {self.region}"


class RegionSpecialist(models.Model):
    """An engagement specialist covers the regions they are assigned."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="specialist_regions"
    )
    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="specialists")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "region"], name="specialist_region_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.region}"


class OrganizationType(models.TextChoices):
    RESOURCE_LIBRARY = "resource_library", _("Resource library")
    HOSPITAL_LIBRARY = "hospital_library", _("Hospital library")
    ACADEMIC_LIBRARY = "academic_library", _("Academic library")
    PUBLIC_LIBRARY = "public_library", _("Public library")
    COMMUNITY_ORGANIZATION = "community_organization", _("Community-based organization")
    GOVERNMENT_AGENCY = "government_agency", _("Government agency")
    SOCIAL_SERVICE = "social_service", _("Social-service organization")
    K12_SCHOOL = "k12_school", _("K-12 school")
    OTHER = "other", _("Other")


class Service(models.TextChoices):
    REFERENCE = "reference", _("Reference")
    DOCUMENT_DELIVERY = "document_delivery", _("Document delivery")
    DATABASE_TRAINING = "database_training", _("Database search training")
    INTERNET_TRAINING = "internet_training", _("Internet training")
    COLLECTIONS = "collections", _("Access to collections")


class Audience(models.TextChoices):
    PUBLIC = "public", _("The public")
    AFFILIATED = "affiliated", _("Affiliated users")
    UNAFFILIATED_PROFESSIONALS = (
        "unaffiliated_professionals",
        _("Unaffiliated health professionals"),
    )


# The fields a member's record and a membership application share, in the order the forms,
# the CSV export and the API list them (see exports.organization_fields).
DETAIL_FIELDS: tuple[str, ...] = (
    "name",
    "org_type",
    "address_line1",
    "address_line2",
    "city",
    "state",
    "zip_code",
    "phone",
    "website",
    "library_id",
    "liaison_name",
    "liaison_email",
    "services",
)


class OrganizationDetails(models.Model):
    """The fields an organization's record and a membership application share."""

    name = models.CharField(_("organization name"), max_length=200)
    org_type = models.CharField(_("type"), max_length=30, choices=OrganizationType.choices)
    address_line1 = models.CharField(_("street address"), max_length=200)
    address_line2 = models.CharField(_("address line 2"), max_length=200, blank=True)
    city = models.CharField(_("city"), max_length=100)
    state = models.ForeignKey(
        StateTerritory, on_delete=models.PROTECT, related_name="+", verbose_name=_("state")
    )
    zip_code = models.CharField(_("ZIP code"), max_length=5, validators=[zip_code_validator])
    phone = models.CharField(_("phone"), max_length=30, blank=True, validators=[validate_phone])
    website = models.URLField(_("website"), max_length=300, blank=True)
    library_id = models.CharField(
        _("library ID"),
        max_length=30,
        blank=True,
        validators=[library_id_validator],
        help_text=_("Optional identifier, such as a DOCLINE or OCLC symbol."),
    )
    liaison_name = models.CharField(_("liaison name"), max_length=150)
    liaison_email = models.EmailField(_("liaison email"))
    # Set when the address proved it reaches someone (a link sent to it was followed, or it is
    # the applicant's own verified sign-in address). Until then it is neither published nor
    # sent reminders.
    liaison_email_confirmed_at = models.DateTimeField(null=True, blank=True, editable=False)
    # organization_name_key(name), kept by save() so duplicates are found with an index.
    name_key = models.CharField(max_length=200, editable=False, default="")
    # Services offered, each with the audiences it is open to: {"reference": ["public", ...]}.
    services = models.JSONField(_("services"), default=dict, blank=True)

    class Meta:
        abstract = True

    @property
    def liaison_email_confirmed(self) -> bool:
        return self.liaison_email_confirmed_at is not None

    @property
    def public_liaison_email(self) -> str:
        """The liaison email as the directory may show it: only once confirmed."""
        return self.liaison_email if self.liaison_email_confirmed else ""

    def service_rows(self) -> list[tuple[str, list[str]]]:
        """(service label, [audience labels]) in the order services are listed."""
        rows = []
        for service in Service:
            audiences = self.services.get(service.value)
            if audiences is not None:
                rows.append(
                    (
                        str(service.label),
                        [str(Audience(a).label) for a in audiences if a in Audience.values],
                    )
                )
        return rows


class Organization(OrganizationDetails):
    """A member of the network. Membership is free and never expires."""

    liaison = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="liaison_for",
    )
    latitude = models.FloatField()
    longitude = models.FloatField()
    # The location as a unit vector (core.geography.unit_vectors), kept with latitude and
    # longitude: "near me" filters and sorts by distance with a dot product the database
    # computes by plain arithmetic, and pages there, before any row reaches Python.
    location_x = models.FloatField(default=0.0, editable=False)
    location_y = models.FloatField(default=0.0, editable=False)
    location_z = models.FloatField(default=0.0, editable=False)
    joined_on = models.DateField(_("joined"))
    last_reviewed_on = models.DateField(_("last reviewed"))
    # Denormalized from `services` so the directory can filter with an index-friendly LIKE.
    service_codes = models.CharField(max_length=300, blank=True, editable=False)
    # Every service open to every audience takes 468 characters.
    audience_codes = models.CharField(max_length=500, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Set by selectors.organization_search on "near me" results; not stored.
    distance_miles: float | None = None

    class Meta:
        ordering = ["name"]
        indexes = [
            # Covers "near me": the bounding box on latitude and longitude, the distance from
            # the unit vector, the tie-break on the name and the id returned, all without
            # reading the table (a 500-mile search touches thousands of members).
            models.Index(
                fields=[
                    "latitude",
                    "longitude",
                    "location_x",
                    "location_y",
                    "location_z",
                    "name",
                    "id",
                ],
                name="org_location_covering",
            ),
            models.Index(fields=["state", "name"], name="org_state_name"),
            models.Index(fields=["org_type"], name="org_type"),
            models.Index(fields=["last_reviewed_on"], name="org_last_reviewed"),
            models.Index(Lower("name"), "zip_code", name="org_lower_name_zip"),
            models.Index(fields=["name_key", "zip_code"], name="org_name_key_zip"),
            # Counted and maxed for the directory's cache version (an index-only scan).
            models.Index(fields=["updated_at"], name="org_updated_at"),
        ]
        verbose_name = _("member organization")
        verbose_name_plural = _("member organizations")

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.set_search_codes()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            extra: set[str] = set()
            if "services" in update_fields:
                extra |= {"service_codes", "audience_codes"}
            if {"latitude", "longitude"} & set(update_fields):
                extra |= {"location_x", "location_y", "location_z"}
            if "name" in update_fields:
                extra.add("name_key")
            kwargs["update_fields"] = {*update_fields, *extra}
        super().save(*args, **kwargs)

    def set_search_codes(self) -> None:
        """Fill the denormalized filter columns; call before bulk_create, which skips save()."""
        self.location_x, self.location_y, self.location_z = unit_vector(
            self.latitude, self.longitude
        )
        self.name_key = organization_name_key(self.name)
        self.service_codes = "".join(f"|{code}|" for code in sorted(self.services))
        self.audience_codes = "".join(
            f"|{service}:{audience}|"
            for service, audiences in sorted(self.services.items())
            for audience in sorted(audiences)
        )

    @property
    def review_due_on(self) -> datetime.date:
        return self.last_reviewed_on + datetime.timedelta(days=settings.NETWORK_ANNUAL_REVIEW_DAYS)


class MembershipApplication(OrganizationDetails):
    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for review")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Not approved")

    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership_applications"
    )
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="applications")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    submitted_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decision_reason = models.TextField(_("reason"), blank=True, max_length=2000)
    organization = models.OneToOneField(
        Organization, null=True, blank=True, on_delete=models.SET_NULL, related_name="application"
    )

    class Meta:
        ordering = ["-submitted_at"]
        constraints = [
            # One pending application per organization name and ZIP, however often it is sent
            # and however its name is spaced, cased or punctuated.
            models.UniqueConstraint(
                fields=["name_key", "zip_code"],
                condition=models.Q(status="pending"),
                name="one_pending_application_per_org",
            ),
        ]
        verbose_name = _("membership application")
        verbose_name_plural = _("membership applications")

    def __str__(self) -> str:
        return f"{self.name} ({self.get_status_display()})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.name_key = organization_name_key(self.name)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "name" in update_fields:
            kwargs["update_fields"] = {*update_fields, "name_key"}
        super().save(*args, **kwargs)


class ReviewReminder(models.Model):
    """A reminder already sent, so each one goes out once per review cycle."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="reminders"
    )
    due_on = models.DateField()
    days_before = models.IntegerField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "due_on", "days_before"], name="review_reminder_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organization} due {self.due_on} ({self.days_before} days before)"
