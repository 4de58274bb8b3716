"""The Django admin of resources, for administrators. Focus areas and audiences (the
vocabularies) are edited here. Resources, their texts, score sheets and events are only read
here: words change on the staff pages (/resources/staff/), whose services clean the HTML, score
readability and keep the review rules, and the published copy changes only by publishing."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from tapestry.resources.models import (
    Audience,
    ClearCommunicationReview,
    FocusArea,
    Resource,
    ResourceEvent,
    ResourceText,
)


class _ReadOnly:
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(FocusArea)
class FocusAreaAdmin(admin.ModelAdmin[FocusArea]):
    list_display = ("name_en", "name_es", "slug", "position")
    ordering = ("position",)


@admin.register(Audience)
class AudienceAdmin(admin.ModelAdmin[Audience]):
    list_display = ("name_en", "name_es", "slug", "position")
    ordering = ("position",)


class ResourceTextInline(_ReadOnly, admin.StackedInline[ResourceText, Resource]):
    model = ResourceText
    extra = 0
    can_delete = False
    fields = (
        "staff_page",
        "language",
        "status",
        "title",
        "meets_target",
        "author",
        "last_edited_by",
        "reviewer",
        "published_title",
        "published_summary",
        "published_body",
        "published_at",
        "first_published_at",
        "above_target_reason",
    )
    readonly_fields = fields

    @admin.display(description=_("staff page"))
    def staff_page(self, text: ResourceText) -> SafeString:
        return format_html(
            '<a href="{}">{}</a>', reverse("resources:staff_text", args=[text.pk]), text.title
        )


@admin.register(Resource)
class ResourceAdmin(_ReadOnly, admin.ModelAdmin[Resource]):
    list_display = ("__str__", "kind", "critical", "created_by", "created_at")
    list_filter = ("kind", "critical", "focus_areas")
    search_fields = ("texts__title",)
    fields = ("kind", "critical", "focus_areas", "audiences", "created_by", "created_at")
    readonly_fields = fields
    inlines = (ResourceTextInline,)


@admin.register(ClearCommunicationReview)
class ClearCommunicationReviewAdmin(_ReadOnly, admin.ModelAdmin[ClearCommunicationReview]):
    list_display = ("text", "reviewer", "score", "passed", "created_at")
    list_filter = ("passed",)
    fields = ("text", "reviewer", "score", "passed", "answers", "created_at")
    readonly_fields = fields


@admin.register(ResourceEvent)
class ResourceEventAdmin(_ReadOnly, admin.ModelAdmin[ResourceEvent]):
    list_display = ("text", "action", "actor", "created_at")
    list_filter = ("action",)
    fields = ("text", "action", "actor", "note", "created_at")
    readonly_fields = fields
