"""What the other apps may use from accounts: roles and API-token authentication."""

from collections.abc import Iterable

from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from tapestry.accounts.dashboard import DashboardPanel, dashboard_panel_register
from tapestry.accounts.models import ApiToken, User
from tapestry.accounts.roles import Role

__all__ = [  # noqa: F822 - PERSONAS and persona_ensure load lazily below
    "PERSONAS",
    "AuthenticatedRequest",
    "DashboardPanel",
    "Role",
    "User",
    "dashboard_panel_register",
    "email_is_verified",
    "persona_ensure",
    "role_grant",
    "user_from_api_token",
    "user_has_role",
    "users_with_role",
]


class AuthenticatedRequest(HttpRequest):
    """The request of a view behind login_required: `user` is a signed-in User."""

    user: User  # type: ignore[assignment]


def user_has_role(user, *roles: Role) -> bool:
    """True if the signed-in user holds any of the roles. Superusers hold every role."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    names = {role.value for role in roles}
    cached = getattr(user, "_role_names", None)
    if cached is None:
        cached = set(user.groups.values_list("name", flat=True))
        user._role_names = cached
    return bool(names & cached)


def users_with_role(role: Role) -> QuerySet[User]:
    return User.objects.filter(groups__name=role.value, is_active=True)


def role_grant(*, user: User, roles: Iterable[Role]) -> None:
    """Add roles to a user (used by staff tools, demo data and tests)."""
    for role in roles:
        group, _created = Group.objects.get_or_create(name=role.value)
        user.groups.add(group)
    user.__dict__.pop("_role_names", None)


def user_from_api_token(raw_token: str) -> User | None:
    """The active user a live token belongs to, or None."""
    token = (
        ApiToken.objects.select_related("user")
        .filter(token_hash=ApiToken.hash(raw_token), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return token.user


def email_is_verified(*, user: User, email: str) -> bool:
    """True if `email` is one of the user's addresses that they proved they receive (any case)."""
    return EmailAddress.objects.filter(user=user, email__iexact=email, verified=True).exists()


def __getattr__(name: str):
    # Personas are demo and test fixtures; load them only when asked for.
    if name in {"PERSONAS", "DEMO_TOTP_SECRET", "persona_ensure"}:
        from tapestry.accounts import personas

        return getattr(personas, name)
    raise AttributeError(name)
