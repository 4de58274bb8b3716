"""The attacker of the results pages: every published figure as a linear equality, every hidden
count bounded as the reader knows it, and linear programming (HiGHS) to find the smallest and
largest value each hidden count can take. A hidden count is safe when they differ."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linprog

Key = tuple[str, ...]


@dataclass
class System:
    """Unknowns (one per count), equalities between them, and what each page published."""

    equalities: list[dict[Key, int]] = field(default_factory=list)
    published: dict[Key, int | None] = field(default_factory=dict)
    bounds: dict[Key, tuple[int, int | None]] = field(default_factory=dict)

    def add_sum(self, parts: list[Key], whole: Key) -> None:
        equation = {key: 1 for key in parts}
        equation[whole] = equation.get(whole, 0) - 1
        self.equalities.append(equation)

    def publish(self, key: Key, shown: int | None, *, limit: int | None) -> None:
        """`shown` None is "fewer than 5" or a complementary suppression; `limit` the largest
        value the reader knows a primary hidden count has (None: not primary)."""
        if key in self.published:
            assert self.published[key] == shown, f"{key} shown as {shown} and {self.published[key]}"
        self.published[key] = shown
        if shown is not None:
            self.bounds[key] = (shown, shown)
        else:
            self.bounds[key] = (0, limit)

    def unknown(self, key: Key, *, limit: int | None) -> None:
        """A count no page shows (a complement), with the bounds the reader knows."""
        self.bounds.setdefault(key, (0, limit))


def ranges(system: System, targets: list[Key]) -> dict[Key, tuple[float, float]]:
    """The smallest and largest value of each target consistent with everything published."""
    keys = sorted(set(system.bounds) | {key for equation in system.equalities for key in equation})
    index = {key: position for position, key in enumerate(keys)}
    matrix = np.zeros((len(system.equalities), len(keys)))
    for row, equation in enumerate(system.equalities):
        for key, coefficient in equation.items():
            matrix[row, index[key]] += coefficient
    bounds = [system.bounds.get(key, (0, None)) for key in keys]
    found = {}
    for target in targets:
        objective = np.zeros(len(keys))
        objective[index[target]] = 1
        low = linprog(
            objective, A_eq=matrix, b_eq=np.zeros(len(matrix)), bounds=bounds, method="highs"
        )
        high = linprog(
            -objective, A_eq=matrix, b_eq=np.zeros(len(matrix)), bounds=bounds, method="highs"
        )
        assert low.status == 0, (target, low.message)
        assert high.status in (0, 3), (target, high.message)  # 3: no largest value
        found[target] = (low.fun, -high.fun if high.status == 0 else float("inf"))
    return found


def pinned(system: System, targets: list[Key]) -> dict[Key, tuple[float, float]]:
    """The targets whose smallest and largest possible values are the same."""
    return {
        key: interval
        for key, interval in ranges(system, targets).items()
        if interval[1] - interval[0] < 1e-6
    }


def question_system(
    *,
    kind: str,
    categories: list[str],
    dims: Mapping[str, list[str]],
    shown: Mapping[Key, int | None],
    true_values: Mapping[Key, int],
    threshold: int = 5,
    system: System | None = None,
    prefix: Key = (),
) -> tuple[System, list[Key]]:
    """One question's published figures (`shown`: key -> number or None) as a system, and the
    counts to attack: every hidden one and every complement below the threshold. The true
    values say only which hidden counts are primary (the reader is granted that knowledge)."""
    system = system or System()

    def k(*parts: str) -> Key:
        return (*prefix, *parts)

    def limit(key: Key) -> int | None:
        return threshold - 1 if true_values[key] < threshold else None

    targets: list[Key] = []
    for key, value in shown.items():
        system.publish(k(*key), value, limit=limit(key))
        if value is None:
            targets.append(k(*key))
    if kind == "multiple":
        grand = true_values[("grand",)]
        for category in categories:
            not_margin = ("not_margin", category)
            system.unknown(k(*not_margin), limit=limit(not_margin))
            system.add_sum([k("margin", category), k(*not_margin)], k("grand"))
            if true_values[not_margin] < threshold and grand >= threshold:
                targets.append(k(*not_margin))
            for dim, groups in dims.items():
                system.add_sum([k("cell", dim, category, g) for g in groups], k("margin", category))
                system.add_sum([k("not", dim, category, g) for g in groups], k(*not_margin))
                for group in groups:
                    complement = ("not", dim, category, group)
                    system.unknown(k(*complement), limit=limit(complement))
                    system.add_sum(
                        [k("cell", dim, category, group), k(*complement)], k("total", dim, group)
                    )
                    if true_values[complement] < threshold and grand >= threshold:
                        targets.append(k(*complement))
    if kind == "partition":
        for dim, groups in dims.items():
            for category in categories:
                system.add_sum([k("cell", dim, category, g) for g in groups], k("margin", category))
            for group in groups:
                system.add_sum(
                    [k("cell", dim, category, group) for category in categories],
                    k("total", dim, group),
                )
        if categories:
            system.add_sum([k("margin", category) for category in categories], k("grand"))
    for dim, groups in dims.items():
        system.add_sum([k("total", dim, group) for group in groups], k("grand"))
    return system, targets
