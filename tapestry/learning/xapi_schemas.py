"""The shapes GET /api/v1/xapi/statements answers with (xAPI 1.0.3, Data section 2.5).

A statement is served exactly as it was stored, so its schema names the required properties
and lets the others (result, context, attachments...) through as they are.
"""

from __future__ import annotations

from typing import Any

from ninja import Schema
from pydantic import ConfigDict, Field


class StatementOut(Schema):
    """One xAPI statement, as stored ("exact" format)."""

    model_config = ConfigDict(extra="allow")

    id: str = Field(description="The statement's UUID.")
    actor: dict[str, Any]
    verb: dict[str, Any]
    object: dict[str, Any]
    timestamp: str
    stored: str
    authority: dict[str, Any]
    version: str


class StatementResultOut(Schema):
    """A page of statements and, when more match, a relative IRL that continues after the
    last one ("" when this page is the last)."""

    statements: list[StatementOut]
    more: str = Field(
        description="Relative IRL of the next page, or an empty string. The IRL carries an "
        "opaque signed cursor; send it as it is, with the same token."
    )
