"""Who may act on which part of the network. Deny unless a rule here allows."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet

from tapestry.accounts.api import Role, user_has_role
from tapestry.network.models import Organization, Region

if TYPE_CHECKING:
    from tapestry.accounts.api import User

# A request's user: signed in, or not.
type AnyUser = User | AnonymousUser


def regions_for_specialist(user: AnyUser) -> QuerySet[Region]:
    """The regions whose applications and records this person may act on.

    Administrators cover every region; an engagement specialist covers the regions assigned
    to them; everyone else covers none.
    """
    if user_has_role(user, Role.ADMINISTRATOR):
        return Region.objects.all()
    if user_has_role(user, Role.ENGAGEMENT_SPECIALIST):
        return Region.objects.filter(specialists__user=user.pk)
    return Region.objects.none()


def is_network_staff(user: AnyUser) -> bool:
    return user_has_role(user, Role.ENGAGEMENT_SPECIALIST, Role.PROGRAM_STAFF, Role.ADMINISTRATOR)


def regions_for_export(user: AnyUser) -> QuerySet[Region] | None:
    """None means every region (program staff and administrators)."""
    if user_has_role(user, Role.PROGRAM_STAFF, Role.ADMINISTRATOR):
        return None
    return regions_for_specialist(user)


def organizations_editable_by(user: AnyUser) -> QuerySet[Organization]:
    """A liaison reviews and edits only the records they are liaison for."""
    if not getattr(user, "is_authenticated", False):
        return Organization.objects.none()
    return Organization.objects.filter(liaison=user.pk)
