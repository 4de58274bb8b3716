"""The public research API: the Data Browser's figures as JSON, no login.

Every count is protected (privacy.py) and carries its rounded number and its display text.
Every response an endpoint can give is declared: 400 for a parameter outside the constraints
the OpenAPI document states, 404 for a concept id the release lacks, 503 before the first
release.
"""

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils import translation
from ninja import P, PathEx, Query, Router, Status

from tapestry.research import labels, selectors
from tapestry.research.forms import ConceptSearchForm
from tapestry.research.models import Release
from tapestry.research.privacy import PublicCount
from tapestry.research.schemas import (
    CONCEPT_ID_MAX,
    BreakdownOut,
    CellOut,
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
    response={200: ConceptSearchOut, 400: ErrorOut, 503: MessageOut},
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
    `page_size` (at most 100) at a time; a `page` past the last is a 400."""
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
            400,
            ErrorOut(
                detail="Invalid request.",
                errors={"page": [f"There are {results.pages} pages of results."]},
            ),
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
    age group at consent and race and ethnicity, with percentages from the rounded counts;
    for measurements, a histogram of values. Cells that could reveal a count from 1 to 20
    are suppressed."""
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
            by_sex=_breakdown(page.by_sex, "sex"),
            by_age=_breakdown(page.by_age, "age"),
            by_race=_breakdown(page.by_race, "race"),
            histogram=HistogramOut(
                unit=page.unit,
                bins=[
                    HistogramBinOut(low=bin_.low, high=bin_.high, count=_count(bin_.count))
                    for bin_ in page.histogram
                ],
            )
            if page.histogram
            else None,
        ),
    )
