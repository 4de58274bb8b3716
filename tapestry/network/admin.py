from django.contrib import admin

from tapestry.network.models import (
    MembershipApplication,
    Organization,
    Region,
    RegionMap,
    RegionSpecialist,
    RegionState,
    ReviewReminder,
    StateTerritory,
)


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "org_type",
        "city",
        "state",
        "zip_code",
        "liaison_name",
        "last_reviewed_on",
    ]
    list_filter = ["org_type", "state"]
    search_fields = ["name", "city", "zip_code", "liaison_name", "liaison_email", "library_id"]
    raw_id_fields = ["liaison"]
    date_hierarchy = "joined_on"


@admin.register(MembershipApplication)
class MembershipApplicationAdmin(admin.ModelAdmin):
    list_display = ["name", "org_type", "state", "region", "status", "submitted_at", "decided_by"]
    list_filter = ["status", "region", "org_type"]
    search_fields = ["name", "city", "zip_code", "applicant__email"]
    raw_id_fields = ["applicant", "decided_by", "organization"]


class RegionStateInline(admin.TabularInline):
    model = RegionState
    extra = 0


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "region_map"]
    list_filter = ["region_map"]
    inlines = [RegionStateInline]


@admin.register(RegionMap)
class RegionMapAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "effective_from", "effective_to"]


@admin.register(RegionSpecialist)
class RegionSpecialistAdmin(admin.ModelAdmin):
    list_display = ["user", "region"]
    list_filter = ["region"]
    raw_id_fields = ["user"]


@admin.register(StateTerritory)
class StateTerritoryAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_es", "kind"]
    list_filter = ["kind"]


@admin.register(ReviewReminder)
class ReviewReminderAdmin(admin.ModelAdmin):
    list_display = ["organization", "due_on", "days_before", "sent_at"]
    raw_id_fields = ["organization"]
