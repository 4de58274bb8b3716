"""REDCap interchange for staff: import a data dictionary as a draft instrument, download an
instrument as a data dictionary and its responses as REDCap records (streamed)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from tapestry.accounts.api import AuthenticatedRequest, Role, user_has_role
from tapestry.surveys import redcap, selectors
from tapestry.surveys.forms.interchange import DictionaryImportForm, ExportLanguageForm
from tapestry.surveys.models import Instrument
from tapestry.surveys.schemas import InstrumentSpec
from tapestry.surveys.services import SpecError, instrument_import, responses_export_record

IMPORT_TEMPLATE = "surveys/interchange/import.html"
# Room for the multipart envelope and the other fields around the file.
_ENVELOPE_BYTES = 64 * 1024


def _staff_only(request: HttpRequest) -> None:
    if not user_has_role(request.user, Role.PROGRAM_STAFF, Role.ADMINISTRATOR):
        raise PermissionDenied


def _import_page(
    request: HttpRequest, form: DictionaryImportForm, *, status: int = 200, **extra: Any
) -> HttpResponse:
    context = {
        "form": form,
        "instruments": selectors.instruments_for_interchange(),
        "max_bytes": settings.SURVEYS_IMPORT_MAX_BYTES,
        **extra,
    }
    return render(request, IMPORT_TEMPLATE, context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def redcap_import(request: AuthenticatedRequest) -> HttpResponse:
    _staff_only(request)
    if request.method == "GET":
        return _import_page(request, DictionaryImportForm())
    declared = int(request.META.get("CONTENT_LENGTH") or 0)
    if declared > settings.SURVEYS_IMPORT_MAX_BYTES + _ENVELOPE_BYTES:
        # Refuse before reading the upload at all.
        form = DictionaryImportForm()
        form.too_large = True
        return _import_page(request, form, status=413, too_large=True)
    form = DictionaryImportForm(request.POST, request.FILES)
    if not form.is_valid() or form.result is None:
        return _import_page(request, form, status=413 if form.too_large else 400)
    result = form.result
    report = [str(line) for line in result.report]
    if result.spec is None:
        return _import_page(request, form, status=400, result=result, report=report)
    counts = {
        "imported": sum(1 for line in result.report if line.imported),
        "not_imported": sum(1 for line in result.report if not line.imported),
    }
    try:
        instrument = instrument_import(
            spec=result.spec,
            language=form.cleaned_data["language"],
            created_by=request.user,
            form=result.form,
            report_counts=counts,
        )
    except SpecError as error:
        return _import_page(
            request, form, status=400, result=result, report=report, problems=error.problems
        )
    return render(
        request,
        "surveys/interchange/report.html",
        {"instrument": instrument, "result": result, "report": report},
    )


def _language(request: HttpRequest, instrument: Instrument) -> str | HttpResponse:
    form = ExportLanguageForm(request.GET)
    if not form.is_valid():
        return render(
            request,
            "surveys/interchange/bad_download.html",
            {"instrument": instrument, "message": _("Choose English (en) or Spanish (es).")},
            status=400,
        )
    return str(form.cleaned_data["language"])


@login_required
@require_GET
def redcap_dictionary(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    _staff_only(request)
    instrument = get_object_or_404(Instrument, slug=slug)
    language = _language(request, instrument)
    if isinstance(language, HttpResponse):
        return language
    structure = selectors.instrument_structure(instrument=instrument)
    spec = InstrumentSpec.model_validate(selectors.instrument_spec(structure=structure))
    text = redcap.csv_text(redcap.dictionary_export(spec, language=language or "en"))
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    name = redcap.form_name(instrument.slug)
    response["Content-Disposition"] = (
        f'attachment; filename="{name}_DataDictionary_{language or "en"}.csv"'
    )
    return response


@login_required
@require_GET
def redcap_records(request: AuthenticatedRequest, slug: str) -> HttpResponseBase:
    _staff_only(request)
    instrument = get_object_or_404(Instrument, slug=slug)
    language = _language(request, instrument)
    if isinstance(language, HttpResponse):
        return language
    structure = selectors.instrument_structure(instrument=instrument)
    spec = InstrumentSpec.model_validate(selectors.instrument_spec(structure=structure))
    try:
        columns = redcap.records_columns(spec)
    except redcap.RecordsError as error:
        return render(
            request,
            "surveys/interchange/bad_download.html",
            {"instrument": instrument, "message": str(error)},
            status=400,
        )
    responses_export_record(actor=request.user, instrument=instrument, language=language)
    answers = selectors.responses_answers(structure=structure, language=language)
    lines = redcap.csv_stream(
        [redcap.records_header(columns)], redcap.records_rows(columns, answers)
    )
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    name = redcap.form_name(instrument.slug)
    response["Content-Disposition"] = f'attachment; filename="{name}_records.csv"'
    return response
