"""The xAPI record store's Statement Resource, read side: GET /api/v1/xapi/statements.

It follows xAPI 1.0.3 (Communication, section 2.1.3): the `agent`, `verb`, `activity`,
`registration`, `since`, `until`, `limit` and `ascending` filters, a single statement by
`statementId`, and the StatementResult with its `more` IRL. Statements come back exactly as
stored (format `exact`; no attachments are ever kept).

- Version (section 3.3): every response carries `X-Experience-API-Version: 1.0.3` and
  `X-Experience-API-Consistent-Through`. A request's version header is optional here (the
  specification obliges clients to send it but does not oblige the store to refuse a request
  without it); a version before 1.0.0, from 1.1.0 on, or not a version answers 400.
- Who reads what: an API token with the `read` scope. Program staff and administrators read
  every statement; anyone else reads only their own (an `agent` filter naming someone else
  answers 403; someone else's `statementId` answers 404, as an unknown one does).
- Bad input answers 400 naming the parameter: unknown parameters and parameters that differ
  from the specification's only by case (section 3.2), malformed agent JSON, IRIs, UUIDs and
  timestamps, a negative or absurd limit, `statementId` with a filter, a tampered cursor.
"""

from __future__ import annotations

import datetime
import functools
import json
import re
import uuid
from collections.abc import Callable
from typing import Any, Literal
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.http import http_date
from ninja import Query, Router, Status
from ninja.decorators import decorate_view

from tapestry.accounts.api import ApiTokenAuth, Role, user_has_role
from tapestry.core.schemas import ErrorOut, MessageOut
from tapestry.learning import statements
from tapestry.learning.xapi_schemas import StatementOut, StatementResultOut

router = Router(tags=["xapi"])

AUTH = ApiTokenAuth()
READ_ALL_ROLES = (Role.PROGRAM_STAFF, Role.ADMINISTRATOR)
SERVED_VERSION = "1.0.3"
CURSOR_SALT = "tapestry.learning.xapi.more"
# `limit` beyond this is not a number of statements anyone means (a 32-bit integer's largest).
LIMIT_ABSURD = 2**31 - 1

# The Statement Resource's GET parameters (Communication 2.1.3), and the cursor `more` adds.
PARAMETERS = {
    "statementId",
    "voidedStatementId",
    "agent",
    "verb",
    "activity",
    "registration",
    "related_activities",
    "related_agents",
    "since",
    "until",
    "limit",
    "format",
    "attachments",
    "ascending",
    "cursor",
}
SINGLE_PARAMETERS = {"statementId", "voidedStatementId", "format", "attachments"}
IFI_PROPERTIES = ("mbox", "mbox_sha1sum", "openid", "account")
# An absolute IRI: a scheme, a colon, then no white space (RFC 3987, the part a store checks).
IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s\x00-\x1f\x7f-\x9f]+$")
TIMESTAMP = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:(?P<second>\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$"
)
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
VERSION = re.compile(r"^(\d+)\.(\d+)(?:\.(\d+))?$")


class BadParameters(Exception):
    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(errors)
        self.errors = errors


def _version_refusal(header: str | None) -> str:
    """Why the request's X-Experience-API-Version is refused, or "" (absent is accepted)."""
    if header is None:
        return ""
    match = VERSION.match(header.strip())
    if match is None:
        return f"“{header}” is not an xAPI version; send X-Experience-API-Version: 1.0.3."
    major, minor = int(match.group(1)), int(match.group(2))
    if (major, minor) != (1, 0):
        return (
            f"xAPI version {header} is not served here; this record store speaks 1.0.x "
            "(send X-Experience-API-Version: 1.0.3)."
        )
    return ""


def xapi_headers(run: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Around the whole operation (authentication and errors included): refuse an
    unsupported version, and put the version and consistency headers on every response."""

    @functools.wraps(run)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        refusal = _version_refusal(request.headers.get("X-Experience-API-Version"))
        if refusal:
            response: HttpResponse = JsonResponse(
                {"detail": refusal, "errors": {"X-Experience-API-Version": [refusal]}},
                status=400,
            )
        else:
            response = run(request, *args, **kwargs)
        response["X-Experience-API-Version"] = SERVED_VERSION
        # Statements are written in the request that makes them: everything stored before
        # now is already readable.
        response["X-Experience-API-Consistent-Through"] = statements.iso_timestamp(timezone.now())
        return response

    return wrapped


def _agent_key(raw: str) -> str:
    try:
        agent = json.loads(raw)
    except ValueError:
        raise BadParameters({"agent": ["Not JSON: send an Agent object."]}) from None
    if not isinstance(agent, dict):
        raise BadParameters({"agent": ["Send an Agent or identified Group object."]})
    if not all(isinstance(value, str) for key, value in agent.items() if key != "account"):
        raise BadParameters({"agent": ["An agent's properties other than account are text."]})
    if agent.get("objectType", "Agent") not in {"Agent", "Group"}:
        raise BadParameters({"agent": ["objectType must be Agent or Group."]})
    identifiers = [name for name in IFI_PROPERTIES if name in agent]
    if len(identifiers) != 1:
        raise BadParameters(
            {"agent": ["An agent has exactly one of mbox, mbox_sha1sum, openid or account."]}
        )
    if "mbox" in agent and not str(agent["mbox"]).startswith("mailto:"):
        raise BadParameters({"agent": ["mbox is a mailto: IRI."]})
    if "account" in agent:
        account = agent["account"]
        if not (
            isinstance(account, dict)
            and isinstance(account.get("homePage"), str)
            and IRI.match(account["homePage"])
            and isinstance(account.get("name"), str)
            and account["name"]
        ):
            raise BadParameters({"agent": ["account has a homePage IRL and a name."]})
    key = statements.agent_key(agent)
    if CONTROL.search(key):
        raise BadParameters({"agent": ["No control characters in an agent's identifier."]})
    return key


def _iri(name: str, raw: str) -> str:
    if len(raw) > 500 or not IRI.match(raw):
        raise BadParameters(
            {name: ["Not an IRI (for example http://adlnet.gov/expapi/verbs/...)."]}
        )
    return raw


def _uuid(name: str, raw: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise BadParameters({name: ["Not a UUID."]}) from None


def _timestamp(name: str, raw: str) -> datetime.datetime:
    """An RFC 3339 date-time (the ISO 8601 profile the OpenAPI document names), with its
    zone; a leap second is read as the next second."""
    match = TIMESTAMP.match(raw)
    try:
        if match is None:
            raise ValueError(raw)
        leap = match.group("second") == "60"
        text = raw.upper().replace(":60", ":59", 1) if leap else raw.upper()
        moment = datetime.datetime.fromisoformat(text)
        if leap:
            moment += datetime.timedelta(seconds=1)
        # In UTC: PostgreSQL refuses zone offsets past ±15:59, which RFC 3339 allows.
        return moment.astimezone(datetime.UTC)
    except (ValueError, OverflowError):
        # (OverflowError: a moment that leaves the years 1 to 9999 once in UTC.)
        raise BadParameters(
            {name: ["Not a timestamp with its zone (for example 2026-11-29T08:00:00Z)."]}
        ) from None


def _boolean(name: str, raw: str) -> bool:
    if raw not in {"true", "false"}:
        raise BadParameters({name: ["Send true or false."]})
    return raw == "true"


def _cursor(raw: str) -> tuple[datetime.datetime, uuid.UUID]:
    try:
        stored, statement_id = signing.loads(raw, salt=CURSOR_SALT)
        return datetime.datetime.fromisoformat(stored), uuid.UUID(statement_id)
    except (signing.BadSignature, ValueError, TypeError):
        raise BadParameters(
            {"cursor": ["Not a cursor this store gave: follow the `more` IRL as it is."]}
        ) from None


def _check_names(params: dict[str, str]) -> None:
    errors: dict[str, list[str]] = {}
    lowered = {name.lower(): name for name in PARAMETERS}
    for name in params:
        if name in PARAMETERS:
            continue
        known = lowered.get(name.lower())
        errors[name] = (
            [f"Did you mean {known}? Parameter names are case sensitive."]
            if known
            else ["Not a parameter of the Statement Resource."]
        )
    if errors:
        raise BadParameters(errors)
    if ("statementId" in params or "voidedStatementId" in params) and (
        set(params) - SINGLE_PARAMETERS or {"statementId", "voidedStatementId"} <= set(params)
    ):
        name = "statementId" if "statementId" in params else "voidedStatementId"
        raise BadParameters(
            {name: ["A single statement is asked for alone (with format or attachments only)."]}
        )
    if params.get("format", "exact") != "exact":
        raise BadParameters({"format": ["This store serves statements exactly as stored: exact."]})
    for name in ("related_activities", "related_agents"):
        if name in params and _boolean(name, params[name]):
            raise BadParameters({name: ["Not offered by this store; send false or leave it out."]})
    if "attachments" in params:
        _boolean("attachments", params["attachments"])  # none are kept: JSON either way


def _query(
    params: dict[str, str], user_id: int | None, typed: dict[str, Any]
) -> statements.StatementQuery:
    """The query from the parameters: `typed` holds those django-ninja already parsed
    against the OpenAPI document (limit, registration, ascending)."""
    errors: dict[str, list[str]] = {}

    def checked(name: str, parse: Callable[[str], Any]) -> Any:
        if name not in params:
            return None
        try:
            return parse(params[name])
        except BadParameters as bad:
            errors.update(bad.errors)
            return None

    maximum: int = settings.LEARNING_XAPI_MAX_LIMIT
    limit: int | None = typed["limit"]
    query = statements.StatementQuery(
        user_id=user_id,
        limit=maximum if not limit else min(limit, maximum),
        agent_key=checked("agent", _agent_key),
        verb=checked("verb", functools.partial(_iri, "verb")),
        activity=checked("activity", functools.partial(_iri, "activity")),
        registration=typed["registration"],
        since=checked("since", functools.partial(_timestamp, "since")),
        until=checked("until", functools.partial(_timestamp, "until")),
        ascending=typed["ascending"] == "true",
        after=checked("cursor", _cursor),
    )
    if errors:
        raise BadParameters(errors)
    return query


def _more(request: HttpRequest, params: dict[str, str], last: Any) -> str:
    cursor = signing.dumps([last.stored.isoformat(), str(last.pk)], salt=CURSOR_SALT)
    following = {name: value for name, value in params.items() if name != "cursor"}
    return f"{request.path}?{urlencode({**following, 'cursor': cursor})}"


# Free text in an IRI or an agent: no white space (in an IRI) and no control characters.
IRI_PATTERN = r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s\x00-\x1f\x7f-\x9f]+$"
TEXT_PATTERN = r"^[^\x00-\x1f\x7f-\x9f]+$"
_IDENTIFIED = {
    "objectType": {"type": "string", "enum": ["Agent", "Group"]},
    "name": {"type": "string", "pattern": TEXT_PATTERN},
}
AGENT_PARAMETER = {
    "name": "agent",
    "in": "query",
    "required": False,
    "description": "Statements whose actor is this Agent (or identified Group), matched by its "
    "one inverse functional identifier, sent as JSON.",
    "content": {
        "application/json": {
            "schema": {
                "oneOf": [
                    {
                        "type": "object",
                        "properties": {**_IDENTIFIED, key: schema},
                        "required": [key],
                        "additionalProperties": False,
                    }
                    for key, schema in [
                        (
                            "mbox",
                            {"type": "string", "pattern": r"^mailto:[^\s\x00-\x1f\x7f-\x9f]+$"},
                        ),
                        ("mbox_sha1sum", {"type": "string", "pattern": "^[0-9a-f]{40}$"}),
                        ("openid", {"type": "string", "pattern": IRI_PATTERN}),
                        (
                            "account",
                            {
                                "type": "object",
                                "properties": {
                                    "homePage": {"type": "string", "pattern": IRI_PATTERN},
                                    "name": {"type": "string", "pattern": TEXT_PATTERN},
                                },
                                "required": ["homePage", "name"],
                                "additionalProperties": False,
                            },
                        ),
                    ]
                ]
            }
        }
    },
}

TIME_PARAMETERS = [
    {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": {"type": "string", "format": "date-time"},
    }
    for name, description in [
        ("since", "Only statements stored after this moment (RFC 3339, with its zone)."),
        ("until", "Only statements stored at or before this moment (RFC 3339, with its zone)."),
    ]
]


@router.get(
    "/statements",
    response={
        200: StatementResultOut | StatementOut,
        400: ErrorOut,
        401: MessageOut,
        403: MessageOut,
        404: MessageOut,
    },
    auth=AUTH,
    summary="xAPI statements (scope: read; your own, or everyone's for program staff)",
    openapi_extra={"parameters": [AGENT_PARAMETER, *TIME_PARAMETERS]},
)
@decorate_view(xapi_headers)
def statements_get(
    request: HttpRequest,
    verb: str | None = Query(
        None, description="A verb id (IRI).", pattern=IRI_PATTERN, max_length=500
    ),
    activity: str | None = Query(
        None, description="An activity id (IRI).", pattern=IRI_PATTERN, max_length=500
    ),
    registration: uuid.UUID | None = Query(None, description="A registration."),  # noqa: B008
    limit: int | None = Query(
        None,
        description="At most this many; 0 (the default): the most a page holds.",
        ge=0,
        le=LIMIT_ABSURD,
    ),
    ascending: Literal["true", "false"] | None = Query(None, description="true: oldest first."),
    format: Literal["exact"] | None = Query(None, description="Statements come exactly as stored."),
    attachments: Literal["true", "false"] | None = Query(
        None, description="No attachments are kept: JSON either way."
    ),
) -> HttpResponse | Status[ErrorOut | MessageOut]:
    """Statements by `stored`, newest first (`ascending=true`: oldest first), at most
    `limit` (0 or beyond the store's maximum: the maximum); `more` is a relative IRL that
    continues after the last one (its `cursor` is opaque and signed: follow it as it is).

    `statementId=<UUID>`, alone (with `format` or `attachments` at most), answers that one
    statement as stored, or 404 if it is unknown or not yours; `voidedStatementId` always
    answers 404 (nothing is voided here). `related_activities` and `related_agents` are
    accepted only as `false`. Any other parameter, or a parameter name in another case,
    answers 400."""
    params = {name: request.GET[name] for name in request.GET}
    user = request.auth  # type: ignore[attr-defined]
    scope_user_id = None if user_has_role(user, *READ_ALL_ROLES) else user.pk
    try:
        _check_names(params)
        if "statementId" in params or "voidedStatementId" in params:
            name = "statementId" if "statementId" in params else "voidedStatementId"
            wanted = _uuid(name, params[name])
            # Nothing is ever voided here: a voided statement is never found.
            found = (
                statements.statement_visible(statement_id=wanted, user_id=scope_user_id)
                if name == "statementId"
                else None
            )
            if found is None:
                return Status(404, MessageOut(detail="No statement of yours has that id."))
            # Served as stored, byte for byte the JSON it was kept as (a schema round trip
            # would rename or drop properties it does not declare).
            single = JsonResponse(found.body)
            single["Last-Modified"] = http_date(found.stored.timestamp())
            return single
        query = _query(
            params,
            scope_user_id,
            {
                "limit": limit,
                "registration": registration,
                "ascending": ascending,
            },
        )
    except BadParameters as bad:
        return Status(400, ErrorOut(detail="Invalid request.", errors=bad.errors))
    own_key = statements.agent_key(statements.agent_for(user.pk))
    if scope_user_id is not None and query.agent_key not in {None, own_key}:
        return Status(403, MessageOut(detail="You may read only your own statements."))
    page, more = statements.statements_page(query=query)
    return JsonResponse(
        {
            "statements": [row.body for row in page],
            "more": _more(request, params, page[-1]) if more else "",
        }
    )
