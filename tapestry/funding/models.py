"""Funding: opportunities (calls), applications and their review (ADR 0026).

An organization is a network member reached through `network.api`, kept here by id; people are
users by foreign key (accounts' User is the project's user model). Money is `Decimal` with two
places everywhere, never a float. An application's status moves only along the transitions in
`data/transitions.csv` (`states.py`), each one written to `StatusChange` by the service that
makes it.
"""

import uuid
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from tapestry.funding.states import Status


def money(verbose_name: Any) -> models.DecimalField:
    """An amount of dollars and cents, above zero (Decimal, never a float)."""
    return models.DecimalField(
        verbose_name,
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )


class Opportunity(models.Model):
    """A call for applications: what may be funded, for whom, how much and until when."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    title = models.CharField(_("title"), max_length=200)
    title_es = models.CharField(_("title in Spanish"), max_length=200)
    description = models.TextField(_("description"))
    description_es = models.TextField(_("description in Spanish"))
    # Eligibility, checked from the directory: an applicant is a member organization of one of
    # these types (none listed: any type) in one of these states (none listed: any state).
    eligible_types = models.JSONField(_("eligible organization types"), default=list, blank=True)
    eligible_states = models.JSONField(_("eligible states"), default=list, blank=True)
    eligibility_notes = models.TextField(_("other eligibility"), blank=True)
    eligibility_notes_es = models.TextField(_("other eligibility in Spanish"), blank=True)
    performance_start = models.DateField(_("period of performance starts"))
    performance_end = models.DateField(_("period of performance ends"))
    awards_available = models.PositiveSmallIntegerField(
        _("number of awards"), validators=[MinValueValidator(1)]
    )
    maximum_amount = money(_("maximum amount"))
    deadline = models.DateTimeField(_("deadline"))
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["deadline", "pk"]
        verbose_name = _("funding opportunity")
        verbose_name_plural = _("funding opportunities")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(performance_end__gt=models.F("performance_start")),
                name="opportunity_period_ends_after_it_starts",
            ),
            models.CheckConstraint(
                condition=models.Q(maximum_amount__gt=0), name="opportunity_maximum_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def title_in(self, language: str) -> str:
        return self.title_es if language == "es" and self.title_es else self.title


class ScreeningItem(models.Model):
    """One line of an opportunity's screening checklist, answered by staff for each
    application before review."""

    opportunity = models.ForeignKey(
        Opportunity, on_delete=models.CASCADE, related_name="screening_items"
    )
    position = models.PositiveSmallIntegerField(default=0)
    text = models.CharField(_("checklist item"), max_length=300)
    text_es = models.CharField(_("checklist item in Spanish"), max_length=300)

    class Meta:
        ordering = ["opportunity", "position", "pk"]

    def __str__(self) -> str:
        return self.text


class RubricCriterion(models.Model):
    """One criterion of an opportunity's review rubric, scored 0 to `points`."""

    opportunity = models.ForeignKey(
        Opportunity, on_delete=models.CASCADE, related_name="rubric_criteria"
    )
    position = models.PositiveSmallIntegerField(default=0)
    text = models.CharField(_("criterion"), max_length=300)
    text_es = models.CharField(_("criterion in Spanish"), max_length=300)
    points = models.PositiveSmallIntegerField(_("points"), validators=[MinValueValidator(1)])

    class Meta:
        ordering = ["opportunity", "position", "pk"]
        verbose_name_plural = _("rubric criteria")

    def __str__(self) -> str:
        return f"{self.text} ({self.points})"


class Application(models.Model):
    """An organization's application to an opportunity: one per organization and call."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    opportunity = models.ForeignKey(
        Opportunity, on_delete=models.PROTECT, related_name="applications"
    )
    # A member organization (network.api), by id.
    organization_id = models.PositiveBigIntegerField(_("organization"), db_index=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    project_title = models.CharField(_("project title"), max_length=200, blank=True)
    summary = models.TextField(_("project summary"), blank=True)
    # Given at submission, shown in the confirmation: "F" + the call's year + a number.
    tracking_number = models.CharField(max_length=20, unique=True, null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["opportunity", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["opportunity", "organization_id"], name="one_application_per_organization"
            ),
        ]
        indexes = [models.Index(fields=["opportunity", "status"], name="application_stage")]

    def __str__(self) -> str:
        return self.tracking_number or f"{self.opportunity} — {self.organization_id}"


class ApplicationMember(models.Model):
    """A person who may work on an application (its creator and the colleagues they add)."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["application", "user"], name="one_membership"),
        ]

    def __str__(self) -> str:
        return f"{self.application} — {self.user_id}"


class BudgetLine(models.Model):
    """One line of an application's budget; the lines add up to at most the call's maximum."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="budget_lines"
    )
    position = models.PositiveSmallIntegerField(default=0)
    description = models.CharField(_("budget item"), max_length=200)
    amount = money(_("amount"))

    class Meta:
        ordering = ["application", "position", "pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="budget_line_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.description}: {self.amount}"


class StatusChange(models.Model):
    """The audit trail of an application: every status change, who made it, when and why."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="status_changes"
    )
    from_status = models.CharField(max_length=20, choices=Status.choices)
    to_status = models.CharField(max_length=20, choices=Status.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(blank=True)
    changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["application", "changed_at", "pk"]

    def __str__(self) -> str:
        return f"{self.application}: {self.from_status} → {self.to_status}"


class ScreeningAnswer(models.Model):
    """Staff's answer to one checklist item for one application."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="screening_answers"
    )
    item = models.ForeignKey(ScreeningItem, on_delete=models.PROTECT, related_name="+")
    met = models.BooleanField()
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["application", "item"], name="one_answer_per_item"),
        ]

    def __str__(self) -> str:
        return f"{self.application} — {self.item}: {'met' if self.met else 'not met'}"


class ConflictOfInterest(models.Model):
    """An organization a reviewer may not review for, beyond those they are the liaison of
    (which the network knows): an employer, a board seat, a relative."""

    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    organization_id = models.PositiveBigIntegerField(_("organization"))
    reason = models.CharField(_("reason"), max_length=300)
    declared_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["reviewer", "organization_id"], name="one_conflict_per_organization"
            ),
        ]
        verbose_name_plural = _("conflicts of interest")

    def __str__(self) -> str:
        return f"{self.reviewer_id} ✕ {self.organization_id}"


class ReviewAssignment(models.Model):
    """A reviewer asked to score an application; `submitted_at` once their scores are in."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="assignments"
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    assigned_at = models.DateTimeField(auto_now_add=True)
    comments = models.TextField(blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["application", "reviewer"], name="one_assignment"),
        ]

    def __str__(self) -> str:
        return f"{self.application} — {self.reviewer_id}"


class RubricScore(models.Model):
    """A reviewer's score on one rubric criterion."""

    assignment = models.ForeignKey(
        ReviewAssignment, on_delete=models.CASCADE, related_name="scores"
    )
    criterion = models.ForeignKey(RubricCriterion, on_delete=models.PROTECT, related_name="+")
    points = models.PositiveSmallIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["assignment", "criterion"], name="one_score"),
        ]

    def __str__(self) -> str:
        return f"{self.assignment} — {self.criterion}: {self.points}"
