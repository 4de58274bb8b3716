"""The training archive: everything exported, the platform wiped, everything imported back
(the round trip), and the archives an import must refuse without writing anything."""

from __future__ import annotations

import datetime
import io
import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jwt
import pytest
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.utils import timezone
from pytest_django.fixtures import Settings

from tapestry.accounts.api import (
    Role,
    email_is_verified,
    person_ensure,
    person_get,
    person_roles,
)
from tapestry.learning.archive import FORMAT, FORMAT_VERSION, archive_chunks, archive_import
from tapestry.learning.models import (
    AuditEntry,
    Certificate,
    Completion,
    Course,
    CreditEntry,
    Enrollment,
    LearnerProfile,
    Lesson,
    QuizOption,
    Requirement,
    SigningKey,
    Statement,
)
from tapestry.learning.services import certificate_revoke, completion_import
from tapestry.learning.tests.factories import course_finish, course_make, requirement_make

if TYPE_CHECKING:
    from tapestry.accounts.api import User

FILE_TEXT = b"%PDF-1.4 a handout about privacy\n"
IMPORTED_AT = datetime.datetime(2025, 3, 4, 15, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def _media(settings: Settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def _catalog() -> tuple[Course, Course, Course]:
    """An English course with a lesson file, its Spanish translation, and a course that needs
    the first one done; a requirement for liaisons."""
    basics = course_make(slug="privacy-basics", compliance=True, ce_hours="1.5")
    lesson = Lesson.objects.filter(module__course=basics).order_by("position").first()
    assert lesson is not None
    lesson.file.save("handout.pdf", ContentFile(FILE_TEXT))
    spanish = course_make(
        slug="privacidad-basica", title="Privacidad básica", language="es", translation_of=basics
    )
    advanced = course_make(slug="privacy-advanced", title="Privacy advanced")
    advanced.prerequisites.add(basics)
    requirement_make(role=Role.LIAISON, course=basics, due_days=45)
    return basics, spanish, advanced


def _records(alice: User, rosa: User, admin: User) -> dict[str, str]:
    """Completions (one kept, one revoked, one imported from another system), CE entries and
    a learner profile; returns their certificate codes."""
    basics, spanish, _advanced = _catalog()
    kept = course_finish(user_id=alice.pk, course=basics)
    revoked = course_finish(user_id=rosa.pk, course=spanish)
    certificate_revoke(
        certificate_id=revoked.certificate.pk, actor=admin, reason="Quiz taken by another"
    )
    imported = completion_import(
        user_id=rosa.pk,
        course=basics,
        completed_at=IMPORTED_AT,
        source_system="TRAIN Learning Network",
        actor=admin,
        score=92,
    )
    CreditEntry.objects.create(
        user=rosa,
        title="Health literacy webinar",
        provider="Network of the National Library of Medicine",
        earned_on=datetime.date(2025, 5, 1),
        hours="2.0",
        approved=True,
        competencies=["II"],
    )
    LearnerProfile.objects.create(user=rosa, region_code="region-6")
    return {
        "kept": kept.certificate.code,
        "revoked": revoked.certificate.code,
        "imported": imported.certificate.code,
    }


def _snapshot() -> dict[str, Any]:
    """Every record the archive carries, by natural keys (not ids, which change)."""
    users = get_user_model().objects
    email: dict[int | None, str] = {user.pk: user.email for user in users.all()}
    return {
        "courses": sorted(
            (
                course.slug,
                course.title,
                course.language,
                course.translation_of.slug if course.translation_of else None,
                sorted(course.prerequisites.values_list("slug", flat=True)),
                str(course.ce_hours),
                course.compliance,
                course.version,
            )
            for course in Course.objects.all()
        ),
        "options": sorted(
            QuizOption.objects.values_list(
                "question__quiz__module__course__slug", "question__text", "text", "correct"
            )
        ),
        "requirements": sorted(Requirement.objects.values_list("role", "course__slug", "due_days")),
        "enrollments": sorted(
            (email[e.user_id], e.course.slug, e.source, e.enrolled_at, str(e.registration))
            for e in Enrollment.objects.select_related("course")
        ),
        "completions": sorted(
            (
                email[c.user_id],
                c.course.slug,
                c.course_version,
                c.completed_at,
                c.expires_at,
                c.score,
                c.provenance,
                c.source_system,
                c.certificate.code,
                c.certificate.status_index,
                c.certificate.revoked_at,
                c.certificate.revoked_reason,
                c.certificate.credential_jwt,
            )
            for c in Completion.objects.select_related("course", "certificate")
        ),
        "credit": sorted(
            (email[e.user_id], e.title, str(e.hours), e.approved, e.earned_on, e.competencies)
            for e in CreditEntry.objects.all()
        ),
        "statements": sorted(
            (str(s.id), email.get(s.user_id), s.verb, s.stored, s.body)
            for s in Statement.objects.all()
        ),
        "audit": sorted(
            (e.action, email.get(e.actor_id), email.get(e.person_id), e.subject, e.reason)
            for e in AuditEntry.objects.all()
        ),
        "profiles": sorted(LearnerProfile.objects.values_list("user__email", "region_code")),
    }


def _wipe(*, keep: User) -> None:
    """Delete every training record and every person but `keep` (the staff member who will
    import), as a fresh Tapestry would be."""
    with connection.cursor() as cursor:
        # The trail refuses deletes (a PostgreSQL trigger too); TRUNCATE fires no row trigger.
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no deferred checks pending
            cursor.execute("TRUNCATE learning_auditentry")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        else:
            cursor.execute("DELETE FROM learning_auditentry")
    Statement.objects.all().delete()
    CreditEntry.objects.all().delete()
    Certificate.objects.all().delete()
    Completion.objects.all().delete()
    Requirement.objects.all().delete()
    Enrollment.objects.all().delete()
    LearnerProfile.objects.all().delete()
    Course.objects.all().delete()
    SigningKey.objects.all().delete()
    get_user_model().objects.exclude(pk=keep.pk).delete()


def _export() -> bytes:
    return b"".join(archive_chunks(chunk_bytes=4096))


def _counts() -> dict[str, int]:
    return {
        "courses": Course.objects.count(),
        "completions": Completion.objects.count(),
        "certificates": Certificate.objects.count(),
        "statements": Statement.objects.count(),
        "audit": AuditEntry.objects.count(),
        "people": get_user_model().objects.count(),
        "keys": SigningKey.objects.count(),
    }


@pytest.fixture
def exported(
    alice_liaison: User, rosa_spanish: User, admin: User
) -> tuple[bytes, dict[str, Any], dict[str, Any]]:
    """The archive of a platform with records, the records, and the platform then wiped."""
    records = _records(alice_liaison, rosa_spanish, admin)
    before = _snapshot()
    data = _export()
    _wipe(keep=admin)
    return data, before, records


def _upload(client: Client, data: bytes, name: str = "archive.zip") -> Any:
    upload = io.BytesIO(data)
    upload.name = name
    return client.post("/learning/staff/archive/", {"archive": upload})


def test_the_archive_holds_every_member_with_the_manifest_first(
    alice_liaison: User, rosa_spanish: User, admin: User
) -> None:
    _records(alice_liaison, rosa_spanish, admin)

    archive = zipfile.ZipFile(io.BytesIO(_export()))

    names = archive.namelist()
    assert names[0] == "manifest.json"
    assert set(names) == {
        "manifest.json",
        "courses/privacidad-basica/course.json",
        "courses/privacy-advanced/course.json",
        "courses/privacy-basics/course.json",
        f"courses/privacy-basics/files/{Lesson.objects.exclude(file='').get().pk}-handout.pdf",
        "learners.jsonl",
        "enrollments.jsonl",
        "completions.jsonl",
        "credit.jsonl",
        "statements.jsonl",
        "audit.jsonl",
        "summaries/learners.csv",
        "summaries/completions.csv",
    }
    manifest = json.loads(archive.read("manifest.json"))
    assert (manifest["format"], manifest["format_version"]) == (FORMAT, FORMAT_VERSION)
    assert manifest["counts"] == {
        "courses": 3,
        "files": 1,
        "learners": 3,
        "enrollments": 2,
        "completions": 3,
        "certificates": 3,
        "credit": 2,
        "statements": Statement.objects.count(),
        "audit": 2,
    }
    assert manifest["jwks"]["keys"][0]["kid"] == SigningKey.objects.get().kid
    assert "d" not in manifest["jwks"]["keys"][0]
    learners = [json.loads(line) for line in archive.read("learners.jsonl").splitlines()]
    assert sorted(
        (row["email"], row["name"], row["language"], row["roles"]) for row in learners
    ) == [
        ("adam@example.org", "Adam Admin", "en", ["administrator"]),
        ("alice@example.org", "Alice Liaison", "en", ["liaison"]),
        ("rosa@example.org", "Rosa Delgado", "es", ["community_partner"]),
    ]
    course = json.loads(archive.read("courses/privacidad-basica/course.json"))
    assert (course["translation_of"], course["language"]) == ("privacy-basics", "es")
    assert [len(module["lessons"]) for module in course["modules"]] == [2]


def test_the_summaries_are_spreadsheet_safe(
    alice_liaison: User, rosa_spanish: User, admin: User
) -> None:
    alice_liaison.full_name = "=HYPERLINK(1)"
    alice_liaison.save(update_fields=["full_name"])
    _records(alice_liaison, rosa_spanish, admin)

    archive = zipfile.ZipFile(io.BytesIO(_export()))

    learners = archive.read("summaries/learners.csv").decode().splitlines()
    assert learners[0] == "ref,email,name,language,roles,organization,region"
    assert f"{alice_liaison.pk},alice@example.org,'=HYPERLINK(1),en,liaison,," in learners
    completions = archive.read("summaries/completions.csv").decode().splitlines()
    assert len(completions) == 4
    assert any(",TRAIN Learning Network," in line and ",imported," in line for line in completions)


def test_the_round_trip_brings_everything_back(
    exported: tuple[bytes, dict[str, Any], dict[str, Any]], admin: User, admin_signed_in: Client
) -> None:
    data, before, records = exported
    assert _counts()["courses"] == 0

    response = _upload(admin_signed_in, data)

    assert response.status_code == 200, response.content.decode()[:2000]
    page = response.content.decode()
    assert "The archive was imported" in page
    after = _snapshot()
    for member in before:
        if member != "audit":
            assert after[member] == before[member], member
    assert after["audit"] == sorted(
        [
            *before["audit"],
            ("archive_imported", "adam@example.org", None, after["audit"][0][3], ""),
        ]
    )
    imported_entry = AuditEntry.objects.get(action="archive_imported")
    assert imported_entry.data["counts"]["completions"] == 3
    assert imported_entry.data["keys_added"] == 1
    # Alice is back as a liaison; her role's required course was done, so nothing new is due.
    alice = get_user_model().objects.get(email="alice@example.org")
    assert person_roles(user_id=alice.pk) == [Role.LIAISON]
    assert Enrollment.objects.filter(user=alice).count() == 1
    # The lesson file came back through the storage.
    lesson = Lesson.objects.exclude(file="").get()
    with lesson.file.open("rb") as handout:
        assert handout.read() == FILE_TEXT
    # Certificates verify as before: the revoked one says so.
    kept_code, revoked_code = records["kept"], records["revoked"]
    assert "Valid" in admin_signed_in.get(f"/learning/verify/{kept_code}/").content.decode()
    revoked_page = admin_signed_in.get(f"/learning/verify/{revoked_code}/").content.decode()
    assert "Revoked" in revoked_page
    # The original credential still verifies with the keys this Tapestry now publishes.
    keys = admin_signed_in.get("/.well-known/jwks.json").json()["keys"]
    assert SigningKey.objects.get().private_pem == ""
    token = Certificate.objects.get(code=kept_code).credential_jwt
    header = jwt.get_unverified_header(token)
    key = next(jwt.PyJWK(item) for item in keys if item["kid"] == header["kid"])
    claims = jwt.decode(token, key, algorithms=["RS256"], options={"verify_aud": False})
    assert claims["credentialSubject"]["achievement"]["name"] == "Privacy basics"
    # A certificate issued after the import takes the next index, and a new key signs it.
    later = course_finish(user_id=alice.pk, course=Course.objects.get(slug="privacy-advanced"))
    assert later.certificate.status_index == 4
    assert SigningKey.objects.count() == 2


def test_the_same_archive_twice_is_refused_and_changes_nothing(
    exported: tuple[bytes, dict[str, Any], dict[str, Any]], admin_signed_in: Client
) -> None:
    data, _before, _records = exported
    assert _upload(admin_signed_in, data).status_code == 200
    counts = _counts()

    response = _upload(admin_signed_in, data)

    assert response.status_code == 409
    assert "This Tapestry already has the course privacidad-basica" in response.content.decode()
    assert _counts() == counts


def test_the_commands_export_and_import(
    exported: tuple[bytes, dict[str, Any], dict[str, Any]], tmp_path: Path, admin: User
) -> None:
    data, before, _records = exported
    source = tmp_path / "in.zip"
    source.write_bytes(data)
    out = io.StringIO()

    call_command("learning_import", str(source), stdout=out)

    assert "completions 3" in out.getvalue()
    assert _snapshot()["completions"] == before["completions"]
    target = tmp_path / "out.zip"
    call_command("learning_export", str(target), stdout=io.StringIO())
    manifest = json.loads(zipfile.ZipFile(target).read("manifest.json"))
    assert manifest["counts"]["completions"] == 3
    assert manifest["counts"]["audit"] == 3  # the two entries and the import's own


def _rewrite(data: bytes, change: Callable[[str, bytes], bytes | None], **options: Any) -> bytes:
    """The archive with each member passed through `change` (None leaves the member out)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    target = io.BytesIO()
    with zipfile.ZipFile(target, "w", **options) as archive:
        for name in source.namelist():
            content = change(name, source.read(name))
            if content is not None:
                archive.writestr(name, content)
    return target.getvalue()


def _manifest_with(**fields: Any) -> Callable[[str, bytes], bytes | None]:
    def change(name: str, content: bytes) -> bytes:
        if name != "manifest.json":
            return content
        return json.dumps({**json.loads(content), **fields}).encode()

    return change


def _bad_crc(data: bytes) -> bytes:
    stored = _rewrite(data, lambda name, content: content, compression=zipfile.ZIP_STORED)
    start = stored.index(b'"email":"alice@example.org"')
    return stored[:start] + b'"email":"alicf@example.org"' + stored[start + 27 :]


BAD_ARCHIVES: list[tuple[str, Callable[[bytes], bytes], int, str]] = [
    ("not a zip", lambda data: b"name,email\nAlice,alice@example.org\n", 400, "not a ZIP archive"),
    (
        "truncated",
        lambda data: data[: len(data) // 2],
        400,
        "not a ZIP archive, or it was cut short",
    ),
    ("bad crc", _bad_crc, 400, "learners.jsonl is damaged (Bad CRC-32"),
    (
        "malformed line",
        lambda data: _rewrite(
            data,
            lambda name, content: content + b"{not json\n" if name == "audit.jsonl" else content,
        ),
        400,
        "audit.jsonl, line 3: ",
    ),
    (
        "count mismatch",
        lambda data: _rewrite(
            data,
            lambda name, content: (
                b"".join(content.splitlines(keepends=True)[:-1])
                if name == "statements.jsonl"
                else content
            ),
        ),
        400,
        "statements.jsonl holds",
    ),
    (
        "newer format",
        lambda data: _rewrite(data, _manifest_with(format_version=FORMAT_VERSION + 1)),
        400,
        "made by a newer Tapestry",
    ),
    (
        "other format",
        lambda data: _rewrite(data, _manifest_with(format="someone-elses-archive")),
        400,
        "is not a Tapestry training archive",
    ),
    (
        "no manifest",
        lambda data: _rewrite(data, lambda name, c: None if name == "manifest.json" else c),
        400,
        "has no manifest.json",
    ),
    (
        "unknown learner",
        lambda data: _rewrite(
            data,
            lambda name, content: (
                content.replace(b'{"user":', b'{"user":999999', 1)
                if name == "credit.jsonl"
                else content
            ),
        ),
        400,
        "credit.jsonl, line 1: learner 999999",
    ),
    (
        "private key",
        lambda data: _rewrite(
            data,
            lambda name, content: (
                content.replace(b'"kid":', b'"d":"secret","kid":', 1)
                if name == "manifest.json"
                else content
            ),
        ),
        400,
        "holds a private key",
    ),
]


@pytest.mark.parametrize(
    ("change", "status", "message"),
    [case[1:] for case in BAD_ARCHIVES],
    ids=[case[0] for case in BAD_ARCHIVES],
)
def test_a_bad_archive_is_refused_with_a_clear_message_and_nothing_written(
    exported: tuple[bytes, dict[str, Any], dict[str, Any]],
    admin_signed_in: Client,
    settings: Settings,
    change: Callable[[bytes], bytes],
    status: int,
    message: str,
) -> None:
    data, _before, _records = exported
    counts = _counts()
    files = sorted(p.name for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file())

    response = _upload(admin_signed_in, change(data))

    assert response.status_code == status
    page = response.content.decode()
    assert "Nothing was imported" in page
    assert message in page.replace("&quot;", '"')
    assert _counts() == counts
    # A lesson file saved before the problem was found is removed again.
    assert sorted(p.name for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()) == files


def test_an_oversized_upload_is_refused_before_it_is_read(
    exported: tuple[bytes, dict[str, Any], dict[str, Any]],
    admin_signed_in: Client,
    settings: Settings,
) -> None:
    data, _before, _records = exported
    counts = _counts()
    settings.LEARNING_ARCHIVE_MAX_BYTES = 1000

    response = _upload(admin_signed_in, data)

    assert response.status_code == 413
    assert "The file is too large" in response.content.decode()
    assert _counts() == counts


def test_the_download_streams_a_zip_to_staff_and_is_recorded(
    alice_liaison: User,
    rosa_spanish: User,
    admin: User,
    paula_client: Client,
    audit_log: Callable[[], list[tuple[Any, ...]]],
) -> None:
    _records(alice_liaison, rosa_spanish, admin)

    response = paula_client.get("/learning/staff/archive/download/")

    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "application/zip"
    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == (
        f'attachment; filename="tapestry-learning-{today}.zip"'
    )
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))  # type: ignore[attr-defined,arg-type]
    assert archive.testzip() is None
    assert json.loads(archive.read("manifest.json"))["counts"]["completions"] == 3
    assert audit_log()[-1] == ("learning.archive_exported", "paula@example.org", "", "")


def test_the_archive_page_is_for_program_staff_and_administrators_only(
    alice_client: Client, paula_client: Client
) -> None:
    assert alice_client.get("/learning/staff/archive/").status_code == 403
    assert alice_client.get("/learning/staff/archive/download/").status_code == 403
    assert alice_client.post("/learning/staff/archive/").status_code == 403
    page = paula_client.get("/learning/staff/archive/")
    assert page.status_code == 200
    assert "Download the archive" in page.content.decode()


def test_records_made_while_the_export_runs_wait_for_the_next_archive(
    alice_liaison: User, rosa_spanish: User, admin: User, bob_applicant: User
) -> None:
    _records(alice_liaison, rosa_spanish, admin)
    chunks = archive_chunks(chunk_bytes=1)
    first = next(chunks)  # the scope is fixed and the manifest written

    course_finish(user_id=bob_applicant.pk, course=Course.objects.get(slug="privacidad-basica"))
    data = first + b"".join(chunks)

    archive = zipfile.ZipFile(io.BytesIO(data))
    emails = [json.loads(line)["email"] for line in archive.read("learners.jsonl").splitlines()]
    assert "bob@example.org" not in emails
    assert json.loads(archive.read("manifest.json"))["counts"]["completions"] == 3
    assert len(archive.read("completions.jsonl").splitlines()) == 3
    _wipe(keep=admin)
    archive_import(file=io.BytesIO(data), actor=admin)
    assert Completion.objects.count() == 3


def test_the_archive_page_speaks_spanish(paula_client: Client) -> None:
    paula_client.cookies["django_language"] = "es"

    page = paula_client.get("/learning/staff/archive/")

    text = page.content.decode()
    assert "Descargar el archivo de la formación" in text
    assert "Importar un archivo de la formación" in text


def test_people_are_matched_by_email_or_made_without_a_password(alice_liaison: User) -> None:
    assert person_ensure(email=" ALICE@example.org ", name="Other", language="es") == (
        alice_liaison.pk
    )

    made = person_ensure(email="New.Person@Example.org", name="Nueva Persona", language="es")

    person = person_get(user_id=made)
    assert person is not None
    assert (person.email, person.name, person.language) == (
        "new.person@example.org",
        "Nueva Persona",
        "es",
    )
    assert not email_is_verified(user_id=made, email="new.person@example.org")
    assert not get_user_model().objects.get(pk=made).has_usable_password()
    alice_liaison.refresh_from_db()
    assert alice_liaison.full_name == "Alice Liaison"
