"""Instruments (sections, questions, choices) in two languages, and the responses to them.

One instrument has one structure and its text in English and Spanish side by side, so answers
in either language count together and results filter by language. Editing one language's text
flags the other as needing an update (`Bilingual.translation_outdated`) until a translator
edits or confirms it.
"""

from __future__ import annotations

import hashlib
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tapestry.surveys.logic import CODE_PATTERN, QuestionFacts

code_validator = RegexValidator(
    CODE_PATTERN,
    _(
        "Use lower-case letters, digits and underscores, starting with a letter (as REDCap "
        "variable names do), for example needs_topics."
    ),
    code="invalid_code",
)
# Paths under /surveys/ that an instrument's link name must not take.
RESERVED_SLUGS = frozenset({"staff"})


def validate_slug_free(value: str) -> None:
    if value.lower() in RESERVED_SLUGS:
        raise ValidationError(
            _("%(slug)s is kept for the site's own pages; choose another link name."),
            params={"slug": value},
            code="reserved_slug",
        )


choice_code_validator = RegexValidator(
    r"^[A-Za-z0-9_.-]{1,20}$",
    _("Use up to 20 letters, digits, underscores, periods or hyphens, for example 1 or yes."),
    code="invalid_choice_code",
)


class Language(models.TextChoices):
    ENGLISH = "en", _("English")
    SPANISH = "es", _("Spanish")


def other_language(language: str) -> str:
    return Language.SPANISH if language == Language.ENGLISH else Language.ENGLISH


class Bilingual(models.Model):
    """Text kept in English and Spanish: each name in TEXT_FIELDS is a pair `<name>_en`,
    `<name>_es`. When one language's text changes and the other's does not, the other is
    flagged as outdated until it is edited or confirmed (`services.translation_confirm`)."""

    TEXT_FIELDS: ClassVar[tuple[str, ...]] = ()

    translation_outdated = models.CharField(
        _("translation needing an update"),
        max_length=2,
        choices=Language.choices,
        blank=True,
        help_text=_("The language whose text has not caught up with the other's latest change."),
    )

    class Meta:
        abstract = True

    def text(self, name: str, language: str | None) -> str:
        """The text in a language, falling back to English where the Spanish is still blank."""
        if language and language.startswith("es"):
            spanish = getattr(self, f"{name}_es")
            if spanish:
                return str(spanish)
        return str(getattr(self, f"{name}_en"))

    def texts(self, language: str) -> dict[str, str]:
        return {name: getattr(self, f"{name}_{language}") for name in self.TEXT_FIELDS}

    def note_edit(self, before: dict[str, dict[str, str]]) -> None:
        """Flag the lagging language after an edit; `before` is `{"en": texts("en"), "es": ...}`
        taken before the change."""
        changed = {
            language for language in Language.values if self.texts(language) != before[language]
        }
        if changed == {Language.ENGLISH}:
            self.translation_outdated = Language.SPANISH
        elif changed == {Language.SPANISH}:
            self.translation_outdated = Language.ENGLISH
        elif changed:
            self.translation_outdated = ""


class Instrument(Bilingual):
    """A questionnaire: a needs assessment, an evaluation, any set of questions."""

    TEXT_FIELDS = ("title", "introduction")

    class Mode(models.TextChoices):
        ANONYMOUS = "anonymous", _("Anonymous")
        IDENTIFIED = "identified", _("Identified")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        ARCHIVED = "archived", _("Archived")

    class Purpose(models.TextChoices):
        NEEDS_ASSESSMENT = "needs_assessment", _("Needs assessment")
        COURSE_EVALUATION = "course_evaluation", _("Course evaluation")
        EVENT_EVALUATION = "event_evaluation", _("Event evaluation")
        AWARD_EVALUATION = "award_evaluation", _("Award evaluation")
        OTHER = "other", _("Other")

    slug = models.SlugField(
        _("link name"),
        max_length=60,
        unique=True,
        validators=[validate_slug_free],
        help_text=_("The end of the public link, for example library-needs-2027."),
    )
    title_en = models.CharField(_("title (English)"), max_length=200)
    title_es = models.CharField(_("title (Spanish)"), max_length=200, blank=True)
    introduction_en = models.TextField(_("introduction (English)"), blank=True)
    introduction_es = models.TextField(_("introduction (Spanish)"), blank=True)
    purpose = models.CharField(
        _("purpose"), max_length=30, choices=Purpose.choices, default=Purpose.OTHER
    )
    mode = models.CharField(_("mode"), max_length=20, choices=Mode.choices, default=Mode.ANONYMOUS)
    allow_multiple = models.BooleanField(
        _("allow more than one response per person"),
        default=False,
        help_text=_("Identified instruments only: a person may answer again."),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    opens_at = models.DateTimeField(_("opens"), null=True, blank=True)
    closes_at = models.DateTimeField(_("closes"), null=True, blank=True)
    # Goes up with every change a respondent would see (text, questions, choices, conditions),
    # so an answer form filled against an older revision is caught at submission.
    revision = models.PositiveIntegerField(default=1, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "slug"]
        verbose_name = _("instrument")
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_at__isnull=True)
                | Q(opens_at__isnull=True)
                | Q(closes_at__gt=models.F("opens_at")),
                name="surveys_instrument_window_in_order",
            ),
            models.CheckConstraint(
                condition=Q(mode="identified") | Q(allow_multiple=False),
                name="surveys_instrument_anonymous_answers_once",
            ),
        ]

    def __str__(self) -> str:
        return self.title_en

    def clean(self) -> None:
        if self.opens_at and self.closes_at and self.closes_at <= self.opens_at:
            raise ValidationError({"closes_at": _("The survey must close after it opens.")})
        if self.mode == self.Mode.ANONYMOUS and self.allow_multiple:
            raise ValidationError(
                {
                    "allow_multiple": _(
                        "An anonymous survey takes one response per link: it cannot tell who "
                        "answered before."
                    )
                }
            )

    def is_open(self, now: Any = None) -> bool:
        now = now or timezone.now()
        return (
            self.status == self.Status.PUBLISHED
            and (self.opens_at is None or self.opens_at <= now)
            and (self.closes_at is None or now < self.closes_at)
        )


class Section(Bilingual):
    """A page of an instrument: respondents answer one section at a time."""

    TEXT_FIELDS = ("title", "introduction")

    instrument = models.ForeignKey(Instrument, on_delete=models.CASCADE, related_name="sections")
    position = models.PositiveSmallIntegerField(default=0)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    title_es = models.CharField(_("title (Spanish)"), max_length=200, blank=True)
    introduction_en = models.TextField(_("introduction (English)"), blank=True)
    introduction_es = models.TextField(_("introduction (Spanish)"), blank=True)

    class Meta:
        ordering = ["instrument", "position", "pk"]
        verbose_name = _("section")

    def __str__(self) -> str:
        return self.title_en or f"{self.instrument.slug} #{self.position}"


class Question(Bilingual):
    TEXT_FIELDS = ("label", "help")

    class Kind(models.TextChoices):
        SINGLE = "single", _("Single choice")
        MULTIPLE = "multiple", _("Multiple choice")
        LIKERT = "likert", _("Likert scale")
        NUMBER = "number", _("Number")
        TEXT = "text", _("Free text")
        DATE = "date", _("Date")

    class Describes(models.TextChoices):
        """An answer that places the respondent in a results filter group (anonymous
        instruments have no account to read it from)."""

        NOTHING = "", _("Nothing")
        ROLE = "role", _("The respondent's role")
        STATE = "state", _("The respondent's state (its region)")

    CHOICE_KINDS: ClassVar[frozenset[str]] = frozenset({Kind.SINGLE, Kind.MULTIPLE, Kind.LIKERT})

    # Denormalized from the section so codes are unique per instrument in the database.
    instrument = models.ForeignKey(Instrument, on_delete=models.CASCADE, related_name="questions")
    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField(default=0)
    code = models.CharField(_("variable name"), max_length=100, validators=[code_validator])
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    label_en = models.TextField(_("question (English)"))
    label_es = models.TextField(_("question (Spanish)"), blank=True)
    help_en = models.TextField(_("help text (English)"), blank=True)
    help_es = models.TextField(_("help text (Spanish)"), blank=True)
    required = models.BooleanField(_("required"), default=False)
    minimum = models.DecimalField(
        _("smallest number allowed"), max_digits=18, decimal_places=6, null=True, blank=True
    )
    maximum = models.DecimalField(
        _("largest number allowed"), max_digits=18, decimal_places=6, null=True, blank=True
    )
    whole_number = models.BooleanField(_("whole numbers only"), default=False)
    # A `logic.py` condition tree; null shows the question always.
    show_if = models.JSONField(_("show this question if"), null=True, blank=True)
    describes = models.CharField(
        _("the answer describes"), max_length=10, choices=Describes.choices, blank=True
    )

    class Meta:
        ordering = ["instrument", "section__position", "position", "pk"]
        verbose_name = _("question")
        constraints = [
            models.UniqueConstraint(
                fields=["instrument", "code"], name="surveys_question_code_unique"
            ),
            models.CheckConstraint(
                condition=Q(minimum__isnull=True)
                | Q(maximum__isnull=True)
                | Q(maximum__gte=models.F("minimum")),
                name="surveys_question_range_in_order",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    def facts(self, choice_codes: tuple[str, ...] = ()) -> QuestionFacts:
        return QuestionFacts(code=self.code, kind=self.kind, choices=choice_codes)

    def clean(self) -> None:
        if self.minimum is not None and self.maximum is not None and self.maximum < self.minimum:
            raise ValidationError(
                {"maximum": _("The largest number must not be smaller than the smallest.")}
            )


class Choice(Bilingual):
    """An answer a choice or Likert question offers; `code` is what is stored and exported."""

    TEXT_FIELDS = ("label",)

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices")
    position = models.PositiveSmallIntegerField(default=0)
    code = models.CharField(_("code"), max_length=20, validators=[choice_code_validator])
    label_en = models.CharField(_("label (English)"), max_length=500)
    label_es = models.CharField(_("label (Spanish)"), max_length=500, blank=True)

    class Meta:
        ordering = ["question", "position", "pk"]
        verbose_name = _("choice")
        constraints = [
            models.UniqueConstraint(fields=["question", "code"], name="surveys_choice_code_unique")
        ]

    def __str__(self) -> str:
        return f"{self.code}, {self.label_en}"


class Subject(models.TextChoices):
    """What another app attaches an evaluation to (through `api.py`)."""

    COURSE = "course", _("Course")
    EVENT = "event", _("Event")
    AWARD = "award", _("Award")


class Attachment(models.Model):
    """An instrument that evaluates a course, an event or an award (another app's object,
    known here by its kind and its id as text: surveys imports none of those apps)."""

    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="attachments")
    subject_kind = models.CharField(max_length=10, choices=Subject.choices)
    subject_ref = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        constraints = [
            models.UniqueConstraint(
                fields=["subject_kind", "subject_ref"], name="surveys_one_evaluation_per_subject"
            )
        ]

    def __str__(self) -> str:
        return f"{self.subject_kind} {self.subject_ref}: {self.instrument_id}"


def token_hash(secret: str) -> str:
    """What is stored of a one-time link's secret: its SHA-256, so a database copy cannot
    answer for anyone."""
    return hashlib.sha256(secret.encode()).hexdigest()


class AccessToken(models.Model):
    """A one-time link to answer an instrument once.

    An anonymous respondent gets one when they start from the public link, or in an
    invitation (course completion, event check-out). It records no person for anonymous
    instruments, and the response it becomes does not record the token: the answer cannot be
    traced back to the link, the invitation, or the email it went to.
    """

    instrument = models.ForeignKey(Instrument, on_delete=models.CASCADE, related_name="tokens")
    secret_hash = models.CharField(max_length=64, unique=True)
    # Identified invitations only (checked by a constraint on the instrument's mode in services).
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    subject_kind = models.CharField(max_length=10, choices=Subject.choices, blank=True)
    subject_ref = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("one-time link")

    def __str__(self) -> str:
        return f"{self.instrument_id} link {self.secret_hash[:8]}"


class Draft(models.Model):
    """Answers saved part-way, to resume later: per person (identified) or per one-time link
    (anonymous). Deleted when the response is submitted."""

    instrument = models.ForeignKey(Instrument, on_delete=models.CASCADE, related_name="drafts")
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    token = models.OneToOneField(
        AccessToken, null=True, blank=True, on_delete=models.CASCADE, related_name="draft"
    )
    language = models.CharField(max_length=2, choices=Language.choices, default=Language.ENGLISH)
    # {question code: answer} as logic.Answer values (strings, lists of choice codes).
    answers = models.JSONField(default=dict)
    # The revision the answers were given against, and the section to resume at.
    revision = models.PositiveIntegerField(default=1)
    section_position = models.PositiveSmallIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("saved answers")
        constraints = [
            models.CheckConstraint(
                condition=Q(person__isnull=False) | Q(token__isnull=False),
                name="surveys_draft_belongs_to_someone",
            ),
            models.UniqueConstraint(
                fields=["instrument", "person"],
                condition=Q(person__isnull=False),
                name="surveys_one_draft_per_person",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instrument_id} draft {self.pk}"


class Response(models.Model):
    """A submitted set of answers. Anonymous responses hold no person, no token and only the
    day they arrived; identified ones hold the person and a sequence number (1 unless the
    instrument allows more), unique per person, so a double submit cannot make two."""

    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="responses")
    revision = models.PositiveIntegerField()
    language = models.CharField(max_length=2, choices=Language.choices)
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sequence = models.PositiveIntegerField(null=True, blank=True)
    submitted_at = models.DateTimeField(db_index=True)
    # The results filters: a role (`accounts.roles.Role` value, or a role question's choice
    # code) and a region code, from the account (identified) or from the answers (anonymous).
    role = models.CharField(max_length=40, blank=True)
    region = models.CharField(max_length=40, blank=True)
    subject_kind = models.CharField(max_length=10, choices=Subject.choices, blank=True)
    subject_ref = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-submitted_at", "-pk"]
        verbose_name = _("response")
        indexes = [models.Index(fields=["instrument", "submitted_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["instrument", "person", "sequence"],
                condition=Q(person__isnull=False),
                name="surveys_response_once_per_sequence",
            ),
            models.CheckConstraint(
                condition=Q(person__isnull=True, sequence__isnull=True)
                | Q(person__isnull=False, sequence__isnull=False),
                name="surveys_response_sequence_with_person",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instrument_id} response {self.pk}"


class Answer(models.Model):
    """One answer of a response. A multiple-choice answer is one row per ticked choice, so
    results count with one GROUP BY."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers")
    choice = models.ForeignKey(
        Choice, null=True, blank=True, on_delete=models.PROTECT, related_name="answers"
    )
    number = models.DecimalField(max_digits=18, decimal_places=6, null=True, blank=True)
    date = models.DateField(null=True, blank=True)
    text = models.TextField(blank=True)

    class Meta:
        verbose_name = _("answer")
        indexes = [models.Index(fields=["question", "choice"])]

    def __str__(self) -> str:
        return f"{self.response_id} {self.question_id}"


class Tally(models.Model):
    """A running count for the results pages, kept in step with every submitted response
    (`services.response_submit`), so a results page reads a few thousand of these instead of
    every answer. `key` says what is counted: "r" responses; "a:<question>" people who
    answered; "s:<question>" people shown an optional branched question; "c:<question>:
    <choice>" a choice; "n:<question>:<value>" a number; "m:<question>:<YYYY-MM>" a date's
    month. The other columns are the response's results filters."""

    instrument = models.ForeignKey(Instrument, on_delete=models.CASCADE, related_name="tallies")
    key = models.CharField(max_length=80)
    role = models.CharField(max_length=40, blank=True)
    region = models.CharField(max_length=40, blank=True)
    language = models.CharField(max_length=2, blank=True)
    subject_kind = models.CharField(max_length=10, blank=True)
    subject_ref = models.CharField(max_length=64, blank=True)
    n = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("results tally")
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "instrument",
                    "key",
                    "role",
                    "region",
                    "language",
                    "subject_kind",
                    "subject_ref",
                ],
                name="surveys_tally_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.instrument_id} {self.key} = {self.n}"
