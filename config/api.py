"""The versioned JSON API, served under /api/v1/ with its OpenAPI document."""

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError
from ninja.throttling import AnonRateThrottle, AuthRateThrottle

from tapestry.accounts.api import ApiTokenRefused
from tapestry.accounts.endpoints import router as accounts_router
from tapestry.network.endpoints import router as network_router
from tapestry.research.endpoints import router as research_router


class _RateFromSettings:
    """Read the rate from settings on each request, so a deployment (or a test) can change it."""

    setting = ""

    def allow_request(self, request: HttpRequest) -> bool:
        self.rate = getattr(settings, self.setting)
        self.num_requests, self.duration = self.parse_rate(self.rate)  # type: ignore[attr-defined]
        return bool(super().allow_request(request))  # type: ignore[misc]


class AnonymousThrottle(_RateFromSettings, AnonRateThrottle):
    setting = "API_THROTTLE_ANONYMOUS"


class TokenThrottle(_RateFromSettings, AuthRateThrottle):
    setting = "API_THROTTLE_TOKEN"


TOO_MANY_REQUESTS = {
    "description": "Too many requests from this address (or with this token): wait the number "
    "of seconds in the Retry-After header, then try again.",
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "properties": {"detail": {"type": "string"}},
                "required": ["detail"],
            }
        }
    },
}


class TapestryApi(NinjaAPI):
    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        # Every operation is throttled, so every operation may answer 429.
        schema = super().get_openapi_schema(*args, **kwargs)
        for path in schema.get("paths", {}).values():
            for operation in path.values():
                operation.setdefault("responses", {}).setdefault(429, TOO_MANY_REQUESTS)
        return schema


api = TapestryApi(
    title="Tapestry API",
    version="1",
    description="Public network directory, public research statistics and account endpoints. "
    "Authenticate with `Authorization: Bearer <token>`, made on the API tokens page; a token "
    "has an expiry date and scopes (`read`, `research`). Requests are throttled per address "
    "(and per token): past the limit the answer is 429 with a Retry-After header.",
    urls_namespace="api-v1",
    throttle=[AnonymousThrottle("1/s"), TokenThrottle("1/s")],
)
api.add_router("/network", network_router)
api.add_router("/accounts", accounts_router)
api.add_router("/public", research_router)


@api.exception_handler(ValidationError)
def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return api.create_response(
        request,
        {
            "detail": "Invalid request.",
            "errors": {"request": [str(e.get("msg")) for e in exc.errors]},
        },
        status=400,
    )


@api.exception_handler(AuthenticationError)
def authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(request, {"detail": "A valid API token is required."}, status=401)


@api.exception_handler(ApiTokenRefused)
def api_token_refused(request: HttpRequest, exc: ApiTokenRefused) -> HttpResponse:
    return api.create_response(request, {"detail": exc.detail}, status=exc.status)
