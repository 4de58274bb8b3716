"""Small-cell suppression for the results of anonymous instruments (no Django).

A question's results, broken down by one dimension (role, region, language, subject), form a
table with margins: a cell per (answer, group), each group's total (the people of that group
who answered), each answer's total over all groups (the unfiltered page) and the grand total.
Every dimension's table shares the same margins, because the unfiltered page is one page.

The rules:

1. A cell below the threshold (`SURVEYS_SMALL_CELL`, 5), zero included, is hidden (*primary*).
   For a multiple-choice question each cell also has its complement (answered the question but
   did not tick that answer): the cell is hidden when the complement is below the threshold too.
2. No hidden count may be pinned by what is shown: for every hidden count, and every primary
   complement, there must be a second table, consistent with every published figure and with
   the bounds a reader knows (a primary count is 0 to threshold - 1, any other count is 0 or
   more), where that count is different. While one is missing, the smallest shown cell of its
   row or column is hidden too (*complementary*), and the check runs again.

The check looks for such a second table constructively (a *certificate*): a perturbation that
adds one to some hidden counts and takes one from others so that every row, column and margin
still adds up, moving each count only in a direction its bounds allow. In one table these are
the directed cycles of the hidden cells (rows and columns as nodes), which covers the simple
cases ("a row with one hidden cell and its total shown", "two hidden cells that must both be
4"). A cycle through the shared margins must be matched in every dimension's table, so that
the filtered pages of every dimension, read together with the unfiltered page, still allow it.
The search is sufficient, not exhaustive: when it finds no certificate it suppresses more, so
it may hide more than an optimal algorithm would, never less. The tests attack the published
figures with linear programming and assert that every hidden count can take two values.

What is outside the model (ADR 0019): inequalities between separately published
lines (people who answered a question are at most those shown it, at most the group's
responses), and medians, which are shown only for groups whose count is shown.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Final, Literal

TOTAL: Final = "__total__"
ALL: Final = "__all__"
TICKED: Final = "ticked"
UNTICKED: Final = "unticked"

# A published or implied count: ("cell", dim, category, group), ("margin", category),
# ("total", dim, group), ("grand",), and for multiple choice the unpublished complements
# ("not", dim, category, group), ("not_margin", category).
Key = tuple[str, ...]
Kind = Literal["partition", "multiple", "count"]


@dataclass
class Protected:
    """The true counts of a question and which of them are hidden."""

    values: dict[Key, int]
    hidden: set[Key]
    threshold: int
    complete: bool = True  # False if the search gave up and hid everything

    def shown(self, key: Key) -> int | None:
        """The count as published: None when hidden."""
        if key in self.hidden:
            return None
        return self.values[key]

    def is_hidden(self, key: Key) -> bool:
        return key in self.hidden


@dataclass
class _Bounds:
    values: dict[Key, int]
    primary: set[Key]
    limit: int  # the largest value a primary count may have (threshold - 1)

    def can_increase(self, key: Key) -> bool:
        return key not in self.primary or self.values[key] < self.limit

    def can_decrease(self, key: Key) -> bool:
        return self.values[key] > 0


@dataclass
class _Grid:
    """One table's rows and columns across dimensions; the ALL column is shared by all of them.

    Cells are addressed by (dim, row, column); `key` maps them to the shared keys. In z-space
    (cells, minus row totals and column totals, plus the grand total) every row and column of
    the table adds up to zero, so a perturbation is a circulation of the hidden cells.
    """

    dims: dict[str, list[str]]
    rows: list[str]  # categories, then TOTAL when the table has a total row
    key: Callable[[str, str, str], Key]
    bounds: _Bounds
    unknown: Callable[[Key], bool]
    _graphs: dict[str, dict[tuple[str, str], list[tuple[tuple[str, str], Key]]]] = field(
        default_factory=dict
    )

    def sign(self, row: str, column: str) -> int:
        return (-1 if row == TOTAL else 1) * (-1 if column == ALL else 1)

    def z_moves(self, row: str, column: str, dim: str) -> tuple[bool, bool]:
        """Whether this cell's z-value can go up, and down."""
        key = self.key(dim, row, column)
        up, down = self.bounds.can_increase(key), self.bounds.can_decrease(key)
        return (up, down) if self.sign(row, column) > 0 else (down, up)

    def columns(self, dim: str) -> list[str]:
        return self.dims[dim]

    def graph(self, dim: str) -> dict[tuple[str, str], list[tuple[tuple[str, str], Key]]]:
        """The directed graph of the hidden cells of one dimension, without the ALL column."""
        adjacency: dict[tuple[str, str], list[tuple[tuple[str, str], Key]]] = {}
        for row in self.rows:
            for column in self.columns(dim):
                key = self.key(dim, row, column)
                if not self.unknown(key):
                    continue
                up, down = self.z_moves(row, column, dim)
                if up:
                    adjacency.setdefault(("r", row), []).append((("c", column), key))
                if down:
                    adjacency.setdefault(("c", column), []).append((("r", row), key))
        return adjacency

    def reset(self) -> None:
        self._graphs = {}

    def _graph(self, dim: str) -> dict[tuple[str, str], list[tuple[tuple[str, str], Key]]]:
        if dim not in self._graphs:
            self._graphs[dim] = self.graph(dim)
        return self._graphs[dim]

    def reach(
        self, dim: str, start: tuple[str, str], goal: tuple[str, str], banned: Key | None = None
    ) -> bool:
        if start == goal:
            return True
        graph = self._graph(dim)
        seen = {start}
        queue = deque([start])
        while queue:
            node = queue.popleft()
            for following, key in graph.get(node, ()):
                if key == banned or following in seen:
                    continue
                if following == goal:
                    return True
                seen.add(following)
                queue.append(following)
        return False

    def _edges(
        self, dim: str, row: str, column: str
    ) -> list[tuple[tuple[str, str], tuple[str, str]]]:
        """The directions a cell can be walked: (tail, head)."""
        up, down = self.z_moves(row, column, dim)
        edges: list[tuple[tuple[str, str], tuple[str, str]]] = []
        if up:
            edges.append((("r", row), ("c", column)))
        if down:
            edges.append((("c", column), ("r", row)))
        return edges

    def _all_pairs(self, first: str) -> Iterable[tuple[str, str]]:
        """Hidden ALL-column partners: (r1, r2) meaning the ALL cell of r2 goes up in z and
        that of r1 goes down, so each dimension needs a walk r1 -> r2."""
        dim = next(iter(self.dims))
        if not self.unknown(self.key(dim, first, ALL)):
            return
        for other in self.rows:
            if other == first or not self.unknown(self.key(dim, other, ALL)):
                continue
            first_up, first_down = self.z_moves(first, ALL, dim)
            other_up, other_down = self.z_moves(other, ALL, dim)
            if first_down and other_up:
                yield first, other
            if first_up and other_down:
                yield other, first

    def certify_cell(self, dim: str, row: str, column: str) -> bool:
        key = self.key(dim, row, column)
        for tail, head in self._edges(dim, row, column):
            if self.reach(dim, head, tail, banned=key):
                return True
        dims = list(self.dims)
        for first in self.rows:
            for start, end in self._all_pairs(first):
                if not all(
                    self.reach(other, ("r", start), ("r", end)) for other in dims if other != dim
                ):
                    continue
                for tail, head in self._edges(dim, row, column):
                    if self.reach(dim, ("r", start), tail, banned=key) and self.reach(
                        dim, head, ("r", end), banned=key
                    ):
                        return True
        return False

    def certify_margin(self, row: str) -> bool:
        for start, end in self._all_pairs(row):
            if all(self.reach(dim, ("r", start), ("r", end)) for dim in self.dims):
                return True
        return False

    def line_keys(self, dim: str, row: str, column: str) -> list[Key]:
        """The keys of a cell's row and column in one dimension's table, margins included."""
        keys = [self.key(dim, row, other) for other in [*self.columns(dim), ALL]]
        keys += [self.key(dim, other, column) for other in self.rows]
        return keys

    def table_keys(self, dim: str) -> list[Key]:
        return [
            self.key(dim, row, column) for row in self.rows for column in [*self.columns(dim), ALL]
        ]


@dataclass
class _Line:
    """Counts per group that add up to a total shared by every dimension (no categories)."""

    dims: dict[str, list[str]]
    bounds: _Bounds
    unknown: Callable[[Key], bool]
    # Extra condition on moving (dim, group_up) up and (dim, group_down) down together.
    pair_ok: Callable[[str, str, str], bool] = lambda dim, up, down: True
    grand_pairs: bool = True

    def certify(self, dim: str, group: str) -> bool:
        key = ("total", dim, group)
        up, down = self.bounds.can_increase(key), self.bounds.can_decrease(key)
        for other in self.dims[dim]:
            other_key = ("total", dim, other)
            if other == group or not self.unknown(other_key):
                continue
            if up and self.bounds.can_decrease(other_key) and self.pair_ok(dim, group, other):
                return True
            if down and self.bounds.can_increase(other_key) and self.pair_ok(dim, other, group):
                return True
        if self.grand_pairs and self.unknown(("grand",)):
            for step_up in (True, False):
                if (up if step_up else down) and self._grand_moves(step_up, skip=dim):
                    return True
        return False

    def _grand_moves(self, up: bool, *, skip: str | None = None) -> bool:
        grand_ok = (
            self.bounds.can_increase(("grand",)) if up else self.bounds.can_decrease(("grand",))
        )
        if not grand_ok:
            return False
        for dim, groups in self.dims.items():
            if dim == skip:
                continue
            keys = [("total", dim, group) for group in groups]
            movable = [
                key
                for key in keys
                if self.unknown(key)
                and (self.bounds.can_increase(key) if up else self.bounds.can_decrease(key))
            ]
            if not movable:
                return False
        return True

    def certify_grand(self) -> bool:
        return self.grand_pairs and (self._grand_moves(True) or self._grand_moves(False))


def protect(
    *,
    kind: Kind,
    categories: list[str],
    dims: Mapping[str, list[str]],
    cells: Mapping[tuple[str, str, str], int],
    totals: Mapping[tuple[str, str], int],
    grand: int,
    threshold: int = 5,
) -> Protected:
    """Protect one question's results across every dimension at once.

    `kind`: "partition" (each respondent gives one category: single choice, Likert, a number's
    bin, a date's month), "multiple" (a respondent may tick several) or "count" (no
    categories: free text answered, responses, people shown a question). `cells[(dim,
    category, group)]` is a count, `totals[(dim, group)]` the people of the group who
    answered, `grand` everyone who answered. Every group of every dimension must be listed
    (zeros included) and each dimension's groups must add up to `grand`.
    """
    dims = {dim: list(groups) for dim, groups in dims.items()}
    if not categories:
        kind = "count"
    values: dict[Key, int] = {("grand",): grand}
    for dim, groups in dims.items():
        if sum(totals.get((dim, group), 0) for group in groups) != grand:
            raise ValueError(f"the groups of {dim!r} do not add up to {grand}")
        for group in groups:
            values[("total", dim, group)] = totals.get((dim, group), 0)
    first_dim = next(iter(dims), None)
    for category in categories:
        margin: int | None = None
        for dim, groups in dims.items():
            row_sum = 0
            for group in groups:
                count = cells.get((dim, category, group), 0)
                values[("cell", dim, category, group)] = count
                row_sum += count
                if kind == "multiple":
                    values[("not", dim, category, group)] = values[("total", dim, group)] - count
            if margin is not None and row_sum != margin:
                raise ValueError(f"{category!r} adds up differently by {dim!r}")
            margin = row_sum
        values[("margin", category)] = margin or 0
        if kind == "multiple":
            values[("not_margin", category)] = grand - values[("margin", category)]
    if kind == "partition" and first_dim is not None:
        for dim, groups in dims.items():
            for group in groups:
                column = sum(values[("cell", dim, category, group)] for category in categories)
                if column != values[("total", dim, group)]:
                    raise ValueError(f"the answers of {group!r} do not add up to its total")
    if any(value < 0 for value in values.values()):
        raise ValueError("a count is negative")
    if not dims:
        # Nobody answered: nothing but "fewer than 5".
        return Protected(values=values, hidden=set(values), threshold=threshold)
    return _Protector(kind, categories, dims, values, threshold).run()


class _Protector:
    def __init__(
        self,
        kind: Kind,
        categories: list[str],
        dims: dict[str, list[str]],
        values: dict[Key, int],
        threshold: int,
    ) -> None:
        self.kind = kind
        self.categories = categories
        self.dims = dims
        self.values = values
        self.threshold = threshold
        primary = {key for key, value in values.items() if value < threshold}
        self.bounds = _Bounds(values=values, primary=primary, limit=threshold - 1)
        self.hidden: set[Key] = {key for key in primary if key[0] not in ("not", "not_margin")}
        if kind == "multiple":
            for key in primary:
                if key[0] == "not":
                    self.hidden.add(("cell", *key[1:]))
                elif key[0] == "not_margin":
                    self.hidden.add(("margin", key[1]))
        self.grids: dict[str, _Grid] = {}
        if kind == "partition" and categories:
            self.grids[""] = _Grid(
                dims=dims,
                rows=[*categories, TOTAL],
                key=self._partition_key,
                bounds=self.bounds,
                unknown=self.unknown,
            )
        if kind == "multiple":
            for category in categories:
                self.grids[category] = _Grid(
                    dims=dims,
                    rows=[TICKED, UNTICKED],
                    key=self._multiple_key(category),
                    bounds=self.bounds,
                    unknown=self.unknown,
                )
        self.line = (
            _Line(
                dims=dims,
                bounds=self.bounds,
                unknown=self.unknown,
                pair_ok=self._answered_pair_ok,
                grand_pairs=kind == "count",
            )
            if kind in ("multiple", "count")
            else None
        )

    def unknown(self, key: Key) -> bool:
        return key in self.hidden or key[0] in ("not", "not_margin")

    @staticmethod
    def _partition_key(dim: str, row: str, column: str) -> Key:
        if column == ALL:
            return ("grand",) if row == TOTAL else ("margin", row)
        return ("total", dim, column) if row == TOTAL else ("cell", dim, row, column)

    @staticmethod
    def _multiple_key(category: str) -> Callable[[str, str, str], Key]:
        def key(dim: str, row: str, column: str) -> Key:
            if column == ALL:
                return ("margin", category) if row == TICKED else ("not_margin", category)
            return ("cell" if row == TICKED else "not", dim, category, column)

        return key

    def _answered_pair_ok(self, dim: str, up: str, down: str) -> bool:
        """Multiple choice: one more person answered in `up`, one fewer in `down`; every
        answer's table must absorb it (ticked or not, in each group)."""
        return all(grid.reach(dim, ("c", down), ("c", up)) for grid in self.grids.values())

    def _needs_certificate(self) -> list[Key]:
        keys = sorted(self.hidden)
        keys += sorted(
            key
            for key in self.bounds.primary
            if key[0] in ("not", "not_margin") and not self._whole_question_hidden()
        )
        return keys

    def _whole_question_hidden(self) -> bool:
        # Fewer than the threshold answered: every count is at most the grand total, so all are
        # primary and hidden, and nothing of the question is shown but "fewer than 5".
        return self.kind == "multiple" and ("grand",) in self.bounds.primary

    def certify(self, key: Key) -> bool:
        if self._whole_question_hidden():
            return True  # every count moves with the grand total (tests prove it)
        tag = key[0]
        if tag == "grand" and self.kind == "multiple":
            return self._certify_multiple_grand(up=True) or self._certify_multiple_grand(up=False)
        if tag in ("total", "grand") and self.line is not None:
            return self.line.certify_grand() if tag == "grand" else self.line.certify(*key[1:])
        if self.kind == "partition":
            grid = self.grids[""]
            if tag == "grand":
                return grid.certify_margin(TOTAL)
            if tag == "margin":
                return grid.certify_margin(key[1])
            if tag == "total":
                return grid.certify_cell(key[1], TOTAL, key[2])
            return grid.certify_cell(key[1], key[2], key[3])
        grid = self.grids[key[-1] if tag in ("margin", "not_margin") else key[2]]
        if tag == "margin":
            return grid.certify_margin(TICKED)
        if tag == "not_margin":
            return grid.certify_margin(UNTICKED)
        row = TICKED if tag == "cell" else UNTICKED
        return grid.certify_cell(key[1], row, key[3])

    def _certify_multiple_grand(self, *, up: bool) -> bool:
        """Multiple choice, a grand total hidden to protect something else: one more (or one
        fewer) person who answered, in one group of every dimension whose total is hidden, and
        in every answer's table either among those who ticked it or those who did not (that
        row's cells in those groups and its margin all unknown). Groups are chosen dimension
        by dimension, keeping for each answer the rows still possible."""

        def movable(key: Key) -> bool:
            if not self.unknown(key):
                return False
            return self.bounds.can_increase(key) if up else self.bounds.can_decrease(key)

        if not movable(("grand",)):
            return False
        grids = list(self.grids.values())
        start = [
            frozenset(row for row in (TICKED, UNTICKED) if movable(grid.key("", row, ALL)))
            for grid in grids
        ]
        dims = list(self.dims)
        dead_ends: set[tuple[int, tuple[frozenset[str], ...]]] = set()

        def choose(position: int, rows: tuple[frozenset[str], ...]) -> bool:
            if not all(rows) or (position, rows) in dead_ends:
                return False
            if position == len(dims):
                return True
            dim = dims[position]
            for group in self.dims[dim]:
                if not movable(("total", dim, group)):
                    continue
                narrowed = tuple(
                    frozenset(row for row in possible if movable(grid.key(dim, row, group)))
                    for grid, possible in zip(grids, rows, strict=True)
                )
                if choose(position + 1, narrowed):
                    return True
            dead_ends.add((position, rows))
            return False

        return choose(0, tuple(start))

    def _candidates(self, key: Key) -> list[Key]:
        """Shown counts whose suppression may give `key` a certificate, nearest first."""
        tag = key[0]
        near: list[Key] = []
        wider: list[Key] = []
        if tag in ("total", "grand") and self.line is not None:
            dims = [key[1]] if tag == "total" else list(self.dims)
            near = [("total", dim, group) for dim in dims for group in self.dims[dim]]
            wider = [("grand",)]
            for grid in self.grids.values():
                for dim in dims:
                    wider += grid.table_keys(dim)
        elif self.kind == "partition":
            grid = self.grids[""]
            if tag in ("margin", "grand"):
                row = TOTAL if tag == "grand" else key[1]
                near = [grid.key(dim, other, ALL) for dim in self.dims for other in grid.rows]
                near += [
                    grid.key(dim, row, column) for dim in self.dims for column in self.dims[dim]
                ]
            else:
                dim = key[1]
                row = TOTAL if tag == "total" else key[2]
                column = key[2] if tag == "total" else key[3]
                near = grid.line_keys(dim, row, column)
            wider = [k for dim in self.dims for k in grid.table_keys(dim)]
        else:
            category = key[-1] if tag in ("margin", "not_margin") else key[2]
            grid = self.grids[category]
            if tag in ("margin", "not_margin"):
                near = [
                    grid.key(dim, TICKED, column) for dim in self.dims for column in self.dims[dim]
                ]
                near.append(("margin", category))
            else:
                row = TICKED if tag == "cell" else UNTICKED
                near = grid.line_keys(key[1], row, key[3])
            wider = [k for dim in self.dims for k in grid.table_keys(dim)]
            wider += [("total", dim, group) for dim in self.dims for group in self.dims[dim]]
        for keys in (near, wider):
            shown = [k for k in keys if k in self.values and not self.unknown(k)]
            if shown:
                return sorted(set(shown), key=lambda k: (self.values[k], k))
        return []

    def _hide(self, key: Key) -> None:
        self.hidden.add(key)
        for grid in self.grids.values():
            grid.reset()

    def run(self) -> Protected:
        certified: set[Key] = set()
        complete = True
        while True:
            pending = [key for key in self._needs_certificate() if key not in certified]
            failing = None
            for key in pending:
                if self.certify(key):
                    certified.add(key)
                else:
                    failing = key
                    break
            if failing is None:
                break
            candidates = self._candidates(failing)
            if not candidates:
                # Nothing near is left to hide: hide everything of the question.
                published = [k for k in self.values if k[0] not in ("not", "not_margin")]
                if all(k in self.hidden for k in published):
                    complete = False
                    break
                for k in published:
                    self.hidden.add(k)
                for grid in self.grids.values():
                    grid.reset()
                continue
            self._hide(candidates[0])
        published_hidden = {k for k in self.hidden if k[0] not in ("not", "not_margin")}
        return Protected(
            values=self.values, hidden=published_hidden, threshold=self.threshold, complete=complete
        )


def exact(values: Mapping[Key, int], threshold: int = 5) -> Protected:
    """Identified instruments: every count shown as it is."""
    return Protected(values=dict(values), hidden=set(), threshold=threshold)
