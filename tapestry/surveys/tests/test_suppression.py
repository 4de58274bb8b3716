"""Small-cell suppression: what a reader of every results page could work out, by linear
programming over everything published (see attack.py)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tapestry.surveys.suppression import Protected, protect
from tapestry.surveys.tests.attack import pinned, question_system

DIMS = {"region": ["1", "2", "3"], "language": ["en", "es"]}


def _shown(protected: Protected) -> dict[tuple[str, ...], int | None]:
    return {
        key: protected.shown(key) for key in protected.values if key[0] not in ("not", "not_margin")
    }


def _attack(
    kind: str, categories: list[str], dims: dict[str, list[str]], protected: Protected
) -> dict[Any, Any]:
    system, targets = question_system(
        kind=kind,
        categories=categories,
        dims=dims,
        shown=_shown(protected),
        true_values=protected.values,
    )
    return pinned(system, targets)


def _partition(
    cells: dict[tuple[str, str, str], int], dims: dict[str, list[str]], categories: list[str]
) -> dict[str, Any]:
    totals: dict[tuple[str, str], int] = {}
    for (dim, _category, group), count in cells.items():
        totals[(dim, group)] = totals.get((dim, group), 0) + count
    grand = sum(count for (dim, _c, _g), count in cells.items() if dim == next(iter(dims)))
    return {"cells": cells, "totals": totals, "grand": grand}


def test_a_naive_one_cell_suppression_leaks_from_the_total() -> None:
    # Given one region with 3 "no" and the rest large: hiding only that cell
    dims = {"region": ["1", "2"]}
    cells = {
        ("region", "yes", "1"): 20,
        ("region", "no", "1"): 3,
        ("region", "yes", "2"): 30,
        ("region", "no", "2"): 12,
    }
    data = _partition(cells, dims, ["yes", "no"])
    naive = Protected(
        values=protect(kind="partition", categories=["yes", "no"], dims=dims, **data).values,
        hidden={("cell", "region", "no", "1")},
        threshold=5,
    )

    # When the attacker reads the page
    found = _attack("partition", ["yes", "no"], dims, naive)

    # Then the hidden 3 is recovered from the region's total
    assert found == {("cell", "region", "no", "1"): (3.0, 3.0)}


def test_the_recovered_from_total_case_is_refused_by_a_second_suppression() -> None:
    # Given the same table
    dims = {"region": ["1", "2"]}
    cells = {
        ("region", "yes", "1"): 20,
        ("region", "no", "1"): 3,
        ("region", "yes", "2"): 30,
        ("region", "no", "2"): 12,
    }
    data = _partition(cells, dims, ["yes", "no"])

    # When it is protected
    protected = protect(kind="partition", categories=["yes", "no"], dims=dims, **data)

    # Then more than the small cell is hidden, and nothing hidden can be pinned
    assert ("cell", "region", "no", "1") in protected.hidden
    assert len(protected.hidden) >= 4
    assert _attack("partition", ["yes", "no"], dims, protected) == {}


def test_two_hidden_cells_that_must_both_be_four_get_a_third() -> None:
    # Given a row whose two small cells add up to 8 (so both would be 4)
    dims = {"region": ["1", "2", "3"]}
    cells = {
        ("region", "a", "1"): 4,
        ("region", "a", "2"): 4,
        ("region", "a", "3"): 30,
        ("region", "b", "1"): 10,
        ("region", "b", "2"): 12,
        ("region", "b", "3"): 9,
    }
    data = _partition(cells, dims, ["a", "b"])

    protected = protect(kind="partition", categories=["a", "b"], dims=dims, **data)

    assert _attack("partition", ["a", "b"], dims, protected) == {}
    assert len(protected.hidden) > 2


def test_identified_counts_of_large_groups_are_all_shown() -> None:
    dims = {"region": ["1", "2"]}
    cells = {
        ("region", "yes", "1"): 20,
        ("region", "no", "1"): 7,
        ("region", "yes", "2"): 30,
        ("region", "no", "2"): 12,
    }
    data = _partition(cells, dims, ["yes", "no"])

    protected = protect(kind="partition", categories=["yes", "no"], dims=dims, **data)

    assert protected.hidden == set()


def test_a_multiple_choice_cell_with_a_small_complement_is_hidden() -> None:
    # Given 9 of the 10 people who answered in region 1 ticked "a"
    dims = {"region": ["1", "2"]}
    cells = {("region", "a", "1"): 9, ("region", "a", "2"): 10}
    totals = {("region", "1"): 10, ("region", "2"): 20}

    protected = protect(
        kind="multiple", categories=["a"], dims=dims, cells=cells, totals=totals, grand=30
    )

    assert ("cell", "region", "a", "1") in protected.hidden
    system, targets = question_system(
        kind="multiple",
        categories=["a"],
        dims=dims,
        shown=_shown(protected),
        true_values=protected.values,
    )
    assert pinned(system, targets) == {}


@st.composite
def partition_tables(draw: Any) -> tuple[list[str], dict[str, list[str]], dict[Any, int]]:
    """Respondents with a category and a group in each of two dimensions, few of them small."""
    categories = [f"c{i}" for i in range(draw(st.integers(2, 4)))]
    dims = {"region": [f"r{i}" for i in range(draw(st.integers(2, 4)))], "language": ["en", "es"]}
    people = draw(
        st.lists(
            st.tuples(
                st.sampled_from(categories),
                st.sampled_from(dims["region"]),
                st.sampled_from(dims["language"]),
                st.integers(1, 12),
            ),
            min_size=1,
            max_size=10,
        )
    )
    cells: dict[Any, int] = {}
    for category, region, language, weight in people:
        for dim, group in (("region", region), ("language", language)):
            cells[(dim, category, group)] = cells.get((dim, category, group), 0) + weight
    return categories, dims, cells


@given(partition_tables())
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_no_hidden_count_of_a_random_table_can_be_pinned(table: Any) -> None:
    categories, dims, cells = table
    data = _partition(cells, dims, categories)

    protected = protect(kind="partition", categories=categories, dims=dims, **data)

    assert _attack("partition", categories, dims, protected) == {}


@st.composite
def multiple_tables(
    draw: Any,
) -> tuple[list[str], dict[str, list[str]], dict[Any, int], dict[Any, int], int]:
    categories = [f"c{i}" for i in range(draw(st.integers(1, 3)))]
    dims = {"region": [f"r{i}" for i in range(draw(st.integers(2, 3)))], "language": ["en", "es"]}
    people = draw(
        st.lists(
            st.tuples(
                st.sets(st.sampled_from(categories), min_size=1),
                st.sampled_from(dims["region"]),
                st.sampled_from(dims["language"]),
                st.integers(1, 9),
            ),
            min_size=1,
            max_size=8,
        )
    )
    cells: dict[Any, int] = {}
    totals: dict[Any, int] = {}
    grand = 0
    for ticked, region, language, weight in people:
        grand += weight
        for dim, group in (("region", region), ("language", language)):
            totals[(dim, group)] = totals.get((dim, group), 0) + weight
            for category in ticked:
                cells[(dim, category, group)] = cells.get((dim, category, group), 0) + weight
    return categories, dims, cells, totals, grand


@given(multiple_tables())
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_no_hidden_count_of_a_random_multiple_choice_table_can_be_pinned(table: Any) -> None:
    categories, dims, cells, totals, grand = table

    protected = protect(
        kind="multiple", categories=categories, dims=dims, cells=cells, totals=totals, grand=grand
    )

    system, targets = question_system(
        kind="multiple",
        categories=categories,
        dims=dims,
        shown=_shown(protected),
        true_values=protected.values,
    )
    assert pinned(system, targets) == {}


def test_a_grand_total_hidden_to_protect_a_group_is_not_given_away_by_another_dimension() -> None:
    # Given a multiple-choice question whose small region (4 people) hides the regions' totals
    # and, to protect them, the grand total; the language totals are large enough to show
    dims = {"region": ["r0", "r1"], "language": ["en", "es"]}
    cells = {
        ("region", "c0", "r1"): 10,
        ("region", "c1", "r1"): 12,
        ("region", "c2", "r0"): 4,
        ("region", "c2", "r1"): 4,
        ("language", "c0", "en"): 2,
        ("language", "c0", "es"): 8,
        ("language", "c1", "en"): 2,
        ("language", "c1", "es"): 10,
        ("language", "c2", "en"): 6,
        ("language", "c2", "es"): 2,
    }
    totals = {
        ("region", "r0"): 4,
        ("region", "r1"): 18,
        ("language", "en"): 6,
        ("language", "es"): 16,
    }

    protected = protect(
        kind="multiple",
        categories=["c0", "c1", "c2"],
        dims=dims,
        cells=cells,
        totals=totals,
        grand=22,
    )

    # Then the grand total is not simply the sum of the language totals shown beside it
    assert protected.is_hidden(("grand",))
    assert _attack("multiple", ["c0", "c1", "c2"], dims, protected) == {}


@given(
    st.lists(st.integers(0, 30), min_size=2, max_size=6),
    st.lists(st.integers(0, 9), min_size=2, max_size=2),
)
@settings(max_examples=80, deadline=None)
def test_no_group_count_can_be_pinned(region_counts: list[int], spanish: list[int]) -> None:
    # Given responses per region, and a language split that adds up to the same total
    grand = sum(region_counts)
    spanish_count = min(grand, spanish[0])
    dims = {"region": [str(i) for i in range(len(region_counts))], "language": ["en", "es"]}
    totals = {("region", str(i)): count for i, count in enumerate(region_counts)}
    totals[("language", "es")] = spanish_count
    totals[("language", "en")] = grand - spanish_count

    protected = protect(
        kind="count", categories=[], dims=dims, cells={}, totals=totals, grand=grand
    )

    system, targets = question_system(
        kind="count",
        categories=[],
        dims=dims,
        shown=_shown(protected),
        true_values=protected.values,
    )
    assert pinned(system, targets) == {}


def test_groups_that_do_not_add_up_are_refused() -> None:
    with pytest.raises(ValueError, match="do not add up"):
        protect(
            kind="count",
            categories=[],
            dims={"region": ["1"]},
            cells={},
            totals={("region", "1"): 3},
            grand=4,
        )
