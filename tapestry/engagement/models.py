"""Community engagement's data: events and registrations, activity reports, program kits and
their reservations, engagement requests. The models of each part are below, one block per part."""

import datetime
import hashlib
import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from tapestry.core.geography import unit_vector

# --- Events ---


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


# --- Program kits ---
# Kits lent by mail and their reservations (ADR 0021). A reservation keeps the organization by
# id (the network's Organization is reached through network.api only) and the region code it
# belonged to when it was made, which routes it to that region's specialists.


class KitTopic(models.TextChoices):
    HEALTH_LITERACY = "health_literacy", _("Health literacy")
    DIGITAL_LITERACY = "digital_literacy", _("Digital literacy")
    RESEARCH_LITERACY = "research_literacy", _("Research literacy")
    CITIZEN_SCIENCE = "citizen_science", _("Citizen science")
    PRECISION_MEDICINE = "precision_medicine", _("Precision medicine")


class KitLanguage(models.TextChoices):
    ENGLISH = "en", _("English")
    SPANISH = "es", _("Spanish")
    CHINESE = "zh", _("Chinese")
    VIETNAMESE = "vi", _("Vietnamese")


class Kit(models.Model):
    """A program kit in the catalog. Held: back from a loan with items missing or damaged (or
    not yet checked) and waiting to be restocked; a held or inactive kit takes no reservation."""

    slug = models.SlugField(_("link name"), max_length=80, unique=True)
    name = models.CharField(_("name"), max_length=200)
    name_es = models.CharField(_("name in Spanish"), max_length=200)
    description = models.TextField(_("description"), max_length=4000)
    description_es = models.TextField(_("description in Spanish"), max_length=4000)
    active = models.BooleanField(_("active"), default=True)
    held = models.BooleanField(_("held until restocked"), default=False)
    held_since = models.DateTimeField(_("held since"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("program kit")
        verbose_name_plural = _("program kits")

    def __str__(self) -> str:
        return self.name

    def display_name(self, language: str | None) -> str:
        return self.name_es if (language or "").startswith("es") else self.name

    def display_description(self, language: str | None) -> str:
        return self.description_es if (language or "").startswith("es") else self.description


class KitTopicTag(models.Model):
    kit = models.ForeignKey(Kit, on_delete=models.CASCADE, related_name="topic_tags")
    topic = models.CharField(_("topic"), max_length=30, choices=KitTopic.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kit", "topic"], name="engagement_kit_topic_once")
        ]
        ordering = ["topic"]
        verbose_name = _("topic")
        verbose_name_plural = _("topics")

    def __str__(self) -> str:
        return str(self.get_topic_display())


class KitLanguageTag(models.Model):
    """A language the kit's materials are offered in."""

    kit = models.ForeignKey(Kit, on_delete=models.CASCADE, related_name="language_tags")
    language = models.CharField(_("language"), max_length=5, choices=KitLanguage.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kit", "language"], name="engagement_kit_language_once")
        ]
        ordering = ["language"]
        verbose_name = _("language offered")
        verbose_name_plural = _("languages offered")

    def __str__(self) -> str:
        return str(self.get_language_display())


class KitItem(models.Model):
    """A line of the contents checklist, ticked at shipping and counted at return."""

    kit = models.ForeignKey(Kit, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveSmallIntegerField(_("position"), default=1)
    name = models.CharField(_("item"), max_length=200)
    name_es = models.CharField(_("item in Spanish"), max_length=200)
    quantity = models.PositiveSmallIntegerField(_("quantity"), default=1)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gte=1), name="engagement_kit_item_quantity_positive"
            )
        ]
        verbose_name = _("checklist item")
        verbose_name_plural = _("contents checklist")

    def __str__(self) -> str:
        return f"{self.quantity} × {self.name}"

    def display_name(self, language: str | None) -> str:
        return self.name_es if (language or "").startswith("es") else self.name


def kit_photo_path(instance: "KitPhoto", filename: str) -> str:
    # A fresh name: the uploader's file name says nothing the page needs and may say too much.
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "jpg"
    return f"engagement/kits/{instance.kit_id}/{uuid.uuid4().hex}.{extension}"


class KitPhoto(models.Model):
    """A photo of the kit. The image is checked by its content when uploaded (ImageField opens
    it with Pillow), and served through a view, never straight from MEDIA_URL."""

    kit = models.ForeignKey(Kit, on_delete=models.CASCADE, related_name="photos")
    position = models.PositiveSmallIntegerField(_("position"), default=1)
    image = models.ImageField(_("photo"), upload_to=kit_photo_path)
    alt_text = models.CharField(_("description of the photo"), max_length=300)
    alt_text_es = models.CharField(_("description of the photo in Spanish"), max_length=300)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("photo")
        verbose_name_plural = _("photos")

    def __str__(self) -> str:
        return self.alt_text

    def display_alt(self, language: str | None) -> str:
        return self.alt_text_es if (language or "").startswith("es") else self.alt_text


class KitReservation(models.Model):
    """A loan of a kit to a member organization, from its ship date.

    `blocked_from`/`blocked_until` (exclusive) are the days the kit is busy for this loan: the
    ship date to the due date, the return's transit and the desk's turnaround. Among the
    reservations that hold the kit (requested, approved, shipped, returned) no two ranges of
    one kit overlap: on PostgreSQL an exclusion constraint says so (migration
    0003_kit_reservation_exclusion); on SQLite kit_reserve checks it with writes serialized.
    """

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        APPROVED = "approved", _("Approved")
        SHIPPED = "shipped", _("Shipped")
        RETURNED = "returned", _("Returned")
        DECLINED = "declined", _("Declined")
        CANCELLED = "cancelled", _("Cancelled")

    # These hold the kit's dates; declined and cancelled ones free them.
    HOLDING = (Status.REQUESTED, Status.APPROVED, Status.SHIPPED, Status.RETURNED)
    # These count toward an organization's kits at once.
    ACTIVE = (Status.REQUESTED, Status.APPROVED, Status.SHIPPED)

    kit = models.ForeignKey(Kit, on_delete=models.PROTECT, related_name="reservations")
    organization_id = models.PositiveIntegerField(_("organization"), db_index=True)
    region_code = models.CharField(_("region"), max_length=40, db_index=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="kit_reservations"
    )
    ship_date = models.DateField(_("ship date"))
    due_date = models.DateField(_("due date"))
    blocked_from = models.DateField()
    blocked_until = models.DateField()
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.REQUESTED
    )
    program_note = models.TextField(
        _("what you plan to do with the kit"), max_length=2000, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decision_reason = models.TextField(blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    shipped_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    returned_at = models.DateTimeField(null=True, blank=True)
    returned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    return_notes = models.TextField(_("notes on the return"), blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    overdue_reminded_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["ship_date", "pk"]
        indexes = [models.Index(fields=["kit", "blocked_from"], name="engagement_kit_res_from")]
        constraints = [
            models.CheckConstraint(
                condition=Q(due_date__gt=F("ship_date")), name="engagement_kit_due_after_ship"
            ),
            models.CheckConstraint(
                condition=Q(blocked_from__lte=F("ship_date")) & Q(blocked_until__gt=F("due_date")),
                name="engagement_kit_blocked_covers_loan",
            ),
        ]
        verbose_name = _("kit reservation")
        verbose_name_plural = _("kit reservations")

    def __str__(self) -> str:
        return f"{self.kit} → {self.organization_id} ({self.ship_date})"


class KitReturnItem(models.Model):
    """What came back short at a return: one row per checklist item with a count."""

    reservation = models.ForeignKey(
        KitReservation, on_delete=models.CASCADE, related_name="return_items"
    )
    item = models.ForeignKey(KitItem, on_delete=models.PROTECT, related_name="+")
    missing = models.PositiveSmallIntegerField(_("missing"), default=0)
    damaged = models.PositiveSmallIntegerField(_("damaged"), default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["reservation", "item"], name="engagement_kit_return_item_once"
            )
        ]
        verbose_name = _("returned item")
        verbose_name_plural = _("returned items")

    def __str__(self) -> str:
        return f"{self.item}: {self.missing} missing, {self.damaged} damaged"


# --- Activity reports ---


class ActivityType(models.TextChoices):
    TRAINING = "training", _("Training")
    PRESENTATION = "presentation", _("Presentation")
    WEBINAR = "webinar", _("Webinar")
    SITE_VISIT = "site_visit", _("Site visit")
    EXHIBIT = "exhibit", _("Exhibit")


class ActivityDelivery(models.TextChoices):
    IN_PERSON = "in_person", _("In person")
    VIRTUAL = "virtual", _("Virtual")
    BOTH = "both", _("In person and virtual")


class ProfessionalRole(models.TextChoices):
    """The roles a report row counts. The registrants' roles are among them, so an event's
    attendance becomes rows without translation."""

    COMMUNITY_MEMBER = "community_member", _("Community member")
    LIBRARY_STAFF = "library_staff", _("Library staff")
    HEALTH_PROFESSIONAL = "health_professional", _("Health professional")
    PUBLIC_HEALTH_WORKER = "public_health_worker", _("Public health worker")
    EDUCATOR = "educator", _("Educator")
    STUDENT = "student", _("Student")
    RESEARCHER = "researcher", _("Researcher")
    OTHER = "other", _("Other")


class ActivityReport(models.Model):
    """What a member organization's activity reached: who came (rows of participants by
    postal code and role), reviewed by the specialist of the organization's region."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        ACCEPTED = "accepted", _("Accepted")
        RETURNED = "returned", _("Returned with comments")
        RESUBMITTED = "resubmitted", _("Resubmitted")

    organization_id = models.PositiveBigIntegerField(_("organization"))
    # The organization's region when the report was started: the specialists who review it.
    region_code = models.CharField(max_length=50, db_index=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="activity_reports",
        verbose_name=_("submitted by"),
    )
    activity_type = models.CharField(
        _("activity type"), max_length=20, choices=ActivityType.choices
    )
    delivery = models.CharField(_("delivery"), max_length=10, choices=ActivityDelivery.choices)
    activity_date = models.DateField(_("date"))
    title = models.CharField(_("title"), max_length=200)
    event = models.ForeignKey(
        Event,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="activity_reports",
        verbose_name=_("event"),
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    submitted_at = models.DateTimeField(null=True, blank=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="activity_reports_reviewed",
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_comments = models.TextField(_("comments"), max_length=4000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-activity_date", "-pk"]
        indexes = [
            models.Index(fields=["region_code", "status"], name="report_region_status"),
            models.Index(fields=["organization_id", "activity_date"], name="report_org_date"),
        ]
        verbose_name = _("activity report")
        verbose_name_plural = _("activity reports")

    def __str__(self) -> str:
        return self.title

    @property
    def is_editable(self) -> bool:
        return self.status in (self.Status.DRAFT, self.Status.RETURNED)

    @property
    def is_awaiting_review(self) -> bool:
        return self.status in (self.Status.SUBMITTED, self.Status.RESUBMITTED)


class ActivityReportRow(models.Model):
    """Participants of one role from one postal code."""

    report = models.ForeignKey(ActivityReport, on_delete=models.CASCADE, related_name="rows")
    participants = models.PositiveIntegerField(_("participants"))
    zip_code = models.CharField(_("ZIP code"), max_length=5)
    role = models.CharField(_("professional role"), max_length=30, choices=ProfessionalRole.choices)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(participants__gte=1), name="report_row_participants_positive"
            ),
        ]
        verbose_name = _("report row")
        verbose_name_plural = _("report rows")

    def __str__(self) -> str:
        return f"{self.participants} × {self.role} ({self.zip_code})"


# --- Engagement requests ---


class EngagementRequest(models.Model):
    """ "Design a program with us": a library asks the specialists of its region for help."""

    class Status(models.TextChoices):
        NEW = "new", _("New")
        IN_DISCUSSION = "in_discussion", _("In discussion")
        PLANNED = "planned", _("Planned")
        COMPLETED = "completed", _("Completed")
        DECLINED = "declined", _("Declined")

    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="engagement_requests"
    )
    organization_id = models.PositiveBigIntegerField(_("organization"), null=True, blank=True)
    state_code = models.CharField(_("state"), max_length=2)
    # The region of the state when the request came in: its specialists handle it.
    region_code = models.CharField(max_length=50, db_index=True)
    specialist = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="engagement_requests_assigned",
        verbose_name=_("specialist"),
    )
    audience = models.CharField(_("audience"), max_length=200)
    focus_area = models.CharField(_("topic"), max_length=30, choices=FocusArea.choices)
    language = models.CharField(_("language"), max_length=2, choices=EventLanguage.choices)
    preferred_date_1 = models.DateField(_("first preferred date"))
    preferred_date_2 = models.DateField(_("second preferred date"))
    preferred_date_3 = models.DateField(_("third preferred date"), null=True, blank=True)
    expected_attendance = models.PositiveIntegerField(_("expected attendance"))
    notes = models.TextField(_("notes"), max_length=4000, blank=True)
    status = models.CharField(max_length=15, choices=Status.choices, default=Status.NEW)
    event = models.ForeignKey(
        Event,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="engagement_requests",
        verbose_name=_("event"),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expected_attendance__gte=1), name="request_attendance_positive"
            ),
        ]
        verbose_name = _("engagement request")
        verbose_name_plural = _("engagement requests")

    def __str__(self) -> str:
        return f"{self.get_focus_area_display()}: {self.audience}"

    @property
    def preferred_dates(self) -> list[datetime.date]:
        dates = [self.preferred_date_1, self.preferred_date_2, self.preferred_date_3]
        return [day for day in dates if day is not None]


class RequestMilestone(models.Model):
    """A dated note on the way to the program ("Date set with the branch", "Flyer sent")."""

    request = models.ForeignKey(
        EngagementRequest, on_delete=models.CASCADE, related_name="milestones"
    )
    on = models.DateField(_("date"))
    # The status the request moved to, when the milestone is that move (shown in the
    # reader's language); blank for a note of the specialist's.
    status = models.CharField(
        max_length=15, choices=EngagementRequest.Status.choices, blank=True, default=""
    )
    note = models.CharField(_("milestone"), max_length=300, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["on", "pk"]
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")

    def __str__(self) -> str:
        return self.note


class RequestMessage(models.Model):
    """One message of the thread between the requester and the specialists."""

    request = models.ForeignKey(
        EngagementRequest, on_delete=models.CASCADE, related_name="messages"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(_("message"), max_length=4000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")

    def __str__(self) -> str:
        return self.body[:50]
