"""Writes: instruments from a spec. (Answering, publishing and editing services join here.)"""

from __future__ import annotations

import secrets
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from tapestry.core.api import audit_record
from tapestry.surveys import logic
from tapestry.surveys.models import (
    AccessToken,
    Choice,
    Instrument,
    Question,
    Section,
    Subject,
    token_hash,
)
from tapestry.surveys.schemas import InstrumentSpec, QuestionSpec


class SurveyError(Exception):
    """A request the surveys app cannot carry out; the message is safe to show the person."""


class SpecError(SurveyError):
    """An instrument spec that does not hold together; `problems` lists every fault found."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def spec_problems(spec: InstrumentSpec) -> list[str]:
    """Everything wrong with a spec that its schema cannot see: duplicate codes, choices on the
    wrong kind of question, ranges out of order, conditions on later or unknown questions."""
    problems: list[str] = []
    earlier: dict[str, logic.QuestionFacts] = {}
    for section in spec.sections:
        for question in section.questions:
            problems.extend(_question_problems(question, earlier))
            earlier[question.code] = logic.QuestionFacts(
                code=question.code,
                kind=question.kind,
                choices=tuple(choice.code for choice in question.choices),
            )
    if spec.mode == Instrument.Mode.ANONYMOUS and spec.allow_multiple:
        problems.append(_("An anonymous survey cannot allow more than one response per person."))
    if not earlier:
        problems.append(_("An instrument needs at least one question."))
    return problems


def _question_problems(
    question: QuestionSpec, earlier: dict[str, logic.QuestionFacts]
) -> list[str]:
    problems = []
    code = question.code
    if code in earlier:
        problems.append(_("%(code)s: the variable name is used twice.") % {"code": code})
    if not question.label.en.strip():
        problems.append(_("%(code)s: the question has no English wording.") % {"code": code})
    has_choices = question.kind in Question.CHOICE_KINDS
    if has_choices and len(question.choices) < 2:
        problems.append(
            _("%(code)s: a choice question needs at least two choices.") % {"code": code}
        )
    if not has_choices and question.choices:
        problems.append(_("%(code)s: only choice questions have choices.") % {"code": code})
    codes = [choice.code for choice in question.choices]
    if len(set(codes)) != len(codes):
        problems.append(_("%(code)s: two choices have the same code.") % {"code": code})
    if question.kind != Question.Kind.NUMBER and (
        question.minimum is not None or question.maximum is not None or question.whole_number
    ):
        problems.append(_("%(code)s: only number questions have a range.") % {"code": code})
    if (
        question.minimum is not None
        and question.maximum is not None
        and question.maximum < question.minimum
    ):
        problems.append(
            _("%(code)s: the largest number is smaller than the smallest.") % {"code": code}
        )
    if question.describes == Question.Describes.ROLE and question.kind != Question.Kind.SINGLE:
        problems.append(_("%(code)s: a role question must be single choice.") % {"code": code})
    if question.describes == Question.Describes.STATE and question.kind != Question.Kind.SINGLE:
        problems.append(
            _("%(code)s: a state question must be single choice, coded by state (GA, PR…).")
            % {"code": code}
        )
    if question.show_if is not None:
        try:
            logic.validate(question.show_if, earlier=earlier)
        except logic.ConditionError as error:
            problems.append(
                _("%(code)s: the condition cannot be used: %(reason)s")
                % {"code": code, "reason": error}
            )
    return problems


@transaction.atomic
def instrument_create(*, spec: InstrumentSpec, created_by: Any = None) -> Instrument:
    """Create a draft instrument from a spec. Raises SpecError listing every problem (and
    creates nothing) if the spec does not hold together or its link name is taken."""
    problems = spec_problems(spec)
    if Instrument.objects.filter(slug=spec.slug).exists():
        problems.insert(0, _("The link name %(slug)s is already used.") % {"slug": spec.slug})
    if problems:
        raise SpecError(problems)
    instrument = Instrument.objects.create(
        slug=spec.slug,
        title_en=spec.title.en,
        title_es=spec.title.es,
        introduction_en=spec.introduction.en,
        introduction_es=spec.introduction.es,
        purpose=spec.purpose,
        mode=spec.mode,
        allow_multiple=spec.allow_multiple,
        created_by=created_by if getattr(created_by, "is_authenticated", False) else None,
    )
    choices: list[Choice] = []
    for section_position, section_spec in enumerate(spec.sections):
        section = Section.objects.create(
            instrument=instrument,
            position=section_position,
            title_en=section_spec.title.en,
            title_es=section_spec.title.es,
            introduction_en=section_spec.introduction.en,
            introduction_es=section_spec.introduction.es,
        )
        for position, question_spec in enumerate(section_spec.questions):
            question = Question.objects.create(
                instrument=instrument,
                section=section,
                position=position,
                code=question_spec.code,
                kind=question_spec.kind,
                label_en=question_spec.label.en,
                label_es=question_spec.label.es,
                help_en=question_spec.help.en,
                help_es=question_spec.help.es,
                required=question_spec.required,
                minimum=question_spec.minimum,
                maximum=question_spec.maximum,
                whole_number=question_spec.whole_number,
                show_if=question_spec.show_if,
                describes=question_spec.describes,
            )
            choices.extend(
                Choice(
                    question=question,
                    position=choice_position,
                    code=choice_spec.code,
                    label_en=choice_spec.label.en,
                    label_es=choice_spec.label.es,
                )
                for choice_position, choice_spec in enumerate(question_spec.choices)
            )
    Choice.objects.bulk_create(choices)
    audit_record(
        actor=created_by,
        action="surveys.instrument_create",
        target=instrument,
        summary=f"Created instrument {instrument.slug}",
    )
    return instrument


def token_issue(
    *,
    instrument: Instrument,
    subject_kind: Subject | str = "",
    subject_ref: str = "",
    person_id: int | None = None,
) -> str:
    """A new one-time link's secret (the part of the URL after /r/); only its hash is stored.

    Anonymous instruments never record the person: `person_id` is kept only for identified
    ones (an invitation to a named learner), so that the link answers for that person alone.
    """
    secret = secrets.token_urlsafe(24)
    AccessToken.objects.create(
        instrument=instrument,
        secret_hash=token_hash(secret),
        person_id=person_id if instrument.mode == Instrument.Mode.IDENTIFIED else None,
        subject_kind=subject_kind,
        subject_ref=subject_ref[:64],
    )
    return secret


# Interchange (REDCap) ------------------------------------------------------------------------
# Owned by the REDCap interchange (views/interchange.py, redcap.py); its imports stay in this
# block so that the blocks of the other activities merge cleanly.

from django.db.models import F, Q  # noqa: E402

from tapestry.surveys.models import Bilingual, other_language  # noqa: E402


@transaction.atomic
def instrument_import(
    *,
    spec: InstrumentSpec,
    language: str,
    created_by: Any,
    form: str,
    report_counts: dict[str, int],
) -> Instrument:
    """Create a draft instrument from an imported REDCap data dictionary (`redcap.py` made the
    spec). The text came in one language: every item whose other language is still blank is
    flagged for the translators. Raises SpecError (creating nothing) like instrument_create."""
    instrument = instrument_create(spec=spec, created_by=created_by)
    other = other_language(language)
    items: list[tuple[type[Bilingual], Q]] = [
        (Instrument, Q(pk=instrument.pk)),
        (Section, Q(instrument=instrument)),
        (Question, Q(instrument=instrument)),
        (Choice, Q(question__instrument=instrument)),
    ]
    for model, scope in items:
        lagging = Q()
        for name in model.TEXT_FIELDS:
            if language == "es":
                # A Spanish file's text stands in for the English (which every page falls
                # back to) until it is translated.
                lagging |= Q(**{f"{name}_en": F(f"{name}_es")}) & ~Q(**{f"{name}_es": ""})
            else:
                lagging |= Q(**{f"{name}_es": ""}) & ~Q(**{f"{name}_en": ""})
        model._default_manager.filter(scope).filter(lagging).update(translation_outdated=other)
    audit_record(
        actor=created_by,
        action="surveys.instrument_import",
        target=instrument,
        summary=f"Imported instrument {instrument.slug} from REDCap form {form}",
        data={"form": form, "language": language, **report_counts},
    )
    return instrument


def responses_export_record(*, actor: Any, instrument: Instrument, language: str) -> None:
    """The audit trail of a records export: who took which instrument's responses."""
    audit_record(
        actor=actor,
        action="surveys.responses_export",
        target=instrument,
        summary=f"Exported the responses to {instrument.slug} as REDCap records",
        data={"language": language or "all"},
    )
