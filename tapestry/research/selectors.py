"""Reads for the Data Browser and the diversity dashboard.

Every count these functions return is a privacy.PublicCount: the stored summaries hold raw
counts, and this module is the only reader of them, so no raw count reaches a page, a CSV or
the API.
"""

import datetime
import math
import re
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.db.models import Q

from tapestry.research.models import (
    CategorySummary,
    ConceptSummary,
    Domain,
    Release,
)
from tapestry.research.privacy import (
    SUPPRESSED,
    ProtectedTable,
    PublicCount,
    protect_breakdown,
    protect_breakdowns,
    protect_table,
    public_count,
    public_percentage,
)
from tapestry.research.warehouse import ubr
from tapestry.research.warehouse.release import AGE_GROUPS

SEARCH_MAX_LENGTH = 100
CONCEPT_ID_MAX = 2**63 - 1  # concept ids are 64-bit integers
SEARCH_LIMIT = 50
SEX_ORDER = ("female", "male", "intersex", "other", "unknown")
RACE_ORDER = (
    "aian",
    "asian",
    "black",
    "hispanic",
    "mena",
    "nhpi",
    "white",
    "more_than_one",
    "none_of_these",
    "unknown",
)
AGE_ORDER = tuple(label for _low, _high, label in AGE_GROUPS)


@dataclass(frozen=True)
class Cell:
    key: str
    count: PublicCount
    percentage: float | None


@dataclass(frozen=True)
class Breakdown:
    total: PublicCount
    cells: list[Cell]


@dataclass(frozen=True)
class ConceptHit:
    concept_id: int
    name: str
    code: str
    vocabulary: str
    domain: str
    participants: PublicCount


@dataclass(frozen=True)
class HistogramBin:
    low: float
    high: float
    count: PublicCount


@dataclass(frozen=True)
class ConceptPage:
    concept: ConceptHit
    release: Release
    by_sex: Breakdown
    by_age: Breakdown
    by_race: Breakdown
    unit: str = ""
    histogram: list[HistogramBin] = field(default_factory=list)


@dataclass(frozen=True)
class DomainTotal:
    domain: str
    participants: PublicCount
    concepts: int


@dataclass(frozen=True)
class PublicSummary:
    release: Release
    participants: PublicCount
    domains: list[DomainTotal]


def release_current() -> Release | None:
    """The newest ready release; one still being built is never served."""
    return (
        Release.objects.filter(status=Release.Status.READY).order_by("-finished_at", "-pk").first()
    )


def public_summary(*, release: Release) -> PublicSummary:
    order = {domain.value: index for index, domain in enumerate(Domain)}
    domains = sorted(release.domains.all(), key=lambda row: order.get(row.domain, 99))
    return PublicSummary(
        release=release,
        participants=public_count(release.participants),
        domains=[
            DomainTotal(row.domain, public_count(row.participants), row.concepts) for row in domains
        ],
    )


def _hit(row: ConceptSummary) -> ConceptHit:
    return ConceptHit(
        concept_id=row.concept_id,
        name=row.name,
        code=row.code,
        vocabulary=row.vocabulary,
        domain=row.domain,
        participants=public_count(row.participants),
    )


def concept_search(
    *, release: Release, query: str = "", domain: str = "", limit: int = SEARCH_LIMIT
) -> list[ConceptHit]:
    """Concepts whose name holds every word of `query`, or whose code or id is `query`,
    most participants first. An empty query lists the most common concepts."""
    concepts = ConceptSummary.objects.filter(release=release)
    if domain:
        concepts = concepts.filter(domain=domain)
    words = query.lower().split()
    if words:
        by_words = Q()
        for word in words:
            by_words &= Q(search_text__contains=word)
        by_code = Q(code__iexact=query.strip())
        # ASCII digits only: str.isdigit() also holds for "¹" or "②", which int() refuses.
        if re.fullmatch(r"[0-9]{1,18}", query.strip()):
            by_code |= Q(concept_id=int(query.strip()))
        concepts = concepts.filter(by_words | by_code)
    return [_hit(row) for row in concepts.order_by("-participants", "name")[:limit]]


def _ordered(cells: dict[str, int], order: tuple[str, ...]) -> dict[str, int]:
    keys = [key for key in order if key in cells] + sorted(set(cells) - set(order))
    return {key: cells[key] for key in keys}


def concept_page(*, release: Release, concept_id: int) -> ConceptPage | None:
    """None for an id no concept in the release has, including ids no database column holds."""
    if not 0 <= concept_id <= CONCEPT_ID_MAX:
        return None
    row = ConceptSummary.objects.filter(release=release, concept_id=concept_id).first()
    if row is None:
        return None
    # The three breakdowns share the concept's total, so they are protected together: one of
    # them could otherwise narrow the total and with it a small cell of another.
    breakdowns = {
        "sex": _ordered(row.by_sex, SEX_ORDER),
        "age": _ordered(row.by_age, AGE_ORDER),
        "race": _ordered(row.by_race, RACE_ORDER),
    }
    total, shown = protect_breakdowns(breakdowns, row.participants)

    def breakdown(name: str) -> Breakdown:
        return Breakdown(
            total=total,
            cells=[
                Cell(key, count, public_percentage(count, total))
                for key, count in shown[name].items()
            ],
        )

    histogram = row.histogram or {}
    bins = histogram.get("bins", [])
    # A participant may have values in several bins, so the bins share no published total;
    # they are protected as a breakdown of their own sum, which is not shown.
    bin_counts = {str(index): int(count) for index, (_low, _high, count) in enumerate(bins)}
    _bins_total, shown_bins = protect_breakdown(bin_counts, sum(bin_counts.values()))
    return ConceptPage(
        concept=_hit(row),
        release=release,
        by_sex=breakdown("sex"),
        by_age=breakdown("age"),
        by_race=breakdown("race"),
        unit=histogram.get("unit", ""),
        histogram=[
            HistogramBin(low, high, shown_bins[str(index)])
            for index, (low, high, _count) in enumerate(bins)
        ],
    )


# The diversity dashboard
#
# Its figures are linked: site-years add up to each site's total and to each year's total, the
# shares so far are running sums, minorities and UBR participants are among the participants,
# and every site page is read beside the others. So they are published as protected two-way
# tables (privacy.protect_table) with their margins, never one cell at a time, and everything
# else on the pages (shares, shares so far, projections) is worked out from those published
# figures only. Enrollment over time is by year: a site x month table is too fine to protect
# (most site-months are small) and too large for the audit to run in a page view. See
# docs/adr/0015-diversity-dashboard-disclosure.md.

DASHBOARD_CACHE_SECONDS = 24 * 60 * 60


@dataclass(frozen=True)
class GoalProgress:
    code: str  # "minority" or "ubr"
    goal: float  # share, e.g. 0.5
    count: PublicCount
    share: float | None  # from the published counts
    recent_share: float | None  # of the latest year's enrollment, from the published counts
    met_on: datetime.date | None  # projected month the share reaches the goal
    # "met", "projected", "not_at_current_pace", "no_data", "not_shown" (a count it needs is
    # suppressed), "overall_only" (a site not yet at the goal: projections are for all sites)
    status: str
    recent_year: int | None = None


@dataclass(frozen=True)
class SiteProgress:
    site: str
    site_name: str
    participants: PublicCount
    goals: list[GoalProgress]
    categories: list[Cell]


@dataclass(frozen=True)
class YearPoint:
    year: int
    enrolled: PublicCount
    minority: PublicCount | None  # all sites only
    ubr: PublicCount | None
    minority_share: float | None  # so far (this year and before), from the published counts
    ubr_share: float | None


@dataclass(frozen=True)
class Dashboard:
    release: Release
    overall: SiteProgress
    sites: list[SiteProgress]
    years: list[YearPoint]  # for `site`, or all sites when it is None
    site: SiteProgress | None = None


GOALS = (("minority", "RESEARCH_GOAL_MINORITY"), ("ubr", "RESEARCH_GOAL_UBR"))
ENROLLMENT_MEASURES = ("participants", "minority", "ubr")


@dataclass(frozen=True)
class _ProtectedDashboard:
    """Every count the dashboard publishes for a release, protected together."""

    site_names: dict[str, str]  # code → name, in the order the dashboard lists sites
    years: list[str]
    latest_month: datetime.date
    last_year_months: int  # months of the latest year the data covers
    enrollment: dict[str, ProtectedTable]  # measure → site x year
    categories: ProtectedTable  # site x category; its row totals are not published


def _protected_dashboard(release: Release) -> _ProtectedDashboard | None:
    """The release's protected tables, cached: protecting them takes a while, the release
    never changes once ready, and the key names the release exactly (id, version, start)."""
    key = f"research:diversity:v1:{release.pk}:{release.version}:{release.started_at.timestamp()}"
    protected = cache.get(key)
    if protected is None:
        protected = _protect_dashboard(release)
        cache.set(key, protected, DASHBOARD_CACHE_SECONDS)
    return protected


def _protect_dashboard(release: Release) -> _ProtectedDashboard | None:
    rows = list(release.enrollment.order_by("site", "month"))
    if not rows:
        return None
    site_names = dict(sorted({(row.site, row.site_name) for row in rows}, key=lambda s: s[1]))
    first = min(row.month for row in rows)
    latest = max(row.month for row in rows)
    if release.cutoff_date is not None:
        latest = max(latest, release.cutoff_date.replace(day=1))
    # Every year for every site, zeros too: a year left out would tell that it is 0.
    years = [str(year) for year in range(first.year, latest.year + 1)]
    enrollment: dict[str, ProtectedTable] = {}
    for measure in ENROLLMENT_MEASURES:
        cells = {(site, year): 0 for site in site_names for year in years}
        for row in rows:
            cells[row.site, str(row.month.year)] += getattr(row, measure)
        enrollment[measure] = protect_table(cells)
    # Minorities are among the UBR participants, who are among the participants. A total
    # suppressed in a smaller measure's table is free only if the same total of every larger
    # measure is suppressed too; otherwise a reader caps it by the larger one (say at "≤ 20")
    # and the smaller table's sums then narrow its other hidden counts. The smaller measures'
    # cells (site-years) are not published at all (see _years).
    enrollment["ubr"] = _suppress_alike(enrollment["ubr"], enrollment["minority"])
    enrollment["participants"] = _suppress_alike(enrollment["participants"], enrollment["ubr"])
    category_cells = {
        (site, category.code): 0 for site in site_names for category in ubr.CATEGORIES
    }
    for category_row in CategorySummary.objects.filter(release=release):
        if (category_row.site, category_row.category) in category_cells:
            category_cells[category_row.site, category_row.category] = category_row.participants
    first_month_of_latest_year = first.month if first.year == latest.year else 1
    return _ProtectedDashboard(
        site_names=site_names,
        years=years,
        latest_month=latest,
        last_year_months=latest.month - first_month_of_latest_year + 1,
        enrollment=enrollment,
        categories=protect_table(category_cells),
    )


def _suppress_alike(table: ProtectedTable, smaller: ProtectedTable) -> ProtectedTable:
    """`table` with every total suppressed that is suppressed in `smaller` (same shape).

    Suppressing more figures only widens what a reader can infer, so `table` stays protected.
    """

    def alike[Key](
        own: dict[Key, PublicCount], other: dict[Key, PublicCount]
    ) -> dict[Key, PublicCount]:
        return {key: SUPPRESSED if other[key].suppressed else count for key, count in own.items()}

    return ProtectedTable(
        total=table.total,
        row_totals=alike(table.row_totals, smaller.row_totals),
        column_totals=alike(table.column_totals, smaller.column_totals),
        # The smaller measures' cells are not published (see _years).
        cells=table.cells,
    )


def _enrollment_figure(table: ProtectedTable, site: str, year: str | None = None) -> PublicCount:
    """A published figure of a site x year table: a cell, a site's or a year's total."""
    if year is None:
        return table.row_totals[site] if site else table.total
    return table.cells[site, year] if site else table.column_totals[year]


def _goal_progress(
    protected: _ProtectedDashboard, site: str, code: str, goal: float
) -> GoalProgress:
    """Progress toward a goal, worked out from the published figures only."""
    tables = protected.enrollment
    participants = _enrollment_figure(tables["participants"], site)
    reached = _enrollment_figure(tables[code], site)
    share = public_percentage(reached, participants)
    latest_year = protected.years[-1]
    recent_total = _enrollment_figure(tables["participants"], site, latest_year)
    recent_reached = _enrollment_figure(tables[code], site, latest_year)
    recent_share = None if site else public_percentage(recent_reached, recent_total)
    recent_year = int(latest_year)
    if participants.value == 0:
        return GoalProgress(code, goal, reached, share, None, None, "no_data")
    if participants.value is None or reached.value is None:
        return GoalProgress(code, goal, reached, None, None, None, "not_shown")
    if reached.value >= goal * participants.value:
        return GoalProgress(code, goal, reached, share, recent_share, None, "met", recent_year)
    if site:
        # A site's minorities or UBR participants by year are not published (see _years).
        return GoalProgress(code, goal, reached, share, None, None, "overall_only")
    if recent_total.value is None or recent_reached.value is None:
        return GoalProgress(
            code, goal, reached, share, recent_share, None, "not_shown", recent_year
        )
    # (reached + r·t) / (total + n·t) ≥ goal  ⇔  t ≥ (goal·total - reached) / (r - goal·n)
    months_covered = protected.last_year_months
    gain = (recent_reached.value - goal * recent_total.value) / months_covered
    if gain <= 0:
        return GoalProgress(
            code, goal, reached, share, recent_share, None, "not_at_current_pace", recent_year
        )
    months = math.ceil((goal * participants.value - reached.value) / gain)
    latest = protected.latest_month
    year, month = divmod(latest.month - 1 + months, 12)
    met_on = datetime.date(latest.year + year, month + 1, 1) if latest.year + year < 9999 else None
    status = "projected" if met_on else "not_at_current_pace"
    return GoalProgress(code, goal, reached, share, recent_share, met_on, status, recent_year)


def _site_progress(protected: _ProtectedDashboard, site: str) -> SiteProgress:
    participants = _enrollment_figure(protected.enrollment["participants"], site)
    categories = protected.categories
    return SiteProgress(
        site=site,
        site_name=protected.site_names.get(site, ""),
        participants=participants,
        goals=[
            _goal_progress(protected, site, code, getattr(settings, setting))
            for code, setting in GOALS
        ],
        # Categories overlap (one person may be in several), so each is its own count.
        categories=[
            Cell(
                category.code,
                count,
                public_percentage(count, participants),
            )
            for category in ubr.CATEGORIES
            for count in [
                categories.cells[site, category.code]
                if site
                else categories.column_totals[category.code]
            ]
        ],
    )


def _years(protected: _ProtectedDashboard, site: str) -> list[YearPoint]:
    """Enrollment by year, with the shares so far from the running sums of published counts
    (None once a count they need is suppressed).

    Minorities and UBR participants by year are published for all sites only: at a site, a
    year's non-UBR participants (participants minus UBR) are often a handful, and reading a
    site's participants and UBR counts beside the all-sites ones pins such small counts down
    (the attack test found it), which protecting each table on its own cannot prevent.
    """
    points: list[YearPoint] = []
    running: dict[str, int | None] = dict.fromkeys(ENROLLMENT_MEASURES, 0)
    for year in protected.years:
        counts = {
            measure: _enrollment_figure(protected.enrollment[measure], site, year)
            for measure in ENROLLMENT_MEASURES
        }
        for measure, count in counts.items():
            so_far = running[measure]
            running[measure] = (
                None if so_far is None or count.value is None else so_far + count.value
            )
        shares = {
            code: (
                public_percentage(
                    public_count(running[code] or 0), public_count(running["participants"] or 0)
                )
                if running[code] is not None and running["participants"] is not None
                else None
            )
            for code in ("minority", "ubr")
        }
        points.append(
            YearPoint(
                year=int(year),
                enrolled=counts["participants"],
                minority=None if site else counts["minority"],
                ubr=None if site else counts["ubr"],
                minority_share=None if site else shares["minority"],
                ubr_share=None if site else shares["ubr"],
            )
        )
    return points


def enrollment_by_year(*, release: Release, site: str = "") -> list[YearPoint]:
    """Enrollment by year for one site (or all sites, ""), as on that site's page."""
    protected = _protected_dashboard(release)
    return _years(protected, site) if protected is not None else []


def diversity_dashboard(*, release: Release, site: str = "") -> Dashboard | None:
    """The dashboard; with `site`, enrollment over time is that site's. None for an unknown
    site."""
    protected = _protected_dashboard(release)
    if protected is None:
        if site:
            return None
        empty = public_count(0)
        return Dashboard(
            release=release,
            overall=SiteProgress(
                "",
                "",
                empty,
                [
                    GoalProgress(code, getattr(settings, s), empty, None, None, None, "no_data")
                    for code, s in GOALS
                ],
                [Cell(category.code, empty, None) for category in ubr.CATEGORIES],
            ),
            sites=[],
            years=[],
        )
    if site and site not in protected.site_names:
        return None
    sites = [_site_progress(protected, code) for code in protected.site_names]
    return Dashboard(
        release=release,
        overall=_site_progress(protected, ""),
        sites=sites,
        years=_years(protected, site),
        site=next((progress for progress in sites if progress.site == site), None),
    )
