"""The issue's attacks on the concept pages, run against a real release built from generated
data (1,500 participants). Each reads only what the pages and the API publish; on the code
before issue 7 each of them found something.

The attacker is the one of test_privacy (sets of possible values, not privacy.py's
formulas); a figure's own interval is what `PublicCount.bounds` says: a total shown as
"≤ 20" is [1, 20], a listed cell shown as "≤ 20" [0, 20].
"""

from pathlib import Path

import duckdb
import numpy as np
import pytest
from django.test import Client
from pytest_django.fixtures import Settings
from scipy.optimize import Bounds, LinearConstraint, milp

from tapestry.research import selectors
from tapestry.research.models import ConceptSummary, Release
from tapestry.research.privacy import PublicCount
from tapestry.research.services import release_create
from tapestry.research.tests.test_privacy import TOTAL, attack_breakdowns, exposed
from tapestry.research.warehouse.generate import generate

pytestmark = pytest.mark.django_db

PARTICIPANTS = 1500


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("generated") / "data"
    generate(out, participants=PARTICIPANTS, seed=5)
    return out


@pytest.fixture
def release(generated: Path, settings: Settings, tmp_path: Path) -> Release:
    settings.RESEARCH_DATA_DIR = tmp_path / "research"
    return release_create(source=generated, version="attacks-1")


def _pages(release: Release) -> list[selectors.ConceptPage]:
    ids = ConceptSummary.objects.filter(release=release).values_list("concept_id", flat=True)
    pages = [selectors.concept_page(release=release, concept_id=concept_id) for concept_id in ids]
    return [page for page in pages if page is not None]


def _published(page: selectors.ConceptPage) -> dict[str, dict[str, PublicCount]]:
    """Every breakdown a page (and the API) shows, the histogram's rows as one more."""
    tables = {
        name: {cell.key: cell.count for cell in breakdown.cells}
        for name, breakdown in (("sex", page.by_sex), ("age", page.by_age), ("race", page.by_race))
        if breakdown is not None
    }
    if page.histogram and page.no_value is not None:
        tables["histogram"] = {str(i): bin_.count for i, bin_ in enumerate(page.histogram)}
        tables["histogram"]["no_value"] = page.no_value
    return tables


def _true(row: ConceptSummary) -> dict[object, int]:
    order = {"sex": selectors.SEX_ORDER, "age": selectors.AGE_ORDER, "race": selectors.RACE_ORDER}
    stored = {"sex": row.by_sex, "age": row.by_age, "race": row.by_race}
    truth: dict[object, int] = {TOTAL: row.participants}
    for name, keys in order.items():
        truth.update({(name, key): stored[name].get(key, 0) for key in keys})
    bins = (row.histogram or {}).get("bins", [])
    truth.update({("histogram", str(i)): count for i, (_l, _h, count) in enumerate(bins)})
    if bins:
        truth[("histogram", "no_value")] = row.participants - sum(c for _l, _h, c in bins)
    return truth


def test_attack_a_small_total_is_never_described(release: Release, client: Client) -> None:
    # given the release's concepts with 1 to 20 participants ("Attempted suicide" in the issue)
    small = list(ConceptSummary.objects.filter(release=release, participants__lte=20))
    assert len(small) > 20

    for row in small:
        # when a visitor opens its page and asks the API
        html = client.get(f"/data/concepts/{row.concept_id}/").content.decode()
        body = client.get(f"/api/v1/public/concepts/{row.concept_id}").json()

        # then neither describes the group: no breakdown, no histogram, and the reason given
        assert "By sex at birth" not in html and "Measured values" not in html
        assert "Fewer than 21 participants have this concept" in html
        assert body["withheld"] == "small_total"
        assert body["by_sex"] is body["by_age"] is body["by_race"] is body["histogram"] is None


def test_attack_listed_hidden_cells_narrow_no_count_on_any_page(release: Release) -> None:
    # given every concept page of the release (desvenlafaxine's seven hidden age groups once
    # pinned its hidden total to [7, 20])
    rows = {row.concept_id: row for row in ConceptSummary.objects.filter(release=release)}
    narrowed = {}
    for page in _pages(release):
        # when the attacker reads all its tables, knowing each adds up to the total
        tables = _published(page)
        found = attack_breakdowns(page.concept.participants, tables)
        figures: dict[object, PublicCount] = {TOTAL: page.concept.participants}
        for name, cells in tables.items():
            figures.update({(name, key): count for key, count in cells.items()})

        # then no count from 0 to 20, cells and the total, is narrowed below its own figure
        truth = {
            key: count
            for key, count in _true(rows[page.concept.concept_id]).items()
            if key in figures
        }
        if problems := exposed(truth, found, figures):
            narrowed[page.concept.concept_id] = problems
        assert all(truth[key] in found[key] for key in figures)
    assert narrowed == {}


def test_attack_no_table_adds_up_to_more_than_101_percent(release: Release) -> None:
    # given every breakdown of every concept page
    over = [
        (page.concept.concept_id, name)
        for page in _pages(release)
        for name, breakdown in (("sex", page.by_sex), ("age", page.by_age), ("race", page.by_race))
        if breakdown is not None
        # when its percentages are added up; then never over 101 %, and none for "≤ 20"
        if sum(cell.percentage or 0 for cell in breakdown.cells) > 101
        or any(cell.percentage is not None for cell in breakdown.cells if cell.count.hidden)
    ]
    assert over == []


def test_attack_histogram_bars_count_participants_once(release: Release) -> None:
    # given the warehouse's measurements with a numeric value
    with duckdb.connect(release.warehouse_path, read_only=True) as con:
        people = dict(
            con.execute(
                "select measurement_concept_id, count(distinct m.person_id) from measurement m"
                " join participant p using (person_id) where value_as_number is not null"
                " group by 1"
            ).fetchall()
        )
    rows = ConceptSummary.objects.filter(release=release, concept_id__in=list(people))
    assert rows.count() == len(people) > 5

    for row in rows:
        # when the bars' true counts are added up (systolic blood pressure once gave 13,440
        # against 6,660 participants)
        bars = sum(count for _low, _high, count in row.histogram["bins"])

        # then they are the participants with a value, each counted once
        assert bars == people[row.concept_id] <= row.participants


def _range(count: PublicCount) -> tuple[int, int]:
    low, high = count.bounds()
    assert high is not None
    return low, high


def _extremes(
    bounds: list[tuple[int, int]], rows: list[list[int]], ups: list[int], index: int
) -> tuple[int, int]:
    """The least and greatest integer value of variable `index` given its `bounds` and
    `rows` · x ≤ `ups` (scipy's MILP, exact for these small problems)."""
    lower = np.array([low for low, _ in bounds], dtype=float)
    upper = np.array([high for _, high in bounds], dtype=float)
    constraint = LinearConstraint(np.array(rows, dtype=float), -np.inf, np.array(ups, dtype=float))
    found = []
    for sign in (1, -1):
        objective = np.zeros(len(bounds))
        objective[index] = sign
        result = milp(
            objective,
            constraints=constraint,
            integrality=np.ones(len(bounds)),
            bounds=Bounds(lower, upper),
        )
        assert result.success
        found.append(round(result.x[index]))
    return found[0], found[1]


def test_attack_parent_and_children_read_together_narrow_no_hidden_total(
    release: Release,
) -> None:
    # given each concept with children in the release, and the children's pages
    narrowed = []
    families = 0
    for page in _pages(release):
        if not page.children:
            continue
        families += 1
        # variables: the parent's total, then each child's. Every child's participants are
        # among the parent's (child ≤ parent); and at worst, if the reader knew the parent is
        # never recorded itself, the parent's are among the children's (parent ≤ Σ children).
        counts = [page.concept.participants] + [child.participants for child in page.children]
        size = len(counts)
        rows, ups = [], []
        for i in range(1, size):
            row = [0] * size
            row[i], row[0] = 1, -1
            rows.append(row)
            ups.append(0)
        true_counts = [
            ConceptSummary.objects.get(release=release, concept_id=hit.concept_id).participants
            for hit in [page.concept, *page.children]
        ]
        if true_counts[0] <= sum(true_counts[1:]):  # possible only then
            rows.append([1] + [-1] * (size - 1))
            ups.append(0)
        bounds = [_range(count) for count in counts]
        for index, count in enumerate(counts):
            if count.hidden:
                # when the reader works out what each hidden total can be
                low, high = _extremes(bounds, rows, ups, index)
                # then it is still anything from 1 to 20
                if (low, high) != (1, 20):
                    narrowed.append((page.concept.concept_id, index, low, high))
    assert families > 5
    assert narrowed == []


def test_attack_the_rounding_alone_keeps_a_child_from_being_narrowed_through_its_parent() -> None:
    # given a parent of 21 to 40 (shown 40) never recorded itself, children 20 and 1 to 20
    # (each "≤ 20"): the reader knows parent ≤ the children added up
    bounds = [(21, 40), (1, 20), (1, 20)]
    rows = [[-1, 1, 0], [-1, 0, 1], [1, -1, -1]]

    # when the reader works out the second child
    # then it can still be 1 (so a parent shown as 40 tells nothing about it)
    assert _extremes(bounds, rows, [0, 0, 0], 2) == (1, 20)
