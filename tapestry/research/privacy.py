"""Public counts: THE one place where a number about participants is made safe to publish.

Every count that leaves the server without a login (Data Browser pages, the public API, CSV)
goes through this module. It imports neither Django nor the ORM; its texts are plain English
and the Django layer translates them.

The rules (PRODUCT.md, "Research data"):

1. Rounding. A count of 0 is shown as 0. A count from 1 to 20 is shown as "≤ 20" and carries
   the rounded number 20. Every other count rounds UP to the next multiple of 20: 21 → 40,
   40 → 40, 41 → 60, 999,999 → 1,000,000. So a published figure tells a reader only this
   about the true count:

       published 0       → exactly 0
       published "≤ 20"  → somewhere in [1, 20] (a total), [0, 20] (a listed cell)
       published r ≥ 40  → somewhere in [r - 19, r]
       "suppressed"      → somewhere in [0, the total's upper bound]

   A breakdown lists EVERY category, and a cell of 0 shows as "≤ 20" too (`public_cell`):
   listing only the groups with somebody in them told the reader each "≤ 20" held at least
   one person, which pinned small totals (seven listed age groups: a total in [7, 20]).

2. Percentages come from the rounded numbers, never from true counts, so a percentage says
   nothing the rounded counts do not. A breakdown's are of its shown cells' rounded counts
   added up (`public_shares`), and a "≤ 20" or suppressed cell has none, so they add up to
   100 %; `public_percentage` (a count of another) serves the dashboard.

3. Complementary suppression. No count from 1 to 20 (a *hidden* count) may be worked out from
   the other figures shown beside it. An attacker who knows that the cells of a breakdown add
   up to its total can combine the intervals above: in a breakdown by sex, a hidden cell c
   must satisfy  c = total - (sum of the other cells),  so

       c ≥ lowest possible total - highest possible sum of the others
       c ≤ highest possible total - lowest possible sum of the others.

   Example: total 22 → 40, cells 21 → 40 and 1 → "≤ 20". The total is at most 40 and the
   big cell at least 21, so the small cell is at most 19: the reader has narrowed it. We
   compute, exactly, the set of values each hidden count could take given everything shown
   (the *feasible interval*), and while any hidden count's feasible interval does not cover
   its published interval (a breakdown's cells from 0 to 20: [0, 20]; a hidden total and a
   table's hidden counts: [1, 20]), we suppress more cells — the smallest shown cell whose suppression widens
   what the reader can infer, else the smallest pair of cells that does (a two-way table
   often needs the corners of a rectangle) — then check again. A suppressed cell shows no
   number ("suppressed"). The loop always ends: with every cell suppressed, nothing but the
   (protected) total is left to reason from. The total of a breakdown, and the grand total
   of a table, are never suppressed.

What is checked, and what is not:

- One breakdown that adds up to its total (`protect_breakdown`), several breakdowns of the
  same total published together, such as a concept page's counts by sex, by age group and by
  race (`protect_breakdowns`: they are audited jointly, because one breakdown can narrow the
  total that another breakdown's hidden cell is reasoned from), and a two-way table with its
  row totals, column totals and grand total (`protect_table`).
- The answers to a "select all that apply" question (`protect_choices`): the choices add up
  to more than the people who answered, since one person may choose several; skipping and
  "prefer not to answer" go with no other answer.
- The attacker model is interval reasoning over the published figures and the additive
  structure, which is exact here: for a breakdown the feasible set of each cell is an
  interval of integers, and for a two-way table the constraints form a network whose
  feasibility we test exactly with a maximum-flow computation.
- A suppressed cell is modelled as anywhere from 0 to the total's upper bound. We do not
  model an attacker who reverse-engineers the suppression algorithm itself, nor one who
  combines figures from different releases or from tables published separately: publish a
  table's margins from the same call that protects the table.
- Cells must add up to their totals (ValueError otherwise): put participants with no answer
  in a category of their own ("Skipped", "Unknown") rather than leaving them out.
- The disclosure model of the Data Browser as a whole (small totals undescribed, parents and
  children read together, what is and is not proven, and by which test) is
  docs/adr/0014-disclosure-model.md.
"""

import itertools
from collections import deque
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

SMALL_COUNT_LIMIT: Final = 20  # counts from 1 to this are hidden
ROUNDING_STEP: Final = 20  # other counts round up to a multiple of this
SMALL_COUNT_DISPLAY: Final = "≤ 20"
SUPPRESSED_DISPLAY: Final = "suppressed"
_PAIR_SEARCH_LIMIT = 30  # pairs are sought among this many smallest shown cells


@dataclass(frozen=True)
class PublicCount:
    """A count as published: `value` is the rounded number (None when suppressed)."""

    value: int | None
    display: str
    suppressed: bool = False
    # A cell of a breakdown that lists every category shows 0 as "≤ 20" too, so its "≤ 20"
    # means [0, 20]; a total's "≤ 20" means [1, 20].
    may_be_zero: bool = False

    @property
    def hidden(self) -> bool:
        """True when the true count is from 1 to 20 (shown as "≤ 20", carrying the number 20)."""
        return not self.suppressed and self.value == SMALL_COUNT_LIMIT

    def bounds(self, *, suppressed_upper: int | None = None) -> tuple[int, int | None]:
        """What this figure alone says about the true count: (lowest, highest) possible.

        A suppressed count is anywhere from 0 to `suppressed_upper` (None: no upper bound).
        """
        if self.suppressed or self.value is None:
            return (0, suppressed_upper)
        if self.value == 0:
            return (0, 0)
        if self.hidden:
            return (0 if self.may_be_zero else 1, SMALL_COUNT_LIMIT)
        return (self.value - ROUNDING_STEP + 1, self.value)

    def as_dict(self) -> dict[str, int | str | bool | None]:
        """The JSON shape every public count takes: rounded number, display text, flag."""
        return {"value": self.value, "display": self.display, "suppressed": self.suppressed}


SUPPRESSED: Final = PublicCount(value=None, display=SUPPRESSED_DISPLAY, suppressed=True)


def round_count(count: int) -> int:
    """The rounded number published for a true count: 0 → 0, 1..20 → 20, else up to x20."""
    _check_count(count)
    if count == 0:
        return 0
    return max(SMALL_COUNT_LIMIT, -(-count // ROUNDING_STEP) * ROUNDING_STEP)


def public_count(count: int) -> PublicCount:
    """A single count, rounded (not suppressed). Use `protect_*` for counts shown together."""
    value = round_count(count)
    if 1 <= count <= SMALL_COUNT_LIMIT:
        return PublicCount(value=value, display=SMALL_COUNT_DISPLAY)
    return PublicCount(value=value, display=f"{value:,}")


def public_cell(count: int) -> PublicCount:
    """A cell of a breakdown that lists every category: 0 to 20 all show as "≤ 20".

    Listing every category with a zero shown like 1 to 20 means a "≤ 20" cell no longer
    tells the reader that somebody is in it (its interval is [0, 20]).
    """
    _check_count(count)
    if count <= SMALL_COUNT_LIMIT:
        return PublicCount(value=SMALL_COUNT_LIMIT, display=SMALL_COUNT_DISPLAY, may_be_zero=True)
    return public_count(count)


def public_shares(cells: Mapping[str, PublicCount], *, digits: int = 1) -> dict[str, float | None]:
    """Each shown cell as a percentage of the shown cells' rounded counts added up.

    A "≤ 20" or suppressed cell gets no percentage (None): giving "≤ 20" the 20 it carries
    made tables add up to 400 %. So the percentages add up to 100 % (give or take the
    rounding to `digits`), and say nothing the rounded counts do not.
    """
    shown = {
        key: cell.value
        for key, cell in cells.items()
        if cell.value is not None and not cell.hidden and cell.value > 0
    }
    whole = sum(shown.values())
    return {
        key: round(100 * shown[key] / whole, digits) if key in shown and whole else None
        for key in cells
    }


def public_percentage(part: PublicCount, whole: PublicCount, *, digits: int = 1) -> float | None:
    """`part` as a percentage of `whole`, from the rounded numbers, rounded to `digits`.

    None when either count is suppressed or the whole is 0.
    """
    if part.value is None or whole.value is None or whole.value == 0:
        return None
    return round(100 * part.value / whole.value, digits)


def protect_breakdown(
    cells: Mapping[str, int], total: int
) -> tuple[PublicCount, dict[str, PublicCount]]:
    """Publish one breakdown of `total` (e.g. participants by sex) with its total.

    The cells must add up to `total`. Returns the public total and the public cells, with
    complementary suppression applied so that no cell from 1 to 20 (nor the total, if it is
    one) can be narrowed below [1, 20] from what is shown.
    """
    public_total, breakdowns = protect_breakdowns({"": cells}, total)
    return public_total, breakdowns[""]


def protect_breakdowns(
    breakdowns: Mapping[str, Mapping[str, int]], total: int
) -> tuple[PublicCount, dict[str, dict[str, PublicCount]]]:
    """Publish several breakdowns of the same total together (e.g. by sex, by age, by race).

    Each breakdown's cells must add up to `total`; list EVERY category of each, zeros
    included: a cell from 0 to 20 shows as "≤ 20" (`public_cell`), so a listed cell says
    nothing about whether anybody is in it. They are protected jointly: a cell of one
    breakdown is checked against everything shown in all of them, until every cell from 0 to
    20 can still be anything in [0, 20] and a hidden total anything in [1, 20].
    """
    _check_count(total)
    names = list(breakdowns)
    values: list[list[int]] = []
    for name in names:
        counts = list(breakdowns[name].values())
        for count in counts:
            _check_count(count)
        if sum(counts) != total:
            raise ValueError(
                f"breakdown {name!r} adds up to {sum(counts)}, not to the total {total}"
            )
        values.append(counts)

    public_total = public_count(total)
    audit = _BreakdownAudit(total, values)
    suppressed = _suppress_until_safe(
        candidates=[(k, i) for k, counts in enumerate(values) for i in range(len(counts))],
        true_count=lambda cell: values[cell[0]][cell[1]],
        shortfall=audit.shortfall,
        group_of=lambda cell: cell[0],
        violating_groups=audit.violating_groups,
    )
    published = {
        name: {
            key: SUPPRESSED if (k, i) in suppressed else public_cell(values[k][i])
            for i, key in enumerate(breakdowns[name])
        }
        for k, name in enumerate(names)
    }
    return public_total, published


@dataclass(frozen=True)
class ProtectedTable:
    """A two-way table as published: grand total, row and column totals, and cells."""

    total: PublicCount
    row_totals: dict[str, PublicCount]
    column_totals: dict[str, PublicCount]
    cells: dict[tuple[str, str], PublicCount]

    def as_dict(self) -> dict[str, object]:
        """JSON-ready: every count in `PublicCount.as_dict` shape, cells as a list."""
        return {
            "total": self.total.as_dict(),
            "row_totals": {row: count.as_dict() for row, count in self.row_totals.items()},
            "column_totals": {
                column: count.as_dict() for column, count in self.column_totals.items()
            },
            "cells": [
                {"row": row, "column": column, **count.as_dict()}
                for (row, column), count in self.cells.items()
            ],
        }


def protect_table(cells: Mapping[tuple[str, str], int]) -> ProtectedTable:
    """Publish a two-way table (e.g. age group x sex) with its row, column and grand totals.

    Keys are (row, column); a (row, column) pair that is absent counts as 0. Totals are
    computed from the cells. Complementary suppression may hide interior cells and row or
    column totals (never the grand total) until no hidden count can be narrowed.
    """
    rows = list(dict.fromkeys(row for row, _ in cells))
    columns = list(dict.fromkeys(column for _, column in cells))
    for count in cells.values():
        _check_count(count)
    grid = [[cells.get((row, column), 0) for column in columns] for row in rows]
    row_sums = [sum(line) for line in grid]
    column_sums = [sum(grid[r][c] for r in range(len(rows))) for c in range(len(columns))]
    grand = sum(row_sums)

    true_counts: dict[_TableItem, int] = {("total",): grand}
    true_counts.update({("row", r): row_sums[r] for r in range(len(rows))})
    true_counts.update({("column", c): column_sums[c] for c in range(len(columns))})
    true_counts.update(
        {("cell", r, c): grid[r][c] for r in range(len(rows)) for c in range(len(columns))}
    )
    audit = _TableAudit(len(rows), len(columns), true_counts)
    suppressed = _suppress_until_safe(
        candidates=[item for item in true_counts if item != ("total",)],
        true_count=true_counts.__getitem__,
        shortfall=audit.shortfall,
        group_of=lambda item: item[0],
        violating_groups=lambda _suppressed: set(),
    )

    def published(item: _TableItem) -> PublicCount:
        return SUPPRESSED if item in suppressed else public_count(true_counts[item])

    return ProtectedTable(
        total=published(("total",)),
        row_totals={row: published(("row", r)) for r, row in enumerate(rows)},
        column_totals={column: published(("column", c)) for c, column in enumerate(columns)},
        cells={
            (row, column): published(("cell", r, c))
            for r, row in enumerate(rows)
            for c, column in enumerate(columns)
        },
    )


def protect_choices(
    choices: Mapping[str, int], exclusive: Mapping[str, int], total: int
) -> tuple[PublicCount, dict[str, PublicCount]]:
    """Publish the answers to a "select all that apply" question with the number who answered.

    `total` people answered; each either gave one of the `exclusive` answers (skipped, preferred
    not to answer), which go with no other, or chose one or more of the `choices`. So the
    exclusive cells plus the people who chose something (R) add up to the total, and R lies
    between the largest choice and the sum of the choices: the choices add up to more than
    the total, and `protect_breakdown` does not apply. A reader reasons with exactly these
    constraints over the published intervals (a suppressed cell is anywhere from 0 to the
    total's upper bound); cells are suppressed, smallest first, until no hidden count (1 to
    20), nor a hidden total, can be narrowed below [1, 20]. Returns the public total and every
    cell, choices first.
    """
    _check_count(total)
    keys = [*choices, *exclusive]
    values = [*choices.values(), *exclusive.values()]
    for count in values:
        _check_count(count)
    if sum(exclusive.values()) > total or any(count > total for count in values):
        raise ValueError("an answer has more people than the question's total")
    audit = _ChoicesAudit(total, values, choice_count=len(choices))
    suppressed = _suppress_until_safe(
        candidates=list(range(len(values))),
        true_count=values.__getitem__,
        shortfall=audit.shortfall,
        group_of=lambda _cell: 0,
        violating_groups=lambda _suppressed: {0},
    )
    # Every option is listed, so a 0 shows as "≤ 20" like 1 to 20 (`public_cell`); the audit
    # above knew the zeros exactly, which only makes it stricter than the reader.
    return public_count(total), {
        key: SUPPRESSED if index in suppressed else public_cell(values[index])
        for index, key in enumerate(keys)
    }


# --- internals -------------------------------------------------------------------------------

_TableItem = tuple[str] | tuple[str, int] | tuple[str, int, int]


def _check_count(count: int) -> None:
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise ValueError(f"a count must be a non-negative integer, not {count!r}")


def _is_hidden(count: int) -> bool:
    return 1 <= count <= SMALL_COUNT_LIMIT


def _endpoint_shortfall(
    low: int, high: int, floor: int = 1, ceiling: int = SMALL_COUNT_LIMIT
) -> int:
    """How far a feasible interval [low, high] falls short of covering [floor, ceiling]."""
    return max(0, low - floor) + max(0, ceiling - high)


def _suppress_until_safe[Cell: Hashable](
    *,
    candidates: Sequence[Cell],
    true_count: Callable[[Cell], int],
    shortfall: Callable[[frozenset[Cell]], int],
    group_of: Callable[[Cell], Hashable],
    violating_groups: Callable[[frozenset[Cell]], set[Hashable]],
) -> frozenset[Cell]:
    """Greedy complementary suppression.

    `shortfall(suppressed)` measures how much the hidden counts can be narrowed (0 = safe);
    suppressing a cell can only widen what a reader can infer, so it never increases. Each
    round suppresses the smallest shown cell whose suppression lowers the shortfall. If no
    single cell does (a two-way table often needs a whole rectangle), it tries pairs of the
    smallest shown cells, smallest first; failing that, it suppresses the smallest non-zero
    shown cell (preferably in a breakdown that has a problem). Every round suppresses at
    least one more cell, and with everything suppressed the shortfall is 0, so it ends.
    """
    order = sorted(range(len(candidates)), key=lambda index: (true_count(candidates[index]), index))
    ordered = [candidates[index] for index in order]
    suppressed: frozenset[Cell] = frozenset()
    current = shortfall(suppressed)
    while current > 0:
        shown = [cell for cell in ordered if cell not in suppressed]
        if not shown:
            raise AssertionError("every cell is suppressed and a hidden count is still exposed")
        chosen: frozenset[Cell] | None = None
        for cell in shown:
            if shortfall(suppressed | {cell}) < current:
                chosen = frozenset({cell})
                break
        if chosen is None:
            smallest = shown[:_PAIR_SEARCH_LIMIT]
            pairs = sorted(
                itertools.combinations(range(len(smallest)), 2),
                key=lambda pair: (sum(true_count(smallest[i]) for i in pair), pair),
            )
            for first, second in pairs:
                pair = frozenset({smallest[first], smallest[second]})
                if shortfall(suppressed | pair) < current:
                    chosen = pair
                    break
        if chosen is None:
            groups = violating_groups(suppressed)
            nonzero = [cell for cell in shown if true_count(cell) > 0] or shown
            preferred = [cell for cell in nonzero if group_of(cell) in groups] or nonzero
            chosen = frozenset({preferred[0]})
        suppressed = suppressed | chosen
        current = shortfall(suppressed)
    return suppressed


class _BreakdownAudit:
    """Exact feasible intervals for breakdowns that each add up to one shared total."""

    def __init__(self, total: int, values: list[list[int]]) -> None:
        self.total_hidden = _is_hidden(total)
        self.total_low, total_high = public_count(total).bounds()
        assert total_high is not None
        self.total_high = total_high
        # A cell shown as "≤ 20" must stay anything in [0, 20], or [0, 0] beside a total of 0.
        self.cell_ceiling = min(SMALL_COUNT_LIMIT, total_high)
        self.values = values
        self.shown_bounds = [[public_cell(count).bounds() for count in counts] for counts in values]

    def _bounds(self, suppressed: frozenset[tuple[int, int]]) -> list[list[tuple[int, int]]]:
        bounds: list[list[tuple[int, int]]] = []
        for k, row in enumerate(self.shown_bounds):
            line: list[tuple[int, int]] = []
            for i, (low, high) in enumerate(row):
                if (k, i) in suppressed:
                    line.append((0, self.total_high))
                else:
                    assert high is not None
                    line.append((low, high))
            bounds.append(line)
        return bounds

    def _feasible(
        self, suppressed: frozenset[tuple[int, int]]
    ) -> tuple[tuple[int, int], list[list[tuple[int, int]]]]:
        """The total's feasible interval and each cell's, given what is shown."""
        bounds = self._bounds(suppressed)
        # The total must lie within every breakdown's possible sum as well as its own interval.
        total_low, total_high = self.total_low, self.total_high
        sums = [(sum(low for low, _ in line), sum(high for _, high in line)) for line in bounds]
        for low_sum, high_sum in sums:
            total_low, total_high = max(total_low, low_sum), min(total_high, high_sum)
        cells = [
            [
                (
                    max(low, total_low - (high_sum - high)),
                    min(high, total_high - (low_sum - low)),
                )
                for low, high in line
            ]
            for line, (low_sum, high_sum) in zip(bounds, sums, strict=True)
        ]
        return (total_low, total_high), cells

    def shortfall(self, suppressed: frozenset[tuple[int, int]]) -> int:
        total_interval, cells = self._feasible(suppressed)
        amount = 0
        if self.total_hidden:
            amount += _endpoint_shortfall(*total_interval)
        for counts, line in zip(self.values, cells, strict=True):
            for count, (low, high) in zip(counts, line, strict=True):
                if count <= SMALL_COUNT_LIMIT:
                    amount += _endpoint_shortfall(low, high, self._floor(counts), self.cell_ceiling)
        return amount

    def _floor(self, counts: list[int]) -> int:
        """A cell may be 0, unless it is its breakdown's only one: then it is the total."""
        return 0 if len(counts) > 1 else min(1, self.total_low)

    def violating_groups(self, suppressed: frozenset[tuple[int, int]]) -> set[Hashable]:
        total_interval, cells = self._feasible(suppressed)
        if self.total_hidden and _endpoint_shortfall(*total_interval):
            return set(range(len(self.values)))
        return {
            k
            for k, (counts, line) in enumerate(zip(self.values, cells, strict=True))
            if any(
                count <= SMALL_COUNT_LIMIT
                and _endpoint_shortfall(low, high, self._floor(counts), self.cell_ceiling)
                for count, (low, high) in zip(counts, line, strict=True)
            )
        }


class _TableAudit:
    """Feasibility of a two-way table's published figures, as a circulation with bounds.

    Nodes: a source for the grand total, one node per row, one per column, and a sink. Flows:
    source → row r carries row total r, row r → column c carries cell (r, c), column c → sink
    carries column total c, and sink → source carries the grand total. Every flow must lie in
    its published interval; the figures are consistent exactly when such a circulation exists.
    The constraint matrix is totally unimodular, so a hidden count can take the value v
    exactly when fixing it to v leaves a feasible circulation, and its feasible values form an
    interval: it covers [1, 20] when both 1 and 20 are feasible.
    """

    def __init__(self, rows: int, columns: int, true_counts: dict[_TableItem, int]) -> None:
        self.rows, self.columns = rows, columns
        self.true_counts = true_counts
        self.shown = {item: public_count(count).bounds() for item, count in true_counts.items()}
        _, grand_high = self.shown[("total",)]
        assert grand_high is not None
        self.grand_high = grand_high
        self.protected = [item for item, count in true_counts.items() if _is_hidden(count)]
        self._failures_cache: dict[frozenset[_TableItem], frozenset[tuple[_TableItem, int]]] = {}

    def _edge(self, item: _TableItem) -> tuple[int, int]:
        source, sink = 0, 1 + self.rows + self.columns
        match item:
            case ("total",):
                return sink, source
            case ("row", r):
                return source, 1 + r
            case ("column", c):
                return 1 + self.rows + c, sink
            case ("cell", r, c):
                return 1 + r, 1 + self.rows + c
        raise ValueError(item)

    def _feasible(self, bounds: dict[_TableItem, tuple[int, int]]) -> bool:
        node_count = 2 + self.rows + self.columns
        super_source, super_sink = node_count, node_count + 1
        capacity = [[0] * (node_count + 2) for _ in range(node_count + 2)]
        balance = [0] * node_count
        for item, (low, high) in bounds.items():
            if low > high:
                return False
            tail, head = self._edge(item)
            capacity[tail][head] += high - low
            balance[head] += low
            balance[tail] -= low
        required = 0
        for node, amount in enumerate(balance):
            if amount > 0:
                capacity[super_source][node] = amount
                required += amount
            elif amount < 0:
                capacity[node][super_sink] = -amount
        return _max_flow(capacity, super_source, super_sink) == required

    def shortfall(self, suppressed: frozenset[_TableItem]) -> int:
        """How many (hidden count, 1 or 20) pairs a reader can rule out."""
        return len(self._failures(suppressed))

    def _failures(self, suppressed: frozenset[_TableItem]) -> frozenset[tuple[_TableItem, int]]:
        cached = self._failures_cache.get(suppressed)
        if cached is not None:
            return cached
        # Suppressing only widens what a reader can infer, so a value that was feasible with
        # fewer cells suppressed stays feasible: re-check only what failed one step earlier.
        to_check: Iterable[tuple[_TableItem, int]] = (
            (item, value) for item in self.protected for value in (1, SMALL_COUNT_LIMIT)
        )
        for item in suppressed:
            earlier = self._failures_cache.get(suppressed - {item})
            if earlier is not None:
                to_check = earlier
                break
        bounds: dict[_TableItem, tuple[int, int]] = {}
        for item, (low, high) in self.shown.items():
            if item in suppressed:
                bounds[item] = (0, self.grand_high)
            else:
                assert high is not None
                bounds[item] = (low, high)
        failures = frozenset(
            (item, value)
            for item, value in to_check
            if not bounds[item][0] <= value <= bounds[item][1]
            or not self._feasible({**bounds, item: (value, value)})
        )
        self._failures_cache[suppressed] = failures
        return failures


def _max_flow(capacity: list[list[int]], source: int, sink: int) -> int:
    """Edmonds-Karp on a small dense graph; `capacity` is used as the residual graph."""
    size = len(capacity)
    total = 0
    while True:
        parent = [-1] * size
        parent[source] = source
        queue = deque([source])
        while queue and parent[sink] == -1:
            node = queue.popleft()
            for neighbour in range(size):
                if parent[neighbour] == -1 and capacity[node][neighbour] > 0:
                    parent[neighbour] = node
                    queue.append(neighbour)
        if parent[sink] == -1:
            return total
        bottleneck = None
        node = sink
        while node != source:
            previous = parent[node]
            residual = capacity[previous][node]
            bottleneck = residual if bottleneck is None else min(bottleneck, residual)
            node = previous
        assert bottleneck is not None
        node = sink
        while node != source:
            previous = parent[node]
            capacity[previous][node] -= bottleneck
            capacity[node][previous] += bottleneck
            node = previous
        total += bottleneck


class _ChoicesAudit:
    """Feasible intervals for a "select all that apply" question (see `protect_choices`).

    The constraints: total = (exclusive cells) + R, and max(choices) <= R <= sum(choices),
    every figure within its published interval. Each bound is tightened from the others
    until nothing moves (the bounds only ever narrow, over integers, so this ends).
    """

    def __init__(self, total: int, values: list[int], *, choice_count: int) -> None:
        self.total = total
        self.values = values
        self.choice_count = choice_count
        self.total_bounds = public_count(total).bounds()
        self.shown = [public_count(count).bounds() for count in values]

    def _feasible(
        self, suppressed: frozenset[int]
    ) -> tuple[tuple[int, int], list[tuple[int, int]]]:
        total_low, total_high = self.total_bounds
        assert total_high is not None
        cells: list[tuple[int, int]] = []
        for index, (low, high) in enumerate(self.shown):
            if index in suppressed:
                low, high = 0, total_high
            assert high is not None
            cells.append((low, min(high, total_high)))
        split = self.choice_count
        answered_low, answered_high = 0, total_high  # R: people who chose at least one choice
        for _round in range(4 * SMALL_COUNT_LIMIT + 10):
            before = (total_low, total_high, answered_low, answered_high, tuple(cells))
            choices, exclusive = cells[:split], cells[split:]
            exclusive_low = sum(low for low, _ in exclusive)
            exclusive_high = sum(high for _, high in exclusive)
            answered_low = max(
                answered_low,
                max((low for low, _ in choices), default=0),
                total_low - exclusive_high,
            )
            answered_high = min(
                answered_high, sum(high for _, high in choices), total_high - exclusive_low
            )
            total_low = max(total_low, exclusive_low + answered_low)
            total_high = min(total_high, exclusive_high + answered_high)
            choice_high = sum(high for _, high in choices)
            updated = [
                (max(low, answered_low - (choice_high - high)), min(high, answered_high))
                for low, high in choices
            ]
            updated += [
                (
                    max(low, total_low - answered_high - (exclusive_high - high)),
                    min(high, total_high - answered_low - (exclusive_low - low)),
                )
                for low, high in exclusive
            ]
            cells = updated
            if (total_low, total_high, answered_low, answered_high, tuple(cells)) == before:
                break
        return (total_low, total_high), cells

    def shortfall(self, suppressed: frozenset[int]) -> int:
        total_interval, cells = self._feasible(suppressed)
        amount = _endpoint_shortfall(*total_interval) if _is_hidden(self.total) else 0
        for count, (low, high) in zip(self.values, cells, strict=True):
            if _is_hidden(count):
                amount += _endpoint_shortfall(low, high)
        return amount


# --- Researchers' counts: the differencing defence (docs/adr/0025-cohort-differencing-defence.md)
#
# A researcher counts cohorts of their own making, so they can ask for A and for A with one
# more person and compare. Rounding alone lets them: 40 → 40 but 41 → 60. Each researcher
# therefore has a ledger per release and per key ("total", "ubr:<category>"): the true counts
# they have been answered with and what they were shown. A new true count within
# LEDGER_NEAR of one already in the ledger is shown what the nearest such entry was shown
# (ties: the earliest), so two cohorts whose sizes differ by 1 to 20 look the same, whichever
# is asked first; a count far from every entry is rounded as usual. The rule is a function of
# the ledger entry it copies, never of the new count on its own (see `ledger_shown`).

LEDGER_NEAR: Final = SMALL_COUNT_LIMIT  # a count this close to an entry copies its display
LEDGER_DRIFT_CAP: Final = 100  # no entry is shown further than this from its own rounding
# A copy can move the shown value this far from the new count's own rounding at most: counts
# 20 apart round at most 20 apart ("≤ 20" carrying its 20, as everywhere).
_COPY_SPREAD: Final = ROUNDING_STEP


@dataclass(frozen=True)
class SeenCount:
    """A ledger entry: a true count a researcher was answered with (never shown to them)
    and the number shown (0 stands for "≤ 20")."""

    true_count: int
    shown: int

    @property
    def drift(self) -> int:
        """How far what was shown is from the true count's own rounding ("≤ 20" is 20)."""
        return abs(_carried(self.shown) - _carried(researcher_round(self.true_count)))


def _carried(shown: int) -> int:
    """The number a shown value carries: "≤ 20" (0 in the ledger) carries 20."""
    return max(shown, SMALL_COUNT_LIMIT)


def researcher_round(count: int) -> int:
    """The number shown to a researcher for a true count under the public rule: 0 to 20 are
    all "≤ 20" (0 here; a researcher's cohort may be empty and must not say so, or an empty
    cohort beside a "≤ 20" one would tell 0 from 1), others rounded up to a multiple of 20."""
    _check_count(count)
    return 0 if count <= SMALL_COUNT_LIMIT else round_count(count)


def ledger_shown(true_count: int, seen: Sequence[SeenCount]) -> int:
    """What to show for `true_count` given the researcher's ledger for the same key (oldest
    first); record the result with it (`SeenCount(true_count, result)`).

    No entry within LEDGER_NEAR: the usual rounding. Otherwise take the nearest entry (ties:
    the earliest): its shown value, or, when copying it could carry the display further than
    LEDGER_DRIFT_CAP from the truth, the rounding of that entry's own true count. Either way
    the answer depends on which entry is nearest and nothing else, so counts near the same
    entry look alike; every entry stays within LEDGER_DRIFT_CAP of its rounding (a copy adds
    at most _COPY_SPREAD to the drift of the entry it copies).
    """
    _check_count(true_count)
    nearest: SeenCount | None = None
    for entry in seen:
        distance = abs(entry.true_count - true_count)
        if distance <= LEDGER_NEAR and (
            nearest is None or distance < abs(nearest.true_count - true_count)
        ):
            nearest = entry
    if nearest is None:
        return researcher_round(true_count)
    if nearest.drift <= LEDGER_DRIFT_CAP - _COPY_SPREAD:
        return nearest.shown
    return researcher_round(nearest.true_count)


def researcher_count(shown: int) -> PublicCount:
    """A ledger's shown number as a count: 0 is "≤ 20" (carrying 20, as the public API's)."""
    if shown <= SMALL_COUNT_LIMIT:
        return PublicCount(value=SMALL_COUNT_LIMIT, display=SMALL_COUNT_DISPLAY, may_be_zero=True)
    return PublicCount(value=shown, display=f"{shown:,}")


def researcher_share(part: PublicCount, whole: PublicCount, *, digits: int = 1) -> float | None:
    """A make-up cell as a percentage of the cohort's shown total, from shown numbers only;
    none for a "≤ 20" cell or total (no complement, no interval arithmetic to reason from),
    and never above 100 % (both are rounded up, each through its own ledger key)."""
    if part.hidden or whole.hidden or not part.value or not whole.value:
        return None
    return min(100.0, round(100 * part.value / whole.value, digits))


class CountLedger:
    """An in-memory ledger for one researcher and release, keyed like CountLedgerEntry: what
    the services do with the database, for tests and the benchmark."""

    def __init__(self) -> None:
        self.entries: dict[str, list[SeenCount]] = {}

    def ask(self, key: str, true_count: int) -> PublicCount:
        """Answer and record, as `services.cohort_count` does for one key."""
        entries = self.entries.setdefault(key, [])
        shown = ledger_shown(true_count, entries)
        if not any(entry.true_count == true_count for entry in entries):
            entries.append(SeenCount(true_count, shown))
        return researcher_count(shown)
