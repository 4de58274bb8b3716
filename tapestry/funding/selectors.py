"""Reads of the funding app, each scoped to the person asking: a lookup that is not theirs
finds nothing (the page answers 404)."""

import datetime
import uuid
from typing import Any

from django.db.models import Q, QuerySet

from tapestry.funding.drafts import SECTIONS
from tapestry.funding.models import Application, Attachment, Opportunity
from tapestry.funding.services import conflicted_organizations, is_staff, may_edit
from tapestry.network.api import organizations_of_liaison

# --- applicants ----------------------------------------------------------------------------


def calls_open(*, now: datetime.datetime) -> QuerySet[Opportunity]:
    """Published calls whose deadline is still ahead, the nearest deadline first."""
    return Opportunity.objects.filter(published_at__isnull=False, deadline__gt=now).order_by(
        "deadline", "pk"
    )


def call_published_get(*, public_id: uuid.UUID) -> Opportunity | None:
    """A published call (open or closed) by its public id; None for a call not published."""
    return (
        Opportunity.objects.filter(public_id=public_id, published_at__isnull=False)
        .prefetch_related("screening_items", "rubric_criteria")
        .first()
    )


def applications_by_organization(
    *, opportunity: Opportunity, organization_ids: list[int]
) -> dict[int, Application]:
    """These organizations' applications to a call, by organization id."""
    return {
        application.organization_id: application
        for application in Application.objects.filter(
            opportunity=opportunity, organization_id__in=organization_ids
        )
    }


def applications_of_person(*, user: Any) -> QuerySet[Application]:
    """The applications a person works on: those they are a member of, and every application
    of the organizations they are the liaison of. Newest first."""
    liaison_of = organizations_of_liaison(user_id=user.pk)
    return (
        Application.objects.filter(Q(members__user=user) | Q(organization_id__in=liaison_of))
        .distinct()
        .select_related("opportunity")
        .order_by("-created_at", "-pk")
    )


def application_of_person_get(*, user: Any, public_id: uuid.UUID) -> Application | None:
    """An application the person works on (a member, or its organization's liaison), or None."""
    application = (
        Application.objects.filter(public_id=public_id).select_related("opportunity").first()
    )
    if application is None or not may_edit(user, application):
        return None
    return application


def attachment_readable_get(*, user: Any, public_id: uuid.UUID) -> Attachment | None:
    """A file of an application, for its people, program staff and the reviewers assigned to
    it (never one in conflict with its organization); None for anyone else."""
    attachment = (
        Attachment.objects.filter(public_id=public_id)
        .select_related("application", "application__opportunity")
        .first()
    )
    if attachment is None:
        return None
    application = attachment.application
    if is_staff(user) or may_edit(user, application):
        return attachment
    if application.assignments.filter(
        reviewer=user
    ).exists() and application.organization_id not in conflicted_organizations(reviewer_id=user.pk):
        return attachment
    return None


def application_sections(*, application: Application, language: str) -> list[dict[str, str]]:
    """An application's narrative as staff and reviewers read it: each section of
    `data/sections.csv` in order, titled in the reader's language, with its text ("" if
    none was written)."""
    texts = dict(application.sections.values_list("key", "text"))
    return [
        {
            "title": section.title_in(language),
            "text": texts.get(section.key, ""),
        }
        for section in SECTIONS
    ]
