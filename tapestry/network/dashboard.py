"""The network's panels on the dashboard ("My Tapestry"); registered in apps.NetworkConfig."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils import timezone

from tapestry.accounts.api import DashboardPanel
from tapestry.network import selectors

if TYPE_CHECKING:
    from tapestry.accounts.api import User


def review_due_panels(user: User) -> list[DashboardPanel]:
    """One panel per organization the person is liaison for: when its annual review is due."""
    today = timezone.localdate()
    return [
        DashboardPanel(
            template="network/dashboard_review_panel.html",
            context={
                "organization": organization,
                "due_on": organization.review_due_on,
                "days_left": (organization.review_due_on - today).days,
                "days_overdue": (today - organization.review_due_on).days,
            },
        )
        for organization in selectors.organizations_for_liaison(user=user).order_by(
            "last_reviewed_on", "name"
        )
    ]
