"""The award letter and invoices as PDFs (WeasyPrint), in the reader's language.

The PDF's title names the award or invoice number, so a reader (and the tests) find it in the
document's properties as well as on the page.
"""

from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from tapestry.funding import awards
from tapestry.funding.models import Award, Invoice
from tapestry.network.api import organizations_get

TEMPLATES = "funding/awards"


def _organization_name(award: Award) -> str:
    organization = organizations_get(organization_ids=[award.organization_id]).get(
        award.organization_id
    )
    return organization.name if organization else ""


def _render(template: str, context: dict[str, Any], language: str) -> str:
    with translation.override(language):
        return render_to_string(
            f"{TEMPLATES}/{template}",
            {"site_name": settings.SITE_NAME, "language": language, **context},
        )


def award_letter_html(award: Award, *, language: str) -> str:
    return _render(
        "letter_pdf.html",
        {
            "award": award,
            "organization_name": _organization_name(award),
            "project_title": award.application.project_title,
            "call_title": award.application.opportunity.title_in(language),
            "amount": awards.dollars(award.amount),
            "acknowledgement": awards.acknowledgement_in(award, language),
            "reports": list(award.reports.all()),
        },
        language,
    )


def invoice_html(invoice: Invoice, *, language: str) -> str:
    award = invoice.award
    return _render(
        "invoice_pdf.html",
        {
            "award": award,
            "invoice": invoice,
            "organization_name": _organization_name(award),
            "call_title": award.application.opportunity.title_in(language),
            "amount": awards.dollars(invoice.amount),
            "award_amount": awards.dollars(award.amount),
        },
        language,
    )


def _write(html: str, base_url: str) -> bytes:
    # Imported here: WeasyPrint takes seconds to import, which every process serving any
    # page would otherwise pay on its first request.
    import weasyprint

    return bytes(weasyprint.HTML(string=html, base_url=base_url).write_pdf())


def award_letter_pdf(award: Award, *, language: str, base_url: str) -> bytes:
    return _write(award_letter_html(award, language=language), base_url)


def invoice_pdf(invoice: Invoice, *, language: str, base_url: str) -> bytes:
    return _write(invoice_html(invoice, language=language), base_url)
