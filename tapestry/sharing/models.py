"""Resource sharing's data: what each member library holds and lends, the requests libraries
send each other, the lenders each request is routed to, and the fees between them.

Libraries are member organizations of the network, held here by id (`network.api` names them).
Money is kept in whole cents.
"""

import datetime
import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# --- Holdings and lending policy ---


class HoldingFormat(models.TextChoices):
    PRINT = "print", _("Print")
    ELECTRONIC = "electronic", _("Electronic")


class Holding(models.Model):
    """A journal (by ISSN) or a book (by ISBN) a library holds, with the years and volumes held
    as ranges (a gap is two ranges). An electronic journal lends only where its licence allows."""

    class Kind(models.TextChoices):
        SERIAL = "serial", _("Journal")
        BOOK = "book", _("Book")

    organization_id = models.PositiveBigIntegerField(_("library"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=300)
    # Kept normalized: "0028-0836" for an ISSN, 13 digits for an ISBN.
    issn = models.CharField(_("ISSN"), max_length=9, blank=True)
    isbn = models.CharField(_("ISBN"), max_length=13, blank=True)
    holding_format = models.CharField(
        _("format"), max_length=12, choices=HoldingFormat.choices, default=HoldingFormat.PRINT
    )
    licence_allows_lending = models.BooleanField(
        _("the electronic licence allows interlibrary lending"), default=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["organization_id", "title", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization_id", "issn", "holding_format"],
                condition=Q(kind="serial"),
                name="sharing_one_serial_holding_per_format",
            ),
            models.UniqueConstraint(
                fields=["organization_id", "isbn"],
                condition=Q(kind="book"),
                name="sharing_one_book_holding",
            ),
            models.CheckConstraint(
                condition=(Q(kind="serial") & ~Q(issn="") & Q(isbn=""))
                | (Q(kind="book") & ~Q(isbn="") & Q(issn="")),
                name="sharing_holding_identifier_matches_kind",
            ),
        ]
        indexes = [models.Index(fields=["isbn"], name="sharing_holding_isbn")]

    def __str__(self) -> str:
        return f"{self.title} ({self.issn or self.isbn})"

    @property
    def lendable(self) -> bool:
        return self.holding_format == HoldingFormat.PRINT or self.licence_allows_lending


class HoldingRange(models.Model):
    """Years (and, where known, volumes) of a journal held without a gap. An open end means
    "to the present". The ISSN, the library and whether it lends are copied from the holding so
    that routing reads one index."""

    holding = models.ForeignKey(Holding, on_delete=models.CASCADE, related_name="ranges")
    organization_id = models.PositiveBigIntegerField()
    issn = models.CharField(max_length=9)
    lendable = models.BooleanField()
    year_from = models.PositiveSmallIntegerField(_("from year"))
    year_to = models.PositiveSmallIntegerField(_("to year"), null=True, blank=True)
    volume_from = models.PositiveIntegerField(_("from volume"), null=True, blank=True)
    volume_to = models.PositiveIntegerField(_("to volume"), null=True, blank=True)

    class Meta:
        ordering = ["holding", "year_from", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(year_to__isnull=True) | Q(year_to__gte=F("year_from")),
                name="sharing_range_years_in_order",
            ),
            models.CheckConstraint(
                condition=Q(volume_to__isnull=True)
                | Q(volume_from__isnull=True)
                | Q(volume_to__gte=F("volume_from")),
                name="sharing_range_volumes_in_order",
            ),
        ]
        indexes = [
            # Routing reads the holders of a journal's year from this index alone (every
            # column it needs is a key column: an index-only scan on PostgreSQL; key columns
            # rather than INCLUDE, which SQLite lacks).
            models.Index(
                fields=[
                    "issn",
                    "year_from",
                    "year_to",
                    "organization_id",
                    "volume_from",
                    "volume_to",
                ],
                condition=Q(lendable=True),
                name="sharing_range_routing",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.issn} {self.year_from}–{self.year_to or ''}"


class LendingPolicy(models.Model):
    """Whether and how a library lends: to whom, for what fee, by which delivery, how many
    business days it takes to answer. Without one a library does not lend."""

    organization_id = models.PositiveBigIntegerField(_("library"), unique=True)
    lends = models.BooleanField(_("lends to other libraries"), default=True)
    lends_to_region = models.BooleanField(_("members of our region"), default=True)
    lends_to_network = models.BooleanField(_("every member of the network"), default=False)
    lends_to_public_libraries = models.BooleanField(_("public libraries anywhere"), default=False)
    fee_cents = models.PositiveIntegerField(_("fee per item (cents)"), default=0)
    delivers_electronically = models.BooleanField(_("secure electronic delivery"), default=True)
    delivers_by_mail = models.BooleanField(_("mail"), default=False)
    answer_business_days = models.PositiveSmallIntegerField(_("business days to answer"), default=2)
    accepts_patron_requests = models.BooleanField(
        _("accepts requests from patrons and unaffiliated health professionals"), default=False
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("lending policy")
        verbose_name_plural = _("lending policies")
        constraints = [
            models.CheckConstraint(
                condition=Q(answer_business_days__gte=1) & Q(answer_business_days__lte=10),
                name="sharing_policy_answer_days_in_range",
            ),
            models.CheckConstraint(
                condition=Q(lends=False)
                | Q(delivers_electronically=True)
                | Q(delivers_by_mail=True),
                name="sharing_policy_lender_delivers",
            ),
        ]

    def __str__(self) -> str:
        return f"policy of {self.organization_id}"


class Closure(models.Model):
    """Days a library does not lend (its holidays, a temporary pause); an open end is a pause
    until the library reopens."""

    organization_id = models.PositiveBigIntegerField(_("library"), db_index=True)
    starts_on = models.DateField(_("first day closed"))
    ends_on = models.DateField(_("last day closed"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=200)

    class Meta:
        ordering = ["organization_id", "starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=F("starts_on")),
                name="sharing_closure_dates_in_order",
            )
        ]

    def __str__(self) -> str:
        return f"{self.organization_id} closed {self.starts_on}–{self.ends_on or ''}"


class PreferredLender(models.Model):
    """A library a borrower asks first, in its own order."""

    borrower_id = models.PositiveBigIntegerField()
    lender_id = models.PositiveBigIntegerField()
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["borrower_id", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["borrower_id", "lender_id"], name="sharing_preferred_once"
            ),
            models.UniqueConstraint(
                fields=["borrower_id", "position"], name="sharing_preferred_position_unique"
            ),
            models.CheckConstraint(
                condition=~Q(borrower_id=F("lender_id")), name="sharing_preferred_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.borrower_id} asks {self.lender_id} #{self.position}"


class PatronAgreement(models.Model):
    """A person (a patron, an unaffiliated health professional) a library has agreed to request
    for. Their requests wait for the library's approval, then are routed as the library's own."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for the library")
        APPROVED = "approved", _("Approved")
        DECLINED = "declined", _("Declined")
        ENDED = "ended", _("Ended")

    organization_id = models.PositiveBigIntegerField(_("library"))
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sharing_agreements"
    )
    is_health_professional = models.BooleanField(
        _("I am a health professional without a library of my own"), default=False
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["organization_id", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization_id", "person"], name="sharing_one_agreement_per_library"
            )
        ]

    def __str__(self) -> str:
        return f"{self.person_id} through {self.organization_id} ({self.status})"


# --- Requests ---


class Urgency(models.TextChoices):
    REGULAR = "regular", _("Regular")
    RUSH = "rush", _("Rush")
    URGENT_PATIENT_CARE = "urgent", _("Urgent patient care")


class CopyrightCompliance(models.TextChoices):
    """The borrower's statement on every request (the CONTU guidelines' terms)."""

    GUIDELINES = "ccg", _("Complies with the CONTU guidelines (CCG)")
    LAW = "ccl", _("Complies with copyright law: we pay royalties or hold a subscription (CCL)")


class Request(models.Model):
    """A borrowing library's request for an article (or a book), routed to lenders in turn."""

    class Kind(models.TextChoices):
        ARTICLE = "article", _("Journal article")
        BOOK = "book", _("Book")

    class Status(models.TextChoices):
        AWAITING_APPROVAL = "awaiting_approval", _("Waiting for the library's approval")
        ROUTING = "routing", _("With a lender")
        FILLED = "filled", _("Filled")
        UNFILLED = "unfilled", _("Not filled")
        CANCELLED = "cancelled", _("Cancelled")
        DECLINED = "declined", _("Declined by the library")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    borrower_id = models.PositiveBigIntegerField(_("borrowing library"), db_index=True)
    region_code = models.CharField(max_length=30, blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.ARTICLE)
    # The citation.
    journal_title = models.CharField(_("journal"), max_length=300, blank=True)
    issn = models.CharField(_("ISSN"), max_length=9, blank=True)
    isbn = models.CharField(_("ISBN"), max_length=13, blank=True)
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True)
    volume = models.CharField(_("volume"), max_length=20, blank=True)
    issue = models.CharField(_("issue"), max_length=20, blank=True)
    pages = models.CharField(_("pages"), max_length=30, blank=True)
    title = models.CharField(_("article or book title"), max_length=500)
    authors = models.CharField(_("authors"), max_length=500, blank=True)
    pmid = models.PositiveBigIntegerField(_("PubMed ID"), null=True, blank=True)
    # What the borrower needs.
    needed_by = models.DateField(_("needed by"))
    max_cost_cents = models.PositiveIntegerField(_("maximum cost (cents)"))
    urgency = models.CharField(
        _("urgency"), max_length=10, choices=Urgency.choices, default=Urgency.REGULAR
    )
    # The library's own reference for its patron: never the patron's name.
    patron_reference = models.CharField(_("patron reference"), max_length=60, blank=True)
    compliance = models.CharField(
        _("copyright compliance"), max_length=3, choices=CopyrightCompliance.choices
    )
    # Set for a patron's request, which the library approves before it is routed.
    patron = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sharing_requests",
    )
    patron_note = models.TextField(_("note to the library"), blank=True, max_length=1000)
    # The form's one-time token: a second submit of the same form finds the first request.
    submission_token = models.UUIDField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ROUTING)
    # 1-based position of the lender asked now in `lenders` (0 before routing).
    position = models.PositiveSmallIntegerField(default=0)
    unfilled_reason = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    routed_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["borrower_id", "status", "created_at"], name="sharing_req_borrow"),
            models.Index(fields=["borrower_id", "issn", "created_at"], name="sharing_req_rule5"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["borrower_id", "submission_token"], name="sharing_request_submitted_once"
            ),
            models.CheckConstraint(
                condition=(Q(kind="article") & ~Q(issn="") & Q(year__isnull=False))
                | (Q(kind="book") & ~Q(isbn="")),
                name="sharing_request_citation_matches_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.public_id})"

    @property
    def reference(self) -> str:
        """A short number people can say on the phone."""
        return f"R-{self.pk:06d}"


class Lender(models.Model):
    """One library in a request's sequence and what became of its turn."""

    class Status(models.TextChoices):
        WAITING = "waiting", _("Waiting its turn")
        ASKED = "asked", _("Asked")
        FILLED = "filled", _("Filled")
        NOT_FILLED = "not_filled", _("Not filled")
        TIMED_OUT = "timed_out", _("Did not answer in time")
        SKIPPED = "skipped", _("Skipped")

    class Reason(models.TextChoices):
        NOT_OWNED = "not_owned", _("Not owned")
        IN_USE = "in_use", _("In use or checked out")
        NOT_ON_SHELF = "not_on_shelf", _("Not on shelf")
        LICENCE = "licence", _("Licence does not allow lending")
        COST = "cost", _("Cost exceeds the maximum")
        NOT_BY_DATE = "not_by_date", _("Cannot send by the date needed")
        POOR_CONDITION = "condition", _("Too fragile to copy")
        OTHER = "other", _("Other")

    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="lenders")
    position = models.PositiveSmallIntegerField()
    organization_id = models.PositiveBigIntegerField(db_index=True)
    fee_cents = models.PositiveIntegerField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.WAITING)
    reason = models.CharField(max_length=20, choices=Reason.choices, blank=True)
    note = models.CharField(max_length=300, blank=True)
    asked_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["request", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["request", "position"], name="sharing_lender_position_unique"
            ),
            models.UniqueConstraint(
                fields=["request", "organization_id"], name="sharing_lender_once_per_request"
            ),
            # Exactly one fill counts, whatever two lenders do at the same moment.
            models.UniqueConstraint(
                fields=["request"], condition=Q(status="filled"), name="sharing_one_fill"
            ),
        ]
        indexes = [
            models.Index(
                fields=["status", "due_at"], condition=Q(status="asked"), name="sharing_lender_due"
            ),
            models.Index(fields=["organization_id", "status"], name="sharing_lender_queue"),
        ]

    def __str__(self) -> str:
        return f"{self.request_id} #{self.position} → {self.organization_id}"

    @property
    def answer_by(self) -> datetime.date | None:
        """The last day to answer (the answer is due at midnight ending it, network time)."""
        if self.due_at is None:
            return None
        return timezone.localtime(self.due_at - datetime.timedelta(seconds=1)).date()


def _delivery_path(delivery: "Delivery", filename: str) -> str:
    # Never the uploaded name: a random one.
    return f"sharing/{uuid.uuid4().hex}.pdf"


class Delivery(models.Model):
    """How a filled request reached the borrower: a PDF kept until its link expires (then the
    file is deleted), or a note that it was mailed."""

    class Method(models.TextChoices):
        ELECTRONIC = "electronic", _("Secure electronic delivery")
        MAIL = "mail", _("Mail")

    request = models.OneToOneField(Request, on_delete=models.CASCADE, related_name="delivery")
    lender_id = models.PositiveBigIntegerField()
    method = models.CharField(max_length=12, choices=Method.choices)
    file = models.FileField(upload_to=_delivery_path, max_length=200, blank=True)
    size = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(null=True, blank=True)
    downloads = models.PositiveIntegerField(default=0)
    first_downloaded_at = models.DateTimeField(null=True, blank=True)
    purged_at = models.DateTimeField(null=True, blank=True)
    filled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = _("deliveries")

    def __str__(self) -> str:
        return f"{self.request_id} by {self.method}"


# --- Money ---


class Charge(models.Model):
    """What a filled request costs its borrower, owed to its lender (one per request)."""

    request = models.OneToOneField(Request, on_delete=models.PROTECT, related_name="charge")
    borrower_id = models.PositiveBigIntegerField()
    lender_id = models.PositiveBigIntegerField()
    amount_cents = models.PositiveIntegerField()
    # The first day of the month the fill falls in (statements are monthly).
    month = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["month", "pk"]
        indexes = [
            models.Index(fields=["borrower_id", "month"], name="sharing_charge_borrower"),
            models.Index(fields=["lender_id", "month"], name="sharing_charge_lender"),
        ]

    def __str__(self) -> str:
        return f"{self.borrower_id} owes {self.lender_id} {self.amount_cents}"


class RequestEvent(models.Model):
    """The request's trail, as both libraries see it."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Requested")
        APPROVED = "approved", _("Approved by the library")
        DECLINED = "declined", _("Declined by the library")
        ASKED = "asked", _("Sent to a lender")
        NOT_FILLED = "not_filled", _("Not filled by a lender")
        TIMED_OUT = "timed_out", _("A lender did not answer in time")
        FILLED = "filled", _("Filled")
        UNFILLED = "unfilled", _("No lender could fill it")
        CANCELLED = "cancelled", _("Cancelled")
        DOWNLOADED = "downloaded", _("Downloaded")

    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    organization_id = models.PositiveBigIntegerField(null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=300, blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["request", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.request_id} {self.kind}"
