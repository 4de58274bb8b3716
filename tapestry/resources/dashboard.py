"""The "My Tapestry" panel for the people who write and review health information."""

from typing import Any

from django.db.models import DateTimeField, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, Greatest

from tapestry.accounts.api import DashboardPanel
from tapestry.resources.models import ResourceText, Status
from tapestry.resources.services import may_author, may_review


def texts_out_of_date() -> QuerySet[ResourceText]:
    """Texts whose other language's words changed after their own last change and after
    anyone last confirmed they need no change (the same rule as
    `services.translation_out_of_date`, in one query)."""
    other_changed = ResourceText.objects.filter(resource=OuterRef("resource")).exclude(
        language=OuterRef("language")
    )
    return ResourceText.objects.annotate(
        other_changed_at=Subquery(
            other_changed.values("content_changed_at")[:1], output_field=DateTimeField()
        ),
        own_changed_at=Greatest(
            "content_changed_at", Coalesce("in_step_confirmed_at", "content_changed_at")
        ),
    ).filter(other_changed_at__gt=F("own_changed_at"))


def writer_panels(user: Any) -> list[DashboardPanel]:
    """Writers and reviewers: their drafts (returned ones first), the texts waiting for their
    review (someone else's), and the translations out of date."""
    writes, reviews = may_author(user), may_review(user)
    if not (writes or reviews):
        return []
    mine = Q(author=user) | Q(last_edited_by=user)
    context = {
        "drafts": ResourceText.objects.filter(mine, status=Status.DRAFT).count() if writes else 0,
        "returned": (
            ResourceText.objects.filter(mine, status=Status.DRAFT).exclude(review_note="").count()
            if writes
            else 0
        ),
        "to_review": (
            ResourceText.objects.filter(status=Status.IN_REVIEW).exclude(mine).count()
            if reviews
            else 0
        ),
        "out_of_date": texts_out_of_date().count(),
        "writes": writes,
        "reviews": reviews,
    }
    return [DashboardPanel(template="resources/dashboard_panel.html", context=context)]
