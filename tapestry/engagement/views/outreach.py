"""The outreach dashboard (`/engagement/outreach/`) and its CSV: the figures of
`outreach.outreach_figures` within the caller's scope (`outreach.outreach_scope`: program staff
and administrators everything, specialists their regions, liaisons their organizations; anyone
else 403). The CSV carries the same figures as the page, under the same scope and filters."""

import datetime
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from tapestry.accounts.api import AuthenticatedRequest
from tapestry.core.api import csv_lines, reading_from_replica
from tapestry.engagement.forms.outreach import OutreachFilterForm
from tapestry.engagement.outreach import (
    FIGURES,
    OutreachFigures,
    OutreachScope,
    default_period,
    outreach_figures,
    outreach_scope,
)
from tapestry.engagement.outreach_charts import Chart, bar_chart
from tapestry.network.api import regions, state_choices

TEMPLATES = "engagement/outreach"

# The page's sections: (id, heading, figure, reach figure or "").
SECTIONS = (
    ("events", "events", "events_es"),
    ("attendees", "attendees", "attendees_es"),
    ("participants", "participants", "participants_rural"),
    ("kits", "kits", ""),
    ("requests", "requests", ""),
)


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    reach_title: str
    chart: Chart
    rows: list[tuple[str, int, int | None]]
    total: int
    reach_total: int | None


def _scope_of(request: AuthenticatedRequest) -> OutreachScope:
    scope = outreach_scope(request.user)
    if scope is None:
        raise PermissionDenied
    return scope


def _form(request: AuthenticatedRequest, scope: OutreachScope) -> OutreachFilterForm:
    language = get_language()
    region_choices = [
        (region.code, region.display_name(language))
        for region in regions()
        if scope.everyone or region.code in scope.region_codes
    ]
    # The period shown when none is asked for, filled in so the date fields say it.
    data = request.GET.copy()
    first, last = default_period(timezone.localdate())
    if not data.get("date_from") and not data.get("date_to"):
        data["date_from"], data["date_to"] = first.isoformat(), last.isoformat()
    return OutreachFilterForm(
        data,
        regions=region_choices,
        states=state_choices(language=language),
        today=timezone.localdate(),
    )


def group_labels(figures: OutreachFigures) -> dict[str, str]:
    """Each group's name in the reader's language: the region's or state's name, or the
    month ("noviembre de 2026")."""
    language = get_language()
    group_by = figures.filters.group_by
    keys = [group.key for group in figures.groups]
    if group_by == "region":
        names = {region.code: region.display_name(language) for region in regions()}
        return {key: names.get(key, key) if key else _("No region") for key in keys}
    if group_by == "state":
        names = dict(state_choices(language=language))
        return {key: names.get(key, key) if key else _("No state given") for key in keys}
    return {
        key: date_format(
            datetime.date(int(key[:4]), int(key[5:7]), 1), "YEAR_MONTH_FORMAT"
        ).capitalize()
        for key in keys
    }


def _sections(figures: OutreachFigures, labels: dict[str, str]) -> list[Section]:
    titles = {key: str(label) for key, label in FIGURES}
    sections = []
    for section_id, figure, reach in SECTIONS:
        reach_known = bool(reach) and (figures.rural_known or reach != "participants_rural")
        rows = [
            (
                labels[group.key],
                group.values[figure],
                group.values[reach] if reach_known else None,
            )
            for group in figures.groups
        ]
        sections.append(
            Section(
                id=section_id,
                title=titles[figure],
                reach_title=titles[reach] if reach_known else "",
                chart=bar_chart(rows),
                rows=rows,
                total=figures.totals[figure],
                reach_total=figures.totals[reach] if reach_known else None,
            )
        )
    return sections


def csv_rows(figures: OutreachFigures, labels: dict[str, str]) -> list[list[Any]]:
    """The CSV: a header, one line per group, the totals (an unknown rural figure empty)."""
    group_title = {"region": _("Region"), "state": _("State"), "month": _("Month")}[
        figures.filters.group_by
    ]
    keys = [key for key, _label in FIGURES if figures.rural_known or key != "participants_rural"]
    titles = {key: str(label) for key, label in FIGURES}
    rows: list[list[Any]] = [[group_title, _("Code"), *(titles[key] for key in keys)]]
    for group in figures.groups:
        rows.append([labels[group.key], group.key, *(group.values[key] for key in keys)])
    rows.append([_("Total"), "", *(figures.totals[key] for key in keys)])
    return rows


@login_required
@require_GET
def outreach_dashboard(request: AuthenticatedRequest) -> HttpResponse:
    scope = _scope_of(request)
    form = _form(request, scope)
    if not form.is_valid():
        return render(
            request, f"{TEMPLATES}/dashboard.html", {"form": form, "figures": None}, status=400
        )
    # Five grouped counts over the period: the heaviest page a liaison opens, and a few
    # seconds of replica lag cannot matter to it.
    with reading_from_replica():
        figures = outreach_figures(scope=scope, filters=form.filters())
    labels = group_labels(figures)
    return render(
        request,
        f"{TEMPLATES}/dashboard.html",
        {
            "form": form,
            "figures": figures,
            "sections": _sections(figures, labels),
            "totals": [
                (str(label), figures.totals[key])
                for key, label in FIGURES
                if figures.rural_known or key != "participants_rural"
            ],
            "group_title": {"region": _("Region"), "state": _("State"), "month": _("Month")}[
                figures.filters.group_by
            ],
            "csv_query": request.GET.urlencode(),
        },
    )


@login_required
@require_GET
def outreach_csv(request: AuthenticatedRequest) -> HttpResponseBase:
    scope = _scope_of(request)
    form = _form(request, scope)
    if not form.is_valid():
        errors = "; ".join(str(error) for errors in form.errors.values() for error in errors)
        return HttpResponse(errors, status=400, content_type="text/plain; charset=utf-8")
    with reading_from_replica():
        figures = outreach_figures(scope=scope, filters=form.filters())
    filters = figures.filters
    response = StreamingHttpResponse(
        csv_lines(csv_rows(figures, group_labels(figures))), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="outreach-{filters.date_from:%Y%m%d}-{filters.date_to:%Y%m%d}'
        f'-by-{filters.group_by}.csv"'
    )
    return response
