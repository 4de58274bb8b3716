"""The versioned JSON API, served under /api/v1/ with its OpenAPI document."""

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError, ValidationErrorContext

from config.api_docs import AccessibleSwagger
from tapestry.accounts.endpoints import router as accounts_router
from tapestry.network.endpoints import router as network_router
from tapestry.research.endpoints import router as research_router


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


api = TapestryAPI(
    title="Tapestry API",
    version="1",
    description="Public network directory, public research statistics and account endpoints. "
    "Authenticate with `Authorization: Bearer <token>`, made on the API tokens page. "
    "Every error is JSON with a `detail` and, when parameters are at fault, `errors` by "
    "parameter name: 400 for a value outside what this document allows, 404 for a "
    "well-formed value that names nothing.",
    urls_namespace="api-v1",
    docs=AccessibleSwagger(),
)
api.add_router("/network", network_router)
api.add_router("/accounts", accounts_router)
api.add_router("/public", research_router)


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
