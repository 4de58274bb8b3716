"""Reads of the resources app for the public pages: published texts only (ADR 0027).

A text is public while `published_at` is set; what the public reads is its published copy
(`published_title`, `published_summary`, `published_body`, `published_transcript`,
`published_url`), never the
working copy an author may be changing. Every read here goes through `_live` and hands out a
`PublicText`, a plain value holding the published words only, so a page cannot show a draft
by reaching for the wrong field.
"""

import math
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from django.db.models import Exists, OuterRef, QuerySet

from tapestry.resources import search
from tapestry.resources.models import Audience, FocusArea, Kind, Language, Resource, ResourceText

PAGE_SIZE = 20
FEED_SIZE = 50
# The most a search box sends on; a longer query is cut, never refused.
MAX_QUERY_CHARACTERS = 200

# What a public page reads of a text, and nothing of its working copy.
_PUBLIC_FIELDS = (
    "resource_id",
    "resource__kind",
    "language",
    "slug",
    "published_title",
    "published_summary",
    "published_body",
    "published_transcript",
    "published_url",
    "first_published_at",
    "published_at",
)


def other_language(language: str) -> str:
    return Language.ENGLISH if language == Language.SPANISH else Language.SPANISH


@dataclass(frozen=True)
class Topic:
    """A focus area or an audience, named in the language of the page."""

    slug: str
    name: str


@dataclass(frozen=True)
class PublicText:
    """A published text as the public reads it."""

    resource_id: int
    language: str
    kind: str
    slug: str
    title: str
    summary: str
    body: str  # HTML, cleaned with nh3 when it was saved
    transcript: str
    url: str
    first_published_at: datetime
    published_at: datetime
    focus_areas: tuple[Topic, ...]
    audiences: tuple[Topic, ...]
    # Whether the resource is published in the other language too.
    other_language_published: bool

    @property
    def kind_label(self) -> str:
        return str(Kind(self.kind).label)

    @property
    def other_language(self) -> str:
        return other_language(self.language)

    @property
    def url_domain(self) -> str:
        """The host of `url` without "www.", as a person would say it ("medlineplus.gov")."""
        host = urlsplit(self.url).hostname or ""
        return host.removeprefix("www.")


@dataclass(frozen=True)
class PageOf:
    """One page of public texts, with the names templates/includes/pagination.html reads."""

    items: list[PublicText]
    page: int
    num_pages: int
    count: int

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.num_pages


def _live(language: str) -> QuerySet[ResourceText]:
    return ResourceText.objects.filter(language=language, published_at__isnull=False)


def _with_facts(texts: QuerySet[ResourceText]) -> QuerySet[ResourceText]:
    """Only the published fields, with the resource's topics and its other language's state."""
    other_live = ResourceText.objects.filter(
        resource_id=OuterRef("resource_id"), published_at__isnull=False
    ).exclude(language=OuterRef("language"))
    return (
        texts.select_related("resource")
        .prefetch_related("resource__focus_areas", "resource__audiences")
        .only(*_PUBLIC_FIELDS)
        .annotate(other_language_published=Exists(other_live))
    )


def _public(text: ResourceText, labels: str) -> PublicText:
    assert text.published_at is not None and text.first_published_at is not None
    resource = text.resource
    return PublicText(
        resource_id=text.resource_id,
        language=text.language,
        kind=resource.kind,
        slug=text.slug,
        title=text.published_title,
        summary=text.published_summary,
        body=text.published_body,
        transcript=text.published_transcript,
        url=text.published_url,
        first_published_at=text.first_published_at,
        published_at=text.published_at,
        focus_areas=tuple(
            Topic(area.slug, area.name(labels)) for area in resource.focus_areas.all()
        ),
        audiences=tuple(
            Topic(audience.slug, audience.name(labels)) for audience in resource.audiences.all()
        ),
        other_language_published=bool(getattr(text, "other_language_published", False)),
    )


def focus_areas(*, labels: str) -> list[Topic]:
    """The five focus areas in order, named in `labels`' language."""
    return [Topic(area.slug, area.name(labels)) for area in FocusArea.objects.all()]


def focus_area_summaries(*, language: str) -> list[tuple[Topic, str]]:
    """The five focus areas in order, each with its one-line summary in `language`."""
    return [
        (Topic(area.slug, area.name(language)), area.summary(language))
        for area in FocusArea.objects.all()
    ]


def audiences(*, labels: str) -> list[Topic]:
    return [Topic(audience.slug, audience.name(labels)) for audience in Audience.objects.all()]


def texts_published(
    *,
    language: str,
    area: str = "",
    kind: str = "",
    audience: str = "",
    query: str = "",
) -> QuerySet[ResourceText]:
    """Published texts in `language`, filtered; a search's best match first, else the newest.

    The filters are subqueries on the resource rather than joins, so they add no rows to
    whatever the full-text search returns and keep its order.
    """
    query = query.strip()[:MAX_QUERY_CHARACTERS]
    if query:
        texts = search.texts_find(query=query, language=language).filter(published_at__isnull=False)
    else:
        texts = _live(language).order_by("-published_at", "-pk")
    resources = Resource.objects.all()
    if area:
        resources = resources.filter(focus_areas__slug=area)
    if audience:
        resources = resources.filter(audiences__slug=audience)
    if kind:
        resources = resources.filter(kind=kind)
    if area or audience or kind:
        texts = texts.filter(resource_id__in=resources.values("pk"))
    return texts


def texts_page(
    *,
    language: str,
    labels: str,
    page: int = 1,
    area: str = "",
    kind: str = "",
    audience: str = "",
    query: str = "",
) -> PageOf:
    """Page `page` (of PAGE_SIZE) of `texts_published`; a page past the last shows the last.
    Topics are named in `labels`' language (the page's, which may differ from the texts')."""
    texts = texts_published(language=language, area=area, kind=kind, audience=audience, query=query)
    count = texts.count()
    pages = max(1, math.ceil(count / PAGE_SIZE))
    page = min(max(1, page), pages)
    rows = _with_facts(texts)[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    return PageOf([_public(text, labels) for text in rows], page, pages, count)


def texts_only_in_other_language(
    *, language: str, area: str = "", kind: str = "", audience: str = "", query: str = ""
) -> int:
    """How many resources matching the same filters (and the query, searched in the other
    language) are published in the other language but not in `language`: what a reader of
    `language` would miss."""
    other = other_language(language)
    in_language = _live(language).values("resource_id")
    return (
        texts_published(language=other, area=area, kind=kind, audience=audience, query=query)
        .exclude(resource_id__in=in_language)
        .count()
    )


def text_public(*, resource_id: int, language: str, labels: str = "") -> PublicText | None:
    """The resource's published text in `language`, or None (a draft, withdrawn, unknown)."""
    text = _with_facts(_live(language).filter(resource_id=resource_id)).first()
    return _public(text, labels or language) if text else None


def other_language_public(
    *, resource_id: int, language: str, labels: str = ""
) -> PublicText | None:
    """The resource's published text in the language other than `language`, or None."""
    return text_public(resource_id=resource_id, language=other_language(language), labels=labels)


def texts_newest(*, language: str, limit: int | None = None) -> list[PublicText]:
    """The `limit` (FEED_SIZE) texts in `language` first published most recently."""
    texts = _live(language).order_by("-first_published_at", "-pk")
    return [_public(text, language) for text in _with_facts(texts)[: limit or FEED_SIZE]]
