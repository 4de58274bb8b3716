"""Attachments: the type is what the content is (never the name or the browser's word), the
size is limited, a refusal stores nothing, and only the application's people and program
staff download them."""

from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.test import Client
from pytest_django.fixtures import Settings

from tapestry.funding import drafts
from tapestry.funding.models import Application, Attachment, ConflictOfInterest
from tapestry.funding.services import application_submit
from tapestry.funding.tests.factories_applicant import (
    EXE_BYTES,
    HTML_BYTES,
    JPEG_BYTES,
    PDF_BYTES,
    PNG_BYTES,
    draft_make,
    office_bytes,
    plain_zip_bytes,
    upload,
)
from tapestry.funding.tests.factories_staff import in_review_make, reviewer_make

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings: Settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def draft(alice_liaison: Any, alice_library: Any) -> Application:
    return draft_make(liaison=alice_liaison, organization=alice_library)


def add_url(application: Application) -> str:
    return f"/funding/applications/{application.public_id}/attachments/"


def stored_files(media: Path) -> list[Path]:
    return [path for path in media.rglob("*") if path.is_file()]


@pytest.mark.parametrize(
    ("name", "content", "content_type", "stored_name"),
    [
        ("letter.pdf", PDF_BYTES, "application/pdf", "letter.pdf"),
        # A PNG named .pdf is a PNG (allowed), named for what it is
        ("scan.pdf", PNG_BYTES, "image/png", "scan.png"),
        ("photo.jpeg", JPEG_BYTES, "image/jpeg", "photo.jpg"),
        ("plan.docx", office_bytes("word"), drafts.DOCX.content_type, "plan.docx"),
        ("budget.xlsx", office_bytes("xl"), drafts.XLSX.content_type, "budget.xlsx"),
    ],
)
def test_a_file_is_stored_as_the_type_its_content_shows(
    alice_client: Client,
    draft: Application,
    media: Path,
    audit_log: Any,
    name: str,
    content: bytes,
    content_type: str,
    stored_name: str,
) -> None:
    response = alice_client.post(
        add_url(draft), {"file": upload(name, content, "application/octet-stream")}
    )

    attachment = Attachment.objects.get()
    assert response.status_code == 302
    assert (attachment.name, attachment.content_type, attachment.size) == (
        stored_name,
        content_type,
        len(content),
    )
    stored = str(attachment.file.name)
    assert stored.startswith(f"funding/{draft.public_id}/")
    assert default_storage.open(stored).read() == content
    assert len(stored_files(media)) == 1
    assert audit_log()[-1] == (
        "funding.attachment_added",
        "alice@example.org",
        "funding.application",
        str(draft.pk),
    )


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("page.pdf", HTML_BYTES),
        ("setup.pdf", EXE_BYTES),
        ("archive.docx", plain_zip_bytes()),
        ("notes.pdf", b"just some words"),
    ],
)
def test_a_file_of_another_type_is_refused_whatever_its_name(
    alice_client: Client,
    draft: Application,
    media: Path,
    audit_log: Any,
    name: str,
    content: bytes,
) -> None:
    before = audit_log()

    response = alice_client.post(add_url(draft), {"file": upload(name, content)})

    assert response.status_code == 400
    assert (
        "This file is not one of the types accepted: PDF, Word, Excel, PNG, JPEG."
        in response.content.decode()
    )
    assert Attachment.objects.count() == 0
    assert stored_files(media) == []
    assert audit_log() == before


def test_a_file_over_the_limit_is_refused(
    alice_client: Client, draft: Application, media: Path
) -> None:
    content = PDF_BYTES + b"0" * drafts.ATTACHMENT_MAX_BYTES

    response = alice_client.post(add_url(draft), {"file": upload("big.pdf", content)})

    assert response.status_code == 400
    assert "This file is bigger than the limit of 10 MB." in response.content.decode()
    assert Attachment.objects.count() == 0
    assert stored_files(media) == []


def test_at_most_ten_files(
    alice_liaison: Any, alice_client: Client, draft: Application, media: Path
) -> None:
    for number in range(drafts.ATTACHMENT_MAX_COUNT):
        drafts.attachment_add(
            actor=alice_liaison, application=draft, upload=upload(f"f{number}.pdf", PDF_BYTES)
        )

    response = alice_client.post(add_url(draft), {"file": upload("one-more.pdf", PDF_BYTES)})

    assert response.status_code == 400
    assert Attachment.objects.count() == drafts.ATTACHMENT_MAX_COUNT
    assert len(stored_files(media)) == drafts.ATTACHMENT_MAX_COUNT


def test_a_stranger_cannot_upload(bob_client: Client, draft: Application, media: Path) -> None:
    response = bob_client.post(add_url(draft), {"file": upload("x.pdf", PDF_BYTES)})

    assert response.status_code == 404
    assert stored_files(media) == []


def test_download_is_an_attachment_with_the_stored_type_for_people_and_staff(
    alice_liaison: Any,
    alice_client: Client,
    paula_client: Client,
    bob_client: Client,
    draft: Application,
) -> None:
    attachment = drafts.attachment_add(
        actor=alice_liaison, application=draft, upload=upload("scan.pdf", PNG_BYTES)
    )
    download = f"/funding/attachments/{attachment.public_id}/"

    mine = alice_client.get(download)
    staff = paula_client.get(download)

    assert mine.status_code == 200
    assert mine["Content-Type"] == "image/png"
    assert mine["Content-Disposition"] == 'attachment; filename="scan.png"'
    assert mine.getvalue() == PNG_BYTES
    assert staff.status_code == 200
    assert bob_client.get(download).status_code == 404


def test_removing_a_file_deletes_it_from_storage(
    alice_liaison: Any,
    alice_client: Client,
    draft: Application,
    media: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    attachment = drafts.attachment_add(
        actor=alice_liaison, application=draft, upload=upload("letter.pdf", PDF_BYTES)
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(f"/funding/attachments/{attachment.public_id}/remove/")

    assert response.status_code == 302
    assert Attachment.objects.count() == 0
    assert stored_files(media) == []


def test_a_stranger_cannot_remove_a_file(
    alice_liaison: Any, bob_client: Client, draft: Application, media: Path
) -> None:
    attachment = drafts.attachment_add(
        actor=alice_liaison, application=draft, upload=upload("letter.pdf", PDF_BYTES)
    )

    response = bob_client.post(f"/funding/attachments/{attachment.public_id}/remove/")

    assert response.status_code == 404
    assert Attachment.objects.count() == 1
    assert len(stored_files(media)) == 1


def test_an_assigned_reviewer_downloads_a_file_unless_in_conflict(
    alice_liaison: Any,
    paula_program_staff: Any,
    draft: Application,
    staff_signed_in: Any,
) -> None:
    attachment = drafts.attachment_add(
        actor=alice_liaison, application=draft, upload=upload("letter.pdf", PDF_BYTES)
    )
    application_submit(actor=alice_liaison, application=draft)
    rita = reviewer_make("rita@example.org")
    other = reviewer_make("omar@example.org")
    in_review_make(staff=paula_program_staff, application=draft, reviewer=rita)
    download = f"/funding/attachments/{attachment.public_id}/"

    assigned = staff_signed_in(rita).get(download)
    not_assigned = staff_signed_in(other).get(download)
    ConflictOfInterest.objects.create(
        reviewer=rita, organization_id=draft.organization_id, reason="My employer."
    )
    conflicted = staff_signed_in(rita).get(download)

    assert assigned.status_code == 200
    assert assigned.getvalue() == PDF_BYTES
    assert not_assigned.status_code == 404
    assert conflicted.status_code == 404
