"""Writes: instruments from a spec. (Answering, publishing and editing services join here.)"""

from __future__ import annotations

import datetime
import re
import secrets
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from tapestry.accounts.api import person_roles
from tapestry.core.api import audit_record
from tapestry.network.api import region_of_person, region_of_state
from tapestry.surveys import logic
from tapestry.surveys.demo import answer_rows
from tapestry.surveys.models import (
    AccessToken,
    Answer,
    Choice,
    Draft,
    Instrument,
    Language,
    Question,
    Response,
    Section,
    Subject,
    token_hash,
)
from tapestry.surveys.schemas import InstrumentSpec, QuestionSpec
from tapestry.surveys.selectors import Structure


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


# Answering ----------------------------------------------------------------------------------
# A respondent's way through an instrument: a one-time link or a signed-in person's draft,
# saved section by section, checked, and submitted as one response.

# Free-text answers longer than this are refused (a page of text; more is a paste mistake).
TEXT_LIMIT = 5000
# What Answer.number holds (18 digits, 6 of them after the point).
NUMBER_LIMIT = Decimal(10) ** 12


class WindowClosed(SurveyError):
    """The instrument is not taking responses now (not published, not yet open, or closed)."""


class LinkUnknown(SurveyError):
    """A one-time link secret that matches no link of this instrument."""


class LinkUsed(SurveyError):
    """A one-time link that has already made its response."""


class LinkNotYours(SurveyError):
    """An identified invitation followed by someone other than the person it was for."""


class AlreadyAnswered(SurveyError):
    """An identified instrument this person has answered, which takes one response each."""


class InstrumentChanged(SurveyError):
    """The instrument was edited after the answers were given: they must be checked again."""


class AnswersInvalid(SurveyError):
    """Answers that cannot be accepted; `errors` maps each question code to its message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(_("Please correct the answers marked."))
        self.errors = errors


def answer_problem(
    question: Question, choice_codes: Iterable[str], answer: logic.Answer, *, required: bool
) -> str | None:
    """What is wrong with one answer to a question that shows, or None.

    `required` is False when saving part-way: a required question may still be blank then,
    but an answer that is given must be one the question accepts.
    """
    blank = answer is None or answer == "" or answer == []
    if blank:
        return _("Answer this question.") if required and question.required else None
    allowed = set(choice_codes)
    if question.kind == Question.Kind.MULTIPLE:
        if not isinstance(answer, list) or not all(
            isinstance(item, str) and item in allowed for item in answer
        ):
            return _("Choose from the options listed.")
        return None
    if not isinstance(answer, str):
        return _("Give one answer.")
    if question.kind in (Question.Kind.SINGLE, Question.Kind.LIKERT):
        return None if answer in allowed else _("Choose one of the options listed.")
    if question.kind == Question.Kind.NUMBER:
        return _number_problem(question, answer)
    if question.kind == Question.Kind.DATE:
        try:
            datetime.date.fromisoformat(answer)
        except ValueError:
            return _("Enter a real date, written YYYY-MM-DD, for example 2027-01-03.")
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", answer):
            return _("Enter a real date, written YYYY-MM-DD, for example 2027-01-03.")
        return None
    if len(answer) > TEXT_LIMIT:
        return _("Keep your answer to %(limit)s characters or fewer (it has %(count)s).") % {
            "limit": f"{TEXT_LIMIT:,}",
            "count": f"{len(answer):,}",
        }
    return None


def _number_problem(question: Question, answer: str) -> str | None:
    try:
        number = Decimal(answer.strip().replace(",", ""))
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        return _("Enter a number, for example 12.")
    if question.whole_number and number != number.to_integral_value():
        return _("Enter a whole number, without decimals.")
    minimum, maximum = question.minimum, question.maximum
    if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
        if minimum is not None and maximum is not None:
            return _("Enter a number from %(minimum)s to %(maximum)s.") % {
                "minimum": _plain(minimum),
                "maximum": _plain(maximum),
            }
        if minimum is not None:
            return _("Enter a number of at least %(minimum)s.") % {"minimum": _plain(minimum)}
        assert maximum is not None
        return _("Enter a number of at most %(maximum)s.") % {"maximum": _plain(maximum)}
    if abs(number) >= NUMBER_LIMIT:
        return _("Enter a number smaller than a trillion.")
    return None


def _plain(number: Decimal) -> str:
    return format(number.normalize(), "f")


def answers_check(
    *,
    structure: Structure,
    answers: dict[str, logic.Answer],
    codes: Iterable[str] | None = None,
    required: bool = True,
) -> tuple[dict[str, logic.Answer], dict[str, str]]:
    """Check answers against the instrument as it is now.

    Returns the answers that count (those of questions that show, following the branching; an
    answer to a hidden question is dropped) and the problems by question code, for the
    questions that show among `codes` (all questions if None). The answers returned keep
    problem answers too, so a form can show what the person typed.
    """
    known = {code: answer for code, answer in answers.items() if code in structure.by_code}
    shown, kept = structure.visible(known)
    wanted = set(structure.by_code) if codes is None else set(codes)
    errors: dict[str, str] = {}
    for question in structure.questions:
        if question.code not in shown or question.code not in wanted:
            continue
        problem = answer_problem(
            question,
            (choice.code for choice in structure.choices[question.code]),
            kept.get(question.code),
            required=required,
        )
        if problem:
            errors[question.code] = problem
    return kept, errors


def answers_fitting(*, structure: Structure, answers: dict[str, Any]) -> dict[str, logic.Answer]:
    """The answers that still fit the instrument as it is now: for questions that exist and
    show, with a value the question accepts. Used when the instrument changed under a draft."""
    kept, errors = answers_check(structure=structure, answers=answers, required=False)
    return {
        code: _normalized(structure.by_code[code], answer)
        for code, answer in kept.items()
        if code not in errors and answer not in (None, "", [])
    }


def _normalized(question: Question, answer: logic.Answer) -> logic.Answer:
    if question.kind == Question.Kind.NUMBER and isinstance(answer, str):
        return answer.strip().replace(",", "")
    return answer


def _window_check(instrument: Instrument) -> None:
    if not instrument.is_open():
        raise WindowClosed(_("This survey is not taking answers now."))


@transaction.atomic
def answering_start(*, instrument: Instrument, language: str) -> str:
    """Start an anonymous response from the public link: a new one-time link and its empty
    draft. Returns the link's secret (the answering URL's last part)."""
    _window_check(instrument)
    secret = token_issue(instrument=instrument)
    Draft.objects.create(
        instrument=instrument,
        token=AccessToken.objects.get(secret_hash=token_hash(secret)),
        language=_language(language),
        revision=instrument.revision,
    )
    return secret


def _language(language: str | None) -> str:
    return Language.SPANISH if language and language.startswith("es") else Language.ENGLISH


@transaction.atomic
def draft_for_link(*, instrument: Instrument, secret: str, user: Any, language: str) -> Draft:
    """The draft a one-time link answers with, made on the link's first visit (invitations
    from other apps send links that have no draft yet).

    Raises LinkUnknown, LinkUsed, LinkNotYours (an identified invitation for someone else; the
    caller makes sure identified instruments are answered signed in), AlreadyAnswered, or
    WindowClosed.
    """
    token = (
        AccessToken.objects.select_for_update()
        .filter(instrument=instrument, secret_hash=token_hash(secret))
        .first()
    )
    if token is None:
        raise LinkUnknown(_("This link is not one of this survey's links."))
    if token.used_at is not None:
        raise LinkUsed(_("You have already answered with this link. Thank you."))
    _window_check(instrument)
    if instrument.mode == Instrument.Mode.ANONYMOUS:
        draft, _created = Draft.objects.get_or_create(
            token=token,
            defaults={
                "instrument": instrument,
                "language": _language(language),
                "revision": instrument.revision,
            },
        )
        return draft
    if token.person_id is not None and token.person_id != getattr(user, "pk", None):
        raise LinkNotYours(
            _("This link was sent to someone else. Sign in with the account it was sent to.")
        )
    draft = draft_for_person(instrument=instrument, person=user, language=language)
    if draft.token_id != token.pk:
        # An invitation followed after starting from the survey's page: the response will
        # count for the invitation's course or event, and use up its link.
        Draft.objects.filter(token=token).exclude(pk=draft.pk).delete()
        draft.token = token
        draft.save(update_fields=["token", "updated_at"])
    return draft


@transaction.atomic
def draft_for_person(*, instrument: Instrument, person: Any, language: str) -> Draft:
    """A signed-in person's draft of an identified instrument, made on their first visit.
    Raises AlreadyAnswered if they answered an instrument that takes one response each, or
    WindowClosed."""
    _window_check(instrument)
    if not instrument.allow_multiple and _responses_of(instrument, person).exists():
        raise AlreadyAnswered(
            _("You have already answered this survey. It takes one response from each person.")
        )
    draft, _created = Draft.objects.get_or_create(
        instrument=instrument,
        person=person,
        defaults={"language": _language(language), "revision": instrument.revision},
    )
    return draft


def _responses_of(instrument: Instrument, person: Any) -> QuerySet[Response]:
    return Response.objects.filter(instrument=instrument, person=person)


@transaction.atomic
def draft_save(
    *,
    draft: Draft,
    structure: Structure,
    answers: dict[str, logic.Answer],
    section_position: int,
    language: str,
) -> Draft:
    """Save answers part-way: the answers that count (hidden questions' answers dropped), the
    section to resume at and the language. The caller has checked them (`answers_check`)."""
    kept, _errors = answers_check(structure=structure, answers=answers, required=False)
    draft.answers = {
        code: _normalized(structure.by_code[code], answer)
        for code, answer in kept.items()
        if answer not in (None, "", [])
    }
    draft.section_position = section_position
    draft.language = _language(language)
    draft.revision = structure.instrument.revision
    draft.save(update_fields=["answers", "section_position", "language", "revision", "updated_at"])
    return draft


@transaction.atomic
def response_submit(
    *, draft: Draft, structure: Structure, revision: int, language: str
) -> Response:
    """Turn a draft into a response, all or nothing.

    Checks everything again: the window, the revision the answers were given against (raises
    InstrumentChanged if the instrument changed since), every answer (AnswersInvalid). The
    one-time link is used up by a conditional update, so of two submits with the same link
    exactly one makes a response (the other raises LinkUsed); an identified person's
    sequence number is unique, so a double submit raises AlreadyAnswered.

    An anonymous response keeps no person and no link, and only the day it arrived: the time
    could be matched with the link's use. Role and region come from the answers (questions
    that describe them) for anonymous instruments, from the account for identified ones.
    """
    instrument = structure.instrument
    _window_check(instrument)
    current = Instrument.objects.values_list("revision", flat=True).get(pk=instrument.pk)
    if revision != current or draft.revision != current:
        raise InstrumentChanged(
            _("This survey was changed while you were answering. Please check your answers.")
        )
    kept, errors = answers_check(structure=structure, answers=draft.answers)
    if errors:
        raise AnswersInvalid(errors)
    now = timezone.now()
    token = draft.token
    if token is not None:
        used = AccessToken.objects.filter(pk=token.pk, used_at__isnull=True).update(used_at=now)
        if used != 1:
            raise LinkUsed(_("This link has already been used."))
    anonymous = instrument.mode == Instrument.Mode.ANONYMOUS
    response = Response(
        instrument=instrument,
        revision=current,
        language=_language(language),
        subject_kind=token.subject_kind if token else "",
        subject_ref=token.subject_ref if token else "",
    )
    if anonymous:
        response.submitted_at = now.astimezone(datetime.UTC).replace(
            hour=0, minute=0, second=0, microsecond=0
        )
        response.role, response.region = _described_groups(structure, kept)
    else:
        person = draft.person
        if person is None:
            raise SurveyError(_("Sign in to answer this survey."))
        if not instrument.allow_multiple and _responses_of(instrument, person).exists():
            raise AlreadyAnswered(
                _("You have already answered this survey. It takes one response from each person.")
            )
        response.person = person
        response.sequence = _responses_of(instrument, person).count() + 1
        response.submitted_at = now
        roles = person_roles(user_id=person.pk)
        region = region_of_person(user_id=person.pk)
        response.role = roles[0].value if roles else ""
        response.region = region.code if region else ""
    try:
        with transaction.atomic():
            response.save()
    except IntegrityError as error:
        raise AlreadyAnswered(
            _("Your answers were already sent. They were not sent a second time.")
        ) from error
    answers = {
        code: _normalized(structure.by_code[code], answer)
        for code, answer in kept.items()
        if answer not in (None, "", [])
    }
    Answer.objects.bulk_create(answer_rows(structure, response, answers))
    deleted, _rows = Draft.objects.filter(pk=draft.pk).delete()
    if not deleted and not anonymous:
        # The draft went with another submit of the same person's answers a moment ago.
        raise AlreadyAnswered(
            _("Your answers were already sent. They were not sent a second time.")
        )
    return response


def _described_groups(structure: Structure, answers: dict[str, logic.Answer]) -> tuple[str, str]:
    """An anonymous respondent's role and region, from the questions that describe them."""
    role = region = ""
    for question in structure.questions:
        answer = answers.get(question.code)
        if not isinstance(answer, str) or not answer:
            continue
        if question.describes == Question.Describes.ROLE and not role:
            role = answer[:40]
        elif question.describes == Question.Describes.STATE and not region:
            found = region_of_state(state_code=answer)
            region = found.code if found else ""
    return role, region


# Templates ------------------------------------------------------------------------------------
# The instruments shipped with Tapestry, as InstrumentSpec JSON files in data/templates/.

TEMPLATES_DIR = Path(__file__).resolve().parent / "data" / "templates"


def template_names() -> list[str]:
    """The shipped templates' names (their file names without `.json`), sorted."""
    return sorted(path.stem for path in TEMPLATES_DIR.glob("*.json"))


def template_spec(*, name: str) -> InstrumentSpec:
    """A shipped template as a spec. Raises SurveyError for a name that is not shipped (a name
    is never a path: only the files listed by `template_names` are read)."""
    if name not in template_names():
        raise SurveyError(_("There is no template named %(name)s.") % {"name": name})
    text = (TEMPLATES_DIR / f"{name}.json").read_text(encoding="utf-8")
    return InstrumentSpec.model_validate_json(text)


@transaction.atomic
def instrument_from_template(
    *, name: str, slug: str | None = None, publish: bool = False, created_by: Any = None
) -> Instrument:
    """A new instrument from a shipped template (a draft unless `publish`), under the
    template's link name or `slug`. Raises SpecError if the link name is taken."""
    spec = template_spec(name=name)
    if slug is not None:
        spec = InstrumentSpec.model_validate({**spec.model_dump(), "slug": slug})
    instrument = instrument_create(spec=spec, created_by=created_by)
    if publish:
        instrument.status = Instrument.Status.PUBLISHED
        instrument.save(update_fields=["status", "updated_at"])
    return instrument
