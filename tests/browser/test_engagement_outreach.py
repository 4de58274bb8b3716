"""The engagement specialist opens the outreach dashboard from "My Tapestry": the figures of
his region by region, then grouped by month with the keyboard, and the CSV link; in English
and in Spanish, every page scanned with axe-core at desktop and phone (390 px) width."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tapestry.accounts.api import PERSONAS, persona_ensure
from tapestry.engagement.models import ActivityReport, EngagementRequest, KitReservation
from tapestry.engagement.tests.factories import (
    ActivityReportFactory,
    ActivityReportRowFactory,
    EngagementRequestFactory,
    EventFactory,
    KitFactory,
    RegistrationFactory,
    member_organization_make,
    reservation_place,
)
from tapestry.network.models import Region, RegionSpecialist

from .conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _population(liaison: Any) -> None:
    """In Region 6, 40 days ago: a Spanish event with 4 people checked in, an accepted report
    of 12 participants, a kit shipped and a request completed; a draft report that counts
    nothing."""
    library = member_organization_make(
        name="Pilsen Community Public Library", zip_code="60608", liaison=liaison
    )
    starts = (timezone.now() - datetime.timedelta(days=40)).replace(microsecond=0)
    event = EventFactory.create(
        organization_id=library,
        zip_code="60608",
        language="es",
        starts_at=starts,
        ends_at=starts + datetime.timedelta(hours=2),
    )
    for _index in range(4):
        RegistrationFactory.create(event=event, attended=True, checked_in_at=starts)
    day = timezone.localdate() - datetime.timedelta(days=40)
    report = ActivityReportFactory.create(
        organization_id=library, activity_date=day, status=ActivityReport.Status.ACCEPTED
    )
    ActivityReportRowFactory.create(report=report, participants=12, zip_code="60608")
    draft = ActivityReportFactory.create(organization_id=library, activity_date=day)
    ActivityReportRowFactory.create(report=draft, participants=99, zip_code="60608")
    reservation = reservation_place(
        kit=KitFactory.create(),
        organization_id=library,
        requested_by=liaison,
        ship_date=day,
        status=KitReservation.Status.SHIPPED,
    )
    KitReservation.objects.filter(pk=reservation.pk).update(shipped_at=starts)
    EngagementRequestFactory.create(
        requester=liaison,
        organization_id=library,
        status=EngagementRequest.Status.COMPLETED,
        preferred_date_1=day,
    )


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_specialist_reads_his_regions_outreach(
    language: str, visit: Any, authenticator_code: Callable[[], str]
) -> None:
    # Given Samuel covering Region 6, where Lucía's library held an event and reported it
    lucia = persona_ensure(
        next(p for p in PERSONAS if p.email.startswith("liaison")), password=PASSWORD
    )
    samuel = persona_ensure(
        next(p for p in PERSONAS if p.email.startswith("specialist")), password=PASSWORD
    )
    RegionSpecialist.objects.create(user=samuel, region=Region.objects.get(code="region-6"))
    _population(lucia)

    # When he signs in and follows the dashboard's outreach panel
    specialist = visit("outreach-specialist", language)
    page = specialist.page
    specialist.open("/")
    specialist.choose_language()
    specialist.sign_in(samuel.email, step="1-sign-in")
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/$"))
    page.get_by_label(specialist.label("Code")).fill(authenticator_code())
    page.get_by_role("button", name=specialist.t("Sign In")).click()
    expect(page).to_have_url(re.compile(r"/me/$"))
    expect(page.get_by_role("heading", name=specialist.t("Outreach"), exact=True)).to_be_visible()
    specialist.check("2-dashboard")
    page.get_by_role("link", name=specialist.t("Open the outreach dashboard")).click()

    # Then he sees his region's figures: charts with their tables beside them
    expect(page.get_by_role("heading", level=1)).to_have_text(specialist.t("Outreach dashboard"))
    events = page.get_by_role("table", name=re.compile(specialist.t("Events held")))
    expect(events.get_by_role("row", name=re.compile("Región 6|Region 6"))).to_contain_text("1")
    participants = page.get_by_role(
        "table", name=re.compile(specialist.t("Activity-report participants"))
    )
    expect(participants.locator("tfoot")).to_contain_text("12")
    expect(page.get_by_role("img", name=re.compile(specialist.t("Kits lent")))).to_be_visible()
    specialist.check("3-outreach-by-region")

    # When he groups the figures by month with the keyboard
    page.get_by_label(specialist.label("Group the figures by")).focus()
    page.get_by_label(specialist.label("Group the figures by")).select_option("month")
    page.get_by_role("button", name=specialist.t("Show the figures")).focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"group_by=month"))
    # Then the attendees table lists the last twelve months and the Spanish-language reach
    attendees = page.get_by_role("table", name=re.compile(specialist.t("Attendees"), re.I))
    expect(attendees.locator("tbody tr")).to_have_count(12)
    expect(attendees.locator("tfoot")).to_contain_text("4")
    csv_link = page.get_by_role("link", name=specialist.t("Download these figures (CSV)"))
    expect(csv_link).to_have_attribute("href", re.compile(r"outreach\.csv\?.*group_by=month"))
    specialist.check("4-outreach-by-month")
