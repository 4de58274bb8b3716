"""Community engagement's data: events and registrations, activity reports, program kits and
their reservations, engagement requests. The models of each part are below, one block per part."""

# --- Program kits ---
# Kits lent by mail and their reservations (ADR 0021). A reservation keeps the organization by
# id (the network's Organization is reached through network.api only) and the region code it
# belonged to when it was made, which routes it to that region's specialists.

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


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
    0002_kit_reservation_exclusion); on SQLite kit_reserve checks it with writes serialized.
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
