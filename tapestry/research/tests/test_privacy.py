import itertools
from collections.abc import Mapping
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tapestry.research.privacy import (
    SUPPRESSED,
    ProtectedTable,
    PublicCount,
    protect_breakdown,
    protect_breakdowns,
    protect_table,
    public_cell,
    public_count,
    public_percentage,
    public_shares,
    round_count,
)

HIDDEN_RANGE = set(range(1, 21))
TOTAL = "total"

# --- the attacker ------------------------------------------------------------------------------
# It sees only what is published and knows that each breakdown adds up to its total. It works
# on sets of possible values (numpy indicator vectors and convolutions), not on the interval
# formulas privacy.py uses, so it checks that code rather than repeating it.


def _possible(count: PublicCount, upper: int) -> np.ndarray:
    """Indicator over 0..upper of the true values this published figure allows."""
    low, high = count.bounds(suppressed_upper=upper)
    allowed = np.zeros(upper + 1, dtype=bool)
    allowed[low : (upper if high is None else high) + 1] = True
    return allowed


def _sums(indicators: list[np.ndarray], size: int) -> np.ndarray:
    """Indicator of every sum the given cells can reach together."""
    reachable = np.zeros(size, dtype=bool)
    reachable[0] = True
    for allowed in indicators:
        reachable = np.convolve(reachable, allowed)[:size] > 0
    return reachable


def attack_breakdowns(
    total: PublicCount, breakdowns: Mapping[str, Mapping[str, PublicCount]]
) -> dict[object, set[int]]:
    """Every value each published count could have, given everything published."""
    _, upper = total.bounds()
    assert upper is not None
    size = upper + 1
    cells = {
        name: [_possible(count, upper) for count in counts.values()]
        for name, counts in breakdowns.items()
    }
    reachable = {name: _sums(indicators, size) for name, indicators in cells.items()}
    total_possible = _possible(total, upper)
    for sums in reachable.values():
        total_possible &= sums
    found: dict[object, set[int]] = {TOTAL: set(np.flatnonzero(total_possible).tolist())}
    for name, indicators in cells.items():
        totals = _possible(total, upper)
        for other, sums in reachable.items():
            if other != name:
                totals &= sums
        for index, key in enumerate(breakdowns[name]):
            others = _sums([a for i, a in enumerate(indicators) if i != index], size)
            found[(name, key)] = {
                int(value)
                for value in np.flatnonzero(indicators[index])
                if np.any(totals[value:] & others[: size - value])
            }
    return found


def attack_two_row_table(table: ProtectedTable) -> dict[object, set[int]]:
    """Every value each count of a 2 x k table could have: all first rows, exact second row."""
    _, upper = table.total.bounds()
    assert upper is not None

    def allowed(count: PublicCount) -> tuple[int, int]:
        low, high = count.bounds(suppressed_upper=upper)
        assert high is not None
        return low, high

    first, second = table.row_totals
    columns = list(table.column_totals)
    found: dict[object, set[int]] = {}
    first_low, first_high = allowed(table.row_totals[first])
    second_low, second_high = allowed(table.row_totals[second])
    grand_low, grand_high = allowed(table.total)
    first_ranges = [
        range(allowed(table.cells[(first, c)])[0], allowed(table.cells[(first, c)])[1] + 1)
        for c in columns
    ]
    for first_row in itertools.product(*first_ranges):
        first_sum = sum(first_row)
        if not first_low <= first_sum <= first_high:
            continue
        second_ranges = []
        for value, column in zip(first_row, columns, strict=True):
            low, high = allowed(table.cells[(second, column)])
            column_low, column_high = allowed(table.column_totals[column])
            second_ranges.append((max(low, column_low - value), min(high, column_high - value)))
        if any(low > high for low, high in second_ranges):
            continue
        sum_low = max(second_low, grand_low - first_sum, sum(low for low, _ in second_ranges))
        sum_high = min(second_high, grand_high - first_sum, sum(high for _, high in second_ranges))
        if sum_low > sum_high:
            continue
        found.setdefault(("row", first), set()).add(first_sum)
        for second_sum in range(sum_low, sum_high + 1):
            found.setdefault(("row", second), set()).add(second_sum)
            found.setdefault(TOTAL, set()).add(first_sum + second_sum)
        for index, column in enumerate(columns):
            found.setdefault((first, column), set()).add(first_row[index])
            low, high = second_ranges[index]
            others_low = sum(r[0] for i, r in enumerate(second_ranges) if i != index)
            others_high = sum(r[1] for i, r in enumerate(second_ranges) if i != index)
            for value in range(low, high + 1):
                if max(sum_low, value + others_low) <= min(sum_high, value + others_high):
                    found.setdefault((second, column), set()).add(value)
                    found.setdefault(("column", column), set()).add(first_row[index] + value)
    return found


def exposed(
    true_counts: Mapping[object, int],
    found: Mapping[object, set[int]],
    figures: Mapping[object, PublicCount] | None = None,
) -> list:
    """The hidden counts the attacker can narrow below what their own figure says.

    With `figures` (what was published for each count): every count from 0 to 20 must still
    be able to take every value its figure allows, up to 20: [1, 20] for a total shown as
    "≤ 20", [0, 20] for a listed cell shown as "≤ 20" or suppressed. Without: the counts from
    1 to 20 must cover [1, 20] (the two-way tables' rule).
    """
    narrowed = []
    published: Mapping[object, PublicCount] = figures or {}
    for key, count in true_counts.items():
        figure = published.get(key)
        if figure is None:
            required = HIDDEN_RANGE if 1 <= count <= 20 else set()
        elif count > 20 or (figure.value == 0 and not figure.suppressed):
            required = set()
        else:
            low, high = figure.bounds(suppressed_upper=20)
            if (
                isinstance(key, tuple)
                and sum(other[0] == key[0] for other in published if isinstance(other, tuple)) == 1
            ):
                low = max(low, min(1, true_counts[TOTAL]))  # a breakdown's only cell is its total
            ceiling = min(20 if high is None else high, 20, published[TOTAL].bounds()[1] or 0)
            required = set(range(low, ceiling + 1))
        if not found.get(key, set()) >= required:
            narrowed.append(key)
    return narrowed


def figures_of(
    total: PublicCount, breakdowns: Mapping[str, Mapping[str, PublicCount]]
) -> dict[object, PublicCount]:
    """Each published figure by the key `true_counts_of` gives its true count."""
    figures: dict[object, PublicCount] = {TOTAL: total}
    for name, cells in breakdowns.items():
        figures.update({(name, key): count for key, count in cells.items()})
    return figures


def naive(breakdowns: Mapping[str, Mapping[str, int]]) -> dict[str, dict[str, PublicCount]]:
    """Rounding alone, without complementary suppression (a listed 0 shown as "≤ 20")."""
    return {
        name: {key: public_cell(count) for key, count in counts.items()}
        for name, counts in breakdowns.items()
    }


def true_counts_of(breakdowns: Mapping[str, Mapping[str, int]], total: int) -> dict[object, int]:
    counts: dict[object, int] = {TOTAL: total}
    for name, cells in breakdowns.items():
        counts.update({(name, key): count for key, count in cells.items()})
    return counts


# --- rounding ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "value", "display"),
    [
        (0, 0, "0"),
        (1, 20, "≤ 20"),
        (7, 20, "≤ 20"),
        (20, 20, "≤ 20"),
        (21, 40, "40"),
        (40, 40, "40"),
        (41, 60, "60"),
        (1_221, 1_240, "1,240"),
        (1_240, 1_240, "1,240"),
        (999_999, 1_000_000, "1,000,000"),
    ],
)
def test_counts_round_up_to_twenty_and_small_ones_show_as_at_most_twenty(
    count: int, value: int, display: str
) -> None:
    # given a true count
    # when it is made public
    public = public_count(count)

    # then it carries the rounded number and its display text, unsuppressed
    assert public == PublicCount(value=value, display=display, suppressed=False)
    assert round_count(count) == value


@pytest.mark.parametrize("count", [-1, 2.5, True, "3"])
def test_a_count_must_be_a_non_negative_integer(count: int | float | bool | str) -> None:
    # given something that is not a count
    # when it is made public
    # then it is refused
    with pytest.raises(ValueError, match="non-negative integer"):
        public_count(count)  # type: ignore[arg-type]  # the wrong types are the point


def test_every_public_count_has_the_same_json_shape() -> None:
    # given a rounded count, a small one and a suppressed one
    # when they are turned into dictionaries
    shapes = [public_count(1_221).as_dict(), public_count(3).as_dict(), SUPPRESSED.as_dict()]

    # then each carries the rounded number, the display text and the flag
    assert shapes == [
        {"value": 1_240, "display": "1,240", "suppressed": False},
        {"value": 20, "display": "≤ 20", "suppressed": False},
        {"value": None, "display": "suppressed", "suppressed": True},
    ]


@pytest.mark.parametrize(
    ("public", "bounds"),
    [
        (public_count(0), (0, 0)),
        (public_count(5), (1, 20)),
        (public_count(21), (21, 40)),
        (public_count(1_240), (1_221, 1_240)),
        (SUPPRESSED, (0, None)),
    ],
)
def test_a_published_figure_bounds_the_true_count(public: Any, bounds: tuple[Any, ...]) -> None:
    # given a published figure
    # when a reader works out what it allows
    # then 0 is exact, "≤ 20" is 1-20, r is r-19..r, and suppressed says nothing
    assert public.bounds() == bounds


# --- percentages -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("part", "whole", "expected"),
    [
        (1, 41, 33.3),  # 20 of 60, not 1 of 41
        (21, 40, 100.0),  # 40 of 40
        (0, 41, 0.0),
        (500, 1_000, 50.0),
        (1_221, 3_000, 41.3),  # 1,240 of 3,000
    ],
)
def test_percentages_come_from_the_rounded_counts(part: int, whole: int, expected: float) -> None:
    # given two true counts
    # when the percentage is published
    percentage = public_percentage(public_count(part), public_count(whole))

    # then it is computed from the published numbers
    assert percentage == expected


def test_a_percentage_of_or_from_a_suppressed_or_zero_count_is_not_given() -> None:
    # given a suppressed part, a suppressed whole and a zero whole
    # when percentages are asked for
    # then none is given
    assert public_percentage(SUPPRESSED, public_count(100)) is None
    assert public_percentage(public_count(100), SUPPRESSED) is None
    assert public_percentage(public_count(0), public_count(0)) is None


# --- one breakdown -----------------------------------------------------------------------------


def test_a_breakdown_without_small_cells_is_only_rounded() -> None:
    # given participants by sex, none of the cells from 1 to 20
    cells = {"male": 500, "female": 621, "intersex": 0, "skipped": 39}

    # when published
    total, published = protect_breakdown(cells, 1_160)

    # then every figure is just its rounded count, the listed 0 shown as "≤ 20"
    assert total == public_count(1_160)
    assert published == {key: public_cell(count) for key, count in cells.items()}
    assert published["intersex"].display == "≤ 20"


def test_a_small_cell_that_nothing_narrows_is_shown_as_at_most_twenty() -> None:
    # given total 41 (→ 60) with cells 40 (→ 40), 1 (→ "≤ 20") and 0
    cells = {"male": 40, "female": 1, "intersex": 0}

    # when published
    total, published = protect_breakdown(cells, 41)
    found = attack_breakdowns(total, {"sex": published})

    # then nothing needed suppressing: the small cell could be anything from 0 to 20
    assert published == {key: public_cell(count) for key, count in cells.items()}
    assert found[("sex", "female")] == set(range(0, 21))


def test_attack_a_cell_of_21_beside_the_total_narrows_the_small_cell_unless_suppressed() -> None:
    # given total 22 (→ 40): cells 21 (→ 40) and 1 (→ "≤ 20")
    breakdown = {"sex": {"male": 21, "female": 1}}
    truth = true_counts_of(breakdown, 22)

    # when published by rounding alone, then with protection
    naive_found = attack_breakdowns(public_count(22), naive(breakdown))
    total, published = protect_breakdown(breakdown["sex"], 22)
    found = attack_breakdowns(total, {"sex": published})

    # then rounding alone lets the attacker rule out 20 (male ≥ 21, total ≤ 40), protection
    # suppresses the large cell and the attacker learns nothing
    assert naive_found[("sex", "female")] == set(range(0, 20))
    assert published == {"male": SUPPRESSED, "female": public_cell(1)}
    assert exposed(truth, found, figures_of(total, {"sex": published})) == []


def test_attack_a_small_total_whose_zero_cell_is_left_out_is_pinned() -> None:
    # given total 5 (→ "≤ 20") split 3, 2 and 0
    breakdown = {"sex": {"male": 3, "female": 2, "intersex": 0}}
    truth = true_counts_of(breakdown, 5)

    # when the old way listed only non-empty groups, each "≤ 20" holding at least one person,
    # and when every group is listed, a zero shown as "≤ 20"
    old_way = {"sex": {"male": public_count(3), "female": public_count(2)}}
    old_found = attack_breakdowns(public_count(5), old_way)
    total, published = protect_breakdown(breakdown["sex"], 5)
    found = attack_breakdowns(total, {"sex": published})

    # then the old way pinned the total to [2, 20]; listing every group exposes nothing
    assert min(old_found[TOTAL]) == 2
    assert published == {key: public_cell(count) for key, count in breakdown["sex"].items()}
    assert exposed(truth, found, figures_of(total, {"sex": published})) == []


def test_a_small_total_with_one_non_zero_cell_is_shown() -> None:
    # given total 5 (→ "≤ 20") all in one cell
    # when published
    total, published = protect_breakdown({"male": 5, "female": 0}, 5)

    # then both show as "≤ 20": the cell may be the total or nothing
    assert (total, published) == (
        public_count(5),
        {"male": public_cell(5), "female": public_cell(0)},
    )


def test_a_breakdown_of_zero_is_all_zeros() -> None:
    # given nobody
    # when published
    total, published = protect_breakdown({"male": 0, "female": 0}, 0)

    # then the total is 0 (and so, plainly, is every cell)
    assert total == public_count(0)
    assert published == {"male": public_cell(0), "female": public_cell(0)}


def test_cells_that_do_not_add_up_to_the_total_are_refused() -> None:
    # given cells that leave participants out
    # when published
    # then the caller is told to add a category for them
    with pytest.raises(ValueError, match="adds up to 30, not to the total 31"):
        protect_breakdown({"male": 10, "female": 20}, 31)


# --- several breakdowns of one total -----------------------------------------------------------


def test_attack_one_breakdown_narrows_the_total_another_small_cell_is_reasoned_from() -> None:
    # given total 63 (→ 80) broken down by sex as 21/21/21 (each → 40, so the total is at
    # least 63) and by age as 60 (→ 60) and 3 (→ "≤ 20")
    breakdowns = {
        "sex": {"male": 21, "female": 21, "other": 21},
        "age": {"adult": 60, "older": 3},
    }
    truth = true_counts_of(breakdowns, 63)

    # when published by rounding alone, then with joint protection
    naive_found = attack_breakdowns(public_count(63), naive(breakdowns))
    total, published = protect_breakdowns(breakdowns, 63)

    # then rounding alone tells the attacker older ≥ 3; joint protection leaves nothing
    assert min(naive_found[("age", "older")]) == 3
    assert exposed(truth, attack_breakdowns(total, published), figures_of(total, published)) == []
    assert any(count.suppressed for count in published["sex"].values())


# --- two-way tables ----------------------------------------------------------------------------


def test_attack_a_two_way_table_is_protected_across_rows_and_columns() -> None:
    # given age group x sex where one small cell sits beside a cell of 21
    cells = {
        ("young", "male"): 21,
        ("young", "female"): 1,
        ("old", "male"): 30,
        ("old", "female"): 30,
    }
    truth: dict[object, int] = {key: count for key, count in cells.items()}
    truth.update({("row", "young"): 22, ("row", "old"): 60, ("column", "male"): 51})
    truth.update({("column", "female"): 31, TOTAL: 82})

    # when published by rounding alone, then with protection
    rounded = ProtectedTable(
        total=public_count(82),
        row_totals={"young": public_count(22), "old": public_count(60)},
        column_totals={"male": public_count(51), "female": public_count(31)},
        cells={key: public_count(count) for key, count in cells.items()},
    )
    table = protect_table(cells)

    # then rounding alone exposes the small cell (female total ≤ 40, old women ≥ 21); the
    # protected table suppresses two other corners of its rectangle and exposes nothing
    assert exposed(truth, attack_two_row_table(rounded)) == [("young", "female")]
    assert exposed(truth, attack_two_row_table(table)) == []
    assert table.cells == {
        ("young", "male"): SUPPRESSED,
        ("young", "female"): public_count(1),
        ("old", "male"): public_count(30),
        ("old", "female"): SUPPRESSED,
    }
    assert table.total == public_count(82)


def test_a_table_shows_its_totals_and_fills_missing_cells_with_zero() -> None:
    # given a table with one cell absent
    # when published
    table = protect_table({("a", "x"): 100, ("a", "y"): 200, ("b", "x"): 300})

    # then totals are computed, the absent cell is 0 and nothing needs suppressing
    assert table.cells[("b", "y")] == public_count(0)
    assert table.row_totals == {"a": public_count(300), "b": public_count(300)}
    assert table.column_totals == {"x": public_count(400), "y": public_count(200)}
    assert table.total == public_count(600)
    assert table.as_dict()["total"] == {"value": 600, "display": "600", "suppressed": False}


# --- properties over random breakdowns -----------------------------------------------------------


@st.composite
def breakdowns_of_one_total(
    draw: Any, max_breakdowns: int = 3
) -> tuple[dict[str, dict[str, int]], int]:
    total = draw(st.integers(0, 120))
    names = [f"b{index}" for index in range(draw(st.integers(1, max_breakdowns)))]
    breakdowns = {}
    for name in names:
        cuts = sorted(draw(st.lists(st.integers(0, total), min_size=0, max_size=5)))
        parts = [b - a for a, b in zip([0, *cuts], [*cuts, total], strict=True)]
        breakdowns[name] = {f"c{index}": part for index, part in enumerate(parts)}
    return breakdowns, total


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 70), min_size=1, max_size=6))
def test_property_no_hidden_cell_of_a_breakdown_can_be_narrowed(cells: Any) -> None:
    # given any small breakdown and its total
    breakdown = {f"c{index}": count for index, count in enumerate(cells)}
    total = sum(cells)

    # when it is published and attacked
    public_total, published = protect_breakdown(breakdown, total)
    found = attack_breakdowns(public_total, {"b": published})

    # then every hidden count could still be anything from 1 to 20, the truth is consistent
    # with what is shown, and shown cells are just their rounded counts
    truth = true_counts_of({"b": breakdown}, total)
    assert exposed(truth, found, figures_of(public_total, {"b": published})) == []
    assert all(count in found[key] for key, count in truth.items())
    assert public_total == public_count(total)
    assert all(
        published[key] in (SUPPRESSED, public_cell(count)) for key, count in breakdown.items()
    )


@settings(max_examples=300, deadline=None)
@given(breakdowns_of_one_total())
def test_property_no_hidden_count_of_breakdowns_sharing_a_total_can_be_narrowed(case: Any) -> None:
    # given up to three breakdowns of the same total
    breakdowns, total = case

    # when they are published together and attacked
    public_total, published = protect_breakdowns(breakdowns, total)
    found = attack_breakdowns(public_total, published)

    # then no hidden count is exposed and the truth is consistent with what is shown
    truth = true_counts_of(breakdowns, total)
    assert exposed(truth, found, figures_of(public_total, published)) == []
    assert all(count in found[key] for key, count in truth.items())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.integers(0, 25), min_size=2, max_size=2),
    st.lists(st.integers(0, 25), min_size=2, max_size=2),
)
def test_property_no_hidden_count_of_a_two_by_two_table_can_be_narrowed(
    first_row: Any, second_row: Any
) -> None:
    # given a 2 x 2 table of small counts
    cells = {("a", "x"): first_row[0], ("a", "y"): first_row[1]}
    cells.update({("b", "x"): second_row[0], ("b", "y"): second_row[1]})

    # when it is published and attacked
    table = protect_table(cells)
    found = attack_two_row_table(table)

    # then no hidden count, interior or margin, is exposed
    truth: dict[object, int] = {key: count for key, count in cells.items()}
    truth.update({("row", "a"): sum(first_row), ("row", "b"): sum(second_row)})
    truth.update({("column", "x"): first_row[0] + second_row[0]})
    truth.update({("column", "y"): first_row[1] + second_row[1]})
    truth[TOTAL] = sum(first_row) + sum(second_row)
    assert exposed(truth, found) == []
    assert all(count in found[key] for key, count in truth.items())


# --- percentages of the shown cells ------------------------------------------------------------


def test_percentages_are_of_the_shown_cells_and_hidden_cells_get_none() -> None:
    # given a breakdown with a "≤ 20" cell and a suppressed one
    cells = {"a": public_count(300), "b": public_count(100), "c": public_cell(3), "d": SUPPRESSED}

    # when the percentages are worked out
    shares = public_shares(cells)

    # then they are of 300 + 100, and the hidden and suppressed cells have none
    assert shares == {"a": 75.0, "b": 25.0, "c": None, "d": None}


@settings(max_examples=200, deadline=None)
@given(breakdowns_of_one_total())
def test_property_percentages_of_a_protected_breakdown_add_up_to_at_most_101(case: Any) -> None:
    # given any breakdowns, protected
    breakdowns, total = case
    _total, published = protect_breakdowns(breakdowns, total)

    # when each breakdown's percentages are worked out
    # then none adds up to more than 101 %
    for cells in published.values():
        assert sum(share or 0 for share in public_shares(cells).values()) <= 101
