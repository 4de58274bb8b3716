"""Reviewers' pages under /funding/review/: their queue (a conflicted assignment shown as not
available), the score sheet of one application, and declaring a conflict of interest.

An application opens only through `services.application_for_review`: assigned to the caller
and not of an organization they are in conflict with (refused, logged, and shown a 403 page
that says why). An id that is no application is a 404."""

from functools import wraps
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Sum
from django.http import Http404, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from tapestry.accounts.api import AuthenticatedRequest, Role, user_has_role
from tapestry.funding import reviews, selectors, services
from tapestry.funding.forms.review import ConflictForm, ScoreForm
from tapestry.funding.models import Application, ReviewAssignment
from tapestry.network.api import organizations_get

TEMPLATES = "funding/review"


def reviewer_only(view: Any) -> Any:
    @wraps(view)
    def wrapped(request: AuthenticatedRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not user_has_role(request.user, Role.REVIEWER):
            raise PermissionDenied(_("These pages are for reviewers."))
        response: HttpResponseBase = view(request, *args, **kwargs)
        return response

    return login_required(wrapped)


def _refused(request: AuthenticatedRequest, refusal: services.FundingError) -> HttpResponse:
    return render(
        request,
        f"{TEMPLATES}/refused.html",
        {
            "message": str(refusal),
            "conflict": isinstance(refusal, services.ConflictOfInterestError),
        },
        status=403,
    )


def _opened(request: AuthenticatedRequest, public_id: UUID) -> Application | HttpResponse:
    """The application, or the 403 page saying why not; a 404 for no such application."""
    if not Application.objects.filter(public_id=public_id).exists():
        raise Http404
    try:
        return services.application_for_review(reviewer=request.user, public_id=public_id)
    except services.NotAllowed as refusal:
        return _refused(request, refusal)


@reviewer_only
@require_GET
def review_queue(request: AuthenticatedRequest) -> HttpResponse:
    assignments = list(
        ReviewAssignment.objects.filter(reviewer=request.user)
        .select_related("application__opportunity")
        .annotate(total=Sum("scores__points"))
        .order_by("submitted_at", "-assigned_at", "pk")
    )
    conflicted = services.conflicted_organizations(reviewer_id=request.user.pk)
    organizations = organizations_get(
        organization_ids={
            assignment.application.organization_id
            for assignment in assignments
            if assignment.application.organization_id not in conflicted
        }
    )
    language = get_language() or "en"
    rows = [
        {
            "assignment": assignment,
            "application": assignment.application,
            "call_title": assignment.application.opportunity.title_in(language),
            "conflict": assignment.application.organization_id in conflicted,
            "organization": organizations.get(assignment.application.organization_id),
            "open": assignment.application.status in reviews.SCORING_STATUSES,
        }
        for assignment in assignments
    ]
    return render(request, f"{TEMPLATES}/queue.html", {"rows": rows})


@reviewer_only
@require_http_methods(["GET", "POST"])
def review_score(request: AuthenticatedRequest, public_id: UUID) -> HttpResponse:
    opened = _opened(request, public_id)
    if isinstance(opened, HttpResponse):
        return opened
    application = opened
    assignment = ReviewAssignment.objects.get(application=application, reviewer=request.user)
    criteria = list(application.opportunity.rubric_criteria.all())
    language = get_language() or "en"
    saved = {score.criterion_id: score.points for score in assignment.scores.all()}
    final = request.method == "POST" and request.POST.get("action") == "submit"
    form = ScoreForm(
        request.POST or None,
        criteria=criteria,
        language=language,
        final=final,
        initial={
            "comments": assignment.comments,
            **{f"score_{pk}": points for pk, points in saved.items()},
        },
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                reviews.scores_submit(
                    reviewer=request.user,
                    application=application,
                    scores=form.scores(),
                    comments=form.cleaned_data["comments"],
                    final=final,
                )
            except services.NotAllowed as refusal:
                return _refused(request, refusal)
            except services.FundingError as refusal:
                form.add_error(None, str(refusal))
            else:
                messages.success(
                    request,
                    _("Your review is submitted. Thank you.")
                    if final
                    else _("Your scores are saved as a draft."),
                )
                return (
                    redirect("funding:review_queue")
                    if final
                    else redirect("funding:review_score", public_id=application.public_id)
                )
        status = 400
    budget = list(application.budget_lines.all())
    return render(
        request,
        f"{TEMPLATES}/score.html",
        {
            "application": application,
            "assignment": assignment,
            "call_title": application.opportunity.title_in(language),
            "organization": organizations_get(organization_ids=[application.organization_id]).get(
                application.organization_id
            ),
            "sections": selectors.application_sections(
                application=application, language=get_language() or "en"
            ),
            "budget": budget,
            "budget_total": sum(line.amount for line in budget),
            "attachments": application.attachments.all(),
            "form": form,
            "criteria_points": sum(criterion.points for criterion in criteria),
            "saved_total": sum(saved.values()),
            "open": application.status in reviews.SCORING_STATUSES
            and assignment.submitted_at is None,
        },
        status=status,
    )


@reviewer_only
@require_http_methods(["GET", "POST"])
def review_conflict(request: AuthenticatedRequest, public_id: UUID) -> HttpResponseBase:
    """Declare a conflict with an assignment's organization. Shows only the organization's
    name and the tracking number: nothing of the application itself."""
    assignment = (
        ReviewAssignment.objects.select_related("application__opportunity")
        .filter(application__public_id=public_id, reviewer=request.user)
        .first()
    )
    if assignment is None:
        raise Http404
    application = assignment.application
    form = ConflictForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            reviews.conflict_declare(
                reviewer=request.user, application=application, reason=form.cleaned_data["reason"]
            )
        except services.FundingError as refusal:
            form.add_error("reason", str(refusal))
        else:
            messages.success(
                request,
                _("Conflict of interest recorded: this application is no longer yours to review."),
            )
            return redirect("funding:review_queue")
    return render(
        request,
        f"{TEMPLATES}/conflict.html",
        {
            "application": application,
            "call_title": application.opportunity.title_in(get_language() or "en"),
            "organization": organizations_get(organization_ids=[application.organization_id]).get(
                application.organization_id
            ),
            "form": form,
        },
        status=400 if form.is_bound and form.errors else 200,
    )


urlpatterns = [
    path("review/", review_queue, name="review_queue"),
    path("review/<uuid:public_id>/", review_score, name="review_score"),
    path("review/<uuid:public_id>/conflict/", review_conflict, name="review_conflict"),
]
