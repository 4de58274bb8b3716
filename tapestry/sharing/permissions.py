"""Who may act for which library in resource sharing (deny by default).

A library acts through its liaison: they keep its holdings and policy, send its requests, answer
the requests it is asked to lend, and read its statements. Program staff and administrators read
every library's figures (the network's fill rates, the ledger) but never act for a library.
"""

from typing import Any

from tapestry.accounts.api import Role, user_has_role
from tapestry.network.api import organizations_of_liaison


def libraries_of(user: Any) -> list[int]:
    """The ids of the member libraries this person acts for: those they are the liaison of."""
    if not getattr(user, "is_authenticated", False):
        return []
    return organizations_of_liaison(user_id=user.pk)


def acts_for(user: Any, organization_id: int) -> bool:
    return organization_id in libraries_of(user)


def sees_network_figures(user: Any) -> bool:
    """Program staff and administrators read the whole network's figures and statements."""
    return user_has_role(user, Role.PROGRAM_STAFF, Role.ADMINISTRATOR)
