"""The versioned JSON API, served under /api/v1/ with its OpenAPI document."""

from django.http import HttpRequest
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError

from config.api_docs import AccessibleSwagger
from tapestry.accounts.endpoints import router as accounts_router
from tapestry.network.endpoints import router as network_router
from tapestry.research.endpoints import router as research_router

api = NinjaAPI(
    title="Tapestry API",
    version="1",
    description="Public network directory, public research statistics and account endpoints. "
    "Authenticate with `Authorization: Bearer <token>`, made on the API tokens page.",
    urls_namespace="api-v1",
    docs=AccessibleSwagger(),
)
api.add_router("/network", network_router)
api.add_router("/accounts", accounts_router)
api.add_router("/public", research_router)


@api.exception_handler(ValidationError)
def validation_error(request: HttpRequest, exc: ValidationError):
    return api.create_response(
        request,
        {
            "detail": "Invalid request.",
            "errors": {"request": [str(e.get("msg")) for e in exc.errors]},
        },
        status=400,
    )


@api.exception_handler(AuthenticationError)
def authentication_error(request: HttpRequest, exc: AuthenticationError):
    return api.create_response(request, {"detail": "A valid API token is required."}, status=401)
