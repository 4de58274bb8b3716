"""Writes: instruments from a spec. (Answering, publishing and editing services join here.)"""

from __future__ import annotations

import datetime
import json
import re
import secrets
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from pydantic import ValidationError as PydanticValidationError

from tapestry.accounts.api import person_roles
from tapestry.core.api import audit_record
from tapestry.network.api import region_of_person, region_of_state
from tapestry.surveys import logic
from tapestry.surveys.models import (
    RESERVED_SLUGS,
    AccessToken,
    Answer,
    Bilingual,
    Choice,
    Draft,
    Instrument,
    Language,
    Question,
    Response,
    Section,
    Subject,
    Tally,
    other_language,
    token_hash,
)
from tapestry.surveys.results import TALLY_COLUMNS, tally_keys
from tapestry.surveys.schemas import InstrumentSpec, QuestionSpec
from tapestry.surveys.selectors import (
    Structure,
    instrument_spec,
    instrument_structure,
    responses_answers,
)


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
    if spec.slug.lower() in RESERVED_SLUGS:
        problems.insert(
            0,
            _("%(slug)s is kept for the site's own pages; choose another link name.")
            % {"slug": spec.slug},
        )
    elif Instrument.objects.filter(slug=spec.slug).exists():
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
    tallies_add(response=response, structure=structure, answers=answers)
    deleted, _rows = Draft.objects.filter(pk=draft.pk).delete()
    if not deleted and not anonymous:
        # The draft went with another submit of the same person's answers a moment ago.
        raise AlreadyAnswered(
            _("Your answers were already sent. They were not sent a second time.")
        )
    return response


def answer_rows(
    structure: Structure, response: Response, answers: dict[str, logic.Answer]
) -> list[Answer]:
    """The Answer rows for already-validated answers (one per ticked choice)."""
    rows: list[Answer] = []
    for code, value in answers.items():
        question = structure.by_code[code]
        choices = {choice.code: choice for choice in structure.choices[code]}
        if question.kind == Question.Kind.MULTIPLE:
            assert isinstance(value, list)
            rows.extend(
                Answer(response=response, question=question, choice=choices[item]) for item in value
            )
        elif question.kind in (Question.Kind.SINGLE, Question.Kind.LIKERT):
            rows.append(Answer(response=response, question=question, choice=choices[str(value)]))
        elif question.kind == Question.Kind.NUMBER:
            rows.append(Answer(response=response, question=question, number=Decimal(str(value))))
        elif question.kind == Question.Kind.DATE:
            rows.append(
                Answer(
                    response=response,
                    question=question,
                    date=datetime.date.fromisoformat(str(value)),
                )
            )
        else:
            rows.append(Answer(response=response, question=question, text=str(value)))
    return rows


def tallies_add(
    *, response: Response, structure: Structure, answers: dict[str, logic.Answer]
) -> None:
    """Count one new response into its instrument's results tallies, in the caller's
    transaction: each count goes up with F(), so two submits at once both count."""
    combo = {
        "role": response.role,
        "region": response.region,
        "language": response.language,
        "subject_kind": response.subject_kind,
        "subject_ref": response.subject_ref,
    }
    for key, n in Counter(tally_keys(structure, answers)).items():
        lookup = {"instrument": structure.instrument, "key": key, **combo}
        if Tally.objects.filter(**lookup).update(n=F("n") + n):
            continue
        try:
            with transaction.atomic():
                Tally.objects.create(**lookup, n=n)
        except IntegrityError:  # another submit created it a moment ago
            Tally.objects.filter(**lookup).update(n=F("n") + n)


@transaction.atomic
def tallies_rebuild(*, instrument: Instrument) -> int:
    """Recount an instrument's tallies from its answers, response by response, the way
    `response_submit` counts each one (after a bulk load, or a change made behind the
    tallies' back). Returns the number of tally rows."""
    structure = instrument_structure(instrument=instrument)
    groups = (
        Response.objects.filter(instrument=instrument)
        .order_by("pk")
        .values_list(*TALLY_COLUMNS)
        .iterator(chunk_size=5000)
    )
    counted: Counter[tuple[str, tuple[str, ...]]] = Counter()
    for answers, combo in zip(responses_answers(structure=structure), groups, strict=True):
        for key in tally_keys(structure, answers):
            counted[(key, combo)] += 1
    Tally.objects.filter(instrument=instrument).delete()
    Tally.objects.bulk_create(
        [
            Tally(
                instrument=instrument, key=key, **dict(zip(TALLY_COLUMNS, combo, strict=True)), n=n
            )
            for (key, combo), n in counted.items()
        ],
        batch_size=5000,
    )
    return len(counted)


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


def drafts_expire(*, now: datetime.datetime | None = None) -> int:
    """Delete drafts untouched for SURVEYS_DRAFT_DAYS, and the unused one-time links they
    belonged to (a link not yet opened expires the same way). Returns the drafts deleted."""
    cutoff = (now or timezone.now()) - datetime.timedelta(days=django_settings.SURVEYS_DRAFT_DAYS)
    with transaction.atomic():
        stale = Draft.objects.filter(updated_at__lt=cutoff)
        deleted = stale.count()
        # A link's draft goes with the link (Draft.token cascades); a person's draft alone.
        AccessToken.objects.filter(used_at__isnull=True, draft__in=stale).delete()
        stale.delete()
        AccessToken.objects.filter(
            used_at__isnull=True, created_at__lt=cutoff, draft__isnull=True
        ).delete()
    return deleted


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


# Authoring ------------------------------------------------------------------------------------
# Staff build and edit instruments here: settings, sections, questions, choices, conditions,
# both languages kept in step, publishing and closing. Every write locks the instrument row
# first, so two staff members editing at once take turns, and is audited. Every change a
# respondent would see bumps `Instrument.revision` (the answering side compares it).

LIKERT_PRESETS_PATH = Path(__file__).resolve().parent / "data" / "likert_presets.json"


class AuthoringRefused(SurveyError):
    """An edit refused because of what the instrument already holds (answers, conditions);
    views answer 409."""


class NotInInstrument(SurveyError):
    """The section, question, choice or item named is not the instrument's; views answer 404."""


class PublishRefused(SurveyError):
    """Publishing refused; `problems` lists what must be fixed, and `translation_only` says
    whether every problem is a missing or outdated Spanish (which staff may override)."""

    def __init__(self, message: str, problems: list[str], *, translation_only: bool) -> None:
        super().__init__(message)
        self.problems = problems
        self.translation_only = translation_only


@dataclass(frozen=True)
class LikertPreset:
    key: str
    name_en: str
    name_es: str
    choices: tuple[tuple[str, str, str], ...]  # (code, English, Spanish)


def likert_presets() -> dict[str, LikertPreset]:
    """The ready-made scales, from data/likert_presets.json."""
    data = json.loads(LIKERT_PRESETS_PATH.read_text(encoding="utf-8"))
    return {
        key: LikertPreset(
            key=key,
            name_en=preset["name"]["en"],
            name_es=preset["name"]["es"],
            choices=tuple((c["code"], c["en"], c["es"]) for c in preset["choices"]),
        )
        for key, preset in data.items()
    }


def _locked(instrument_id: int) -> Instrument:
    try:
        return Instrument.objects.select_for_update().get(pk=instrument_id)
    except Instrument.DoesNotExist:
        raise NotInInstrument(_("There is no such instrument.")) from None


def _revision_bump(instrument: Instrument) -> None:
    Instrument.objects.filter(pk=instrument.pk).update(revision=F("revision") + 1)


def _has_responses(instrument: Instrument) -> bool:
    return Response.objects.filter(instrument=instrument).exists()


def _texts_apply(item: Any, texts: dict[str, str]) -> bool:
    """Set an item's English and Spanish text from `texts` ({"title_en": ...}); flag the
    language left behind (`Bilingual.note_edit`). True if any text changed."""
    before = {language: item.texts(language) for language in Language.values}
    lagging = item.translation_outdated
    for name in item.TEXT_FIELDS:
        for language in Language.values:
            key = f"{name}_{language}"
            if key in texts:
                setattr(item, key, (texts[key] or "").strip())
    item.note_edit(before)
    changed = {language for language in Language.values if item.texts(language) != before[language]}
    if lagging and changed == {lagging}:
        # The lagging language caught up with the other: nothing is behind any more (not the
        # other language, as note_edit alone would have it).
        item.translation_outdated = ""
    return bool(changed)


def _text_fields(item: Any) -> list[str]:
    return [f"{name}_{language}" for name in item.TEXT_FIELDS for language in Language.values]


def _ordered_questions(instrument: Instrument) -> list[Question]:
    return list(
        Question.objects.filter(instrument=instrument)
        .select_related("section")
        .order_by("section__position", "section_id", "position", "pk")
    )


def _choice_codes(instrument: Instrument) -> dict[int, tuple[str, ...]]:
    codes: dict[int, list[str]] = {}
    for question_id, code in (
        Choice.objects.filter(question__instrument=instrument)
        .order_by("position", "pk")
        .values_list("question_id", "code")
    ):
        codes.setdefault(question_id, []).append(code)
    return {key: tuple(value) for key, value in codes.items()}


def _facts(question: Question, choices: dict[int, tuple[str, ...]]) -> logic.QuestionFacts:
    return logic.QuestionFacts(
        code=question.code, kind=question.kind, choices=choices.get(question.pk, ())
    )


def _first_broken_condition(
    questions: list[Question], choices: dict[int, tuple[str, ...]]
) -> tuple[Question, str] | None:
    """The first question, in this order, whose condition no longer holds together (it refers
    to a later or missing question, or a choice or kind that changed), and why."""
    earlier: dict[str, logic.QuestionFacts] = {}
    for question in questions:
        if question.show_if:
            try:
                logic.validate(question.show_if, earlier=earlier)
            except logic.ConditionError as error:
                return question, str(error)
        earlier[question.code] = _facts(question, choices)
    return None


def _refuse_if_broken(
    questions: list[Question], choices: dict[int, tuple[str, ...]], *, what: str
) -> None:
    broken = _first_broken_condition(questions, choices)
    if broken is not None:
        question, _reason = broken
        raise AuthoringRefused(
            _(
                "%(what)s would break the condition of question %(code)s, which may refer "
                "only to questions before it. Change that condition first."
            )
            % {"what": what, "code": question.code}
        )


def _positions_save(items: list[Any]) -> None:
    for position, item in enumerate(items):
        if item.position != position:
            item.position = position
            item.save(update_fields=["position"])


def _audit(actor: Any, action: str, target: Any, summary: str, **data: Any) -> None:
    audit_record(
        actor=actor, action=f"surveys.{action}", target=target, summary=summary, data=data or None
    )


# The instrument's settings


INSTRUMENT_SETTINGS = (
    "slug",
    "purpose",
    "mode",
    "allow_multiple",
    "opens_at",
    "closes_at",
)


@transaction.atomic
def instrument_new(*, actor: Any, settings: dict[str, Any]) -> Instrument:
    """A new draft instrument with one empty section, from the settings form's values."""
    if Instrument.objects.filter(slug=settings["slug"]).exists():
        raise AuthoringRefused(
            _("The link name %(slug)s is already used.") % {"slug": settings["slug"]}
        )
    instrument = Instrument(created_by=actor if getattr(actor, "is_authenticated", False) else None)
    for name in INSTRUMENT_SETTINGS:
        setattr(instrument, name, settings.get(name, getattr(instrument, name)))
    _texts_apply(instrument, settings)
    instrument.translation_outdated = ""
    _model_check(instrument)
    try:
        # Two staff members creating the same link name at once: the second is told so.
        with transaction.atomic():
            instrument.save()
    except IntegrityError:
        raise AuthoringRefused(
            _("The link name %(slug)s is already used.") % {"slug": settings["slug"]}
        ) from None
    Section.objects.create(instrument=instrument, position=0)
    _audit(actor, "instrument_create", instrument, f"Created instrument {instrument.slug}")
    return instrument


def _model_check(item: Any) -> None:
    try:
        item.clean()
    except ValidationError as error:
        raise SurveyError(" ".join(str(m) for m in error.messages)) from None


@transaction.atomic
def instrument_settings_update(
    *, actor: Any, instrument_id: int, settings: dict[str, Any]
) -> Instrument:
    """Change an instrument's settings and texts. The link name and the mode change only
    while there are no responses (links already shared, answers already given under a promise
    of anonymity)."""
    instrument = _locked(instrument_id)
    answered = _has_responses(instrument)
    if settings.get("slug", instrument.slug) != instrument.slug:
        if answered:
            raise AuthoringRefused(
                _("The link name cannot change once there are responses: it has been shared.")
            )
        if Instrument.objects.filter(slug=settings["slug"]).exclude(pk=instrument.pk).exists():
            raise AuthoringRefused(
                _("The link name %(slug)s is already used.") % {"slug": settings["slug"]}
            )
    if settings.get("mode", instrument.mode) != instrument.mode and answered:
        raise AuthoringRefused(
            _("The mode cannot change once there are responses: they were given under it.")
        )
    seen_before = (instrument.mode, instrument.allow_multiple)
    changed = [
        name
        for name in INSTRUMENT_SETTINGS
        if name in settings and settings[name] != getattr(instrument, name)
    ]
    for name in changed:
        setattr(instrument, name, settings[name])
    if _texts_apply(instrument, settings):
        changed.append("texts")
    _model_check(instrument)
    instrument.save()
    if "texts" in changed or (instrument.mode, instrument.allow_multiple) != seen_before:
        _revision_bump(instrument)
    _audit(
        actor,
        "instrument_update",
        instrument,
        f"Changed instrument {instrument.slug}: {', '.join(changed) or 'nothing'}",
        changed=changed,
    )
    return instrument


# Interchange (REDCap) ------------------------------------------------------------------------
# For the REDCap interchange (views/interchange.py, redcap.py).


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


def translation_problems(*, instrument: Instrument) -> list[str]:
    """Every item whose Spanish is missing or flagged as outdated (or whose English is)."""
    problems: list[str] = []
    structure = instrument_structure(instrument=instrument)
    structure_items: list[tuple[str, Any]] = [(_("Instrument"), instrument)]
    for section in structure.sections:
        structure_items.append(
            (_("Section %(number)s") % {"number": section.position + 1}, section)
        )
    for question in structure.questions:
        structure_items.append((_("Question %(code)s") % {"code": question.code}, question))
        for choice in structure.choices[question.code]:
            structure_items.append(
                (
                    _("Choice %(choice)s of %(code)s")
                    % {"choice": choice.code, "code": question.code},
                    choice,
                )
            )
    for name, item in structure_items:
        if item.translation_outdated == Language.SPANISH:
            problems.append(_("%(item)s: the Spanish needs an update.") % {"item": name})
        elif item.translation_outdated == Language.ENGLISH:
            problems.append(_("%(item)s: the English needs an update.") % {"item": name})
        elif any(
            getattr(item, f"{field}_en").strip() and not getattr(item, f"{field}_es").strip()
            for field in item.TEXT_FIELDS
        ):
            problems.append(_("%(item)s: the Spanish is missing.") % {"item": name})
    return problems


@transaction.atomic
def instrument_publish(*, actor: Any, instrument_id: int, english_only: bool = False) -> Instrument:
    """Publish a draft. Refused (PublishRefused, listing every problem) while the instrument
    does not hold together (no question, a choice question without two choices...) or, unless
    `english_only`, while any item's Spanish is missing or outdated."""
    instrument = _locked(instrument_id)
    if instrument.status != Instrument.Status.DRAFT:
        raise AuthoringRefused(_("Only a draft can be published."))
    spec = instrument_spec(structure=instrument_structure(instrument=instrument))
    try:
        problems = spec_problems(InstrumentSpec.model_validate(spec))
    except PydanticValidationError as error:
        # Limits only the spec knows (no section at all, a text too long for the API).
        problems = [
            _("%(where)s: %(problem)s")
            % {"where": ".".join(str(part) for part in item["loc"]), "problem": item["msg"]}
            for item in error.errors()
        ]
        if not instrument.questions.exists():
            problems = [_("An instrument needs at least one question.")]
    if problems:
        raise PublishRefused(
            _("The instrument cannot be published yet."), problems, translation_only=False
        )
    missing = translation_problems(instrument=instrument)
    if missing and not english_only:
        raise PublishRefused(
            _(
                "Some Spanish text is missing or needs an update. Fix it on the translation "
                "page, or publish in English only for now."
            ),
            missing,
            translation_only=True,
        )
    instrument.status = Instrument.Status.PUBLISHED
    instrument.save(update_fields=["status", "updated_at"])
    _audit(
        actor,
        "instrument_publish",
        instrument,
        f"Published instrument {instrument.slug}" + (" in English only for now" if missing else ""),
        english_only=bool(missing),
    )
    return instrument


@transaction.atomic
def instrument_archive(*, actor: Any, instrument_id: int) -> Instrument:
    """Close a published instrument for good; its responses stay."""
    instrument = _locked(instrument_id)
    if instrument.status != Instrument.Status.PUBLISHED:
        raise AuthoringRefused(_("Only a published instrument can be archived."))
    instrument.status = Instrument.Status.ARCHIVED
    instrument.save(update_fields=["status", "updated_at"])
    _audit(actor, "instrument_archive", instrument, f"Archived instrument {instrument.slug}")
    return instrument


@transaction.atomic
def instrument_close_now(*, actor: Any, instrument_id: int) -> Instrument:
    """Stop taking responses now (the window's end moves to this moment)."""
    instrument = _locked(instrument_id)
    now = timezone.now()
    if instrument.status != Instrument.Status.PUBLISHED:
        raise AuthoringRefused(_("Only a published instrument can be closed."))
    if instrument.closes_at is not None and instrument.closes_at <= now:
        raise AuthoringRefused(_("This instrument is already closed."))
    if instrument.opens_at is not None and instrument.opens_at >= now:
        raise AuthoringRefused(
            _("This instrument has not opened yet: change its dates or archive it instead.")
        )
    instrument.closes_at = now
    instrument.save(update_fields=["closes_at", "updated_at"])
    _audit(actor, "instrument_close", instrument, f"Closed instrument {instrument.slug} early")
    return instrument


# Sections


SECTION_TEXTS = ("title_en", "title_es", "introduction_en", "introduction_es")


@transaction.atomic
def section_add(*, actor: Any, instrument_id: int, texts: dict[str, str]) -> Section:
    instrument = _locked(instrument_id)
    position = Section.objects.filter(instrument=instrument).count()
    section = Section(instrument=instrument, position=position)
    _texts_apply(section, texts)
    section.translation_outdated = ""
    section.save()
    _revision_bump(instrument)
    _audit(actor, "section_add", section, f"Added section {position + 1} to {instrument.slug}")
    return section


def _section(instrument: Instrument, section_id: int) -> Section:
    section = Section.objects.filter(instrument=instrument, pk=section_id).first()
    if section is None:
        raise NotInInstrument(_("There is no such section in this instrument."))
    return section


@transaction.atomic
def section_update(
    *, actor: Any, instrument_id: int, section_id: int, texts: dict[str, str]
) -> Section:
    instrument = _locked(instrument_id)
    section = _section(instrument, section_id)
    if _texts_apply(section, texts):
        section.save()
        _revision_bump(instrument)
        _audit(
            actor, "section_update", section, f"Edited section {section.pk} of {instrument.slug}"
        )
    return section


@transaction.atomic
def section_move(*, actor: Any, instrument_id: int, section_id: int, up: bool) -> Section:
    """Swap a section with the one before (up) or after it. Refused if a question's condition
    would then refer to a question after it."""
    instrument = _locked(instrument_id)
    sections = list(Section.objects.filter(instrument=instrument).order_by("position", "pk"))
    section = _section(instrument, section_id)
    index = next(i for i, item in enumerate(sections) if item.pk == section.pk)
    other = index - 1 if up else index + 1
    if not 0 <= other < len(sections):
        raise AuthoringRefused(
            _("This section is already the first.")
            if up
            else _("This section is already the last.")
        )
    sections[index], sections[other] = sections[other], sections[index]
    order = {item.pk: position for position, item in enumerate(sections)}
    questions = sorted(
        _ordered_questions(instrument), key=lambda q: (order[q.section_id], q.position, q.pk)
    )
    _refuse_if_broken(questions, _choice_codes(instrument), what=_("Moving this section"))
    _positions_save(sections)
    _revision_bump(instrument)
    _audit(actor, "section_move", section, f"Moved section {section.pk} of {instrument.slug}")
    return section


@transaction.atomic
def section_delete(*, actor: Any, instrument_id: int, section_id: int) -> None:
    """Delete a section and its questions, unless any of them has answers or a later
    question's condition refers to one."""
    instrument = _locked(instrument_id)
    section = _section(instrument, section_id)
    answers = Answer.objects.filter(question__section=section).count()
    if answers:
        raise AuthoringRefused(
            ngettext(
                "This section's questions have %(count)s answer; it cannot be deleted.",
                "This section's questions have %(count)s answers; it cannot be deleted.",
                answers,
            )
            % {"count": answers}
        )
    remaining = [q for q in _ordered_questions(instrument) if q.section_id != section.pk]
    _refuse_if_broken(remaining, _choice_codes(instrument), what=_("Deleting this section"))
    _audit(actor, "section_delete", section, f"Deleted section {section.pk} of {instrument.slug}")
    section.delete()
    _positions_save(list(Section.objects.filter(instrument=instrument).order_by("position", "pk")))
    _revision_bump(instrument)


# Questions

QUESTION_FIELDS = ("code", "kind", "required", "minimum", "maximum", "whole_number", "describes")


def _question(instrument: Instrument, question_id: int) -> Question:
    question = Question.objects.filter(instrument=instrument, pk=question_id).first()
    if question is None:
        raise NotInInstrument(_("There is no such question in this instrument."))
    return question


def _question_fields_check(question: Question) -> None:
    if question.kind != Question.Kind.NUMBER:
        question.minimum = question.maximum = None
        question.whole_number = False
    if question.describes and question.kind != Question.Kind.SINGLE:
        raise SurveyError(
            _("A question that describes the respondent's role or state must be single choice.")
        )
    _model_check(question)


@transaction.atomic
def question_add(
    *, actor: Any, instrument_id: int, section_id: int, details: dict[str, Any]
) -> Question:
    """A new question at the end of a section. Once there are responses a new question must
    be optional (earlier respondents could not answer it)."""
    instrument = _locked(instrument_id)
    section = _section(instrument, section_id)
    if Question.objects.filter(instrument=instrument, code=details["code"]).exists():
        raise AuthoringRefused(
            _("The variable name %(code)s is already used in this instrument.")
            % {"code": details["code"]}
        )
    if details.get("required") and _has_responses(instrument):
        raise AuthoringRefused(
            _(
                "This instrument already has responses, so a new question must be optional: "
                "earlier respondents could not answer it."
            )
        )
    question = Question(
        instrument=instrument,
        section=section,
        position=Question.objects.filter(section=section).count(),
    )
    for name in QUESTION_FIELDS:
        if name in details:
            setattr(question, name, details[name])
    _texts_apply(question, details)
    question.translation_outdated = ""
    _question_fields_check(question)
    question.save()
    _revision_bump(instrument)
    _audit(actor, "question_add", question, f"Added question {question.code} to {instrument.slug}")
    return question


@transaction.atomic
def question_update(
    *, actor: Any, instrument_id: int, question_id: int, details: dict[str, Any]
) -> Question:
    """Edit a question. Refused: a variable name used twice; renaming or changing the kind of
    a question that has answers or that a later condition refers to; making a question
    required once the instrument has responses."""
    instrument = _locked(instrument_id)
    question = _question(instrument, question_id)
    answers = Answer.objects.filter(question=question).count()
    new_code = details.get("code", question.code)
    new_kind = details.get("kind", question.kind)
    if new_code != question.code:
        if Question.objects.filter(instrument=instrument, code=new_code).exists():
            raise AuthoringRefused(
                _("The variable name %(code)s is already used in this instrument.")
                % {"code": new_code}
            )
        if answers:
            raise AuthoringRefused(
                _(
                    "This question has answers, so its variable name cannot change: exports "
                    "and earlier reports use it."
                )
            )
    if new_kind != question.kind and answers:
        raise AuthoringRefused(
            ngettext(
                "This question has %(count)s answer, so its type cannot change.",
                "This question has %(count)s answers, so its type cannot change.",
                answers,
            )
            % {"count": answers}
        )
    if details.get("required") and not question.required and _has_responses(instrument):
        raise AuthoringRefused(
            _(
                "This instrument already has responses, so a question cannot become required: "
                "earlier respondents may have left it blank."
            )
        )
    old_code = question.code
    changed = [
        name
        for name in QUESTION_FIELDS
        if name in details and details[name] != getattr(question, name)
    ]
    for name in changed:
        setattr(question, name, details[name])
    _question_fields_check(question)
    texts_changed = _texts_apply(question, details)
    choices = _choice_codes(instrument)
    if question.kind not in Question.CHOICE_KINDS:
        choices.pop(question.pk, None)
    questions = [question if q.pk == question.pk else q for q in _ordered_questions(instrument)]
    if new_code != old_code and any(
        old_code in logic.references(q.show_if) for q in questions if q.show_if
    ):
        referring = next(
            q for q in questions if q.show_if and old_code in logic.references(q.show_if)
        )
        raise AuthoringRefused(
            _(
                "Question %(code)s's condition refers to %(old)s: change that condition before "
                "renaming this question."
            )
            % {"code": referring.code, "old": old_code}
        )
    _refuse_if_broken(questions, choices, what=_("This change"))
    if question.kind not in Question.CHOICE_KINDS:
        Choice.objects.filter(question=question).delete()
    question.save()
    if changed or texts_changed:
        _revision_bump(instrument)
        _audit(
            actor,
            "question_update",
            question,
            f"Edited question {question.code} of {instrument.slug}",
            changed=changed + (["texts"] if texts_changed else []),
        )
    return question


@transaction.atomic
def question_move(*, actor: Any, instrument_id: int, question_id: int, up: bool) -> Question:
    """Move a question one place up or down; past the first or last place of its section it
    moves to the end of the section before or the start of the section after. Refused, naming
    the question, if a condition would then refer to a question after it."""
    instrument = _locked(instrument_id)
    question = _question(instrument, question_id)
    sections = list(Section.objects.filter(instrument=instrument).order_by("position", "pk"))
    by_section: dict[int, list[Question]] = {section.pk: [] for section in sections}
    for item in _ordered_questions(instrument):
        by_section[item.section_id].append(item)
    siblings = by_section[question.section_id]
    index = next(i for i, item in enumerate(siblings) if item.pk == question.pk)
    section_index = next(i for i, s in enumerate(sections) if s.pk == question.section_id)
    target = index - 1 if up else index + 1
    touched = [question.section_id]
    if 0 <= target < len(siblings):
        siblings[index], siblings[target] = siblings[target], siblings[index]
    else:
        other = section_index - 1 if up else section_index + 1
        if not 0 <= other < len(sections):
            raise AuthoringRefused(
                _("This question is already the first.")
                if up
                else _("This question is already the last.")
            )
        siblings.pop(index)
        destination = by_section[sections[other].pk]
        if up:
            destination.append(question)
        else:
            destination.insert(0, question)
        question.section = sections[other]
        touched.append(sections[other].pk)
    order = [item for section in sections for item in by_section[section.pk]]
    _refuse_if_broken(
        order, _choice_codes(instrument), what=_("Moving %(code)s") % {"code": question.code}
    )
    if len(touched) > 1:
        question.save(update_fields=["section"])
    for section_id in touched:
        _positions_save(by_section[section_id])
    _revision_bump(instrument)
    _audit(actor, "question_move", question, f"Moved question {question.code} of {instrument.slug}")
    return question


@transaction.atomic
def question_delete(*, actor: Any, instrument_id: int, question_id: int) -> None:
    """Delete a question that has no answers and that no later condition refers to."""
    instrument = _locked(instrument_id)
    question = _question(instrument, question_id)
    answers = Answer.objects.filter(question=question).values("response_id").distinct().count()
    if answers:
        raise AuthoringRefused(
            ngettext(
                "%(code)s has %(count)s answer; it cannot be deleted.",
                "%(code)s has %(count)s answers; it cannot be deleted.",
                answers,
            )
            % {"code": question.code, "count": answers}
        )
    remaining = [q for q in _ordered_questions(instrument) if q.pk != question.pk]
    _refuse_if_broken(
        remaining, _choice_codes(instrument), what=_("Deleting %(code)s") % {"code": question.code}
    )
    _audit(
        actor, "question_delete", question, f"Deleted question {question.code} of {instrument.slug}"
    )
    section = question.section
    question.delete()
    _positions_save(list(Question.objects.filter(section=section).order_by("position", "pk")))
    _revision_bump(instrument)


@transaction.atomic
def question_condition_set(
    *, actor: Any, instrument_id: int, question_id: int, condition: dict[str, Any] | None
) -> Question:
    """Set "show this question if" (None: always shown), after `logic.validate` against the
    questions before it."""
    instrument = _locked(instrument_id)
    question = _question(instrument, question_id)
    ordered = _ordered_questions(instrument)
    choices = _choice_codes(instrument)
    earlier: dict[str, logic.QuestionFacts] = {}
    for item in ordered:
        if item.pk == question.pk:
            break
        earlier[item.code] = _facts(item, choices)
    if condition:
        try:
            logic.validate(condition, earlier=earlier)
        except logic.ConditionError as error:
            raise AuthoringRefused(
                _("The condition cannot be used: %(reason)s") % {"reason": error}
            ) from None
    question.show_if = condition or None
    question.save(update_fields=["show_if"])
    _revision_bump(instrument)
    _audit(
        actor,
        "question_condition",
        question,
        f"Set the condition of {question.code} of {instrument.slug}",
        condition=condition,
    )
    return question


# Choices


def _choice(instrument: Instrument, choice_id: int) -> Choice:
    choice = (
        Choice.objects.filter(question__instrument=instrument, pk=choice_id)
        .select_related("question")
        .first()
    )
    if choice is None:
        raise NotInInstrument(_("There is no such choice in this instrument."))
    return choice


def _choice_question(instrument: Instrument, question_id: int) -> Question:
    question = _question(instrument, question_id)
    if question.kind not in Question.CHOICE_KINDS:
        raise AuthoringRefused(_("Only choice and Likert questions have choices."))
    return question


@transaction.atomic
def choice_add(
    *, actor: Any, instrument_id: int, question_id: int, details: dict[str, Any]
) -> Choice:
    instrument = _locked(instrument_id)
    question = _choice_question(instrument, question_id)
    if Choice.objects.filter(question=question, code=details["code"]).exists():
        raise AuthoringRefused(
            _("%(code)s already has a choice coded %(choice)s.")
            % {"code": question.code, "choice": details["code"]}
        )
    choice = Choice(
        question=question,
        code=details["code"],
        position=Choice.objects.filter(question=question).count(),
    )
    _texts_apply(choice, details)
    choice.translation_outdated = ""
    choice.save()
    _revision_bump(instrument)
    _audit(actor, "choice_add", choice, f"Added choice {choice.code} to {question.code}")
    return choice


def _choice_referrers(instrument: Instrument, question: Question, code: str) -> list[str]:
    """The codes of the questions whose condition names this choice."""

    def names(node: Any) -> bool:
        if not node:
            return False
        if node["op"] in logic.GROUPS:
            return any(names(arg) for arg in node["args"])
        return node.get("question") == question.code and code in (
            node.get("choice"),
            node.get("value"),
        )

    return [q.code for q in _ordered_questions(instrument) if names(q.show_if)]


@transaction.atomic
def choice_update(
    *, actor: Any, instrument_id: int, choice_id: int, details: dict[str, Any]
) -> Choice:
    """Edit a choice's labels (and its code while nothing answered it and no condition names
    it: the code is what answers and exports store)."""
    instrument = _locked(instrument_id)
    choice = _choice(instrument, choice_id)
    new_code = details.get("code", choice.code)
    if new_code != choice.code:
        if Answer.objects.filter(choice=choice).exists():
            raise AuthoringRefused(_("This choice has answers, so its code cannot change."))
        if Choice.objects.filter(question=choice.question, code=new_code).exists():
            raise AuthoringRefused(
                _("%(code)s already has a choice coded %(choice)s.")
                % {"code": choice.question.code, "choice": new_code}
            )
        referrers = _choice_referrers(instrument, choice.question, choice.code)
        if referrers:
            raise AuthoringRefused(
                _("The condition of %(codes)s names this choice: change it first.")
                % {"codes": ", ".join(referrers)}
            )
        choice.code = new_code
    texts_changed = _texts_apply(choice, details)
    choice.save()
    if texts_changed or new_code != choice.code:
        _revision_bump(instrument)
    _audit(actor, "choice_update", choice, f"Edited choice {choice.code} of {choice.question.code}")
    return choice


@transaction.atomic
def choice_move(*, actor: Any, instrument_id: int, choice_id: int, up: bool) -> Choice:
    instrument = _locked(instrument_id)
    choice = _choice(instrument, choice_id)
    siblings = list(Choice.objects.filter(question=choice.question).order_by("position", "pk"))
    index = next(i for i, item in enumerate(siblings) if item.pk == choice.pk)
    other = index - 1 if up else index + 1
    if not 0 <= other < len(siblings):
        raise AuthoringRefused(
            _("This choice is already the first.") if up else _("This choice is already the last.")
        )
    siblings[index], siblings[other] = siblings[other], siblings[index]
    _positions_save(siblings)
    _revision_bump(instrument)
    _audit(actor, "choice_move", choice, f"Moved choice {choice.code} of {choice.question.code}")
    return choice


@transaction.atomic
def choice_delete(*, actor: Any, instrument_id: int, choice_id: int) -> None:
    """Delete a choice nobody chose and no condition names."""
    instrument = _locked(instrument_id)
    choice = _choice(instrument, choice_id)
    answers = Answer.objects.filter(choice=choice).count()
    if answers:
        raise AuthoringRefused(
            ngettext(
                "The choice %(choice)s has %(count)s answer; it cannot be removed.",
                "The choice %(choice)s has %(count)s answers; it cannot be removed.",
                answers,
            )
            % {"choice": choice.code, "count": answers}
        )
    referrers = _choice_referrers(instrument, choice.question, choice.code)
    if referrers:
        raise AuthoringRefused(
            _("The condition of %(codes)s names this choice: change it first.")
            % {"codes": ", ".join(referrers)}
        )
    question = choice.question
    _audit(actor, "choice_delete", choice, f"Deleted choice {choice.code} of {question.code}")
    choice.delete()
    _positions_save(list(Choice.objects.filter(question=question).order_by("position", "pk")))
    _revision_bump(instrument)


@transaction.atomic
def choices_preset_apply(
    *, actor: Any, instrument_id: int, question_id: int, preset: str
) -> Question:
    """Replace a question's choices with a ready-made scale (in both languages). Refused if a
    current choice has answers or is named by a condition."""
    instrument = _locked(instrument_id)
    question = _choice_question(instrument, question_id)
    scale = likert_presets().get(preset)
    if scale is None:
        raise SurveyError(_("There is no such scale."))
    current = list(Choice.objects.filter(question=question))
    if Answer.objects.filter(choice__in=current).exists():
        raise AuthoringRefused(
            _("This question's choices have answers, so they cannot be replaced.")
        )
    for choice in current:
        if _choice_referrers(instrument, question, choice.code):
            raise AuthoringRefused(
                _("The condition of %(codes)s names this choice: change it first.")
                % {"codes": ", ".join(_choice_referrers(instrument, question, choice.code))}
            )
    Choice.objects.filter(question=question).delete()
    Choice.objects.bulk_create(
        Choice(question=question, position=position, code=code, label_en=en, label_es=es)
        for position, (code, en, es) in enumerate(scale.choices)
    )
    _revision_bump(instrument)
    _audit(actor, "choices_preset", question, f"Gave {question.code} the {preset} scale")
    return question


# Keeping English and Spanish in step

TRANSLATABLE: dict[str, type[Any]] = {
    "instrument": Instrument,
    "section": Section,
    "question": Question,
    "choice": Choice,
}


def translatable_item(instrument: Instrument, kind: str, item_id: int) -> Any:
    """An instrument's own item of a kind ("instrument", "section", "question", "choice") by
    id; SurveyError if the instrument holds no such item."""
    model = TRANSLATABLE.get(kind)
    if model is None or (model is Instrument and item_id != instrument.pk):
        raise NotInInstrument(_("There is no such item in this instrument."))
    if model is Instrument:
        return instrument
    scope = {"question__instrument": instrument} if model is Choice else {"instrument": instrument}
    item = model.objects.filter(pk=item_id, **scope).first()
    if item is None:
        raise NotInInstrument(_("There is no such item in this instrument."))
    return item


@transaction.atomic
def translation_update(
    *, actor: Any, instrument_id: int, kind: str, item_id: int, texts: dict[str, str]
) -> Any:
    """Edit one item's texts from the translation page (the same flags as any edit)."""
    instrument = _locked(instrument_id)
    item = translatable_item(instrument, kind, item_id)
    if _texts_apply(item, texts):
        item.save()
        _revision_bump(instrument)
        _audit(
            actor,
            "translation_update",
            item,
            f"Edited the texts of {kind} {item.pk} of {instrument.slug}",
        )
    return item


@transaction.atomic
def translation_confirm(*, actor: Any, instrument_id: int, kind: str, item_id: int) -> Any:
    """A translator says the flagged language is up to date as it is: the flag clears."""
    instrument = _locked(instrument_id)
    item = translatable_item(instrument, kind, item_id)
    flagged = item.translation_outdated
    if flagged:
        item.translation_outdated = ""
        item.save(update_fields=["translation_outdated"])
        _audit(
            actor,
            "translation_confirm",
            item,
            f"Confirmed the {flagged} text of {kind} {item.pk} of {instrument.slug}",
            language=flagged,
        )
    return item


def responses_export_record(*, actor: Any, instrument: Instrument, language: str) -> None:
    """The audit trail of a records export: who took which instrument's responses."""
    audit_record(
        actor=actor,
        action="surveys.responses_export",
        target=instrument,
        summary=f"Exported the responses to {instrument.slug} as REDCap records",
        data={"language": language or "all"},
    )
