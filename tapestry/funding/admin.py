"""The Django admin of funding, for administrators: calls with their checklist and rubric are
edited here; applications and awards are read here and move only through the services (the transition
table, invoice and report rules, their audit trails), so they are read-only."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from tapestry.funding.models import (
    Application,
    Attachment,
    Award,
    AwardChange,
    AwardReport,
    BudgetLine,
    ConflictOfInterest,
    ExtensionRequest,
    Invoice,
    Opportunity,
    PublishedMaterial,
    ReviewAssignment,
    RubricCriterion,
    ScreeningItem,
    StatusChange,
)


class ScreeningItemInline(admin.TabularInline[ScreeningItem, Opportunity]):
    model = ScreeningItem
    extra = 0


class RubricCriterionInline(admin.TabularInline[RubricCriterion, Opportunity]):
    model = RubricCriterion
    extra = 0


@admin.register(Opportunity)
class OpportunityAdmin(admin.ModelAdmin[Opportunity]):
    list_display = ("title", "deadline", "maximum_amount", "awards_available", "published_at")
    search_fields = ("title", "title_es")
    inlines = (ScreeningItemInline, RubricCriterionInline)
    readonly_fields = ("published_at", "created_by")

    def save_model(self, request: HttpRequest, obj: Opportunity, form: Any, change: bool) -> None:
        if not change:
            obj.created_by = request.user  # type: ignore[assignment]
        super().save_model(request, obj, form, change)


class _ReadOnlyInline:
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class BudgetLineInline(_ReadOnlyInline, admin.TabularInline[BudgetLine, Application]):
    model = BudgetLine


class StatusChangeInline(_ReadOnlyInline, admin.TabularInline[StatusChange, Application]):
    model = StatusChange
    fields = ("changed_at", "from_status", "to_status", "actor", "reason")
    readonly_fields = fields


class ReviewAssignmentInline(_ReadOnlyInline, admin.TabularInline[ReviewAssignment, Application]):
    model = ReviewAssignment
    fields = ("reviewer", "assigned_by", "assigned_at", "submitted_at")
    readonly_fields = fields


class AttachmentInline(_ReadOnlyInline, admin.TabularInline[Attachment, Application]):
    model = Attachment
    fields = ("name", "content_type", "size", "uploaded_by", "uploaded_at")
    readonly_fields = fields


@admin.register(Application)
class ApplicationAdmin(admin.ModelAdmin[Application]):
    list_display = ("tracking_number", "opportunity", "organization_id", "status", "submitted_at")
    list_filter = ("status", "opportunity")
    search_fields = ("tracking_number", "project_title")
    inlines = (BudgetLineInline, AttachmentInline, ReviewAssignmentInline, StatusChangeInline)
    readonly_fields = (
        "opportunity",
        "organization_id",
        "status",
        "tracking_number",
        "submitted_at",
        "created_by",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(ConflictOfInterest)
class ConflictOfInterestAdmin(admin.ModelAdmin[ConflictOfInterest]):
    list_display = ("reviewer", "organization_id", "reason", "declared_at")
    search_fields = ("reviewer__email", "reason")


class InvoiceInline(_ReadOnlyInline, admin.TabularInline[Invoice, Award]):
    model = Invoice
    fields = ("number", "billing_month", "invoice_date", "amount", "status", "submitted_by")
    readonly_fields = fields


class AwardReportInline(_ReadOnlyInline, admin.TabularInline[AwardReport, Award]):
    model = AwardReport
    fields = ("kind", "due_on", "submitted_at", "submitted_by")
    readonly_fields = fields


class ExtensionRequestInline(_ReadOnlyInline, admin.TabularInline[ExtensionRequest, Award]):
    model = ExtensionRequest
    fields = ("requested_end", "reason", "status", "requested_by", "requested_at")
    readonly_fields = fields


class PublishedMaterialInline(_ReadOnlyInline, admin.TabularInline[PublishedMaterial, Award]):
    model = PublishedMaterial
    fields = ("title", "url", "acknowledgement_found", "added_by", "added_at")
    readonly_fields = fields


class AwardChangeInline(_ReadOnlyInline, admin.TabularInline[AwardChange, Award]):
    model = AwardChange
    fields = ("changed_at", "subject", "subject_id", "from_status", "to_status", "actor", "reason")
    readonly_fields = fields


@admin.register(Award)
class AwardAdmin(admin.ModelAdmin[Award]):
    list_display = ("number", "organization_id", "region_code", "amount", "period_end", "status")
    list_filter = ("status", "region_code")
    search_fields = ("number",)
    inlines = (
        InvoiceInline,
        AwardReportInline,
        ExtensionRequestInline,
        PublishedMaterialInline,
        AwardChangeInline,
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
