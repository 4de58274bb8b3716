"""The public pages of health information resources: browse and search, a resource in either
language, its handout as a PDF, and an Atom feed per language (ADR 0027).

Anyone may read them; they show published texts only (selectors.py), in the visitor's
language (`get_language()`), with a clear way to the other language.
"""

from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.utils.translation import get_language
from django.views.decorators.http import require_GET

from tapestry.resources import pdf, selectors
from tapestry.resources.feeds import TextsFeed
from tapestry.resources.models import Kind, Language

TEMPLATES = "resources/public"


def _visitor_language() -> str:
    language = get_language() or Language.ENGLISH
    return Language.SPANISH if language.startswith(Language.SPANISH) else Language.ENGLISH


def _language_or_404(language: str) -> str:
    if language not in Language.values:
        raise Http404
    return language


def _choice(params: QueryDict, name: str, allowed: set[str]) -> str:
    """The parameter when it is one of `allowed`; anything else is no filter at all."""
    value = params.get(name, "")
    return value if value in allowed else ""


def _page_number(params: QueryDict) -> int:
    value = params.get("page", "1")
    return int(value) if value.isdigit() and len(value) < 6 else 1


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    visitor = _visitor_language()
    params = request.GET
    area_cards = selectors.focus_area_summaries(language=visitor)
    areas = [area for area, _ in area_cards]
    audiences = selectors.audiences(labels=visitor)
    # A Spanish reader may choose to list the resources written in English only, and back.
    language = _choice(params, "language", set(Language.values)) or visitor
    filters = {
        "area": _choice(params, "area", {area.slug for area in areas}),
        "kind": _choice(params, "kind", set(Kind.values)),
        "audience": _choice(params, "audience", {audience.slug for audience in audiences}),
        "query": params.get("q", "").strip()[: selectors.MAX_QUERY_CHARACTERS],
    }
    result = selectors.texts_page(
        language=language, labels=visitor, page=_page_number(params), **filters
    )
    other = selectors.other_language(language)
    feed_url = reverse("resources:feed", args=[language])
    response = render(
        request,
        f"{TEMPLATES}/home.html",
        {
            "visitor_language": visitor,
            "listing_language": language,
            "other_language": other,
            "area_cards": area_cards,
            "areas": areas,
            "audiences": audiences,
            "kinds": Kind.choices,
            "filters": filters,
            "area_name": next((a.name for a in areas if a.slug == filters["area"]), ""),
            "filtered": any(filters.values()),
            "result": result,
            # Resources the reader would miss in this language, when there are some.
            "only_in_other_language": selectors.texts_only_in_other_language(
                language=language, **filters
            ),
            "feed_url": feed_url,
        },
    )
    # Feed discovery until base.html has a block for a <link rel="alternate"> in its head.
    response["Link"] = f'<{feed_url}>; rel="alternate"; type="application/atom+xml"'
    return response


def _detail(
    request: HttpRequest, text: selectors.PublicText, *, visitor: str, fallback: bool
) -> HttpResponse:
    other = selectors.other_language_public(
        resource_id=text.resource_id, language=text.language, labels=visitor
    )
    return render(
        request,
        f"{TEMPLATES}/detail.html",
        {
            "text": text,
            "other": other,
            "visitor_language": visitor,
            "fallback": fallback,
            "is_handout": text.kind == Kind.HANDOUT,
            "kind_is_video": text.kind == Kind.VIDEO,
            "kind_is_link": text.kind == Kind.LINK,
        },
    )


@require_GET
def detail(request: HttpRequest, resource_id: int) -> HttpResponse:
    """The resource in the visitor's language, or in the other one with a note saying so."""
    visitor = _visitor_language()
    text = selectors.text_public(resource_id=resource_id, language=visitor)
    if text is not None:
        return _detail(request, text, visitor=visitor, fallback=False)
    text = selectors.other_language_public(
        resource_id=resource_id, language=visitor, labels=visitor
    )
    if text is None:
        raise Http404
    return _detail(request, text, visitor=visitor, fallback=True)


@require_GET
def detail_language(request: HttpRequest, resource_id: int, language: str) -> HttpResponse:
    """The resource's text in `language`, whatever the visitor's language."""
    visitor = _visitor_language()
    text = selectors.text_public(
        resource_id=resource_id, language=_language_or_404(language), labels=visitor
    )
    if text is None:
        raise Http404
    return _detail(request, text, visitor=visitor, fallback=False)


@require_GET
def handout(request: HttpRequest, resource_id: int, language: str) -> HttpResponse:
    """A handout's published text as a PDF to print, in its own language."""
    text = selectors.text_public(resource_id=resource_id, language=_language_or_404(language))
    if text is None or text.kind != Kind.HANDOUT:
        raise Http404
    page_url = request.build_absolute_uri(
        reverse("resources:detail_language", args=[resource_id, language])
    )
    document = pdf.handout_pdf(text, page_url=page_url)
    response = HttpResponse(document, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{pdf.handout_filename(text)}"'
    return response


urlpatterns: list[URLPattern] = [
    path("", home, name="home"),
    path("feed/<str:language>.atom", TextsFeed(), name="feed"),
    path("<int:resource_id>/", detail, name="detail"),
    path("<int:resource_id>/<str:language>/", detail_language, name="detail_language"),
    path("<int:resource_id>/<str:language>/handout.pdf", handout, name="handout"),
]
