"""A liaison creates and publishes an event; a visitor, in Spanish on a phone, finds it by ZIP
code and registers; confirms by the emailed link; the liaison checks her in on the tablet
screen. axe-core and the sideways-scroll check run on every page, at both widths."""

import datetime
import re
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from tapestry.accounts.api import Role
from tapestry.accounts.tests.factories import UserFactory
from tapestry.engagement.models import Registration
from tapestry.engagement.tests.factories import organization_make

from .conftest import PASSWORD, VIEWPORTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CONFIRM_LINK = re.compile(r"https?://\S+(/engagement/events/registration/confirm/\w+/)")


def test_a_liaison_creates_an_event_a_visitor_registers_and_is_checked_in(visit: Any) -> None:
    # Given Alice, the liaison of a library in Chicago
    alice = UserFactory.create(
        email="alice@example.org",
        full_name="Alice Liaison",
        password=PASSWORD,
        roles=[Role.LIAISON],
    )
    organization_make(zip_code="60601", liaison=alice, name="Harold Washington Library")
    liaison = visit("engagement-events", "en")
    liaison.page.goto(liaison.base_url + "/healthz", timeout=60_000)
    page = liaison.open("/")
    liaison.sign_in("alice@example.org", step="1-sign-in")
    expect(page.get_by_role("link", name=re.compile(r"Alice Liaison"))).to_be_visible()

    # She creates an event at her library and publishes it
    liaison.open("/engagement/events/mine/")
    liaison.check("2-my-events")
    page.get_by_role("link", name="New event").click()
    liaison.check("3-new-event")
    day = (timezone.localdate() + datetime.timedelta(days=10)).isoformat()
    page.get_by_label(liaison.label("Title")).fill("Finding health information you can trust")
    page.get_by_label(liaison.label("Description")).fill("A hands-on class with MedlinePlus.")
    page.get_by_label(liaison.label("Focus area")).select_option("health_literacy")
    page.get_by_label(liaison.label("Language")).select_option("en")
    page.get_by_label(liaison.label("Format")).select_option("in_person")
    page.get_by_label(liaison.label("Seats")).fill("2")
    page.get_by_label(liaison.label("Starts")).fill(f"{day}T18:00")
    page.get_by_label(liaison.label("Ends")).fill(f"{day}T19:30")
    page.get_by_label(liaison.label("Time zone")).select_option("America/Chicago")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Finding health information you can trust"
    )
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_text("Published: the event is in the finder")).to_be_visible()
    liaison.check("4-published")

    # A visitor, in Spanish on her phone, finds it by ZIP code
    visitor = visit("engagement-events", "es")
    phone = visitor.page
    visitor.open("/engagement/events/")
    visitor.choose_language()
    phone.set_viewport_size(VIEWPORTS["phone"])
    visitor.check("5-finder")
    phone.get_by_label(visitor.label("Near ZIP code")).fill("60601")
    phone.get_by_role("button", name=visitor.t("Search"), exact=True).click()
    expect(phone.locator("#result-count")).to_contain_text("60601")
    visitor.check("6-found")
    phone.get_by_role("link", name="Finding health information you can trust").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text(
        "Finding health information you can trust"
    )
    expect(phone.get_by_text("(Hora del Centro)")).to_be_visible()
    visitor.check("7-event")

    # She registers: no seat yet, an email first
    phone.get_by_label(visitor.label("Your name")).fill("Rosa Delgado")
    phone.get_by_label(visitor.label("Email")).fill("rosa@example.net")
    phone.get_by_label(visitor.label("ZIP code (optional)")).fill("60614")
    phone.get_by_role("button", name=visitor.t("Register")).click()
    expect(phone.get_by_role("heading", level=1)).to_have_text(visitor.t("Check your email"))
    visitor.check("8-check-email")
    assert Registration.objects.get().status == "pending"
    [email] = [message for message in mail.outbox if message.to == ["rosa@example.net"]]
    assert email.subject.startswith("Confirme su inscripción")
    match = CONFIRM_LINK.search(str(email.body))
    assert match is not None

    # She confirms by the emailed link
    visitor.open(match.group(1))
    visitor.check("9-confirm")
    phone.get_by_role("button", name=visitor.t("Confirm my registration")).click()
    expect(phone.get_by_role("heading", level=2)).to_have_text(visitor.t("You have a seat"))
    visitor.check("10-seated")

    # On the day, Alice finds her on the check-in screen and checks her in with one tap
    event_id = Registration.objects.get().event_id
    liaison.open(f"/engagement/events/{event_id}/check-in/")
    liaison.check("11-check-in")
    page.get_by_label("Find by name or email").fill("rosa")
    check_in = page.get_by_role("button", name="Check in Rosa Delgado")
    expect(check_in).to_be_visible()
    check_in.click()
    expect(page.get_by_role("button", name="Undo check-in of Rosa Delgado")).to_be_visible()
    liaison.check("12-checked-in")
    registration = Registration.objects.get()
    assert (registration.status, registration.attended) == ("confirmed", True)

    # Her registrant list shows the seat and the attendance; the cancel page asks for a reason
    liaison.open(f"/engagement/events/{event_id}/registrants/")
    expect(page.get_by_role("rowheader", name="Rosa Delgado")).to_be_visible()
    liaison.check("13-registrants")
    liaison.open(f"/engagement/events/{event_id}/cancel/")
    liaison.check("14-cancel-event")

    # The visitor's cancel link opens a page with one button (not used here)
    cancel_link = re.search(r"(/engagement/events/registration/cancel/\w+/)", str(email.body))
    assert cancel_link is not None
    visitor.open(cancel_link.group(1))
    expect(phone.get_by_role("button", name=visitor.t("Cancel my registration"))).to_be_visible()
    visitor.check("15-cancel-registration")
    # And a search that names no ZIP code says so, in Spanish
    visitor.open("/engagement/events/?near=99999", status=400)
    visitor.check("16-finder-error")
