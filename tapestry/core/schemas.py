"""The JSON API's shared shapes: every error every endpoint answers with.

A value type, like `accounts.roles`: the other apps import it directly (the import contracts
allow it), so one error shape appears once in the OpenAPI document.
"""

from django.http import HttpRequest
from ninja import Schema

# Free-text parameters refuse control characters (Unicode category Cc: U+0000-U+001F and
# U+007F-U+009F) and nothing else, as the forms do; tests/api/test_schema_constraints.py checks
# that each pattern and its form agree.
CONTROL_CHARACTERS_PATTERN = r"^[^\x00-\x1f\x7f-\x9f]*$"


class MessageOut(Schema):
    """Why there is no answer: a token missing, an unknown id, no data release yet."""

    detail: str


class ErrorOut(MessageOut):
    """Bad or unknown input: what is wrong with each parameter, by parameter name."""

    errors: dict[str, list[str]] = {}


def unknown_parameters(request: HttpRequest, allowed: set[str]) -> ErrorOut | None:
    """The 400 body for query parameters an endpoint does not take, or None: a misspelt filter
    must not answer as if it were applied."""
    unknown = sorted(set(request.GET) - allowed)
    if not unknown:
        return None
    return ErrorOut(
        detail="Invalid request.", errors={name: ["Unknown parameter."] for name in unknown}
    )
