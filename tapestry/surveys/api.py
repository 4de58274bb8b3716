"""What the other apps may use from surveys: evaluations attached to their courses, events and
awards, as plain values.

Learning, engagement and funding never query the surveys' models: they name their object by
its kind (`Subject`: "course", "event", "award") and its id as text, pick a published
instrument by its link name (`slug`), invite a person when the course is completed or the
event checked out of, and read back how many evaluations came in. Surveys imports none of
them (an import-linter contract checks it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from tapestry.accounts.api import person_get
from tapestry.core.api import audit_record, email_send
from tapestry.surveys.models import (
    Attachment,
    Instrument,
    Language,
    Question,
    Response,
    Subject,
)
from tapestry.surveys.results import summary_cached
from tapestry.surveys.selectors import instrument_structure
from tapestry.surveys.services import SurveyError, token_issue

__all__ = [
    "EVALUATION_PURPOSES",
    "EvaluationChoice",
    "EvaluationSummary",
    "Subject",
    "SurveyError",
    "evaluation_attach",
    "evaluation_detach",
    "evaluation_instruments",
    "evaluation_invite",
    "evaluation_of",
    "evaluation_summary",
]

# The purpose an instrument must have to evaluate each kind of subject.
EVALUATION_PURPOSES: dict[str, str] = {
    Subject.COURSE: Instrument.Purpose.COURSE_EVALUATION,
    Subject.EVENT: Instrument.Purpose.EVENT_EVALUATION,
    Subject.AWARD: Instrument.Purpose.AWARD_EVALUATION,
}
# About how long one question takes to read and answer, for the invitation's "about N minutes".
SECONDS_PER_QUESTION = 20


@dataclass(frozen=True)
class EvaluationChoice:
    """A published instrument another app may attach: its link name, its titles, its purpose."""

    slug: str
    title_en: str
    title_es: str
    purpose: str  # an `Instrument.Purpose` value: "course_evaluation", "event_evaluation"...
    anonymous: bool

    def title(self, language: str | None) -> str:
        """The title in a language ("en", "es", "es-mx"), English where the Spanish is blank."""
        if language and language.startswith("es") and self.title_es:
            return self.title_es
        return self.title_en


@dataclass(frozen=True)
class EvaluationSummary:
    """How many evaluations one subject received.

    `responses` is None when the count is too small to show: for an anonymous instrument,
    fewer than `small_cell` (the `SURVEYS_SMALL_CELL` setting) responses could point at the
    few people who answered. `evaluation` is the instrument attached now (None if none).
    """

    evaluation: EvaluationChoice | None
    responses: int | None
    small_cell: int

    @property
    def suppressed(self) -> bool:
        """True when the count is hidden as "fewer than `small_cell`"."""
        return self.responses is None


def _choice(instrument: Instrument) -> EvaluationChoice:
    return EvaluationChoice(
        slug=instrument.slug,
        title_en=instrument.title_en,
        title_es=instrument.title_es,
        purpose=instrument.purpose,
        anonymous=instrument.mode == Instrument.Mode.ANONYMOUS,
    )


def _subject_checked(subject_kind: str, subject_ref: str) -> tuple[str, str]:
    if subject_kind not in Subject.values:
        raise SurveyError(
            _("An evaluation can be attached to a course, an event or an award, not “%(kind)s”.")
            % {"kind": subject_kind}
        )
    reference = str(subject_ref).strip()
    if not reference or len(reference) > 64:
        raise SurveyError(_("The subject's id must be 1 to 64 characters long."))
    return subject_kind, reference


def evaluation_instruments(*, purpose: str) -> list[EvaluationChoice]:
    """The published instruments with this purpose ("course_evaluation", "event_evaluation",
    "award_evaluation"), by English title: what a course or event form offers to attach."""
    if purpose not in Instrument.Purpose.values:
        raise SurveyError(_("There is no instrument purpose “%(purpose)s”.") % {"purpose": purpose})
    instruments = Instrument.objects.filter(
        purpose=purpose, status=Instrument.Status.PUBLISHED
    ).order_by("title_en", "slug")
    return [_choice(instrument) for instrument in instruments]


@transaction.atomic
def evaluation_attach(
    *, subject_kind: str, subject_ref: str, instrument_slug: str
) -> EvaluationChoice:
    """Attach a published instrument to a course, an event or an award; one per subject, so
    attaching again replaces the previous one (its responses stay with it).

    Raises SurveyError if the subject kind is unknown, the instrument is unknown, not
    published, or made for another purpose (an event evaluation on a course).
    """
    kind, reference = _subject_checked(subject_kind, subject_ref)
    instrument = Instrument.objects.filter(slug=instrument_slug).first()
    if instrument is None:
        raise SurveyError(_("No survey has the link name “%(slug)s”.") % {"slug": instrument_slug})
    if instrument.status != Instrument.Status.PUBLISHED:
        raise SurveyError(
            _("The survey “%(title)s” is not published, so it cannot be attached.")
            % {"title": instrument.title_en}
        )
    if instrument.purpose != EVALUATION_PURPOSES[kind]:
        raise SurveyError(
            _(
                "The survey “%(title)s” cannot be attached here: it is a “%(purpose)s”, and "
                "this needs a “%(expected)s”."
            )
            % {
                "title": instrument.title_en,
                "purpose": instrument.get_purpose_display(),
                "expected": Instrument.Purpose(EVALUATION_PURPOSES[kind]).label,
            }
        )
    attachment, _created = Attachment.objects.update_or_create(
        subject_kind=kind, subject_ref=reference, defaults={"instrument": instrument}
    )
    audit_record(
        actor=None,
        action="surveys.evaluation_attach",
        target=attachment,
        summary=f"Attached {instrument.slug} to {kind} {reference}",
        data={"subject_kind": kind, "subject_ref": reference, "instrument": instrument.slug},
    )
    return _choice(instrument)


@transaction.atomic
def evaluation_detach(*, subject_kind: str, subject_ref: str) -> bool:
    """Remove the evaluation attached to a subject (its responses stay). True if there was
    one; False if nothing was attached. Raises SurveyError for an unknown subject kind."""
    kind, reference = _subject_checked(subject_kind, subject_ref)
    deleted, _by_model = Attachment.objects.filter(
        subject_kind=kind, subject_ref=reference
    ).delete()
    if deleted:
        audit_record(
            actor=None,
            action="surveys.evaluation_detach",
            summary=f"Detached the evaluation of {kind} {reference}",
            data={"subject_kind": kind, "subject_ref": reference},
        )
    return bool(deleted)


def evaluation_of(*, subject_kind: str, subject_ref: str) -> EvaluationChoice | None:
    """The instrument attached to a subject, or None. Raises SurveyError for an unknown kind."""
    kind, reference = _subject_checked(subject_kind, subject_ref)
    attachment = (
        Attachment.objects.select_related("instrument")
        .filter(subject_kind=kind, subject_ref=reference)
        .first()
    )
    return _choice(attachment.instrument) if attachment else None


def _answer_url(slug: str, secret: str) -> str:
    path = reverse("surveys:answer_token", kwargs={"slug": slug, "secret": secret})
    return f"{settings.SITE_URL}{path}"


def _minutes(instrument: Instrument) -> int:
    questions = Question.objects.filter(instrument=instrument).count()
    return max(1, math.ceil(questions * SECONDS_PER_QUESTION / 60))


@transaction.atomic
def evaluation_invite(
    *,
    subject_kind: str,
    subject_ref: str,
    email: str,
    language: str,
    person_id: int | None = None,
) -> str | None:
    """Invite someone to evaluate a subject: called by learning when a course is completed and
    by engagement at an event's check-out.

    Issues a one-time link (the subject is recorded on it; the person only when the instrument
    is identified: an anonymous evaluation never learns who answered) and emails it in
    `language` ("en" or "es") once the caller's transaction commits. Returns the link, or None
    when nothing is attached to the subject or the instrument is not open (not published, not
    yet open, or closed). Raises SurveyError for an unknown subject kind or an invalid email.
    """
    kind, reference = _subject_checked(subject_kind, subject_ref)
    try:
        validate_email(email)
    except ValidationError as error:
        raise SurveyError(_("Enter a valid email address.")) from error
    attachment = (
        Attachment.objects.select_related("instrument")
        .filter(subject_kind=kind, subject_ref=reference)
        .first()
    )
    if attachment is None or not attachment.instrument.is_open():
        return None
    instrument = attachment.instrument
    secret = token_issue(
        instrument=instrument, subject_kind=kind, subject_ref=reference, person_id=person_id
    )
    url = _answer_url(instrument.slug, secret)
    language = Language.SPANISH if str(language).startswith("es") else Language.ENGLISH
    person = person_get(user_id=person_id)
    email_send(
        to=[email],
        template="surveys/email/invitation",
        context={
            "title": instrument.text("title", language),
            "subject_kind": kind,
            "minutes": _minutes(instrument),
            "url": url,
            "closes_at": instrument.closes_at,
            "anonymous": instrument.mode == Instrument.Mode.ANONYMOUS,
        },
        language=language,
        recipient_name=person.name if person else "",
    )
    return url


def evaluation_summary(*, subject_kind: str, subject_ref: str) -> EvaluationSummary:
    """How many evaluations a subject received, over every instrument it has had attached.

    For an anonymous instrument the count is the one its results pages publish for that
    subject, protected with every other subject's and the total (ADR 0019): None ("fewer than
    5", `SURVEYS_SMALL_CELL`) when the results hide it, so that this count read beside the
    results never gives a hidden one away. If any instrument's count is hidden, so is the sum.
    Raises SurveyError for an unknown subject kind.
    """
    kind, reference = _subject_checked(subject_kind, subject_ref)
    small_cell = int(getattr(settings, "SURVEYS_SMALL_CELL", 5))
    evaluation = evaluation_of(subject_kind=kind, subject_ref=reference)
    responses = Response.objects.filter(subject_kind=kind, subject_ref=reference)
    total = 0
    for instrument in Instrument.objects.filter(pk__in=responses.values("instrument_id")).order_by(
        "pk"
    ):
        if instrument.mode == Instrument.Mode.ANONYMOUS:
            protected = summary_cached(instrument_structure(instrument=instrument)).protected[""]
            count = protected.shown(("total", "subject", f"{kind}:{reference}"))
        else:
            count = responses.filter(instrument=instrument).count()
        if count is None:
            return EvaluationSummary(evaluation=evaluation, responses=None, small_cell=small_cell)
        total += count
    return EvaluationSummary(evaluation=evaluation, responses=total, small_cell=small_cell)
