"""JSON API for accounts: token authentication and who the caller is."""

from django.http import HttpRequest
from ninja import Router, Schema

from tapestry.accounts.api import ApiTokenAuth, ApiTokenScope
from tapestry.accounts.models import User
from tapestry.accounts.roles import Role
from tapestry.core.schemas import MessageOut

router = Router(tags=["accounts"])


class MeOut(Schema):
    email: str
    full_name: str
    preferred_language: str
    roles: list[str]


@router.get(
    "/me",
    response={200: MeOut, 401: MessageOut, 403: MessageOut},
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
