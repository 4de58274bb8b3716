"""A liaison fills an activity report from her event's attendance (adding a row with the
keyboard), submits it; the specialist of her region finds it in his queue and accepts it, and
she is emailed in her language. In English and in Spanish; axe-core and the sideways-scroll
check run on every page at desktop and 390 px."""

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
from tapestry.engagement.models import ActivityReport
from tapestry.engagement.tests.factories import (
    EventFactory,
    RegistrationFactory,
    organization_make,
)
from tapestry.network.models import Region, RegionSpecialist

from .conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TITLES = {"en": "Finding health information you can trust", "es": "Información de salud confiable"}


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_liaison_reports_her_events_attendance_and_the_specialist_accepts_it(
    language: str, visit: Any, authenticator_code: Callable[[], str]
) -> None:
    # Given Alice's library in Chicago held an event last week, where four people checked in
    alice = UserFactory.create(
        email="alice@example.org",
        full_name="Alice Liaison",
        password=PASSWORD,
        roles=[Role.LIAISON],
        preferred_language=language,
    )
    library = organization_make(zip_code="60601", liaison=alice, name="Harold Washington Library")
    started = timezone.now() - datetime.timedelta(days=7)
    event = EventFactory.create(
        title=TITLES[language],
        language=language,
        organization_id=library.pk,
        organizer=alice,
        starts_at=started,
        ends_at=started + datetime.timedelta(hours=2),
    )
    for zip_code, role in [("60614", "student"), ("60614", "student"), ("", "library_staff")]:
        RegistrationFactory.create(event=event, zip_code=zip_code, role=role, attended=True)
    RegistrationFactory.create(event=event, zip_code="60601", role="educator", attended=True)
    # and Samuel covers region 6
    samuel_persona = next(p for p in PERSONAS if p.email == "specialist@tapestry.example")
    samuel = persona_ensure(samuel_persona, password=PASSWORD)
    RegionSpecialist.objects.create(user=samuel, region=Region.objects.get(code="region-6"))

    # Alice signs in and opens her reports: none yet
    liaison = visit("engagement-reports", language)
    liaison.page.goto(liaison.base_url + "/healthz", timeout=60_000)
    page = liaison.open("/")
    liaison.choose_language()
    liaison.sign_in("alice@example.org", step="1-sign-in")
    expect(page.get_by_role("link", name=re.compile(r"Alice Liaison"))).to_be_visible()
    liaison.open("/engagement/reports/")
    expect(
        page.get_by_text(
            liaison.t(
                "No reports yet. Start one from scratch, from a CSV file, or from the "
                "attendance of one of your events."
            )
        )
    ).to_be_visible()
    liaison.check("2-my-reports")

    # She starts a report from the event's attendance
    page.get_by_role("link", name=liaison.t("New report")).click()
    liaison.check("3-new-report")
    page.get_by_label(liaison.t("Fill the rows from an event's attendance")).select_option(
        str(event.pk)
    )
    page.get_by_role("button", name=liaison.t("Fill from attendance")).click()
    expect(page.get_by_label(liaison.label("Title"))).to_have_value(TITLES[language])
    rows = page.locator(".tapestry-report-rows tbody tr")
    expect(rows).to_have_count(3)
    liaison.check("4-prefilled")

    # With the keyboard she adds a row for someone who came without registering
    add_row = page.get_by_role("button", name=liaison.t("Add a row"))
    add_row.focus()
    page.keyboard.press("Enter")
    expect(rows).to_have_count(4)
    participants = page.get_by_label(liaison.t("Participants, row %(number)s") % {"number": 4})
    expect(participants).to_be_focused()
    page.keyboard.type("1")
    page.get_by_label(liaison.t("ZIP code, row %(number)s") % {"number": 4}).fill("60616")
    page.get_by_label(liaison.t("Professional role, row %(number)s") % {"number": 4}).select_option(
        "community_member"
    )
    liaison.check("5-row-added")
    page.get_by_role("button", name=liaison.t("Save and submit for review")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLES[language])
    expect(page.get_by_text(liaison.t("Submitted"), exact=True)).to_be_visible()
    liaison.check("6-submitted")
    report = ActivityReport.objects.get()
    assert [(row.participants, row.zip_code, row.role) for row in report.rows.all()] == [
        (1, "60601", "educator"),
        (1, "60601", "library_staff"),
        (2, "60614", "student"),
        (1, "60616", "community_member"),
    ]

    # Samuel signs in with his authenticator code and finds it in his queue
    specialist = visit("engagement-reports-specialist", language)
    spage = specialist.open("/")
    specialist.choose_language()
    specialist.sign_in(samuel.email, step="1-sign-in")
    expect(spage).to_have_url(re.compile(r"/accounts/2fa/authenticate/$"))
    spage.get_by_label(specialist.label("Code")).fill(authenticator_code())
    spage.get_by_role("button", name=specialist.t("Sign In")).click()
    expect(spage).to_have_url(re.compile(r"/me/$"))
    specialist.open("/engagement/reports/review/")
    specialist.check("2-queue")
    spage.get_by_role("link", name=TITLES[language]).click()
    specialist.check("3-report")

    # He accepts it, and Alice is emailed in her language
    spage.get_by_text(specialist.t("Accept"), exact=True).click()
    spage.get_by_role("button", name=specialist.t("Send the decision")).click()
    expect(spage.get_by_text(specialist.t("Accepted"), exact=True)).to_be_visible()
    specialist.check("4-accepted")
    report.refresh_from_db()
    assert report.status == ActivityReport.Status.ACCEPTED
    [email] = [message for message in mail.outbox if message.to == ["alice@example.org"]]
    assert email.subject == specialist.t("Report accepted: %(title)s") % {"title": TITLES[language]}
