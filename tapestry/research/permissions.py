"""Who may see what of the research data. Deny unless a rule here allows.

The Data Browser is public and needs no rule: it shows only protected aggregate counts.
"""

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser

from tapestry.accounts.api import Role, user_has_role


def can_view_diversity_dashboard(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Program staff and administrators follow enrollment and diversity, overall and per
    site, and may export the same figures as CSV. Nobody else may."""
    return user_has_role(user, Role.PROGRAM_STAFF, Role.ADMINISTRATOR)
