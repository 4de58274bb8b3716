"""Datasets in a workspace: choose a cohort, concept sets and columns; preview; follow the
build; download the export; copy the code that loads it.

Every page is the workbench's (permissions.workbench_required) and looks the workspace up
among the caller's own (permissions.workspace_for), then the dataset inside that workspace:
another researcher's workspace or dataset is a 404, the same as a missing one.
"""

import re
from typing import Any

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from tapestry.accounts.api import AuthenticatedRequest
from tapestry.research import selectors, services
from tapestry.research.forms import DATASET_TABLE_LABELS, DatasetForm
from tapestry.research.models import Dataset, Release, Workspace
from tapestry.research.permissions import workbench_required, workspace_for
from tapestry.research.warehouse.dataset import EVENT_SOURCES, snippets

# ConceptSummary.domain ("Condition") -> a dataset's domain ("condition").
DOMAIN_OF = {source.concept_domain: domain for domain, source in EVENT_SOURCES.items()}
_CONCEPT_VALUE = re.compile(r"([a-z]{1,20}):([0-9]{1,18})")
_SEARCH_RESULTS = 20


def _dataset_or_404(workspace: Workspace, dataset_id: int) -> Dataset:
    dataset = selectors.dataset_in_workspace(workspace=workspace, dataset_id=dataset_id)
    if dataset is None:
        raise Http404
    return dataset


def _chosen_concepts(request: HttpRequest, release: Release | None) -> list[dict[str, Any]]:
    """The concept sets the form posted (`concept` = "<domain>:<id>", `descendants` = ids),
    with their names for showing them again; a value that is not a concept of the release is
    kept without a name, and services.dataset_create refuses it."""
    descendants = set(request.POST.getlist("descendants"))
    chosen = []
    # One more than the limit is enough for the service to refuse "too many".
    for value in request.POST.getlist("concept")[: services.DATASET_MAX_CONCEPT_SETS + 1]:
        match = _CONCEPT_VALUE.fullmatch(value)
        if match is None:
            chosen.append({"domain": "", "concept_id": value, "descendants": False, "hit": None})
            continue
        domain, concept_id = match.group(1), int(match.group(2))
        hit = (
            selectors.dataset_concept(release=release, concept_id=concept_id)
            if release is not None
            else None
        )
        chosen.append(
            {
                "domain": domain,
                "concept_id": concept_id,
                "descendants": str(concept_id) in descendants,
                "hit": hit,
            }
        )
    return chosen


@workbench_required()
@require_http_methods(["GET", "POST"])
def dataset_new(request: AuthenticatedRequest, public_id: Any) -> HttpResponse:
    workspace = workspace_for(request.user, public_id, write=True)
    release = selectors.release_current()
    cohorts = [(cohort.pk, cohort.name) for cohort in workspace.cohorts.order_by("name")]
    chosen: list[dict[str, Any]] = []
    status = 200
    if request.method == "POST":
        form = DatasetForm(request.POST, cohorts=cohorts)
        chosen = _chosen_concepts(request, release)
        if form.is_valid():
            try:
                dataset = services.dataset_create(
                    user=request.user,
                    workspace=workspace,
                    name=form.cleaned_data["name"],
                    cohort_id=form.cleaned_data["cohort"],
                    concept_sets=[
                        {key: item[key] for key in ("domain", "concept_id", "descendants")}
                        for item in chosen
                    ],
                    columns=form.columns(),
                    fmt=form.cleaned_data["format"],
                )
            except services.DatasetRefused as refusal:
                form.add_error(None, str(refusal))
            else:
                messages.success(request, _("The dataset is being built."))
                return redirect(
                    "research:dataset_detail", public_id=workspace.public_id, dataset_id=dataset.pk
                )
        status = 400
    else:
        form = DatasetForm(cohorts=cohorts)
    return render(
        request,
        "research/datasets/new.html",
        {
            "workspace": workspace,
            "release": release,
            "form": form,
            "chosen": chosen,
            "domains": [(concept_domain, label) for concept_domain, label in _domain_choices()],
            "max_concept_sets": services.DATASET_MAX_CONCEPT_SETS,
        },
        status=status,
    )


def _domain_choices() -> list[tuple[str, str]]:
    return [
        (source.concept_domain, str(DATASET_TABLE_LABELS[domain]))
        for domain, source in EVENT_SOURCES.items()
    ]


@workbench_required()
@require_GET
def dataset_concepts(request: AuthenticatedRequest, public_id: Any) -> HttpResponse:
    """The concept search's results (htmx), each with a button that adds it to the dataset."""
    workspace = workspace_for(request.user, public_id, write=True)
    release = selectors.release_current()
    query = request.GET.get("q", "")[: selectors.SEARCH_MAX_LENGTH].strip()
    domain = request.GET.get("domain", "")
    domain = domain if domain in DOMAIN_OF else ""
    hits: list[selectors.ConceptHit] = []
    if release is not None and query:
        results = selectors.concept_search(
            release=release, query=query, domain=domain, page_size=_SEARCH_RESULTS
        )
        hits = [hit for hit in results.hits if hit.domain in DOMAIN_OF]
    return render(
        request,
        "research/datasets/_concept_results.html",
        {"workspace": workspace, "hits": hits, "query": query, "domain_of": DOMAIN_OF},
    )


@workbench_required()
@require_GET
def dataset_concept(request: AuthenticatedRequest, public_id: Any) -> HttpResponse:
    """One chosen concept set (htmx): the concept's checkbox and its "include descendants"."""
    workspace_for(request.user, public_id, write=True)
    release = selectors.release_current()
    text = request.GET.get("concept_id", "")
    hit = None
    if release is not None and re.fullmatch(r"[0-9]{1,18}", text):
        hit = selectors.dataset_concept(release=release, concept_id=int(text))
    if hit is None:
        return HttpResponse(_("That concept is not in this data release."), status=404)
    item = {
        "domain": DOMAIN_OF[hit.domain],
        "concept_id": hit.concept_id,
        "descendants": True,
        "hit": hit,
    }
    return render(request, "research/datasets/_concept_chosen.html", {"item": item})


@workbench_required()
@require_GET
def dataset_detail(request: AuthenticatedRequest, public_id: Any, dataset_id: int) -> HttpResponse:
    workspace = workspace_for(request.user, public_id)
    dataset = _dataset_or_404(workspace, dataset_id)
    code = None
    if dataset.status == Dataset.Status.READY:
        spec = services.dataset_spec(dataset, shift_dates=True)
        tables = spec.tables()
        code = snippets(
            services.dataset_file_name(dataset),
            tables,
            dataset.format,
            {table: spec.columns_of(table) for table in tables},
        )
    return render(
        request,
        "research/datasets/detail.html",
        {
            "workspace": workspace,
            "dataset": dataset,
            "code": code,
            "file_name": services.dataset_file_name(dataset),
            "table_labels": DATASET_TABLE_LABELS,
        },
    )


@workbench_required()
@require_GET
def dataset_status(request: AuthenticatedRequest, public_id: Any, dataset_id: int) -> HttpResponse:
    """The status and progress bar (htmx polls it while the dataset is built); once the build
    has ended the page reloads to show the download and the code."""
    workspace = workspace_for(request.user, public_id)
    dataset = _dataset_or_404(workspace, dataset_id)
    response = render(
        request, "research/datasets/_status.html", {"workspace": workspace, "dataset": dataset}
    )
    if dataset.status in (Dataset.Status.READY, Dataset.Status.FAILED):
        response["HX-Refresh"] = "true"
    return response


@workbench_required()
@require_GET
def dataset_preview(request: AuthenticatedRequest, public_id: Any, dataset_id: int) -> HttpResponse:
    workspace = workspace_for(request.user, public_id)
    dataset = _dataset_or_404(workspace, dataset_id)
    error = ""
    tables: list[dict[str, Any]] = []
    try:
        tables = services.dataset_preview_rows(user=request.user, dataset=dataset)
    except services.DatasetRefused as refusal:
        error = str(refusal)
    for table in tables:
        table["label"] = DATASET_TABLE_LABELS.get(table["table"], table["table"])
    return render(
        request,
        "research/datasets/preview.html",
        {
            "workspace": workspace,
            "dataset": dataset,
            "tables": tables,
            "error": error,
            "dates_shifted": services.dataset_dates_shifted(workspace=workspace, user=request.user),
        },
        status=409 if error else 200,
    )


@workbench_required()
@require_GET
def dataset_download(
    request: AuthenticatedRequest, public_id: Any, dataset_id: int
) -> HttpResponseBase:
    workspace = workspace_for(request.user, public_id)
    dataset = _dataset_or_404(workspace, dataset_id)
    try:
        path = services.dataset_download_record(user=request.user, dataset=dataset)
    except services.DatasetRefused:
        raise Http404 from None
    return FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=services.dataset_file_name(dataset),
        content_type="application/zip",
    )
