"""Awards after the decision: setting an award up, invoices, reports, no-cost extensions,
published materials and close-out (issue 12).

Who may do what: program staff (and administrators) make the award, decide invoices and
extensions and close the award out; the award's people (the members of its application and
the liaison of its organization, `services.may_edit`) submit invoices, reports, extension
requests and published materials. Every refusal is a FundingError subclass raised before
anything is written. Every status change of the award, an invoice, a report or an extension
is an `AwardChange` row written in the same transaction; emails go out after commit, each in
its reader's language.

The schedule rules are named constants below: the default award year, when reports are due,
how far an extension may reach.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from tapestry.accounts.api import Person, Role, people_with_role
from tapestry.core.api import audit_record, email_send
from tapestry.engagement.api import ActivityReportRef, activity_reports_of
from tapestry.funding.models import (
    Application,
    Award,
    AwardChange,
    AwardReport,
    ExtensionRequest,
    Invoice,
    PublishedMaterial,
)
from tapestry.funding.services import (
    FundingError,
    NotAllowed,
    application_people,
    is_staff,
    may_edit,
)
from tapestry.funding.states import Status
from tapestry.network.api import organizations_get, organizations_of_liaison
from tapestry.surveys.api import (
    EVALUATION_PURPOSES,
    Subject,
    SurveyError,
    evaluation_attach,
    evaluation_instruments,
)

# The program's award year starts on May 1 and ends on April 30.
AWARD_YEAR_START = (5, 1)
# An interim report is due on the first November 15 after the period starts (if that falls
# inside the period); the final report 30 days after the period ends.
INTERIM_REPORT_DUE = (11, 15)
FINAL_REPORT_AFTER_END = datetime.timedelta(days=30)
# A no-cost extension moves the end by at most this many months.
EXTENSION_MAX_MONTHS = 12


class AwardInvalid(FundingError):
    """The award cannot be made as asked (the application, the amount, the period)."""


class AwardClosed(FundingError):
    """The award is closed: nothing more is billed, reported or extended."""


class InvoiceRefused(FundingError):
    """An invoice the rules refuse (a date, the month, the balance)."""


class ReportOverdue(InvoiceRefused):
    """A report is overdue, so no invoice is taken until it is in."""


class InvalidInvoiceDecision(InvoiceRefused):
    """The invoice is not in a status this decision starts from."""


class ReportInvalid(FundingError):
    """A report that cannot be submitted as given."""


class ExtensionRefused(FundingError):
    """An extension request or decision the rules refuse."""


class CloseOutRefused(FundingError):
    """The award still has a report to come in or an invoice to decide."""


# --- small helpers -------------------------------------------------------------------------


def dollars(amount: Decimal) -> str:
    return f"${amount:,.2f}"


def day(value: datetime.date) -> str:
    """A date as the active language writes it."""
    return date_format(value, "DATE_FORMAT")


def _money_checked(amount: Any, error: type[FundingError]) -> Decimal:
    if (
        not isinstance(amount, Decimal)
        or not amount.is_finite()
        or amount <= 0
        or amount != round(amount, 2)
    ):
        raise error(_("Give an amount above zero, in dollars and cents."))
    return amount


def months_later(day: datetime.date, months: int) -> datetime.date:
    """The same day `months` later, or the month's last day when it has no such day."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return datetime.date(year, month, candidate)
        except ValueError:
            continue
    raise AssertionError("every month has a 28th")


def default_period(application: Application) -> tuple[datetime.date, datetime.date]:
    """The award year: from the first May 1 on or after the call's period of performance
    starts, to the April 30 a year later (so a call running May 1 to April 30 gives exactly
    its own dates)."""
    starts = application.opportunity.performance_start
    month, day = AWARD_YEAR_START
    start = datetime.date(starts.year, month, day)
    if start < starts:
        start = datetime.date(starts.year + 1, month, day)
    return start, months_later(start, 12) - datetime.timedelta(days=1)


def report_schedule(
    period_start: datetime.date, period_end: datetime.date
) -> list[tuple[str, datetime.date]]:
    """The reports an award owes and when: (kind, due date), by the rules above."""
    month, day = INTERIM_REPORT_DUE
    interim = datetime.date(period_start.year, month, day)
    if interim <= period_start:
        interim = datetime.date(period_start.year + 1, month, day)
    schedule = []
    if interim < period_end:
        schedule.append((AwardReport.Kind.INTERIM.value, interim))
    schedule.append((AwardReport.Kind.FINAL.value, period_end + FINAL_REPORT_AFTER_END))
    return schedule


def _change(
    award: Award, subject: str, subject_id: int, frm: str, to: str, actor: Any, reason: str = ""
) -> None:
    AwardChange.objects.create(
        award=award,
        subject=subject,
        subject_id=subject_id,
        from_status=frm,
        to_status=to,
        actor=actor,
        reason=reason,
    )


def may_act(user: Any, award: Award) -> bool:
    """The award's own people: the members of its application and its organization's
    liaison."""
    return may_edit(user, award.application)


def may_see(user: Any, award: Award) -> bool:
    return is_staff(user) or may_act(user, award)


def awards_visible(*, user: Any) -> QuerySet[Award]:
    """The awards a person may open: all for staff; else those of their applications and of
    the organizations they are the liaison of."""
    awards = Award.objects.select_related("application__opportunity")
    if is_staff(user):
        return awards
    if not getattr(user, "is_authenticated", False):
        return awards.none()
    return awards.filter(
        Q(application__members__user=user)
        | Q(organization_id__in=organizations_of_liaison(user_id=user.pk))
    ).distinct()


def award_visible_get(*, user: Any, public_id: Any) -> Award | None:
    return awards_visible(user=user).filter(public_id=public_id).first()


def _awardees(award: Award) -> list[Person]:
    """The award's people, as email recipients: its application's (`application_people`)."""
    return application_people(award.application)


def _staff() -> list[Person]:
    return people_with_role(role=Role.PROGRAM_STAFF)


def _award_url(award: Award) -> str:
    return settings.SITE_URL + reverse("funding:award_detail", kwargs={"award_id": award.public_id})


def acknowledgement_in(award: Award, language: str) -> str:
    if language.startswith("es") and award.acknowledgement_es:
        return award.acknowledgement_es
    return award.acknowledgement


def _email(people: list[Person], template: str, award: Award, **context: Any) -> None:
    for person in people:
        language = "es" if person.language.startswith("es") else "en"
        email_send(
            to=[person.email],
            template=f"funding/email/{template}",
            context={
                "award": award,
                "call_title": award.application.opportunity.title_in(language),
                "amount": dollars(award.amount),
                "acknowledgement": acknowledgement_in(award, language),
                "award_url": _award_url(award),
                **context,
            },
            language=language,
            recipient_name=person.name,
        )


def balance_of(award: Award) -> Decimal:
    """The amount not yet claimed: the award less every invoice not returned."""
    return award.amount - _claimed(award)


def _claimed(award: Award) -> Decimal:
    total = (
        award.invoices.exclude(status=Invoice.Status.RETURNED)
        .aggregate(total=Sum("amount"))
        .get("total")
    )
    return total if total is not None else Decimal("0.00")


def overdue_reports(award: Award, today: datetime.date | None = None) -> list[AwardReport]:
    today = today or timezone.localdate()
    return list(award.reports.filter(due_on__lt=today, submitted_at__isnull=True))


def _report_name(report: AwardReport) -> str:
    return _("the %(report)s due %(date)s") % {
        "report": report.get_kind_display().lower(),
        "date": day(report.due_on),
    }


# --- the award -----------------------------------------------------------------------------


def award_create(
    *,
    actor: Any,
    application: Application,
    amount: Decimal,
    period_start: datetime.date | None = None,
    period_end: datetime.date | None = None,
    acknowledgement: str,
    acknowledgement_es: str = "",
    evaluation_slug: str | None = None,
) -> Award:
    """Set up the award of an awarded application (staff only): the amount (above zero, at
    most the application's budget and the call's maximum), the period (the default award
    year when not given), the acknowledgement, the report schedule, and the final report's
    survey: `evaluation_slug`, or when None the first published award evaluation (none if
    there is none; "" for none). Emails the award letter to the application's people."""
    if not is_staff(actor):
        raise NotAllowed(_("Only program staff may make an award."))
    amount = _money_checked(amount, AwardInvalid)
    acknowledgement = acknowledgement.strip()
    if not acknowledgement:
        raise AwardInvalid(_("Give the acknowledgement text the awardee must use."))
    with transaction.atomic():
        application = (
            Application.objects.select_for_update()
            .select_related("opportunity")
            .get(pk=application.pk)
        )
        if application.status != Status.AWARDED:
            raise AwardInvalid(_("Only an application that was awarded can get an award."))
        if Award.objects.filter(application=application).exists():
            raise AwardInvalid(_("This application already has its award."))
        budget = application.budget_lines.aggregate(total=Sum("amount"))["total"] or Decimal(0)
        if amount > budget:
            raise AwardInvalid(
                _("The amount is more than the application's budget of %(budget)s.")
                % {"budget": dollars(budget)}
            )
        maximum = application.opportunity.maximum_amount
        if amount > maximum:
            raise AwardInvalid(
                _("The amount is more than the call's maximum of %(maximum)s.")
                % {"maximum": dollars(maximum)}
            )
        start = period_start or default_period(application)[0]
        # A year from the start unless given (the default year ends on April 30).
        end = period_end or months_later(start, 12) - datetime.timedelta(days=1)
        if end <= start:
            raise AwardInvalid(_("The period must end after it starts."))
        organization = organizations_get(organization_ids=[application.organization_id]).get(
            application.organization_id
        )
        award = Award.objects.create(
            application=application,
            organization_id=application.organization_id,
            region_code=organization.region_code if organization else "",
            # The application has one award at most, so its id makes the number unique.
            number=f"A{start.year}-{application.pk:06d}",
            amount=amount,
            period_start=start,
            period_end=end,
            acknowledgement=acknowledgement,
            acknowledgement_es=acknowledgement_es.strip(),
            awarded_by=actor,
        )
        AwardReport.objects.bulk_create(
            AwardReport(award=award, kind=kind, due_on=due)
            for kind, due in report_schedule(start, end)
        )
        if evaluation_slug is None:
            offered = evaluation_instruments(purpose=EVALUATION_PURPOSES[Subject.AWARD])
            evaluation_slug = offered[0].slug if offered else ""
        if evaluation_slug:
            try:
                evaluation_attach(
                    subject_kind=Subject.AWARD,
                    subject_ref=str(award.pk),
                    instrument_slug=evaluation_slug,
                )
            except SurveyError as error:
                raise AwardInvalid(str(error)) from error
        _change(award, "award", award.pk, "", Award.Status.ACTIVE, actor)
        audit_record(actor=actor, action="funding.award_made", target=award)
        _email(_awardees(award), "award_letter", award, reports=list(award.reports.all()))
    return award


def award_close(*, actor: Any, award: Award, note: str) -> Award:
    """Close an award out (staff only) once every report is in and every invoice decided."""
    if not is_staff(actor):
        raise NotAllowed(_("Only program staff may close an award."))
    with transaction.atomic():
        award = Award.objects.select_for_update().get(pk=award.pk)
        if award.status == Award.Status.CLOSED:
            raise AwardClosed(_("This award is already closed."))
        missing = list(award.reports.filter(submitted_at__isnull=True))
        if missing:
            raise CloseOutRefused(
                _("Not yet: %(reports)s is not in.")
                % {"reports": ", ".join(_report_name(report) for report in missing)}
            )
        undecided = list(award.invoices.filter(status=Invoice.Status.SUBMITTED))
        if undecided:
            raise CloseOutRefused(
                _("Not yet: decide invoice %(numbers)s first.")
                % {"numbers": ", ".join(invoice.number for invoice in undecided)}
            )
        award.status = Award.Status.CLOSED
        award.closed_at = timezone.now()
        award.close_out_note = note.strip()
        award.save(update_fields=["status", "closed_at", "close_out_note"])
        _change(
            award, "award", award.pk, Award.Status.ACTIVE, Award.Status.CLOSED, actor, note.strip()
        )
        _email(_awardees(award), "award_closed", award, note=award.close_out_note)
    return award


def _locked_active(award: Award, actor: Any) -> Award:
    award = Award.objects.select_for_update().select_related("application").get(pk=award.pk)
    if not may_act(actor, award):
        raise NotAllowed(_("Only the people of this award may do this."))
    if award.status == Award.Status.CLOSED:
        raise AwardClosed(_("This award is closed."))
    return award


# --- invoices ------------------------------------------------------------------------------

# The decisions staff may make on an invoice, from each status.
INVOICE_NEXT: dict[str, tuple[str, ...]] = {
    Invoice.Status.SUBMITTED: (Invoice.Status.APPROVED, Invoice.Status.RETURNED),
    Invoice.Status.APPROVED: (Invoice.Status.PAID, Invoice.Status.RETURNED),
    Invoice.Status.PAID: (),
    Invoice.Status.RETURNED: (),
}


def invoice_submit(
    *,
    actor: Any,
    award: Award,
    billing_month: datetime.date,
    invoice_date: datetime.date,
    amount: Decimal,
    description: str,
) -> Invoice:
    """Submit an invoice for one month of the award period (the award's people). Refused
    when a report is overdue, the invoice is dated in the future, the month is outside the
    period or not begun, the month already has an invoice that was not returned, or the
    amount would pass the balance."""
    amount = _money_checked(amount, InvoiceRefused)
    description = description.strip()
    if not description:
        raise InvoiceRefused(_("Say what costs the invoice claims."))
    month = billing_month.replace(day=1)
    today = timezone.localdate()
    with transaction.atomic():
        award = _locked_active(award, actor)
        overdue = overdue_reports(award, today)
        if overdue:
            raise ReportOverdue(
                _("Submit %(report)s first: it is overdue, and no invoice is taken until it is in.")
                % {"report": _report_name(overdue[0])}
            )
        if invoice_date > today:
            raise InvoiceRefused(_("The invoice date is in the future."))
        if month > today:
            raise InvoiceRefused(_("That month has not begun: bill a month once it has started."))
        if month > award.period_end or month < award.period_start.replace(day=1):
            raise InvoiceRefused(
                _("That month is outside the award period (%(start)s to %(end)s).")
                % {
                    "start": day(award.period_start),
                    "end": day(award.period_end),
                }
            )
        if _month_taken(award, month):
            raise InvoiceRefused(_("There is already an invoice for that month."))
        left = balance_of(award)
        if amount > left:
            raise InvoiceRefused(
                _("The amount is over the balance: %(left)s left.") % {"left": dollars(left)}
            )
        sequence = award.invoices.count() + 1
        try:
            with transaction.atomic():
                invoice = Invoice.objects.create(
                    award=award,
                    number=f"{award.number}-{sequence:02d}",
                    billing_month=month,
                    invoice_date=invoice_date,
                    amount=amount,
                    description=description,
                    submitted_by=actor,
                )
        except IntegrityError as error:
            # Two submissions for the same month at once: the constraint keeps one.
            raise InvoiceRefused(_("There is already an invoice for that month.")) from error
        _change(award, "invoice", invoice.pk, "", Invoice.Status.SUBMITTED, actor)
        _email(
            _staff(), "invoice_submitted", award, invoice=invoice, invoice_amount=dollars(amount)
        )
    return invoice


def _month_taken(award: Award, month: datetime.date) -> bool:
    return (
        award.invoices.filter(billing_month=month).exclude(status=Invoice.Status.RETURNED).exists()
    )


def invoice_decide(*, actor: Any, invoice: Invoice, to: str, reason: str = "") -> Invoice:
    """Approve, mark paid or return an invoice (staff only): paid only once approved; a
    return needs a reason and frees the month and the amount."""
    if not is_staff(actor):
        raise NotAllowed(_("Only program staff may decide invoices."))
    reason = reason.strip()
    with transaction.atomic():
        award = Award.objects.select_for_update().get(pk=invoice.award_id)
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if to not in INVOICE_NEXT.get(invoice.status, ()):
            raise InvalidInvoiceDecision(
                _("An invoice that is %(status)s cannot become %(to)s.")
                % {
                    "status": invoice.get_status_display().lower(),
                    "to": Invoice.Status(to).label.lower() if to in Invoice.Status.values else to,
                }
            )
        if to == Invoice.Status.RETURNED and not reason:
            raise InvoiceRefused(_("Give a reason for returning the invoice."))
        previous = invoice.status
        invoice.status = to
        invoice.save(update_fields=["status"])
        _change(award, "invoice", invoice.pk, previous, to, actor, reason)
        _email(
            _awardees(award),
            "invoice_decided",
            award,
            invoice=invoice,
            invoice_amount=dollars(invoice.amount),
            reason=reason,
        )
    return invoice


# --- reports -------------------------------------------------------------------------------


def activity_reports_offered(award: Award) -> list[ActivityReportRef]:
    """The organization's filed activity reports over the award period, which a report may
    count."""
    return activity_reports_of(
        organization_id=award.organization_id, start=award.period_start, end=award.period_end
    )


def report_submit(
    *, actor: Any, report: AwardReport, narrative: str, activity_report_ids: list[int]
) -> AwardReport:
    """Submit a report (the award's people): what the project did, and which of the
    organization's activity reports over the period it counts (only those offered)."""
    narrative = narrative.strip()
    if not narrative:
        raise ReportInvalid(_("Say what the project did."))
    with transaction.atomic():
        award = _locked_active(report.award, actor)
        report = AwardReport.objects.select_for_update().get(pk=report.pk, award=award)
        if report.submitted_at is not None:
            raise ReportInvalid(_("This report is already in."))
        offered = {ref.id for ref in activity_reports_offered(award)}
        chosen = sorted({int(pk) for pk in activity_report_ids})
        if not set(chosen) <= offered:
            raise ReportInvalid(
                _("Only your organization's activity reports from the award period can be linked.")
            )
        report.narrative = narrative
        report.activity_report_ids = chosen
        report.submitted_by = actor
        report.submitted_at = timezone.now()
        report.save(
            update_fields=["narrative", "activity_report_ids", "submitted_by", "submitted_at"]
        )
        _change(award, "report", report.pk, "due", "submitted", actor)
        _email(_staff(), "report_submitted", award, report=report)
    return report


# An overdue report is reminded of the day after its due date, then every REMINDER_EVERY days.
REMINDER_EVERY = datetime.timedelta(days=7)


def report_reminders_send(*, today: datetime.date | None = None) -> int:
    """Email the people of each active award whose report is overdue: the day after the due
    date, then weekly until it is in. Meant for a daily task; returns how many reports were
    reminded of."""
    today = today or timezone.localdate()
    reminded = 0
    overdue = AwardReport.objects.filter(
        award__status=Award.Status.ACTIVE, submitted_at__isnull=True, due_on__lt=today
    ).select_related("award__application__opportunity")
    for report in overdue:
        late = (today - report.due_on).days
        if (late - 1) % REMINDER_EVERY.days:
            continue
        with transaction.atomic():
            _email(_awardees(report.award), "report_overdue", report.award, report=report)
        reminded += 1
    return reminded


# --- extensions ----------------------------------------------------------------------------


def extension_request(
    *, actor: Any, award: Award, requested_end: datetime.date, reason: str
) -> ExtensionRequest:
    """Ask for more time, never more money (the award's people): a new end after the
    current one and at most EXTENSION_MAX_MONTHS beyond it; one pending request at a time."""
    reason = reason.strip()
    if not reason:
        raise ExtensionRefused(_("Say why the project needs more time."))
    with transaction.atomic():
        award = _locked_active(award, actor)
        if requested_end <= award.period_end:
            raise ExtensionRefused(
                _("The new end date must be after the current end of the period.")
            )
        latest = months_later(award.period_end, EXTENSION_MAX_MONTHS)
        if requested_end > latest:
            raise ExtensionRefused(
                _("An extension can reach %(latest)s at the latest (12 months more).")
                % {"latest": day(latest)}
            )
        if award.extensions.filter(status=ExtensionRequest.Status.PENDING).exists():
            raise ExtensionRefused(_("An extension request is already waiting for a decision."))
        try:
            with transaction.atomic():
                extension = ExtensionRequest.objects.create(
                    award=award, requested_end=requested_end, reason=reason, requested_by=actor
                )
        except IntegrityError as error:
            raise ExtensionRefused(
                _("An extension request is already waiting for a decision.")
            ) from error
        _change(
            award, "extension", extension.pk, "", ExtensionRequest.Status.PENDING, actor, reason
        )
        _email(_staff(), "extension_requested", award, extension=extension)
    return extension


def extension_decide(
    *, actor: Any, extension: ExtensionRequest, approve: bool, reason: str = ""
) -> ExtensionRequest:
    """Approve or decline a pending extension (staff only; a decline needs a reason).
    Approval moves the period's end and the final report's due date with it."""
    if not is_staff(actor):
        raise NotAllowed(_("Only program staff may decide extension requests."))
    reason = reason.strip()
    if not approve and not reason:
        raise ExtensionRefused(_("Give a reason for declining."))
    with transaction.atomic():
        award = Award.objects.select_for_update().get(pk=extension.award_id)
        extension = ExtensionRequest.objects.select_for_update().get(pk=extension.pk)
        if extension.status != ExtensionRequest.Status.PENDING:
            raise ExtensionRefused(_("This request was already decided."))
        if award.status == Award.Status.CLOSED:
            raise AwardClosed(_("This award is closed."))
        to = ExtensionRequest.Status.APPROVED if approve else ExtensionRequest.Status.DECLINED
        extension.status = to
        extension.save(update_fields=["status"])
        if approve:
            award.period_end = extension.requested_end
            award.save(update_fields=["period_end"])
            award.reports.filter(kind=AwardReport.Kind.FINAL, submitted_at__isnull=True).update(
                due_on=extension.requested_end + FINAL_REPORT_AFTER_END
            )
        _change(
            award, "extension", extension.pk, ExtensionRequest.Status.PENDING, to, actor, reason
        )
        _email(_awardees(award), "extension_decided", award, extension=extension, reason=reason)
    return extension


# --- published materials -------------------------------------------------------------------


def _folded(text: str) -> str:
    return " ".join(text.casefold().split())


def acknowledgement_found(award: Award, text: str) -> bool:
    """Whether the text carries the award's acknowledgement, in English or in Spanish
    (letter case and spacing aside)."""
    folded = _folded(text)
    return any(
        _folded(wording) in folded
        for wording in (award.acknowledgement, award.acknowledgement_es)
        if wording.strip()
    )


def material_add(*, actor: Any, award: Award, title: str, url: str, text: str) -> PublishedMaterial:
    """List something the awardee published, checked for the acknowledgement (the award's
    people, or staff)."""
    title, text = title.strip(), text.strip()
    if not title or not text:
        raise FundingError(_("Give the material's title and its text."))
    with transaction.atomic():
        award = Award.objects.select_for_update().select_related("application").get(pk=award.pk)
        if not (may_act(actor, award) or is_staff(actor)):
            raise NotAllowed(_("Only the people of this award may do this."))
        return PublishedMaterial.objects.create(
            award=award,
            title=title,
            url=url.strip(),
            text=text,
            acknowledgement_found=acknowledgement_found(award, text),
            added_by=actor,
        )


# --- what the award page shows -------------------------------------------------------------


@dataclass(frozen=True)
class ReportDue:
    report: AwardReport
    overdue: bool


def reports_due(award: Award) -> list[ReportDue]:
    today = timezone.localdate()
    return [
        ReportDue(report, report.submitted_at is None and report.due_on < today)
        for report in award.reports.all()
    ]


def language_of(code: str | None) -> str:
    """ "es" for any Spanish, else "en"."""
    return "es" if (code or "en").startswith("es") else "en"
