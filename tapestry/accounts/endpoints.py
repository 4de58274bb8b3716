"""JSON API for accounts: token authentication and who the caller is."""

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.security import HttpBearer

from tapestry.accounts.api import ApiTokenScope, token_check
from tapestry.accounts.models import User
from tapestry.accounts.roles import Role


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

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
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


class ErrorOut(Schema):
    detail: str


router = Router(tags=["accounts"])


class MeOut(Schema):
    email: str
    full_name: str
    preferred_language: str
    roles: list[str]


@router.get(
    "/me",
    response={200: MeOut, 401: ErrorOut, 403: ErrorOut},
    auth=ApiTokenAuth(scope=ApiTokenScope.READ),
    summary="The account the token belongs to (scope: read)",
)
def me(request: HttpRequest) -> MeOut:
    user: User = request.auth  # type: ignore[attr-defined]  # set by django-ninja
    role_names = set(user.groups.values_list("name", flat=True))
    return MeOut(
        email=user.email,
        full_name=user.full_name,
        preferred_language=user.preferred_language,
        roles=[role.value for role in Role if role.value in role_names],
    )
