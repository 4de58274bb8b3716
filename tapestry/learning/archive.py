"""The whole training platform as one ZIP archive, for the long-term retention partner, and
the same archive imported into a fresh Tapestry.

The archive (format "tapestry-learning-archive", version 1):

- `manifest.json`: format, version, when and where it was made, how many records each member
  holds, the issuer profile and the public keys (JWKS) the credentials were signed with;
- `courses/<slug>/course.json` (the course, its modules, lessons, quizzes, questions, answer
  options and requirements; prerequisites and translation by link name) and
  `courses/<slug>/files/<name>` (the lessons' downloadable files);
- one JSON object a line: `learners.jsonl`, `enrollments.jsonl`, `completions.jsonl` (each
  with its certificate: code, status-list index, revocation and the signed VC-JWT),
  `credit.jsonl` (the CE ledger), `statements.jsonl` (the xAPI statements as stored) and
  `audit.jsonl` (the append-only trail);
- `summaries/learners.csv` and `summaries/completions.csv` for a person with a spreadsheet.

People are numbered in the archive by their id here (`ref`) and known only through
accounts.api: a deactivated person is not exported, nor are their records. Lesson views,
quiz attempts, bypasses and expiry warnings are not exported: what learners did is in the
statements and what staff decided is in the audit trail.

Export streams: rows are read a page at a time (keyset on the primary key; the learners' ids
through `.iterator()`) and every member is written through
`ZipFile.open(name, "w")` into a pipe that `archive_chunks` drains, so memory stays the same
whatever the number of rows. Import reads the manifest first, then every member, and writes
everything in one transaction: any problem and nothing is written.
"""

from __future__ import annotations

import datetime
import json
import re
import uuid
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import PurePosixPath
from typing import IO, Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Max, Model, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tapestry.accounts.api import Role, people_get, people_with_role, person_ensure, role_grant
from tapestry.core.api import checkpoint, csv_lines
from tapestry.learning import credentials
from tapestry.learning.models import (
    AuditEntry,
    Certificate,
    Completion,
    Course,
    CreditEntry,
    Enrollment,
    LearnerProfile,
    Lesson,
    Module,
    Quiz,
    QuizOption,
    QuizQuestion,
    Requirement,
    SigningKey,
    Statement,
    lesson_file_path,
)
from tapestry.learning.reports import standing_rebuild
from tapestry.learning.services import Conflict, LearningError, html_clean
from tapestry.learning.statements import agent_key
from tapestry.network.api import organizations_get

FORMAT = "tapestry-learning-archive"
FORMAT_VERSION = 1
# Rows read from the database at a time, and people asked of accounts.api at a time.
CHUNK_ROWS = 2000
# The pipe hands the HTTP response a chunk once it holds this much.
CHUNK_BYTES = 256 * 1024
# A line of a .jsonl member, and a course.json, may not be longer (a statement is a few KB).
MAX_LINE_BYTES = 1024 * 1024
MAX_COURSE_BYTES = 20 * 1024 * 1024
MAX_MANIFEST_BYTES = 1024 * 1024
JSONL_MEMBERS = (
    "learners.jsonl",
    "enrollments.jsonl",
    "completions.jsonl",
    "credit.jsonl",
    "statements.jsonl",
    "audit.jsonl",
)
SUMMARY_MEMBERS = ("summaries/learners.csv", "summaries/completions.csv")
_COURSE_MEMBER = re.compile(r"^courses/([a-z0-9]+(?:-[a-z0-9]+)*)/course\.json$")
_FILE_MEMBER = re.compile(r"^courses/([a-z0-9]+(?:-[a-z0-9]+)*)/files/([^/]{1,200})$")


class ArchiveError(LearningError):
    """An archive refused, with what is wrong with it (HTTP 400)."""


def _iso(moment: datetime.datetime | datetime.date | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _json_line(row: dict[str, Any]) -> bytes:
    return json.dumps(row, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


def _batches[T](items: Iterable[T], size: int = CHUNK_ROWS) -> Iterator[list[T]]:
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


# ---------------------------------------------------------------------------------------------
# Export


class _Pipe:
    """A write-only, unseekable file for ZipFile: it keeps what was written until drained.
    (Without `seek`, ZipFile writes each member's sizes after its data, as streaming needs.)"""

    def __init__(self) -> None:
        self._chunks: list[bytes] = []
        self.size = 0
        self._position = 0

    def write(self, data: bytes) -> int:
        chunk = bytes(data)
        self._chunks.append(chunk)
        self.size += len(chunk)
        self._position += len(chunk)
        return len(chunk)

    def tell(self) -> int:
        return self._position

    def flush(self) -> None:
        return None

    def drain(self) -> bytes:
        chunk = b"".join(self._chunks)
        self._chunks = []
        self.size = 0
        return chunk


@dataclass(frozen=True)
class _Scope:
    """What the archive holds, fixed when the export starts: rows added meanwhile are left
    for the next archive, so the manifest's counts match the members."""

    started_at: datetime.datetime
    completion_max: int
    enrollment_max: int
    credit_max: int
    audit_max: int
    profile_max: int

    @classmethod
    def now(cls) -> _Scope:
        def top(queryset: QuerySet[Any]) -> int:
            return int(queryset.aggregate(top=Max("pk"))["top"] or 0)

        return cls(
            started_at=timezone.now(),
            completion_max=top(Completion.objects.all()),
            enrollment_max=top(Enrollment.objects.all()),
            credit_max=top(CreditEntry.objects.all()),
            audit_max=top(AuditEntry.objects.all()),
            profile_max=top(LearnerProfile.objects.all()),
        )

    def learner_ids(self) -> QuerySet[Any]:
        """Active people the training records in scope name, by id (someone who starts
        learning while the export runs is left for the next archive, with their records)."""
        completions = Completion.objects.filter(pk__lte=self.completion_max)
        audit = AuditEntry.objects.filter(pk__lte=self.audit_max)
        referenced = (
            Q(pk__in=Enrollment.objects.filter(pk__lte=self.enrollment_max).values("user_id"))
            | Q(pk__in=completions.values("user_id"))
            | Q(pk__in=completions.filter(recorded_by__isnull=False).values("recorded_by"))
            | Q(pk__in=CreditEntry.objects.filter(pk__lte=self.credit_max).values("user_id"))
            | Q(pk__in=LearnerProfile.objects.filter(pk__lte=self.profile_max).values("user_id"))
            | Q(
                pk__in=Statement.objects.filter(
                    user__isnull=False, stored__lte=self.started_at
                ).values("user_id")
            )
            | Q(pk__in=audit.filter(person__isnull=False).values("person_id"))
            | Q(pk__in=audit.filter(actor__isnull=False).values("actor_id"))
        )
        return (
            get_user_model()
            .objects.filter(is_active=True)
            .filter(referenced)
            .order_by("pk")
            .values_list("pk", flat=True)
        )

    def enrollments(self) -> QuerySet[Enrollment]:
        return Enrollment.objects.filter(pk__lte=self.enrollment_max, user__is_active=True)

    def completions(self) -> QuerySet[Completion]:
        return Completion.objects.filter(pk__lte=self.completion_max, user__is_active=True)

    def credit(self) -> QuerySet[CreditEntry]:
        return CreditEntry.objects.filter(pk__lte=self.credit_max, user__is_active=True)

    def statements(self) -> QuerySet[Statement]:
        return Statement.objects.filter(stored__lte=self.started_at).filter(
            Q(user__isnull=True) | Q(user__is_active=True)
        )

    def audit(self) -> QuerySet[AuditEntry]:
        return AuditEntry.objects.filter(pk__lte=self.audit_max)

    def counts(self) -> dict[str, int]:
        completions = self.completions()
        return {
            "courses": Course.objects.count(),
            "files": Lesson.objects.exclude(file="").count(),
            "learners": self.learner_ids().count(),
            "enrollments": self.enrollments().count(),
            "completions": completions.count(),
            "certificates": completions.filter(certificate__isnull=False).count(),
            "credit": self.credit().count(),
            "statements": self.statements().count(),
            "audit": self.audit().count(),
        }


def _manifest(scope: _Scope, counts: dict[str, int]) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created_at": _iso(scope.started_at),
        "site": settings.SITE_URL,
        "counts": counts,
        "issuer": credentials.issuer_profile(),
        "jwks": credentials.jwks(),
    }


def _file_name(lesson: Lesson) -> str:
    # The lesson's id keeps two lessons' files of the same name apart.
    return f"{lesson.pk}-{PurePosixPath(str(lesson.file.name)).name}"


def _course_document(course: Course) -> dict[str, Any]:
    modules = []
    for module in Module.objects.filter(course=course).order_by("position", "pk"):
        lessons = [
            {
                "position": lesson.position,
                "title": lesson.title,
                "body": lesson.body,
                "video_url": lesson.video_url,
                "transcript": lesson.transcript,
                "file": _file_name(lesson) if lesson.file else None,
                "minutes": lesson.minutes,
            }
            for lesson in Lesson.objects.filter(module=module).order_by("position", "pk")
        ]
        quizzes = []
        for quiz in Quiz.objects.filter(module=module).order_by("position", "pk"):
            questions = [
                {
                    "position": question.position,
                    "kind": question.kind,
                    "text": question.text,
                    "options": [
                        {
                            "position": option.position,
                            "text": option.text,
                            "correct": option.correct,
                            "feedback": option.feedback,
                        }
                        for option in question.options.order_by("position", "pk")
                    ],
                }
                for question in quiz.questions.order_by("position", "pk")
            ]
            quizzes.append(
                {
                    "position": quiz.position,
                    "title": quiz.title,
                    "pass_mark": quiz.pass_mark,
                    "attempts_allowed": quiz.attempts_allowed,
                    "randomize": quiz.randomize,
                    "questions": questions,
                }
            )
        modules.append(
            {
                "position": module.position,
                "title": module.title,
                "lessons": lessons,
                "quizzes": quizzes,
            }
        )
    return {
        "slug": course.slug,
        "title": course.title,
        "summary": course.summary,
        "language": course.language,
        "translation_of": course.translation_of.slug if course.translation_of else None,
        "audiences": list(course.audiences),
        "ce_hours": str(course.ce_hours),
        "competencies": list(course.competencies),
        "approved_for_credit": course.approved_for_credit,
        "prerequisites": sorted(course.prerequisites.values_list("slug", flat=True)),
        "version": course.version,
        "status": course.status,
        "completion_rule": course.completion_rule,
        "compliance": course.compliance,
        "requirements": [
            {"role": requirement.role, "due_days": requirement.due_days}
            for requirement in Requirement.objects.filter(course=course).order_by("role")
        ],
        "modules": modules,
    }


def _roles_by_person() -> dict[int, list[str]]:
    # One query a role; only role holders (staff and members, not every learner) are held.
    roles: dict[int, list[str]] = {}
    for role in Role:
        for person in people_with_role(role=role):
            roles.setdefault(person.id, []).append(role.value)
    return roles


def _learner_rows(scope: _Scope) -> Iterator[dict[str, Any]]:
    roles = _roles_by_person()
    for ids in _batches(scope.learner_ids().iterator(chunk_size=CHUNK_ROWS)):
        profiles = {
            profile.user_id: profile for profile in LearnerProfile.objects.filter(user_id__in=ids)
        }
        organizations = organizations_get(
            organization_ids={p.organization_id for p in profiles.values() if p.organization_id}
        )
        for person in people_get(user_ids=ids):
            profile = profiles.get(person.id)
            organization = (
                organizations.get(profile.organization_id)
                if profile and profile.organization_id
                else None
            )
            yield {
                "ref": person.id,
                "email": person.email,
                "name": "" if person.name == person.email else person.name,
                "language": person.language,
                "roles": roles.get(person.id, []),
                "organization": (
                    {"id": organization.id, "name": organization.name}
                    if organization is not None
                    else None
                ),
                "region_code": profile.region_code if profile else "",
            }


def _pages[M: Model](queryset: QuerySet[M], *, size: int = CHUNK_ROWS) -> Iterator[list[M]]:
    """The rows in pages of `size` by ascending primary key, each page fetched whole (keyset):
    memory holds one page whatever the number of rows. (A named cursor, `.iterator()`, costs
    PostgreSQL more than it saves here; see benchmarks/README.md, learning_archive.py.)"""
    last: Any = None
    while True:
        page = queryset.order_by("pk")
        if last is not None:
            page = page.filter(pk__gt=last)
        rows = list(page[:size])
        if not rows:
            return
        yield rows
        last = rows[-1].pk


def _active(user_ids: Iterable[int | None]) -> set[int]:
    """Which of these people are active (the archive names only people accounts.api gives)."""
    wanted = {user_id for user_id in user_ids if user_id is not None}
    if not wanted:
        return set()
    return set(
        get_user_model().objects.filter(pk__in=wanted, is_active=True).values_list("pk", flat=True)
    )


def _course_slugs() -> dict[int, str]:
    return dict(Course.objects.values_list("pk", "slug"))


def _enrollment_rows(scope: _Scope) -> Iterator[dict[str, Any]]:
    slugs = _course_slugs()
    for page in _pages(Enrollment.objects.filter(pk__lte=scope.enrollment_max)):
        active = _active(enrollment.user_id for enrollment in page)
        for enrollment in page:
            if enrollment.user_id not in active:
                continue
            yield {
                "user": enrollment.user_id,
                "course": slugs[enrollment.course_id],
                "source": enrollment.source,
                "enrolled_at": _iso(enrollment.enrolled_at),
                "due_on": _iso(enrollment.due_on),
                "registration": str(enrollment.registration),
                "cycle": enrollment.cycle,
            }


def _completion_pages(scope: _Scope) -> Iterator[tuple[list[Completion], set[int]]]:
    """Pages of completions of active people, each with its certificate attached, and the
    active people among those the page names."""
    for page in _pages(Completion.objects.filter(pk__lte=scope.completion_max)):
        active = _active(
            [completion.user_id for completion in page]
            + [completion.recorded_by_id for completion in page]
        )
        certificates = {
            certificate.completion_id: certificate
            for certificate in Certificate.objects.filter(
                completion_id__in=[completion.pk for completion in page]
            )
        }
        kept = []
        for completion in page:
            if completion.user_id in active:
                completion._archive_certificate = certificates.get(completion.pk)  # type: ignore[attr-defined]
                kept.append(completion)
        yield kept, active


def _completion_rows(scope: _Scope) -> Iterator[dict[str, Any]]:
    slugs = _course_slugs()
    for page, active in _completion_pages(scope):
        for completion in page:
            certificate: Certificate | None = completion._archive_certificate  # type: ignore[attr-defined]
            yield {
                "ref": completion.pk,
                "user": completion.user_id,
                "course": slugs[completion.course_id],
                "course_version": completion.course_version,
                "completed_at": _iso(completion.completed_at),
                "expires_at": _iso(completion.expires_at),
                "score": completion.score,
                "provenance": completion.provenance,
                "source_system": completion.source_system,
                "imported_at": _iso(completion.imported_at),
                "recorded_by": (
                    completion.recorded_by_id if completion.recorded_by_id in active else None
                ),
                "certificate": (
                    {
                        "code": certificate.code,
                        "issued_at": _iso(certificate.issued_at),
                        "status_index": certificate.status_index,
                        "revoked_at": _iso(certificate.revoked_at),
                        "revoked_reason": certificate.revoked_reason,
                        "credential_jwt": certificate.credential_jwt,
                    }
                    if certificate is not None
                    else None
                ),
            }


def _credit_rows(scope: _Scope) -> Iterator[dict[str, Any]]:
    for page in _pages(CreditEntry.objects.filter(pk__lte=scope.credit_max)):
        active = _active(entry.user_id for entry in page)
        for entry in page:
            if entry.user_id not in active:
                continue
            yield {
                "user": entry.user_id,
                "completion": entry.completion_id,
                "title": entry.title,
                "provider": entry.provider,
                "earned_on": _iso(entry.earned_on),
                "hours": str(entry.hours),
                "approved": entry.approved,
                "competencies": list(entry.competencies),
            }


def _statement_rows(scope: _Scope) -> Iterator[dict[str, Any]]:
    # By id (the primary key) rather than by time: the keyset needs a unique order, and each
    # statement carries its own timestamp and stored time.
    statements = Statement.objects.filter(stored__lte=scope.started_at).only("id", "user", "body")
    for page in _pages(statements):
        active = _active(statement.user_id for statement in page)
        for statement in page:
            if statement.user_id is None or statement.user_id in active:
                yield {"user": statement.user_id, "statement": statement.body}


def _audit_rows(scope: _Scope) -> Iterator[dict[str, Any]]:
    for page in _pages(AuditEntry.objects.filter(pk__lte=scope.audit_max)):
        active = _active([entry.actor_id for entry in page] + [entry.person_id for entry in page])
        for entry in page:
            yield {
                "occurred_at": _iso(entry.occurred_at),
                "actor": entry.actor_id if entry.actor_id in active else None,
                "action": entry.action,
                "person": entry.person_id if entry.person_id in active else None,
                "subject": entry.subject,
                "reason": entry.reason,
                "data": entry.data,
            }


def _learner_summary(scope: _Scope) -> Iterator[list[Any]]:
    yield ["ref", "email", "name", "language", "roles", "organization", "region"]
    for row in _learner_rows(scope):
        organization = row["organization"]
        yield [
            row["ref"],
            row["email"],
            row["name"],
            row["language"],
            " ".join(row["roles"]),
            organization["name"] if organization else "",
            row["region_code"],
        ]


def _completion_summary(scope: _Scope) -> Iterator[list[Any]]:
    yield [
        "learner_ref",
        "email",
        "name",
        "course",
        "course_title",
        "course_version",
        "completed_at",
        "expires_at",
        "score",
        "provenance",
        "source_system",
        "certificate_code",
        "certificate_revoked_at",
    ]
    courses = {course.pk: course for course in Course.objects.only("slug", "title")}
    for page, _active_people in _completion_pages(scope):
        people = {
            person.id: person
            for person in people_get(user_ids={completion.user_id for completion in page})
        }
        for completion in page:
            person = people.get(completion.user_id)
            certificate: Certificate | None = completion._archive_certificate  # type: ignore[attr-defined]
            course = courses[completion.course_id]
            yield [
                completion.user_id,
                person.email if person else "",
                person.name if person else "",
                course.slug,
                course.title,
                completion.course_version,
                _iso(completion.completed_at),
                _iso(completion.expires_at),
                completion.score,
                completion.provenance,
                completion.source_system,
                certificate.code if certificate else "",
                _iso(certificate.revoked_at) if certificate else "",
            ]


def _write_members(archive: zipfile.ZipFile, scope: _Scope) -> Iterator[None]:
    """Write every member, yielding now and then so the caller can drain the pipe."""
    counts = scope.counts()
    archive.writestr("manifest.json", json.dumps(_manifest(scope, counts), indent=2))
    yield
    for course in Course.objects.select_related("translation_of").order_by("slug"):
        document = _course_document(course)
        archive.writestr(
            f"courses/{course.slug}/course.json", json.dumps(document, ensure_ascii=False, indent=1)
        )
        yield
        for lesson in Lesson.objects.filter(module__course=course).exclude(file="").order_by("pk"):
            name = f"courses/{course.slug}/files/{_file_name(lesson)}"
            with (
                archive.open(name, "w", force_zip64=True) as member,
                default_storage.open(str(lesson.file.name), "rb") as source,
            ):
                while chunk := source.read(CHUNK_BYTES):
                    member.write(chunk)
                    yield
    members: list[tuple[str, Callable[[_Scope], Iterator[dict[str, Any]]]]] = [
        ("learners.jsonl", _learner_rows),
        ("enrollments.jsonl", _enrollment_rows),
        ("completions.jsonl", _completion_rows),
        ("credit.jsonl", _credit_rows),
        ("statements.jsonl", _statement_rows),
        ("audit.jsonl", _audit_rows),
    ]
    for name, rows in members:
        with archive.open(name, "w", force_zip64=True) as member:
            for row in rows(scope):
                member.write(_json_line(row))
                yield
    summaries: list[tuple[str, Callable[[_Scope], Iterator[list[Any]]]]] = [
        ("summaries/learners.csv", _learner_summary),
        ("summaries/completions.csv", _completion_summary),
    ]
    for name, summary in summaries:
        with archive.open(name, "w", force_zip64=True) as member:
            for line in csv_lines(summary(scope)):
                member.write(line.encode())
                yield


def archive_chunks(*, chunk_bytes: int = CHUNK_BYTES) -> Iterator[bytes]:
    """The archive as a stream of bytes, for an HTTP response or a file."""
    pipe = _Pipe()
    scope = _Scope.now()
    with zipfile.ZipFile(pipe, "w", compression=zipfile.ZIP_DEFLATED) as archive:  # type: ignore[call-overload]
        for _step in _write_members(archive, scope):
            if pipe.size >= chunk_bytes:
                yield pipe.drain()
    yield pipe.drain()


def archive_write(*, target: IO[bytes]) -> int:
    """Write the archive to an open binary file; returns its size in bytes."""
    size = 0
    for chunk in archive_chunks():
        target.write(chunk)
        size += len(chunk)
    return size


def archive_name() -> str:
    return f"tapestry-learning-{timezone.localdate().isoformat()}.zip"


# ---------------------------------------------------------------------------------------------
# What an archive's lines must hold


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=100_000)


class _Manifest(BaseModel):
    model_config = ConfigDict(extra="allow")

    format: str
    format_version: int
    created_at: datetime.datetime
    site: str = ""
    counts: dict[str, int]
    jwks: dict[str, list[dict[str, Any]]] = Field(default_factory=dict)


class _OptionLine(_Strict):
    position: int = Field(ge=0)
    text: str = Field(max_length=500)
    correct: bool
    feedback: str = Field(default="", max_length=2000)


class _QuestionLine(_Strict):
    position: int = Field(ge=0)
    kind: QuizQuestion.Kind
    text: str = Field(min_length=1, max_length=2000)
    options: list[_OptionLine]


class _QuizLine(_Strict):
    position: int = Field(ge=0)
    title: str = Field(min_length=1, max_length=200)
    pass_mark: int = Field(ge=1, le=100)
    attempts_allowed: int = Field(ge=0)
    randomize: bool
    questions: list[_QuestionLine]


class _LessonLine(_Strict):
    position: int = Field(ge=0)
    title: str = Field(min_length=1, max_length=200)
    body: str = ""
    video_url: str = Field(default="", max_length=200)
    transcript: str = ""
    file: str | None = None
    minutes: int = Field(ge=0)


class _ModuleLine(_Strict):
    position: int = Field(ge=0)
    title: str = Field(min_length=1, max_length=200)
    lessons: list[_LessonLine]
    quizzes: list[_QuizLine]


class _RequirementLine(_Strict):
    role: Role
    due_days: int = Field(ge=0)


class _CourseLine(_Strict):
    slug: str = Field(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=80)
    title: str = Field(min_length=1, max_length=200)
    summary: str = Field(max_length=2000)
    language: str = Field(pattern=r"^(en|es)$")
    translation_of: str | None
    audiences: list[str]
    ce_hours: Decimal = Field(ge=0, le=99, decimal_places=1)
    competencies: list[str]
    approved_for_credit: bool
    prerequisites: list[str]
    version: int = Field(ge=1)
    status: Course.Status
    completion_rule: Course.CompletionRule
    compliance: bool
    requirements: list[_RequirementLine]
    modules: list[_ModuleLine]


class _OrganizationLine(_Strict):
    id: int
    name: str


class _LearnerLine(_Strict):
    ref: int
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+$", max_length=254)
    name: str = Field(max_length=150)
    language: str = Field(pattern=r"^(en|es)$")
    roles: list[Role]
    organization: _OrganizationLine | None
    region_code: str = Field(max_length=10)


class _EnrollmentLine(_Strict):
    user: int
    course: str
    source: Enrollment.Source
    enrolled_at: datetime.datetime
    due_on: datetime.date | None
    registration: str = Field(pattern=r"^[0-9a-f-]{36}$")
    cycle: int = Field(ge=1)


class _CertificateLine(_Strict):
    code: str = Field(min_length=1, max_length=24)
    issued_at: datetime.datetime
    status_index: int = Field(ge=0)
    revoked_at: datetime.datetime | None
    revoked_reason: str = Field(max_length=1000)
    credential_jwt: str


class _CompletionLine(_Strict):
    ref: int
    user: int
    course: str
    course_version: int = Field(ge=1)
    completed_at: datetime.datetime
    expires_at: datetime.datetime | None
    score: int | None = Field(ge=0, le=100)
    provenance: Completion.Provenance
    source_system: str = Field(max_length=200)
    imported_at: datetime.datetime | None
    recorded_by: int | None
    certificate: _CertificateLine | None


class _CreditLine(_Strict):
    user: int
    completion: int | None
    title: str = Field(min_length=1, max_length=200)
    provider: str = Field(max_length=200)
    earned_on: datetime.date
    hours: Decimal = Field(ge=Decimal("0.5"), le=40, decimal_places=1)
    approved: bool
    competencies: list[str]


class _StatementLine(_Strict):
    user: int | None
    statement: dict[str, Any]


class _AuditLine(_Strict):
    occurred_at: datetime.datetime
    actor: int | None
    action: AuditEntry.Action
    person: int | None
    subject: str = Field(max_length=200)
    reason: str
    data: dict[str, Any]


def _problem(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    return f"{where}: {first['msg']}" if where else str(first["msg"])


# ---------------------------------------------------------------------------------------------
# Import


@dataclass
class ImportResult:
    """What an import brought in, by member, and when the archive was made."""

    created_at: datetime.datetime
    site: str
    counts: dict[str, int] = field(default_factory=dict)
    keys_added: int = 0


class _Reader:
    """Reads the archive's members, turning every way a ZIP can be broken into ArchiveError."""

    def __init__(self, archive: zipfile.ZipFile) -> None:
        self.archive = archive
        self.names = set(archive.namelist())

    def read(self, name: str, limit: int) -> bytes:
        info = self.archive.getinfo(name)
        if info.file_size > limit:
            raise ArchiveError(
                _("%(member)s is larger than an archive member may be.") % {"member": name}
            )
        try:
            with self.archive.open(info) as member:
                return member.read(limit + 1)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as error:
            raise _broken(name, error) from error

    def lines[M: BaseModel](self, name: str, model: type[M]) -> Iterator[tuple[int, M]]:
        if name not in self.names:
            raise ArchiveError(_("The archive has no %(member)s.") % {"member": name})
        number = 0
        try:
            with self.archive.open(name) as member:
                while line := member.readline(MAX_LINE_BYTES + 1):
                    number += 1
                    if len(line) > MAX_LINE_BYTES:
                        raise ArchiveError(
                            _("%(member)s, line %(line)s: the line is too long.")
                            % {"member": name, "line": number}
                        )
                    try:
                        yield number, model.model_validate_json(line)
                    except ValidationError as error:
                        raise ArchiveError(
                            _("%(member)s, line %(line)s: %(problem)s")
                            % {"member": name, "line": number, "problem": _problem(error)}
                        ) from error
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as error:
            raise _broken(name, error) from error


def _broken(name: str, error: Exception) -> ArchiveError:
    return ArchiveError(
        _(
            "%(member)s is damaged (%(error)s): the archive was cut short or changed after it was made."
        )
        % {"member": name, "error": error}
    )


def _open(file: IO[bytes]) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(file)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as error:
        raise ArchiveError(
            _(
                "This file is not a ZIP archive, or it was cut short: upload the archive "
                "Tapestry made, whole."
            )
        ) from error


def _manifest_read(reader: _Reader) -> _Manifest:
    if "manifest.json" not in reader.names:
        raise ArchiveError(
            _("This ZIP has no manifest.json: it is not a Tapestry training archive.")
        )
    try:
        manifest = _Manifest.model_validate_json(reader.read("manifest.json", MAX_MANIFEST_BYTES))
    except ValidationError as error:
        raise ArchiveError(
            _("manifest.json is not valid: %(problem)s") % {"problem": _problem(error)}
        ) from error
    if manifest.format != FORMAT:
        raise ArchiveError(
            _("This ZIP is not a Tapestry training archive (its format is “%(format)s”).")
            % {"format": manifest.format[:100]}
        )
    if manifest.format_version > FORMAT_VERSION:
        raise ArchiveError(
            _(
                "This archive was made by a newer Tapestry (format version %(version)s; this "
                "one reads up to %(ours)s). Update Tapestry, then import it."
            )
            % {"version": manifest.format_version, "ours": FORMAT_VERSION}
        )
    if manifest.format_version < 1:
        raise ArchiveError(_("manifest.json gives a format version that does not exist."))
    return manifest


def _names_check(reader: _Reader) -> None:
    allowed = {"manifest.json", *JSONL_MEMBERS, *SUMMARY_MEMBERS}
    for name in sorted(reader.names):
        if name in allowed or _COURSE_MEMBER.match(name) or _FILE_MEMBER.match(name):
            continue
        if name.endswith("/"):
            continue  # a folder entry some ZIP tools add
        raise ArchiveError(
            _("The archive holds %(member)s, which a Tapestry training archive does not have.")
            % {"member": name[:200]}
        )
    for name in JSONL_MEMBERS:
        if name not in reader.names:
            raise ArchiveError(_("The archive has no %(member)s.") % {"member": name})


class _Importer:
    def __init__(self, reader: _Reader, manifest: _Manifest, actor: Any) -> None:
        self.reader = reader
        self.manifest = manifest
        self.actor = actor if getattr(actor, "is_authenticated", False) else None
        self.courses: dict[str, Course] = {}
        self.people: dict[int, int] = {}
        self.completions: dict[int, int] = {}
        self.roles: list[tuple[int, list[Role]]] = []
        self.saved_files: list[str] = []
        self.files_saved = 0
        self.result = ImportResult(created_at=manifest.created_at, site=manifest.site)

    def person(self, member: str, number: int, ref: int | None) -> int | None:
        if ref is None:
            return None
        if ref not in self.people:
            raise ArchiveError(
                _("%(member)s, line %(line)s: learner %(ref)s is not in learners.jsonl.")
                % {"member": member, "line": number, "ref": ref}
            )
        return self.people[ref]

    def person_required(self, member: str, number: int, ref: int) -> int:
        user_id = self.person(member, number, ref)
        assert user_id is not None  # a ref that is not None maps to a person or raises
        return user_id

    def course(self, member: str, number: int, slug: str) -> Course:
        if slug not in self.courses:
            raise ArchiveError(
                _("%(member)s, line %(line)s: course %(slug)s is not in the archive.")
                % {"member": member, "line": number, "slug": slug[:80]}
            )
        return self.courses[slug]

    def course_named(self, member: str, slug: str) -> Course:
        if slug not in self.courses:
            raise ArchiveError(
                _("%(member)s names the course %(slug)s, which is not in the archive.")
                % {"member": member, "slug": slug[:80]}
            )
        return self.courses[slug]

    def counted(self, name: str, key: str, count: int) -> None:
        expected = self.manifest.counts.get(key)
        if expected is not None and expected != count:
            raise ArchiveError(
                _(
                    "%(member)s holds %(count)s records but the manifest says %(expected)s: "
                    "the archive is incomplete."
                )
                % {"member": name, "count": count, "expected": expected}
            )
        self.result.counts[key] = count

    def run(self) -> ImportResult:
        self.import_courses()
        self.import_keys()
        self.import_learners()
        self.import_enrollments()
        # Mid-way, courses and people written, completions not yet: the fault tests kill the
        # import here to show the transaction leaves nothing behind (ADR 0031).
        checkpoint("archive-import")
        self.import_completions()
        self.import_credit()
        self.import_statements()
        self.import_audit()
        # Last: a role granted may assign the courses it requires, which needs them here.
        for user_id, roles in self.roles:
            role_grant(user_id=user_id, roles=roles)
        standing_rebuild()  # the completions, certificates and bypasses just written
        AuditEntry.objects.create(
            actor=self.actor,
            action=AuditEntry.Action.ARCHIVE_IMPORTED,
            subject=f"{self.manifest.site} {self.manifest.created_at:%Y-%m-%d %H:%M}"[:200],
            data={
                "site": self.manifest.site,
                "created_at": self.manifest.created_at.isoformat(),
                "format_version": self.manifest.format_version,
                "counts": self.result.counts,
                "keys_added": self.result.keys_added,
            },
        )
        return self.result

    # The catalog ---------------------------------------------------------------------------

    def import_courses(self) -> None:
        documents: list[tuple[str, _CourseLine]] = []
        for name in sorted(self.reader.names):
            match = _COURSE_MEMBER.match(name)
            if not match:
                continue
            try:
                document = _CourseLine.model_validate_json(self.reader.read(name, MAX_COURSE_BYTES))
            except ValidationError as error:
                raise ArchiveError(
                    _("%(member)s is not valid: %(problem)s")
                    % {"member": name, "problem": _problem(error)}
                ) from error
            if document.slug != match.group(1):
                raise ArchiveError(
                    _("%(member)s describes course %(slug)s, not the one its folder names.")
                    % {"member": name, "slug": document.slug}
                )
            documents.append((name, document))
        existing = set(
            Course.objects.filter(slug__in=[d.slug for _n, d in documents]).values_list(
                "slug", flat=True
            )
        )
        if existing:
            raise Conflict(
                _(
                    "This Tapestry already has the course %(slug)s: an archive is imported into "
                    "a Tapestry that does not have its courses yet (was it imported before?)."
                )
                % {"slug": sorted(existing)[0]}
            )
        for name, document in documents:
            self.courses[document.slug] = self.course_create(name, document)
        for name, document in documents:
            course = self.courses[document.slug]
            if document.translation_of:
                course.translation_of = self.course_named(name, document.translation_of)
                course.save(update_fields=["translation_of"])
            course.prerequisites.set(
                [self.course_named(name, slug) for slug in document.prerequisites]
            )
        self.counted("courses/", "courses", len(documents))
        self.counted("courses/", "files", self.files_saved)

    def course_create(self, name: str, document: _CourseLine) -> Course:
        course = Course.objects.create(
            slug=document.slug,
            title=document.title,
            summary=document.summary,
            language=document.language,
            audiences=document.audiences,
            ce_hours=document.ce_hours,
            competencies=document.competencies,
            approved_for_credit=document.approved_for_credit,
            version=document.version,
            status=document.status,
            completion_rule=document.completion_rule,
            compliance=document.compliance,
        )
        for module_line in document.modules:
            module = Module.objects.create(
                course=course, position=module_line.position, title=module_line.title
            )
            for lesson_line in module_line.lessons:
                lesson = Lesson(
                    module=module,
                    position=lesson_line.position,
                    title=lesson_line.title,
                    body=html_clean(lesson_line.body),
                    video_url=lesson_line.video_url,
                    transcript=lesson_line.transcript,
                    minutes=lesson_line.minutes,
                )
                if lesson_line.file:
                    lesson.file.name = self.file_save(name, document.slug, lesson, lesson_line.file)
                lesson.save()
            for quiz_line in module_line.quizzes:
                quiz = Quiz.objects.create(
                    module=module,
                    position=quiz_line.position,
                    title=quiz_line.title,
                    pass_mark=quiz_line.pass_mark,
                    attempts_allowed=quiz_line.attempts_allowed,
                    randomize=quiz_line.randomize,
                )
                for question_line in quiz_line.questions:
                    question = QuizQuestion.objects.create(
                        quiz=quiz,
                        position=question_line.position,
                        kind=question_line.kind,
                        text=question_line.text,
                    )
                    QuizOption.objects.bulk_create(
                        QuizOption(
                            question=question,
                            position=option.position,
                            text=option.text,
                            correct=option.correct,
                            feedback=option.feedback,
                        )
                        for option in question_line.options
                    )
        for requirement in document.requirements:
            Requirement.objects.create(
                role=requirement.role, course=course, due_days=requirement.due_days
            )
        return course

    def file_save(self, course_member: str, slug: str, lesson: Lesson, file_name: str) -> str:
        member = f"courses/{slug}/files/{file_name}"
        if member not in self.reader.names or not _FILE_MEMBER.match(member):
            raise ArchiveError(
                _("%(member)s names the file %(file)s, which is not in the archive.")
                % {"member": course_member, "file": file_name[:200]}
            )
        info = self.reader.archive.getinfo(member)
        if info.file_size > settings.LEARNING_FILE_MAX_BYTES:
            raise ArchiveError(
                _("%(member)s is larger than a lesson file may be.") % {"member": member}
            )
        original = file_name.split("-", 1)[-1] or file_name
        try:
            with self.reader.archive.open(info) as source:
                saved = default_storage.save(lesson_file_path(lesson, original), File(source))
        except (zipfile.BadZipFile, zlib.error, EOFError) as error:
            raise _broken(member, error) from error
        self.saved_files.append(saved)
        self.files_saved += 1
        return saved

    def import_keys(self) -> None:
        known = set(SigningKey.objects.values_list("kid", flat=True))
        for key in self.manifest.jwks.get("keys", []):
            kid = str(key.get("kid", ""))
            algorithm = str(key.get("alg", ""))
            if not kid or len(kid) > 64 or algorithm not in SigningKey.Algorithm.values:
                raise ArchiveError(
                    _("manifest.json lists a public key without a usable kid or algorithm.")
                )
            if "d" in key:
                raise ArchiveError(_("manifest.json holds a private key; an archive must not."))
            if kid in known:
                continue
            SigningKey.objects.create(kid=kid, algorithm=algorithm, public_jwk=key, private_pem="")
            known.add(kid)
            self.result.keys_added += 1

    # People and their records --------------------------------------------------------------

    def import_learners(self) -> None:
        name = "learners.jsonl"
        count = 0
        for lines in _batches(self.reader.lines(name, _LearnerLine)):
            profiles = []
            organization_ids = {
                line.organization.id for _number, line in lines if line.organization
            }
            organizations = organizations_get(organization_ids=organization_ids)
            for number, line in lines:
                if line.ref in self.people:
                    raise ArchiveError(
                        _("%(member)s, line %(line)s: learner %(ref)s appears twice.")
                        % {"member": name, "line": number, "ref": line.ref}
                    )
                user_id = person_ensure(email=line.email, name=line.name, language=line.language)
                self.people[line.ref] = user_id
                if line.roles:
                    self.roles.append((user_id, list(line.roles)))
                organization = (
                    organizations.get(line.organization.id) if line.organization else None
                )
                # An organization is kept only if this Tapestry knows it by the same id and name.
                organization_id = (
                    organization.id
                    if organization
                    and line.organization
                    and organization.name == line.organization.name
                    else None
                )
                if organization_id or line.region_code:
                    profiles.append(
                        LearnerProfile(
                            user_id=user_id,
                            organization_id=organization_id,
                            region_code=line.region_code,
                        )
                    )
                count += 1
            LearnerProfile.objects.bulk_create(profiles, ignore_conflicts=True)
        self.counted(name, "learners", count)

    def import_enrollments(self) -> None:
        name = "enrollments.jsonl"
        count = 0
        for lines in _batches(self.reader.lines(name, _EnrollmentLine)):
            enrollments = [
                Enrollment(
                    user_id=self.person_required(name, number, line.user),
                    course=self.course(name, number, line.course),
                    source=line.source,
                    due_on=line.due_on,
                    registration=line.registration,
                    cycle=line.cycle,
                )
                for number, line in lines
            ]
            made = _bulk_create(Enrollment, enrollments, name)
            # enrolled_at is set on creation; put back when it really was.
            for enrollment, (_number, line) in zip(made, lines, strict=True):
                enrollment.enrolled_at = line.enrolled_at
            Enrollment.objects.bulk_update(made, ["enrolled_at"])
            count += len(made)
        self.counted(name, "enrollments", count)

    def import_completions(self) -> None:
        name = "completions.jsonl"
        count = certificates_count = 0
        for lines in _batches(self.reader.lines(name, _CompletionLine)):
            certificate_lines = [line.certificate for _n, line in lines if line.certificate]
            self.certificates_check(certificate_lines)
            completions = []
            for number, line in lines:
                if line.ref in self.completions:
                    raise ArchiveError(
                        _("%(member)s, line %(line)s: completion %(ref)s appears twice.")
                        % {"member": name, "line": number, "ref": line.ref}
                    )
                if line.provenance == Completion.Provenance.IMPORTED and not line.source_system:
                    raise ArchiveError(
                        _(
                            "%(member)s, line %(line)s: an imported completion must name its source system."
                        )
                        % {"member": name, "line": number}
                    )
                completions.append(
                    Completion(
                        user_id=self.person_required(name, number, line.user),
                        course=self.course(name, number, line.course),
                        course_version=line.course_version,
                        completed_at=line.completed_at,
                        expires_at=line.expires_at,
                        score=line.score,
                        provenance=line.provenance,
                        source_system=line.source_system,
                        imported_at=line.imported_at,
                        recorded_by_id=self.person(name, number, line.recorded_by),
                    )
                )
            made = _bulk_create(Completion, completions, name)
            certificates = []
            for completion, (_number, line) in zip(made, lines, strict=True):
                self.completions[line.ref] = completion.pk
                if line.certificate:
                    certificates.append(
                        Certificate(
                            completion=completion,
                            code=line.certificate.code,
                            issued_at=line.certificate.issued_at,
                            revoked_at=line.certificate.revoked_at,
                            revoked_reason=line.certificate.revoked_reason,
                            status_index=line.certificate.status_index,
                            credential_jwt=line.certificate.credential_jwt,
                        )
                    )
            _bulk_create(Certificate, certificates, name)
            count += len(made)
            certificates_count += len(certificates)
        self.counted(name, "completions", count)
        self.counted(name, "certificates", certificates_count)

    def certificates_check(self, lines: list[_CertificateLine]) -> None:
        codes = [line.code for line in lines]
        indexes = [line.status_index for line in lines]
        if len(set(codes)) != len(codes) or len(set(indexes)) != len(indexes):
            raise ArchiveError(
                _("completions.jsonl gives two certificates the same code or index.")
            )
        clash = Certificate.objects.filter(
            Q(code__in=codes) | Q(status_index__in=indexes)
        ).values_list("code", flat=True)[:1]
        if clash:
            raise Conflict(
                _(
                    "Certificate %(code)s (or its status-list index) is already in this "
                    "Tapestry: was this archive imported before?"
                )
                % {"code": clash[0]}
            )

    def import_credit(self) -> None:
        name = "credit.jsonl"
        count = 0
        for lines in _batches(self.reader.lines(name, _CreditLine)):
            entries = []
            for number, line in lines:
                completion_id = None
                if line.completion is not None:
                    if line.completion not in self.completions:
                        raise ArchiveError(
                            _(
                                "%(member)s, line %(line)s: completion %(ref)s is not in completions.jsonl."
                            )
                            % {"member": name, "line": number, "ref": line.completion}
                        )
                    completion_id = self.completions[line.completion]
                entries.append(
                    CreditEntry(
                        user_id=self.person_required(name, number, line.user),
                        completion_id=completion_id,
                        title=line.title,
                        provider=line.provider,
                        earned_on=line.earned_on,
                        hours=line.hours,
                        approved=line.approved,
                        competencies=line.competencies,
                    )
                )
            count += len(_bulk_create(CreditEntry, entries, name))
        self.counted(name, "credit", count)

    def import_statements(self) -> None:
        name = "statements.jsonl"
        count = 0
        for lines in _batches(self.reader.lines(name, _StatementLine)):
            statements = [self.statement(name, number, line) for number, line in lines]
            ids = [statement.id for statement in statements]
            if len(set(ids)) != len(ids):
                raise ArchiveError(_("statements.jsonl holds the same statement twice."))
            clash = Statement.objects.filter(id__in=ids).values_list("id", flat=True)[:1]
            if clash:
                raise Conflict(
                    _(
                        "Statement %(id)s is already in this Tapestry: was this archive imported before?"
                    )
                    % {"id": clash[0]}
                )
            count += len(_bulk_create(Statement, statements, name))
        self.counted(name, "statements", count)

    def statement(self, name: str, number: int, line: _StatementLine) -> Statement:
        body = line.statement
        try:
            return Statement(
                id=uuid.UUID(str(body["id"])),
                stored=_moment(body["stored"]),
                timestamp=_moment(body["timestamp"]),
                user_id=self.person(name, number, line.user),
                agent_key=agent_key(body["actor"])[:300],
                verb=str(body["verb"]["id"])[:200],
                activity=str(body["object"].get("id", ""))[:500],
                registration=_uuid((body.get("context") or {}).get("registration")),
                body=body,
            )
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise ArchiveError(
                _("%(member)s, line %(line)s: not an xAPI statement as Tapestry stores them.")
                % {"member": name, "line": number}
            ) from error

    def import_audit(self) -> None:
        name = "audit.jsonl"
        count = 0
        for lines in _batches(self.reader.lines(name, _AuditLine)):
            entries = [
                AuditEntry(
                    actor_id=self.person(name, number, line.actor),
                    action=line.action,
                    person_id=self.person(name, number, line.person),
                    subject=line.subject,
                    reason=line.reason,
                    # The trail is append-only, so the time of the original entry rides along.
                    data={**line.data, "archived_occurred_at": line.occurred_at.isoformat()},
                )
                for number, line in lines
            ]
            count += len(_bulk_create(AuditEntry, entries, name))
        self.counted(name, "audit", count)


def _uuid(value: Any) -> uuid.UUID | None:
    return uuid.UUID(str(value)) if value else None


def _moment(value: Any) -> datetime.datetime:
    moment = datetime.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError("a time without its zone")
    return moment


def _bulk_create[T](model: type[T], rows: list[T], member: str) -> list[T]:
    try:
        with transaction.atomic():
            return model._default_manager.bulk_create(rows)  # type: ignore[attr-defined,no-any-return]
    except IntegrityError as error:
        raise Conflict(
            _("%(member)s clashes with records already in this Tapestry (%(error)s).")
            % {"member": member, "error": str(error).splitlines()[0][:200]}
        ) from error


def archive_import(*, file: IO[bytes], actor: Any) -> ImportResult:
    """Bring a training archive into this Tapestry, all of it or (on any problem) none of it.

    Refuses (ArchiveError, 400) a file that is not a ZIP or is damaged, one without a valid
    manifest, of another format or of a newer format version, and any member that does not
    hold what it should; refuses (Conflict, 409) an archive whose courses, certificates or
    statements are already here, so importing the same archive twice changes nothing.
    People are matched by email or made (accounts.api.person_ensure); certificates keep their
    codes, status-list indexes, revocations and signed credentials, and the archive's public
    keys are published so those credentials still verify. Audited (archive_imported)."""
    archive = _open(file)
    saved: list[str] = []
    with archive:
        reader = _Reader(archive)
        manifest = _manifest_read(reader)
        _names_check(reader)
        try:
            with transaction.atomic():
                importer = _Importer(reader, manifest, actor)
                try:
                    return importer.run()
                finally:
                    saved = importer.saved_files
        except Exception:
            for name in saved:
                default_storage.delete(name)
            raise


__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "ArchiveError",
    "ImportResult",
    "archive_chunks",
    "archive_import",
    "archive_name",
    "archive_write",
]
