"""Community engagement's panels on the dashboard ("My Tapestry"), one block per part;
registered in apps.EngagementConfig."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from tapestry.accounts.api import DashboardPanel

# --- Program kits ---
from tapestry.engagement.models import Kit, KitReservation
from tapestry.engagement.permissions import (
    kit_desk_is_staff,
    kit_organizations_of,
    kit_reservations_in_scope,
)


def kit_panels(user: Any) -> list[DashboardPanel]:
    """A liaison sees their organization's kits; the desk's staff what waits for them."""
    panels = []
    if kit_organizations_of(user):
        reservations = list(
            KitReservation.objects.filter(
                organization_id__in=kit_organizations_of(user),
                status__in=KitReservation.ACTIVE,
            )
            .select_related("kit")
            .order_by("ship_date")
        )
        panels.append(
            DashboardPanel(
                template="engagement/kits/dashboard_liaison.html",
                context={"reservations": reservations},
            )
        )
    if kit_desk_is_staff(user):
        queue = KitReservation.objects.filter(kit_reservations_in_scope(user))
        today = timezone.localdate()
        panels.append(
            DashboardPanel(
                template="engagement/kits/dashboard_desk.html",
                context={
                    "to_decide": queue.filter(status=KitReservation.Status.REQUESTED).count(),
                    "to_ship": queue.filter(status=KitReservation.Status.APPROVED).count(),
                    "overdue": queue.filter(
                        status=KitReservation.Status.SHIPPED, due_date__lt=today
                    ).count(),
                    "held": Kit.objects.filter(held=True).count(),
                },
            )
        )
    return panels


# --- Outreach dashboard ---
from tapestry.engagement.outreach import outreach_scope  # noqa: E402


def outreach_panels(user: Any) -> list[DashboardPanel]:
    """Whoever may see outreach figures (staff, specialists, liaisons) gets the way to them; the
    panel counts nothing itself, so "My Tapestry" stays quick."""
    scope = outreach_scope(user)
    if scope is None:
        return []
    return [
        DashboardPanel(
            template="engagement/outreach/dashboard_panel.html",
            context={"everyone": scope.everyone, "regions": len(scope.region_codes)},
        )
    ]
