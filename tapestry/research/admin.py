from django.contrib import admin
from django.http import HttpRequest

from tapestry.research.models import Release


@admin.register(Release)
class ReleaseAdmin(admin.ModelAdmin):
    """Read-only: releases are built by `manage.py research_release`, never edited by hand.

    The summaries (raw counts) are not in the admin; staff see them, protected, on the
    diversity dashboard and in the Data Browser.
    """

    list_display = [
        "version",
        "status",
        "participants",
        "events",
        "cutoff_date",
        "started_at",
        "finished_at",
        "seconds",
    ]
    list_filter = ["status"]
    search_fields = ["version"]
    date_hierarchy = "started_at"
    readonly_fields = [
        "version",
        "status",
        "source_path",
        "warehouse_path",
        "participants",
        "events",
        "cutoff_date",
        "started_at",
        "finished_at",
        "seconds",
        "error",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Release | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Release | None = None) -> bool:
        return False
