import secrets

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from tapestry.accounts.models import ApiToken, User
from tapestry.core.api import audit_record


@transaction.atomic
def api_token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """Create a token and return it with the raw value, which is never stored or shown again."""
    raw = settings.API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name, token_hash=ApiToken.hash(raw), prefix=raw[:12]
    )
    audit_record(actor=user, action="api_token.create", target=token, summary=name)
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
