"""Reads for the staff pages: every resource with each language's state, one text with what
its page shows (readability against its limits, the other language, the trail). Working copies
and drafts are read here only; the callers are the staff views, which let in only the people who
write or review resources (`services.may_author`, `services.may_review`)."""

from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet

from tapestry.resources import readability, services
from tapestry.resources.models import (
    Language,
    Resource,
    ResourceEvent,
    ResourceText,
    Status,
)

PAGE_SIZE = 25


@dataclass(frozen=True)
class LanguageState:
    language: str
    text: ResourceText | None
    out_of_date: bool  # behind the other language's latest change
    may_review: bool  # in review, and the viewer may review it (not their own)


@dataclass(frozen=True)
class ResourceRow:
    resource: Resource
    languages: tuple[LanguageState, ...]


def _may_review_text(viewer: Any, text: ResourceText) -> bool:
    return (
        text.status == Status.IN_REVIEW
        and services.may_review(viewer)
        and viewer.pk not in (text.author_id, text.last_edited_by_id)
    )


def resources_page(
    *, viewer: Any, query: str = "", needs_review: bool = False, page: Any = 1
) -> tuple[Page[Resource], list[ResourceRow]]:
    """A page of resources, newest first, whose title (in either language) contains `query`;
    with `needs_review`, only those with a text in review that `viewer` may review."""
    resources: QuerySet[Resource] = Resource.objects.order_by("-created_at", "-pk")
    if query.strip():
        resources = resources.filter(texts__title__icontains=query.strip())
    if needs_review:
        if not services.may_review(viewer):
            resources = resources.none()
        else:
            reviewable = ResourceText.objects.filter(status=Status.IN_REVIEW).exclude(
                Q(author=viewer) | Q(last_edited_by=viewer)
            )
            resources = resources.filter(texts__in=reviewable)
    resources = resources.distinct().prefetch_related("texts")
    found = Paginator(resources, PAGE_SIZE).get_page(page)
    rows = []
    for resource in found:
        by_language = {text.language: text for text in resource.texts.all()}
        states = []
        for language in Language.values:
            text = by_language.get(language)
            other = next((t for code, t in by_language.items() if code != language), None)
            states.append(
                LanguageState(
                    language=language,
                    text=text,
                    out_of_date=text is not None and services.translation_out_of_date(text, other),
                    may_review=text is not None and _may_review_text(viewer, text),
                )
            )
        rows.append(ResourceRow(resource=resource, languages=tuple(states)))
    return found, rows


def text_get(text_id: int) -> ResourceText | None:
    return (
        ResourceText.objects.select_related("resource", "author", "last_edited_by", "reviewer")
        .filter(pk=text_id)
        .first()
    )


def resource_get(resource_id: int) -> Resource | None:
    return (
        Resource.objects.prefetch_related("focus_areas", "audiences").filter(pk=resource_id).first()
    )


def other_text(text: ResourceText) -> ResourceText | None:
    return (
        ResourceText.objects.filter(resource_id=text.resource_id)
        .exclude(language=text.language)
        .first()
    )


@dataclass(frozen=True)
class FormulaRow:
    name: str
    value: float
    limit: float
    at_most: bool
    meets: bool


@dataclass(frozen=True)
class ReadabilityPanel:
    language: str
    target_grade: int
    words: int
    sentences: int
    formulas: tuple[FormulaRow, ...]
    meets_target: bool
    lower_is_easier: bool  # English grades: lower is easier; Spanish ease: higher is easier


def readability_panel(
    *, language: str, target_grade: int, values: dict[str, Any], words: int, sentences: int
) -> ReadabilityPanel:
    """Each formula's value beside its limit for the target grade."""
    rows = []
    for limit in readability.limits(language, target_grade):
        value = float(values.get(limit.formula, 0.0))
        rows.append(
            FormulaRow(
                name=limit.name,
                value=value,
                limit=limit.limit,
                at_most=limit.at_most,
                meets=bool(words) and limit.met_by(value),
            )
        )
    return ReadabilityPanel(
        language=language,
        target_grade=target_grade,
        words=words,
        sentences=sentences,
        formulas=tuple(rows),
        meets_target=bool(rows) and all(row.meets for row in rows),
        lower_is_easier=all(row.at_most for row in rows),
    )


def text_readability(text: ResourceText) -> ReadabilityPanel:
    """The working copy's readability as scored on its last save."""
    scores = text.readability or {}
    target = int(
        scores.get(
            "target_grade",
            readability.GRADE_CRITICAL if text.resource.critical else readability.GRADE,
        )
    )
    return readability_panel(
        language=text.language,
        target_grade=target,
        values=scores,
        words=int(scores.get("words", 0)),
        sentences=int(scores.get("sentences", 0)),
    )


def draft_readability(
    *, language: str, critical: bool, summary: str, body: str, transcript: str
) -> tuple[str, ReadabilityPanel]:
    """What the preview shows while someone types: the body as it would be saved (cleaned) and
    its readability, scored the way a save scores it (summary, body and transcript)."""
    cleaned = services.html_clean(body)
    words = readability.plain_text(f"<p>{summary}</p>{cleaned}{transcript}")
    result = readability.score(words, language=language, critical=critical)
    return cleaned, readability_panel(
        language=language,
        target_grade=result.target_grade,
        values=result.as_dict(),
        words=result.words,
        sentences=result.sentences,
    )


def trail(text: ResourceText) -> QuerySet[ResourceEvent]:
    return text.events.select_related("actor").order_by("-created_at", "-pk")


def public_copy_differs(text: ResourceText) -> bool:
    """Whether a published text has changes the public does not see yet."""
    return text.is_live and (
        text.title != text.published_title
        or text.summary != text.published_summary
        or text.body != text.published_body
        or text.transcript != text.published_transcript
    )
