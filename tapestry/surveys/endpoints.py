"""JSON API for surveys: instruments and their responses, for program staff and administrators.

Every endpoint takes an API token with the `surveys` scope whose owner holds a staff role
(401 without a live token, 403 for a token without the scope or a person who is not staff).
Every response an endpoint can give is declared: 400 when a parameter or a body breaks what
the OpenAPI document states, or an instrument does not hold together (the list of problems);
404 when a well-formed link name names nothing; 409 when a new instrument's link name is taken.
"""

from typing import Any

from django.db import IntegrityError
from django.http import HttpRequest
from django.utils import timezone
from ninja import P, PathEx, Query, Router, Status

from tapestry.accounts.api import ApiTokenAuth, ApiTokenRefused, ApiTokenScope, Role, user_has_role
from tapestry.core.schemas import ErrorOut, MessageOut
from tapestry.surveys import selectors, services
from tapestry.surveys.api_schemas import (
    DEFAULT_PAGE_SIZE,
    SLUG_PATTERN,
    InstrumentOut,
    InstrumentPage,
    InstrumentSummaryOut,
    PageQuery,
    ResponseOut,
    ResponsePage,
    SubjectOut,
    TitleOut,
)
from tapestry.surveys.models import Instrument
from tapestry.surveys.schemas import InstrumentSpec

router = Router(tags=["surveys"])

STAFF_ROLES = (Role.PROGRAM_STAFF, Role.ADMINISTRATOR)
Slug = PathEx[str, P(pattern=SLUG_PATTERN)]  # type: ignore[valid-type]


class StaffTokenAuth(ApiTokenAuth):
    """A live token with the `surveys` scope, held by program staff or an administrator."""

    def __init__(self) -> None:
        super().__init__(scope=ApiTokenScope.SURVEYS)

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = super().authenticate(request, token)
        if not user_has_role(user, *STAFF_ROLES):
            raise ApiTokenRefused(
                status=403,
                detail="Survey instruments and responses are for program staff and "
                "administrators only.",
            )
        return user


AUTH = StaffTokenAuth()
REFUSALS: dict[int, Any] = {401: MessageOut, 403: MessageOut}


def _instrument_out(instrument: Instrument) -> InstrumentOut:
    spec = selectors.instrument_spec(
        structure=selectors.instrument_structure(instrument=instrument)
    )
    return InstrumentOut.model_validate(
        {
            **spec,
            "status": instrument.status,
            "opens_at": instrument.opens_at,
            "closes_at": instrument.closes_at,
            "revision": instrument.revision,
        }
    )


@router.get(
    "/instruments",
    response={200: InstrumentPage, 400: ErrorOut, **REFUSALS},
    auth=AUTH,
    summary="Every instrument (scope: surveys; staff)",
)
def instruments(request: HttpRequest, query: Query[PageQuery]) -> InstrumentPage:
    """Instruments newest first, with their status, response window, revision and number of
    responses."""
    result = selectors.instruments_page(
        page=query.page or 1, page_size=query.page_size or DEFAULT_PAGE_SIZE
    )
    return InstrumentPage(
        count=result.count,
        page=result.page,
        pages=result.pages,
        page_size=result.page_size,
        results=[
            InstrumentSummaryOut(
                slug=instrument.slug,
                title=TitleOut(en=instrument.title_en, es=instrument.title_es),
                purpose=instrument.purpose,
                mode=instrument.mode,
                status=instrument.status,
                opens_at=instrument.opens_at,
                closes_at=instrument.closes_at,
                revision=instrument.revision,
                responses=instrument.response_count,
            )
            for instrument in result.items
        ],
    )


@router.get(
    "/instruments/{slug}",
    response={200: InstrumentOut, 400: ErrorOut, 404: MessageOut, **REFUSALS},
    auth=AUTH,
    summary="One instrument as a spec (scope: surveys; staff)",
)
def instrument(request: HttpRequest, slug: Slug) -> Status[InstrumentOut | MessageOut]:
    """Sections, questions, choices and conditions in English and Spanish, as
    `POST /instruments` takes them, with its status, window and revision."""
    found = Instrument.objects.filter(slug=slug).first()
    if found is None:
        return Status(404, MessageOut(detail="No instrument has that link name."))
    return Status(200, _instrument_out(found))


@router.post(
    "/instruments",
    response={201: InstrumentOut, 400: ErrorOut, 409: ErrorOut, **REFUSALS},
    auth=AUTH,
    summary="Create a draft instrument from a spec (scope: surveys; staff)",
)
def instrument_create(
    request: HttpRequest, spec: InstrumentSpec
) -> Status[InstrumentOut | ErrorOut]:
    """The body is an instrument spec (the shape `GET /instruments/{slug}` gives). It becomes
    a draft. A spec that does not hold together (a variable name used twice, a condition on a
    later question, a choice question without choices...) answers 400 with every problem
    under `errors.spec`, and nothing is created; a link name already in use answers 409."""
    taken = ErrorOut(
        detail="The link name is already used by another instrument.",
        errors={"slug": [f"{spec.slug} is already used."]},
    )
    if Instrument.objects.filter(slug=spec.slug).exists():
        return Status(409, taken)
    try:
        created = services.instrument_create(spec=spec, created_by=request.auth)  # type: ignore[attr-defined]
    except services.SpecError as error:
        return Status(
            400,
            ErrorOut(
                detail="The instrument does not hold together.", errors={"spec": error.problems}
            ),
        )
    except IntegrityError:
        # Another request took the link name between the check and the insert.
        return Status(409, taken)
    return Status(201, _instrument_out(created))


@router.get(
    "/instruments/{slug}/responses",
    response={200: ResponsePage, 400: ErrorOut, 404: MessageOut, **REFUSALS},
    auth=AUTH,
    summary="An instrument's responses (scope: surveys; staff)",
)
def responses(
    request: HttpRequest, slug: Slug, query: Query[PageQuery]
) -> Status[ResponsePage | MessageOut]:
    """Oldest first. Anonymous responses carry no person and only the day they came in;
    identified ones carry the person's id and the moment."""
    found = Instrument.objects.filter(slug=slug).first()
    if found is None:
        return Status(404, MessageOut(detail="No instrument has that link name."))
    result = selectors.responses_page(
        instrument=found, page=query.page or 1, page_size=query.page_size or DEFAULT_PAGE_SIZE
    )
    anonymous = found.mode == Instrument.Mode.ANONYMOUS
    return Status(
        200,
        ResponsePage(
            count=result.count,
            page=result.page,
            pages=result.pages,
            page_size=result.page_size,
            results=[
                ResponseOut(
                    id=response.pk,
                    submitted_at=(
                        timezone.localdate(response.submitted_at).isoformat()
                        if anonymous
                        else response.submitted_at.isoformat()
                    ),
                    language=response.language,
                    role=response.role,
                    region=response.region,
                    subject=(
                        SubjectOut(kind=response.subject_kind, ref=response.subject_ref)
                        if response.subject_kind
                        else None
                    ),
                    person_id=None if anonymous else response.person_id,
                    revision=response.revision,
                    answers=answers,
                )
                for response, answers in result.items
            ],
        ),
    )
