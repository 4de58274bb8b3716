"""A person's own continuing-education ledger: hours by competency, progress toward the
Consumer Health Information Specialization, a class taken elsewhere added, and the transcript
as a PDF. Each person sees only their own ledger: every read is by the signed-in user's id."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from tapestry.accounts.api import person_get
from tapestry.learning import credit, services
from tapestry.learning.forms.credit import CreditEntryForm
from tapestry.learning.models import CreditEntry

LEDGER_PAGE_SIZE = 25


@dataclass(frozen=True)
class LedgerRow:
    entry: CreditEntry
    competencies: str  # their names, in the page's language
    counted: bool  # within the CHIS window


@dataclass(frozen=True)
class LedgerPage:
    """One page of the ledger, in the shape includes/pagination.html reads."""

    items: list[LedgerRow]
    page: int
    num_pages: int

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.num_pages


def _rows(entries: list[CreditEntry], language: str, counted: set[int]) -> list[LedgerRow]:
    names = {item.code: item.name(language) for item in credit.competencies()}
    return [
        LedgerRow(
            entry=entry,
            competencies=", ".join(names.get(code, code) for code in entry.competencies),
            counted=entry.pk in counted,
        )
        for entry in entries
    ]


def _ledger_page(entries: list[LedgerRow], raw_page: str | None) -> LedgerPage:
    pages = max(1, math.ceil(len(entries) / LEDGER_PAGE_SIZE))
    page = int(raw_page) if raw_page and raw_page.isdigit() else 1
    page = min(max(page, 1), pages)
    start = (page - 1) * LEDGER_PAGE_SIZE
    return LedgerPage(items=entries[start : start + LEDGER_PAGE_SIZE], page=page, num_pages=pages)


@require_http_methods(["GET", "POST"])
@login_required
def credit_page(request: HttpRequest) -> HttpResponse:
    language = get_language() or "en"
    user_id: int = request.user.pk  # type: ignore[assignment]
    form = CreditEntryForm(request.POST or None, language=language)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.credit_entry_add(user_id=user_id, **form.cleaned_data)
            except services.LearningError as error:
                form.add_error(None, str(error))
                status = error.status
            else:
                messages.success(request, _("The class was added to your ledger."))
                return redirect("learning:credit")
        else:
            status = 400
    summary = credit.credit_summary(user_id=user_id)
    rows = _rows(
        credit.ledger_entries(user_id=user_id),
        language,
        {entry.pk for entry in summary.counted},
    )
    context: dict[str, Any] = {
        "form": form,
        "summary": summary,
        "ledger": _ledger_page(rows, request.GET.get("page")),
        "language": language,
    }
    return render(request, "learning/credit/credit.html", context, status=status)


def transcript_html(request: HttpRequest) -> str:
    """The transcript as HTML in the signed-in person's language: the PDF is made from it."""
    language = get_language() or "en"
    user_id: int = request.user.pk  # type: ignore[assignment]
    person = person_get(user_id=user_id)
    summary = credit.credit_summary(user_id=user_id)
    return render_to_string(
        "learning/credit/transcript.html",
        {
            "person": person,
            "issuer_name": settings.LEARNING_ISSUER_NAME,
            "summary": summary,
            "rows": _rows(summary.counted, language, {entry.pk for entry in summary.counted}),
            "language": language,
        },
        request=request,
    )


@require_GET
@login_required
def transcript_pdf(request: HttpRequest) -> HttpResponse:
    from weasyprint import HTML  # a heavy import, paid only when a transcript is asked for

    # The transcript's HTML is self-contained (its style inline, no images): nothing is fetched.
    pdf = HTML(string=transcript_html(request)).write_pdf()
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = 'attachment; filename="ce-transcript.pdf"'
    return response
