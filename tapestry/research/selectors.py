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
from django.db.models import Q

from tapestry.research.models import (
    CategorySummary,
    ConceptSummary,
    Domain,
    EnrollmentSummary,
    Release,
)
from tapestry.research.privacy import (
    PublicCount,
    protect_breakdown,
    protect_breakdowns,
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


@dataclass(frozen=True)
class GoalProgress:
    code: str  # "minority" or "ubr"
    goal: float  # share, e.g. 0.5
    count: PublicCount
    share: float | None  # from rounded counts
    recent_share: float | None  # of the last twelve months' enrollment
    met_on: datetime.date | None  # projected month the cumulative share reaches the goal
    status: str  # "met", "projected", "not_at_current_pace", "no_data"


@dataclass(frozen=True)
class SiteProgress:
    site: str
    site_name: str
    participants: PublicCount
    goals: list[GoalProgress]
    categories: list[Cell]
    # Per category (in `categories` order): participants who did not answer it (skipped,
    # declined, missing; geography without a rural list), neither in it nor known outside it.
    not_answered: list[PublicCount] = field(default_factory=list)


@dataclass(frozen=True)
class MonthPoint:
    month: datetime.date
    enrolled: PublicCount
    cumulative: PublicCount
    minority_share: float | None  # cumulative, from rounded counts
    ubr_share: float | None


@dataclass(frozen=True)
class Dashboard:
    release: Release
    overall: SiteProgress
    sites: list[SiteProgress]
    months: list[MonthPoint]  # for `site`, or all sites when it is None
    site: SiteProgress | None = None


GOALS = (("minority", "RESEARCH_GOAL_MINORITY"), ("ubr", "RESEARCH_GOAL_UBR"))


def _goal_progress(rows: list[EnrollmentSummary], code: str, goal: float) -> GoalProgress:
    total = sum(row.participants for row in rows)
    reached = sum(getattr(row, code) for row in rows)
    shown_total, shown = public_count(total), public_count(reached)
    share = public_percentage(shown, shown_total)
    if not rows or total == 0:
        return GoalProgress(code, goal, shown, share, None, None, "no_data")
    latest = max(row.month for row in rows)
    start = datetime.date(latest.year - 1, latest.month, 1)
    recent = [row for row in rows if row.month > start]
    per_month = sum(row.participants for row in recent) / 12
    reached_per_month = sum(getattr(row, code) for row in recent) / 12
    recent_share = public_percentage(
        public_count(sum(getattr(row, code) for row in recent)),
        public_count(sum(row.participants for row in recent)),
    )
    if reached >= goal * total:
        return GoalProgress(code, goal, shown, share, recent_share, None, "met")
    # (reached + r·t) / (total + n·t) ≥ goal  ⇔  t ≥ (goal·total - reached) / (r - goal·n)
    gain = reached_per_month - goal * per_month
    if gain <= 0:
        return GoalProgress(code, goal, shown, share, recent_share, None, "not_at_current_pace")
    months = math.ceil((goal * total - reached) / gain)
    year, month = divmod(latest.month - 1 + months, 12)
    met_on = datetime.date(latest.year + year, month + 1, 1) if latest.year + year < 9999 else None
    status = "projected" if met_on else "not_at_current_pace"
    return GoalProgress(code, goal, shown, share, recent_share, met_on, status)


def _site_progress(
    site: str,
    site_name: str,
    rows: list[EnrollmentSummary],
    categories: dict[str, int],
    not_answered: dict[str, int] | None = None,
) -> SiteProgress:
    total = sum(row.participants for row in rows)
    shown_total = public_count(total)
    return SiteProgress(
        site=site,
        site_name=site_name,
        participants=shown_total,
        goals=[_goal_progress(rows, code, getattr(settings, setting)) for code, setting in GOALS],
        # Categories overlap (one person may be in several), so each is its own count.
        categories=[
            Cell(
                category.code,
                public_count(categories.get(category.code, 0)),
                public_percentage(public_count(categories.get(category.code, 0)), shown_total),
            )
            for category in ubr.CATEGORIES
        ],
        not_answered=[
            public_count((not_answered or {}).get(category.code, 0)) for category in ubr.CATEGORIES
        ],
    )


def diversity_dashboard(*, release: Release, site: str = "") -> Dashboard | None:
    """The dashboard; with `site`, enrollment over time is that site's. None for an unknown
    site."""
    rows = list(release.enrollment.order_by("site", "month"))
    category_rows = list(CategorySummary.objects.filter(release=release))
    by_site: dict[str, list[EnrollmentSummary]] = {}
    for row in rows:
        by_site.setdefault(row.site, []).append(row)
    categories_by_site: dict[str, dict[str, int]] = {}
    overall_categories: dict[str, int] = {}
    overall_not_answered: dict[str, int] = {}
    for category_row in category_rows:
        overall_not_answered[category_row.category] = (
            overall_not_answered.get(category_row.category, 0) + category_row.not_answered
        )
        categories_by_site.setdefault(category_row.site, {})[category_row.category] = (
            category_row.participants
        )
        overall_categories[category_row.category] = (
            overall_categories.get(category_row.category, 0) + category_row.participants
        )
    if site and site not in by_site:
        return None
    monthly: dict[datetime.date, list[int]] = {}
    for row in by_site[site] if site else rows:
        sums = monthly.setdefault(row.month, [0, 0, 0])
        sums[0] += row.participants
        sums[1] += row.minority
        sums[2] += row.ubr
    months, running = [], [0, 0, 0]
    for month in sorted(monthly):
        running = [a + b for a, b in zip(running, monthly[month], strict=True)]
        cumulative = public_count(running[0])
        months.append(
            MonthPoint(
                month=month,
                enrolled=public_count(monthly[month][0]),
                cumulative=cumulative,
                minority_share=public_percentage(public_count(running[1]), cumulative),
                ubr_share=public_percentage(public_count(running[2]), cumulative),
            )
        )
    site_names = {row.site: row.site_name for row in rows}
    sites = [
        _site_progress(code, site_names[code], site_rows, categories_by_site.get(code, {}))
        for code, site_rows in sorted(by_site.items(), key=lambda item: site_names[item[0]])
    ]
    return Dashboard(
        release=release,
        overall=_site_progress("", "", rows, overall_categories, overall_not_answered),
        sites=sites,
        months=months,
        site=next((progress for progress in sites if progress.site == site), None),
    )
