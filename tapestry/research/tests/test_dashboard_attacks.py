"""The diversity dashboard attacked as a reviewer would: read every page and the CSV together.

A real release (the real generator, a few thousand participants, so that most site-months are
small) is published; the test signs in as program staff, reads every figure the dashboard
shows on its overall page, on each of the site pages and in the CSV, and sets up what an
attacker knows: each figure's interval (0 → exactly 0, "≤ 20" → [1, 20], r → [r - 19, r],
suppressed → at least 0), that site-months add up to every figure built from them (a site's
total, a month's or a year's total, a running total), that a month a page does not list had
nobody enrol, that minorities, UBR participants and each category are at most the
participants they are counted among. A linear program (HiGHS) then minimises and maximises
every count from 1 to 20: each site-month, and each figure published as "≤ 20" or suppressed.
The dashboard leaks nothing when each of them can still be 1 and can still be 20.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from django.test import Client
from pytest_django.fixtures import Settings
from scipy.optimize import linprog
from scipy.sparse import lil_matrix, vstack

from tapestry.research.models import CategorySummary, EnrollmentSummary, Release
from tapestry.research.privacy import SMALL_COUNT_LIMIT, PublicCount, public_percentage
from tapestry.research.services import release_create
from tapestry.research.warehouse import ubr
from tapestry.research.warehouse.generate import generate

pytestmark = pytest.mark.django_db

PARTICIPANTS = 3000
DASHBOARD = "/research/diversity/"
EXPORT = "/research/diversity.csv"


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("generated") / "data"
    generate(out, participants=PARTICIPANTS, seed=7)
    return out


@pytest.fixture
def release(generated: Path, settings: Settings, tmp_path: Path) -> Release:
    settings.RESEARCH_DATA_DIR = tmp_path / "research"
    return release_create(source=generated, version="attack-1")


# --- what the attacker reads -------------------------------------------------------------------


NOT_ANSWERED = "not_answered:"  # the measure of those who did not answer a category


@dataclass(frozen=True)
class Figure:
    """One published count and the true quantity it is about: a sum of the attacker's unknowns."""

    where: str
    count: PublicCount
    measure: str  # "participants", "minority", "ubr" or a category code
    sites: frozenset[str]
    months: frozenset[datetime.date]  # empty for categories (not counted by month)


def _months_of(point: Any, all_months: list[datetime.date]) -> frozenset[datetime.date]:
    """The months an over-time point covers: one month, or one year of months."""
    if hasattr(point, "month"):
        return frozenset({point.month})
    return frozenset(month for month in all_months if month.year == point.year)


def _page_figures(
    dashboard: Any, page: str, all_months: list[datetime.date]
) -> tuple[list[Figure], frozenset[datetime.date]]:
    """Every count a dashboard page shows, and the months its over-time table lists."""
    every_site = frozenset(site.site for site in dashboard.sites)
    months = frozenset(all_months)
    figures: list[Figure] = []
    for progress in [dashboard.overall, *dashboard.sites]:
        sites = frozenset({progress.site}) if progress.site else every_site
        where = f"{page} {progress.site or 'all'}"
        figures.append(Figure(where, progress.participants, "participants", sites, months))
        for goal in progress.goals:
            figures.append(Figure(f"{where} goal", goal.count, goal.code, sites, months))
        for cell in progress.categories:
            figures.append(Figure(f"{where} category", cell.count, cell.key, sites, frozenset()))
        # Those who did not answer a category are published for all sites, on every page.
        for cell, count in zip(progress.categories, progress.not_answered, strict=True):
            figures.append(
                Figure(f"{where} not answered", count, NOT_ANSWERED + cell.key, every_site, months)
            )
    over_time_sites = frozenset({dashboard.site.site}) if dashboard.site else every_site
    listed: set[datetime.date] = set()
    for point in dashboard_points(dashboard):
        covered = _months_of(point, all_months)
        listed |= covered
        label = f"{page} over time {min(covered):%Y-%m}"
        for attribute, measure in (
            ("enrolled", "participants"),
            ("minority", "minority"),
            ("ubr", "ubr"),
        ):
            count = getattr(point, attribute, None)
            if count is not None:
                figures.append(Figure(label, count, measure, over_time_sites, covered))
        cumulative = getattr(point, "cumulative", None)
        if cumulative is not None:
            so_far = frozenset(month for month in all_months if month <= max(covered))
            figures.append(
                Figure(f"{label} so far", cumulative, "participants", over_time_sites, so_far)
            )
    return figures, frozenset(listed)


def dashboard_points(dashboard: Any) -> list[Any]:
    """The over-time table's rows: by month, or by year."""
    return list(getattr(dashboard, "months", None) or getattr(dashboard, "years", []))


@dataclass
class Publication:
    figures: list[Figure]
    unlisted: list[tuple[frozenset[str], frozenset[datetime.date]]]  # nobody enrolled there
    shares: list[tuple[str, float | None, float | None]]  # (where, shown, from shown counts)
    csv_rows: list[dict[str, str]]


def _read_everything(client: Client, all_months: list[datetime.date]) -> Publication:
    overall = client.get(DASHBOARD)
    assert overall.status_code == 200
    pages = [("overall", overall.context["dashboard"])]
    for site in overall.context["dashboard"].sites:
        response = client.get(DASHBOARD, {"site": site.site})
        assert response.status_code == 200
        pages.append((site.site, response.context["dashboard"]))
    figures: list[Figure] = []
    unlisted = []
    shares: list[tuple[str, float | None, float | None]] = []
    for page, dashboard in pages:
        page_figures, listed = _page_figures(dashboard, page, all_months)
        figures += page_figures
        over_time_sites = (
            frozenset({dashboard.site.site})
            if dashboard.site
            else frozenset(s.site for s in dashboard.sites)
        )
        unlisted.append((over_time_sites, frozenset(all_months) - listed))
        shares += _shares(dashboard, page)
    export = client.get(EXPORT)
    assert export.status_code == 200
    csv_rows = list(csv.DictReader(io.StringIO(export.content.decode())))
    return Publication(figures, unlisted, shares, csv_rows)


def _shares(dashboard: Any, page: str) -> list[tuple[str, float | None, float | None]]:
    """Each percentage shown, beside the one the page's own counts give."""
    shares = []
    for progress in [dashboard.overall, *dashboard.sites]:
        for goal in progress.goals:
            expected = public_percentage(goal.count, progress.participants)
            shares.append((f"{page} {progress.site} {goal.code}", goal.share, expected))
        for cell in progress.categories:
            expected = public_percentage(cell.count, progress.participants)
            shares.append((f"{page} {progress.site} {cell.key}", cell.percentage, expected))
    points = dashboard_points(dashboard)
    for code in ("minority", "ubr"):
        for index, point in enumerate(points):
            shown = getattr(point, f"{code}_share")
            earlier = points[: index + 1]
            counts = [getattr(p, code, None) for p in earlier]
            enrolled = [p.enrolled for p in earlier]
            if any(c is None or c.value is None for c in counts) or any(
                e.value is None for e in enrolled
            ):
                expected = None
            else:
                expected = public_percentage(
                    _sum(counts),  # type: ignore[arg-type]
                    _sum(enrolled),
                )
            shares.append((f"{page} over time {index} {code}", shown, expected))
    return shares


def _sum(counts: Iterable[PublicCount]) -> PublicCount:
    total = sum(count.value or 0 for count in counts)
    return PublicCount(value=total, display=str(total))


# --- the attack --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Narrowed:
    where: str
    true: int
    low: int
    high: int


class Attack:
    """The attacker's linear program over the unknown counts.

    Unknowns: participants per site and month, minorities and UBR participants per site and
    year (nothing is published about them at a finer grain), each category per site and those
    who did not answer it (not in the category, so the two add up to at most the participants).
    Known links: minorities and UBR participants are among the participants, minorities are
    UBR and are the race and ethnicity category, a category is among a site's participants,
    UBR participants are at most the categories' sum and at least each category's count.
    Months of a site that no published figure tells apart (the same figures cover them, in the
    same year) are one unknown, their sum: that keeps the program small and loses nothing,
    since any one of those months can hold the whole sum or nothing.
    """

    def __init__(
        self,
        sites: list[str],
        months: list[datetime.date],
        categories: list[str],
        publication: Publication,
    ) -> None:
        self.sites, self.months, self.categories = sites, months, categories
        self.years = sorted({month.year for month in months})
        unlisted = {
            (site, month)
            for sites_, months_ in publication.unlisted
            for site in sites_
            for month in months_
        }
        signatures: dict[tuple[str, datetime.date], list[int]] = {
            (site, month): [] for site in sites for month in months
        }
        for number, figure in enumerate(publication.figures):
            if figure.measure == "participants":
                for site in figure.sites:
                    for month in figure.months:
                        signatures[site, month].append(number)
        self.index: dict[tuple[Any, ...], int] = {}
        self.atom: dict[tuple[str, datetime.date], int] = {}
        self.atom_size: dict[int, int] = {}
        for (site, month), signature in signatures.items():
            key = ("participants", site, month.year, (site, month) in unlisted, tuple(signature))
            column = self.index.setdefault(key, len(self.index))
            self.atom[site, month] = column
            self.atom_size[column] = self.atom_size.get(column, 0) + 1
        for site in sites:
            for year in self.years:
                for measure in ("minority", "ubr"):
                    self.index[(measure, site, year)] = len(self.index)
            for category in categories:
                self.index[(category, site)] = len(self.index)
                self.index[(NOT_ANSWERED + category, site)] = len(self.index)
        rows: list[tuple[dict[int, float], float, float]] = []
        for figure in publication.figures:
            low, high = figure.count.bounds()
            rows.append((self._expression(figure), low, np.inf if high is None else high))
        for site, month in unlisted:
            rows.append(({self.atom[site, month]: 1}, 0, 0))
        for site in sites:
            for year in self.years:
                enrolled = {self.atom[site, month]: -1.0 for month in months if month.year == year}
                for measure in ("minority", "ubr"):
                    rows.append(({self.index[(measure, site, year)]: 1, **enrolled}, -np.inf, 0))
            everyone = {self.atom[site, month]: -1.0 for month in months}
            for category in categories:
                rows.append(({self.index[(category, site)]: 1, **everyone}, -np.inf, 0))
                # Those in a category and those who did not answer it are different people.
                in_or_unanswered = {
                    self.index[(category, site)]: 1.0,
                    self.index[(NOT_ANSWERED + category, site)]: 1.0,
                }
                rows.append(({**in_or_unanswered, **everyone}, -np.inf, 0))
            # Minorities are the race and ethnicity category and are UBR; UBR is any category.
            minority = {self.index[("minority", site, year)]: 1.0 for year in self.years}
            underrepresented = {self.index[("ubr", site, year)]: 1.0 for year in self.years}
            for year in self.years:
                rows.append(
                    (
                        {
                            self.index[("ubr", site, year)]: 1.0,
                            self.index[("minority", site, year)]: -1.0,
                        },
                        0,
                        np.inf,
                    )
                )
            race = self.index[(ubr.RACE_ETHNICITY.code, site)]
            rows.append(({race: -1.0, **minority}, 0, 0))
            for category in categories:
                # Access to care is leaving the overall flag (issue 7): not assumed either way.
                if category != ubr.ACCESS_TO_CARE.code:
                    rows.append(
                        ({self.index[(category, site)]: -1.0, **underrepresented}, 0, np.inf)
                    )
            any_category = {self.index[(category, site)]: -1.0 for category in categories}
            rows.append(({**underrepresented, **any_category}, -np.inf, 0))
        matrix = lil_matrix((len(rows), len(self.index)))
        lower = np.empty(len(rows))
        upper = np.empty(len(rows))
        for number, (expression, least, most) in enumerate(rows):
            for column, coefficient in expression.items():
                matrix[number, column] = coefficient
            lower[number], upper[number] = least, most
        self.a_ub, self.b_ub = _one_sided(matrix.tocsr(), lower, upper)
        self._intervals: dict[frozenset[int], tuple[int, int]] = {}

    def site_month(self, site: str, month: datetime.date) -> tuple[int, int]:
        """What the figures allow for one site-month: its unknown, or any share of it."""
        column = self.atom[site, month]
        low, high = self.interval({column: 1.0})
        return (0 if self.atom_size[column] > 1 else low), high

    def _expression(self, figure: Figure) -> dict[int, float]:
        if figure.measure == "participants":
            return {self.atom[site, month]: 1.0 for site in figure.sites for month in figure.months}
        if figure.measure in ("minority", "ubr"):
            years = {month.year for month in figure.months}
            assert all(
                {month for month in self.months if month.year == year} <= figure.months
                for year in years
            ), f"{figure.where}: minorities or UBR for part of a year"
            keys: list[tuple[Any, ...]] = [
                (figure.measure, site, year) for site in figure.sites for year in years
            ]
        else:
            keys = [(figure.measure, site) for site in figure.sites]
        return {self.index[key]: 1.0 for key in keys}

    def interval(self, expression: dict[int, float]) -> tuple[int, int]:
        """The lowest and highest values the published figures allow for a sum of unknowns."""
        cached = self._intervals.get(frozenset(expression))
        if cached is not None:
            return cached
        objective = np.zeros(len(self.index))
        for column, coefficient in expression.items():
            objective[column] = coefficient
        ends = []
        for sign in (1, -1):
            result = linprog(
                sign * objective,
                A_ub=self.a_ub,
                b_ub=self.b_ub,
                bounds=(0, None),
                method="highs",
            )
            assert result.status == 0, result.message
            ends.append(round(sign * result.fun))
        self._intervals[frozenset(expression)] = (ends[0], ends[1])
        return ends[0], ends[1]


def _one_sided(matrix: Any, lower: np.ndarray, upper: np.ndarray) -> tuple[Any, np.ndarray]:
    """lower ≤ matrix·x ≤ upper as linprog's A_ub·x ≤ b_ub (two one-sided rows each)."""
    finite_upper, finite_lower = np.isfinite(upper), np.isfinite(lower)
    return (
        vstack([matrix[finite_upper], -matrix[finite_lower]]).tocsr(),
        np.concatenate([upper[finite_upper], -lower[finite_lower]]),
    )


def _truth(release: Release) -> tuple[dict[tuple[str, datetime.date], int], dict[Any, int]]:
    enrolled = {
        (row.site, row.month): row.participants
        for row in EnrollmentSummary.objects.filter(release=release)
    }
    categories: dict[Any, int] = {}
    for row in CategorySummary.objects.filter(release=release):
        categories[row.category, row.site] = row.participants
        categories[NOT_ANSWERED + row.category, row.site] = row.not_answered
    return enrolled, categories


def _true_value(figure: Figure, rows: list[EnrollmentSummary], categories: dict[Any, int]) -> int:
    if figure.measure in ("participants", "minority", "ubr"):
        return sum(
            getattr(row, figure.measure)
            for row in rows
            if row.site in figure.sites and row.month in figure.months
        )
    return sum(categories.get((figure.measure, site), 0) for site in figure.sites)


def test_no_hidden_count_narrows_when_every_page_and_the_csv_are_read_together(
    paula_client: Client, release: Release
) -> None:
    enrolled, categories = _truth(release)
    first = min(month for _site, month in enrolled)
    assert release.cutoff_date is not None
    months = [
        datetime.date(first.year + (first.month - 1 + k) // 12, (first.month - 1 + k) % 12 + 1, 1)
        for k in range(
            (release.cutoff_date.year - first.year) * 12
            + release.cutoff_date.month
            - first.month
            + 1
        )
    ]
    publication = _read_everything(paula_client, months)
    sites = sorted({site for site, _month in enrolled})
    assert len(sites) == 16  # every site in warehouse/data/sites.csv enrols someone
    category_codes = sorted(
        {category for category, _site in categories if not category.startswith(NOT_ANSWERED)}
    )
    rows = list(EnrollmentSummary.objects.filter(release=release))
    attack = Attack(sites, months, category_codes, publication)

    narrowed: list[Narrowed] = []
    hidden_site_months = [key for key, count in enrolled.items() if 1 <= count <= SMALL_COUNT_LIMIT]
    assert len(hidden_site_months) > 300  # small enough that most site-months are small
    for site, month in hidden_site_months:
        low, high = attack.site_month(site, month)
        if low > 1 or high < SMALL_COUNT_LIMIT:
            narrowed.append(Narrowed(f"{site} {month:%Y-%m}", enrolled[site, month], low, high))
    seen: set[tuple[str, frozenset[str], frozenset[datetime.date]]] = set()
    for figure in publication.figures:
        if not (figure.count.hidden or figure.count.suppressed):
            continue
        key = (figure.measure, figure.sites, figure.months)
        if key in seen:
            continue
        seen.add(key)
        true = _true_value(figure, rows, categories)
        if not 1 <= true <= SMALL_COUNT_LIMIT:
            continue
        low, high = attack.interval(attack._expression(figure))
        if low > 1 or high < SMALL_COUNT_LIMIT:
            narrowed.append(Narrowed(f"{figure.where} {figure.measure}", true, low, high))

    assert narrowed == [], (
        f"{len(narrowed)} hidden counts narrow below [1, 20] "
        f"(of {len(hidden_site_months)} hidden site-months and {len(seen)} hidden figures): "
        f"{narrowed[:10]}"
    )


def test_every_percentage_is_worked_out_from_counts_shown_beside_it(
    paula_client: Client, release: Release
) -> None:
    months = sorted({row.month for row in EnrollmentSummary.objects.filter(release=release)})

    publication = _read_everything(paula_client, months)

    wrong = [(where, shown, expected) for where, shown, expected in publication.shares]
    wrong = [entry for entry in wrong if entry[1] is not None and entry[1] != entry[2]]
    assert wrong == [], f"{len(wrong)} percentages use counts that are not shown: {wrong[:5]}"


def test_the_csv_publishes_the_figures_of_the_pages_and_no_others(
    paula_client: Client, release: Release
) -> None:
    months = sorted({row.month for row in EnrollmentSummary.objects.filter(release=release)})

    publication = _read_everything(paula_client, months)

    shown = {figure.count.display for figure in publication.figures}
    in_csv = {row["display"] for row in publication.csv_rows if row["display"]}
    assert in_csv <= shown
