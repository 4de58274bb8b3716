"""The Django admin of community engagement, for administrators, one block per part."""

# --- Events ---

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from tapestry.core.api import audit_record
from tapestry.engagement.models import Event, Registration


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


# --- Activity reports ---

from tapestry.engagement.models import ActivityReport, ActivityReportRow  # noqa: E402


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

from tapestry.engagement.models import (  # noqa: E402
    EngagementRequest,
    RequestMessage,
    RequestMilestone,
)


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
