"""Award pages: staff make the award from an awarded application; the award's page shows the
awardee (and staff) the amount, the period, the balance, the acknowledgement, invoices,
reports, extensions, published materials and the audit trail, with the forms each may use;
the award letter and invoices as PDFs.

Every award is fetched through `awards.award_visible_get`, scoped to the caller: the award's
people and program staff see it, anyone else gets a 404; a step that is staff's gives the
awardee a 403. A service's refusal becomes a form error (400), never a 500."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import get_language, pgettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tapestry.accounts.api import AuthenticatedRequest
from tapestry.funding import awards as services
from tapestry.funding import pdf
from tapestry.funding.forms.awards import (
    AwardForm,
    CloseForm,
    ExtensionDecisionForm,
    ExtensionForm,
    InvoiceDecisionForm,
    InvoiceForm,
    MaterialForm,
    ReportForm,
)
from tapestry.funding.models import Application, Award, ExtensionRequest, Invoice
from tapestry.funding.services import FundingError, is_staff
from tapestry.funding.states import Status
from tapestry.network.api import organizations_get
from tapestry.surveys.api import (
    EVALUATION_PURPOSES,
    Subject,
    SurveyError,
    evaluation_instruments,
    evaluation_invite,
    evaluation_of,
)

TEMPLATES = "funding/awards"
AWARDS_PER_PAGE = 25


def _award_of(request: AuthenticatedRequest, award_id: Any) -> Award:
    award = services.award_visible_get(user=request.user, public_id=award_id)
    if award is None:
        raise Http404
    return award


def _staff_only(request: AuthenticatedRequest) -> None:
    if not is_staff(request.user):
        raise PermissionDenied


def _report_choices(award: Award) -> list[tuple[int, str]]:
    return [
        (
            ref.id,
            _("%(title)s, %(date)s (%(type)s, %(participants)s participants)")
            % {
                "title": ref.title,
                "date": services.day(ref.activity_date),
                "type": ref.activity_type_label,
                "participants": ref.participants,
            },
        )
        for ref in services.activity_reports_offered(award)
    ]


def _detail(
    request: AuthenticatedRequest,
    award: Award,
    *,
    status: int = 200,
    **forms: Any,
) -> HttpResponse:
    staff = is_staff(request.user)
    acts = services.may_act(request.user, award)
    active = award.status == Award.Status.ACTIVE
    invoices = list(award.invoices.all())
    decision_forms = {
        invoice.pk: forms.get(f"decision_{invoice.pk}")
        or InvoiceDecisionForm(
            choices=services.INVOICE_NEXT[invoice.status],
            auto_id=f"id_decision_{invoice.pk}_%s",
        )
        for invoice in invoices
        if staff and services.INVOICE_NEXT[invoice.status]
    }
    offered = _report_choices(award) if acts and active else []
    reports = []
    for due in services.reports_due(award):
        report_form = None
        if acts and active and due.report.submitted_at is None:
            report_form = forms.get(f"report_{due.report.pk}") or ReportForm(
                offered=offered, report_id=due.report.pk
            )
        reports.append({"due": due, "form": report_form})
    evaluation = evaluation_of(subject_kind=Subject.AWARD, subject_ref=str(award.pk))
    extensions = list(award.extensions.all())
    pending = next((item for item in extensions if item.status == "pending"), None)
    organization = organizations_get(organization_ids=[award.organization_id]).get(
        award.organization_id
    )
    language = services.language_of(get_language())
    return render(
        request,
        f"{TEMPLATES}/detail.html",
        {
            "award": award,
            "organization": organization,
            "call_title": award.application.opportunity.title_in(language),
            "acknowledgement": services.acknowledgement_in(award, language),
            "balance": services.balance_of(award),
            "staff": staff,
            "acts": acts,
            "active": active,
            "invoices": [(invoice, decision_forms.get(invoice.pk)) for invoice in invoices],
            "invoice_form": (forms.get("invoice_form") or InvoiceForm(initial=_invoice_initial()))
            if acts and active
            else None,
            "reports": reports,
            "evaluation": evaluation.title(language) if evaluation else None,
            "extensions": extensions,
            "extension_form": (forms.get("extension_form") or ExtensionForm())
            if acts and active and pending is None
            else None,
            "extension_decision_form": (
                forms.get("extension_decision_form") or ExtensionDecisionForm()
            )
            if staff and pending is not None and active
            else None,
            "pending": pending,
            "materials": list(award.materials.all()),
            "material_form": (forms.get("material_form") or MaterialForm())
            if (acts or staff)
            else None,
            "close_form": (forms.get("close_form") or CloseForm()) if staff and active else None,
            "history": _history(award, invoices),
        },
        status=status,
    )


def _status_label(subject: str, status: str) -> str:
    choices: dict[str, Any] = {
        "award": Award.Status,
        "invoice": Invoice.Status,
        "extension": ExtensionRequest.Status,
    }
    if subject == "report":
        labels = {"due": pgettext("report", "Due"), "submitted": pgettext("report", "Submitted")}
        return labels.get(status, status)
    kind = choices.get(subject)
    return str(kind(status).label) if kind and status in kind.values else status


def _history(award: Award, invoices: list[Invoice]) -> list[dict[str, Any]]:
    """The award's trail in words: "Invoice A2027-000001-01: Submitted → Approved"."""
    names = {
        "award": {award.pk: _("Award %(number)s") % {"number": award.number}},
        "invoice": {
            invoice.pk: _("Invoice %(number)s") % {"number": invoice.number} for invoice in invoices
        },
        "report": {report.pk: str(report.get_kind_display()) for report in award.reports.all()},
    }
    rows = []
    for change in award.changes.select_related("actor"):
        name = names.get(change.subject, {}).get(change.subject_id, _("Extension request"))
        to = _status_label(change.subject, change.to_status)
        what = (
            f"{name}: {_status_label(change.subject, change.from_status)} → {to}"
            if change.from_status
            else f"{name}: {to}"
        )
        rows.append({"change": change, "what": what})
    return rows


def _invoice_initial() -> dict[str, str]:
    today = timezone.localdate()
    return {"billing_month": today.strftime("%Y-%m"), "invoice_date": today.isoformat()}


@login_required
@require_GET
def award_list(request: AuthenticatedRequest) -> HttpResponse:
    awards = services.awards_visible(user=request.user).order_by("-period_start", "number")
    page = Paginator(awards, AWARDS_PER_PAGE).get_page(request.GET.get("page"))
    organizations = organizations_get(organization_ids={award.organization_id for award in page})
    language = services.language_of(get_language())
    return render(
        request,
        f"{TEMPLATES}/list.html",
        {
            "rows": [
                {
                    "award": award,
                    "organization": organizations.get(award.organization_id),
                    "call_title": award.application.opportunity.title_in(language),
                }
                for award in page
            ],
            "page": page,
            "result": _PageFacts(page.number, page.paginator.num_pages),
            "staff": is_staff(request.user),
        },
    )


class _PageFacts:
    """What includes/pagination.html reads: the page number and how many pages."""

    def __init__(self, number: int, num_pages: int) -> None:
        self.page = number
        self.num_pages = num_pages
        self.has_previous = number > 1
        self.has_next = number < num_pages


@login_required
@require_GET
def award_detail(request: AuthenticatedRequest, award_id: Any) -> HttpResponse:
    return _detail(request, _award_of(request, award_id))


@login_required
@require_http_methods(["GET", "POST"])
def award_new(request: AuthenticatedRequest, application_id: Any) -> HttpResponseBase:
    """The award form for an awarded application, with the default period filled in."""
    _staff_only(request)
    application = (
        Application.objects.select_related("opportunity", "award")
        .filter(public_id=application_id)
        .first()
    )
    if application is None:
        raise Http404
    if hasattr(application, "award"):
        return redirect("funding:award_detail", award_id=application.award.public_id)
    language = services.language_of(get_language())
    evaluations = [
        (choice.slug, choice.title(language))
        for choice in evaluation_instruments(purpose=EVALUATION_PURPOSES[Subject.AWARD])
    ]
    start, end = services.default_period(application)
    budget = sum((line.amount for line in application.budget_lines.all()), start=0)
    form = AwardForm(
        request.POST or None,
        evaluations=evaluations,
        # Strings as the inputs take them (the field template shows the value itself, which
        # a date or a Decimal would show localized).
        initial={
            "amount": str(min(budget, application.opportunity.maximum_amount)) if budget else "",
            "period_start": start.isoformat(),
            "period_end": end.isoformat(),
            "evaluation": evaluations[0][0] if evaluations else "",
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            award = services.award_create(
                actor=request.user,
                application=application,
                amount=data["amount"],
                period_start=data["period_start"],
                period_end=data["period_end"],
                acknowledgement=data["acknowledgement"],
                acknowledgement_es=data["acknowledgement_es"],
                evaluation_slug=data["evaluation"],
            )
        except FundingError as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(request, _("The award is made; the award letter was emailed."))
            return redirect("funding:award_detail", award_id=award.public_id)
    organization = organizations_get(organization_ids=[application.organization_id]).get(
        application.organization_id
    )
    return render(
        request,
        f"{TEMPLATES}/new.html",
        {
            "form": form,
            "application": application,
            "awarded": application.status == Status.AWARDED,
            "organization": organization,
            "call_title": application.opportunity.title_in(language),
            "budget": budget,
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def invoice_new(request: AuthenticatedRequest, award_id: Any) -> HttpResponseBase:
    award = _award_of(request, award_id)
    if not services.may_act(request.user, award):
        raise PermissionDenied
    form = InvoiceForm(request.POST)
    if form.is_valid():
        try:
            invoice = services.invoice_submit(actor=request.user, award=award, **form.cleaned_data)
        except FundingError as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(
                request,
                _("Invoice %(number)s is submitted; program staff will review it.")
                % {"number": invoice.number},
            )
            return redirect("funding:award_detail", award_id=award.public_id)
    return _detail(request, award, invoice_form=form, status=400)


@login_required
@require_POST
def invoice_decide(
    request: AuthenticatedRequest, award_id: Any, invoice_id: Any
) -> HttpResponseBase:
    award = _award_of(request, award_id)
    _staff_only(request)
    invoice = award.invoices.filter(public_id=invoice_id).first()
    if invoice is None:
        raise Http404
    form = InvoiceDecisionForm(
        request.POST,
        choices=services.INVOICE_NEXT[invoice.status],
        auto_id=f"id_decision_{invoice.pk}_%s",
    )
    if form.is_valid():
        try:
            services.invoice_decide(
                actor=request.user,
                invoice=invoice,
                to=form.cleaned_data["to"],
                reason=form.cleaned_data["reason"],
            )
        except FundingError as refusal:
            form.add_error("reason", str(refusal))
        else:
            messages.success(request, _("Decision saved; the awardee was emailed."))
            return redirect("funding:award_detail", award_id=award.public_id)
    return _detail(request, award, status=400, **{f"decision_{invoice.pk}": form})


@login_required
@require_POST
def report_submit(request: AuthenticatedRequest, award_id: Any, report_id: int) -> HttpResponseBase:
    award = _award_of(request, award_id)
    if not services.may_act(request.user, award):
        raise PermissionDenied
    report = award.reports.filter(pk=report_id).first()
    if report is None:
        raise Http404
    form = ReportForm(request.POST, offered=_report_choices(award), report_id=report.pk)
    if form.is_valid():
        try:
            services.report_submit(
                actor=request.user,
                report=report,
                narrative=form.cleaned_data["narrative"],
                activity_report_ids=form.cleaned_data["activity_report_ids"],
            )
        except FundingError as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(request, _("Report submitted. Thank you."))
            return redirect("funding:award_detail", award_id=award.public_id)
    return _detail(request, award, status=400, **{f"report_{report.pk}": form})


@login_required
@require_POST
def award_evaluation(request: AuthenticatedRequest, award_id: Any) -> HttpResponseBase:
    """Open the final report's survey: a one-time link for this person, also emailed."""
    award = _award_of(request, award_id)
    if not services.may_act(request.user, award):
        raise PermissionDenied
    try:
        url = evaluation_invite(
            subject_kind=Subject.AWARD,
            subject_ref=str(award.pk),
            email=request.user.email,
            language=services.language_of(get_language()),
            person_id=request.user.pk,
        )
    except SurveyError:
        url = None
    if url is None:
        messages.error(request, _("The survey is not open at the moment."))
        return redirect("funding:award_detail", award_id=award.public_id)
    return redirect(url)


@login_required
@require_POST
def extension_new(request: AuthenticatedRequest, award_id: Any) -> HttpResponseBase:
    award = _award_of(request, award_id)
    if not services.may_act(request.user, award):
        raise PermissionDenied
    form = ExtensionForm(request.POST)
    if form.is_valid():
        try:
            services.extension_request(actor=request.user, award=award, **form.cleaned_data)
        except FundingError as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(request, _("Your request is sent to program staff."))
            return redirect("funding:award_detail", award_id=award.public_id)
    return _detail(request, award, extension_form=form, status=400)


@login_required
@require_POST
def extension_decide(
    request: AuthenticatedRequest, award_id: Any, extension_id: int
) -> HttpResponseBase:
    award = _award_of(request, award_id)
    _staff_only(request)
    extension = ExtensionRequest.objects.filter(award=award, pk=extension_id).first()
    if extension is None:
        raise Http404
    form = ExtensionDecisionForm(request.POST)
    if form.is_valid():
        try:
            services.extension_decide(
                actor=request.user,
                extension=extension,
                approve=form.cleaned_data["approve"],
                reason=form.cleaned_data["reason"],
            )
        except FundingError as refusal:
            form.add_error("reason", str(refusal))
        else:
            messages.success(request, _("Decision saved; the awardee was emailed."))
            return redirect("funding:award_detail", award_id=award.public_id)
    return _detail(request, award, extension_decision_form=form, status=400)


@login_required
@require_POST
def material_new(request: AuthenticatedRequest, award_id: Any) -> HttpResponseBase:
    award = _award_of(request, award_id)
    form = MaterialForm(request.POST)
    if form.is_valid():
        try:
            material = services.material_add(actor=request.user, award=award, **form.cleaned_data)
        except FundingError as refusal:
            form.add_error(None, str(refusal))
        else:
            if material.acknowledgement_found:
                messages.success(request, _("Material added: the acknowledgement is in it."))
            else:
                messages.warning(
                    request,
                    _(
                        "Material added, but the acknowledgement is missing from it: add the "
                        "acknowledgement text to the material."
                    ),
                )
            return redirect("funding:award_detail", award_id=award.public_id)
    return _detail(request, award, material_form=form, status=400)


@login_required
@require_POST
def award_close(request: AuthenticatedRequest, award_id: Any) -> HttpResponseBase:
    award = _award_of(request, award_id)
    _staff_only(request)
    form = CloseForm(request.POST)
    if form.is_valid():
        try:
            services.award_close(actor=request.user, award=award, note=form.cleaned_data["note"])
        except FundingError as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(request, _("The award is closed; the awardee was emailed."))
            return redirect("funding:award_detail", award_id=award.public_id)
    return _detail(request, award, close_form=form, status=400)


# --- PDFs ----------------------------------------------------------------------------------


def _pdf_response(document: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(document, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@require_GET
def award_letter_pdf(request: AuthenticatedRequest, award_id: Any) -> HttpResponse:
    award = _award_of(request, award_id)
    document = pdf.award_letter_pdf(
        award,
        language=services.language_of(get_language()),
        base_url=request.build_absolute_uri("/"),
    )
    return _pdf_response(document, f"award-letter-{award.number}.pdf")


@login_required
@require_GET
def invoice_pdf(request: AuthenticatedRequest, award_id: Any, invoice_id: Any) -> HttpResponse:
    award = _award_of(request, award_id)
    invoice: Invoice | None = award.invoices.filter(public_id=invoice_id).first()
    if invoice is None:
        raise Http404
    document = pdf.invoice_pdf(
        invoice,
        language=services.language_of(get_language()),
        base_url=request.build_absolute_uri("/"),
    )
    return _pdf_response(document, f"invoice-{invoice.number}.pdf")


urlpatterns = [
    path("awards/", award_list, name="award_list"),
    path("awards/<uuid:award_id>/", award_detail, name="award_detail"),
    path("awards/<uuid:award_id>/letter.pdf", award_letter_pdf, name="award_letter_pdf"),
    path("awards/<uuid:award_id>/invoices/", invoice_new, name="invoice_new"),
    path(
        "awards/<uuid:award_id>/invoices/<uuid:invoice_id>/decide/",
        invoice_decide,
        name="invoice_decide",
    ),
    path("awards/<uuid:award_id>/invoices/<uuid:invoice_id>.pdf", invoice_pdf, name="invoice_pdf"),
    path("awards/<uuid:award_id>/reports/<int:report_id>/", report_submit, name="report_submit"),
    path("awards/<uuid:award_id>/evaluation/", award_evaluation, name="award_evaluation"),
    path("awards/<uuid:award_id>/extensions/", extension_new, name="extension_new"),
    path(
        "awards/<uuid:award_id>/extensions/<int:extension_id>/decide/",
        extension_decide,
        name="extension_decide",
    ),
    path("awards/<uuid:award_id>/materials/", material_new, name="material_new"),
    path("awards/<uuid:award_id>/close/", award_close, name="award_close"),
    path("staff/applications/<uuid:application_id>/award/", award_new, name="award_new"),
]
