"""The Django admin of resource sharing, for administrators: lending policies and closures may
be corrected here (a library's liaison keeps them on its own pages); requests, their lenders,
deliveries, charges and the trail are only read — they change through the services, which keep
the routing, the one-fill rule and the ledger true."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from tapestry.sharing.models import (
    Charge,
    Closure,
    Delivery,
    Holding,
    HoldingRange,
    Lender,
    LendingPolicy,
    PatronAgreement,
    Request,
    RequestEvent,
)


class _ReadOnly:
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(LendingPolicy)
class LendingPolicyAdmin(admin.ModelAdmin[LendingPolicy]):
    list_display = (
        "organization_id",
        "lends",
        "lends_to_region",
        "lends_to_network",
        "lends_to_public_libraries",
        "fee_cents",
        "answer_business_days",
    )
    list_filter = ("lends", "lends_to_network", "accepts_patron_requests")
    search_fields = ("organization_id",)


@admin.register(Closure)
class ClosureAdmin(admin.ModelAdmin[Closure]):
    list_display = ("organization_id", "starts_on", "ends_on", "reason")
    search_fields = ("organization_id", "reason")


class HoldingRangeInline(_ReadOnly, admin.TabularInline[HoldingRange, Holding]):
    model = HoldingRange
    extra = 0
    fields = ("year_from", "year_to", "volume_from", "volume_to", "lendable")


@admin.register(Holding)
class HoldingAdmin(_ReadOnly, admin.ModelAdmin[Holding]):
    list_display = ("title", "issn", "isbn", "organization_id", "holding_format")
    search_fields = ("title", "issn", "isbn")
    list_filter = ("kind", "holding_format")
    inlines = [HoldingRangeInline]


class LenderInline(_ReadOnly, admin.TabularInline[Lender, Request]):
    model = Lender
    extra = 0
    fields = ("position", "organization_id", "fee_cents", "status", "reason", "asked_at", "due_at")


class RequestEventInline(_ReadOnly, admin.TabularInline[RequestEvent, Request]):
    model = RequestEvent
    extra = 0
    fields = ("at", "kind", "organization_id", "note")


@admin.register(Request)
class RequestAdmin(_ReadOnly, admin.ModelAdmin[Request]):
    list_display = ("reference", "title", "borrower_id", "status", "created_at")
    list_filter = ("status", "kind", "urgency")
    search_fields = ("title", "journal_title", "issn", "isbn")
    # The patron's reference and person stay out of the list; the detail shows them to admins.
    inlines = [LenderInline, RequestEventInline]


@admin.register(Delivery)
class DeliveryAdmin(_ReadOnly, admin.ModelAdmin[Delivery]):
    list_display = ("request", "method", "expires_at", "downloads", "purged_at")
    # The file itself is never linked here: only the borrowing library opens it.
    exclude = ("file",)


@admin.register(Charge)
class ChargeAdmin(_ReadOnly, admin.ModelAdmin[Charge]):
    list_display = ("request", "borrower_id", "lender_id", "amount_cents", "month")
    list_filter = ("month",)


@admin.register(PatronAgreement)
class PatronAgreementAdmin(_ReadOnly, admin.ModelAdmin[PatronAgreement]):
    list_display = ("organization_id", "person", "status", "created_at")
    list_filter = ("status",)
