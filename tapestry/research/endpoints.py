"""The public research API: the Data Browser's figures as JSON, no login.

Every count is protected (privacy.py) and carries its rounded number and its display text.
Every response an endpoint can give is declared: 400 for a parameter outside the constraints
the OpenAPI document states, 404 for a concept id the release lacks, 503 before the first
release.
"""

import json
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils import translation
from ninja import P, PathEx, Query, Router, Status

from tapestry.accounts.api import ApiTokenAuth, ApiTokenRefused, ApiTokenScope
from tapestry.research import labels, selectors, services
from tapestry.research.access import access_of
from tapestry.research.forms import ConceptSearchForm
from tapestry.research.models import Release, Tier
from tapestry.research.privacy import PublicCount
from tapestry.research.schemas import (
    COHORT_BODY_MAX_BYTES,
    COHORT_DEFINITION_BODY,
    CONCEPT_ID_MAX,
    BreakdownOut,
    CellOut,
    CohortCountOut,
    ConceptDetailOut,
    ConceptOut,
    ConceptQuery,
    ConceptSearchOut,
    CountOut,
    DomainOut,
    ErrorOut,
    HistogramBinOut,
    HistogramOut,
    MessageOut,
    ReleaseOut,
    SummaryOut,
    SurveyAnswerOut,
    SurveyListOut,
    SurveyOut,
    SurveyQuestionDetailOut,
    SurveyQuestionOut,
)
from tapestry.research.warehouse.cohort_definition import (
    DefinitionError,
    definition_parse,
)

router = Router(tags=["public research data"])

NO_RELEASE = "No data release is available yet."


def _count(count: PublicCount) -> CountOut:
    return CountOut(count=count.value, display=count.display, suppressed=count.suppressed)


def _release(release: Release) -> ReleaseOut:
    return ReleaseOut(
        version=release.version,
        cutoff_date=release.cutoff_date.isoformat() if release.cutoff_date else None,
        published_at=release.finished_at.isoformat() if release.finished_at else None,
    )


def _concept(request: HttpRequest, hit: selectors.ConceptHit) -> dict[str, Any]:
    return {
        "concept_id": hit.concept_id,
        "name": hit.name,
        "name_es": hit.name_es,
        "display_name": hit.local_name(translation.get_language() or ""),
        "code": hit.code,
        "vocabulary": hit.vocabulary,
        "domain": hit.domain,
        "participants": _count(hit.participants),
        "url": request.build_absolute_uri(
            reverse("research:concept_detail", args=[hit.concept_id])
        ),
    }


def _breakdown(breakdown: selectors.Breakdown, kind: str) -> BreakdownOut:
    group_labels = labels.BREAKDOWN_LABELS[kind]
    return BreakdownOut(
        total=_count(breakdown.total),
        cells=[
            CellOut(
                key=cell.key,
                label=labels.label(group_labels, cell.key),
                count=_count(cell.count),
                percentage=cell.percentage,
            )
            for cell in breakdown.cells
        ],
    )


@router.get(
    "/summary",
    response={200: SummaryOut, 503: MessageOut},
    summary="Participants and totals per domain in the current release",
)
def summary(request: HttpRequest) -> Status[SummaryOut | MessageOut]:
    """The number of participants and, per domain, the participants with any record in it
    and how many concepts it has. Counts are rounded up to a multiple of 20; 1 to 20 shows
    as "≤ 20"."""
    release = selectors.release_current()
    if release is None:
        return Status(503, MessageOut(detail=NO_RELEASE))
    public = selectors.public_summary(release=release)
    return Status(
        200,
        SummaryOut(
            release=_release(release),
            participants=_count(public.participants),
            domains=[
                DomainOut(
                    domain=row.domain,
                    label=labels.label(labels.DOMAIN_LABELS, row.domain),
                    participants=_count(row.participants),
                    concepts=row.concepts,
                )
                for row in public.domains
            ],
        ),
    )


@router.get(
    "/concepts",
    response={200: ConceptSearchOut, 400: ErrorOut, 404: MessageOut, 503: MessageOut},
    summary="Search concepts by name or code",
)
def concepts(
    request: HttpRequest, query: Query[ConceptQuery]
) -> Status[ConceptSearchOut | ErrorOut | MessageOut]:
    """Concepts with a name, synonym or code (their own, or an ICD-10-CM or CPT4 code that
    maps to them) holding a word that starts with each word of `q`, ignoring case and
    accents, or whose concept id is `q`: those with a term equal to `q` first, then a term
    starting with it, then the rest, most participants first within each. Without `q`,
    every concept, most participants first. `domain` keeps one domain (Condition, Drug,
    Measurement, Procedure, Observation, Visit). `q` is at most 100 characters. Results come
    `page_size` (at most 100) at a time; a `page` past the last is a 404 that says how many
    pages there are."""
    release = selectors.release_current()
    if release is None:
        return Status(503, MessageOut(detail=NO_RELEASE))
    form = ConceptSearchForm(query.dict(exclude_none=True, exclude={"page", "page_size"}))
    if not form.is_valid():
        return Status(
            400,
            ErrorOut(
                detail="Invalid search.",
                errors={field: [str(e) for e in errs] for field, errs in form.errors.items()},
            ),
        )
    results = selectors.concept_search(
        release=release,
        query=form.cleaned_data["q"],
        domain=form.cleaned_data["domain"],
        page=query.page,
        page_size=query.page_size,
    )
    if results.page > results.pages:
        return Status(
            404, MessageOut(detail=f"No page {results.page}: the results have {results.pages}.")
        )
    return Status(
        200,
        ConceptSearchOut(
            release=_release(release),
            q=form.cleaned_data["q"],
            domain=form.cleaned_data["domain"],
            total=results.total,
            page=results.page,
            pages=results.pages,
            page_size=results.page_size,
            count=len(results.hits),
            results=[ConceptOut(**_concept(request, hit)) for hit in results.hits],
        ),
    )


@router.get(
    "/concepts/{concept_id}",
    response={200: ConceptDetailOut, 400: ErrorOut, 404: MessageOut, 503: MessageOut},
    summary="One concept: participants by sex, age and race, and value histogram",
)
def concept(
    request: HttpRequest,
    concept_id: PathEx[int, P(ge=0, le=CONCEPT_ID_MAX)],  # type: ignore[valid-type]
) -> Status[ConceptDetailOut | MessageOut]:
    """Participants with the concept or any of its descendants, broken down by sex at birth,
    age group at consent and race and ethnicity (every category, a zero shown as "≤ 20"),
    with percentages of the shown cells' rounded counts; for measurements, a histogram of
    participants by their most recent value; the concept's parents and children. Cells that
    could reveal a count from 0 to 20 are suppressed. When the participants number from 1 to
    20 the breakdowns and histogram are null and `withheld` says why."""
    release = selectors.release_current()
    if release is None:
        return Status(503, MessageOut(detail=NO_RELEASE))
    page = selectors.concept_page(release=release, concept_id=concept_id)
    if page is None:
        return Status(404, MessageOut(detail="No concept has that id in the current release."))
    return Status(
        200,
        ConceptDetailOut(
            **_concept(request, page.concept),
            release=_release(release),
            withheld=page.withheld or None,
            by_sex=_breakdown(page.by_sex, "sex") if page.by_sex else None,
            by_age=_breakdown(page.by_age, "age") if page.by_age else None,
            by_race=_breakdown(page.by_race, "race") if page.by_race else None,
            histogram=HistogramOut(
                unit=page.unit,
                bins=[
                    HistogramBinOut(low=bin_.low, high=bin_.high, count=_count(bin_.count))
                    for bin_ in page.histogram
                ],
                no_value=_count(page.no_value),
            )
            if page.histogram and page.no_value
            else None,
            parents=[ConceptOut(**_concept(request, hit)) for hit in page.parents],
            children=[ConceptOut(**_concept(request, hit)) for hit in page.children],
        ),
    )


PERCENTAGES_ONE_ANSWER = (
    "Of the participants who answered, from the rounded counts; where the rounded counts shown "
    "add up to more than that total, of their sum, so they never add up to more than 100%. "
    "None for counts shown as ≤ 20 (0 to 20) or suppressed."
)
PERCENTAGES_SEVERAL_ANSWERS = (
    "Of the participants who answered, from the rounded counts; a person may choose several "
    "answers, so they add up to more than 100%. None for counts shown as ≤ 20 (0 to 20) or "
    "suppressed."
)


def _survey_question(request: HttpRequest, question: selectors.SurveyQuestion) -> dict[str, Any]:
    return {
        "code": question.code,
        "concept_id": question.concept_id,
        "name": question.wording.name,
        "name_es": question.wording.name_es,
        "text": question.wording.text,
        "several_answers": question.several_answers,
        "participants": _count(question.participants),
        "url": request.build_absolute_uri(reverse("research:survey_detail", args=[question.code])),
    }


@router.get(
    "/surveys",
    response={200: SurveyListOut, 503: MessageOut},
    summary="The surveys and their questions, with how many answered each",
)
def surveys(request: HttpRequest) -> Status[SurveyListOut | MessageOut]:
    """The program's surveys (The Basics, Health Care Access & Utilization, ...) and each
    question, in English and Spanish, with the participants who answered it (skipping
    included), rounded up to a multiple of 20; 1 to 20 shows as "≤ 20"."""
    release = selectors.release_current()
    if release is None:
        return Status(503, MessageOut(detail=NO_RELEASE))
    return Status(
        200,
        SurveyListOut(
            release=_release(release),
            surveys=[
                SurveyOut(
                    code=section.code,
                    label=labels.label(labels.SURVEY_LABELS, section.code),
                    questions=[
                        SurveyQuestionOut(**_survey_question(request, question))
                        for question in section.questions
                    ],
                )
                for section in selectors.survey_sections(release=release)
            ],
        ),
    )


@router.get(
    "/surveys/{question}",
    response={200: SurveyQuestionDetailOut, 400: ErrorOut, 404: MessageOut, 503: MessageOut},
    summary="One survey question: participants by answer",
)
def survey_question(
    request: HttpRequest,
    question: PathEx[  # type: ignore[valid-type]
        str, P(max_length=selectors.SURVEY_QUESTION_MAX_LENGTH, pattern=r"^[a-z0-9_]+$")
    ],
) -> Status[SurveyQuestionDetailOut | MessageOut]:
    """Every answer option of the question with the participants who chose it, skipping and
    "prefer not to answer" included. Counts from 0 to 20 show as "≤ 20"; cells that could
    reveal a count from 1 to 20 are suppressed; when 20 or fewer answered, no answer is
    described (`breakdown_hidden`)."""
    release = selectors.release_current()
    if release is None:
        return Status(503, MessageOut(detail=NO_RELEASE))
    page = selectors.survey_question(release=release, code=question)
    if page is None:
        return Status(
            404, MessageOut(detail="No survey question has that code in the current release.")
        )
    return Status(
        200,
        SurveyQuestionDetailOut(
            **_survey_question(request, page.question),
            survey=page.question.survey,
            release=_release(release),
            breakdown_hidden=page.breakdown_hidden,
            percentages=PERCENTAGES_SEVERAL_ANSWERS
            if page.question.several_answers
            else PERCENTAGES_ONE_ANSWER,
            answers=[
                SurveyAnswerOut(
                    code=answer.code,
                    concept_id=answer.concept_id,
                    name=answer.wording.name,
                    name_es=answer.wording.name_es,
                    text=answer.wording.text,
                    count=_count(answer.count),
                    percentage=answer.percentage,
                )
                for answer in page.answers
            ],
        ),
    )


# --- Researchers: the cohort count -------------------------------------------------------------
# Mounted at /api/v1/research (config/api.py). Token auth with the `research` scope AND current
# registered access, worked out afresh at each request (access.py).


researcher_router = Router(tags=["research workbench"])


class ResearcherTokenAuth(ApiTokenAuth):
    """A live token with the `research` scope whose owner has registered access now."""

    def __init__(self) -> None:
        super().__init__(scope=ApiTokenScope.RESEARCH)

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = super().authenticate(request, token)
        state = access_of(user)
        if not state.has(Tier.REGISTERED):
            with translation.override("en"):
                missing = "; ".join(str(item.requirement.label) for item in state.missing())
            raise ApiTokenRefused(
                status=403,
                detail="Counting cohorts needs current registered access. Still missing: "
                f"{missing or 'registered access'}.",
            )
        return user


@researcher_router.post(
    "/cohorts/count",
    response={
        200: CohortCountOut,
        400: ErrorOut,
        401: MessageOut,
        403: MessageOut,
        413: MessageOut,
        503: MessageOut,
    },
    auth=ResearcherTokenAuth(),
    summary="Count a cohort definition (scope: research; registered access)",
    openapi_extra={"requestBody": COHORT_DEFINITION_BODY},
)
def cohort_count(request: HttpRequest) -> Status[CohortCountOut | ErrorOut | MessageOut]:
    """The body is a cohort definition. The count is protected as every count a researcher
    sees: 0 to 20 show as "≤ 20", others round up to a multiple of 20, and a count within 20
    of one this researcher was already shown in the release is shown as that one was (the
    same ledger as the cohort builder's pages). 400 names the path of the first problem in
    the definition (`errors`), 413 refuses a body over 64 KB, 503 before the first release."""
    if len(request.body) > COHORT_BODY_MAX_BYTES:
        return Status(413, MessageOut(detail="The definition is larger than 64 KB."))
    try:
        data = json.loads(request.body or b"null")
    except (ValueError, RecursionError):
        return Status(
            400, ErrorOut(detail="The body is not JSON.", errors={"body": ["must be JSON"]})
        )
    try:
        definition = definition_parse(data)
    except (DefinitionError, RecursionError) as error:
        path = getattr(error, "path", "") or "body"
        message = getattr(error, "message", "is nested too deeply")
        return Status(
            400,
            ErrorOut(detail=f"The definition is not valid: {error}", errors={path: [message]}),
        )
    release = selectors.release_current()
    if release is None:
        return Status(503, MessageOut(detail=NO_RELEASE))
    try:
        result = services.cohort_count(user=request.user, release=release, definition=definition)
    except DefinitionError as error:
        return Status(
            400,
            ErrorOut(
                detail=f"The definition is not valid: {error}",
                errors={error.path or "body": [error.message]},
            ),
        )
    except services.CohortRefused as refused:
        return Status(403, MessageOut(detail=refused.message))
    except services.CohortTooSlow:
        return Status(503, MessageOut(detail="The count took too long; try a simpler cohort."))
    return Status(200, CohortCountOut(count=_count(result.count), release=release.version))
