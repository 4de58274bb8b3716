"""The JSON API's shared shapes: every error every endpoint answers with.

A value type, like `accounts.roles`: the other apps import it directly (the import contracts
allow it), so one error shape appears once in the OpenAPI document.
"""

from ninja import Schema


class MessageOut(Schema):
    """Why there is no answer: a token missing, an unknown id, no data release yet."""

    detail: str


class ErrorOut(MessageOut):
    """Bad or unknown input: what is wrong with each parameter, by parameter name."""

    errors: dict[str, list[str]] = {}
