"""The attack on real pages: every figure of the unfiltered page, of each group's filtered page
and of each breakdown, for an anonymous survey with small groups, as linear equalities; no
hidden count may be pinned."""

from __future__ import annotations

from typing import Any

import pytest

from tapestry.surveys.demo import responses_generate
from tapestry.surveys.models import Instrument, Response
from tapestry.surveys.results import Tables, counts_collect, results_page, summary_cached
from tapestry.surveys.selectors import instrument_structure
from tapestry.surveys.services import tallies_rebuild
from tapestry.surveys.tests.attack import System, pinned, question_system
from tapestry.surveys.tests.factories import instrument_make


def _published(instrument: Instrument) -> dict[str, dict[tuple[str, ...], int | None]]:
    """Question code ("" for the responses) -> key -> the figure as some page shows it; a
    figure shown on two pages must be shown the same on both."""
    found: dict[str, dict[tuple[str, ...], int | None]] = {}
    structure = instrument_structure(instrument=instrument)
    tables = Tables(structure, counts_collect(structure))

    def note(code: str, key: tuple[str, ...], value: int | None) -> None:
        seen = found.setdefault(code, {})
        assert seen.get(key, value) == value, (code, key, seen[key], value)
        seen[key] = value

    def read_page(page: Any, column: tuple[str, str] | None) -> None:
        total_key = ("total", *column) if column else ("grand",)
        note("", total_key, page.responses.value)
        for _title, items in page.sections:
            for item in items:
                code = item.question.code
                categories = tables.question(item.question).categories
                note(code, total_key, item.answered.value)
                if item.shown_to is not None:
                    note(f"shown:{code}", total_key, item.shown_to.value)
                for category, row in zip(categories, item.rows, strict=True):
                    key = (
                        ("cell", *column[:1], category, *column[1:])
                        if column
                        else ("margin", category)
                    )
                    note(code, key, row.count.value)
                if item.breakdown is not None:
                    dim = page.breakdown_by
                    groups = tables.groups[dim]
                    for category, (_label, figures) in zip(
                        categories, item.breakdown.rows, strict=True
                    ):
                        for group, figure in zip(groups, figures, strict=False):
                            note(code, ("cell", dim, category, group), figure.value)
                        note(code, ("margin", category), figures[-1].value)
                    for group, figure in zip(groups, item.breakdown.totals, strict=False):
                        note(code, ("total", dim, group), figure.value)

    read_page(results_page(instrument=instrument, language="en"), None)
    for dim, groups in tables.groups.items():
        read_page(results_page(instrument=instrument, language="en", breakdown_by=dim), None)
        for group in groups:
            read_page(
                results_page(instrument=instrument, language="en", selection={dim: group}),
                (dim, group),
            )
    return found


@pytest.mark.django_db
def test_no_figure_hidden_on_any_page_can_be_worked_out() -> None:
    # Given an anonymous survey with a region of 3 respondents and a role of 2
    instrument = instrument_make()
    responses_generate(instrument=instrument, count=60, seed=11, regions=("1", "3", "4"))
    responses_generate(instrument=instrument, count=3, seed=12, regions=("2",))
    responses_generate(
        instrument=instrument, count=2, seed=13, regions=("1",), roles=("consortium_staff",)
    )
    # Evaluations of two courses, one with 4 responses, and some with no course.
    ids = list(
        Response.objects.filter(instrument=instrument).order_by("id").values_list("id", flat=True)
    )
    Response.objects.filter(id__in=ids[:40]).update(subject_kind="course", subject_ref="12")
    Response.objects.filter(id__in=ids[40:44]).update(subject_kind="course", subject_ref="13")
    tallies_rebuild(instrument=instrument)  # the rows changed behind the tallies' back
    structure = instrument_structure(instrument=instrument)
    protected = summary_cached(structure).protected
    tables = Tables(structure, counts_collect(structure))

    # When the attacker reads every page
    published = _published(instrument)

    # Then every hidden figure can still take two values, and the small ones are hidden
    checked = 0
    for code, shown in published.items():
        question = structure.by_code.get(code.removeprefix("shown:"))
        kind = "count"
        categories: list[str] = []
        if question is not None and not code.startswith("shown:"):
            table = tables.question(question)
            kind, categories = table.kind, table.categories
        system, targets = question_system(
            kind=kind,
            categories=categories,
            dims=tables.groups,
            shown=shown,
            true_values=protected[code].values,
            system=System(),
        )
        assert pinned(system, targets) == {}, code
        checked += len(targets)
    assert published[""][("total", "region", "2")] is None
    assert published[""][("total", "role", "consortium_staff")] is None
    assert published[""][("total", "subject", "course:13")] is None
    assert checked > 50


@pytest.mark.django_db
def test_the_naive_suppression_of_the_same_pages_would_leak() -> None:
    # Given the same kind of survey, published with only the counts below 5 hidden
    instrument = instrument_make()
    responses_generate(instrument=instrument, count=60, seed=11, regions=("1", "3", "4"))
    responses_generate(instrument=instrument, count=3, seed=12, regions=("2",))
    structure = instrument_structure(instrument=instrument)
    protected = summary_cached(structure).protected
    tables = Tables(structure, counts_collect(structure))
    responses = protected[""]
    naive = {key: (None if value < 5 else value) for key, value in responses.values.items()}

    # When the attacker reads the responses per region with the grand total
    system, targets = question_system(
        kind="count",
        categories=[],
        dims=tables.groups,
        shown=naive,
        true_values=responses.values,
    )

    # Then region 2's 3 respondents are recovered from the total
    assert pinned(system, targets)[("total", "region", "2")] == (3.0, 3.0)
