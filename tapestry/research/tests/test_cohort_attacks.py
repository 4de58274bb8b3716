# ruff: noqa: F811 (the fixtures are imported from cohort_support)
"""Differencing attacks on the cohort builder's counts (ADR 0025).

An attacker counts cohorts of their own making. The question each test asks: does what they
see depend on whether the target cohort's true size differs from another's by 0 or by 1 to 20?
It must not. Part one runs the attacks exhaustively against the rule itself
(`privacy.ledger_shown`) and shows they succeed against plain rounding; part two runs them
against the real engine over a generated release, through the services, the page and the API,
each world (difference 0, difference d) with its own researcher, so their ledgers are apart.
"""

import json
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


# --- part two: the real engine, services, page and API -------------------------------------

import re  # noqa: E402
from typing import Any  # noqa: E402

from tapestry.accounts.tests.factories import api_token_make  # noqa: E402
from tapestry.research import services  # noqa: E402
from tapestry.research.models import Release  # noqa: E402
from tapestry.research.tests.cohort_support import (  # noqa: E402, F401
    client_for,
    cohort_built,
    cohort_release,
    researcher_make,
    workspace_make,
)
from tapestry.research.warehouse.cohort import engine_for  # noqa: E402
from tapestry.research.warehouse.cohort_definition import definition_parse  # noqa: E402

AGE_40_64 = {"domain": "demographic", "field": "age", "min": 40, "max": 64}
NOBODY_NEW = {"domain": "demographic", "field": "age", "min": 50, "max": 55}  # inside A


def _definition(*items: dict[str, Any]) -> dict[str, Any]:
    return {"version": 1, "include": [{"items": list(items)}], "exclude": []}


def _true_count(release: Release, data: dict[str, Any]) -> int:
    return engine_for(release.warehouse_path).count(definition_parse(data))


def _rare_items(release: Release, cohort_built: Any) -> list[dict[str, Any]]:
    """Conditions, drugs and procedures of 1 to 20 participants, as criteria."""
    _path, summaries = cohort_built
    domains = {"Condition": "condition", "Drug": "drug", "Procedure": "procedure"}
    return [
        {"domain": domains[row["domain"]], "concept_id": row["concept_id"], "descendants": False}
        for row in sorted(summaries.concepts, key=lambda row: row["concept_id"])
        if row["domain"] in domains and 1 <= row["participants"] <= 20
    ]


@pytest.fixture
def targets(cohort_release: Release, cohort_built: Any) -> list[tuple[dict[str, Any], int]]:
    """Rare criteria whose people are outside A (ages 40 to 64) from 1 to 20, with how many:
    "the target person's" criteria, as an attacker would pick them."""
    a = _true_count(cohort_release, _definition(AGE_40_64))
    found = []
    for item in _rare_items(cohort_release, cohort_built):
        d = _true_count(cohort_release, _definition(AGE_40_64, item)) - a
        if 1 <= d <= 20:
            found.append((item, d))
        if len(found) == 8:
            break
    assert len(found) == 8
    return found


def _ask(user: Any, release: Release, data: dict[str, Any]) -> services.CountResult:
    return services.cohort_count(user=user, release=release, definition=definition_parse(data))


def _view(result: services.CountResult) -> tuple[str, ...]:
    """Everything a count shows: the total and the make-up table's cohort column."""
    return (
        result.count.display,
        *(f"{row.cohort.display} {row.cohort_share}" for row in result.makeup),
    )


@pytest.mark.parametrize("target_first", [False, True])
def test_engine_direct_differencing_sees_the_same_whatever_the_difference(
    cohort_release: Release, targets: list[tuple[dict[str, Any], int]], target_first: bool
) -> None:
    """(a) and (d): A and A plus the target's rare criteria, in both orders, counts and
    make-up tables alike, against the same two questions in a world where the difference is
    0 (a criterion that adds nobody)."""
    a = _definition(AGE_40_64)
    for item, _d in targets:
        attacker, control = researcher_make(), researcher_make()
        questions = [a, _definition(AGE_40_64, item)]
        unchanged = [a, _definition(AGE_40_64, NOBODY_NEW)]
        if target_first:
            questions.reverse()
            unchanged.reverse()
        seen = [_view(_ask(attacker, cohort_release, data)) for data in questions]
        seen_without = [_view(_ask(control, cohort_release, data)) for data in unchanged]

        assert seen[0] == seen[1]
        if not target_first:
            assert seen == seen_without


def test_engine_rounding_alone_would_tell_a_target_apart_and_the_ledger_does_not(
    cohort_release: Release, targets: list[tuple[dict[str, Any], int]]
) -> None:
    """The attack is real on this data: among bases "ages 40 to 40 + j" there is one whose
    count and the target's round differently (rounding alone tells the target apart), and
    through the ledger the two look the same."""
    found = None
    for j in range(25):
        base = {"domain": "demographic", "field": "age", "min": 40, "max": 40 + j}
        a = _true_count(cohort_release, _definition(base))
        for item, _d in targets:
            b = _true_count(cohort_release, _definition(base, item))
            if a < b and researcher_round(a) != researcher_round(b):
                found = (base, item)
                break
        if found:
            break
    assert found is not None
    base, item = found
    attacker = researcher_make()
    first = _ask(attacker, cohort_release, _definition(base)).count.display
    second = _ask(attacker, cohort_release, _definition(base, item)).count.display

    assert first == second


def _paddings(
    release: Release, cohort_built: Any, used: list[dict[str, Any]]
) -> list[list[dict[str, Any]]]:
    """Padding groups: rare criteria added one at a time while they add at most 60 people to A
    (each step adds at most 20: a boundary search's steps)."""
    skip = {item["concept_id"] for item in used}
    base = _true_count(release, _definition(AGE_40_64))
    pads: list[dict[str, Any]] = []
    steps = []
    for item in _rare_items(release, cohort_built):
        if item["concept_id"] in skip:
            continue
        added = _true_count(release, _definition(AGE_40_64, *pads, item)) - base
        if added > 60:
            break
        pads.append(item)
        steps.append(list(pads))
    return steps


def test_engine_boundary_search_sees_the_same_whatever_the_difference(
    cohort_release: Release, cohort_built: Any, targets: list[tuple[dict[str, Any], int]]
) -> None:
    """(b): A, the target, then the target padded step by step, against the same search
    where the target adds nobody."""
    steps = _paddings(cohort_release, cohort_built, [item for item, _d in targets])
    assert len(steps) >= 3
    for item, _d in targets[:4]:
        attacker, control = researcher_make(), researcher_make()
        seen = [_view(_ask(attacker, cohort_release, _definition(AGE_40_64)))]
        seen += [_view(_ask(attacker, cohort_release, _definition(AGE_40_64, item)))]
        seen += [
            _view(_ask(attacker, cohort_release, _definition(AGE_40_64, item, *pads)))
            for pads in steps
        ]
        without = [_view(_ask(control, cohort_release, _definition(AGE_40_64)))]
        without += [_view(_ask(control, cohort_release, _definition(AGE_40_64, NOBODY_NEW)))]
        without += [
            _view(_ask(control, cohort_release, _definition(AGE_40_64, NOBODY_NEW, *pads)))
            for pads in steps
        ]

        assert [view[0] for view in seen] == [view[0] for view in without]
        assert len({view[0] for view in seen}) == 1  # no flip to find


def _page_count(client: Any, url: str, data: dict[str, Any]) -> str:
    response = client.post(
        url, {"definition": json.dumps(data), "action": "count"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    match = re.search(r'data-count="([^"]+)"', response.content.decode())
    assert match is not None
    return match.group(1)


def _api_count(token: str, data: dict[str, Any]) -> str:
    from django.test import Client

    response = Client().post(
        "/api/v1/research/cohorts/count",
        json.dumps(data),
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.content
    return response.json()["count"]["display"]


def test_page_and_api_share_one_ledger(
    cohort_release: Release, targets: list[tuple[dict[str, Any], int]]
) -> None:
    """(c): A on the page, the target through the API (and the other way round): the same as
    with a difference of 0."""
    for item, _d in targets[:4]:
        views = []
        for extra in (item, NOBODY_NEW):
            user = researcher_make()
            token = api_token_make(user=user, scopes=["research"])
            url = f"/research/workspaces/{workspace_make(user).public_id}/cohorts/new/"
            client = client_for(user)
            views.append(
                (
                    _page_count(client, url, _definition(AGE_40_64)),
                    _api_count(token, _definition(AGE_40_64, extra)),
                    _api_count(token, _definition(AGE_40_64)),
                    _page_count(client, url, _definition(AGE_40_64, extra)),
                )
            )
        assert views[0] == views[1]
        assert len(set(views[0])) == 1


def test_another_researchers_queries_neither_share_nor_help(
    cohort_release: Release, targets: list[tuple[dict[str, Any], int]]
) -> None:
    """(e): a colleague who asked for the target first got its own rounding, and the
    attacker's view is what it would be had the colleague asked nothing."""
    item, _d = targets[0]
    colleague, attacker, alone = researcher_make(), researcher_make(), researcher_make()
    colleague_view = _view(_ask(colleague, cohort_release, _definition(AGE_40_64, item)))
    a = _true_count(cohort_release, _definition(AGE_40_64))
    target = _true_count(cohort_release, _definition(AGE_40_64, item))

    seen = [
        _view(_ask(attacker, cohort_release, d))
        for d in (_definition(AGE_40_64), _definition(AGE_40_64, item))
    ]
    seen_alone = [
        _view(_ask(alone, cohort_release, d))
        for d in (_definition(AGE_40_64), _definition(AGE_40_64, item))
    ]

    assert colleague_view[0] == researcher_count(researcher_round(target)).display
    assert seen == seen_alone
    assert seen[1][0] == researcher_count(researcher_round(a)).display
