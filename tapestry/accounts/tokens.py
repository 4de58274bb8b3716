"""API tokens at the door: checking a bearer token, and django-ninja's auth for endpoints.

Other apps' endpoints take `ApiTokenAuth(scope=…)` from `accounts.api`.
"""

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer

from tapestry.accounts.models import ApiToken, ApiTokenScope

if TYPE_CHECKING:
    from tapestry.accounts.models import User


@dataclass(frozen=True)
class TokenCheck:
    """The outcome of checking a bearer token: the person it acts as, or why it was refused."""

    user: "User | None"
    scopes: frozenset[str]
    refusal: str = ""  # "" when the token is good; otherwise a message safe to show the caller


def token_check(raw_token: str) -> TokenCheck:
    """Check a `tap_…` token: live (not revoked, not expired) and owned by an active person.
    Records its last use when it is good."""
    token = (
        ApiToken.objects.select_related("user")
        .filter(token_hash=ApiToken.hash(raw_token), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return TokenCheck(user=None, scopes=frozenset(), refusal="A valid API token is required.")
    now = timezone.now()
    if token.expires_at is not None and token.expires_at <= now:
        return TokenCheck(
            user=None,
            scopes=frozenset(),
            refusal=f"This API token expired on {token.expires_at.date().isoformat()}. "
            "Make a new one on the API tokens page.",
        )
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return TokenCheck(user=token.user, scopes=frozenset(token.scopes))


class ApiTokenRefused(Exception):
    """A token that is not good enough for the request; `config.api` answers with `status`
    and `detail` as JSON (401 for an expired token, 403 for a missing scope)."""

    def __init__(self, *, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


class ApiTokenAuth(HttpBearer):
    """`Authorization: Bearer tap_…` with a live token holding `scope`."""

    def __init__(self, *, scope: ApiTokenScope = ApiTokenScope.READ) -> None:
        super().__init__()
        self.scope = scope

    def authenticate(self, request: HttpRequest, token: str) -> "User | None":
        check = token_check(token)
        if check.user is None:
            raise ApiTokenRefused(status=401, detail=check.refusal)
        if self.scope.value not in check.scopes:
            raise ApiTokenRefused(
                status=403,
                detail=f"This API token does not have the “{self.scope.value}” scope. "
                "Make a token with that scope on the API tokens page.",
            )
        request.user = check.user
        return check.user
