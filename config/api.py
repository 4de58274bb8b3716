"""The versioned JSON API, served under /api/v1/ with its OpenAPI document."""

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError, ValidationErrorContext
from ninja.throttling import AnonRateThrottle, AuthRateThrottle

from config.api_docs import AccessibleSwagger
from tapestry.accounts.api import ApiTokenRefused
from tapestry.accounts.endpoints import router as accounts_router
from tapestry.engagement.event_endpoints import router as engagement_events_router
from tapestry.engagement.kit_endpoints import router as engagement_kits_router
from tapestry.engagement.report_endpoints import router as engagement_reports_router
from tapestry.funding.endpoints import router as funding_router
from tapestry.learning.endpoints import router as learning_router
from tapestry.learning.xapi_endpoints import router as xapi_router
from tapestry.network.endpoints import router as network_router
from tapestry.research.endpoints import researcher_router
from tapestry.research.endpoints import router as research_router
from tapestry.sharing.endpoints import router as sharing_router
from tapestry.surveys.endpoints import router as surveys_router


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


class TapestryAPI(NinjaAPI):
    """A NinjaAPI whose validation errors name the parameter at fault.

    django-ninja 1.7 maps pydantic's error locations back to parameter names, but misses when
    pydantic adds the branch of an optional parameter's type (`("query", "near",
    "constrained-str")`), and it reports the absent branch too ("Input should be None"). Here
    the longest known prefix names the parameter and the absent branch is dropped: a parameter
    that was sent is never None.
    """

    def validation_error_from_error_contexts(
        self, error_contexts: list[ValidationErrorContext[Any]]
    ) -> ValidationError:
        errors: list[dict[str, Any]] = []
        for context in error_contexts:
            source = context.model.__ninja_param_source__
            parameters: dict[tuple[Any, ...], tuple[Any, ...]] = (
                context.model.__ninja_flatten_map_reverse__
            )
            for error in context.pydantic_validation_error.errors(
                include_url=False, include_input=False, include_context=False
            ):
                if error["type"] == "none_required":
                    continue
                location = tuple(error["loc"])
                prefixes = (location[:end] for end in range(len(location), 0, -1))
                known = next((prefix for prefix in prefixes if prefix in parameters), None)
                parameter = parameters[known] if known is not None else location
                errors.append({"loc": (source, *parameter), "msg": error["msg"]})
        return ValidationError(errors)

    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        # Every operation is throttled, so every operation may answer 429.
        schema = super().get_openapi_schema(*args, **kwargs)
        for path in schema.get("paths", {}).values():
            for operation in path.values():
                operation.setdefault("responses", {}).setdefault(429, TOO_MANY_REQUESTS)
        return schema


api = TapestryAPI(
    title="Tapestry API",
    version="1",
    description="Public network directory, public research statistics, account endpoints, "
    "survey instruments and responses (staff only), and for library liaisons program kits, "
    "activity reports, funding, and resource sharing (requests, lending, holdings, "
    "statements). "
    "Authenticate with `Authorization: Bearer <token>`, made on the API tokens page; a token "
    "has an expiry date and scopes (`read`, `research`, `surveys`, `kits`, `reports`, "
    "`funding`, `sharing`). "
    "Every error is JSON with a `detail` and, when parameters are at fault, `errors` by "
    "parameter name: 400 for a value outside what this document allows, 404 for a "
    "well-formed value that names nothing. Requests are throttled per address (and per "
    "token): past the limit the answer is 429 with a Retry-After header.",
    urls_namespace="api-v1",
    docs=AccessibleSwagger(),
    throttle=[AnonymousThrottle("1/s"), TokenThrottle("1/s")],
)
api.add_router("/network", network_router)
api.add_router("/accounts", accounts_router)
api.add_router("/public", research_router)
api.add_router("/research", researcher_router)
api.add_router("/surveys", surveys_router)
api.add_router("/xapi", xapi_router)
api.add_router("/learning", learning_router)
api.add_router("/engagement/events", engagement_events_router)
api.add_router("/engagement/kits", engagement_kits_router)
api.add_router("/engagement/reports", engagement_reports_router)
api.add_router("/funding", funding_router)
api.add_router("/sharing", sharing_router)


@api.exception_handler(ValidationError)
def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors: dict[str, list[str]] = {}
    for error in exc.errors:
        errors.setdefault(str(error["loc"][-1]), []).append(str(error["msg"]))
    return api.create_response(
        request, {"detail": "Invalid request.", "errors": errors}, status=400
    )


@api.exception_handler(AuthenticationError)
def authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(request, {"detail": "A valid API token is required."}, status=401)


@api.exception_handler(ApiTokenRefused)
def api_token_refused(request: HttpRequest, exc: ApiTokenRefused) -> HttpResponse:
    return api.create_response(request, {"detail": exc.detail}, status=exc.status)
