from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from tapestry.research.models import (
    AccessBypass,
    ConductVersion,
    IdentityAttestation,
    Institution,
    InstitutionDomain,
    Release,
    ResearchLogEntry,
    RuralZipList,
)
from tapestry.research.services import (
    AccessRefused,
    conduct_publish,
    institution_domain_normalize,
)


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


# --- Researcher access ---------------------------------------------------------------------
# Identity confirmations and bypasses change through the staff pages (research/staff/), whose
# services write the research log; here they are read-only.


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class InstitutionDomainForm(forms.ModelForm):
    class Meta:
        model = InstitutionDomain
        fields = ["domain"]

    def clean_domain(self) -> str:
        try:
            return institution_domain_normalize(self.cleaned_data["domain"])
        except AccessRefused as refusal:
            raise forms.ValidationError(str(refusal)) from refusal


class InstitutionDomainInline(admin.TabularInline):
    model = InstitutionDomain
    form = InstitutionDomainForm
    extra = 1


@admin.register(Institution)
class InstitutionAdmin(admin.ModelAdmin):
    """Institutions and their agreements. A domain is stored in lower case and belongs to one
    institution; researchers qualify while the agreement is in force."""

    list_display = [
        "name",
        "agreement_signed_on",
        "agreement_expires_on",
        "controlled_tier",
        "domain_list",
    ]
    search_fields = ["name", "domains__domain"]
    inlines = [InstitutionDomainInline]

    @admin.display(description=_("email domains"))
    def domain_list(self, obj: Institution) -> str:
        return ", ".join(domain.domain for domain in obj.domains.all())

    def get_queryset(self, request: HttpRequest) -> QuerySet[Institution]:
        return super().get_queryset(request).prefetch_related("domains")


@admin.register(ConductVersion)
class ConductVersionAdmin(admin.ModelAdmin):
    """Adding a version publishes it at once (every researcher must sign it again), through
    `conduct_publish`, so it is numbered and logged; a published text never changes."""

    list_display = ["version", "published_at"]
    fields = ["text_en", "text_es"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(
        self, request: HttpRequest, obj: ConductVersion, form: Any, change: bool
    ) -> None:
        published = conduct_publish(actor=request.user, text_en=obj.text_en, text_es=obj.text_es)
        obj.pk, obj.version, obj.published_at = (
            published.pk,
            published.version,
            published.published_at,
        )


@admin.register(ResearchLogEntry)
class ResearchLogEntryAdmin(_ReadOnly):
    """The research log, append-only: read here, search on the staff log page."""

    list_display = ["at", "user", "action", "workspace", "summary", "actor"]
    list_filter = ["action"]
    search_fields = ["user__email", "summary"]
    date_hierarchy = "at"


@admin.register(IdentityAttestation)
class IdentityAttestationAdmin(_ReadOnly):
    list_display = ["user", "method", "attested_by", "attested_at", "withdrawn_at"]
    search_fields = ["user__email"]


@admin.register(AccessBypass)
class AccessBypassAdmin(_ReadOnly):
    list_display = ["user", "requirement", "ends_on", "granted_by", "withdrawn_at"]
    list_filter = ["requirement"]
    search_fields = ["user__email"]
