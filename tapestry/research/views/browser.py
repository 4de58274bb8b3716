"""The public Data Browser and the program's diversity dashboard."""

import datetime
import re
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from tapestry.accounts.api import AuthenticatedRequest
from tapestry.research import charts, exports, labels, selectors
from tapestry.research.forms import ConceptSearchForm
from tapestry.research.models import Release
from tapestry.research.permissions import can_view_diversity_dashboard


def _no_release(request: HttpRequest) -> HttpResponse:
    """Before the first release is ready there is nothing to browse yet: say so, kindly."""
    return render(request, "research/no_release.html")


# The public Data Browser


@require_GET
def browser_home(request: HttpRequest) -> HttpResponse:
    release = selectors.release_current()
    if release is None:
        return _no_release(request)
    return render(
        request,
        "research/browser_home.html",
        {
            "summary": selectors.public_summary(release=release),
            "form": ConceptSearchForm(),
        },
    )


def _page_number(request: HttpRequest) -> int:
    """The `page` asked for; anything but a whole number from 1 ("abc", "0", "¹") is page 1."""
    text = request.GET.get("page", "")
    return max(1, int(text)) if re.fullmatch(r"[0-9]{1,9}", text) else 1


@require_GET
def concept_search(request: HttpRequest) -> HttpResponse:
    release = selectors.release_current()
    if release is None:
        return _no_release(request)
    form = ConceptSearchForm(request.GET)
    htmx = bool(request.headers.get("HX-Request"))
    template = "research/concept_search_live.html" if htmx else "research/concept_search.html"
    context: dict[str, Any] = {"form": form, "release": release, "hits": None}
    if form.is_valid():
        search = {
            "release": release,
            "query": form.cleaned_data["q"],
            "domain": form.cleaned_data["domain"],
        }
        results = selectors.concept_search(**search, page=_page_number(request))
        if results.page > results.pages:
            # A page past the last (an old link, a hand-edited URL) shows the last one.
            results = selectors.concept_search(**search, page=results.pages)
        context.update(hits=results.hits, result=results, query=form.cleaned_data["q"])
    response = render(request, template, context, status=200 if form.is_valid() else 400)
    # The same URL answers with the whole page or, for htmx, only the results.
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_GET
def concept_detail(request: HttpRequest, concept_id: int) -> HttpResponse:
    release = selectors.release_current()
    if release is None:
        return _no_release(request)
    page = selectors.concept_page(release=release, concept_id=concept_id)
    if page is None:
        raise Http404
    chart = (
        charts.histogram_chart(
            [(bin_.low, bin_.high) for bin_ in page.histogram],
            [None if bin_.count.hidden else bin_.count.value for bin_ in page.histogram],
        )
        if page.histogram
        else None
    )
    breakdowns = [
        (kind, title, breakdown, _breakdown_chart(kind, breakdown))
        for kind, title, breakdown in (
            ("sex", _("By sex at birth"), page.by_sex),
            ("age", _("By age at consent"), page.by_age),
            ("race", _("By race and ethnicity"), page.by_race),
        )
        if breakdown is not None
    ]
    return render(
        request,
        "research/concept_detail.html",
        {
            "page": page,
            "concept": page.concept,
            "release": release,
            "breakdowns": breakdowns,
            "page_related": [
                (_("More general concepts"), page.parents),
                (_("More specific concepts"), page.children),
            ],
            "chart": chart,
        },
    )


def _breakdown_chart(kind: str, breakdown: selectors.Breakdown) -> charts.CategoryChart:
    """A bar per category, from the published counts: "≤ 20" as an outline, suppressed none."""
    group_labels = labels.BREAKDOWN_LABELS[kind]
    return charts.category_chart(
        [
            (
                labels.label(group_labels, cell.key),
                labels.public_count_text(cell.count),
                cell.count.value,
                cell.count.hidden,
            )
            for cell in breakdown.cells
        ]
    )


@require_GET
def survey_index(request: HttpRequest) -> HttpResponse:
    release = selectors.release_current()
    if release is None:
        return _no_release(request)
    return render(
        request,
        "research/survey_index.html",
        {"release": release, "sections": selectors.survey_sections(release=release)},
    )


@require_GET
def survey_detail(request: HttpRequest, question_code: str) -> HttpResponse:
    release = selectors.release_current()
    if release is None:
        return _no_release(request)
    page = selectors.survey_question(release=release, code=question_code)
    if page is None:
        raise Http404(_("There is no such survey question in this release."))
    chart = charts.category_chart(
        [
            (
                answer.wording.text,
                labels.public_count_text(answer.count),
                answer.count.value,
                answer.count.hidden,
            )
            for answer in page.answers
        ]
    )
    return render(
        request,
        "research/survey_detail.html",
        {"page": page, "question": page.question, "release": release, "chart": chart},
    )


# The diversity dashboard (program staff and administrators)


def _year_share(point: selectors.YearPoint, code: str) -> float | None:
    """A year's share so far (0 to 1) for the chart, whose goals are shares.

    None while "≤ 20" or fewer have enrolled: such a share says nothing, and drawing it would
    only show the swings of rounding.
    """
    percentage = getattr(point, f"{code}_share")
    if percentage is None or point.enrolled.hidden:
        return None
    return percentage / 100


def _dashboard_release(request: HttpRequest) -> Release | None:
    if not can_view_diversity_dashboard(request.user):
        raise PermissionDenied
    return selectors.release_current()


@login_required
@require_GET
def diversity_dashboard(request: AuthenticatedRequest) -> HttpResponse:
    release = _dashboard_release(request)
    if release is None:
        return render(request, "research/diversity.html", {"dashboard": None})
    dashboard = selectors.diversity_dashboard(
        release=release, site=request.GET.get("site", "")[:40]
    )
    if dashboard is None:
        raise Http404(_("There is no such site in this release."))
    # The charts draw one point a year, at its first day.
    years = [datetime.date(point.year, 1, 1) for point in dashboard.years]
    return render(
        request,
        "research/diversity.html",
        {
            "dashboard": dashboard,
            "participants_chart": charts.counts_line_chart(
                years,
                [point.enrolled.value for point in dashboard.years],
                _("Participants enrolled each year"),
            ),
            "shares_chart": charts.shares_line_chart(
                years,
                [
                    (
                        labels.label(labels.GOAL_LABELS, goal.code),
                        [_year_share(point, goal.code) for point in dashboard.years],
                        goal.goal,
                    )
                    for goal in dashboard.overall.goals
                ],
                _("Goal: %(goal)s"),
            ),
            # Category by site: each site lists the categories in the same order.
            "category_rows": [
                (
                    cell,
                    dashboard.overall.not_answered[index],
                    [site.categories[index] for site in dashboard.sites],
                )
                for index, cell in enumerate(dashboard.overall.categories)
            ],
        },
    )


@login_required
@require_GET
def diversity_export(request: AuthenticatedRequest) -> HttpResponse:
    release = _dashboard_release(request)
    if release is None:
        raise Http404
    export = exports.diversity_csv(actor=request.user, release=release)
    response = HttpResponse("".join(export.lines), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    return response
