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
from django.utils.translation import pgettext_lazy

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
    text = models.CharField(pgettext_lazy("screening", "checklist item"), max_length=300)
    text_es = models.CharField(
        pgettext_lazy("screening", "checklist item in Spanish"), max_length=300
    )

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


class ApplicationSection(models.Model):
    """The text of one narrative section of a draft (the sections are listed in
    `data/sections.csv`). Several people edit a draft: `version` counts the saves, so a save
    made from an older version is a conflict the editor is warned of instead of a silent
    overwrite."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="sections")
    key = models.CharField(max_length=40)
    text = models.TextField(blank=True)
    version = models.PositiveIntegerField(default=0)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(null=True)

    class Meta:
        ordering = ["application", "key"]
        constraints = [
            models.UniqueConstraint(fields=["application", "key"], name="one_text_per_section"),
        ]

    def __str__(self) -> str:
        return f"{self.application} — {self.key} v{self.version}"


def _attachment_path(attachment: "Attachment", filename: str) -> str:
    # Never the uploaded name: a random one in the application's folder.
    return f"funding/{attachment.application.public_id}/{uuid.uuid4().hex}"


class Attachment(models.Model):
    """A file added to an application, kept through Django's storage API (local files in the
    demo, S3-compatible storage in production); its type is the one its content shows."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(upload_to=_attachment_path, max_length=200)
    name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["application", "uploaded_at", "pk"]

    def __str__(self) -> str:
        return self.name


class Award(models.Model):
    """Funding given to an awarded application: an amount, a period of performance (May 1 to
    April 30 by default) and the acknowledgement the awardee's materials must carry."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        CLOSED = "closed", _("Closed")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    application = models.OneToOneField(Application, on_delete=models.PROTECT, related_name="award")
    # Kept here from the application (and the directory when awarded) for the dashboards.
    organization_id = models.PositiveBigIntegerField(_("organization"), db_index=True)
    region_code = models.CharField(max_length=50, db_index=True, blank=True)
    number = models.CharField(_("award number"), max_length=20, unique=True)
    amount = money(_("amount"))
    period_start = models.DateField(_("period starts"))
    period_end = models.DateField(_("period ends"))
    acknowledgement = models.TextField(_("acknowledgement text"))
    acknowledgement_es = models.TextField(_("acknowledgement text in Spanish"), blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    awarded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    awarded_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    close_out_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-period_start", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(period_end__gt=models.F("period_start")),
                name="award_period_ends_after_it_starts",
            ),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="award_amount_positive"),
        ]

    def __str__(self) -> str:
        return self.number


class Invoice(models.Model):
    """A request for reimbursement under an award: at most one a month, never past the
    award's balance, never dated in the future, refused while a report is overdue."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", pgettext_lazy("invoice", "Submitted")
        APPROVED = "approved", pgettext_lazy("invoice", "Approved")
        PAID = "paid", pgettext_lazy("invoice", "Paid")
        RETURNED = "returned", pgettext_lazy("invoice", "Returned")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    award = models.ForeignKey(Award, on_delete=models.PROTECT, related_name="invoices")
    number = models.CharField(_("invoice number"), max_length=30, unique=True)
    # The first day of the month the invoice bills: one invoice a month.
    billing_month = models.DateField(_("month billed"))
    invoice_date = models.DateField(_("invoice date"))
    amount = money(_("amount"))
    description = models.TextField(_("costs claimed"))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SUBMITTED)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["award", "billing_month", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["award", "billing_month"],
                condition=~models.Q(status="returned"),
                name="one_invoice_per_month",
            ),
            models.CheckConstraint(
                condition=models.Q(amount__gt=0), name="invoice_amount_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.number


class AwardReport(models.Model):
    """A report an award owes by a date: interim narratives, and the final report answered
    through a surveys instrument. Overdue when its date has passed and it is not in."""

    class Kind(models.TextChoices):
        INTERIM = "interim", _("Interim report")
        FINAL = "final", _("Final report")

    award = models.ForeignKey(Award, on_delete=models.CASCADE, related_name="reports")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    due_on = models.DateField(_("due on"))
    narrative = models.TextField(_("what the project did"), blank=True)
    # The engagement activity reports this report counts (engagement's ids, through its api).
    activity_report_ids = models.JSONField(default=list, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["award", "due_on", "pk"]

    def __str__(self) -> str:
        return f"{self.award} — {self.get_kind_display()} ({self.due_on})"


class ExtensionRequest(models.Model):
    """A no-cost extension: more time, never more money. One open request at a time."""

    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("extension", "Pending")
        APPROVED = "approved", pgettext_lazy("extension", "Approved")
        DECLINED = "declined", pgettext_lazy("extension", "Declined")

    award = models.ForeignKey(Award, on_delete=models.CASCADE, related_name="extensions")
    requested_end = models.DateField(_("new end date"))
    reason = models.TextField(_("why more time is needed"))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["award", "requested_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["award"],
                condition=models.Q(status="pending"),
                name="one_pending_extension",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.award} → {self.requested_end}"


class PublishedMaterial(models.Model):
    """Something the awardee published about the project (a flyer, a web page, a handout),
    with its text, checked for the award's acknowledgement."""

    award = models.ForeignKey(Award, on_delete=models.CASCADE, related_name="materials")
    title = models.CharField(_("title"), max_length=200)
    url = models.URLField(_("web address"), blank=True)
    text = models.TextField(_("text of the material"))
    acknowledgement_found = models.BooleanField(default=False)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["award", "added_at", "pk"]

    def __str__(self) -> str:
        return self.title


class AwardChange(models.Model):
    """The audit trail of an award: every status change of the award, its invoices, reports
    and extension requests, who made it, when and why."""

    award = models.ForeignKey(Award, on_delete=models.CASCADE, related_name="changes")
    # What changed: "award", "invoice", "report" or "extension", and which one.
    subject = models.CharField(max_length=20)
    subject_id = models.PositiveBigIntegerField()
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(blank=True)
    changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["award", "changed_at", "pk"]

    def __str__(self) -> str:
        return (
            f"{self.award} {self.subject} {self.subject_id}: {self.from_status} → {self.to_status}"
        )
