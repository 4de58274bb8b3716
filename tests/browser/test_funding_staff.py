"""Program staff take an application from screening to award, the reviewer scores it between:
Dana screens Lucía's library's application against the checklist, sees the reviewer in
conflict listed as unavailable, assigns Priya and sends it for review; Priya scores it and
submits; Dana awards it with a reason and reads the dashboard. Every page scanned with
axe-core at desktop and phone (390 px) width."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from playwright.sync_api import expect

from tapestry.accounts.api import PERSONAS, Role, persona_ensure
from tapestry.accounts.tests.factories import UserFactory
from tapestry.funding.models import ConflictOfInterest
from tapestry.funding.states import Status
from tapestry.funding.tests.factories import (
    OpportunityFactory,
    RubricCriterionFactory,
    ScreeningItemFactory,
)
from tapestry.funding.tests.factories_staff import submitted_make
from tapestry.network.tests.factories import OrganizationFactory

from .conftest import PASSWORD, Visit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def persona(prefix: str) -> Any:
    return persona_ensure(
        next(p for p in PERSONAS if p.email.startswith(prefix)), password=PASSWORD
    )


def signed_in(visit: Any, who: Any, journey: str, code: Callable[[], str]) -> Visit:
    person = visit(journey, "en")
    person.open("/")
    person.sign_in(who.email, step="1-sign-in")
    expect(person.page).to_have_url(re.compile(r"/accounts/2fa/authenticate/$"))
    person.page.get_by_label(person.label("Code")).fill(code())
    person.page.get_by_role("button", name=person.t("Sign In")).click()
    expect(person.page).to_have_url(re.compile(r"/me/$"))
    return person


def test_staff_screen_assign_and_award_while_the_reviewer_scores(
    visit: Any, authenticator_code: Callable[[], str]
) -> None:
    # Given Lucía's library's application, submitted to a call with a checklist and a rubric
    lucia, dana, priya = persona("liaison"), persona("programstaff"), persona("reviewer")
    library = OrganizationFactory.create(
        name="Pilsen Community Public Library", zip_code="60608", liaison=lucia
    )
    call = OpportunityFactory.create(
        title="Health outreach awards 2027", maximum_amount=Decimal(5000)
    )
    ScreeningItemFactory.create(opportunity=call, position=1, text="Only allowable costs.")
    RubricCriterionFactory.create(opportunity=call, position=1, text="Reach", points=10)
    application = submitted_make(liaison=lucia, organization=library, opportunity=call)
    carl = UserFactory.create(full_name="Carl Conflicted", roles=[Role.REVIEWER])
    ConflictOfInterest.objects.create(
        reviewer=carl, organization_id=library.pk, reason="Sits on the library's board."
    )

    # When Dana opens the pipeline and the application
    staff = signed_in(visit, dana, "funding-staff", authenticator_code)
    page = staff.page
    staff.open("/funding/staff/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Funding calls and their pipeline")
    staff.check("2-pipeline")
    page.get_by_role("link", name=re.compile(r"^1 Submitted$")).click()
    staff.check("3-applications")
    page.get_by_role("link", name=str(application.tracking_number), exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Health fair at the library")
    staff.check("4-application")

    # And screens it
    # (USWDS draws its own radios: a person clicks the label.)
    page.get_by_role("group", name="Only allowable costs.").get_by_text("Met", exact=True).click()
    page.get_by_text("Screened: on to review", exact=True).click()
    page.get_by_role("button", name="Record the screening").click()
    expect(page.get_by_text("Screened; the applicant was emailed.")).to_be_visible()

    # Then Carl is listed as unavailable, and Dana assigns Priya and sends it for review
    expect(page.get_by_text("Carl Conflicted: Sits on the library's board.")).to_be_visible()
    staff.check("5-screened")
    page.get_by_label(staff.label("Reviewer")).select_option(label=priya.get_full_name())
    page.get_by_role("button", name="Assign the reviewer").click()
    page.get_by_role("button", name="Send for review").click()
    expect(page.get_by_text("Sent for review; the applicant was emailed.")).to_be_visible()

    # When Priya opens her queue and scores it
    reviewer = signed_in(visit, priya, "funding-reviewer", authenticator_code)
    review = reviewer.page
    reviewer.open("/funding/review/")
    reviewer.check("2-queue")
    review.get_by_role("link", name=str(application.tracking_number), exact=True).click()
    reviewer.check("3-score-sheet")
    # (Submitted with the criterion unscored: refused, nothing saved.)
    review.get_by_role("button", name="Submit your review").click()
    expect(
        review.get_by_role("link", name="Reach: Score this criterion before submitting.")
    ).to_be_visible()
    reviewer.check("4-score-error")
    review.get_by_label(reviewer.label("Reach")).fill("9")
    review.get_by_label(reviewer.label("Comments for program staff")).fill("A strong plan.")
    review.get_by_role("button", name="Submit your review").click()
    expect(review.get_by_text("Your review is submitted. Thank you.")).to_be_visible()

    # Then Dana reads the review and awards the application with a reason
    staff.open(f"/funding/staff/applications/{application.public_id}/")
    expect(page.get_by_text("A strong plan.")).to_be_visible()
    page.get_by_text("Award", exact=True).click()
    page.get_by_label(staff.label("Reason (the applicant reads it)")).fill("Reaches new readers.")
    page.get_by_role("button", name="Record the decision").click()
    expect(page.get_by_text("Awarded; the applicant was emailed.")).to_be_visible()
    trail = page.get_by_role("table", name="Status history")
    expect(trail.get_by_role("row")).to_have_count(5)
    expect(trail).to_contain_text("Reaches new readers.")
    staff.check("6-awarded")
    application.refresh_from_db()
    assert application.status == Status.AWARDED

    # And the dashboard shows the pipeline
    staff.open("/funding/staff/dashboard/")
    stages = page.get_by_role("table", name="Applications by stage, every call")
    expect(stages.get_by_role("row", name=re.compile("^Awarded"))).to_contain_text("1")
    staff.check("7-dashboard")


def test_staff_write_a_call_on_its_page(visit: Any, authenticator_code: Callable[[], str]) -> None:
    # Given Dana, program staff, on the pipeline page with no call yet
    dana = persona("programstaff")
    staff = signed_in(visit, dana, "funding-staff-call", authenticator_code)
    page = staff.page
    staff.open("/funding/staff/")
    page.get_by_role("link", name="Write a new call").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("A new funding call")
    staff.check("2-call-form")

    # When she writes it in both languages, but forgets a Spanish checklist line
    page.get_by_label(staff.label("Title")).fill("Health outreach awards 2028")
    page.get_by_label(staff.label("Title in Spanish")).fill("Premios de alcance en salud 2028")
    page.get_by_label(staff.label("Description")).fill("Funds for health programs.")
    page.get_by_label(staff.label("Description in Spanish")).fill("Fondos para programas de salud.")
    page.get_by_text("Public library", exact=True).click()
    page.get_by_label(staff.label("Number of awards")).fill("5")
    page.get_by_label(staff.label("Maximum amount per award, in dollars")).fill("5000")
    page.get_by_label(staff.label("Period of performance starts")).fill("2028-05-01")
    page.get_by_label(staff.label("Period of performance ends")).fill("2029-04-30")
    page.get_by_label(staff.label("Deadline")).fill("2028-01-15T17:00")
    page.get_by_label(staff.label("Screening checklist, one item a line")).fill(
        "Only allowable costs.\nDates fit."
    )
    page.get_by_label(staff.label("Screening checklist in Spanish, in the same order")).fill(
        "Solo costos permitidos."
    )
    page.get_by_label(
        staff.label("Review rubric, one criterion a line, ending in | and its points")
    ).fill("Reach | 30\nPlan | 20")
    page.get_by_label(
        staff.label("Review rubric in Spanish, in the same order (points are read from English)")
    ).fill("Alcance\nPlan")
    page.get_by_role("button", name="Save the call").click()

    # Then the form comes back with what she typed and says what is missing
    expect(
        page.get_by_text("Give as many Spanish items as English ones (2).").first
    ).to_be_visible()
    expect(page.get_by_label(staff.label("Title"))).to_have_value("Health outreach awards 2028")
    staff.check("3-call-form-error")
    page.get_by_label(staff.label("Screening checklist in Spanish, in the same order")).fill(
        "Solo costos permitidos.\nLas fechas caben."
    )
    page.get_by_role("button", name="Save the call").click()

    # And the saved call waits on the pipeline page, not yet published
    expect(page.get_by_role("heading", name="Health outreach awards 2028")).to_be_visible()
    expect(page.get_by_role("button", name="Publish “Health outreach awards 2028”")).to_be_visible()
    staff.check("4-call-saved")
