"""The events panel on the dashboard ("My Tapestry"); registered in apps.EngagementConfig."""

from typing import Any

from django.utils import timezone

from tapestry.accounts.api import DashboardPanel, Role, user_has_role
from tapestry.engagement import selectors


def events_panels(user: Any) -> list[DashboardPanel]:
    """Liaisons and specialists see their next events (seats taken) and the way to more."""
    if not user_has_role(user, Role.LIAISON, Role.ENGAGEMENT_SPECIALIST):
        return []
    upcoming = list(
        selectors.events_manageable(user=user)
        .filter(ends_at__gt=timezone.now())
        .order_by("starts_at", "pk")[:3]
    )
    return [
        DashboardPanel(
            template="engagement/events/dashboard_panel.html", context={"events": upcoming}
        )
    ]
