"""The funding demo tells the story the README promises, through the services."""

import datetime

import pytest
import time_machine
from django.utils import timezone

from tapestry.accounts.api import PERSONAS, persona_ensure
from tapestry.funding.demo import demo_funding_seed
from tapestry.funding.models import Application, Award, Opportunity, ReviewAssignment
from tapestry.funding.services import conflicted_organizations
from tapestry.network.tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db

# Member organizations in several regions (Chicago, New York, Birmingham, Denver, Seattle).
ZIP_CODES = ["60601", "10001", "35203", "80202", "98101"]


@pytest.mark.parametrize(
    ("today", "open_title", "invoices"),
    [
        # Late in the award year: five months billed.
        (datetime.date(2026, 11, 30), "Health outreach awards 2027–2028", 5),
        # Its first days: only May so far.
        (datetime.date(2027, 5, 3), "Health outreach awards 2028–2029", 1),
    ],
)
def test_the_demo_has_an_open_call_one_in_review_and_two_active_awards(
    today: datetime.date, open_title: str, invoices: int
) -> None:
    with time_machine.travel(datetime.datetime.combine(today, datetime.time(15), datetime.UTC)):
        story(open_title, invoices)


def story(open_title: str, invoices: int) -> None:
    people = {
        persona.email: persona_ensure(persona, password="demo-password-1") for persona in PERSONAS
    }
    lucia = people["liaison@tapestry.example"]
    priya = people["reviewer@tapestry.example"]
    library = OrganizationFactory.create(zip_code="60601", liaison=lucia)
    for zip_code in ZIP_CODES * 2:
        OrganizationFactory.create(zip_code=zip_code)

    lines = demo_funding_seed(people=people)
    again = demo_funding_seed(people=people)

    now = timezone.now()
    open_calls = Opportunity.objects.filter(deadline__gt=now)
    assert [call.title for call in open_calls] == [open_title]
    draft = Application.objects.get(opportunity__in=open_calls)
    assert (draft.organization_id, draft.status) == (library.pk, "draft")
    in_review = Opportunity.objects.get(title__startswith="Community programs")
    assert in_review.deadline < now
    assert set(in_review.applications.values_list("status", flat=True)) == {
        "submitted",
        "screened",
        "under_review",
        "declined",
    }
    assignments = ReviewAssignment.objects.filter(reviewer=priya)
    conflicted = [
        assignment
        for assignment in assignments
        if assignment.application.organization_id in conflicted_organizations(reviewer_id=priya.pk)
    ]
    assert (assignments.count(), len(conflicted)) == (2, 1)
    awards = Award.objects.filter(status="active").order_by("number")
    assert awards.count() == 2
    lucias = awards.get(organization_id=library.pk)
    other = awards.exclude(pk=lucias.pk).get()
    today = timezone.localdate()
    assert lucias.reports.filter(due_on__lt=today, submitted_at__isnull=True).count() == 1
    assert not other.reports.filter(due_on__lt=today, submitted_at__isnull=True).exists()
    assert lucias.invoices.count() == other.invoices.count() == invoices
    assert lucias.invoices.order_by("billing_month").last().status == "submitted"  # type: ignore[union-attr]
    assert lines[-2:] == [
        f"Award {lucias.number}: {invoices} invoices, interim report overdue.",
        f"Award {other.number}: {invoices} invoices, interim report in.",
    ]
    assert again == ["Funding: already there (3 calls)."]
