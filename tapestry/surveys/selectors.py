"""Reads: an instrument's structure in order, ready for answering, validating and exporting."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
)

from tapestry.surveys import logic
from tapestry.surveys.models import Answer, Choice, Instrument, Question, Response, Section


@dataclass
class Structure:
    """An instrument with its sections, questions and choices loaded once, in order."""

    instrument: Instrument
    sections: list[Section]
    questions: list[Question]  # every question, in answering order
    by_code: dict[str, Question] = field(default_factory=dict)
    choices: dict[str, list[Choice]] = field(default_factory=dict)  # by question code

    def facts(self) -> list[logic.QuestionFacts]:
        return [
            question.facts(tuple(choice.code for choice in self.choices[question.code]))
            for question in self.questions
        ]

    def conditions(self) -> dict[str, Any]:
        return {question.code: question.show_if for question in self.questions if question.show_if}

    def visible(self, answers: dict[str, logic.Answer]) -> tuple[set[str], dict[str, logic.Answer]]:
        """Which questions show for these answers, and the answers that count (`logic.visible`)."""
        return logic.visible(self.facts(), self.conditions(), answers)

    def section_questions(self, section: Section) -> list[Question]:
        return [question for question in self.questions if question.section_id == section.pk]


def instrument_structure(*, instrument: Instrument) -> Structure:
    sections = list(
        Section.objects.filter(instrument=instrument)
        .order_by("position", "pk")
        .prefetch_related(
            Prefetch(
                "questions",
                queryset=Question.objects.order_by("position", "pk").prefetch_related(
                    Prefetch("choices", queryset=Choice.objects.order_by("position", "pk"))
                ),
            )
        )
    )
    questions = [question for section in sections for question in section.questions.all()]
    return Structure(
        instrument=instrument,
        sections=sections,
        questions=questions,
        by_code={question.code: question for question in questions},
        choices={question.code: list(question.choices.all()) for question in questions},
    )


def instrument_spec(*, structure: Structure) -> dict[str, Any]:
    """The instrument as `schemas.InstrumentSpec` data (templates, API, copies)."""
    instrument = structure.instrument

    def pair(item: Any, name: str) -> dict[str, str]:
        return {"en": getattr(item, f"{name}_en"), "es": getattr(item, f"{name}_es")}

    def number(value: Any) -> str | None:
        return None if value is None else format(value.normalize(), "f")

    return {
        "slug": instrument.slug,
        "title": pair(instrument, "title"),
        "introduction": pair(instrument, "introduction"),
        "purpose": instrument.purpose,
        "mode": instrument.mode,
        "allow_multiple": instrument.allow_multiple,
        "sections": [
            {
                "title": pair(section, "title"),
                "introduction": pair(section, "introduction"),
                "questions": [
                    {
                        "code": question.code,
                        "kind": question.kind,
                        "label": pair(question, "label"),
                        "help": pair(question, "help"),
                        "required": question.required,
                        "minimum": number(question.minimum),
                        "maximum": number(question.maximum),
                        "whole_number": question.whole_number,
                        "show_if": question.show_if,
                        "describes": question.describes,
                        "choices": [
                            {"code": choice.code, "label": pair(choice, "label")}
                            for choice in structure.choices[question.code]
                        ],
                    }
                    for question in structure.section_questions(section)
                ],
            }
            for section in structure.sections
        ],
    }


def instruments_published() -> QuerySet[Instrument]:
    return Instrument.objects.filter(status=Instrument.Status.PUBLISHED)


# API ------------------------------------------------------------------------------------------
# Reads for the JSON API (`endpoints.py`): instruments and responses page by page.


@dataclass(frozen=True)
class Page:
    """One page of a list: the items and where they sit in the whole."""

    items: list[Any]
    count: int
    page: int
    pages: int
    page_size: int


def _page(queryset: QuerySet[Any], *, page: int, page_size: int) -> Page:
    count = queryset.count()
    start = (page - 1) * page_size
    return Page(
        items=list(queryset[start : start + page_size]),
        count=count,
        page=page,
        pages=max(1, -(-count // page_size)),
        page_size=page_size,
    )


def instruments_page(*, page: int, page_size: int) -> Page:
    """Every instrument, newest first, with its number of responses (`response_count`)."""
    queryset = Instrument.objects.annotate(response_count=Count("responses")).order_by(
        "-created_at", "slug"
    )
    return _page(queryset, page=page, page_size=page_size)


def responses_page(*, instrument: Instrument, page: int, page_size: int) -> Page:
    """An instrument's responses, oldest first, as (response, answers) pairs: answers are
    {question code: value, or list of choice codes}, read in one query for the whole page."""
    queryset = Response.objects.filter(instrument=instrument).order_by("submitted_at", "pk")
    result = _page(queryset, page=page, page_size=page_size)
    answers: dict[int, dict[str, str | list[str]]] = {response.pk: {} for response in result.items}
    rows = (
        Answer.objects.filter(response__in=list(answers))
        .order_by(
            "response_id", "question__section__position", "question__position", "choice__position"
        )
        .values_list(
            "response_id",
            "question__code",
            "question__kind",
            "choice__code",
            "number",
            "date",
            "text",
        )
    )
    for response_id, code, kind, choice, number, date, text in rows:
        given = answers[response_id]
        if kind == Question.Kind.MULTIPLE:
            ticked = given.setdefault(code, [])
            assert isinstance(ticked, list)
            ticked.append(choice)
        elif choice is not None:
            given[code] = choice
        elif number is not None:
            given[code] = format(number.normalize(), "f")
        elif date is not None:
            given[code] = date.isoformat()
        else:
            given[code] = text
    return replace(result, items=[(response, answers[response.pk]) for response in result.items])


# Authoring ------------------------------------------------------------------------------------


def _flagged(model: type[Any], path: str, language: str) -> Exists:
    return Exists(model.objects.filter(**{path: OuterRef("pk"), "translation_outdated": language}))


def instruments_for_staff(*, search: str = "") -> QuerySet[Instrument]:
    """Every instrument for the staff list, newest first, with its response count and whether
    any of its items waits for a Spanish (`spanish_outdated`) or English update."""
    instruments = Instrument.objects.all()
    if search:
        instruments = instruments.filter(
            Q(title_en__icontains=search) | Q(title_es__icontains=search)
        )
    annotations: dict[str, Any] = {
        "responses_count": Subquery(
            Response.objects.filter(instrument=OuterRef("pk"))
            .order_by()
            .values("instrument")
            .annotate(count=Count("pk"))
            .values("count")[:1]
        ),
    }
    for language, name in (("es", "spanish_outdated"), ("en", "english_outdated")):
        annotations[name] = ExpressionWrapper(
            Q(translation_outdated=language)
            | _flagged(Section, "instrument", language)
            | _flagged(Question, "instrument", language)
            | _flagged(Choice, "question__instrument", language),
            output_field=BooleanField(),
        )
    return instruments.annotate(**annotations).order_by("-created_at", "slug")


def authoring_summary() -> dict[str, int]:
    """Counts for the staff dashboard panel."""
    rows = instruments_for_staff()
    return {
        "drafts": rows.filter(status=Instrument.Status.DRAFT).count(),
        "published": rows.filter(status=Instrument.Status.PUBLISHED).count(),
        "outdated": rows.filter(Q(spanish_outdated=True) | Q(english_outdated=True)).count(),
    }


def choice_labels(*, structure: Structure, language: str) -> dict[tuple[str, str], str]:
    """{(question code, choice code): label in the language}, for describing conditions."""
    return {
        (code, choice.code): choice.text("label", language)
        for code, choices in structure.choices.items()
        for choice in choices
    }


# Interchange (REDCap) ------------------------------------------------------------------------
# For the REDCap interchange (views/interchange.py, redcap.py).


def instruments_for_interchange() -> QuerySet[Instrument]:
    """Every instrument, newest first, for the staff's REDCap files page."""
    return Instrument.objects.order_by("-created_at", "slug")


def responses_answers(
    *, structure: Structure, language: str = "", batch: int = 1000
) -> Iterator[dict[str, logic.Answer]]:
    """Each response's answers (`logic.Answer` values by question code: choice codes, plain
    decimals, ISO dates, text), oldest response first, optionally in one language only.

    Reads `batch` responses at a time (keyset on the id) and their answers in two range
    queries, so memory stays the same whatever the number of responses: for streaming
    exports. (A batch's answers are few enough to fetch whole: a server-side cursor per batch
    costs PostgreSQL more than it saves.)"""
    responses = Response.objects.filter(instrument=structure.instrument)
    if language:
        responses = responses.filter(language=language)
    # (code, kind) by question id, and choice codes by choice id: no join per answer row.
    questions = {question.pk: (question.code, question.kind) for question in structure.questions}
    choice_codes = {
        choice.pk: choice.code for choices in structure.choices.values() for choice in choices
    }
    multiple, number_kind, date_kind = (
        Question.Kind.MULTIPLE,
        Question.Kind.NUMBER,
        Question.Kind.DATE,
    )
    last = 0
    while True:
        ids = list(
            responses.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:batch]
        )
        if not ids:
            return
        by_response: dict[int, dict[str, logic.Answer]] = {pk: {} for pk in ids}
        # The ids are this instrument's (and language's); answers of other responses in the
        # same id range are skipped below, which is cheaper than joining every answer row to
        # its response to filter them out.
        in_range = Answer.objects.filter(response_id__gte=ids[0], response_id__lte=ids[-1])
        # Choices first, as bare ids (most answers, and no value conversion for them), then
        # the numbers, dates and texts.
        for response_id, question_id, choice_id in in_range.filter(
            choice__isnull=False
        ).values_list("response_id", "question_id", "choice_id"):
            answers = by_response.get(response_id)
            question = questions.get(question_id)
            if answers is None or question is None:
                continue
            code, kind = question
            if kind == multiple:
                ticked = answers.setdefault(code, [])
                assert isinstance(ticked, list)
                ticked.append(choice_codes[choice_id])
            else:
                answers[code] = choice_codes[choice_id]
        for response_id, question_id, number, date, text in in_range.filter(
            choice__isnull=True
        ).values_list("response_id", "question_id", "number", "date", "text"):
            answers = by_response.get(response_id)
            question = questions.get(question_id)
            if answers is None or question is None:
                continue
            code, kind = question
            if kind == number_kind:
                answers[code] = None if number is None else format(number.normalize(), "f")
            elif kind == date_kind:
                answers[code] = None if date is None else date.isoformat()
            else:
                answers[code] = text
        yield from (by_response[pk] for pk in ids)
        last = ids[-1]
