"""Courses and what learners do with them: enrollments, lesson progress, quiz attempts,
completions with their provenance, certificates, role requirements and bypasses, the CE ledger,
xAPI statements and the keys credentials are signed with.

A course is written in one language; its translation is another course linked to it
(`translation_of`), and a completion of either counts for a requirement of either. People are
held by user id (`settings.AUTH_USER_MODEL`) and learned about through `accounts.api`.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tapestry.accounts.roles import Role


class Language(models.TextChoices):
    ENGLISH = "en", _("English")
    SPANISH = "es", _("Spanish")


slug_validator = RegexValidator(
    r"^[a-z0-9]+(?:-[a-z0-9]+)*$",
    _("Use lower-case letters, digits and single hyphens, for example health-literacy-basics."),
    code="invalid_slug",
)


class Course(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        RETIRED = "retired", _("Retired")

    class CompletionRule(models.TextChoices):
        # What a learner must do for the course to count as complete.
        ALL = "all", _("View every lesson and pass every quiz")
        QUIZZES = "quizzes", _("Pass every quiz")
        LESSONS = "lessons", _("View every lesson")

    slug = models.SlugField(_("link name"), max_length=80, unique=True, validators=[slug_validator])
    title = models.CharField(_("title"), max_length=200)
    summary = models.TextField(_("summary"), max_length=2000)
    language = models.CharField(
        _("language"), max_length=2, choices=Language.choices, default=Language.ENGLISH
    )
    # The Spanish version points to the English one (or the other way round): one link a pair.
    translation_of = models.OneToOneField(
        "self",
        verbose_name=_("translation of"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="translation",
    )
    # Role values (accounts.roles.Role) this course is written for; [] means everyone.
    audiences = models.JSONField(_("audiences"), default=list, blank=True)
    ce_hours = models.DecimalField(
        _("CE hours"),
        max_digits=4,
        decimal_places=1,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("99"))],
    )
    # Codes from data/competencies.csv (the MLA Consumer Health competencies).
    competencies = models.JSONField(_("competencies"), default=list, blank=True)
    approved_for_credit = models.BooleanField(_("approved for CE credit"), default=False)
    prerequisites = models.ManyToManyField(
        "self", verbose_name=_("prerequisites"), symmetrical=False, blank=True, related_name="+"
    )
    # Raised when published content changes; every completion records the version it met.
    version = models.PositiveIntegerField(_("version"), default=1)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    completion_rule = models.CharField(
        _("completion rule"),
        max_length=10,
        choices=CompletionRule.choices,
        default=CompletionRule.ALL,
    )
    # Completions of a compliance course expire (LEARNING_COMPLETION_VALID_DAYS) and need a
    # quiz score of at least LEARNING_PASS_MARK.
    compliance = models.BooleanField(_("compliance course"), default=False)
    # A course the network's evaluators attached a survey to is evaluated through surveys.api.
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title"]
        verbose_name = _("course")
        verbose_name_plural = _("courses")

    def __str__(self) -> str:
        return self.title

    def counterpart(self) -> Course | None:
        """The same course in the other language, if there is one."""
        if self.translation_of_id:
            return self.translation_of
        return getattr(self, "translation", None)

    def family_ids(self) -> list[int]:
        """This course and its translation: a completion of either counts for both."""
        other = self.counterpart()
        return [self.pk] if other is None else sorted([self.pk, other.pk])

    def audience_labels(self) -> list[str]:
        labels = dict(Role.choices)
        return [str(labels.get(value, value)) for value in self.audiences]


class Module(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="modules")
    position = models.PositiveIntegerField(_("position"), default=0)
    title = models.CharField(_("title"), max_length=200)

    class Meta:
        ordering = ["course", "position", "pk"]
        verbose_name = _("module")
        verbose_name_plural = _("modules")

    def __str__(self) -> str:
        return self.title


def lesson_file_path(instance: Lesson, filename: str) -> str:
    # A random folder per upload: a learner's link to one file cannot be guessed from another.
    return f"learning/files/{uuid.uuid4().hex}/{filename}"


class Lesson(models.Model):
    module = models.ForeignKey(Module, on_delete=models.CASCADE, related_name="lessons")
    position = models.PositiveIntegerField(_("position"), default=0)
    title = models.CharField(_("title"), max_length=200)
    # HTML limited to a safe set of tags (services clean it with nh3 on every save).
    body = models.TextField(_("text"), blank=True)
    video_url = models.URLField(_("video link"), blank=True)
    transcript = models.TextField(_("video transcript"), blank=True)
    file = models.FileField(_("downloadable file"), upload_to=lesson_file_path, blank=True)
    minutes = models.PositiveIntegerField(_("minutes to read"), default=5)

    class Meta:
        ordering = ["module", "position", "pk"]
        verbose_name = _("lesson")
        verbose_name_plural = _("lessons")

    def __str__(self) -> str:
        return self.title


class Quiz(models.Model):
    module = models.ForeignKey(Module, on_delete=models.CASCADE, related_name="quizzes")
    position = models.PositiveIntegerField(_("position"), default=0)
    title = models.CharField(_("title"), max_length=200)
    pass_mark = models.PositiveIntegerField(
        _("pass mark (percent)"),
        default=80,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
    )
    # 0 = no limit.
    attempts_allowed = models.PositiveIntegerField(_("attempts allowed"), default=3)
    randomize = models.BooleanField(_("shuffle questions and answers"), default=True)

    class Meta:
        ordering = ["module", "position", "pk"]
        verbose_name = _("quiz")
        verbose_name_plural = _("quizzes")

    def __str__(self) -> str:
        return self.title


class QuizQuestion(models.Model):
    class Kind(models.TextChoices):
        SINGLE = "single", _("One answer")
        MULTIPLE = "multiple", _("Several answers")
        TRUE_FALSE = "true_false", _("True or false")

    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveIntegerField(_("position"), default=0)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.SINGLE)
    text = models.TextField(_("question"), max_length=2000)

    class Meta:
        ordering = ["quiz", "position", "pk"]
        verbose_name = _("quiz question")
        verbose_name_plural = _("quiz questions")

    def __str__(self) -> str:
        return self.text[:80]


class QuizOption(models.Model):
    question = models.ForeignKey(QuizQuestion, on_delete=models.CASCADE, related_name="options")
    position = models.PositiveIntegerField(_("position"), default=0)
    text = models.CharField(_("answer"), max_length=500)
    correct = models.BooleanField(_("correct"), default=False)
    # Shown after the attempt beside this answer when the learner chose it.
    feedback = models.TextField(_("feedback"), blank=True, max_length=2000)

    class Meta:
        ordering = ["question", "position", "pk"]
        verbose_name = _("answer option")
        verbose_name_plural = _("answer options")

    def __str__(self) -> str:
        return self.text[:80]


class Enrollment(models.Model):
    class Source(models.TextChoices):
        SELF = "self", _("Enrolled themselves")
        ASSIGNED = "assigned", _("Assigned by staff")
        ROLE = "role", _("Required for a role")
        IMPORTED = "imported", _("Imported")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrollments"
    )
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="enrollments")
    source = models.CharField(_("how"), max_length=10, choices=Source.choices, default=Source.SELF)
    enrolled_at = models.DateTimeField(_("enrolled"), auto_now_add=True)
    due_on = models.DateField(_("due"), null=True, blank=True)
    # Where to resume: "lesson:<id>" or "quiz:<id>", the last item the learner opened.
    resume_at = models.CharField(max_length=40, blank=True)
    # The xAPI registration grouping this enrollment's statements.
    registration = models.UUIDField(default=uuid.uuid4, editable=False, unique=True)
    # Renewing a completed course starts a new cycle: lessons and attempts count afresh.
    cycle = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-enrolled_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "course"], name="learning_one_enrollment")
        ]
        verbose_name = _("enrollment")
        verbose_name_plural = _("enrollments")

    def __str__(self) -> str:
        return f"{self.user_id} in {self.course_id}"


class LessonView(models.Model):
    enrollment = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="views")
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="+")
    cycle = models.PositiveIntegerField(default=1)
    viewed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["enrollment", "lesson", "cycle"], name="learning_view_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.enrollment_id} viewed {self.lesson_id}"


class QuizAttempt(models.Model):
    enrollment = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="attempts")
    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="attempts")
    cycle = models.PositiveIntegerField(default=1)
    number = models.PositiveIntegerField()
    started_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    # The order this attempt shows: [[question id, [option ids...]], ...], fixed at start so a
    # submission can be checked against exactly what was shown.
    layout = models.JSONField(default=list)
    # {question id (text): [option ids chosen]}
    answers = models.JSONField(default=dict, blank=True)
    score = models.PositiveIntegerField(null=True, blank=True)  # percent
    passed = models.BooleanField(default=False)

    class Meta:
        ordering = ["quiz", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["enrollment", "quiz", "cycle", "number"], name="learning_attempt_number"
            )
        ]

    def __str__(self) -> str:
        return f"{self.enrollment_id} attempt {self.number} at {self.quiz_id}"


class Completion(models.Model):
    """A course completed: here (from an enrollment) or imported from another system."""

    class Provenance(models.TextChoices):
        HERE = "here", _("Completed in Tapestry")
        IMPORTED = "imported", _("Imported from another learning system")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="completions"
    )
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="completions")
    course_version = models.PositiveIntegerField(_("course version"))
    completed_at = models.DateTimeField(_("completed"), db_index=True)
    # Null for courses whose completion does not expire (not compliance courses).
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True, db_index=True)
    score = models.PositiveIntegerField(_("score"), null=True, blank=True)
    provenance = models.CharField(
        _("provenance"), max_length=10, choices=Provenance.choices, default=Provenance.HERE
    )
    # For an imported completion: which system verified it, and when it was imported.
    source_system = models.CharField(_("source system"), max_length=200, blank=True)
    imported_at = models.DateTimeField(_("imported"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-completed_at"]
        indexes = [models.Index(fields=["user", "course", "completed_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(provenance="here") | ~Q(source_system=""),
                name="learning_imported_names_system",
            )
        ]
        verbose_name = _("completion")
        verbose_name_plural = _("completions")

    def __str__(self) -> str:
        return f"{self.user_id} completed {self.course_id} at {self.completed_at:%Y-%m-%d}"


class Certificate(models.Model):
    completion = models.OneToOneField(
        Completion, on_delete=models.PROTECT, related_name="certificate"
    )
    # What a person types on the verification page: 16 characters without look-alikes.
    code = models.CharField(_("verification code"), max_length=24, unique=True)
    issued_at = models.DateTimeField(_("issued"))
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_reason = models.TextField(_("reason for revoking"), blank=True, max_length=1000)
    # Its bit in the Bitstring Status List (revocation of the Open Badges credential).
    status_index = models.PositiveIntegerField(unique=True)
    # The Open Badges 3.0 credential as a signed VC-JWT (compact JWS).
    credential_jwt = models.TextField(blank=True)

    class Meta:
        ordering = ["-issued_at"]
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")

    def __str__(self) -> str:
        return self.code


class Requirement(models.Model):
    """People holding `role` must have a current completion of `course` (or its translation)."""

    role = models.CharField(_("role"), max_length=40, choices=Role.choices)
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="requirements")
    due_days = models.PositiveIntegerField(
        _("days to complete after the role is granted"), default=30
    )

    class Meta:
        ordering = ["role", "course__title"]
        constraints = [
            models.UniqueConstraint(fields=["role", "course"], name="learning_requirement_once")
        ]
        verbose_name = _("requirement")
        verbose_name_plural = _("requirements")

    def __str__(self) -> str:
        return f"{self.get_role_display()}: {self.course}"


class Bypass(models.Model):
    """An administrator's decision that a person meets a requirement without the course."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    requirement = models.ForeignKey(Requirement, on_delete=models.CASCADE, related_name="bypasses")
    reason = models.TextField(_("reason"), max_length=1000)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    granted_at = models.DateTimeField(auto_now_add=True)
    # Null: until withdrawn.
    ends_on = models.DateField(_("ends"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-granted_at"]
        verbose_name = _("bypass")
        verbose_name_plural = _("bypasses")

    def __str__(self) -> str:
        return f"bypass of {self.requirement_id} for {self.user_id}"


class AppendOnly(Exception):
    pass


class AuditEntryQuerySet(models.QuerySet["AuditEntry"]):
    def update(self, **kwargs: object) -> int:
        raise AppendOnly("the training audit trail is append-only")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnly("the training audit trail is append-only")


class AuditEntry(models.Model):
    """The append-only trail of bypasses, revocations and imports. The model refuses to change
    or delete a row, and on PostgreSQL a trigger refuses it too (see the migration)."""

    class Action(models.TextChoices):
        BYPASS_GRANTED = "bypass_granted", _("Requirement bypassed")
        BYPASS_WITHDRAWN = "bypass_withdrawn", _("Bypass withdrawn")
        CERTIFICATE_REVOKED = "certificate_revoked", _("Certificate revoked")
        COMPLETION_IMPORTED = "completion_imported", _("Completion imported")
        ARCHIVE_IMPORTED = "archive_imported", _("Archive imported")

    occurred_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    action = models.CharField(max_length=30, choices=Action.choices)
    # The person the entry is about, if any.
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    subject = models.CharField(max_length=200, blank=True)  # "certificate ABCD…", a course
    reason = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_at", "-pk"]
        verbose_name = _("training audit entry")
        verbose_name_plural = _("training audit entries")

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.action} {self.subject}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None and not self._state.adding:
            raise AppendOnly("the training audit trail is append-only")
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise AppendOnly("the training audit trail is append-only")


class ExpiryWarning(models.Model):
    """A warning email sent: one per completion and number of days before expiry."""

    completion = models.ForeignKey(Completion, on_delete=models.CASCADE, related_name="+")
    days_before = models.PositiveIntegerField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["completion", "days_before"], name="learning_warning_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.completion_id} warned {self.days_before} days before"


class LearnerProfile(models.Model):
    """Which member organization a learner works for (they say so); liaisons see their
    organization's learners and specialists their regions'. The region is the organization's,
    kept here so reports group by it in the database."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="learner_profile"
    )
    organization_id = models.PositiveIntegerField(_("organization"), null=True, blank=True)
    region_code = models.CharField(_("region"), max_length=10, blank=True, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["organization_id"])]

    def __str__(self) -> str:
        return f"{self.user_id} at {self.organization_id}"


class Standing(models.Model):
    """One row per person and requirement of a role they hold: their latest completion of the
    course (or its translation) whose certificate stands, and their active bypass, kept up to
    date by the services that change either (and rebuilt whole daily), so the compliance report
    counts these narrow rows instead of reading every completion. The status itself depends on
    the day, so it is worked out when the report is read (`reports.STATUS_SQL`). See
    benchmarks/README.md."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    requirement = models.ForeignKey(Requirement, on_delete=models.CASCADE, related_name="+")
    # The course a report by course counts it under (the requirement's, not the translation's).
    course_id = models.PositiveIntegerField()
    region_code = models.CharField(max_length=10, blank=True)
    organization_id = models.PositiveIntegerField(null=True)
    done_at = models.DateTimeField(null=True)
    ends_at = models.DateTimeField(null=True)
    # A standing completion that never expires.
    forever = models.BooleanField(default=False)
    bypassed = models.BooleanField(default=False)
    # With `bypassed`: the last day of the longest active bypass (null: until withdrawn).
    bypass_ends_on = models.DateField(null=True)
    # True on one row per person (their first requirement), and on one row per person and
    # course: a report counts people by these instead of counting distinct ids.
    first_of_person = models.BooleanField(default=False)
    first_of_course = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "requirement"], name="learning_standing_once")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} under requirement {self.requirement_id}"


class ComplianceMonth(models.Model):
    """The compliance chart's figures at one month's end for the people of one region and
    organization, kept once the month is over (`reports.compliance_over_time`)."""

    month_end = models.DateField()
    region_code = models.CharField(max_length=10, blank=True)
    # 0: no organization (a learner who named none).
    organization_id = models.PositiveIntegerField(default=0)
    current = models.PositiveIntegerField(default=0)
    pairs = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["month_end", "region_code", "organization_id"],
                name="learning_compliance_month_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.month_end}: {self.current} of {self.pairs}"


class CreditEntry(models.Model):
    """A line of the CE ledger: hours earned, approved or not, by competency."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="credit_entries"
    )
    completion = models.OneToOneField(
        Completion, on_delete=models.CASCADE, null=True, blank=True, related_name="credit"
    )
    title = models.CharField(_("class"), max_length=200)
    provider = models.CharField(_("provider"), max_length=200)
    earned_on = models.DateField(_("earned"))
    hours = models.DecimalField(
        _("hours"),
        max_digits=4,
        decimal_places=1,
        validators=[MinValueValidator(Decimal("0.5")), MaxValueValidator(Decimal("40"))],
    )
    approved = models.BooleanField(_("approved for credit"), default=False)
    competencies = models.JSONField(_("competencies"), default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-earned_on", "-pk"]
        verbose_name = _("CE ledger entry")
        verbose_name_plural = _("CE ledger entries")

    def __str__(self) -> str:
        return f"{self.user_id}: {self.hours} h {self.title}"


class Statement(models.Model):
    """An xAPI 1.0.3 statement in the internal record store."""

    id = models.UUIDField(primary_key=True)
    stored = models.DateTimeField(db_index=True)
    timestamp = models.DateTimeField()
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # The agent's inverse functional identifier as the filter compares it ("mailto:…" or
    # "account:<homePage>|<name>").
    agent_key = models.CharField(max_length=300, db_index=True)
    verb = models.CharField(max_length=200, db_index=True)
    activity = models.CharField(max_length=500, db_index=True)
    registration = models.UUIDField(null=True, blank=True)
    body = models.JSONField()

    class Meta:
        ordering = ["-stored", "-id"]

    def __str__(self) -> str:
        return f"{self.verb} {self.activity}"


class SigningKey(models.Model):
    """A key credentials are signed with. The newest active key signs; every key not retired
    is published in /.well-known/jwks.json so credentials it signed still verify. Keys brought
    in by an archive import have no private half."""

    class Algorithm(models.TextChoices):
        RS256 = "RS256", "RS256"
        EDDSA = "EdDSA", "EdDSA (Ed25519)"

    kid = models.CharField(max_length=64, unique=True)
    algorithm = models.CharField(max_length=10, choices=Algorithm.choices)
    public_jwk = models.JSONField()
    private_pem = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.algorithm} {self.kid}"
