"""Applicant pages: the open calls (public), a call's page with each of the reader's
organizations' eligibility, the draft (title and summary, sections saved as people type,
the budget, attachments, colleagues), submission with its confirmation, and "My
applications" with withdrawal.

Every application is fetched through `selectors.application_of_person_get`: its members and
its organization's liaison find it, anyone else gets a 404."""

import uuid
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tapestry.accounts.api import AuthenticatedRequest
from tapestry.funding import drafts, selectors, services
from tapestry.funding.forms.applicant import (
    AttachmentForm,
    BudgetFormSet,
    DescribeForm,
    MemberForm,
    SectionForm,
    WithdrawForm,
    budget_lines,
)
from tapestry.funding.models import Application, ApplicationMember, Opportunity
from tapestry.funding.states import Status
from tapestry.network.api import (
    organization_type_label,
    organizations_get,
    organizations_of_liaison,
    state_choices,
)

TEMPLATES = "funding/applicant"


def _language() -> str:
    return "es" if (get_language() or "en").startswith("es") else "en"


def _application_of(request: AuthenticatedRequest, public_id: uuid.UUID) -> Application:
    application = selectors.application_of_person_get(user=request.user, public_id=public_id)
    if application is None:
        raise Http404
    return application


# --- calls ---------------------------------------------------------------------------------


@require_GET
def call_list(request: HttpRequest) -> HttpResponse:
    language = _language()
    calls = [
        {
            "call": call,
            "title": call.title_in(language),
            "description": call.description_es
            if language == "es" and call.description_es
            else call.description,
        }
        for call in selectors.calls_open(now=timezone.now())
    ]
    return render(request, f"{TEMPLATES}/call_list.html", {"calls": calls})


def _call_context(request: HttpRequest, call: Opportunity) -> dict[str, Any]:
    language = _language()
    state_names = dict(state_choices(language=language))
    organizations: list[dict[str, Any]] = []
    if request.user.is_authenticated:
        liaison_of = organizations_of_liaison(user_id=request.user.pk)
        existing = selectors.applications_by_organization(
            opportunity=call, organization_ids=liaison_of
        )
        for organization in sorted(
            organizations_get(organization_ids=liaison_of).values(), key=lambda o: o.name
        ):
            organizations.append(
                {
                    "organization": organization,
                    "eligibility": services.eligibility_check(
                        opportunity=call, organization_id=organization.id
                    ),
                    "application": existing.get(organization.id),
                }
            )
    return {
        "call": call,
        "title": call.title_in(language),
        "description": call.description_es
        if language == "es" and call.description_es
        else call.description,
        "eligibility_notes": call.eligibility_notes_es
        if language == "es" and call.eligibility_notes_es
        else call.eligibility_notes,
        "eligible_types": [organization_type_label(code) for code in call.eligible_types],
        "eligible_states": [state_names.get(code, code) for code in call.eligible_states],
        "screening_items": [
            item.text_es if language == "es" and item.text_es else item.text
            for item in call.screening_items.all()
        ],
        "rubric": [
            (
                criterion.text_es if language == "es" and criterion.text_es else criterion.text,
                criterion.points,
            )
            for criterion in call.rubric_criteria.all()
        ],
        "open": call.deadline > timezone.now(),
        "organizations": organizations,
    }


def _published_call(public_id: uuid.UUID) -> Opportunity:
    call = selectors.call_published_get(public_id=public_id)
    if call is None:
        raise Http404
    return call


@require_GET
def call_detail(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    call = _published_call(public_id)
    return render(request, f"{TEMPLATES}/call_detail.html", _call_context(request, call))


@login_required
@require_POST
def application_start(request: AuthenticatedRequest, public_id: uuid.UUID) -> HttpResponseBase:
    call = _published_call(public_id)
    organization_id = request.POST.get("organization_id", "")
    try:
        if not organization_id.isdigit():
            raise services.NotAllowed(_("Choose one of your organizations."))
        application = services.application_start(
            actor=request.user, opportunity=call, organization_id=int(organization_id)
        )
    except services.FundingError as refusal:
        context = _call_context(request, call)
        context["start_error"] = str(refusal)
        return render(request, f"{TEMPLATES}/call_detail.html", context, status=400)
    messages.success(request, _("Your draft is started. It saves as you type."))
    return redirect("funding:application_edit", public_id=application.public_id)


# --- the draft -----------------------------------------------------------------------------


def _section_entries(application: Application, language: str) -> list[dict[str, Any]]:
    rows = {row.key: row for row in application.sections.select_related("updated_by")}
    entries = []
    for section in drafts.SECTIONS:
        row = rows.get(section.key)
        entries.append(
            {
                "section": section,
                "title": section.title_in(language),
                "help": section.help_in(language),
                "limit": section.limit_text(),
                "text": row.text if row else "",
                "version": row.version if row else 0,
                "row": row,
            }
        )
    return entries


def _budget_initial(application: Application) -> list[dict[str, Any]]:
    return [
        {"description": line.description, "amount": line.amount}
        for line in application.budget_lines.all()
    ]


def _budget_total(application: Application) -> Decimal:
    return sum((line.amount for line in application.budget_lines.all()), Decimal(0))


def _edit_context(
    request: AuthenticatedRequest,
    application: Application,
    *,
    describe_form: DescribeForm | None = None,
    budget_formset: Any = None,
    attachment_form: AttachmentForm | None = None,
    member_form: MemberForm | None = None,
    budget_error: str = "",
    section_override: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    language = _language()
    call = application.opportunity
    organization = organizations_get(organization_ids=[application.organization_id]).get(
        application.organization_id
    )
    entries = _section_entries(application, language)
    for entry in entries:
        entry.update((section_override or {}).get(entry["section"].key, {}))
    is_liaison = application.organization_id in organizations_of_liaison(user_id=request.user.pk)
    return {
        "application": application,
        "call": call,
        "call_title": call.title_in(language),
        "organization": organization,
        "editable": application.status == Status.DRAFT,
        "describe_form": describe_form
        or DescribeForm(
            initial={"project_title": application.project_title, "summary": application.summary}
        ),
        "sections": entries,
        "budget_formset": budget_formset or BudgetFormSet(initial=_budget_initial(application)),
        "budget_total": _budget_total(application),
        "budget_error": budget_error,
        "attachments": application.attachments.all(),
        "attachment_form": attachment_form or AttachmentForm(),
        "attachment_max": drafts.ATTACHMENT_MAX_COUNT,
        "members": ApplicationMember.objects.filter(application=application)
        .select_related("user")
        .order_by("added_at", "pk"),
        "is_liaison": is_liaison,
        "member_form": member_form or MemberForm(),
    }


def _render_edit(
    request: AuthenticatedRequest, application: Application, *, status: int = 200, **forms: Any
) -> HttpResponse:
    return render(
        request,
        f"{TEMPLATES}/edit.html",
        _edit_context(request, application, **forms),
        status=status,
    )


def _back_to_edit(application: Application, anchor: str = "") -> HttpResponseBase:
    url = reverse("funding:application_edit", kwargs={"public_id": application.public_id})
    return redirect(f"{url}#{anchor}" if anchor else url)


@login_required
@require_http_methods(["GET", "POST"])
def application_edit(request: AuthenticatedRequest, public_id: uuid.UUID) -> HttpResponseBase:
    """The draft; a POST saves its title and summary."""
    application = _application_of(request, public_id)
    if request.method == "GET":
        return _render_edit(request, application)
    form = DescribeForm(request.POST)
    if form.is_valid():
        try:
            drafts.application_describe(
                actor=request.user,
                application=application,
                project_title=form.cleaned_data["project_title"],
                summary=form.cleaned_data["summary"],
            )
        except services.FundingError as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(request, _("Title and summary saved."))
            return _back_to_edit(application, "project")
    return _render_edit(request, application, status=400, describe_form=form)


def _section_response(
    request: AuthenticatedRequest, entry: dict[str, Any], application: Application, status: int
) -> HttpResponse:
    return render(
        request,
        f"{TEMPLATES}/_section_response.html",
        {"entry": entry, "application": application, "editable": True},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def application_section_save(
    request: AuthenticatedRequest, public_id: uuid.UUID, key: str
) -> HttpResponseBase:
    """POST: save a section (htmx as people type, or the form's button without script).
    GET: the section as saved now (the "Keep their text" choice after a conflict)."""
    application = _application_of(request, public_id)
    section = drafts.SECTIONS_BY_KEY.get(key)
    if section is None:
        raise Http404
    htmx = bool(request.headers.get("HX-Request"))
    entry = next(e for e in _section_entries(application, _language()) if e["section"] is section)
    if request.method == "GET":
        if not htmx:
            return _back_to_edit(application, f"section-{key}")
        return render(
            request,
            f"{TEMPLATES}/_section.html",
            {"entry": entry, "application": application, "editable": True, "focus": True},
        )
    form = SectionForm(request.POST)
    if not form.is_valid():
        return HttpResponse(status=400)
    text = form.cleaned_data["text"]
    try:
        row = drafts.section_save(
            actor=request.user,
            application=application,
            key=key,
            text=text,
            base_version=form.version(),
        )
    except drafts.SectionConflict as conflict:
        mine = {
            "text": text,
            "version": form.cleaned_data["base_version"],
            "conflict": conflict.current,
        }
        status = 200 if htmx else 409
    except services.FundingError as refusal:
        mine = {"text": text, "version": form.cleaned_data["base_version"], "error": str(refusal)}
        status = 200 if htmx else 400
    else:
        if not htmx:
            messages.success(request, _("Section saved."))
            return _back_to_edit(application, f"section-{key}")
        entry.update(text=row.text, version=row.version, row=row, saved=True)
        return _section_response(request, entry, application, 200)
    if htmx:
        entry.update(mine)
        return _section_response(request, entry, application, status)
    return _render_edit(request, application, status=status, section_override={key: mine})


@login_required
@require_POST
def application_budget(request: AuthenticatedRequest, public_id: uuid.UUID) -> HttpResponseBase:
    application = _application_of(request, public_id)
    formset = BudgetFormSet(request.POST)
    budget_error = ""
    if formset.is_valid():
        try:
            services.budget_set(
                actor=request.user, application=application, lines=budget_lines(formset)
            )
        except services.FundingError as refusal:
            budget_error = str(refusal)
        else:
            messages.success(request, _("Budget saved."))
            return _back_to_edit(application, "budget")
    return _render_edit(
        request, application, status=400, budget_formset=formset, budget_error=budget_error
    )


@login_required
@require_POST
def application_budget_total(request: AuthenticatedRequest, public_id: uuid.UUID) -> HttpResponse:
    """The running total of the budget as typed, before it is saved (htmx, as people type):
    the lines that read as amounts, and whether they pass the call's maximum."""
    application = _application_of(request, public_id)
    formset = BudgetFormSet(request.POST)
    lines = [
        form.cleaned_data["amount"]
        for form in formset.forms
        if form.is_valid()
        and not form.cleaned_data.get("DELETE")
        and form.cleaned_data.get("amount") is not None
    ]
    total = sum(lines, Decimal(0))
    maximum = application.opportunity.maximum_amount
    return render(
        request,
        f"{TEMPLATES}/_budget_total.html",
        {
            "budget_total": total,
            "call": application.opportunity,
            "over_by": total - maximum if total > maximum else None,
        },
    )


@login_required
@require_POST
def application_attachment_add(
    request: AuthenticatedRequest, public_id: uuid.UUID
) -> HttpResponseBase:
    application = _application_of(request, public_id)
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            drafts.attachment_add(
                actor=request.user, application=application, upload=form.cleaned_data["file"]
            )
        except services.FundingError as refusal:
            form.add_error("file", str(refusal))
        else:
            messages.success(request, _("File added."))
            return _back_to_edit(application, "attachments")
    return _render_edit(request, application, status=400, attachment_form=form)


def _attachment_of(request: AuthenticatedRequest, public_id: uuid.UUID) -> Any:
    attachment = selectors.attachment_readable_get(user=request.user, public_id=public_id)
    if attachment is None:
        raise Http404
    return attachment


@login_required
@require_GET
def application_attachment_download(
    request: AuthenticatedRequest, public_id: uuid.UUID
) -> FileResponse:
    """A file of an application, for its people, program staff and its reviewers (not in
    conflict), read through Django's storage, always as a download with the type its content was found to be."""
    attachment = _attachment_of(request, public_id)
    try:
        handle = attachment.file.open("rb")
    except OSError as error:
        raise Http404 from error
    response = FileResponse(
        handle, as_attachment=True, filename=attachment.name, content_type=attachment.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_POST
def application_attachment_remove(
    request: AuthenticatedRequest, public_id: uuid.UUID
) -> HttpResponseBase:
    attachment = _attachment_of(request, public_id)
    application = attachment.application
    if not services.may_edit(request.user, application):
        raise Http404
    try:
        drafts.attachment_remove(actor=request.user, attachment=attachment)
    except services.FundingError as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, _("File removed."))
    return _back_to_edit(application, "attachments")


@login_required
@require_POST
def application_member_add(request: AuthenticatedRequest, public_id: uuid.UUID) -> HttpResponseBase:
    application = _application_of(request, public_id)
    form = MemberForm(request.POST)
    if form.is_valid():
        try:
            member = services.application_member_add(
                actor=request.user, application=application, email=form.cleaned_data["email"]
            )
        except services.FundingError as refusal:
            form.add_error("email", str(refusal))
        else:
            messages.success(
                request,
                _("%(name)s can now see and edit this application.")
                % {"name": member.user.get_full_name()},
            )
            return _back_to_edit(application, "people")
    return _render_edit(request, application, status=400, member_form=form)


# --- submission ----------------------------------------------------------------------------


def _submit_context(request: AuthenticatedRequest, application: Application) -> dict[str, Any]:
    language = _language()
    return {
        "application": application,
        "call": application.opportunity,
        "call_title": application.opportunity.title_in(language),
        "sections": _section_entries(application, language),
        "budget_lines": application.budget_lines.all(),
        "budget_total": _budget_total(application),
        "attachments": application.attachments.all(),
    }


@login_required
@require_http_methods(["GET", "POST"])
def application_submit(request: AuthenticatedRequest, public_id: uuid.UUID) -> HttpResponseBase:
    """GET: what will be sent, and the deadline; POST: send it."""
    application = _application_of(request, public_id)
    if application.status != Status.DRAFT:
        if application.tracking_number:
            messages.info(request, _("This application was already submitted."))
            return redirect("funding:application_submitted", public_id=application.public_id)
        raise Http404
    context = _submit_context(request, application)
    if request.method == "GET":
        return render(request, f"{TEMPLATES}/submit.html", context)
    try:
        services.application_submit(actor=request.user, application=application)
    except services.FundingError as refusal:
        application.refresh_from_db()
        if application.tracking_number:
            messages.info(request, _("This application was already submitted."))
            return redirect("funding:application_submitted", public_id=application.public_id)
        context["error"] = str(refusal)
        return render(request, f"{TEMPLATES}/submit.html", context, status=400)
    return redirect("funding:application_submitted", public_id=application.public_id)


@login_required
@require_GET
def application_submitted(request: AuthenticatedRequest, public_id: uuid.UUID) -> HttpResponse:
    application = _application_of(request, public_id)
    if not application.tracking_number:
        raise Http404
    return render(
        request,
        f"{TEMPLATES}/submitted.html",
        {
            "application": application,
            "call_title": application.opportunity.title_in(_language()),
        },
    )


# --- my applications -----------------------------------------------------------------------


@login_required
@require_GET
def my_applications(request: AuthenticatedRequest) -> HttpResponse:
    applications = list(
        selectors.applications_of_person(user=request.user).select_related("award")[:200]
    )
    names = organizations_get(organization_ids={a.organization_id for a in applications})
    language = _language()
    rows = [
        {
            "application": application,
            "call_title": application.opportunity.title_in(language),
            "organization": names.get(application.organization_id),
            "may_withdraw": application.status in (Status.DRAFT, Status.SUBMITTED),
        }
        for application in applications
    ]
    return render(request, f"{TEMPLATES}/my_applications.html", {"rows": rows})


@login_required
@require_http_methods(["GET", "POST"])
def application_withdraw(request: AuthenticatedRequest, public_id: uuid.UUID) -> HttpResponseBase:
    application = _application_of(request, public_id)
    if application.status not in (Status.DRAFT, Status.SUBMITTED):
        raise Http404
    form = WithdrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.application_move(
                actor=request.user,
                application=application,
                to=Status.WITHDRAWN,
                reason=form.cleaned_data["reason"],
            )
        except services.FundingError as refusal:
            form.add_error("reason", str(refusal))
        else:
            messages.success(request, _("The application is withdrawn."))
            return redirect("funding:my_applications")
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        f"{TEMPLATES}/withdraw.html",
        {
            "application": application,
            "call_title": application.opportunity.title_in(_language()),
            "form": form,
            "reason_required": application.status == Status.SUBMITTED,
        },
        status=status,
    )


urlpatterns = [
    path("", call_list, name="call_list"),
    path("calls/<uuid:public_id>/", call_detail, name="call_detail"),
    path("calls/<uuid:public_id>/start/", application_start, name="application_start"),
    path("applications/", my_applications, name="my_applications"),
    path("applications/<uuid:public_id>/", application_edit, name="application_edit"),
    path(
        "applications/<uuid:public_id>/sections/<slug:key>/",
        application_section_save,
        name="application_section_save",
    ),
    path("applications/<uuid:public_id>/budget/", application_budget, name="application_budget"),
    path(
        "applications/<uuid:public_id>/budget/total/",
        application_budget_total,
        name="application_budget_total",
    ),
    path(
        "applications/<uuid:public_id>/attachments/",
        application_attachment_add,
        name="application_attachment_add",
    ),
    path(
        "applications/<uuid:public_id>/people/",
        application_member_add,
        name="application_member_add",
    ),
    path("applications/<uuid:public_id>/submit/", application_submit, name="application_submit"),
    path(
        "applications/<uuid:public_id>/submitted/",
        application_submitted,
        name="application_submitted",
    ),
    path(
        "applications/<uuid:public_id>/withdraw/",
        application_withdraw,
        name="application_withdraw",
    ),
    path(
        "attachments/<uuid:public_id>/",
        application_attachment_download,
        name="application_attachment_download",
    ),
    path(
        "attachments/<uuid:public_id>/remove/",
        application_attachment_remove,
        name="application_attachment_remove",
    ),
]
