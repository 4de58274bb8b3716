"""JSON API for accounts: token authentication and who the caller is."""

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.security import HttpBearer

from tapestry.accounts.api import user_from_api_token
from tapestry.accounts.models import User
from tapestry.accounts.roles import Role
from tapestry.core.schemas import MessageOut


class ApiTokenAuth(HttpBearer):
    """`Authorization: Bearer tap_…` with a token made on the API tokens page."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        user = user_from_api_token(token)
        if user is not None:
            request.user = user
        return user


router = Router(tags=["accounts"])


class MeOut(Schema):
    email: str
    full_name: str
    preferred_language: str
    roles: list[str]


@router.get(
    "/me",
    response={200: MeOut, 401: MessageOut},
    auth=ApiTokenAuth(),
    summary="The account the token belongs to",
)
def me(request: HttpRequest) -> MeOut:
    user = request.auth  # type: ignore[attr-defined]  # set by django-ninja
    role_names = set(user.groups.values_list("name", flat=True))
    return MeOut(
        email=user.email,
        full_name=user.full_name,
        preferred_language=user.preferred_language,
        roles=[role.value for role in Role if role.value in role_names],
    )
