"""The whole engagement chain in one journey (issue 10): Lucía, liaison of a Chicago library,
reserves a program kit and creates an event; a visitor finds it on her phone, registers and
confirms by the emailed link; Lucía checks her in and, once the event is over, reports its
attendance; Samuel, the Region 6 specialist, signs in with his authenticator code, approves the
kit and accepts the report. Staff at desktop width, the visitor at phone width; every page is
scanned with axe-core at both widths by the conftest's `check`."""

import datetime
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from tapestry.accounts.api import PERSONAS, persona_ensure
from tapestry.engagement.models import ActivityReport, Event, KitReservation, Registration
from tapestry.engagement.tests.factories import KitFactory, member_organization_make
from tapestry.network.models import Region, RegionSpecialist

from .conftest import PASSWORD, VIEWPORTS
from .test_engagement_events import CONFIRM_LINK
from .test_engagement_kits import _date

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TITLE = "Finding health information you can trust"
LIBRARY = "Pilsen Community Public Library"


def test_a_kit_an_event_a_registration_a_check_in_and_an_accepted_report(
    visit: Any, authenticator_code: Callable[[], str]
) -> None:
    # Given Lucía, liaison of a Chicago library, Samuel covering Region 6, and a program kit
    lucia = persona_ensure(
        next(p for p in PERSONAS if p.email == "liaison@tapestry.example"), password=PASSWORD
    )
    samuel = persona_ensure(
        next(p for p in PERSONAS if p.email == "specialist@tapestry.example"), password=PASSWORD
    )
    RegionSpecialist.objects.create(user=samuel, region=Region.objects.get(code="region-6"))
    library = member_organization_make(name=LIBRARY, zip_code="60608", liaison=lucia)
    kit = KitFactory.create(slug="story-time", name="Health literacy story time kit")
    today = timezone.localdate()
    ship = today + datetime.timedelta(days=30)
    day = today + datetime.timedelta(days=3)

    # When Lucía signs in and asks for the kit for a ship date a month away
    liaison = visit("engagement-journey", "en")
    page = liaison.page
    page.goto(liaison.base_url + "/healthz", timeout=60_000)
    liaison.open("/")
    liaison.sign_in(lucia.email, step="liaison-01-sign-in")
    expect(page).to_have_url(re.compile(r"/me/$"), timeout=30_000)
    liaison.open("/engagement/kits/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Program kits")
    liaison.check("liaison-02-kit-catalog")
    page.get_by_role("link", name=kit.display_name("en")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(kit.display_name("en"))
    page.get_by_role("link", name="Reserve this kit").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Reserve a kit")
    liaison.check("liaison-03-reserve-kit")
    page.get_by_label(liaison.label("Ship date")).fill(ship.isoformat())
    page.get_by_role("button", name="Send the request").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My organization's kits")
    row = page.locator(f"#reservation-{KitReservation.objects.get().pk}")
    expect(row).to_contain_text(_date("en", ship))
    expect(row).to_contain_text("Requested")
    liaison.check("liaison-04-kit-requested")

    # and creates an event at her library in three days' time, and publishes it
    liaison.open("/engagement/events/mine/")
    page.get_by_role("link", name="New event").click()
    liaison.check("liaison-05-new-event")
    page.get_by_label(liaison.label("Title")).fill(TITLE)
    page.get_by_label(liaison.label("Description")).fill("A hands-on class with MedlinePlus.")
    page.get_by_label(liaison.label("Focus area")).select_option("health_literacy")
    page.get_by_label(liaison.label("Language")).select_option("en")
    page.get_by_label(liaison.label("Format")).select_option("in_person")
    page.get_by_label(liaison.label("Host organization")).select_option(str(library))
    page.get_by_label(liaison.label("Seats")).fill("20")
    page.get_by_label(liaison.label("Starts")).fill(f"{day.isoformat()}T18:00")
    page.get_by_label(liaison.label("Ends")).fill(f"{day.isoformat()}T19:30")
    page.get_by_label(liaison.label("Time zone")).select_option("America/Chicago")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_text("Published: the event is in the finder")).to_be_visible()
    liaison.check("liaison-06-event-published")

    # A visitor on her phone finds it near her ZIP code
    visitor = visit("engagement-journey", "en")
    phone = visitor.page
    phone.set_viewport_size(VIEWPORTS["phone"])
    visitor.open("/engagement/events/")
    visitor.check("visitor-07-finder")
    phone.get_by_label(visitor.label("Near ZIP code")).fill("60608")
    phone.get_by_role("button", name="Search", exact=True).click()
    expect(phone.locator("#result-count")).to_contain_text("60608")
    phone.get_by_role("link", name=TITLE).click()
    expect(phone.get_by_role("heading", level=1)).to_have_text(TITLE)
    visitor.check("visitor-08-event")

    # registers (no seat until she confirms), and confirms by the link in the email
    phone.get_by_label(visitor.label("Your name")).fill("Rosa Delgado")
    phone.get_by_label(visitor.label("Email")).fill("rosa@example.net")
    phone.get_by_label(visitor.label("ZIP code (optional)")).fill("60614")
    phone.get_by_label(visitor.label("You come as (optional)")).select_option("community_member")
    phone.get_by_role("button", name="Register").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Check your email")
    visitor.check("visitor-09-check-email")
    assert Registration.objects.get().status == "pending"
    [email] = [message for message in mail.outbox if message.to == ["rosa@example.net"]]
    assert email.subject == f"Confirm your registration: {TITLE}"
    link = CONFIRM_LINK.search(str(email.body))
    assert link is not None
    visitor.open(link.group(1))
    visitor.check("visitor-10-confirm")
    phone.get_by_role("button", name="Confirm my registration").click()
    expect(phone.get_by_role("heading", level=2)).to_have_text("You have a seat")
    visitor.check("visitor-11-seated")

    # On the day, Lucía checks her in on the check-in screen
    event = Event.objects.get()
    liaison.open(f"/engagement/events/{event.pk}/check-in/")
    liaison.check("liaison-12-check-in")
    page.get_by_label("Find by name or email").fill("rosa")
    page.get_by_role("button", name="Check in Rosa Delgado").click()
    expect(page.get_by_role("button", name="Undo check-in of Rosa Delgado")).to_be_visible()
    liaison.check("liaison-13-checked-in")

    # The evening passes. The live server keeps the real clock and the app judges "ended" by
    # ends_at against now, so, as test_engagement_reports.py does by creating its event in the
    # past, the event's own dates are moved back to yesterday (same wall times) rather than
    # waiting three days; every row the people above created stays as they made it.
    shift = datetime.timedelta(days=(day - today).days + 1)
    Event.objects.filter(pk=event.pk).update(
        starts_at=event.starts_at - shift, ends_at=event.ends_at - shift
    )
    held_on = day - shift

    # Lucía's registrant list shows who came
    liaison.open(f"/engagement/events/{event.pk}/registrants/")
    expect(page.get_by_role("rowheader", name="Rosa Delgado")).to_be_visible()
    expect(page.get_by_text("Attended: 1")).to_be_visible()
    liaison.check("liaison-14-registrants")

    # She reports the event from its attendance and submits the report
    liaison.open("/engagement/reports/")
    page.get_by_role("link", name="New report").click()
    liaison.check("liaison-15-new-report")
    page.get_by_label("Fill the rows from an event's attendance").select_option(str(event.pk))
    page.get_by_role("button", name="Fill from attendance").click()
    expect(page.get_by_label(liaison.label("Title"))).to_have_value(TITLE)
    expect(page.get_by_label(liaison.label("Date"))).to_have_value(held_on.isoformat())
    expect(page.locator(".tapestry-report-rows tbody tr")).to_have_count(1)
    expect(page.get_by_label("Participants, row 1")).to_have_value("1")
    expect(page.get_by_label("ZIP code, row 1")).to_have_value("60614")
    liaison.check("liaison-16-report-prefilled")
    page.get_by_role("button", name="Save and submit for review").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(page.get_by_text("Submitted", exact=True)).to_be_visible()
    liaison.check("liaison-17-report-submitted")

    # Samuel signs in with his authenticator code and approves the kit on the kit desk
    specialist = visit("engagement-journey", "en")
    spage = specialist.page
    specialist.open("/")
    specialist.sign_in(samuel.email, step="specialist-18-sign-in")
    expect(spage).to_have_url(re.compile(r"/accounts/2fa/authenticate/$"))
    spage.get_by_label(specialist.label("Code")).fill(authenticator_code())
    spage.get_by_role("button", name="Sign In").click()
    expect(spage).to_have_url(re.compile(r"/me/$"))
    spage.get_by_role("link", name="Open the kit desk").click()
    expect(spage.get_by_role("heading", level=1)).to_have_text("Kit desk")
    specialist.check("specialist-19-kit-desk")
    spage.get_by_role("row").filter(has_text=LIBRARY).get_by_role("link").click()
    spage.get_by_text("Approve", exact=True).click()
    spage.get_by_role("button", name="Save the decision").click()
    expect(spage.get_by_role("status")).to_contain_text("The reservation is approved.")
    specialist.check("specialist-20-kit-approved")

    # and accepts the report from his review queue
    specialist.open("/engagement/reports/review/")
    specialist.check("specialist-21-report-queue")
    spage.get_by_role("link", name=TITLE).click()
    spage.get_by_text("Accept", exact=True).click()
    spage.get_by_role("button", name="Send the decision").click()
    expect(spage.get_by_text("Accepted", exact=True)).to_be_visible()
    expect(spage.get_by_text("Report accepted; the author was emailed.")).to_be_visible()
    specialist.check("specialist-22-report-accepted")

    # Then: one approved reservation, one checked-in registration, and one accepted report
    # whose rows add up to the attendance
    reservation = KitReservation.objects.get()
    assert (reservation.organization_id, reservation.ship_date, reservation.status) == (
        library,
        ship,
        "approved",
    )
    registration = Registration.objects.get()
    assert (registration.event_id, registration.status, registration.attended) == (
        event.pk,
        "confirmed",
        True,
    )
    report = ActivityReport.objects.get()
    assert (report.status, report.event_id, report.activity_date, report.organization_id) == (
        ActivityReport.Status.ACCEPTED,
        event.pk,
        held_on,
        library,
    )
    assert [(row.participants, row.zip_code, row.role) for row in report.rows.all()] == [
        (1, "60614", "community_member")
    ]
    assert sum(row.participants for row in report.rows.all()) == (
        Registration.objects.filter(event=event, attended=True).count()
    )
    assert mail.outbox[-1].to == [lucia.email]
    assert mail.outbox[-1].subject == f"Report accepted: {TITLE}"
