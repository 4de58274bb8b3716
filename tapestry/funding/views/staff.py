"""Program staff's pages under /funding/staff/: the calls and their pipeline, a call's
applications, an application's page (screening, reviewers, review, decision, its trail) and
the dashboard. Program staff and administrators only (`services.is_staff`): anyone else 403."""

from decimal import Decimal
from functools import wraps
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tapestry.accounts.api import AuthenticatedRequest, Role, people_with_role
from tapestry.core.api import reading_from_replica
from tapestry.funding import dashboard, reviews, selectors, services
from tapestry.funding.forms.staff import (
    ApplicationSearchForm,
    AssignForm,
    CallForm,
    DecisionForm,
    ScreeningForm,
)
from tapestry.funding.models import Application, ConflictOfInterest, Opportunity
from tapestry.funding.states import Actor, Status, next_statuses
from tapestry.network.api import (
    organization_type_choices,
    organizations_get,
    organizations_of_liaison,
    state_choices,
)

TEMPLATES = "funding/staff"
PAGE_SIZE = 50


def staff_only(view: Any) -> Any:
    @wraps(view)
    def wrapped(request: AuthenticatedRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not services.is_staff(request.user):
            raise PermissionDenied(_("These pages are for program staff."))
        response: HttpResponseBase = view(request, *args, **kwargs)
        return response

    return login_required(wrapped)


def _call_of(public_id: UUID) -> Opportunity:
    found = Opportunity.objects.filter(public_id=public_id).first()
    if found is None:
        raise Http404
    return found


def _application_of(public_id: UUID) -> Application:
    found = Application.objects.select_related("opportunity").filter(public_id=public_id).first()
    if found is None:
        raise Http404
    return found


# --- calls and the pipeline --------------------------------------------------------------


@staff_only
@require_GET
def staff_home(request: AuthenticatedRequest) -> HttpResponse:
    return render(
        request,
        f"{TEMPLATES}/home.html",
        {"pipeline": dashboard.pipeline(), "stages": dashboard.STAGES},
    )


@staff_only
@require_POST
def staff_call_publish(request: AuthenticatedRequest, public_id: UUID) -> HttpResponseBase:
    call = _call_of(public_id)
    try:
        services.opportunity_publish(actor=request.user, opportunity=call)
    except services.FundingError as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, _("The call is published: organizations may apply."))
    return redirect("funding:staff_home")


def _call_form(request: AuthenticatedRequest, call: Opportunity | None) -> HttpResponse:
    """Write a new call, or change one not yet published; the checklist and rubric whole."""
    form = CallForm(
        request.POST or None,
        initial=CallForm.initial_from(call) if call else None,
        states=[code for code, _name in state_choices()],
        types=organization_type_choices(),
    )
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.opportunity_save(
                actor=request.user,
                opportunity=call,
                details=form.details(),
                screening=form.cleaned_data["screening_lines"],
                rubric=form.cleaned_data["rubric_lines"],
            )
        except services.FundingError as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(
                request, _("The call is saved. Publish it from this page when it is ready.")
            )
            return redirect(f"{reverse('funding:staff_home')}#call-{saved.public_id}")
    return render(
        request,
        "funding/staff/call_form.html",
        {"form": form, "call": call},
        status=400 if request.method == "POST" else 200,
    )


@staff_only
@require_http_methods(["GET", "POST"])
def staff_call_new(request: AuthenticatedRequest) -> HttpResponse:
    return _call_form(request, None)


@staff_only
@require_http_methods(["GET", "POST"])
def staff_call_edit(request: AuthenticatedRequest, public_id: UUID) -> HttpResponse:
    call = _call_of(public_id)
    if call.published_at is not None:
        messages.info(request, _("A published call is changed only by administrators."))
        return redirect("funding:staff_home")  # type: ignore[return-value]
    return _call_form(request, call)


def _organization_ids_named(call: Opportunity, query: str) -> list[int]:
    """The ids of the applicant organizations of this call whose name contains `query`."""
    ids = set(call.applications.values_list("organization_id", flat=True))
    folded = query.casefold()
    return [
        organization.id
        for organization in organizations_get(organization_ids=ids).values()
        if folded in organization.name.casefold()
    ]


@staff_only
@require_GET
def staff_applications(request: AuthenticatedRequest, public_id: UUID) -> HttpResponse:
    call = _call_of(public_id)
    form = ApplicationSearchForm(request.GET or None)
    applications = call.applications.order_by("-submitted_at", "-pk")
    status = 200
    if form.is_bound and not form.is_valid():
        applications = applications.none()
        status = 400
    elif form.is_bound:
        if form.cleaned_data["status"]:
            applications = applications.filter(status=form.cleaned_data["status"])
        query = form.cleaned_data["q"].strip()
        if query:
            applications = applications.filter(
                Q(tracking_number__icontains=query)
                | Q(organization_id__in=_organization_ids_named(call, query))
            )
    page = Paginator(applications, PAGE_SIZE).get_page(request.GET.get("page"))
    organizations = organizations_get(
        organization_ids={application.organization_id for application in page}
    )
    return render(
        request,
        f"{TEMPLATES}/applications.html",
        {
            "call": call,
            "form": form,
            "page": page,
            "rows": [
                (application, organizations.get(application.organization_id))
                for application in page
            ],
            "result": {
                "page": page.number,
                "num_pages": page.paginator.num_pages,
                "has_previous": page.has_previous(),
                "has_next": page.has_next(),
            },
            "total": page.paginator.count,
        },
        status=status,
    )


# --- an application ----------------------------------------------------------------------

# While reviewers may be assigned.
ASSIGNING = (Status.SCREENED, Status.UNDER_REVIEW)


def _out_of_step(
    request: AuthenticatedRequest, application: Application, message: str
) -> HttpResponseBase:
    """A step posted when the application is no longer at it (another tab, a colleague):
    say so on its page, which shows what can be done now."""
    messages.error(request, message)
    return redirect("funding:staff_application", public_id=application.public_id)


def reviewer_choices(
    application: Application,
) -> tuple[list[tuple[int, str]], list[dict[str, Any]]]:
    """The reviewers staff may assign (not yet assigned, no conflict), and those in conflict
    with the applicant with the reason, shown as unavailable."""
    assigned = set(application.assignments.values_list("reviewer_id", flat=True))
    declared = dict(
        ConflictOfInterest.objects.filter(organization_id=application.organization_id).values_list(
            "reviewer_id", "reason"
        )
    )
    available, unavailable = [], []
    for person in people_with_role(role=Role.REVIEWER):
        if person.id in assigned:
            continue
        if person.id in declared:
            unavailable.append({"name": person.name, "reason": declared[person.id]})
        elif application.organization_id in organizations_of_liaison(user_id=person.id):
            unavailable.append(
                {"name": person.name, "reason": _("The applicant organization's liaison.")}
            )
        else:
            available.append((person.id, person.name))
    return available, unavailable


def _decisions(application: Application) -> list[Status]:
    return [
        status
        for status in next_statuses(application.status, Actor.STAFF)
        if status in (Status.AWARDED, Status.DECLINED)
    ]


def _detail(
    request: AuthenticatedRequest,
    application: Application,
    *,
    screening_form: ScreeningForm | None = None,
    assign_form: AssignForm | None = None,
    decision_form: DecisionForm | None = None,
    status: int = 200,
) -> HttpResponse:
    language = get_language() or "en"
    call = application.opportunity
    organization = organizations_get(organization_ids=[application.organization_id]).get(
        application.organization_id
    )
    screening = None
    if application.status == Status.SUBMITTED:
        screening = screening_form or ScreeningForm(
            items=list(call.screening_items.all()), language=language
        )
    available: list[tuple[int, str]] = []
    unavailable: list[dict[str, Any]] = []
    assigning = application.status in ASSIGNING
    if assigning:
        available, unavailable = reviewer_choices(application)
        assign_form = assign_form or AssignForm(reviewers=available)
    decisions = _decisions(application)
    if decisions:
        decision_form = decision_form or DecisionForm()
        decision_form.fields["decision"].choices = [  # type: ignore[attr-defined]
            (value, label)
            for value, label in decision_form.fields["decision"].choices  # type: ignore[attr-defined]
            if value in decisions
        ]
    budget = list(application.budget_lines.all())
    answers = reviews.screening_answers_of(application)
    # A reviewer assigned who declared a conflict since: staff see it and assign another.
    conflicts = dict(
        ConflictOfInterest.objects.filter(organization_id=application.organization_id).values_list(
            "reviewer_id", "reason"
        )
    )
    return render(
        request,
        f"{TEMPLATES}/application.html",
        {
            "application": application,
            "call": call,
            "call_title": call.title_in(language),
            "organization": organization,
            "sections": selectors.application_sections(
                application=application, language=get_language() or "en"
            ),
            "budget": budget,
            "budget_total": sum((line.amount for line in budget), Decimal("0.00")),
            "attachments": application.attachments.all(),
            "trail": application.status_changes.select_related("actor"),
            "answered": [
                (
                    item.text_es if language == "es" and item.text_es else item.text,
                    answers.get(item.pk),
                )
                for item in call.screening_items.all()
            ]
            if answers
            else [],
            "screening_form": screening,
            "assign_form": assign_form if assigning else None,
            "unavailable": unavailable,
            "assignments": [
                (assignment, conflicts.get(assignment.reviewer_id))
                for assignment in application.assignments.select_related("reviewer").order_by("pk")
            ],
            "may_send": application.status == Status.SCREENED and application.assignments.exists(),
            "reviews": reviews.reviews_of(application),
            "decision_form": decision_form if decisions else None,
        },
        status=status,
    )


@staff_only
@require_GET
def staff_application(request: AuthenticatedRequest, public_id: UUID) -> HttpResponse:
    return _detail(request, _application_of(public_id))


@staff_only
@require_POST
def staff_screen(request: AuthenticatedRequest, public_id: UUID) -> HttpResponseBase:
    application = _application_of(public_id)
    if application.status != Status.SUBMITTED:
        return _out_of_step(request, application, _("Only a submitted application is screened."))
    form = ScreeningForm(
        request.POST,
        items=list(application.opportunity.screening_items.all()),
        language=get_language() or "en",
    )
    if form.is_valid():
        outcome = Status(form.cleaned_data["outcome"])
        try:
            reviews.screening_complete(
                actor=request.user,
                application=application,
                answers=form.answers(),
                outcome=outcome,
                reason=form.cleaned_data["reason"],
            )
        except services.FundingError as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(
                request,
                _("Screened; the applicant was emailed.")
                if outcome == Status.SCREENED
                else _("Declined at screening; the applicant was emailed."),
            )
            return redirect("funding:staff_application", public_id=application.public_id)
    return _detail(request, application, screening_form=form, status=400)


@staff_only
@require_POST
def staff_assign(request: AuthenticatedRequest, public_id: UUID) -> HttpResponseBase:
    application = _application_of(public_id)
    if application.status not in ASSIGNING:
        return _out_of_step(
            request, application, _("Only a screened application can be sent for review.")
        )
    available, _unavailable = reviewer_choices(application)
    form = AssignForm(request.POST, reviewers=available)
    if form.is_valid():
        # Offered only active reviewers; the service checks the role and conflicts again.
        reviewer = get_user_model().objects.get(pk=form.cleaned_data["reviewer"])
        try:
            services.review_assign(actor=request.user, application=application, reviewer=reviewer)
        except services.FundingError as refusal:
            form.add_error("reviewer", str(refusal))
        else:
            messages.success(request, _("Reviewer assigned and emailed."))
            return redirect("funding:staff_application", public_id=application.public_id)
    return _detail(request, application, assign_form=form, status=400)


@staff_only
@require_POST
def staff_send_for_review(request: AuthenticatedRequest, public_id: UUID) -> HttpResponseBase:
    application = _application_of(public_id)
    try:
        services.application_move(
            actor=request.user, application=application, to=Status.UNDER_REVIEW
        )
    except services.FundingError as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, _("Sent for review; the applicant was emailed."))
    return redirect("funding:staff_application", public_id=application.public_id)


@staff_only
@require_POST
def staff_decide(request: AuthenticatedRequest, public_id: UUID) -> HttpResponseBase:
    application = _application_of(public_id)
    if not _decisions(application):
        return _out_of_step(
            request, application, _("No decision can be made on this application now.")
        )
    form = DecisionForm(request.POST)
    form.fields["decision"].choices = [  # type: ignore[attr-defined]
        (value, label)
        for value, label in form.fields["decision"].choices  # type: ignore[attr-defined]
        if value in _decisions(application)
    ]
    if form.is_valid():
        decision = Status(form.cleaned_data["decision"])
        try:
            services.application_move(
                actor=request.user,
                application=application,
                to=decision,
                reason=form.cleaned_data["reason"],
            )
        except services.FundingError as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(
                request,
                _("Awarded; the applicant was emailed.")
                if decision == Status.AWARDED
                else _("Declined; the applicant was emailed."),
            )
            return redirect("funding:staff_application", public_id=application.public_id)
    return _detail(request, application, decision_form=form, status=400)


# --- the dashboard -----------------------------------------------------------------------


@staff_only
@require_GET
def staff_dashboard(request: AuthenticatedRequest) -> HttpResponse:
    # Aggregates over every application and award: read from the replica (see ADR 0029).
    with reading_from_replica():
        pipeline = dashboard.pipeline()
        money = dashboard.money_by_region()
        reach = dashboard.reach_of_awards()
    stage_labels = [str(stage.label) for stage in dashboard.STAGES]
    return render(
        request,
        f"{TEMPLATES}/dashboard.html",
        {
            "pipeline": pipeline,
            "stages": dashboard.STAGES,
            "stage_chart": dashboard.bar_chart(
                [
                    (label, total, None)
                    for label, total in zip(stage_labels, pipeline.totals, strict=True)
                ]
            ),
            "stage_rows": list(zip(stage_labels, pipeline.totals, strict=True)),
            "money": money,
            "money_chart": dashboard.bar_chart(
                [(row.region_name, float(row.awarded), float(row.spent)) for row in money],
                money=True,
            ),
            "money_awarded": sum((row.awarded for row in money), Decimal("0.00")),
            "money_spent": sum((row.spent for row in money), Decimal("0.00")),
            "reach": reach,
            "reach_chart": dashboard.bar_chart(
                [(row.region_name, row.participants, None) for row in reach.rows]
            ),
        },
    )


urlpatterns = [
    path("staff/", staff_home, name="staff_home"),
    path("staff/dashboard/", staff_dashboard, name="staff_dashboard"),
    path("staff/calls/new/", staff_call_new, name="staff_call_new"),
    path("staff/calls/<uuid:public_id>/edit/", staff_call_edit, name="staff_call_edit"),
    path("staff/calls/<uuid:public_id>/publish/", staff_call_publish, name="staff_call_publish"),
    path(
        "staff/calls/<uuid:public_id>/applications/",
        staff_applications,
        name="staff_applications",
    ),
    path("staff/applications/<uuid:public_id>/", staff_application, name="staff_application"),
    path("staff/applications/<uuid:public_id>/screen/", staff_screen, name="staff_screen"),
    path("staff/applications/<uuid:public_id>/assign/", staff_assign, name="staff_assign"),
    path(
        "staff/applications/<uuid:public_id>/send-for-review/",
        staff_send_for_review,
        name="staff_send_for_review",
    ),
    path("staff/applications/<uuid:public_id>/decide/", staff_decide, name="staff_decide"),
]
