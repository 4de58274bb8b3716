"""Reads for the results pages: an instrument's answers counted per question, per choice and
per group (role, region, language, subject), protected by `suppression.py` for anonymous
instruments, then laid out for one page (a filter, or a breakdown by one dimension).

The counting is a handful of GROUP BY queries per instrument (answers by question, choice,
number, day and the response's filter columns; people who answered a multiple-choice
question; responses; people shown each optional branched question), aggregated here, and
cached with the protection under a key that changes with every new response or revision.
"""

from __future__ import annotations

import datetime
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db.models import (
    Count,
    Exists,
    F,
    Max,
    OuterRef,
    Q,
)
from django.db.models.functions import Mod
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _

from tapestry.accounts.roles import Role
from tapestry.network.api import regions
from tapestry.surveys import logic, suppression
from tapestry.surveys.models import (
    Answer,
    Instrument,
    Language,
    Question,
    Response,
    Subject,
    Tally,
)
from tapestry.surveys.selectors import Structure, instrument_structure

DIMENSIONS = ("role", "region", "language", "subject")
NUMBER_BINS = 5
CACHE_SECONDS = 3600
# A combination of the filter columns: (role, region, language, "kind:ref" or "").
Combo = tuple[str, str, str, str]


def small_cell() -> int:
    return int(getattr(settings, "SURVEYS_SMALL_CELL", 5))


# --- counting -----------------------------------------------------------------------------------


@dataclass
class Counts:
    """Everything the results pages need, counted once per instrument, by question id."""

    responses: dict[Combo, int] = field(default_factory=dict)
    choices: dict[int, dict[tuple[int, Combo], int]] = field(default_factory=dict)
    answered: dict[int, dict[Combo, int]] = field(default_factory=dict)
    numbers: dict[int, dict[Combo, dict[Decimal, int]]] = field(default_factory=dict)
    months: dict[int, dict[tuple[str, Combo], int]] = field(default_factory=dict)
    shown: dict[int, dict[Combo, int]] = field(default_factory=dict)


_COMBO = {
    "role": F("response__role"),
    "region": F("response__region"),
    "language": F("response__language"),
    "subject_kind": F("response__subject_kind"),
    "subject_ref": F("response__subject_ref"),
}


def counts_collect(structure: Structure) -> Counts:
    """The counts straight from every answer: what the tallies must always equal (the tests'
    oracle; the pages read `counts_from_tallies`)."""
    instrument = structure.instrument
    counts = Counts()
    answers = Answer.objects.filter(response__instrument=instrument)
    # Grouped by the day, made a month here: cheaper on PostgreSQL than any month function,
    # and TruncMonth would call back into Python for every row on SQLite.
    rows = (
        answers.values("question_id", "choice_id", "number", "date", **_COMBO)
        .annotate(n=Count("id"))
        .order_by()
        .values_list("question_id", "choice_id", "number", "date", "n", *_COMBO)
    )
    kinds = {question.pk: question.kind for question in structure.questions}
    for question_id, choice_id, number, day, n, *combo_parts in rows:
        kind = kinds.get(question_id)
        if kind is None:
            continue
        combo = _combo_of(combo_parts)
        if choice_id is not None:
            per_choice = counts.choices.setdefault(question_id, {})
            per_choice[(choice_id, combo)] = per_choice.get((choice_id, combo), 0) + n
        elif number is not None:
            values = counts.numbers.setdefault(question_id, {}).setdefault(combo, {})
            value = Decimal(number).normalize()
            values[value] = values.get(value, 0) + n
        elif day is not None:
            month_text = f"{day.year:04d}-{day.month:02d}"
            per_month = counts.months.setdefault(question_id, {})
            per_month[(month_text, combo)] = per_month.get((month_text, combo), 0) + n
        if kind != Question.Kind.MULTIPLE:
            answered = counts.answered.setdefault(question_id, {})
            answered[combo] = answered.get(combo, 0) + n
    multiple = [q.pk for q in structure.questions if q.kind == Question.Kind.MULTIPLE]
    if multiple:
        for question_id, n, *combo_parts in (
            answers.filter(question_id__in=multiple)
            .values("question_id", **_COMBO)
            .annotate(n=Count("response_id", distinct=True))
            .order_by()
            .values_list("question_id", "n", *_COMBO)
        ):
            counts.answered.setdefault(question_id, {})[_combo_of(combo_parts)] = n
    responses = Response.objects.filter(instrument=instrument)
    columns = ("role", "region", "language", "subject_kind", "subject_ref")
    for n, *combo_parts in (
        responses.values(*columns).annotate(n=Count("id")).order_by().values_list("n", *columns)
    ):
        counts.responses[_combo_of(combo_parts)] = n
    for question in structure.questions:
        if not question.show_if or question.required:
            # Everyone shown a required question answered it: its answered count will do.
            continue
        condition = _condition_q(question.show_if, structure) | Exists(
            Answer.objects.filter(response=OuterRef("pk"), question=question)
        )
        for n, *combo_parts in (
            responses.filter(condition)
            .values(*columns)
            .annotate(n=Count("id"))
            .order_by()
            .values_list("n", *columns)
        ):
            counts.shown.setdefault(question.pk, {})[_combo_of(combo_parts)] = n
    return counts


# --- tallies: the same counts, kept up to date at each submission ------------------------------

TALLY_COLUMNS = ("role", "region", "language", "subject_kind", "subject_ref")


def tally_keys(structure: Structure, answers: Mapping[str, logic.Answer]) -> list[str]:
    """What one response adds to its instrument's tallies (`models.Tally.key`), from its
    answers as stored (hidden and blank ones already dropped): one count each."""
    keys = ["r"]
    shown, _kept = structure.visible(dict(answers))
    for question in structure.questions:
        if question.show_if and not question.required and question.code in shown:
            keys.append(f"s:{question.pk}")
        answer = answers.get(question.code)
        if answer in (None, "", []):
            continue
        keys.append(f"a:{question.pk}")
        choices = {choice.code: choice.pk for choice in structure.choices[question.code]}
        if question.kind == Question.Kind.MULTIPLE:
            keys.extend(f"c:{question.pk}:{choices[code]}" for code in answer or [])
        elif question.kind in (Question.Kind.SINGLE, Question.Kind.LIKERT):
            keys.append(f"c:{question.pk}:{choices[str(answer)]}")
        elif question.kind == Question.Kind.NUMBER:
            keys.append(f"n:{question.pk}:{Decimal(str(answer)).normalize()}")
        elif question.kind == Question.Kind.DATE:
            keys.append(f"m:{question.pk}:{str(answer)[:7]}")
    return keys


def counts_from_tallies(instrument: Instrument) -> Counts:
    """The instrument's Counts read from its tallies (one small query)."""
    counts = Counts()
    rows = Tally.objects.filter(instrument=instrument, n__gt=0).values_list(
        "key", "n", *TALLY_COLUMNS
    )
    for key, n, *combo_parts in rows:
        combo = _combo_of(combo_parts)
        kind, _colon, rest = key.partition(":")
        if kind == "r":
            counts.responses[combo] = n
            continue
        question_text, _colon, detail = rest.partition(":")
        question_id = int(question_text)
        if kind == "a":
            counts.answered.setdefault(question_id, {})[combo] = n
        elif kind == "s":
            counts.shown.setdefault(question_id, {})[combo] = n
        elif kind == "c":
            counts.choices.setdefault(question_id, {})[(int(detail), combo)] = n
        elif kind == "n":
            counts.numbers.setdefault(question_id, {}).setdefault(combo, {})[Decimal(detail)] = n
        elif kind == "m":
            counts.months.setdefault(question_id, {})[(detail, combo)] = n
    return counts


def _combo_of(parts: list[Any]) -> Combo:
    role, region, language, subject_kind, subject_ref = parts
    return (role, region, language, f"{subject_kind}:{subject_ref}" if subject_kind else "")


def _condition_q(condition: Any, structure: Structure) -> Q:
    """A `logic.py` condition as a filter on responses, with REDCap's blank semantics."""
    op = condition["op"]
    if op in logic.GROUPS:
        parts = [_condition_q(arg, structure) for arg in condition["args"]]
        combined = parts[0]
        for part in parts[1:]:
            combined = combined & part if op == "and" else combined | part
        return combined
    question = structure.by_code[condition["question"]]

    def has(**lookup: Any) -> Q:
        return Q(
            Exists(Answer.objects.filter(response=OuterRef("pk"), question=question, **lookup))
        )

    if op in logic.CHECKS:
        ticked = has(choice__code=condition["choice"])
        return ticked if op == "checked" else ~ticked
    value = condition["value"]
    if value == "":
        answered = has()
        return ~answered if op == "=" else answered
    if question.kind in (Question.Kind.SINGLE, Question.Kind.LIKERT):
        codes = [
            choice.code
            for choice in structure.choices[question.code]
            if logic.evaluate(
                condition, {question.code: choice.code}, {question.code: question.kind}
            )
        ]
        matching = has(choice__code__in=codes)
        return ~has(choice__code=value) if op == "!=" else matching
    lookup = {"number": "number", "date": "date"}.get(question.kind, "text")
    operand: Any = value
    if question.kind == Question.Kind.NUMBER:
        operand = Decimal(value)
    elif question.kind == Question.Kind.DATE:
        operand = datetime.date.fromisoformat(value)
    suffix = {"=": "", "<": "__lt", "<=": "__lte", ">": "__gt", ">=": "__gte"}
    if op == "!=":
        return ~has(**{lookup: operand})
    return has(**{lookup + suffix[op]: operand})


@dataclass
class Summary:
    """What a results page reads, computed once per instrument state and cached."""

    groups: dict[str, list[str]]
    categories: dict[str, list[str]]  # by question code
    bins: dict[str, list[tuple[Decimal, Decimal]]]
    protected: dict[str, suppression.Protected]
    medians: dict[tuple[str, str, str], Decimal]  # (code, dim, group); ("", "") overall
    counts: Counts | None  # identified instruments only: any selection is counted exactly


def results_key(instrument: Instrument) -> str:
    """Changes with every response, revision and threshold (one small query)."""
    state = Response.objects.filter(instrument=instrument).aggregate(n=Count("id"), last=Max("id"))
    return (
        f"surveys:results:{instrument.pk}:{instrument.revision}:{instrument.mode}:"
        f"{state['n']}:{state['last']}:{small_cell()}"
    )


def summary_cached(structure: Structure, key: str | None = None) -> Summary:
    """The instrument's summary, from the cache when its responses have not changed."""
    key = key or results_key(structure.instrument)
    summary = cache.get(key)
    if summary is None:
        summary = summary_build(structure)
        cache.set(key, summary, CACHE_SECONDS)
    return summary


def summary_build(structure: Structure) -> Summary:
    counts = counts_from_tallies(structure.instrument)
    tables = Tables(structure, counts)
    anonymous = structure.instrument.mode == Instrument.Mode.ANONYMOUS
    medians: dict[tuple[str, str, str], Decimal] = {}
    for question in structure.questions:
        if question.kind != Question.Kind.NUMBER:
            continue
        per_combo = counts.numbers.get(question.pk, {})
        selections = [("", "")] + [
            (dim, group) for dim, names in tables.groups.items() for group in names
        ]
        for dim, group in selections:
            median = _median(per_combo, {dim: group} if dim else {})
            if median is not None:
                medians[(question.code, dim, group)] = median
    return Summary(
        groups=tables.groups,
        categories={q.code: tables.question(q).categories for q in structure.questions},
        bins={q.code: tables.bins[q.pk] for q in structure.questions if q.pk in tables.bins},
        protected=tables.protected(),
        medians=medians,
        counts=None if anonymous else counts,
    )


# --- groups and tables ---------------------------------------------------------------------------


def dimension_groups(structure: Structure, counts: Counts) -> dict[str, list[str]]:
    """The groups of each dimension that have responses, in their usual order (the languages,
    the regions of the map, the role question's choices), others after them by code.

    Only groups with responses are listed: an empty group would be a column of zeros that
    every other group's totals could pin, so listing it would cost another group its figures.
    """
    seen: dict[str, set[str]] = {dim: set() for dim in DIMENSIONS}
    for combo in counts.responses:
        for dim, value in zip(DIMENSIONS, combo, strict=True):
            seen[dim].add(value)
    role_question = next(
        (q for q in structure.questions if q.describes == Question.Describes.ROLE), None
    )
    usual = {
        "language": [Language.ENGLISH.value, Language.SPANISH.value],
        "region": [region.code for region in regions()],
        "role": [choice.code for choice in structure.choices[role_question.code]]
        if role_question
        else [role.value for role in Role],
        "subject": [],
    }
    groups: dict[str, list[str]] = {}
    for dim in DIMENSIONS:
        listed = [code for code in usual[dim] if code in seen[dim]]
        listed += sorted(seen[dim] - set(listed))
        if dim == "subject" and listed == [""]:
            continue  # no response carries a subject: no such filter
        if listed:
            groups[dim] = listed
    return groups


@dataclass
class Table:
    """One question's counts per group of every dimension, ready for `suppression.protect`."""

    kind: suppression.Kind
    categories: list[str]
    cells: dict[tuple[str, str, str], int]
    totals: dict[tuple[str, str], int]
    grand: int


class Tables:
    """Builds each question's table from the counts, over the responses a selection keeps."""

    def __init__(
        self, structure: Structure, counts: Counts, keep: Mapping[str, str] | None = None
    ) -> None:
        self.structure = structure
        self.counts = counts
        self.groups = dimension_groups(structure, counts)
        self.keep = dict(keep or {})
        self.bins = {q.pk: _bins(q, counts) for q in structure.questions if q.kind == "number"}
        self.month_list = {q.pk: _months(q.pk, counts) for q in structure.questions}

    def kept(self, combo: Combo) -> bool:
        return not self.keep or all(
            combo[DIMENSIONS.index(dim)] == value for dim, value in self.keep.items()
        )

    def _table(
        self,
        per_combo: Iterable[tuple[str, Combo, int]],
        answered: Iterable[tuple[Combo, int]],
        kind: suppression.Kind,
        categories: list[str],
    ) -> Table:
        cells: dict[tuple[str, str, str], int] = defaultdict(int)
        totals: dict[tuple[str, str], int] = defaultdict(int)
        grand = 0
        positions = [(dim, DIMENSIONS.index(dim)) for dim in self.groups]
        for category, combo, n in per_combo:
            if not self.kept(combo):
                continue
            for dim, position in positions:
                cells[(dim, category, combo[position])] += n
        for combo, n in answered:
            if not self.kept(combo):
                continue
            grand += n
            for dim, position in positions:
                totals[(dim, combo[position])] += n
        return Table(kind, categories, dict(cells), dict(totals), grand)

    def responses(self) -> Table:
        return self._table((), self.counts.responses.items(), "count", [])

    def answered(self, question: Question) -> list[tuple[Combo, int]]:
        return list(self.counts.answered.get(question.pk, {}).items())

    def shown(self, question: Question) -> Table:
        if question.required:
            rows = self.answered(question)
        else:
            rows = list(self.counts.shown.get(question.pk, {}).items())
        return self._table((), rows, "count", [])

    def question(self, question: Question) -> Table:
        answered = self.answered(question)
        if question.kind in Question.CHOICE_KINDS:
            codes = {choice.pk: choice.code for choice in self.structure.choices[question.code]}
            rows = [
                (codes[choice_id], combo, n)
                for (choice_id, combo), n in self.counts.choices.get(question.pk, {}).items()
                if choice_id in codes
            ]
            kind: suppression.Kind = (
                "multiple" if question.kind == Question.Kind.MULTIPLE else "partition"
            )
            return self._table(rows, answered, kind, list(codes.values()))
        if question.kind == Question.Kind.NUMBER:
            edges = self.bins[question.pk]
            rows = []
            for combo, values in self.counts.numbers.get(question.pk, {}).items():
                for value, n in values.items():
                    rows.append((str(_bin_of(value, edges)), combo, n))
            return self._table(rows, answered, "partition", [str(i) for i in range(len(edges))])
        if question.kind == Question.Kind.DATE:
            rows = [
                (month, combo, n)
                for (month, combo), n in self.counts.months.get(question.pk, {}).items()
            ]
            return self._table(rows, answered, "partition", self.month_list[question.pk])
        return self._table((), answered, "count", [])

    def protected(self) -> dict[str, Any]:
        """Every question's table protected jointly over every dimension (anonymous), keyed by
        question code; "" is the responses line and "shown:<code>" a branched question's."""
        threshold = small_cell()
        protect = self.structure.instrument.mode == Instrument.Mode.ANONYMOUS
        result: dict[str, Any] = {}

        def apply(table: Table) -> suppression.Protected:
            if protect:
                return suppression.protect(
                    kind=table.kind,
                    categories=table.categories,
                    dims=self.groups,
                    cells=table.cells,
                    totals=table.totals,
                    grand=table.grand,
                    threshold=threshold,
                )
            return _exact(table, self.groups)

        result[""] = apply(self.responses())
        for question in self.structure.questions:
            result[question.code] = apply(self.question(question))
            if question.show_if:
                result[f"shown:{question.code}"] = apply(self.shown(question))
        return result


def _exact(table: Table, groups: Mapping[str, list[str]]) -> suppression.Protected:
    values: dict[suppression.Key, int] = {("grand",): table.grand}
    for dim, names in groups.items():
        for group in names:
            values[("total", dim, group)] = table.totals.get((dim, group), 0)
            for category in table.categories:
                values[("cell", dim, category, group)] = table.cells.get((dim, category, group), 0)
    first = next(iter(groups), None)
    for category in table.categories:
        values[("margin", category)] = (
            sum(table.cells.get((first, category, g), 0) for g in groups[first]) if first else 0
        )
    return suppression.exact(values, small_cell())


def _bins(question: Question, counts: Counts) -> list[tuple[Decimal, Decimal]]:
    """A few bins of equal width over the question's range (or the answers' when it has
    none), on whole numbers where the answers are whole."""
    values = list({v for per in counts.numbers.get(question.pk, {}).values() for v in per})
    low = question.minimum if question.minimum is not None else min(values, default=Decimal(0))
    high = question.maximum if question.maximum is not None else max(values, default=Decimal(0))
    if high <= low:
        return [(Decimal(low), Decimal(low))]
    whole = question.whole_number or all(v == v.to_integral_value() for v in values)
    span = Decimal(high) - Decimal(low)
    width = span / NUMBER_BINS
    if whole:
        width = Decimal(math.ceil((span + 1) / NUMBER_BINS))
    edges = []
    start = Decimal(low)
    for _index in range(NUMBER_BINS):
        end = start + width - (1 if whole else 0)
        edges.append((start, min(end, Decimal(high))))
        start = start + width
        if start > high:
            break
    return edges


def _bin_of(value: Decimal, edges: list[tuple[Decimal, Decimal]]) -> int:
    for index, (_start, end) in enumerate(edges):
        if value <= end:
            return index
    return len(edges) - 1


def _months(question_id: int, counts: Counts) -> list[str]:
    found = sorted({month for (month, _c) in counts.months.get(question_id, {})})
    if not found:
        return []
    year, month = map(int, found[0].split("-"))
    last = found[-1]
    months = []
    while True:
        label = f"{year:04d}-{month:02d}"
        months.append(label)
        if label >= last:
            return months
        month += 1
        if month == 13:
            year, month = year + 1, 1


# --- the page -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    """A published count: the number, or "fewer than 5"."""

    value: int | None
    text: str

    @property
    def hidden(self) -> bool:
        return self.value is None


@dataclass
class Row:
    label: str
    count: Figure
    percent: str | None
    bar: int = 0  # the bar's length, 0 to 100 (0 for a hidden count)


@dataclass
class Breakdown:
    columns: list[str]
    rows: list[tuple[str, list[Figure]]]
    totals: list[Figure]


@dataclass
class QuestionResult:
    question: Question
    label: str
    kind: str
    section_title: str
    answered: Figure
    shown_to: Figure | None
    rows: list[Row]
    several: bool = False
    median: str | None = None
    texts: Page | None = None
    texts_hidden: bool = False
    breakdown: Breakdown | None = None
    chart: dict[str, Any] | None = None


@dataclass
class ResultsPage:
    instrument: Instrument
    title: str
    anonymous: bool
    responses: Figure
    sections: list[tuple[str, list[QuestionResult]]]
    selection: list[tuple[str, str]]  # (dimension name, group name) filtered on
    breakdown_by: str
    threshold: int
    groups: dict[str, list[tuple[str, str]]]


def _figure(value: int | None, threshold: int) -> Figure:
    if value is None:
        return Figure(None, _("fewer than %(threshold)s") % {"threshold": threshold})
    return Figure(value, number_format(value, force_grouping=True))


def _percent(part: int | None, whole: int | None) -> str | None:
    if part is None or not whole:
        return None
    return _("%(percent)s%%") % {
        "percent": number_format(round(100 * part / whole, 1), decimal_pos=1, force_grouping=True)
    }


def group_label(
    dim: str, code: str, structure: Structure, language: str, region_names: Mapping[str, Any]
) -> str:
    if code == "":
        return _("Not stated")
    if dim == "language":
        return str(Language(code).label) if code in Language.values else code
    if dim == "region":
        region = region_names.get(code)
        return region.display_name(language) if region else code
    if dim == "role":
        role_question = next(
            (q for q in structure.questions if q.describes == Question.Describes.ROLE), None
        )
        if role_question:
            for choice in structure.choices[role_question.code]:
                if choice.code == code:
                    return choice.text("label", language)
        return str(Role(code).label) if code in Role.values else code
    kind, _colon, ref = code.partition(":")
    name = str(Subject(kind).label) if kind in Subject.values else kind
    return f"{name} {ref}"


def dimension_name(dim: str) -> str:
    return {
        "role": _("Role"),
        "region": _("Region"),
        "language": _("Language"),
        "subject": _("Course, event or award"),
    }[dim]


def results_page(
    *,
    instrument: Instrument,
    language: str,
    selection: Mapping[str, str] | None = None,
    breakdown_by: str = "",
    text_pages: Mapping[str, int] | None = None,
    structure: Structure | None = None,
    summary: Summary | None = None,
) -> ResultsPage:
    """The results as one page shows them. For an anonymous instrument, `selection` holds at
    most one dimension, and the page reads that group's column of the protected tables (the
    forms refuse more); an identified instrument counts exactly over any selection."""
    selection = dict(selection or {})
    anonymous = instrument.mode == Instrument.Mode.ANONYMOUS
    if anonymous and len(selection) > 1:
        raise ValueError("an anonymous instrument is filtered by one dimension at a time")
    structure = structure or instrument_structure(instrument=instrument)
    summary = summary or summary_cached(structure)
    protected = summary.protected
    threshold = small_cell()
    column: tuple[str, str] | None = None
    medians = summary.medians
    if not anonymous and selection and summary.counts is not None:
        protected = Tables(structure, summary.counts, keep=selection).protected()
        medians = {}
        for question in structure.questions:
            if question.kind == Question.Kind.NUMBER:
                median = _median(summary.counts.numbers.get(question.pk, {}), selection)
                if median is not None:
                    medians[(question.code, "", "")] = median
    else:
        column = next(iter(selection.items()), None)
    region_names = {region.code: region for region in regions()}

    def label(dim: str, code: str) -> str:
        return group_label(dim, code, structure, language, region_names)

    def read(result: suppression.Protected, category: str | None) -> int | None:
        if column is None:
            key: suppression.Key = ("grand",) if category is None else ("margin", category)
        else:
            dim, group = column
            key = ("total", dim, group) if category is None else ("cell", dim, category, group)
        if key not in result.values:
            return 0
        return result.shown(key)

    responses = _figure(read(protected[""], None), threshold)
    sections: list[tuple[str, list[QuestionResult]]] = []
    for section in structure.sections:
        items = []
        for question in structure.section_questions(section):
            result = protected[question.code]
            answered_value = read(result, None)
            shown_to = None
            if question.show_if:
                shown_to = _figure(read(protected[f"shown:{question.code}"], None), threshold)
            item = QuestionResult(
                question=question,
                label=question.text("label", language),
                kind=question.kind,
                section_title=section.text("title", language),
                answered=_figure(answered_value, threshold),
                shown_to=shown_to,
                rows=[],
                several=question.kind == Question.Kind.MULTIPLE,
            )
            categories = _category_labels(question, structure, summary, language)
            for category, category_label in categories:
                value = read(result, category)
                item.rows.append(
                    Row(
                        label=category_label,
                        count=_figure(value, threshold),
                        percent=_percent(value, answered_value),
                        bar=round(100 * value / answered_value)
                        if value is not None and answered_value
                        else 0,
                    )
                )
            if question.kind == Question.Kind.NUMBER and answered_value:
                median = medians.get((question.code, *(column or ("", ""))))
                item.median = None if median is None else _number(median)
            if question.kind == Question.Kind.TEXT:
                if answered_value is None:
                    item.texts_hidden = True
                elif answered_value:
                    item.texts = _texts(
                        question,
                        instrument,
                        selection,
                        (text_pages or {}).get(question.code, 1),
                    )
            item.chart = _chart(item.rows)
            if breakdown_by and breakdown_by in summary.groups:
                item.breakdown = _breakdown(
                    result,
                    breakdown_by,
                    summary.groups[breakdown_by],
                    categories,
                    threshold,
                    label,
                )
            items.append(item)
        sections.append((section.text("title", language), items))
    return ResultsPage(
        instrument=instrument,
        title=instrument.text("title", language),
        anonymous=anonymous,
        responses=responses,
        sections=sections,
        selection=[(dimension_name(dim), label(dim, code)) for dim, code in selection.items()],
        breakdown_by=breakdown_by,
        threshold=threshold,
        groups={
            dim: [(code, label(dim, code)) for code in codes]
            for dim, codes in summary.groups.items()
        },
    )


def _category_labels(
    question: Question, structure: Structure, summary: Summary, language: str
) -> list[tuple[str, str]]:
    if question.kind in Question.CHOICE_KINDS:
        return [
            (choice.code, choice.text("label", language))
            for choice in structure.choices[question.code]
        ]
    if question.kind == Question.Kind.NUMBER:
        labels = []
        for index, (start, end) in enumerate(summary.bins[question.code]):
            low, high = _number(start), _number(end)
            text = low if start == end else _("%(low)s to %(high)s") % {"low": low, "high": high}
            labels.append((str(index), text))
        return labels
    if question.kind == Question.Kind.DATE:
        return [
            (month, date_format(datetime.date.fromisoformat(f"{month}-01"), "YEAR_MONTH_FORMAT"))
            for month in summary.categories[question.code]
        ]
    return []


def _number(value: Decimal) -> str:
    normal = value.normalize()
    if normal == normal.to_integral_value():
        return number_format(int(normal), force_grouping=True)
    return number_format(normal, force_grouping=True)


def _median(
    per_combo: Mapping[Combo, Mapping[Decimal, int]], selection: Mapping[str, str]
) -> Decimal | None:
    merged: dict[Decimal, int] = defaultdict(int)
    for combo, values in per_combo.items():
        if all(combo[DIMENSIONS.index(dim)] == value for dim, value in selection.items()):
            for value, n in values.items():
                merged[value] += n
    total = sum(merged.values())
    if not total:
        return None
    middle = [(total - 1) // 2, total // 2]
    found: list[Decimal] = []
    seen = 0
    for value, n in sorted(merged.items()):
        for position in middle:
            if seen <= position < seen + n:
                found.append(value)
        seen += n
    return sum(found, Decimal(0)) / len(found)


def _texts(
    question: Question,
    instrument: Instrument,
    selection: Mapping[str, str],
    page: int,
) -> Page:
    size = int(getattr(settings, "SURVEYS_RESULTS_TEXT_PAGE_SIZE", 10))
    answers = Answer.objects.filter(question=question).exclude(text="")
    for dim, value in selection.items():
        if dim == "subject":
            kind, _colon, ref = value.partition(":")
            answers = answers.filter(response__subject_kind=kind, response__subject_ref=ref)
        else:
            answers = answers.filter(**{f"response__{dim}": value})
    if instrument.mode == Instrument.Mode.ANONYMOUS:
        # Not in the order they came (that would tell who wrote what to someone who knows
        # when they answered), but shuffled, the same way every time, by the database.
        shuffled = answers.annotate(
            scramble=Mod(F("id") * 7919 + question.pk * 104729, 1000003)
        ).order_by("scramble", "id")
        shown = Paginator(shuffled.values_list("text", "response__language"), size).get_page(page)
        # (text, None, language): like the identified answers', without the time.
        return Page(
            [(text, None, language) for text, language in shown], shown.number, shown.paginator
        )
    # (text, time, language): each answer marked in the language it was written in.
    ordered = answers.order_by("-response__submitted_at", "-id").values_list(
        "text", "response__submitted_at", "response__language"
    )
    return Paginator(ordered, size).get_page(page)


def _breakdown(
    result: suppression.Protected,
    dim: str,
    groups: list[str],
    categories: list[tuple[str, str]],
    threshold: int,
    label: Any,
) -> Breakdown:
    def figure(key: suppression.Key) -> Figure:
        return _figure(result.shown(key) if key in result.values else 0, threshold)

    rows = [
        (
            category_label,
            [figure(("cell", dim, category, group)) for group in groups]
            + [figure(("margin", category))],
        )
        for category, category_label in categories
    ]
    totals = [figure(("total", dim, group)) for group in groups] + [figure(("grand",))]
    return Breakdown(
        columns=[label(dim, group) for group in groups] + [_("All")], rows=rows, totals=totals
    )


CHART_WIDTH = 400
CHART_LABEL_LINE = 18
CHART_BAR = 16
CHART_GAP = 12
CHART_LABEL_CHARACTERS = 44


def _chart(rows: list[Row]) -> dict[str, Any] | None:
    """Where the SVG bar chart draws each row: its label above a bar as long as its share."""
    if not rows:
        return None
    import textwrap

    bars = []
    y = 4
    scale = (CHART_WIDTH - 80) / 100
    for row in rows:
        lines = textwrap.wrap(row.label, CHART_LABEL_CHARACTERS) or [""]
        label_lines = [
            (y + 14 + index * CHART_LABEL_LINE, line) for index, line in enumerate(lines)
        ]
        bar_y = y + len(lines) * CHART_LABEL_LINE + 2
        width = round(row.bar * scale, 1)
        bars.append(
            {
                "label_lines": label_lines,
                "y": bar_y,
                "width": width,
                "text_x": round(width + 6, 1),
                "text_y": bar_y + 13,
                "text": row.percent or row.count.text,
                "hidden": row.count.hidden,
            }
        )
        y = bar_y + CHART_BAR + CHART_GAP
    return {"width": CHART_WIDTH, "height": y, "bars": bars, "bar_height": CHART_BAR}
