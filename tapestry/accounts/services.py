import datetime
import secrets
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from tapestry.accounts.models import ApiToken, ApiTokenScope, User
from tapestry.core.api import audit_record


class ApiTokenError(ValueError):
    """A token request that cannot be granted; the message is safe to show."""


@transaction.atomic
def api_token_create(
    *,
    user: User,
    name: str,
    scopes: Iterable[str] = (ApiTokenScope.READ,),
    expires_in_days: int | None = None,
) -> tuple[ApiToken, str]:
    """Create a token and return it with the raw value, which is never stored or shown again.

    `scopes` must be ApiTokenScope values (at least one); `expires_in_days` one of
    settings.API_TOKEN_EXPIRY_DAYS (default: the middle one).
    """
    chosen = sorted({str(scope) for scope in scopes})
    if not chosen or any(scope not in ApiTokenScope.values for scope in chosen):
        raise ApiTokenError("Choose at least one valid scope.")
    days = expires_in_days if expires_in_days is not None else settings.API_TOKEN_EXPIRY_DAYS[1]
    if days not in settings.API_TOKEN_EXPIRY_DAYS:
        raise ApiTokenError("Choose one of the offered lifetimes.")
    raw = settings.API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        token_hash=ApiToken.hash(raw),
        prefix=raw[:12],
        scopes=chosen,
        expires_at=timezone.now() + datetime.timedelta(days=days),
    )
    audit_record(
        actor=user,
        action="api_token.create",
        target=token,
        summary=name,
        data={"scopes": chosen, "expires_in_days": days},
    )
    return token, raw


@transaction.atomic
def api_token_revoke(*, user: User, token_id: int) -> bool:
    """Revoke one of the user's own live tokens; False if there is no such token."""
    updated = ApiToken.objects.filter(user=user, pk=token_id, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    if updated:
        audit_record(actor=user, action="api_token.revoke", summary=str(token_id))
    return bool(updated)


@transaction.atomic
def user_update_profile(*, user: User, full_name: str, preferred_language: str) -> User:
    user.full_name = full_name
    user.preferred_language = preferred_language
    user.save(update_fields=["full_name", "preferred_language"])
    return user
