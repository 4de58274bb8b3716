"""Who may see or do what in community engagement (deny by default), one block per part."""

# --- Program kits ---
# The lending desk: program staff and administrators act on every reservation; an engagement
# specialist on those of organizations in the regions they cover; a liaison on their own
# organizations' reservations. Everyone else: nothing.

from typing import Any

from django.db.models import Q

from tapestry.accounts.api import Role, user_has_role
from tapestry.network.api import organizations_of_liaison, region_codes_of_specialist


def kit_desk_is_staff(user: Any) -> bool:
    """Whether this person works the kit desk (a specialist, program staff, an administrator)."""
    return user_has_role(user, Role.ENGAGEMENT_SPECIALIST, Role.PROGRAM_STAFF, Role.ADMINISTRATOR)


def kit_reservations_in_scope(user: Any) -> Q:
    """The reservations this person handles at the desk, as a filter (none if not staff)."""
    if not getattr(user, "is_authenticated", False):
        return Q(pk__in=[])
    if user_has_role(user, Role.PROGRAM_STAFF, Role.ADMINISTRATOR):
        return Q()
    if user_has_role(user, Role.ENGAGEMENT_SPECIALIST):
        return Q(region_code__in=region_codes_of_specialist(user_id=user.pk))
    return Q(pk__in=[])


def kit_organizations_of(user: Any) -> list[int]:
    """The organizations this person may reserve kits for: those they are the liaison of."""
    if not getattr(user, "is_authenticated", False):
        return []
    return organizations_of_liaison(user_id=user.pk)
