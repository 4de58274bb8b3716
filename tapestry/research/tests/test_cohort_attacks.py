"""Differencing attacks on the cohort builder's counts (ADR 0025).

An attacker counts cohorts of their own making. The question each test asks: does what they
see depend on whether the target cohort's true size differs from another's by 0 or by 1 to 20?
It must not. Part one runs the attacks exhaustively against the rule itself
(`privacy.ledger_shown`) and shows they succeed against plain rounding; part two runs them
against the real engine over a generated release, through the services, the page and the API,
each world (difference 0, difference d) with its own researcher, so their ledgers are apart.
"""

from collections.abc import Callable

import pytest

from tapestry.research.privacy import (
    LEDGER_DRIFT_CAP,
    CountLedger,
    SeenCount,
    ledger_shown,
    researcher_count,
    researcher_round,
)

BASES = range(0, 401)
DIFFERENCES = range(1, 21)


def plain(key: str, true_count: int) -> str:
    """What a researcher would see with rounding alone (no ledger)."""
    return researcher_count(researcher_round(true_count)).display


def with_ledger() -> Callable[[str, int], str]:
    ledger = CountLedger()
    return lambda key, true_count: ledger.ask(key, true_count).display


def direct(ask: Callable[[str, int], str], a: int, d: int, *, target_first: bool) -> tuple:
    """(a): count A and A plus {one person's rare criteria} (a + d), in either order."""
    if target_first:
        return (ask("total", a + d), ask("total", a))
    return (ask("total", a), ask("total", a + d))


def boundary_search(ask: Callable[[str, int], str], a: int, d: int) -> tuple:
    """(b): A, then the target, then the target padded one known person at a time for 60
    people (a flip of the rounding is at most 20 away: three times over)."""
    seen = [ask("total", a), ask("total", a + d)]
    seen += [ask("total", a + d + pad) for pad in range(1, 61)]
    return tuple(seen)


# --- part one: the rule itself ------------------------------------------------------------


def test_counts_follow_the_public_rule_when_nothing_is_near() -> None:
    assert [researcher_count(ledger_shown(n, [])).display for n in (0, 1, 20, 21, 40, 41)] == [
        "≤ 20",
        "≤ 20",
        "≤ 20",
        "40",
        "40",
        "60",
    ]


def test_a_count_near_an_earlier_one_copies_the_nearest_and_ties_go_to_the_earliest() -> None:
    seen = [SeenCount(100, 100), SeenCount(130, 140)]

    assert ledger_shown(110, seen) == 100
    assert ledger_shown(120, seen) == 140
    assert ledger_shown(115, seen) == 100  # 15 from both: the earlier
    assert ledger_shown(151, seen) == 160  # 21 from the nearest: rounded afresh


def test_direct_differencing_succeeds_against_rounding_alone() -> None:
    """The attack is real: without the ledger, A = 40 and A + 1 show 40 and 60."""
    leaks = [
        (a, d)
        for a in BASES
        for d in DIFFERENCES
        if len(set(direct(plain, a, d, target_first=False))) > 1
    ]

    assert (40, 1) in leaks
    assert len(leaks) > 1000


@pytest.mark.parametrize("target_first", [False, True])
def test_direct_differencing_sees_the_same_whatever_the_difference(target_first: bool) -> None:
    """Every view with a difference d is a view the attacker also gets with difference 0,
    and the two counts always look the same."""
    views_without = {direct(with_ledger(), a, 0, target_first=target_first) for a in BASES}
    for a in BASES[:-20]:
        for d in DIFFERENCES:
            view = direct(with_ledger(), a, d, target_first=target_first)
            assert view[0] == view[1]
            assert view in views_without
            if not target_first:
                assert view == direct(with_ledger(), a, 0, target_first=False)


def test_the_boundary_search_succeeds_against_rounding_alone() -> None:
    assert boundary_search(plain, 35, 1) != boundary_search(plain, 35, 0)


def test_the_boundary_search_sees_the_same_whatever_the_difference() -> None:
    for a in BASES:
        without = boundary_search(with_ledger(), a, 0)
        assert len(set(without)) == 1  # it never sees a flip
        for d in DIFFERENCES:
            assert boundary_search(with_ledger(), a, d) == without


def test_drift_along_a_chain_of_small_steps_is_capped() -> None:
    """A, A + 15, A + 30, ... copies the first display only while it stays near the truth;
    no display is ever further than the cap from its own count's rounding."""
    ledger = CountLedger()
    shown = [ledger.ask("total", 41 + 15 * step) for step in range(200)]

    assert shown[0].display == shown[3].display == "60"
    for step, count in enumerate(shown):
        truth = max(20, researcher_round(41 + 15 * step))
        assert abs((count.value or 0) - truth) <= LEDGER_DRIFT_CAP
    for entry in ledger.entries["total"]:
        assert entry.drift <= LEDGER_DRIFT_CAP


def test_each_key_is_its_own_ledger() -> None:
    ledger = CountLedger()
    ledger.ask("total", 100)

    assert ledger.ask("ubr:income", 105).display == "120"
    assert ledger.ask("total", 105).display == "100"


def test_two_researchers_do_not_share_a_ledger() -> None:
    first, second = CountLedger(), CountLedger()
    second.ask("total", 41)

    assert first.ask("total", 40).display == "40"
    assert first.ask("total", 41).display == "40"
