"""Panels other apps add to the signed-in person's dashboard ("My Tapestry").

accounts sits below the domain apps and may not import them, yet the dashboard should show,
say, when a liaison's annual review is due. So a domain app registers a panel provider here
(from its AppConfig.ready) and the dashboard asks every provider for the person's panels.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tapestry.accounts.models import User


@dataclass(frozen=True)
class DashboardPanel:
    """A template to include on the dashboard and the context it needs (as `panel`)."""

    template: str
    context: dict[str, Any] = field(default_factory=dict)


PanelProvider = Callable[[User], list[DashboardPanel]]

_providers: list[PanelProvider] = []


def dashboard_panel_register(provider: PanelProvider) -> None:
    """Add a provider of panels; registering the same one again changes nothing."""
    if provider not in _providers:
        _providers.append(provider)


def dashboard_panels(*, user: User) -> list[DashboardPanel]:
    """Every registered provider's panels for `user`, in the order providers registered."""
    return [panel for provider in _providers for panel in provider(user)]
