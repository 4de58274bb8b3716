"""Requests between libraries: entering one, routing it, a lender's answer, the fill and its
secure delivery, the timeouts, the patron's way in. Holdings and policies: `holdings.py`.

Every write locks the request's row first (`select_for_update`), so what two people do to one
request at the same moment happens one after the other; the database keeps one fill per request
whatever happens (constraint `sharing_one_fill`). Emails go on commit, in each library's
liaison's language.
"""

import datetime
import uuid
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tapestry.accounts.api import person_get
from tapestry.core.api import audit_record, email_send
from tapestry.network.api import organization_liaison, organizations_get
from tapestry.sharing.business_days import answer_due, network_zone
from tapestry.sharing.holdings import closures_of
from tapestry.sharing.identifiers import isbn_normalize, issn_normalize
from tapestry.sharing.ledger import dollars
from tapestry.sharing.models import (
    Charge,
    CopyrightCompliance,
    Delivery,
    Lender,
    LendingPolicy,
    PatronAgreement,
    Request,
    RequestEvent,
    Urgency,
)
from tapestry.sharing.permissions import acts_for
from tapestry.sharing.routing import Citation, lenders_route, volume_number


class SharingError(Exception):
    """A refusal with a message for the person; `status` is the HTTP status the API answers."""

    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class RequestNotFound(SharingError):
    status = 404


class RequestMovedOn(SharingError):
    """The request is no longer this library's to answer (filled, moved on, cancelled)."""

    status = 409


class RuleOfFive(SharingError):
    """The sixth recent article from one journal this year under the CONTU guidelines."""

    status = 409

    def __init__(self, message: str, *, count: int) -> None:
        super().__init__(message)
        self.count = count


def network_today() -> datetime.date:
    return timezone.now().astimezone(network_zone()).date()


# --- Entering a request ---


def _citation_clean(
    *,
    kind: str,
    issn: str,
    isbn: str,
    year: int | None,
    needed_by: datetime.date,
    max_cost_cents: int,
    urgency: str,
    compliance: str,
    pmid: int | None,
    title: str,
    today: datetime.date,
) -> dict[str, Any]:
    """The citation's values normalized, or ValidationError naming each wrong field."""
    errors: dict[str, str] = {}
    cleaned: dict[str, Any] = {"issn": "", "isbn": ""}
    if kind == Request.Kind.ARTICLE:
        try:
            cleaned["issn"] = issn_normalize(issn)
        except ValidationError as error:
            errors["issn"] = error.messages[0]
        if year is None:
            errors["year"] = _("Enter the year the article was published.")
        elif not 1600 <= year <= today.year + 1:
            errors["year"] = _("Enter a year between 1600 and %(last)s.") % {"last": today.year + 1}
    elif kind == Request.Kind.BOOK:
        try:
            cleaned["isbn"] = isbn_normalize(isbn)
        except ValidationError as error:
            errors["isbn"] = error.messages[0]
    else:
        errors["kind"] = _("Choose an article or a book.")
    if not title.strip():
        errors["title"] = _("Enter the article's or the book's title.")
    if needed_by < today:
        errors["needed_by"] = _("The date needed is in the past; enter today or a later day.")
    if max_cost_cents < 0:
        errors["max_cost_cents"] = _("The maximum cost cannot be negative.")
    if urgency not in Urgency.values:
        errors["urgency"] = _("Choose how urgent the request is.")
    if compliance not in CopyrightCompliance.values:
        errors["compliance"] = _("State how this request complies with copyright.")
    if pmid is not None and not 0 < pmid < 10**9:
        errors["pmid"] = _("A PubMed ID is a number of up to 9 digits.")
    if errors:
        raise ValidationError(errors)
    return cleaned


def rule_of_five_count(*, borrower_id: int, issn: str, on: datetime.date) -> int:
    """Articles this library asked for this calendar year from this journal's issues of the
    last SHARING_RULE_OF_FIVE_YEARS years (cancelled, declined and unfilled ones do not count:
    the library received nothing)."""
    return Request.objects.filter(
        borrower_id=borrower_id,
        issn=issn,
        kind=Request.Kind.ARTICLE,
        created_at__year=on.year,
        year__gte=on.year - settings.SHARING_RULE_OF_FIVE_YEARS,
        status__in=[Request.Status.ROUTING, Request.Status.FILLED],
    ).count()


def _rule_of_five_check(
    *, borrower_id: int, issn: str, year: int | None, compliance: str, today: datetime.date
) -> None:
    if not issn or year is None or year < today.year - settings.SHARING_RULE_OF_FIVE_YEARS:
        return
    if compliance != CopyrightCompliance.GUIDELINES:
        return
    count = rule_of_five_count(borrower_id=borrower_id, issn=issn, on=today)
    if count >= settings.SHARING_RULE_OF_FIVE_ARTICLES:
        raise RuleOfFive(
            _(
                "This would be article %(next)s this year from this journal's issues of the last "
                "%(years)s years. The CONTU guidelines allow %(limit)s: past that, your library "
                "pays royalties or holds a subscription. If it does, state that the request "
                "complies with copyright law (CCL)."
            )
            % {
                "next": count + 1,
                "years": settings.SHARING_RULE_OF_FIVE_YEARS,
                "limit": settings.SHARING_RULE_OF_FIVE_ARTICLES,
            },
            count=count,
        )


def request_create(
    *,
    actor: Any,
    borrower_id: int,
    kind: str = Request.Kind.ARTICLE,
    journal_title: str = "",
    issn: str = "",
    isbn: str = "",
    year: int | None = None,
    volume: str = "",
    issue: str = "",
    pages: str = "",
    title: str,
    authors: str = "",
    pmid: int | None = None,
    needed_by: datetime.date,
    max_cost_cents: int,
    urgency: str = Urgency.REGULAR,
    patron_reference: str = "",
    compliance: str,
    submission_token: uuid.UUID | None = None,
) -> Request:
    """Enter a library's request and route it: the first lender is asked at once, or the
    request ends unfilled with the reason when no library can lend it.

    The actor acts for the borrowing library (else RequestNotFound: another library's id reveals
    nothing). ValidationError names each wrong field; RuleOfFive asks for the CCL statement on
    the sixth recent article from one journal. A second submit with the same token returns the
    first request unchanged.
    """
    if not acts_for(actor, borrower_id):
        raise RequestNotFound(_("No such library among those you act for."))
    today = network_today()
    cleaned = _citation_clean(
        kind=kind,
        issn=issn,
        isbn=isbn,
        year=year,
        needed_by=needed_by,
        max_cost_cents=max_cost_cents,
        urgency=urgency,
        compliance=compliance,
        pmid=pmid,
        title=title,
        today=today,
    )
    if submission_token is not None:
        earlier = Request.objects.filter(
            borrower_id=borrower_id, submission_token=submission_token
        ).first()
        if earlier is not None:
            return earlier
    _rule_of_five_check(
        borrower_id=borrower_id,
        issn=cleaned["issn"],
        year=year,
        compliance=compliance,
        today=today,
    )
    try:
        with transaction.atomic():
            request = Request.objects.create(
                borrower_id=borrower_id,
                region_code=_region_code(borrower_id),
                kind=kind,
                journal_title=journal_title.strip(),
                issn=cleaned["issn"],
                isbn=cleaned["isbn"],
                year=year if kind == Request.Kind.ARTICLE else None,
                volume=volume.strip(),
                issue=issue.strip(),
                pages=pages.strip(),
                title=title.strip(),
                authors=authors.strip(),
                pmid=pmid,
                needed_by=needed_by,
                max_cost_cents=max_cost_cents,
                urgency=urgency,
                patron_reference=patron_reference.strip(),
                compliance=compliance,
                submission_token=submission_token,
                created_by=actor,
            )
            _event(request, RequestEvent.Kind.CREATED, actor=actor, organization_id=borrower_id)
            audit_record(
                actor=actor,
                action="sharing.request_created",
                target=request,
                summary=f"{request.reference}: {request.title}",
            )
            _route(request, actor=actor)
    except IntegrityError:
        # The same form submitted twice at the same instant: the first one stands.
        earlier = Request.objects.filter(
            borrower_id=borrower_id, submission_token=submission_token
        ).first()
        if submission_token is None or earlier is None:
            raise
        return earlier
    return request


def _region_code(organization_id: int) -> str:
    organization = organizations_get(organization_ids=[organization_id]).get(organization_id)
    return organization.region_code if organization else ""


def _event(
    request: Request,
    kind: str,
    *,
    actor: Any = None,
    organization_id: int | None = None,
    note: str = "",
) -> None:
    RequestEvent.objects.create(
        request=request,
        kind=kind,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        organization_id=organization_id,
        note=note[:300],
        at=timezone.now(),
    )


def _route(request: Request, *, actor: Any) -> None:
    """Build the lender sequence and ask the first lender."""
    citation = Citation(
        issn=request.issn,
        year=request.year,
        volume=volume_number(request.volume),
        isbn=request.isbn,
    )
    candidates = lenders_route(
        borrower_id=request.borrower_id,
        citation=citation,
        max_cost_cents=request.max_cost_cents,
        today=network_today(),
        seed=request.pk,
    )
    Lender.objects.bulk_create(
        Lender(
            request=request,
            position=position,
            organization_id=candidate.organization_id,
            fee_cents=candidate.fee_cents,
        )
        for position, candidate in enumerate(candidates, start=1)
    )
    request.status = Request.Status.ROUTING
    request.routed_at = timezone.now()
    request.save(update_fields=["status", "routed_at"])
    _ask_next(request, actor=actor)


def _ask_next(request: Request, *, actor: Any) -> None:
    """Ask the next lender in the sequence still open today; at the end, the request is
    unfilled and the borrower told why. The request's row is locked by the caller."""
    now = timezone.now()
    today = network_today()
    for lender in request.lenders.filter(status=Lender.Status.WAITING).order_by("position"):
        policy = LendingPolicy.objects.filter(organization_id=lender.organization_id).first()
        closures = closures_of(organization_id=lender.organization_id, today=today)
        if (
            policy is None
            or not policy.lends
            or any(
                c.starts_on <= today and (c.ends_on is None or today <= c.ends_on) for c in closures
            )
        ):
            lender.status = Lender.Status.SKIPPED
            lender.note = "closed"
            lender.save(update_fields=["status", "note"])
            continue
        lender.status = Lender.Status.ASKED
        lender.asked_at = now
        lender.due_at = answer_due(now, policy.answer_business_days, closures)
        lender.save(update_fields=["status", "asked_at", "due_at"])
        request.position = lender.position
        request.save(update_fields=["position"])
        _event(
            request, RequestEvent.Kind.ASKED, actor=actor, organization_id=lender.organization_id
        )
        _email_library(
            lender.organization_id,
            "sharing/email/lender_asked",
            {"request": request, "lender": lender, "fee": dollars(lender.fee_cents)},
        )
        return
    request.status = Request.Status.UNFILLED
    request.closed_at = now
    request.unfilled_reason = _unfilled_reason(request)
    request.save(update_fields=["status", "closed_at", "unfilled_reason"])
    _event(request, RequestEvent.Kind.UNFILLED, actor=actor, note=request.unfilled_reason)
    _email_library(request.borrower_id, "sharing/email/unfilled", {"request": request})


# Stored (not translated) so the reason reads the same in every page and export; shown
# through `unfilled_reason_display`.
NO_LENDER = "no_lender"


def _unfilled_reason(request: Request) -> str:
    lenders = list(request.lenders.order_by("position"))
    if not lenders:
        return NO_LENDER
    return "; ".join(
        f"{lender.organization_id}:{lender.status}:{lender.reason}" for lender in lenders
    )


def unfilled_reason_display(request: Request) -> list[str]:
    """Why nothing filled the request, one line per lender asked, in the active language."""
    if request.status != Request.Status.UNFILLED:
        return []
    if request.unfilled_reason == NO_LENDER:
        what = (
            _("this book")
            if request.kind == Request.Kind.BOOK
            else _("this journal for %(year)s") % {"year": request.year}
        )
        return [
            _(
                "No member library that lends to yours holds %(what)s, is open now and charges "
                "no more than your maximum of %(cost)s."
            )
            % {"what": what, "cost": dollars(request.max_cost_cents)}
        ]
    names = organizations_get(
        organization_ids=[lender.organization_id for lender in request.lenders.all()]
    )
    lines = []
    for lender in request.lenders.order_by("position"):
        name = names[lender.organization_id].name if lender.organization_id in names else "—"
        if lender.status == Lender.Status.NOT_FILLED:
            outcome = str(Lender.Reason(lender.reason).label) if lender.reason else _("Not filled")
        elif lender.status == Lender.Status.SKIPPED:
            outcome = _("Closed when its turn came")
        else:
            outcome = str(Lender.Status(lender.status).label)
        lines.append(f"{name}: {outcome}")
    return lines


def _name(organization_id: int) -> str:
    organization = organizations_get(organization_ids=[organization_id]).get(organization_id)
    return organization.name if organization else ""


def _email_library(organization_id: int, template: str, context: dict[str, Any]) -> None:
    """Email the library's liaison, in their language (nothing when it has none)."""
    person = person_get(user_id=organization_liaison(organization_id=organization_id))
    if person is None:
        return
    request = context.get("request")
    names = organizations_get(
        organization_ids=[organization_id, *([request.borrower_id] if request else [])]
    )
    email_send(
        to=[person.email],
        template=template,
        context={
            **context,
            "library": names.get(organization_id),
            "borrower": names.get(request.borrower_id) if request else None,
        },
        language=person.language,
        recipient_name=person.name,
    )


# --- A lender's answer ---


def _locked_for_lender(*, actor: Any, lender_id: int, request_id: int) -> tuple[Request, Lender]:
    """The request and this library's turn in it, locked; refusals when it is not its to
    answer. A library that was never asked gets RequestNotFound (nothing revealed)."""
    if not acts_for(actor, lender_id):
        raise RequestNotFound(_("No such library among those you act for."))
    request = Request.objects.select_for_update().filter(pk=request_id).first()
    lender = (
        Lender.objects.filter(request_id=request_id, organization_id=lender_id).first()
        if request
        else None
    )
    if request is None or lender is None or lender.status == Lender.Status.WAITING:
        raise RequestNotFound(_("Your library has not been asked for this request."))
    if lender.status == Lender.Status.FILLED:
        raise RequestMovedOn(_("Your library has already filled this request."))
    if request.status != Request.Status.ROUTING or lender.status != Lender.Status.ASKED:
        raise RequestMovedOn(
            _(
                "This request has moved on (it was filled, cancelled, or passed to the next "
                "library when your time to answer ended); nothing was changed."
            )
        )
    return request, lender


def request_not_fill(
    *, actor: Any, lender_id: int, request_id: int, reason: str, note: str = ""
) -> Request:
    """The asked library cannot fill the request: it moves to the next lender."""
    if reason not in Lender.Reason.values:
        raise ValidationError({"reason": _("Choose why your library cannot fill it.")})
    with transaction.atomic():
        request, lender = _locked_for_lender(
            actor=actor, lender_id=lender_id, request_id=request_id
        )
        lender.status = Lender.Status.NOT_FILLED
        lender.reason = reason
        lender.note = note.strip()[:300]
        lender.answered_at = timezone.now()
        lender.save(update_fields=["status", "reason", "note", "answered_at"])
        _event(
            request,
            RequestEvent.Kind.NOT_FILLED,
            actor=actor,
            organization_id=lender_id,
            note=str(Lender.Reason(reason).label),
        )
        _ask_next(request, actor=actor)
    return request


def pdf_check(upload: UploadedFile) -> None:
    """Refuse what is not a PDF (by its content, not its name) or is too big or empty."""
    if upload.size is None or upload.size == 0:
        raise ValidationError({"file": _("The file is empty.")})
    if upload.size > settings.SHARING_DELIVERY_MAX_BYTES:
        raise ValidationError(
            {
                "file": _("The file is larger than %(limit)s MB; send it by mail instead.")
                % {"limit": settings.SHARING_DELIVERY_MAX_BYTES // (1024 * 1024)}
            }
        )
    upload.seek(0)
    head = upload.read(1024)
    upload.seek(0)
    if b"%PDF-" not in head:
        raise ValidationError({"file": _("The file is not a PDF. Scan the article to PDF.")})


def request_fill(
    *,
    actor: Any,
    lender_id: int,
    request_id: int,
    method: str,
    upload: UploadedFile | None = None,
) -> Request:
    """The asked library fills the request: a PDF for secure delivery (its link works for the
    borrowing library only, until SHARING_DELIVERY_DAYS pass) or a note that it was mailed.
    The borrower is charged the lender's fee. Exactly one fill counts."""
    if method not in Delivery.Method.values:
        raise ValidationError({"method": _("Choose how you send it.")})
    if method == Delivery.Method.ELECTRONIC:
        if upload is None:
            raise ValidationError({"file": _("Choose the PDF to send.")})
        pdf_check(upload)
    delivery: Delivery | None = None
    try:
        with transaction.atomic():
            request, lender = _locked_for_lender(
                actor=actor, lender_id=lender_id, request_id=request_id
            )
            if method == Delivery.Method.ELECTRONIC and request.kind == Request.Kind.BOOK:
                raise ValidationError({"method": _("A book is sent by mail.")})
            now = timezone.now()
            delivery = Delivery(
                request=request,
                lender_id=lender_id,
                method=method,
                filled_by=actor,
            )
            if upload is not None and method == Delivery.Method.ELECTRONIC:
                delivery.size = upload.size or 0
                delivery.expires_at = now + datetime.timedelta(days=settings.SHARING_DELIVERY_DAYS)
                delivery.file.save("delivery.pdf", upload, save=False)
            delivery.save()
            lender.status = Lender.Status.FILLED
            lender.answered_at = now
            lender.save(update_fields=["status", "answered_at"])
            request.status = Request.Status.FILLED
            request.closed_at = now
            request.save(update_fields=["status", "closed_at"])
            Charge.objects.create(
                request=request,
                borrower_id=request.borrower_id,
                lender_id=lender_id,
                amount_cents=lender.fee_cents,
                month=now.astimezone(network_zone()).date().replace(day=1),
            )
            _event(
                request,
                RequestEvent.Kind.FILLED,
                actor=actor,
                organization_id=lender_id,
                note=str(Delivery.Method(method).label),
            )
            audit_record(
                actor=actor,
                action="sharing.request_filled",
                target=request,
                summary=f"{request.reference} filled by {lender_id} ({method})",
            )
            _email_library(
                request.borrower_id,
                "sharing/email/filled",
                {
                    "request": request,
                    "delivery": delivery,
                    "fee": dollars(lender.fee_cents),
                    "lender_name": _name(lender_id),
                },
            )
            if request.patron_id:
                _email_patron(request, "sharing/email/patron_filled")
    except (SharingError, ValidationError, IntegrityError):
        if delivery is not None and delivery.file:
            delivery.file.delete(save=False)
        raise
    return request


def request_cancel(*, actor: Any, request_id: int) -> Request:
    """The borrowing library withdraws its request while no lender has filled it."""
    with transaction.atomic():
        request = _locked_for_borrower(actor=actor, request_id=request_id)
        if request.status not in (Request.Status.ROUTING, Request.Status.AWAITING_APPROVAL):
            raise RequestMovedOn(_("Only a request still open can be cancelled."))
        request.lenders.filter(status=Lender.Status.ASKED).update(
            status=Lender.Status.SKIPPED, note="cancelled"
        )
        request.status = Request.Status.CANCELLED
        request.closed_at = timezone.now()
        request.save(update_fields=["status", "closed_at"])
        _event(
            request, RequestEvent.Kind.CANCELLED, actor=actor, organization_id=request.borrower_id
        )
    return request


def _locked_for_borrower(*, actor: Any, request_id: int) -> Request:
    request = Request.objects.select_for_update().filter(pk=request_id).first()
    if request is None or not acts_for(actor, request.borrower_id):
        raise RequestNotFound(_("No such request among your library's."))
    return request


# --- Time passing ---


def lenders_overdue_advance(*, now: datetime.datetime | None = None) -> int:
    """Move every request whose asked lender let its time pass to the next lender; how many
    moved. Safe to run twice or in two workers at once (each request is locked, then checked
    again)."""
    now = now or timezone.now()
    moved = 0
    overdue = Lender.objects.filter(status=Lender.Status.ASKED, due_at__lte=now).values_list(
        "request_id", flat=True
    )
    for request_id in list(overdue):
        with transaction.atomic():
            request = Request.objects.select_for_update().get(pk=request_id)
            lender = request.lenders.filter(status=Lender.Status.ASKED, due_at__lte=now).first()
            if lender is None or request.status != Request.Status.ROUTING:
                continue
            lender.status = Lender.Status.TIMED_OUT
            lender.save(update_fields=["status"])
            _event(request, RequestEvent.Kind.TIMED_OUT, organization_id=lender.organization_id)
            _ask_next(request, actor=None)
            moved += 1
    return moved


def deliveries_purge(*, now: datetime.datetime | None = None) -> int:
    """Delete the files of deliveries whose link has expired (copies are not kept); how many."""
    now = now or timezone.now()
    purged = 0
    for delivery in Delivery.objects.filter(
        method=Delivery.Method.ELECTRONIC, expires_at__lte=now, purged_at__isnull=True
    ):
        delivery.file.delete(save=False)
        delivery.purged_at = now
        delivery.save(update_fields=["file", "purged_at"])
        purged += 1
    return purged


# --- The borrower opens its delivery ---


def delivery_open(*, actor: Any, request_id: int) -> Delivery:
    """The delivered PDF for the borrowing library's liaison, while its link works; counts the
    download. RequestNotFound for anyone else; RequestMovedOn once expired."""
    with transaction.atomic():
        request = _locked_for_borrower(actor=actor, request_id=request_id)
        delivery = Delivery.objects.filter(
            request=request, method=Delivery.Method.ELECTRONIC
        ).first()
        if delivery is None:
            raise RequestNotFound(_("This request has no document to download."))
        now = timezone.now()
        if delivery.purged_at or (delivery.expires_at and delivery.expires_at <= now):
            raise RequestMovedOn(
                _(
                    "The link has expired and the copy was deleted, as copyright asks. Ask the "
                    "lending library to send it again."
                )
            )
        delivery.downloads += 1
        fields = ["downloads"]
        if delivery.first_downloaded_at is None:
            delivery.first_downloaded_at = now
            fields.append("first_downloaded_at")
            _event(
                request,
                RequestEvent.Kind.DOWNLOADED,
                actor=actor,
                organization_id=request.borrower_id,
            )
        delivery.save(update_fields=fields)
    return delivery


# --- Patrons and unaffiliated health professionals ---


def agreement_ask(
    *, person: Any, organization_id: int, is_health_professional: bool
) -> PatronAgreement:
    """A person asks a library that takes patrons' requests to request for them."""
    policy = LendingPolicy.objects.filter(
        organization_id=organization_id, accepts_patron_requests=True
    ).first()
    if policy is None:
        raise RequestNotFound(_("This library does not take requests from patrons."))
    with transaction.atomic():
        agreement, created = PatronAgreement.objects.get_or_create(
            organization_id=organization_id,
            person=person,
            defaults={"is_health_professional": is_health_professional},
        )
        if not created and agreement.status in (
            PatronAgreement.Status.PENDING,
            PatronAgreement.Status.APPROVED,
        ):
            return agreement
        if not created:
            agreement.status = PatronAgreement.Status.PENDING
            agreement.is_health_professional = is_health_professional
            agreement.decided_at = None
            agreement.save(update_fields=["status", "is_health_professional", "decided_at"])
        _email_library(organization_id, "sharing/email/agreement_asked", {"agreement": agreement})
    return agreement


def agreement_decide(*, actor: Any, agreement_id: int, approve: bool) -> PatronAgreement:
    """The library's liaison approves or declines (or ends) a person's agreement."""
    with transaction.atomic():
        agreement = PatronAgreement.objects.select_for_update().filter(pk=agreement_id).first()
        if agreement is None or not acts_for(actor, agreement.organization_id):
            raise RequestNotFound(_("No such agreement with your library."))
        agreement.status = (
            PatronAgreement.Status.APPROVED
            if approve
            else (
                PatronAgreement.Status.ENDED
                if agreement.status == PatronAgreement.Status.APPROVED
                else PatronAgreement.Status.DECLINED
            )
        )
        agreement.decided_at = timezone.now()
        agreement.save(update_fields=["status", "decided_at"])
        audit_record(
            actor=actor,
            action="sharing.agreement_decided",
            target=agreement,
            summary=f"{agreement.status} for {agreement.person_id}",
        )
        person = person_get(user_id=agreement.person_id)
        if person is not None:
            names = organizations_get(organization_ids=[agreement.organization_id])
            email_send(
                to=[person.email],
                template="sharing/email/agreement_decided",
                context={"agreement": agreement, "library": names.get(agreement.organization_id)},
                language=person.language,
                recipient_name=person.name,
            )
    return agreement


def patron_request_create(
    *, person: Any, organization_id: int, note: str = "", **citation: Any
) -> Request:
    """A patron with an approved agreement asks their library for an item: it waits for the
    library's approval (the library then routes it as its own)."""
    if not PatronAgreement.objects.filter(
        organization_id=organization_id, person=person, status=PatronAgreement.Status.APPROVED
    ).exists():
        raise RequestNotFound(_("You have no agreement with this library yet."))
    today = network_today()
    cleaned = _citation_clean(
        kind=citation.get("kind", Request.Kind.ARTICLE),
        issn=citation.get("issn", ""),
        isbn=citation.get("isbn", ""),
        year=citation.get("year"),
        needed_by=citation["needed_by"],
        max_cost_cents=0,
        urgency=Urgency.REGULAR,
        compliance=CopyrightCompliance.GUIDELINES,
        pmid=citation.get("pmid"),
        title=citation.get("title", ""),
        today=today,
    )
    with transaction.atomic():
        request = Request.objects.create(
            borrower_id=organization_id,
            region_code=_region_code(organization_id),
            kind=citation.get("kind", Request.Kind.ARTICLE),
            journal_title=citation.get("journal_title", "").strip(),
            issn=cleaned["issn"],
            isbn=cleaned["isbn"],
            year=citation.get("year"),
            volume=citation.get("volume", "").strip(),
            issue=citation.get("issue", "").strip(),
            pages=citation.get("pages", "").strip(),
            title=citation["title"].strip(),
            authors=citation.get("authors", "").strip(),
            pmid=citation.get("pmid"),
            needed_by=citation["needed_by"],
            max_cost_cents=0,
            compliance=CopyrightCompliance.GUIDELINES,
            patron=person,
            patron_note=note.strip()[:1000],
            status=Request.Status.AWAITING_APPROVAL,
            created_by=person,
        )
        _event(request, RequestEvent.Kind.CREATED, actor=person)
        _email_library(organization_id, "sharing/email/patron_request", {"request": request})
    return request


def patron_request_approve(
    *,
    actor: Any,
    request_id: int,
    patron_reference: str,
    max_cost_cents: int,
    compliance: str,
) -> Request:
    """The library takes its patron's request as its own and routes it."""
    with transaction.atomic():
        request = _locked_for_borrower(actor=actor, request_id=request_id)
        if request.status != Request.Status.AWAITING_APPROVAL:
            raise RequestMovedOn(_("This request is no longer waiting for approval."))
        if max_cost_cents < 0:
            raise ValidationError({"max_cost_cents": _("The maximum cost cannot be negative.")})
        if compliance not in CopyrightCompliance.values:
            raise ValidationError(
                {"compliance": _("State how this request complies with copyright.")}
            )
        _rule_of_five_check(
            borrower_id=request.borrower_id,
            issn=request.issn,
            year=request.year,
            compliance=compliance,
            today=network_today(),
        )
        request.patron_reference = patron_reference.strip()[:60]
        request.max_cost_cents = max_cost_cents
        request.compliance = compliance
        request.save(update_fields=["patron_reference", "max_cost_cents", "compliance"])
        _event(
            request, RequestEvent.Kind.APPROVED, actor=actor, organization_id=request.borrower_id
        )
        _route(request, actor=actor)
    return request


def patron_request_decline(*, actor: Any, request_id: int, note: str) -> Request:
    """The library declines its patron's request, saying why (the patron is told)."""
    if not note.strip():
        raise ValidationError({"note": _("Tell the person why, in a sentence.")})
    with transaction.atomic():
        request = _locked_for_borrower(actor=actor, request_id=request_id)
        if request.status != Request.Status.AWAITING_APPROVAL:
            raise RequestMovedOn(_("This request is no longer waiting for approval."))
        request.status = Request.Status.DECLINED
        request.closed_at = timezone.now()
        request.save(update_fields=["status", "closed_at"])
        _event(
            request,
            RequestEvent.Kind.DECLINED,
            actor=actor,
            organization_id=request.borrower_id,
            note=note.strip(),
        )
        _email_patron(request, "sharing/email/patron_declined", note=note.strip())
    return request


def _email_patron(request: Request, template: str, **extra: Any) -> None:
    person = person_get(user_id=request.patron_id)
    if person is None:
        return
    names = organizations_get(organization_ids=[request.borrower_id])
    email_send(
        to=[person.email],
        template=template,
        context={"request": request, "library": names.get(request.borrower_id), **extra},
        language=person.language,
        recipient_name=person.name,
    )
