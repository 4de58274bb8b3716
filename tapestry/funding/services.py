"""Writes of the funding app: keyword-only `<entity>_<verb>` functions, each in a transaction,
each refusal a FundingError subclass whose message is safe to show the person (ADR 0026).

Who may do what: program staff (and administrators) run calls, screening, assignments and
decisions; an application's own people (its members, and the liaison of its organization)
edit and submit it; a reviewer sees only what they are assigned, never an application of an
organization they are in conflict with. Every status change goes through `_move`, which checks
the transition table and writes the audit trail in the same transaction.
"""

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from tapestry.accounts.api import Person, Role, people_get, person_get, user_has_role
from tapestry.core.api import audit_record, email_send
from tapestry.funding.models import (
    Application,
    ApplicationMember,
    BudgetLine,
    ConflictOfInterest,
    Opportunity,
    ReviewAssignment,
    StatusChange,
)
from tapestry.funding.states import Actor, Status, transition_rule
from tapestry.network.api import (
    organization_liaison,
    organizations_get,
    organizations_of_liaison,
)


class FundingError(Exception):
    """A request the funding app cannot carry out; the message is safe to show the person."""


class NotAllowed(FundingError):
    """The caller may not do this (a 403)."""


class NotEligible(FundingError):
    """The organization may not apply to this call."""


class CallClosed(FundingError):
    """The call is not published, or its deadline has passed."""


class AlreadyApplied(FundingError):
    """The organization already has an application to this call."""


class InvalidTransition(FundingError):
    """The application is not in a status this change starts from."""


class BudgetInvalid(FundingError):
    """The budget is empty or adds up to more than the call's maximum."""


class ConflictOfInterestError(NotAllowed):
    """The reviewer is in conflict with the application's organization."""


def is_staff(user: Any) -> bool:
    return user_has_role(user, Role.PROGRAM_STAFF, Role.ADMINISTRATOR)


# --- opportunities -------------------------------------------------------------------------


def opportunity_publish(*, actor: Any, opportunity: Opportunity) -> Opportunity:
    """Open a call to applications (staff only); its deadline must still be ahead."""
    if not is_staff(actor):
        raise NotAllowed(_("Only program staff may publish a funding opportunity."))
    with transaction.atomic():
        opportunity = Opportunity.objects.select_for_update().get(pk=opportunity.pk)
        if opportunity.published_at is not None:
            return opportunity
        if opportunity.deadline <= timezone.now():
            raise CallClosed(_("The deadline has passed: move it before publishing the call."))
        opportunity.published_at = timezone.now()
        opportunity.save(update_fields=["published_at"])
        audit_record(actor=actor, action="funding.opportunity_published", target=opportunity)
    return opportunity


@dataclass(frozen=True)
class CallText:
    """A line of a call's screening checklist or rubric, in English and Spanish; `points`
    for a rubric criterion only."""

    text: str
    text_es: str
    points: int = 0


def opportunity_save(
    *,
    actor: Any,
    details: dict[str, Any],
    screening: Sequence[CallText],
    rubric: Sequence[CallText],
    opportunity: Opportunity | None = None,
) -> Opportunity:
    """Write a call that is not published yet (program staff): its fields from `details`,
    its screening checklist and its rubric replaced whole. A published call is changed only
    by administrators in the Django admin, since applicants have read it."""
    if not is_staff(actor):
        raise NotAllowed(_("Only program staff may write a funding opportunity."))
    if details["performance_end"] <= details["performance_start"]:
        raise FundingError(_("The period of performance must end after it starts."))
    if details["deadline"] <= timezone.now():
        raise CallClosed(_("The deadline must be ahead."))
    if not screening or not rubric:
        raise FundingError(_("Give the call at least one checklist item and one criterion."))
    if any(line.points < 1 for line in rubric):
        raise FundingError(_("Each criterion is worth at least 1 point."))
    with transaction.atomic():
        if opportunity is None:
            opportunity = Opportunity(created_by=actor)
        else:
            opportunity = Opportunity.objects.select_for_update().get(pk=opportunity.pk)
            if opportunity.published_at is not None:
                raise InvalidTransition(_("A published call is changed only by administrators."))
        for field, value in details.items():
            setattr(opportunity, field, value)
        opportunity.save()
        opportunity.screening_items.all().delete()
        opportunity.rubric_criteria.all().delete()
        for position, line in enumerate(screening):
            opportunity.screening_items.create(
                position=position, text=line.text, text_es=line.text_es
            )
        for position, line in enumerate(rubric):
            opportunity.rubric_criteria.create(
                position=position, text=line.text, text_es=line.text_es, points=line.points
            )
        audit_record(actor=actor, action="funding.opportunity_saved", target=opportunity)
    return opportunity


@dataclass(frozen=True)
class Eligibility:
    """Whether an organization may apply to a call, and if not, every reason why."""

    eligible: bool
    reasons: tuple[str, ...]


def eligibility_check(*, opportunity: Opportunity, organization_id: int) -> Eligibility:
    """Check the call's eligibility against the directory: a member organization, of an
    allowed type, in an allowed state. Other eligibility is the call's text for people."""
    organization = organizations_get(organization_ids=[organization_id]).get(organization_id)
    if organization is None:
        return Eligibility(False, (_("Only member organizations of the network may apply."),))
    reasons = []
    if opportunity.eligible_types and organization.org_type not in opportunity.eligible_types:
        reasons.append(_("This call is not open to organizations of your type."))
    if opportunity.eligible_states and organization.state_code not in opportunity.eligible_states:
        reasons.append(_("This call is not open to organizations in your state."))
    return Eligibility(not reasons, tuple(reasons))


def _open_for_applications(opportunity: Opportunity, now: datetime.datetime) -> None:
    if opportunity.published_at is None or now >= opportunity.deadline:
        raise CallClosed(_("This call is not open for applications."))


# --- applications --------------------------------------------------------------------------


def may_edit(user: Any, application: Application) -> bool:
    """An application's own people: its members and its organization's liaison."""
    if not getattr(user, "is_authenticated", False):
        return False
    if application.members.filter(user=user).exists():
        return True
    return application.organization_id in organizations_of_liaison(user_id=user.pk)


def application_start(
    *,
    actor: Any,
    opportunity: Opportunity,
    organization_id: int,
    project_title: str = "",
    summary: str = "",
) -> Application:
    """Start a draft for a member organization whose liaison the actor is (with its title and
    summary when the caller has them already)."""
    if organization_id not in organizations_of_liaison(user_id=actor.pk):
        raise NotAllowed(_("Only your organization's liaison may start its application."))
    _open_for_applications(opportunity, timezone.now())
    eligibility = eligibility_check(opportunity=opportunity, organization_id=organization_id)
    if not eligibility.eligible:
        raise NotEligible(" ".join(eligibility.reasons))
    try:
        with transaction.atomic():
            application = Application.objects.create(
                opportunity=opportunity,
                organization_id=organization_id,
                created_by=actor,
                project_title=project_title.strip()[:200],
                summary=summary.strip(),
            )
            ApplicationMember.objects.create(application=application, user=actor)
            audit_record(actor=actor, action="funding.application_started", target=application)
    except IntegrityError as error:
        raise AlreadyApplied(
            _("Your organization already has an application to this call.")
        ) from error
    return application


def budget_set(
    *, actor: Any, application: Application, lines: Sequence[tuple[str, Decimal]]
) -> list[BudgetLine]:
    """Replace a draft's budget with these (description, amount) lines. Amounts are Decimal
    with at most two places and above zero; the total may not pass the call's maximum."""
    with transaction.atomic():
        application = Application.objects.select_for_update().get(pk=application.pk)
        _editable(actor, application)
        cleaned = []
        for description, amount in lines:
            if (
                not isinstance(amount, Decimal)
                or not amount.is_finite()
                or amount <= 0
                or amount != round(amount, 2)
            ):
                raise BudgetInvalid(_("Each amount is more than zero, in dollars and cents."))
            if not description.strip():
                raise BudgetInvalid(_("Each budget line says what it pays for."))
            cleaned.append((description.strip()[:200], amount))
        maximum = application.opportunity.maximum_amount
        if sum((amount for _description, amount in cleaned), Decimal(0)) > maximum:
            raise BudgetInvalid(
                _("The budget adds up to more than this call's maximum of %(maximum)s.")
                % {"maximum": f"${maximum:,.2f}"}
            )
        application.budget_lines.all().delete()
        return BudgetLine.objects.bulk_create(
            BudgetLine(application=application, position=index, description=text, amount=amount)
            for index, (text, amount) in enumerate(cleaned)
        )


def _editable(actor: Any, application: Application) -> None:
    if not may_edit(actor, application):
        raise NotAllowed(_("Only the people of this application may change it."))
    if application.status != Status.DRAFT:
        raise InvalidTransition(_("A submitted application can no longer be changed."))


def application_submit(*, actor: Any, application: Application) -> Application:
    """Submit a draft before the call's deadline: it needs a title, a summary and a budget
    that adds up to at most the maximum. Gives the tracking number."""
    now = timezone.now()
    with transaction.atomic():
        application = Application.objects.select_for_update().get(pk=application.pk)
        _editable(actor, application)
        _open_for_applications(application.opportunity, now)
        if not application.project_title.strip() or not application.summary.strip():
            raise FundingError(_("Give the project a title and a summary before submitting."))
        total = application.budget_lines.aggregate(total=Sum("amount"))["total"]
        if total is None:
            raise BudgetInvalid(_("Add at least one budget line before submitting."))
        if total > application.opportunity.maximum_amount:
            raise BudgetInvalid(_("The budget adds up to more than this call's maximum."))
        _move(application, Status.SUBMITTED, actor=actor, by=Actor.APPLICANT)
        application.submitted_at = now
        application.tracking_number = _tracking_number(application)
        application.save(update_fields=["submitted_at", "tracking_number", "updated_at"])
        # The confirmation with the tracking number, to each of the application's people in
        # their language, queued when the submission commits.
        url = settings.SITE_URL + reverse("funding:my_applications")
        for person in application_people(application):
            email_send(
                to=[person.email],
                template="funding/email/application_submitted",
                context={
                    "application": application,
                    "call_title": application.opportunity.title_in(person.language),
                    "deadline": application.opportunity.deadline,
                    "applications_url": url,
                },
                language=person.language,
                recipient_name=person.name,
            )
    return application


def _tracking_number(application: Application) -> str:
    """ "F<year of the deadline>-<6 digits>": the application's own id, so it is unique."""
    return f"F{application.opportunity.deadline.year}-{application.pk:06d}"


def application_move(
    *, actor: Any, application: Application, to: Status, reason: str = ""
) -> Application:
    """Make one of the transitions of the table (screening, review, decision, withdrawal)
    as the actor: staff for staff transitions, the application's people for theirs."""
    with transaction.atomic():
        application = Application.objects.select_for_update().get(pk=application.pk)
        by = Actor.STAFF if is_staff(actor) else Actor.APPLICANT
        if by == Actor.APPLICANT and not may_edit(actor, application):
            raise NotAllowed(_("Only the people of this application may change it."))
        _move(application, to, actor=actor, by=by, reason=reason)
        _applicant_notify(application, reason=reason.strip())
    return application


def _move(application: Application, to: Status, *, actor: Any, by: Actor, reason: str = "") -> None:
    """Change the status along the table, with its audit row; the caller holds the lock."""
    rule = transition_rule(application.status, to)
    if rule is None:
        raise InvalidTransition(
            _("An application that is %(status)s cannot become %(to)s.")
            % {"status": Status(application.status).label, "to": Status(to).label}
        )
    if rule.by != by:
        raise NotAllowed(
            _("Only program staff may make this change.")
            if rule.by == Actor.STAFF
            else _("Only the people of this application may make this change.")
        )
    reason = reason.strip()
    if rule.reason_required and not reason:
        raise FundingError(_("Give a reason for this change."))
    if to == Status.UNDER_REVIEW and not application.assignments.exists():
        raise InvalidTransition(_("Assign at least one reviewer first."))
    StatusChange.objects.create(
        application=application,
        from_status=application.status,
        to_status=to,
        actor=actor,
        reason=reason,
    )
    application.status = to
    application.save(update_fields=["status", "updated_at"])


# --- review --------------------------------------------------------------------------------


def conflicted_organizations(*, reviewer_id: int) -> set[int]:
    """The organizations a reviewer may not review: those they are the liaison of and those
    they declared."""
    declared = ConflictOfInterest.objects.filter(reviewer_id=reviewer_id).values_list(
        "organization_id", flat=True
    )
    return set(organizations_of_liaison(user_id=reviewer_id)) | set(declared)


def review_assign(*, actor: Any, application: Application, reviewer: Any) -> ReviewAssignment:
    """Ask a reviewer to score a screened application (staff only); never one in conflict
    with its organization."""
    if not is_staff(actor):
        raise NotAllowed(_("Only program staff may assign reviewers."))
    if not user_has_role(reviewer, Role.REVIEWER):
        raise NotAllowed(_("Only people with the reviewer role may review applications."))
    if application.organization_id in conflicted_organizations(reviewer_id=reviewer.pk):
        raise ConflictOfInterestError(
            _("This reviewer has a conflict of interest with the applicant organization.")
        )
    if application.status not in (Status.SCREENED, Status.UNDER_REVIEW):
        raise InvalidTransition(_("Only a screened application can be sent for review."))
    try:
        with transaction.atomic():
            assignment = ReviewAssignment.objects.create(
                application=application, reviewer=reviewer, assigned_by=actor
            )
            audit_record(
                actor=actor,
                action="funding.reviewer_assigned",
                target=application,
                data={"reviewer_id": reviewer.pk},
            )
            _reviewer_notify(application, reviewer_id=reviewer.pk)
    except IntegrityError:
        return ReviewAssignment.objects.get(application=application, reviewer=reviewer)
    return assignment


def application_for_review(*, reviewer: Any, public_id: Any) -> Application:
    """The application a reviewer opens: only one assigned to them, and never one of an
    organization they are in conflict with (refused and logged, even if assigned before the
    conflict was declared)."""
    application = Application.objects.filter(
        public_id=public_id, assignments__reviewer=reviewer
    ).first()
    if application is None:
        raise NotAllowed(_("This application is not assigned to you."))
    if application.organization_id in conflicted_organizations(reviewer_id=reviewer.pk):
        audit_record(
            actor=reviewer,
            action="funding.conflicted_application_refused",
            target=application,
        )
        raise ConflictOfInterestError(
            _("You have a conflict of interest with this applicant and may not review it.")
        )
    return application


# --- members -------------------------------------------------------------------------------


def application_member_add(
    *, actor: Any, application: Application, email: str
) -> ApplicationMember:
    """Let a colleague work on a draft: the organization's liaison adds a person who already
    has an account, by their email address."""
    if application.organization_id not in organizations_of_liaison(user_id=actor.pk):
        raise NotAllowed(_("Only your organization's liaison may add people to its application."))
    colleague = get_user_model().objects.filter(email__iexact=email.strip(), is_active=True).first()
    if colleague is None:
        raise FundingError(
            _("No one has an account with this email address: ask them to sign up first.")
        )
    with transaction.atomic():
        application = Application.objects.select_for_update().get(pk=application.pk)
        if application.status != Status.DRAFT:
            raise InvalidTransition(_("A submitted application can no longer be changed."))
        member, created = ApplicationMember.objects.get_or_create(
            application=application, user=colleague
        )
        if created:
            audit_record(
                actor=actor,
                action="funding.application_member_added",
                target=application,
                data={"user_id": colleague.pk},
            )
    return member


# --- staff ---------------------------------------------------------------------------------

# The email each status an application reaches sends its people (templates under
# funding/email/); a status not listed here sends nothing.
_APPLICANT_EMAILS = {
    Status.SCREENED: "funding/email/review_screened",
    Status.UNDER_REVIEW: "funding/email/review_sent",
    Status.AWARDED: "funding/email/decision_awarded",
    Status.DECLINED: "funding/email/decision_declined",
    Status.WITHDRAWN: "funding/email/decision_withdrawn",
}


def _site_url(name: str, *args: Any) -> str:
    return f"{settings.SITE_URL}{reverse(name, args=args)}"


def _applicant_url(application: Application) -> str:
    return _site_url("funding:application_edit", application.public_id)


def application_people(application: Application) -> list[Person]:
    """Who hears of an application's (and its award's) progress: its members (the liaison who
    started it and the colleagues added) and the organization's liaison today, should the
    liaison have changed since; each once, active people only."""
    user_ids = set(application.members.values_list("user_id", flat=True))
    liaison = organization_liaison(organization_id=application.organization_id)
    if liaison is not None:
        user_ids.add(liaison)
    return people_get(user_ids=user_ids)


def _applicant_notify(application: Application, *, reason: str) -> None:
    """Email the application's people of the status it just reached, each in their language
    (queued for after the commit by `email_send`)."""
    template = _APPLICANT_EMAILS.get(Status(application.status))
    if template is None:
        return
    opportunity = application.opportunity
    for person in application_people(application):
        email_send(
            to=[person.email],
            template=template,
            context={
                "call_title": opportunity.title_in(person.language),
                "project_title": application.project_title,
                "tracking_number": application.tracking_number or "",
                "reason": reason,
                "application_url": _applicant_url(application),
            },
            language=person.language,
            recipient_name=person.name,
        )


def _reviewer_notify(application: Application, *, reviewer_id: int) -> None:
    """Tell a reviewer of a new assignment. The subject names the call only: the applicant's
    name is for the page, which checks conflicts of interest each time it opens."""
    person = person_get(user_id=reviewer_id)
    if person is None:
        return
    email_send(
        to=[person.email],
        template="funding/email/review_assigned",
        context={
            "call_title": application.opportunity.title_in(person.language),
            "tracking_number": application.tracking_number or "",
            "review_url": _site_url("funding:review_score", application.public_id),
            "queue_url": _site_url("funding:review_queue"),
        },
        language=person.language,
        recipient_name=person.name,
    )
