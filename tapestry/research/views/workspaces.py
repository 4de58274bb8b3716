"""Workspaces: a research project with a stated purpose, its members, and (the cohort builder's
and datasets' sections, included from their own templates) its cohorts and datasets.

Every page needs registered access now and a session that completed two-factor sign-in
(`workbench_required`); a workspace is found only among the caller's own (`workspace_for`),
so another researcher's id answers 404 as a missing one does."""

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from tapestry.research import services
from tapestry.research.access import AccessState
from tapestry.research.forms import MemberAddForm, WorkspaceEditForm, WorkspaceForm
from tapestry.research.models import Tier, Workspace
from tapestry.research.permissions import workbench_required, workspace_for


def _tiers(state: AccessState) -> list[tuple[str, str]]:
    """The tiers the researcher may open a workspace at now."""
    return [
        (tier.value, str(tier.label))
        for tier in (Tier.REGISTERED, Tier.CONTROLLED)
        if state.has(tier)
    ]


@require_http_methods(["GET", "POST"])
@workbench_required(Tier.REGISTERED)
def workspace_new(request: HttpRequest) -> HttpResponse:
    state: AccessState = request.research_access  # type: ignore[attr-defined]
    form = WorkspaceForm(request.POST or None, tiers=_tiers(state))
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                workspace = services.workspace_create(
                    user=request.user,
                    name=form.cleaned_data["name"],
                    purpose=form.cleaned_data["purpose"],
                    tier=form.cleaned_data["tier"],
                )
            except services.AccessRefused as refusal:
                form.add_error(None, str(refusal))
                status = 409
            else:
                messages.success(request, _("Workspace created."))
                return redirect("research:workspace", public_id=workspace.public_id)
    return render(
        request,
        "research/workbench/workspace_new.html",
        {"form": form, "institution": state.institution},
        status=status,
    )


def _workspace_of(request: HttpRequest, public_id: Any, *, write: bool = False) -> Workspace:
    return workspace_for(request.user, public_id, write=write)  # type: ignore[arg-type]


def _tier_refused(request: HttpRequest, workspace: Workspace) -> HttpResponseBase | None:
    """A controlled-tier workspace needs controlled access now, even for its members."""
    state: AccessState = request.research_access  # type: ignore[attr-defined]
    if state.has(Tier(workspace.tier)):
        return None
    messages.warning(request, _("This workspace needs controlled-tier access."))
    return redirect("research:access")


def _workspace_page(
    request: HttpRequest, workspace: Workspace, *, status: int = 200, **extra: Any
) -> HttpResponse:
    members = sorted(workspace.members.all(), key=lambda person: person.email)
    return render(
        request,
        "research/workbench/workspace.html",
        {
            "workspace": workspace,
            "owner": workspace.owner,
            "members": members,
            "is_owner": workspace.owner_id == request.user.pk,
            "member_form": extra.get("member_form") or MemberAddForm(),
            "error": extra.get("error", ""),
        },
        status=status,
    )


@require_http_methods(["GET"])
@workbench_required(Tier.REGISTERED)
def workspace_detail(request: HttpRequest, public_id: Any) -> HttpResponseBase:
    workspace = _workspace_of(request, public_id)
    return _tier_refused(request, workspace) or _workspace_page(request, workspace)


@require_http_methods(["GET", "POST"])
@workbench_required(Tier.REGISTERED)
def workspace_edit(request: HttpRequest, public_id: Any) -> HttpResponseBase:
    workspace = _workspace_of(request, public_id, write=True)
    refused = _tier_refused(request, workspace)
    if refused:
        return refused
    form = WorkspaceEditForm(
        request.POST or None, initial={"name": workspace.name, "purpose": workspace.purpose}
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.workspace_update(
                    user=request.user,
                    workspace=workspace,
                    name=form.cleaned_data["name"],
                    purpose=form.cleaned_data["purpose"],
                )
            except services.AccessRefused as refusal:
                form.add_error(None, str(refusal))
                status = 409
            else:
                messages.success(request, _("Workspace saved."))
                return redirect("research:workspace", public_id=workspace.public_id)
    return render(
        request,
        "research/workbench/workspace_edit.html",
        {"workspace": workspace, "form": form},
        status=status,
    )


@require_POST
@workbench_required(Tier.REGISTERED)
def workspace_member_add(request: HttpRequest, public_id: Any) -> HttpResponseBase:
    workspace = _workspace_of(request, public_id, write=True)
    refused = _tier_refused(request, workspace)
    if refused:
        return refused
    form = MemberAddForm(request.POST)
    if not form.is_valid():
        return _workspace_page(request, workspace, status=400, member_form=form)
    try:
        services.workspace_member_add(
            user=request.user, workspace=workspace, email=form.cleaned_data["email"]
        )
    except services.AccessRefused as refusal:
        form.add_error("email", str(refusal))
        return _workspace_page(request, workspace, status=409, member_form=form)
    messages.success(request, _("Member added. They have been told by email."))
    return redirect("research:workspace", public_id=workspace.public_id)


@require_POST
@workbench_required(Tier.REGISTERED)
def workspace_archive(request: HttpRequest, public_id: Any) -> HttpResponseBase:
    workspace = _workspace_of(request, public_id, write=True)
    try:
        services.workspace_archive(user=request.user, workspace=workspace)
    except services.AccessRefused as refusal:
        return _workspace_page(request, workspace, status=409, error=str(refusal))
    messages.success(request, _("Workspace archived. It no longer shows in the public list."))
    return redirect("research:workbench")
