from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from tapestry.research.models import Release, RuralZipList


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
        "rural_lists",
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
        "rural_zip_lists",
        "error",
    ]

    @admin.display(description=_("rural ZIP lists"))
    def rural_lists(self, obj: Release) -> str:
        """Which FORHP lists the build used, or that geography is unknown without one."""
        if not obj.rural_zip_lists:
            return str(_("none (geography unknown)"))
        return ", ".join(
            f"{item['name']} ({item['effective_from']})" for item in obj.rural_zip_lists
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Release | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Release | None = None) -> bool:
        return False


@admin.register(RuralZipList)
class RuralZipListAdmin(admin.ModelAdmin):
    """Read-only: lists are loaded with `manage.py research_load_rural_zips`."""

    list_display = ["name", "effective_from", "count", "source_file", "loaded_at"]
    readonly_fields = ["name", "source_file", "effective_from", "loaded_at", "count"]
    exclude = ["zip_codes"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: RuralZipList | None = None) -> bool:
        return False
