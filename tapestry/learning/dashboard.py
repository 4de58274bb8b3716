"""The training panel on the dashboard ("My Tapestry"); registered in apps.LearningConfig."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tapestry.accounts.api import DashboardPanel
from tapestry.learning import selectors

if TYPE_CHECKING:
    from tapestry.accounts.api import User


def learning_panels(user: User) -> list[DashboardPanel]:
    """A person with required training or courses in progress sees where they stand."""
    requirements = selectors.compliance_of(user_id=user.pk)
    enrollments = selectors.enrollments_of(user_id=user.pk)
    if not requirements and not enrollments:
        return []
    return [
        DashboardPanel(
            template="learning/dashboard_panel.html",
            context={"requirements": requirements, "enrollments": enrollments[:5]},
        )
    ]
