"""Resource sharing's panel on "My Tapestry": for a library's liaison, the requests waiting for
each library they act for (registered by the app's config)."""

from typing import Any

from tapestry.accounts.api import DashboardPanel
from tapestry.network.api import organizations_get
from tapestry.sharing.permissions import libraries_of
from tapestry.sharing.selectors import library_counts


def liaison_panels(user: Any) -> list[DashboardPanel]:
    """One panel listing each library with what waits: requests to answer, its open requests,
    patron requests to approve. None for someone who acts for no library."""
    library_ids = libraries_of(user)
    if not library_ids:
        return []
    names = organizations_get(organization_ids=library_ids)
    counts = library_counts(organization_ids=library_ids)
    rows = [
        {"library": names[pk], **counts[pk]}
        for pk in sorted(library_ids, key=lambda pk: names[pk].name if pk in names else "")
        if pk in names
    ]
    return [DashboardPanel(template="sharing/dashboard_panel.html", context={"rows": rows})]
