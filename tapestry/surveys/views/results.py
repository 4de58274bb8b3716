"""Results: staff read an instrument's answers, per question, with filters and breakdowns."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import get_language
from django.views.decorators.http import require_GET

from tapestry.accounts.api import Role, user_has_role
from tapestry.surveys import results
from tapestry.surveys.forms.results import ResultsFilterForm
from tapestry.surveys.models import Instrument
from tapestry.surveys.selectors import instrument_structure


def can_read_results(user: object) -> bool:
    return user_has_role(user, Role.PROGRAM_STAFF, Role.ADMINISTRATOR)  # type: ignore[arg-type]


def _text_pages(request: HttpRequest) -> dict[str, int]:
    pages = {}
    for name in request.GET:
        value = request.GET.get(name, "")
        if name.startswith("answers_") and value.isdigit():
            pages[name.removeprefix("answers_")] = min(int(value), 100_000)
    return pages


@require_GET
@login_required
def instrument_results(request: HttpRequest, slug: str) -> HttpResponse:
    if not can_read_results(request.user):
        raise PermissionDenied
    instrument = get_object_or_404(Instrument, slug=slug)
    language = get_language() or "en"
    structure = instrument_structure(instrument=instrument)
    summary = results.summary_cached(structure)
    groups = summary.groups
    anonymous = instrument.mode == Instrument.Mode.ANONYMOUS
    region_names = {region.code: region for region in results.regions()}
    labelled = {
        dim: [
            (code, results.group_label(dim, code, structure, language, region_names))
            for code in codes
        ]
        for dim, codes in groups.items()
    }
    form = ResultsFilterForm(request.GET or None, groups=labelled, anonymous=anonymous)
    template = (
        "surveys/results/results.html#results"
        if request.headers.get("HX-Request")
        else "surveys/results/results.html"
    )
    context = {"form": form, "instrument": instrument, "page": None}
    if request.GET and not form.is_valid():
        return render(request, template, context, status=400)
    selection = form.selection() if request.GET else {}
    breakdown = (form.cleaned_data.get("breakdown") or "") if request.GET else ""
    context["page"] = results.results_page(
        instrument=instrument,
        language=language,
        selection=selection,
        breakdown_by=breakdown,
        text_pages=_text_pages(request),
        structure=structure,
        summary=summary,
    )
    return render(request, template, context)
