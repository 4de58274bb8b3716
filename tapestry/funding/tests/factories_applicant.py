"""What the applicant pages' tests start from: a draft made the way a liaison makes one, and
small files of each kind, as their first bytes make them."""

import io
import zipfile
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from tapestry.funding.models import Application, Opportunity
from tapestry.funding.services import application_start, budget_set
from tapestry.funding.tests.factories import OpportunityFactory

PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40
JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 40
HTML_BYTES = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"
EXE_BYTES = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 60


def office_bytes(folder: str) -> bytes:
    """A minimal Office Open XML package: `word` for a .docx, `xl` for a .xlsx."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(f"{folder}/document.xml", "<document/>")
    return buffer.getvalue()


def plain_zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "hello")
    return buffer.getvalue()


def upload(name: str, content: bytes, content_type: str = "application/pdf") -> Any:
    """A file as the browser sends it: its name and content type say whatever they say."""
    return SimpleUploadedFile(name, content, content_type=content_type)


def draft_make(
    *,
    liaison: Any,
    organization: Any,
    opportunity: Opportunity | None = None,
    title: str = "Health fair at the library",
    summary: str = "A Saturday fair with screenings and a nutrition class in Spanish.",
    budget: list[tuple[str, Decimal]] | None = None,
) -> Application:
    """A draft started by the organization's liaison, with a title, a summary and a budget."""
    opportunity = opportunity or OpportunityFactory.create(maximum_amount=Decimal("5000.00"))
    application = application_start(
        actor=liaison, opportunity=opportunity, organization_id=organization.pk
    )
    Application.objects.filter(pk=application.pk).update(project_title=title, summary=summary)
    application.refresh_from_db()
    budget_set(
        actor=liaison,
        application=application,
        lines=budget if budget is not None else [("Screening supplies", Decimal("1200.50"))],
    )
    return application
