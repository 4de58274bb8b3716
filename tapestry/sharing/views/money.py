"""Money and figures pages: a library's monthly statement and its CSV, a library's own figures
(for its liaison; another library's id is a 404, as if it did not exist), and the network's
figures for program staff and administrators (anyone else signed in: 403).

A month (`?month=2026-10`) or a period (`?from=2025-12&to=2026-11`) that cannot be read is said
on the page with a 400, never a 500. Charts are SVG drawn here and in the templates (no script,
no inline style: the CSP forbids both), each with a table of the same figures beside it.
"""

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.text import capfirst
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from tapestry.accounts.api import AuthenticatedRequest
from tapestry.core.api import csv_lines, reading_from_replica
from tapestry.network.api import organizations_get, regions
from tapestry.sharing import ledger, metrics, permissions
from tapestry.sharing.metrics import Figures, GroupFigures, LenderLoad, Period, PeriodError

TEMPLATES = "sharing/money"

# --- Charts (horizontal bars, one per group, value after the bar) ---

CHART_WIDTH = 400
CHART_LEFT = 4
# Room after the longest bar for its value ("100.0%", "1,234.5 h").
CHART_VALUE_ROOM = 90
LABEL_HEIGHT = 22
BAR_HEIGHT = 18
GAP = 12
# Labels longer than this are cut (the table beside says them whole).
LABEL_CHARACTERS = 44


@dataclass(frozen=True)
class ChartBar:
    label: str
    label_y: float
    y: float
    width: float
    value_x: float
    value_text: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: list[ChartBar]
    bar_height: int = BAR_HEIGHT


def bar_chart(lines: list[tuple[str, float | None, str]], *, top: float | None = None) -> Chart:
    """A chart of (label, value or None, value as text) lines in the order given; the longest
    bar is `top` (default: the largest value)."""
    top = top or max((value or 0 for _label, value, _text in lines), default=0) or 1
    plot = CHART_WIDTH - CHART_LEFT - CHART_VALUE_ROOM
    step = LABEL_HEIGHT + BAR_HEIGHT + GAP
    bars = []
    for index, (label, value, text) in enumerate(lines):
        width = round(plot * (value or 0) / top, 1)
        bars.append(
            ChartBar(
                label=label
                if len(label) <= LABEL_CHARACTERS
                else label[: LABEL_CHARACTERS - 1] + "…",
                label_y=index * step + LABEL_HEIGHT - 5,
                y=index * step + LABEL_HEIGHT,
                width=width,
                value_x=round(CHART_LEFT + width + 6, 1),
                value_text=text,
            )
        )
    return Chart(width=CHART_WIDTH, height=max(step * len(lines), step), bars=bars)


@dataclass(frozen=True)
class ChartTable:
    """A chart and the table beside it: the first column names the group, the others hold
    the figures (already written for people)."""

    id: str
    title: str
    chart: Chart | None
    group_title: str
    columns: list[str]
    rows: list[tuple[str, list[str]]]


# --- Writing figures for people ---


def percent_text(rate: float | None) -> str:
    if rate is None:
        return _("none closed")
    return _("%(percent)s%%") % {"percent": number_format(round(rate * 100, 1), 1)}


def hours_text(hours: float | None) -> str:
    if hours is None:
        return _("none filled")
    return _("%(hours)s h") % {"hours": number_format(round(hours, 1), 1, force_grouping=True)}


def month_label(month: datetime.date) -> str:
    """ "October 2026", "octubre de 2026" (Spanish months are lowercase inside a sentence;
    `capfirst` where one starts a heading or a row)."""
    return date_format(month, "YEAR_MONTH_FORMAT")


def net_text(net_cents: int, *, we: bool = True) -> str:
    """The net in words, so its sign is never the only sign of who owes."""
    if net_cents > 0:
        return (_("Owed to us %(amount)s") if we else _("Is owed %(amount)s")) % {
            "amount": ledger.dollars(net_cents)
        }
    if net_cents < 0:
        return (_("We owe %(amount)s") if we else _("Owes %(amount)s")) % {
            "amount": ledger.dollars(-net_cents)
        }
    return _("Even")


def _region_labels() -> dict[str, str]:
    language = get_language()
    return {region.code: region.display_name(language) for region in regions()}


def _group_labels(figures: Figures) -> dict[str, str]:
    keys = [group.key for group in figures.groups]
    if figures.group_by == "month":
        return {
            key: capfirst(month_label(datetime.date(int(key[:4]), int(key[5:7]), 1)))
            for key in keys
        }
    if figures.group_by == "region":
        names = _region_labels()
        return {key: names.get(key, key) if key else _("No region") for key in keys}
    known = organizations_get(organization_ids=[int(key) for key in keys])
    return {key: known[int(key)].name if int(key) in known else f"#{key}" for key in keys}


def _groups_in_order(figures: Figures) -> list[tuple[str, GroupFigures]]:
    """(label, figures) per group: every month of the period (empty ones too), regions and
    libraries by name."""
    labels = _group_labels(figures)
    by_key = {group.key: group for group in figures.groups}
    if figures.group_by == "month":
        months = figures.period.months
        keys = [f"{month:%Y-%m}" for month in months]
        return [
            (capfirst(month_label(month)), by_key.get(key, GroupFigures(key=key)))
            for month, key in zip(months, keys, strict=True)
        ]
    return sorted(
        ((labels[group.key], group) for group in figures.groups),
        key=lambda pair: pair[0].casefold(),
    )


def fill_rate_section(
    section_id: str, title: str, group_title: str, figures: Figures
) -> ChartTable:
    groups = _groups_in_order(figures)
    return ChartTable(
        id=section_id,
        title=title,
        chart=bar_chart(
            [(label, group.fill_rate, percent_text(group.fill_rate)) for label, group in groups],
            top=1.0,
        ),
        group_title=group_title,
        columns=[_("Filled"), _("Closed"), _("Fill rate")],
        rows=[
            (
                label,
                [
                    number_format(group.filled, force_grouping=True),
                    number_format(group.closed, force_grouping=True),
                    percent_text(group.fill_rate),
                ],
            )
            for label, group in groups
        ]
        + [
            (
                _("All"),
                [
                    number_format(figures.total.filled, force_grouping=True),
                    number_format(figures.total.closed, force_grouping=True),
                    percent_text(figures.total.fill_rate),
                ],
            )
        ],
    )


def turnaround_section(
    section_id: str, title: str, group_title: str, figures: Figures
) -> ChartTable:
    groups = _groups_in_order(figures)
    return ChartTable(
        id=section_id,
        title=title,
        chart=bar_chart(
            [
                (label, group.turnaround_median_hours, hours_text(group.turnaround_median_hours))
                for label, group in groups
            ]
        ),
        group_title=group_title,
        columns=[_("Filled"), _("Median"), _("90th percentile")],
        rows=[
            (
                label,
                [
                    number_format(group.filled, force_grouping=True),
                    hours_text(group.turnaround_median_hours),
                    hours_text(group.turnaround_p90_hours),
                ],
            )
            for label, group in groups
        ]
        + [
            (
                _("All"),
                [
                    number_format(figures.total.filled, force_grouping=True),
                    hours_text(figures.total.turnaround_median_hours),
                    hours_text(figures.total.turnaround_p90_hours),
                ],
            )
        ],
    )


def reasons_section(section_id: str, title: str, figures: Figures) -> ChartTable:
    """The unfilled reasons of the whole period, every reason listed (zero ones too)."""
    choices = metrics.reason_choices()
    counts = figures.total.reasons
    return ChartTable(
        id=section_id,
        title=title,
        chart=bar_chart(
            [
                (label, counts.get(key, 0), number_format(counts.get(key, 0), force_grouping=True))
                for key, label in choices
            ]
        ),
        group_title=_("Reason"),
        columns=[_("Lenders' turns")],
        rows=[
            (label, [number_format(counts.get(key, 0), force_grouping=True)])
            for key, label in choices
        ]
        + [(_("All"), [number_format(figures.total.unfilled_turns, force_grouping=True)])],
    )


def reasons_by_group_section(
    section_id: str, title: str, group_title: str, figures: Figures
) -> ChartTable:
    """A table only (a chart of every reason for every group would not read better)."""
    choices = metrics.reason_choices()
    return ChartTable(
        id=section_id,
        title=title,
        chart=None,
        group_title=group_title,
        columns=[label for _key, label in choices],
        rows=[
            (label, [number_format(group.reasons.get(key, 0)) for key, _label in choices])
            for label, group in _groups_in_order(figures)
        ],
    )


def load_rows(loads: Iterable[LenderLoad]) -> list[tuple[str, list[str]]]:
    return [
        (
            load.name,
            [
                number_format(load.asked_now, force_grouping=True),
                number_format(load.answered_recently, force_grouping=True),
                hours_text(load.median_answer_hours) if load.answered_recently else _("none"),
            ],
        )
        for load in loads
    ]


# --- Reading the query string ---


def _month_of(request: AuthenticatedRequest) -> datetime.date:
    text = request.GET.get("month", "")
    return metrics.month_parse(text) if text.strip() else timezone.localdate().replace(day=1)


def _period_of(request: AuthenticatedRequest) -> Period:
    return metrics.period_parse(
        first=request.GET.get("from", ""),
        last=request.GET.get("to", ""),
        today=timezone.localdate(),
    )


def _library_of(request: AuthenticatedRequest, organization_id: int) -> str:
    """The library's name, for its liaison only; a 404 for anyone else (as for no library)."""
    if not permissions.acts_for(request.user, organization_id):
        raise Http404
    known = organizations_get(organization_ids=[organization_id])
    if organization_id not in known:
        raise Http404
    return known[organization_id].name


def _network_reader(request: AuthenticatedRequest) -> None:
    if not permissions.sees_network_figures(request.user):
        raise PermissionDenied


def _csv_response(lines: Iterable[str], filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _bad_request_text(error: PeriodError) -> HttpResponse:
    return HttpResponse(str(error), status=400, content_type="text/plain; charset=utf-8")


# --- A library's statement ---


@login_required
@require_GET
def library_statement(request: AuthenticatedRequest, organization_id: int) -> HttpResponse:
    name = _library_of(request, organization_id)
    context: dict[str, Any] = {
        "organization_id": organization_id,
        "library_name": name,
        "month_text": request.GET.get("month", ""),
    }
    try:
        month = _month_of(request)
    except PeriodError as error:
        context["error"] = str(error)
        return render(request, f"{TEMPLATES}/statement.html", context, status=400)
    result = ledger.statement(organization_id=organization_id, month=month)
    context.update(
        month=month,
        month_text=f"{month:%Y-%m}",
        month_label=month_label(month),
        previous_month=f"{metrics.add_months(month, -1):%Y-%m}",
        next_month=f"{metrics.add_months(month, 1):%Y-%m}",
        statement=result,
        totals=[
            (_("We owe"), ledger.dollars(result.owed_by_us_cents)),
            (_("We are owed"), ledger.dollars(result.owed_to_us_cents)),
            (_("Net"), net_text(result.net_cents)),
        ],
        lines=[
            (
                line.counterparty_name,
                ledger.dollars(line.owed_by_us_cents),
                ledger.dollars(line.owed_to_us_cents),
                net_text(line.net_cents),
            )
            for line in result.lines
        ],
        items=[
            (
                item.reference,
                item.filled_at,
                item.title,
                _("Borrowed") if item.we_borrowed else _("Lent"),
                item.counterparty_name,
                ledger.dollars(item.amount_cents),
            )
            for item in result.items
        ],
    )
    return render(request, f"{TEMPLATES}/statement.html", context)


@login_required
@require_GET
def library_statement_csv(request: AuthenticatedRequest, organization_id: int) -> HttpResponseBase:
    _library_of(request, organization_id)
    try:
        month = _month_of(request)
    except PeriodError as error:
        return _bad_request_text(error)
    result = ledger.statement(organization_id=organization_id, month=month)
    return _csv_response(
        ledger.statement_csv_lines(result), f"statement-{organization_id}-{month:%Y-%m}.csv"
    )


# --- A library's own figures ---


@login_required
@require_GET
def library_figures(request: AuthenticatedRequest, organization_id: int) -> HttpResponse:
    name = _library_of(request, organization_id)
    context: dict[str, Any] = {
        "organization_id": organization_id,
        "library_name": name,
        "from_text": request.GET.get("from", ""),
        "to_text": request.GET.get("to", ""),
    }
    try:
        period = _period_of(request)
    except PeriodError as error:
        context["error"] = str(error)
        return render(request, f"{TEMPLATES}/figures.html", context, status=400)
    figures = metrics.library_figures(organization_id=organization_id, period=period)
    month = _("Month")
    context.update(
        period=period,
        from_text=f"{period.first_month:%Y-%m}",
        to_text=f"{period.last_month:%Y-%m}",
        first_label=month_label(period.first_month),
        last_label=month_label(period.last_month),
        load=[
            (_("Requests asked of us now"), number_format(figures.load.asked_now)),
            (_("Answered in the last 30 days"), number_format(figures.load.answered_recently)),
            (
                _("Median time to answer"),
                hours_text(figures.load.median_answer_hours)
                if figures.load.answered_recently
                else _("none"),
            ),
        ],
        lender_sections=[
            fill_rate_section(
                "lender-fill", _("Our fill rate as lender"), month, figures.as_lender
            ),
            turnaround_section(
                "lender-turnaround",
                _("Turnaround of the requests we filled"),
                month,
                figures.as_lender,
            ),
            reasons_section("lender-reasons", _("Why we did not fill"), figures.as_lender),
        ],
        borrower_sections=[
            fill_rate_section(
                "borrower-fill", _("Fill rate of our requests"), month, figures.as_borrower
            ),
            turnaround_section(
                "borrower-turnaround",
                _("Turnaround of our filled requests"),
                month,
                figures.as_borrower,
            ),
            reasons_section(
                "borrower-reasons", _("Why lenders did not fill our requests"), figures.as_borrower
            ),
        ],
    )
    return render(request, f"{TEMPLATES}/figures.html", context)


# --- The network's figures ---


def _network_figures(period: Period) -> dict[str, Figures]:
    return {
        "region": metrics.sharing_figures(period=period, group_by="region"),
        "month": metrics.sharing_figures(period=period, group_by="month"),
    }


@login_required
@require_GET
def network_figures(request: AuthenticatedRequest) -> HttpResponse:
    _network_reader(request)
    context: dict[str, Any] = {
        "from_text": request.GET.get("from", ""),
        "to_text": request.GET.get("to", ""),
        "month_text": request.GET.get("month", ""),
    }
    try:
        period = _period_of(request)
        month = _month_of(request)
    except PeriodError as error:
        context["error"] = str(error)
        return render(request, f"{TEMPLATES}/network.html", context, status=400)
    # The network's aggregates over every request of the period read from the replica: a
    # few seconds of lag cannot matter to them (the permission check above used the primary).
    with reading_from_replica():
        figures = _network_figures(period)
        nets = ledger.statements_network(month=month)
        lender_load = metrics.lender_load()
    region, month_title = _("Region"), _("Month")
    context.update(
        period=period,
        from_text=f"{period.first_month:%Y-%m}",
        to_text=f"{period.last_month:%Y-%m}",
        month_text=f"{month:%Y-%m}",
        first_label=month_label(period.first_month),
        last_label=month_label(period.last_month),
        month_label=month_label(month),
        totals=[
            (
                _("Requests closed"),
                number_format(figures["month"].total.closed, force_grouping=True),
            ),
            (_("Fill rate"), percent_text(figures["month"].total.fill_rate)),
            (
                _("Median turnaround"),
                hours_text(figures["month"].total.turnaround_median_hours),
            ),
            (
                _("90th percentile turnaround"),
                hours_text(figures["month"].total.turnaround_p90_hours),
            ),
        ],
        sections=[
            fill_rate_section("region-fill", _("Fill rate by region"), region, figures["region"]),
            turnaround_section(
                "region-turnaround", _("Turnaround by region"), region, figures["region"]
            ),
            fill_rate_section("month-fill", _("Fill rate by month"), month_title, figures["month"]),
            turnaround_section(
                "month-turnaround", _("Turnaround by month"), month_title, figures["month"]
            ),
            reasons_section("reasons", _("Unfilled reasons"), figures["month"]),
            reasons_by_group_section(
                "region-reasons", _("Unfilled reasons by region"), region, figures["region"]
            ),
            reasons_by_group_section(
                "month-reasons", _("Unfilled reasons by month"), month_title, figures["month"]
            ),
        ],
        load_rows=load_rows(lender_load),
        nets=[
            (
                net.name,
                ledger.dollars(net.owes_cents),
                ledger.dollars(net.is_owed_cents),
                net_text(net.net_cents, we=False),
            )
            for net in nets
        ],
        nets_total=(
            ledger.dollars(sum(net.owes_cents for net in nets)),
            ledger.dollars(sum(net.is_owed_cents for net in nets)),
        ),
    )
    return render(request, f"{TEMPLATES}/network.html", context)


def figures_csv_rows(figures: dict[str, Figures]) -> list[list[Any]]:
    """One line per group of each grouping in `figures`, in its order: counts, fill rate (%),
    turnaround hours (one decimal) and each unfilled reason. As lender, the counts are the
    library's turns."""
    choices = metrics.reason_choices()
    rows: list[list[Any]] = [
        [
            _("Grouped by"),
            _("Group"),
            _("Code"),
            _("Filled"),
            _("Not filled"),
            _("Fill rate (%)"),
            _("Median turnaround (business hours)"),
            _("90th percentile turnaround (business hours)"),
            *(label for _key, label in choices),
        ]
    ]
    titles = {
        "region": _("Region"),
        "month": _("Month"),
        "lender": _("Library as lender"),
        "borrower": _("Library as borrower"),
    }

    def hours(value: float | None) -> str:
        return "" if value is None else f"{value:.1f}"

    for grouping, result in figures.items():
        for label, group in _groups_in_order(result):
            rows.append(
                [
                    titles[grouping],
                    label,
                    group.key,
                    group.filled,
                    group.unfilled,
                    "" if group.fill_rate is None else f"{group.fill_rate * 100:.1f}",
                    hours(group.turnaround_median_hours),
                    hours(group.turnaround_p90_hours),
                    *(group.reasons.get(key, 0) for key, _label in choices),
                ]
            )
    return rows


def _network_csv(
    request: AuthenticatedRequest, build: Callable[[Period, datetime.date], HttpResponseBase]
) -> HttpResponseBase:
    _network_reader(request)
    try:
        period = _period_of(request)
        month = _month_of(request)
    except PeriodError as error:
        return _bad_request_text(error)
    return build(period, month)


@login_required
@require_GET
def network_figures_csv(request: AuthenticatedRequest) -> HttpResponseBase:
    def build(period: Period, _month: datetime.date) -> HttpResponseBase:
        # The page shows regions and months; the CSV adds every library, as lender and as
        # borrower (thousands of lines would not read on a page).
        with reading_from_replica():
            figures = {
                **_network_figures(period),
                "lender": metrics.sharing_figures(period=period, group_by="lender", as_lender=True),
                "borrower": metrics.sharing_figures(period=period, group_by="borrower"),
            }
        return _csv_response(
            csv_lines(figures_csv_rows(figures)),
            f"sharing-figures-{period.first_month:%Y-%m}-{period.last_month:%Y-%m}.csv",
        )

    return _network_csv(request, build)


@login_required
@require_GET
def network_statements_csv(request: AuthenticatedRequest) -> HttpResponseBase:
    def build(_period: Period, month: datetime.date) -> HttpResponseBase:
        with reading_from_replica():
            nets = ledger.statements_network(month=month)
        return _csv_response(
            ledger.network_csv_lines(nets),
            f"sharing-statements-{month:%Y-%m}.csv",
        )

    return _network_csv(request, build)


urlpatterns: list[URLPattern] = [
    path(
        "library/<int:organization_id>/statements/",
        library_statement,
        name="library_statement",
    ),
    path(
        "library/<int:organization_id>/statements.csv",
        library_statement_csv,
        name="library_statement_csv",
    ),
    path("library/<int:organization_id>/figures/", library_figures, name="library_figures"),
    path("network/", network_figures, name="network_figures"),
    path("network/figures.csv", network_figures_csv, name="network_figures_csv"),
    path("network/statements.csv", network_statements_csv, name="network_statements_csv"),
]
