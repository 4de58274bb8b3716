"""Reads for the Data Browser and the diversity dashboard.

Every count these functions return is a privacy.PublicCount: the stored summaries hold raw
counts, and this module is the only reader of them, so no raw count reaches a page, a CSV or
the API.
"""

import datetime
import math
import re
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import get_language

from tapestry.accounts.api import Role
from tapestry.research.access import AccessState, access_of
from tapestry.research.models import (
    AccessBypass,
    CategorySummary,
    ConceptSummary,
    ConductSignature,
    Dataset,
    Domain,
    IdentityAttestation,
    Institution,
    Release,
    ResearchLogEntry,
    SurveyQuestionSummary,
    Workspace,
)
from tapestry.research.privacy import (
    SMALL_COUNT_LIMIT,
    SUPPRESSED,
    ProtectedTable,
    PublicCount,
    protect_breakdown,
    protect_breakdowns,
    protect_choices,
    protect_table,
    public_count,
    public_percentage,
    public_shares,
)
from tapestry.research.search import normalize, words
from tapestry.research.warehouse import schema, ubr, vocabulary
from tapestry.research.warehouse.release import AGE_GROUPS

SEARCH_MAX_LENGTH = 100
CONCEPT_ID_MAX = 2**63 - 1  # concept ids are 64-bit integers
SEARCH_PAGE_SIZE = 50  # hits per page, the pages' and the API's default
SEARCH_PAGE_SIZE_MAX = 100
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
    name_es: str = ""

    def local_name(self, language: str) -> str:
        """The name in `language` ("es", "es-mx"...), else the standard (English) name."""
        if language.startswith("es") and self.name_es:
            return self.name_es
        return self.name


@dataclass(frozen=True)
class SearchResults:
    """One page of hits and where it sits: `total` hits over `pages` pages of `page_size`."""

    hits: list[ConceptHit]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.page_size))

    # The names templates/includes/pagination.html reads.
    @property
    def num_pages(self) -> int:
        return self.pages

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def first_number(self) -> int:
        """The place of the page's first hit among all (1-based)."""
        return (self.page - 1) * self.page_size + 1 if self.hits else 0

    @property
    def last_number(self) -> int:
        return (self.page - 1) * self.page_size + len(self.hits)


@dataclass(frozen=True)
class HistogramBin:
    low: float
    high: float
    count: PublicCount


# Why a concept page shows no breakdowns: its total is from 1 to 20.
WITHHELD_SMALL_TOTAL: Final = "small_total"
NO_VALUE_KEY = "no_value"  # the histogram's row for participants with no numeric value


@dataclass(frozen=True)
class ConceptPage:
    """A concept's page. With a total from 1 to 20 (`withheld`), no breakdown, no histogram:
    describing a group that small would describe its people."""

    concept: ConceptHit
    release: Release
    by_sex: Breakdown | None
    by_age: Breakdown | None
    by_race: Breakdown | None
    withheld: Literal["", "small_total"] = ""
    unit: str = ""
    histogram: list[HistogramBin] = field(default_factory=list)
    # Participants with the concept but no numeric value (a row of the histogram's table).
    no_value: PublicCount | None = None
    parents: list[ConceptHit] = field(default_factory=list)
    children: list[ConceptHit] = field(default_factory=list)


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


HIT_FIELDS = ("concept_id", "name", "name_es", "code", "vocabulary", "domain", "participants")


def _hit(row: ConceptSummary) -> ConceptHit:
    return ConceptHit(
        concept_id=row.concept_id,
        name=row.name,
        name_es=row.name_es,
        code=row.code,
        vocabulary=row.vocabulary,
        domain=row.domain,
        participants=public_count(row.participants),
    )


# The full-text condition on a ConceptTerm `t`, per database, with its one parameter (the
# query in that database's syntax); the index behind each is made by migration 0002.
_TERMS_MATCHING = {
    "sqlite": "t.id IN (SELECT rowid FROM research_conceptterm_fts "
    "WHERE research_conceptterm_fts MATCH %s)",
    "postgresql": "to_tsvector('simple'::regconfig, t.normalized) "
    "@@ to_tsquery('simple'::regconfig, %s)",
}


def _full_text_query(query_words: list[str]) -> str:
    """Every word as a prefix. Words hold only letters and digits (search.normalize), so
    quoting them is enough for either syntax."""
    if connection.vendor == "postgresql":
        return " & ".join(f"'{word}':*" for word in query_words)
    return " AND ".join(f'"{word}"*' for word in query_words)


def ranked_search_sql(
    *, release: Release, query: str, domain: str = ""
) -> tuple[str, list[int | str]] | None:
    """The statement that ranks the concepts matching `query` (parameters LIMIT and OFFSET
    to be appended), with its parameters; None for a query with no word to look for.

    A concept matches when one of its terms has a word starting with each query word
    ("metfor" finds metformin, "asma" does not find plasma), or when the query is its
    concept id. Ranked: a term equal to the query, then a term starting with it, then the
    rest; within a rank, most participants first by the published (rounded) count, then by
    name, so the order reveals nothing the shown counts do not. Each row carries the number
    of matches.
    """
    query_words = words(query)
    if not query_words:
        return None
    phrase = normalize(query)
    by_id = query.strip()
    # ASCII digits only: str.isdigit() also holds for "¹" or "②", which int() refuses.
    concept_id = int(by_id) if re.fullmatch(r"[0-9]{1,18}", by_id) else -1
    domain_filter = "AND c.domain = %s" if domain else ""
    sql = f"""
        SELECT c.id, MIN(h.rank) AS rank, COUNT(*) OVER () AS total
        FROM (
            SELECT t.concept_id AS concept_pk,
                   CASE WHEN t.normalized = %s THEN 0
                        WHEN t.normalized LIKE %s THEN 1 ELSE 2 END AS rank
            FROM research_conceptterm t
            WHERE {_TERMS_MATCHING[connection.vendor]}
            UNION ALL
            SELECT id, 0 FROM research_conceptsummary WHERE release_id = %s AND concept_id = %s
        ) h
        JOIN research_conceptsummary c ON c.id = h.concept_pk
        WHERE c.release_id = %s {domain_filter}
        GROUP BY c.id, c.participants_shown, c.name
        ORDER BY rank, c.participants_shown DESC, c.name, c.id
        LIMIT %s OFFSET %s
    """  # noqa: S608 (only fixed fragments are formatted in; every value is a parameter)
    # A normalized text holds no "%" or "_", so the LIKE pattern needs no escaping.
    parameters: list[int | str] = [phrase, f"{phrase}%", _full_text_query(query_words)]
    parameters += [release.pk, concept_id, release.pk]
    parameters += [domain] if domain else []
    return sql, parameters


def _ranked_concepts(
    *, release: Release, query: str, domain: str, offset: int, limit: int
) -> tuple[list[int], int]:
    """Primary keys of one page of concepts matching `query`, and how many match in all."""
    statement = ranked_search_sql(release=release, query=query, domain=domain)
    if statement is None:
        return [], 0
    sql, parameters = statement
    with connection.cursor() as cursor:
        cursor.execute(sql, [*parameters, limit, offset])
        rows = cursor.fetchall()
        if not rows and offset:
            # Past the last page: the count still says how many there are.
            cursor.execute(sql, [*parameters, 1, 0])
            first = cursor.fetchall()
            return [], int(first[0][2]) if first else 0
    return [row[0] for row in rows], int(rows[0][2]) if rows else 0


def concept_search(
    *,
    release: Release,
    query: str = "",
    domain: str = "",
    page: int = 1,
    page_size: int = SEARCH_PAGE_SIZE,
) -> SearchResults:
    """One page of the concepts that match `query` (see `_ranked_concepts`), in `domain` if
    given. An empty query browses: every concept, most participants first (rounded, as shown)."""
    offset = (max(page, 1) - 1) * page_size
    if not query.strip():
        concepts = ConceptSummary.objects.filter(release=release)
        if domain:
            concepts = concepts.filter(domain=domain)
        total = concepts.count()
        ordered = concepts.only(*HIT_FIELDS).order_by("-participants_shown", "name", "pk")
        rows = list(ordered[offset : offset + page_size])
        return SearchResults([_hit(row) for row in rows], total, page, page_size)
    keys, total = _ranked_concepts(
        release=release, query=query, domain=domain, offset=offset, limit=page_size
    )
    by_key = ConceptSummary.objects.only(*HIT_FIELDS).in_bulk(keys)
    return SearchResults([_hit(by_key[key]) for key in keys], total, page, page_size)


def _every(cells: dict[str, int], order: tuple[str, ...]) -> dict[str, int]:
    """Every category of the dimension, in its order, zeros included: a breakdown that
    listed only the categories with somebody in them told the reader each holds at least
    one person (desvenlafaxine's seven listed age groups pinned its hidden total to [7, 20])."""
    return {key: cells.get(key, 0) for key in order} | {
        key: cells[key] for key in sorted(set(cells) - set(order))
    }


def _related(release: Release, concept_ids: list[int]) -> list[ConceptHit]:
    """The release's concepts among `concept_ids`, most participants first; one with nobody
    in this release is not in it, so it is not listed."""
    if not concept_ids:
        return []
    rows = ConceptSummary.objects.filter(release=release, concept_id__in=concept_ids)
    return [_hit(row) for row in rows.order_by("-participants_shown", "name")]


def concept_page(*, release: Release, concept_id: int) -> ConceptPage | None:
    """None for an id no concept in the release has, including ids no database column holds."""
    if not 0 <= concept_id <= CONCEPT_ID_MAX:
        return None
    row = ConceptSummary.objects.filter(release=release, concept_id=concept_id).first()
    if row is None:
        return None
    hit = _hit(row)
    parents = _related(release, row.parents)
    children = _related(release, row.children)
    if hit.participants.hidden:
        return ConceptPage(
            concept=hit,
            release=release,
            by_sex=None,
            by_age=None,
            by_race=None,
            withheld=WITHHELD_SMALL_TOTAL,
            parents=parents,
            children=children,
        )
    breakdowns = {
        "sex": _every(row.by_sex, SEX_ORDER),
        "age": _every(row.by_age, AGE_ORDER),
        "race": _every(row.by_race, RACE_ORDER),
    }
    histogram = row.histogram or {}
    bins = histogram.get("bins", [])
    with_value = sum(int(count) for _low, _high, count in bins)
    # The bars count each participant once, so with the participants who have no numeric
    # value they are one more breakdown of the total. (A release built before bars counted
    # participants adds up to more than the total; its histogram is not shown.)
    show_histogram = bool(bins) and with_value <= row.participants
    if show_histogram:
        breakdowns["histogram"] = {
            **{str(index): int(count) for index, (_low, _high, count) in enumerate(bins)},
            NO_VALUE_KEY: row.participants - with_value,
        }
    # Protected together: one breakdown could otherwise narrow the total and with it a small
    # cell of another.
    total, shown = protect_breakdowns(breakdowns, row.participants)

    def breakdown(name: str) -> Breakdown:
        shares = public_shares(shown[name])
        return Breakdown(
            total=total,
            cells=[Cell(key, count, shares[key]) for key, count in shown[name].items()],
        )

    return ConceptPage(
        concept=hit,
        release=release,
        by_sex=breakdown("sex"),
        by_age=breakdown("age"),
        by_race=breakdown("race"),
        unit=histogram.get("unit", "") if show_histogram else "",
        histogram=[
            HistogramBin(low, high, shown["histogram"][str(index)])
            for index, (low, high, _count) in enumerate(bins)
        ]
        if show_histogram
        else [],
        no_value=shown["histogram"][NO_VALUE_KEY] if show_histogram else None,
        parents=parents,
        children=children,
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
    # Per category (in `categories` order): participants who did not answer it (skipped,
    # declined, missing; geography without a rural list), neither in it nor known outside it.
    not_answered: list[PublicCount] = field(default_factory=list)


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
    not_answered: dict[str, PublicCount]  # per category, all sites: who did not answer it


def _protected_dashboard(release: Release) -> _ProtectedDashboard | None:
    """The release's protected tables, cached: protecting them takes a while, the release
    never changes once ready, and the key names the release exactly (id, version, start)."""
    key = f"research:diversity:v3:{release.pk}:{release.version}:{release.started_at.timestamp()}"
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
        # The site-years of participants are published; of minorities and UBR participants
        # only the margins (see _years), so only those are protected.
        enrollment[measure] = (
            protect_table(cells) if measure == "participants" else _margins_protected(cells)
        )
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
    not_answered = dict.fromkeys(ubr.CATEGORIES_BY_CODE, 0)
    for category_row in CategorySummary.objects.filter(release=release):
        key = (category_row.site, category_row.category)
        if key in category_cells:
            category_cells[key] = category_row.participants
            not_answered[category_row.category] += category_row.not_answered
    first_month_of_latest_year = first.month if first.year == latest.year else 1
    return _ProtectedDashboard(
        site_names=site_names,
        years=years,
        latest_month=latest,
        last_year_months=latest.month - first_month_of_latest_year + 1,
        enrollment=enrollment,
        categories=_categories_protected(category_cells, list(site_names)),
        # Published for all sites only, one count per category: they add up to nothing.
        not_answered={code: public_count(count) for code, count in not_answered.items()},
    )


def _margins_protected(cells: dict[tuple[str, str], int]) -> ProtectedTable:
    """A site x year table of which only the margins are published (each site's total and
    each year's): two breakdowns of the same total, protected together. The cells are never
    shown, so they are all SUPPRESSED here."""
    by_site: dict[str, int] = {}
    by_year: dict[str, int] = {}
    for (site, year), count in cells.items():
        by_site[site] = by_site.get(site, 0) + count
        by_year[year] = by_year.get(year, 0) + count
    total, shown = protect_breakdowns({"site": by_site, "year": by_year}, sum(cells.values()))
    return ProtectedTable(
        total=total,
        row_totals=shown["site"],
        column_totals=shown["year"],
        cells=dict.fromkeys(cells, SUPPRESSED),
    )


def _categories_protected(cells: dict[tuple[str, str], int], sites: list[str]) -> ProtectedTable:
    """UBR categories by site: each category's all-sites count is a breakdown by site (the
    site pages show the cells). A person may be in several categories, so a site's categories
    add up to nothing and the row totals are not published (SUPPRESSED here)."""
    column_totals: dict[str, PublicCount] = {}
    shown: dict[tuple[str, str], PublicCount] = {}
    for category in ubr.CATEGORIES:
        by_site = {site: cells[site, category.code] for site in sites}
        column_totals[category.code], published = protect_breakdown(by_site, sum(by_site.values()))
        shown.update({(site, category.code): count for site, count in published.items()})
    return ProtectedTable(
        total=SUPPRESSED,
        row_totals=dict.fromkeys(sites, SUPPRESSED),
        column_totals=column_totals,
        cells=shown,
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
        # Those who did not answer are published for all sites only, on every page.
        not_answered=[protected.not_answered[category.code] for category in ubr.CATEGORIES],
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


# The survey explorer

SURVEY_QUESTION_MAX_LENGTH = 60  # SurveyQuestionSummary.question_code


@dataclass(frozen=True)
class SurveyText:
    """A survey question or answer's wording, in English and (where written) Spanish."""

    name: str
    name_es: str

    @property
    def language(self) -> str:
        """The language `text` is in: Spanish for a Spanish visitor when there is Spanish."""
        spanish = (get_language() or "").startswith("es") and bool(self.name_es)
        return "es" if spanish else "en"

    @property
    def text(self) -> str:
        return self.name_es if self.language == "es" else self.name


@dataclass(frozen=True)
class SurveyAnswer:
    code: str
    concept_id: int
    wording: SurveyText
    count: PublicCount
    percentage: float | None  # None for a hidden or suppressed count


@dataclass(frozen=True)
class SurveyQuestion:
    code: str
    survey: str
    concept_id: int
    wording: SurveyText
    several_answers: bool
    participants: PublicCount


@dataclass(frozen=True)
class SurveySection:
    code: str  # vocabulary.SURVEYS
    questions: list[SurveyQuestion]


@dataclass(frozen=True)
class SurveyQuestionPage:
    question: SurveyQuestion
    release: Release
    answers: list[SurveyAnswer]  # empty when the total is hidden (1 to 20) or 0
    breakdown_hidden: bool  # the total is from 1 to 20, so no answer is described


def _survey_question(row: SurveyQuestionSummary) -> SurveyQuestion:
    return SurveyQuestion(
        code=row.question_code,
        survey=row.survey,
        concept_id=row.concept_id,
        wording=SurveyText(row.name, row.name_es),
        several_answers=row.several_answers,
        participants=public_count(row.participants),
    )


def survey_sections(*, release: Release) -> list[SurveySection]:
    """The release's surveys in the program's order, each with its questions and how many
    answered each (protected)."""
    order = {code: index for index, code in enumerate(vocabulary.SURVEYS)}
    sections: dict[str, list[SurveyQuestion]] = {}
    for row in SurveyQuestionSummary.objects.filter(release=release).order_by("position"):
        sections.setdefault(row.survey, []).append(_survey_question(row))
    return [
        SurveySection(code, questions)
        for code, questions in sorted(sections.items(), key=lambda item: order.get(item[0], 99))
    ]


def survey_question(*, release: Release, code: str) -> SurveyQuestionPage | None:
    """One question's answers, protected; None for a code no question in the release has.

    A total from 1 to 20 describes no answer at all. Every answer option is listed, and an
    empty one shows "≤ 20" like a small one. A one-answer question's answers add up to its
    total and are protected as a breakdown; a "select all that apply" question's with
    `protect_choices`. Percentages come from the published numbers only (see
    `_answer_percentages`).
    """
    row = (
        SurveyQuestionSummary.objects.filter(release=release, question_code=code).first()
        if len(code) <= SURVEY_QUESTION_MAX_LENGTH
        else None
    )
    if row is None:
        return None
    question = _survey_question(row)
    total = row.participants
    if total <= SMALL_COUNT_LIMIT:
        return SurveyQuestionPage(question, release, [], breakdown_hidden=total > 0)
    counts = {answer["code"]: int(answer["participants"]) for answer in row.answers}
    if row.several_answers:
        exclusive = {
            code: counts[code] for code in (schema.SKIP, schema.PREFER_NOT) if code in counts
        }
        choices = {code: count for code, count in counts.items() if code not in exclusive}
        public_total, shown = protect_choices(choices, exclusive, total)
    else:
        public_total, shown = protect_breakdown(counts, total)
    percentages = _answer_percentages(shown, public_total, several=row.several_answers)
    return SurveyQuestionPage(
        question=question,
        release=release,
        answers=[
            SurveyAnswer(
                code=answer["code"],
                concept_id=int(answer["concept_id"]),
                wording=SurveyText(answer["name"], answer["name_es"]),
                count=shown[answer["code"]],
                percentage=percentages[answer["code"]],
            )
            for answer in row.answers
        ],
        breakdown_hidden=False,
    )


def _answer_percentages(
    published: dict[str, PublicCount], total: PublicCount, *, several: bool
) -> dict[str, float | None]:
    """Each shown answer's percentage, from published numbers only; none for "≤ 20" or a
    suppressed count.

    Of the question's (rounded) total; for a one-answer question, when the rounded counts
    shown add up to more than the total (each is rounded up), of their sum instead, so the
    percentages never add up to more than 100 %. A "select all that apply" question's add up
    to more, since a person may choose several.
    """
    shown = {
        code: count
        for code, count in published.items()
        if not count.suppressed and not count.hidden
    }
    whole = total
    shown_sum = sum(count.value or 0 for count in shown.values())
    if not several and shown_sum > (total.value or 0):
        whole = PublicCount(value=shown_sum, display=f"{shown_sum:,}")
    return {
        code: public_percentage(shown[code], whole) if code in shown else None for code in published
    }


# --- Researcher access, workspaces and the research log ------------------------------------

WORKBENCH_PAGE_SIZE = 25


@dataclass(frozen=True)
class PageOf[T]:
    """One page of a list, with the names templates/includes/pagination.html reads."""

    items: list[T]
    page: int
    num_pages: int
    count: int

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.num_pages


def _page_of[T](rows: QuerySet[Any], page: int, size: int = WORKBENCH_PAGE_SIZE) -> PageOf[T]:
    """Page `page` of `rows` (a page past the last shows the last)."""
    count = rows.count()
    pages = max(1, math.ceil(count / size))
    page = min(max(1, page), pages)
    return PageOf(list(rows[(page - 1) * size : page * size]), page, pages, count)


def identity_request_open(*, user_id: int) -> datetime.datetime | None:
    """When the person asked staff to confirm their identity, if that request is still open:
    no answer since (a confirmation or withdrawal) and asked within the last
    RESEARCH_IDENTITY_REQUEST_OPEN_DAYS days."""
    last = (
        ResearchLogEntry.objects.filter(user_id=user_id, action=ResearchLogEntry.Action.IDENTITY)
        .order_by("-at", "-id")
        .first()
    )
    if last is None or last.data.get("event") != "requested":
        return None
    since = timezone.now() - datetime.timedelta(days=settings.RESEARCH_IDENTITY_REQUEST_OPEN_DAYS)
    return last.at if last.at >= since else None


def institutions_in_force(*, on: datetime.date) -> list[str]:
    """The names of the institutions whose data-use agreement is in force on `on` (public:
    names only, alphabetical)."""
    return list(
        Institution.objects.filter(
            agreement_signed_on__lte=on, agreement_expires_on__gte=on
        ).values_list("name", flat=True)
    )


def workspaces_of(*, user_id: int, archived: bool = False) -> list[Workspace]:
    """The workspaces the person owns or belongs to, newest first: the open ones, or the
    archived ones with `archived`."""
    return list(
        Workspace.objects.filter(Q(owner_id=user_id) | Q(members__id=user_id))
        .filter(archived_at__isnull=not archived)
        .select_related("institution")
        .distinct()
        .order_by("-created_at", "-id")
    )


@dataclass(frozen=True)
class PublicProject:
    """What the public project list shows of a workspace: never its people."""

    name: str
    purpose: str
    institution: str
    tier: str
    created_on: datetime.date


def public_projects(*, query: str = "", page: int = 1) -> PageOf[PublicProject]:
    """Every open workspace's name, purpose, institution and tier, newest first; `query`
    finds each of its words in the name or purpose, whatever the case and accents."""
    rows = Workspace.objects.filter(archived_at__isnull=True)
    for word in words(query):
        rows = rows.filter(search_text__contains=word)
    values = rows.order_by("-created_at", "-id").values_list(
        "name", "purpose", "institution__name", "tier", "created_at"
    )
    result: PageOf[tuple[Any, ...]] = _page_of(values, page)
    return PageOf(
        [
            PublicProject(name, purpose, institution, tier, timezone.localdate(created))
            for name, purpose, institution, tier, created in result.items
        ],
        result.page,
        result.num_pages,
        result.count,
    )


def research_log_of(*, user_id: int, action: str = "", page: int = 1) -> PageOf[ResearchLogEntry]:
    """The person's own research log, newest first, optionally of one action."""
    rows = ResearchLogEntry.objects.filter(user_id=user_id).select_related("workspace", "actor")
    if action:
        rows = rows.filter(action=action)
    return _page_of(rows.order_by("-at", "-id"), page)


@dataclass(frozen=True)
class LogFilters:
    email: str = ""
    action: str = ""
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    workspace: str = ""  # a workspace's name (any part) or its public id


def research_log_search(*, filters: LogFilters) -> QuerySet[ResearchLogEntry]:
    """The whole research log for program staff, newest first: the researcher's (or the
    acting staff member's) email, the action, days (inclusive, local time), a workspace."""
    rows = ResearchLogEntry.objects.select_related("user", "actor", "workspace")
    if filters.email:
        rows = rows.filter(
            Q(user__email__icontains=filters.email) | Q(actor__email__icontains=filters.email)
        )
    if filters.action:
        rows = rows.filter(action=filters.action)
    zone = timezone.get_current_timezone()
    if filters.date_from:
        start = datetime.datetime.combine(filters.date_from, datetime.time.min, tzinfo=zone)
        rows = rows.filter(at__gte=start)
    if filters.date_to:
        end = datetime.datetime.combine(
            filters.date_to + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone
        )
        rows = rows.filter(at__lt=end)
    if filters.workspace:
        try:
            rows = rows.filter(workspace__public_id=uuid.UUID(filters.workspace))
        except ValueError:
            rows = rows.filter(workspace__name__icontains=filters.workspace)
    return rows.order_by("-at", "-id")


def research_log_page(*, filters: LogFilters, page: int = 1) -> PageOf[ResearchLogEntry]:
    return _page_of(research_log_search(filters=filters), page)


@dataclass(frozen=True)
class ResearcherRow:
    """A person with the researcher role, as the staff pages list them."""

    user_id: int
    name: str
    email: str
    access: AccessState
    identity_requested_at: datetime.datetime | None


def researchers_search(*, query: str = "", page: int = 1) -> PageOf[ResearcherRow]:
    """People holding the researcher role whose name or email contains `query`, by email,
    each with their requirements' states worked out now."""
    people = get_user_model().objects.filter(groups__name=Role.RESEARCHER.value, is_active=True)
    if query:
        people = people.filter(Q(full_name__icontains=query) | Q(email__icontains=query))
    result: PageOf[Any] = _page_of(people.distinct().order_by("email"), page)
    return PageOf(
        [_researcher_row(person) for person in result.items],
        result.page,
        result.num_pages,
        result.count,
    )


def _researcher_row(person: Any) -> ResearcherRow:
    return ResearcherRow(
        user_id=person.pk,
        name=person.get_full_name(),
        email=person.email,
        access=access_of(person),
        identity_requested_at=identity_request_open(user_id=person.pk),
    )


@dataclass(frozen=True)
class ResearcherRecord:
    """One researcher for the staff page: where they stand, and the record behind it."""

    row: ResearcherRow
    attestations: list[IdentityAttestation]
    bypasses: list[AccessBypass]  # in force first, then the ended and withdrawn
    signatures: list[ConductSignature]


def researcher_record(*, user_id: int) -> ResearcherRecord | None:
    """A person holding the researcher role, or None (anyone else, or no such person)."""
    person = (
        get_user_model()
        .objects.filter(pk=user_id, groups__name=Role.RESEARCHER.value, is_active=True)
        .first()
    )
    if person is None:
        return None
    today = timezone.localdate()
    bypasses = list(
        AccessBypass.objects.filter(user_id=user_id).select_related("granted_by", "withdrawn_by")
    )
    return ResearcherRecord(
        row=_researcher_row(person),
        attestations=list(
            IdentityAttestation.objects.filter(user_id=user_id).select_related(
                "attested_by", "withdrawn_by"
            )
        ),
        bypasses=sorted(
            bypasses,
            key=lambda bypass: bypass.withdrawn_at is not None or bypass.ends_on < today,
        ),
        signatures=list(ConductSignature.objects.filter(user_id=user_id).select_related("version")),
    )


# --- Datasets -------------------------------------------------------------------------------


def datasets_of_workspace(*, workspace: Workspace) -> list[Dataset]:
    """The workspace's datasets, newest first (the caller has the workspace from
    permissions.workspace_for, so they are its member's to see)."""
    return list(
        Dataset.objects.filter(workspace=workspace)
        .select_related("cohort", "release", "created_by")
        .order_by("-created_at", "-pk")
    )


def dataset_in_workspace(*, workspace: Workspace, dataset_id: int) -> Dataset | None:
    """The dataset with that number in the caller's workspace, or None (another workspace's
    dataset is not found, whatever its number)."""
    return (
        Dataset.objects.filter(workspace=workspace, pk=dataset_id)
        .select_related("workspace", "cohort", "release", "created_by")
        .first()
    )


def dataset_concept(*, release: Release, concept_id: int) -> ConceptHit | None:
    """A concept of the release that can make a dataset's concept set (an event domain), or
    None."""
    from tapestry.research.warehouse.dataset import EVENT_SOURCES

    if not 0 <= concept_id <= CONCEPT_ID_MAX:
        return None
    row = (
        ConceptSummary.objects.filter(
            release=release,
            concept_id=concept_id,
            domain__in=[source.concept_domain for source in EVENT_SOURCES.values()],
        )
        .only(*HIT_FIELDS)
        .first()
    )
    return _hit(row) if row is not None else None


# --- The cohort builder ---------------------------------------------------------------------


# The builder's domains (cohort_definition.EVENT_DOMAINS) as the concept summaries name them.
BUILDER_DOMAINS: Final = {
    "condition": Domain.CONDITION,
    "drug": Domain.DRUG,
    "measurement": Domain.MEASUREMENT,
    "procedure": Domain.PROCEDURE,
    "observation": Domain.OBSERVATION,
}


@contextmanager
def cohort_engine(release: Release) -> Iterator[Any]:
    """The calling thread's cohort engine over the release's warehouse (read-only, opened
    once per process and thread: `warehouse.cohort.engine_for`)."""
    from tapestry.research.warehouse.cohort import engine_for

    yield engine_for(release.warehouse_path)


def program_makeup(release: Release, engine: Any) -> dict[str, int]:
    """The program's participants in all and per UBR category (true counts, for the make-up
    table's program column, shown rounded): the same for every researcher, so cached."""
    key = f"research:program-makeup:{release.pk}:{release.version}"
    figures = cache.get(key)
    if figures is None:
        figures = {name: int(value) for name, value in engine.program_makeup().items()}
        cache.set(key, figures, DASHBOARD_CACHE_SECONDS)
    return figures


def concept_names(*, release: Release, concept_ids: Iterable[int]) -> dict[int, ConceptHit]:
    """The release's concepts among `concept_ids`, by id, to name a definition's items."""
    ids = [concept_id for concept_id in concept_ids if 0 <= concept_id <= CONCEPT_ID_MAX]
    if not ids:
        return {}
    rows = ConceptSummary.objects.filter(release=release, concept_id__in=ids).only(*HIT_FIELDS)
    return {row.concept_id: _hit(row) for row in rows}


@dataclass(frozen=True)
class SurveyChoice:
    """A survey question the builder offers, with its answers, worded in both languages."""

    code: str
    wording: SurveyText
    answers: list[tuple[str, SurveyText]]


def survey_choices(*, release: Release) -> list[SurveyChoice]:
    """The survey's questions (warehouse.schema.SURVEY) in the survey explorer's order and
    wording, each with its answers, skipping and "prefer not to answer" included."""
    rows = {
        row.question_code: row
        for row in SurveyQuestionSummary.objects.filter(release=release).order_by("position")
    }
    choices = []
    ordered = [code for code in rows if code in schema.SURVEY] + [
        code for code in schema.SURVEY if code not in rows
    ]
    for code in ordered:
        row = rows.get(code)
        worded = {
            answer["code"]: SurveyText(answer.get("name", ""), answer.get("name_es", ""))
            for answer in (row.answers if row is not None else [])
        }
        answers = [
            (answer, worded.get(answer, SurveyText(answer.replace("_", " "), "")))
            for answer in (*schema.SURVEY[code], schema.SKIP, schema.PREFER_NOT)
        ]
        wording = (
            SurveyText(row.name, row.name_es)
            if row is not None
            else SurveyText(code.replace("_", " "), "")
        )
        choices.append(SurveyChoice(code, wording, answers))
    return choices
