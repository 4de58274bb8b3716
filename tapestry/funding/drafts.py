"""Writes of a draft application's content: its title and summary, its narrative sections
(saved as people type, with a conflict instead of a silent overwrite when two people edit the
same section) and its attachments (type read from the content, size limited, kept through
Django's storage API).

The sections are data (`data/sections.csv`); the file types allowed are the small table
`ALLOWED_FILE_KINDS` below, each recognized by its first bytes, never by its name or the
browser's word for it.
"""

import csv
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from tapestry.core.api import audit_record
from tapestry.funding.models import Application, ApplicationSection, Attachment
from tapestry.funding.services import FundingError, InvalidTransition, NotAllowed, may_edit
from tapestry.funding.states import Status

SECTIONS_FILE = Path(__file__).resolve().parent / "data" / "sections.csv"
# A file bigger than this is refused before it is stored.
ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
# An application holds at most this many files.
ATTACHMENT_MAX_COUNT = 10


class SectionInvalid(FundingError):
    """No such section, or the text is longer than the section allows."""


class SectionConflict(FundingError):
    """Someone else saved the section since the editor loaded it: nothing was overwritten.
    `current` is the section as it is now (their text, who and when)."""

    def __init__(self, message: str, *, current: ApplicationSection) -> None:
        super().__init__(message)
        self.current = current


class AttachmentRefused(FundingError):
    """A file of a type not allowed (by its content), too big, or one too many."""


# --- sections ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Section:
    """A narrative section every application answers, with its limit in words or characters."""

    key: str
    title: str
    title_es: str
    help: str
    help_es: str
    max_words: int | None
    max_chars: int | None

    def title_in(self, language: str | None) -> str:
        return self.title_es if (language or "").startswith("es") and self.title_es else self.title

    def help_in(self, language: str | None) -> str:
        return self.help_es if (language or "").startswith("es") and self.help_es else self.help

    def limit_text(self) -> str:
        if self.max_words:
            return _("At most %(count)s words.") % {"count": self.max_words}
        if self.max_chars:
            return _("At most %(count)s characters.") % {"count": self.max_chars}
        return ""

    def too_long(self, text: str) -> str:
        """Why the text is too long for this section, or "" if it fits."""
        if self.max_words:
            words = len(text.split())
            if words > self.max_words:
                return ngettext(
                    "This section takes at most %(limit)s words; it has %(count)s word.",
                    "This section takes at most %(limit)s words; it has %(count)s words.",
                    words,
                ) % {"limit": self.max_words, "count": words}
        if self.max_chars and len(text) > self.max_chars:
            return _("This section takes at most %(limit)s characters; it has %(count)s.") % {
                "limit": self.max_chars,
                "count": len(text),
            }
        return ""


def _number(value: str | None) -> int | None:
    return int(value) if value and value.strip() else None


def _load_sections(path: Path) -> tuple[Section, ...]:
    with path.open(encoding="utf-8", newline="") as rows:
        return tuple(
            Section(
                key=row["key"],
                title=row["title"],
                title_es=row["title_es"],
                help=row["help"],
                help_es=row["help_es"],
                max_words=_number(row["max_words"]),
                max_chars=_number(row["max_chars"]),
            )
            for row in csv.DictReader(rows)
        )


SECTIONS = _load_sections(SECTIONS_FILE)
SECTIONS_BY_KEY = {section.key: section for section in SECTIONS}


def _editable_locked(actor: Any, application: Application) -> Application:
    """The application locked for the rest of the transaction, if the actor may still edit it."""
    application = Application.objects.select_for_update().get(pk=application.pk)
    if not may_edit(actor, application):
        raise NotAllowed(_("Only the people of this application may change it."))
    if application.status != Status.DRAFT:
        raise InvalidTransition(_("A submitted application can no longer be changed."))
    return application


def application_describe(
    *, actor: Any, application: Application, project_title: str, summary: str
) -> Application:
    """Set a draft's project title and summary."""
    with transaction.atomic():
        application = _editable_locked(actor, application)
        application.project_title = project_title.strip()[:200]
        application.summary = summary.strip()
        application.save(update_fields=["project_title", "summary", "updated_at"])
    return application


def section_save(
    *, actor: Any, application: Application, key: str, text: str, base_version: int
) -> ApplicationSection:
    """Save a section's text as the editor typed it, starting from `base_version` (the version
    their page loaded). If someone else saved the section since, nothing is written and
    `SectionConflict` carries their text; saving again with the current version overwrites it
    (the editor's explicit choice). The same person's older tab simply overwrites."""
    section = SECTIONS_BY_KEY.get(key)
    if section is None:
        raise SectionInvalid(_("This application has no such section."))
    problem = section.too_long(text)
    if problem:
        raise SectionInvalid(problem)
    with transaction.atomic():
        application = _editable_locked(actor, application)
        row, _created = ApplicationSection.objects.select_for_update().get_or_create(
            application=application, key=key
        )
        if row.text == text:
            # Nothing to save, and nothing to conflict with: the editor catches up.
            return row
        if row.version != base_version and row.updated_by_id not in (None, actor.pk):
            raise SectionConflict(
                _("Someone else changed this section after you opened it."), current=row
            )
        row.text = text
        row.version += 1
        row.updated_by = actor
        row.updated_at = timezone.now()
        row.save(update_fields=["text", "version", "updated_by", "updated_at"])
    return row


# --- attachments ---------------------------------------------------------------------------


@dataclass(frozen=True)
class FileKind:
    """A type of file applicants may attach, as its content shows it."""

    content_type: str
    extension: str
    label: str


PDF = FileKind("application/pdf", "pdf", "PDF")
PNG = FileKind("image/png", "png", "PNG")
JPEG = FileKind("image/jpeg", "jpg", "JPEG")
DOCX = FileKind(
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx", "Word"
)
XLSX = FileKind(
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx", "Excel"
)
ALLOWED_FILE_KINDS = (PDF, DOCX, XLSX, PNG, JPEG)

# The first bytes that identify each simple type; Word and Excel files are zip archives
# told apart by what they hold.
_SIGNATURES = ((b"%PDF-", PDF), (b"\x89PNG\r\n\x1a\n", PNG), (b"\xff\xd8\xff", JPEG))
_ZIP_SIGNATURE = b"PK\x03\x04"


def file_kind(upload: Any) -> FileKind | None:
    """The allowed type this file's content is, or None. Reads the file, then rewinds it."""
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    for signature, kind in _SIGNATURES:
        if head.startswith(signature):
            return kind if kind in ALLOWED_FILE_KINDS else None
    if not head.startswith(_ZIP_SIGNATURE):
        return None
    try:
        with zipfile.ZipFile(upload) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    finally:
        upload.seek(0)
    if "[Content_Types].xml" not in names:
        return None
    if any(name.startswith("word/") for name in names):
        return DOCX
    if any(name.startswith("xl/") for name in names):
        return XLSX
    return None


def _display_name(uploaded_name: str, kind: FileKind) -> str:
    """The name people see and download under: theirs, with the extension of what the file
    really is ("budget.pdf" holding a PNG becomes "budget.png")."""
    base = re.split(r"[\\/]", uploaded_name or "")[-1].strip() or pgettext(
        "file name", "attachment"
    )
    stem = base.rsplit(".", 1)[0] if "." in base.lstrip(".") else base
    return f"{stem[:180]}.{kind.extension}"


def attachment_add(*, actor: Any, application: Application, upload: UploadedFile) -> Attachment:
    """Store a file with a draft, through Django's default storage. Refused, with nothing
    stored, when the content is not one of `ALLOWED_FILE_KINDS`, the file is bigger than
    `ATTACHMENT_MAX_BYTES`, or the draft already holds `ATTACHMENT_MAX_COUNT` files."""
    size = upload.size or 0
    if size > ATTACHMENT_MAX_BYTES:
        raise AttachmentRefused(
            _("This file is bigger than the limit of %(megabytes)s MB.")
            % {"megabytes": ATTACHMENT_MAX_BYTES // (1024 * 1024)}
        )
    if size == 0:
        raise AttachmentRefused(_("This file is empty."))
    kind = file_kind(upload)
    if kind is None:
        raise AttachmentRefused(
            _("This file is not one of the types accepted: %(types)s.")
            % {"types": ", ".join(allowed.label for allowed in ALLOWED_FILE_KINDS)}
        )
    with transaction.atomic():
        application = _editable_locked(actor, application)
        if application.attachments.count() >= ATTACHMENT_MAX_COUNT:
            raise AttachmentRefused(
                _("An application holds at most %(count)s files: remove one first.")
                % {"count": ATTACHMENT_MAX_COUNT}
            )
        attachment = Attachment(
            application=application,
            name=_display_name(upload.name or "", kind),
            content_type=kind.content_type,
            size=size,
            uploaded_by=actor,
        )
        attachment.file.save(attachment.name, upload, save=False)
        try:
            attachment.save()
        except Exception:
            # The row did not land: neither may the file.
            attachment.file.storage.delete(str(attachment.file.name))
            raise
        audit_record(
            actor=actor,
            action="funding.attachment_added",
            target=application,
            data={"attachment": str(attachment.public_id), "type": kind.content_type},
        )
    return attachment


def attachment_remove(*, actor: Any, attachment: Attachment) -> None:
    """Remove a file from a draft; the stored file is deleted once the removal commits."""
    with transaction.atomic():
        _editable_locked(actor, attachment.application)
        storage, stored = attachment.file.storage, str(attachment.file.name)
        audit_record(
            actor=actor,
            action="funding.attachment_removed",
            target=attachment.application,
            data={"attachment": str(attachment.public_id)},
        )
        attachment.delete()
        transaction.on_commit(lambda: storage.delete(stored))
