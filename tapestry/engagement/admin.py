"""The Django admin of community engagement, for administrators, one block per part."""

from typing import Any

from django.conf import settings
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from tapestry.core.api import audit_record
from tapestry.engagement.models import (
    ActivityReport,
    ActivityReportRow,
    EngagementRequest,
    Event,
    Kit,
    KitItem,
    KitLanguageTag,
    KitPhoto,
    KitReservation,
    KitReturnItem,
    KitTopicTag,
    Registration,
    RequestMessage,
    RequestMilestone,
)

# --- Events ---


class RegistrationInline(admin.TabularInline[Registration, Event]):
    """Registrants are shown, never edited here: seats move only through the services (the
    waitlist, the row lock, the emails). Names and emails disappear after retention."""

    model = Registration
    extra = 0
    can_delete = False
    fields = ("name", "email", "status", "attended", "confirmed_at", "anonymized_at")
    readonly_fields = fields
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Event)
class EventAdmin(admin.ModelAdmin[Event]):
    list_display = ("title", "starts_at", "status", "format", "language", "region_code", "capacity")
    list_filter = ("status", "format", "language", "focus_area", "region_code")
    search_fields = ("title", "city", "zip_code")
    date_hierarchy = "starts_at"
    # The place is set by the event pages (which locate its ZIP code and region).
    readonly_fields = (
        "organization_id",
        "address_line1",
        "city",
        "state_code",
        "zip_code",
        "region_code",
        "latitude",
        "longitude",
        "organizer",
        "published_at",
        "cancelled_at",
        "reminders_sent_at",
        "evaluation_sent_at",
        "registrants_anonymized_at",
        "created_at",
        "updated_at",
    )
    inlines = [RegistrationInline]

    def save_model(self, request: HttpRequest, obj: Event, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        audit_record(
            actor=request.user,
            action="engagement.admin_change",
            target=obj,
            summary=f"{'Changed' if change else 'Added'} event {obj.pk} in the admin",
        )


# --- Program kits ---
# Kits are written here: names and descriptions in both languages, the contents checklist,
# photos (checked by content when uploaded: Pillow must open them) with their descriptions,
# topics and languages. Reservations are shown, never changed: the desk's pages and the
# services keep the calendar rules, the emails and the audit trail.


class KitPhotoForm(ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = KitPhoto
        fields = ["position", "image", "alt_text", "alt_text_es"]

    def clean_image(self) -> Any:
        image = self.cleaned_data["image"]
        if image and getattr(image, "size", 0) > settings.ENGAGEMENT_KIT_PHOTO_MAX_BYTES:
            raise ValidationError(
                _("The photo is larger than %(megabytes)d MB; please send a smaller one.")
                % {"megabytes": settings.ENGAGEMENT_KIT_PHOTO_MAX_BYTES // (1024 * 1024)}
            )
        return image


class KitItemInline(admin.TabularInline):  # type: ignore[type-arg]
    model = KitItem
    extra = 1
    fields = ["position", "name", "name_es", "quantity"]


class KitPhotoInline(admin.TabularInline):  # type: ignore[type-arg]
    model = KitPhoto
    form = KitPhotoForm
    extra = 0


class KitTopicInline(admin.TabularInline):  # type: ignore[type-arg]
    model = KitTopicTag
    extra = 0


class KitLanguageInline(admin.TabularInline):  # type: ignore[type-arg]
    model = KitLanguageTag
    extra = 0


@admin.register(Kit)
class KitAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["name", "slug", "active", "held"]
    list_filter = ["active", "held", "topic_tags__topic"]
    search_fields = ["name", "name_es", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["held", "held_since", "created_at"]
    inlines = [KitItemInline, KitPhotoInline, KitTopicInline, KitLanguageInline]

    def save_model(self, request: HttpRequest, obj: Kit, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        audit_record(
            actor=request.user,
            action="kit.admin_change",
            target=obj,
            summary=f"{'Changed' if change else 'Added'} kit {obj.name} in the admin",
        )


class KitReturnItemInline(admin.TabularInline):  # type: ignore[type-arg]
    model = KitReturnItem
    extra = 0
    can_delete = False
    readonly_fields = ["item", "missing", "damaged"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(KitReservation)
class KitReservationAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["kit", "organization_id", "region_code", "ship_date", "due_date", "status"]
    list_filter = ["status", "region_code", "kit"]
    date_hierarchy = "ship_date"
    inlines = [KitReturnItemInline]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# --- Activity reports ---


class ActivityReportRowInline(admin.TabularInline[ActivityReportRow, ActivityReport]):
    model = ActivityReportRow
    extra = 0


@admin.register(ActivityReport)
class ActivityReportAdmin(admin.ModelAdmin[ActivityReport]):
    """Reports are read and corrected here; the review (accept, return) and its emails go
    through the report pages, so the workflow's fields are read-only."""

    list_display = ("title", "activity_date", "activity_type", "status", "region_code")
    list_filter = ("status", "activity_type", "delivery", "region_code")
    search_fields = ("title",)
    date_hierarchy = "activity_date"
    readonly_fields = (
        "organization_id",
        "region_code",
        "author",
        "status",
        "submitted_at",
        "reviewer",
        "reviewed_at",
        "review_comments",
        "created_at",
        "updated_at",
    )
    raw_id_fields = ("event",)
    inlines = [ActivityReportRowInline]

    def save_model(
        self, request: HttpRequest, obj: ActivityReport, form: Any, change: bool
    ) -> None:
        super().save_model(request, obj, form, change)
        audit_record(
            actor=request.user,
            action="engagement.admin_change",
            target=obj,
            summary=f"{'Changed' if change else 'Added'} activity report {obj.pk} in the admin",
        )


# --- Engagement requests ---


class RequestMilestoneInline(admin.TabularInline[RequestMilestone, EngagementRequest]):
    model = RequestMilestone
    extra = 0
    fields = ("on", "note", "author")
    readonly_fields = ("author",)


class RequestMessageInline(admin.TabularInline[RequestMessage, EngagementRequest]):
    """The thread is shown, never edited: each message was emailed as written."""

    model = RequestMessage
    extra = 0
    can_delete = False
    fields = ("created_at", "author", "body")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(EngagementRequest)
class EngagementRequestAdmin(admin.ModelAdmin[EngagementRequest]):
    list_display = ("__str__", "state_code", "region_code", "status", "specialist", "created_at")
    list_filter = ("status", "region_code", "focus_area", "language")
    search_fields = ("audience", "notes")
    readonly_fields = ("requester", "organization_id", "event", "created_at", "updated_at")
    raw_id_fields = ("specialist",)
    inlines = [RequestMilestoneInline, RequestMessageInline]

    def save_model(
        self, request: HttpRequest, obj: EngagementRequest, form: Any, change: bool
    ) -> None:
        super().save_model(request, obj, form, change)
        audit_record(
            actor=request.user,
            action="engagement.admin_change",
            target=obj,
            summary=f"{'Changed' if change else 'Added'} engagement request {obj.pk} in the admin",
        )
