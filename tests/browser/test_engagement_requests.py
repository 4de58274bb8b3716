"""A liaison asks the specialists of her region to design a program with her (in Spanish, on a
phone); the specialist answers in the thread, notes a milestone and turns the request into an
event that links back. axe-core and the sideways-scroll check on every page at both widths."""

import datetime
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from tapestry.accounts.api import Role
from tapestry.accounts.personas import PERSONAS, persona_ensure
from tapestry.accounts.tests.factories import UserFactory
from tapestry.engagement.models import EngagementRequest, Event
from tapestry.engagement.tests.factories import organization_make
from tapestry.network.models import Region, RegionSpecialist

from .conftest import PASSWORD, VIEWPORTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_request_is_discussed_and_becomes_an_event(
    visit: Any, authenticator_code: Callable[[], str]
) -> None:
    # Given Lucía, liaison of a library in Denver (Region 4), and Samuel, who covers Region 4
    lucia = UserFactory.create(
        email="lucia@example.org",
        full_name="Lucía Ramírez",
        password=PASSWORD,
        roles=[Role.LIAISON],
        preferred_language="es",
    )
    organization_make(zip_code="80202", liaison=lucia, name="Biblioteca de Denver")
    samuel = persona_ensure(
        next(p for p in PERSONAS if p.email == "specialist@tapestry.example"), password=PASSWORD
    )
    RegionSpecialist.objects.create(user=samuel, region=Region.objects.get(code="region-4"))

    # Lucía, in Spanish on her phone, asks for a program
    liaison = visit("engagement-requests", "es")
    liaison.page.goto(liaison.base_url + "/healthz", timeout=60_000)
    phone = liaison.open("/")
    liaison.choose_language()
    liaison.sign_in("lucia@example.org", step="1-sign-in")
    phone.set_viewport_size(VIEWPORTS["phone"])
    liaison.open("/engagement/requests/")
    liaison.check("2-requests")
    phone.get_by_role("link", name=liaison.t("Design a program with us")).click()
    liaison.check("3-form")
    first = timezone.localdate() + datetime.timedelta(days=30)
    phone.get_by_label(liaison.label("Audience")).fill("Abuelos y cuidadores")
    phone.get_by_label(liaison.label("Topic")).select_option("precision_medicine")
    phone.get_by_label(liaison.label("Language")).select_option("es")
    phone.get_by_label(liaison.label("First preferred date")).fill(first.isoformat())
    phone.get_by_label(liaison.label("Second preferred date")).fill(
        (first + datetime.timedelta(days=7)).isoformat()
    )
    phone.get_by_label(liaison.label("Expected attendance")).fill("30")
    phone.get_by_role("button", name=liaison.t("Send the request")).click()
    expect(phone.get_by_role("heading", level=1)).to_contain_text("Abuelos y cuidadores")
    liaison.check("4-sent")
    request = EngagementRequest.objects.get()
    assert (request.region_code, request.specialist) == ("region-4", samuel)
    assert [message.to for message in mail.outbox] == [[samuel.email]]

    # Samuel answers in the thread, notes a milestone and turns it into an event
    specialist = visit("engagement-requests-specialist", "en")
    page = specialist.open("/")
    specialist.sign_in(samuel.email, step="1-sign-in")
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/$"))
    page.get_by_label(specialist.label("Code")).fill(authenticator_code())
    page.get_by_role("button", name=specialist.t("Sign In")).click()
    expect(page).to_have_url(re.compile(r"/me/$"))
    specialist.open(f"/engagement/requests/{request.pk}/")
    specialist.check("2-request")
    page.get_by_label(specialist.label("Message")).fill("Happy to help: does the first date work?")
    page.get_by_role("button", name="Send the message").click()
    expect(page.get_by_text("Happy to help: does the first date work?")).to_be_visible()
    page.get_by_label(specialist.label("Milestone")).fill("First call with the library")
    page.get_by_role("button", name="Add the milestone").click()
    expect(page.get_by_text("First call with the library")).to_be_visible()
    specialist.check("3-discussed")
    page.get_by_role("link", name="Turn into an event").click()
    specialist.check("4-event-form")
    page.get_by_label(specialist.label("Description")).fill(
        "Un taller sobre la medicina de precisión."
    )
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_url(re.compile(r"/engagement/events/\d+/registrants/$"))
    event = Event.objects.get()
    expect(page.get_by_role("heading", level=1)).to_have_text(event.title)
    request.refresh_from_db()
    assert (request.event, request.status) == (event, "planned")
    # Lucía was told of the message and of the plan, in Spanish
    to_lucia = [message.subject for message in mail.outbox if message.to == ["lucia@example.org"]]
    assert to_lucia == [
        "Nuevo mensaje en la solicitud de programa: Medicina de precisión",
        "Su solicitud de programa ahora está en estado: Planificada",
    ]
    liaison.open(f"/engagement/requests/{request.pk}/")
    expect(phone.locator("dd").filter(has_text=event.title)).to_be_visible()
    liaison.check("5-planned")
