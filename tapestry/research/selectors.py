"""Reads for the Data Browser and the diversity dashboard.

Every count these functions return is a privacy.PublicCount: the stored summaries hold raw
counts, and this module is the only reader of them, so no raw count reaches a page, a CSV or
the API.
"""

import datetime
import math
import re
from dataclasses import dataclass, field
from typing import Final, Literal

from django.conf import settings
from django.db import connection
from django.utils.translation import get_language

from tapestry.research.models import (
    CategorySummary,
    ConceptSummary,
    Domain,
    EnrollmentSummary,
    Release,
    SurveyQuestionSummary,
)
from tapestry.research.privacy import (
    SMALL_COUNT_LIMIT,
    PublicCount,
    protect_breakdown,
    protect_breakdowns,
    protect_choices,
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
