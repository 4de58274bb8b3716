"""The researcher workbench's panels on "My Tapestry" (registered from apps.py)."""

from typing import Any

from tapestry.accounts.api import DashboardPanel
from tapestry.research.access import access_of
from tapestry.research.permissions import can_manage_research_access, is_researcher


def workbench_panels(user: Any) -> list[DashboardPanel]:
    """A researcher's tier and what they still need; program staff's way to the researchers
    and the research log."""
    panels = []
    if is_researcher(user):
        state = access_of(user)
        panels.append(
            DashboardPanel(
                template="research/workbench/dashboard_panel.html",
                context={"access": state, "missing": state.missing()},
            )
        )
    if can_manage_research_access(user):
        panels.append(DashboardPanel(template="research/workbench/dashboard_staff_panel.html"))
    return panels
