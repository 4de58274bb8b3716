"""Factories for staff's and reviewers' tests and the dashboards: applications at any stage
(written directly, for figures), awards and invoices (their services are another part's), a
reviewer, and engagement's filed activity reports (through the app registry: funding's tests
may not import engagement's models)."""

import datetime
from decimal import Decimal
from typing import Any

import factory
from django.apps import apps
from django.utils import timezone
from factory.django import DjangoModelFactory

from tapestry.accounts.roles import Role
from tapestry.accounts.tests.factories import UserFactory
from tapestry.funding.models import Application, ApplicationMember, Award, Invoice
from tapestry.funding.services import (
    application_move,
    application_start,
    application_submit,
    budget_set,
    review_assign,
)
from tapestry.funding.states import Status
from tapestry.funding.tests.factories import OpportunityFactory


class ApplicationFactory(DjangoModelFactory[Application]):
    """An application written as it stands (no service, no trail): for counting figures."""

    class Meta:
        model = Application

    opportunity = factory.SubFactory(OpportunityFactory)
    organization_id = factory.Sequence(lambda n: 900_000 + n)
    status = Status.SUBMITTED
    project_title = factory.Sequence(lambda n: f"Health fair {n}")
    summary = "Screenings and a nutrition class."
    tracking_number = factory.Sequence(lambda n: f"F2027-{800_000 + n:06d}")
    submitted_at = factory.LazyFunction(timezone.now)
    created_by = factory.SubFactory(UserFactory)


class AwardFactory(DjangoModelFactory[Award]):
    class Meta:
        model = Award

    application = factory.SubFactory(ApplicationFactory, status=Status.AWARDED)
    organization_id = factory.LazyAttribute(lambda award: award.application.organization_id)
    region_code = "region-6"
    number = factory.Sequence(lambda n: f"A2027-{n:04d}")
    amount = Decimal("5000.00")
    period_start = datetime.date(2027, 5, 1)
    period_end = datetime.date(2028, 4, 30)
    acknowledgement = "Funded by the network."
    awarded_by = factory.SubFactory(UserFactory)


class InvoiceFactory(DjangoModelFactory[Invoice]):
    class Meta:
        model = Invoice

    award = factory.SubFactory(AwardFactory)
    number = factory.Sequence(lambda n: f"INV-{n:05d}")
    billing_month = factory.Sequence(lambda n: datetime.date(2027, 5 + n % 8, 1))
    invoice_date = factory.LazyAttribute(lambda invoice: invoice.billing_month)
    amount = Decimal("100.00")
    description = "Supplies."
    status = Invoice.Status.SUBMITTED
    submitted_by = factory.SubFactory(UserFactory)


def reviewer_make(email: str, *, language: str = "en") -> Any:
    return UserFactory.create(
        email=email,
        full_name=email.split("@")[0].title(),
        roles=[Role.REVIEWER],
        preferred_language=language,
        two_factor=True,
    )


def submitted_make(*, liaison: Any, organization: Any, opportunity: Any = None) -> Application:
    """An application started, budgeted and submitted through the services, as a liaison
    would (its trail has the submission)."""
    application = application_start(
        actor=liaison,
        opportunity=opportunity or OpportunityFactory.create(),
        organization_id=organization.pk,
    )
    application.project_title = "Health fair at the library"
    application.summary = "A Saturday fair with screenings and a nutrition class in Spanish."
    application.save()
    budget_set(
        actor=liaison,
        application=application,
        lines=[("Screening supplies", Decimal("1200.50")), ("Interpreter", Decimal("800"))],
    )
    return application_submit(actor=liaison, application=application)


def in_review_make(*, staff: Any, application: Application, reviewer: Any) -> Application:
    application = application_move(actor=staff, application=application, to=Status.SCREENED)
    review_assign(actor=staff, application=application, reviewer=reviewer)
    return application_move(actor=staff, application=application, to=Status.UNDER_REVIEW)


def member_add(application: Application, user: Any) -> None:
    ApplicationMember.objects.create(application=application, user=user)


def activity_report_make(
    *,
    organization_id: int,
    author: Any,
    on: datetime.date,
    participants: int,
    activity_type: str = "presentation",
    status: str = "accepted",
) -> Any:
    """A filed (by default accepted) engagement activity report with one row of participants."""
    report_model = apps.get_model("engagement", "ActivityReport")
    row_model = apps.get_model("engagement", "ActivityReportRow")
    report = report_model.objects.create(
        organization_id=organization_id,
        region_code="region-6",
        author=author,
        activity_type=activity_type,
        delivery="in_person",
        activity_date=on,
        title=f"{activity_type} on {on}",
        status=status,
        submitted_at=timezone.now(),
    )
    row_model.objects.create(
        report=report, participants=participants, zip_code="60601", role="community_member"
    )
    return report
