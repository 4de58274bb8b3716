"""The surveys' panel on the dashboard ("My Tapestry"); registered in apps.SurveysConfig."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tapestry.accounts.api import DashboardPanel, Role, user_has_role
from tapestry.surveys import selectors

if TYPE_CHECKING:
    from tapestry.accounts.api import User


def authoring_panels(user: User) -> list[DashboardPanel]:
    """Program staff and administrators see their instruments at a glance."""
    if not user_has_role(user, Role.PROGRAM_STAFF, Role.ADMINISTRATOR):
        return []
    return [
        DashboardPanel(
            template="surveys/authoring/dashboard_panel.html",
            context=selectors.authoring_summary(),
        )
    ]
