"""What the other apps may use from accounts: roles, people as plain values, API tokens.

Other apps never query the user model: they hold user ids (their foreign keys) and ask here
for the few facts they need about a person (`Person`: name, email, language).
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from allauth.account.models import EmailAddress
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser, Group
from django.db import transaction
from django.http import HttpRequest

from tapestry.accounts.dashboard import DashboardPanel, dashboard_panel_register
from tapestry.accounts.models import ApiTokenScope
from tapestry.accounts.models import User as _User
from tapestry.accounts.roles import Role
from tapestry.accounts.tokens import ApiTokenAuth, ApiTokenRefused, TokenCheck, token_check

if TYPE_CHECKING:
    # For annotations only (a view's `request.user`); other apps do not query it.
    from tapestry.accounts.models import User

__all__ = [  # noqa: F822 - PERSONAS and persona_ensure load lazily below
    "PERSONAS",
    "ApiTokenAuth",
    "ApiTokenRefused",
    "ApiTokenScope",
    "AuthenticatedRequest",
    "DashboardPanel",
    "Person",
    "Role",
    "TokenCheck",
    "dashboard_panel_register",
    "email_is_verified",
    "people_get",
    "people_with_role",
    "person_ensure",
    "person_get",
    "person_roles",
    "persona_ensure",
    "role_grant",
    "role_granted_register",
    "token_check",
    "user_has_role",
]


class AuthenticatedRequest(HttpRequest):
    """The request of a view behind login_required: `user` is a signed-in person."""

    user: "User"  # type: ignore[assignment]


@dataclass(frozen=True)
class Person:
    """What another app may know about a person: enough to address and greet them."""

    id: int
    name: str  # their whole name as they gave it ("Dr. Aisha Bello"), else their email
    email: str
    language: str  # "en" or "es"


def _person(user: _User) -> Person:
    return Person(
        id=user.pk, name=user.get_full_name(), email=user.email, language=user.preferred_language
    )


def person_get(*, user_id: int | None) -> Person | None:
    """The active person with this id, or None (no such person, or deactivated)."""
    if user_id is None:
        return None
    user = _User.objects.filter(pk=user_id, is_active=True).first()
    return _person(user) if user is not None else None


def people_get(*, user_ids: Iterable[int]) -> list[Person]:
    """The active people among these ids, ordered by email."""
    return [
        _person(user)
        for user in _User.objects.filter(pk__in=list(user_ids), is_active=True).order_by("email")
    ]


def people_with_role(*, role: Role) -> list[Person]:
    """Active people holding a role, ordered by email."""
    return [
        _person(user)
        for user in _User.objects.filter(groups__name=role.value, is_active=True)
        .distinct()
        .order_by("email")
    ]


def person_roles(*, user_id: int) -> list[Role]:
    """The roles a person holds, in the order `Role` lists them."""
    names = set(Group.objects.filter(user=user_id).values_list("name", flat=True))
    return [role for role in Role if role.value in names]


def user_has_role(user: AbstractBaseUser | AnonymousUser | None, *roles: Role) -> bool:
    """True if the signed-in user holds any of the roles. Superusers hold every role."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if getattr(user, "is_superuser", False):
        return True
    names = {role.value for role in roles}
    cached: set[str] | None = getattr(user, "_role_names", None)
    if cached is None:
        cached = set(Group.objects.filter(user=user.pk).values_list("name", flat=True))
        user._role_names = cached  # type: ignore[union-attr,attr-defined]
    return bool(names & cached)


RoleGrantedListener = Callable[..., object]
_role_granted_listeners: list[RoleGrantedListener] = []


def role_granted_register(listener: RoleGrantedListener) -> None:
    """Have `listener(user_id=..., roles=[...])` called, in the granting transaction, whenever
    `role_grant` adds roles: learning assigns the courses a role requires. (accounts may not
    import the domain apps; they register from their AppConfig.ready.)"""
    if listener not in _role_granted_listeners:
        _role_granted_listeners.append(listener)


def role_grant(*, user_id: int, roles: Iterable[Role]) -> None:
    """Add roles to a person (used by staff tools, demo data and tests) and tell the
    registered listeners which roles are new to them."""
    with transaction.atomic():
        user = _User.objects.get(pk=user_id)
        held = set(user.groups.values_list("name", flat=True))
        added = []
        for role in roles:
            group, _created = Group.objects.get_or_create(name=role.value)
            user.groups.add(group)
            if role.value not in held:
                added.append(role)
        user.__dict__.pop("_role_names", None)
        if added:
            for listener in _role_granted_listeners:
                listener(user_id=user_id, roles=added)


def email_is_verified(*, user_id: int, email: str) -> bool:
    """True if `email` is one of the person's addresses that they proved they receive (any
    case)."""
    return EmailAddress.objects.filter(user_id=user_id, email__iexact=email, verified=True).exists()


def __getattr__(name: str) -> Any:
    # Personas are demo and test fixtures; load them only when asked for.
    if name in {"PERSONAS", "DEMO_TOTP_SECRET", "Persona", "persona_ensure"}:
        from tapestry.accounts import personas

        return getattr(personas, name)
    if name == "User":
        raise AttributeError(
            "tapestry.accounts.api no longer hands out the User model: use person_get, "
            "people_get or people_with_role (plain Person values) and user ids."
        )
    raise AttributeError(name)


def person_ensure(*, email: str, name: str, language: str) -> int:
    """The id of the person with this email address, made if there is none: used
    to bring people in from elsewhere (learning's archive import). A new person gets the name
    and language given, no password (they set one through "forgot password") and an email
    address not yet verified; an existing person is returned unchanged."""
    # Addresses are kept in lower case (UserManager and allauth lower them), so the unique
    # index finds the person; a case-blind lookup would read the whole table each time.
    email = email.strip().lower()
    existing = _User.objects.filter(email=email).values_list("pk", flat=True).first()
    if existing is not None:
        return existing
    user = _User.objects.create_user(
        email=email,
        password=None,
        full_name=name.strip()[:150],
        preferred_language=language if language in {"en", "es"} else "en",
    )
    EmailAddress.objects.create(user=user, email=email, verified=False, primary=True)
    return user.pk
