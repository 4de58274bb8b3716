"""A liaison reserves a program kit on her phone: the catalog, the kit's page with its
availability calendar, a ship date too soon (the form says the earliest), then a good one; the
engagement specialist of her region signs in with his authenticator code, approves the
reservation and ships the kit with the checklist ticked. In English and in Spanish, every page
scanned with axe-core at desktop and phone width."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.utils import formats, timezone, translation
from playwright.sync_api import expect

from tapestry.accounts.api import PERSONAS, persona_ensure
from tapestry.engagement.models import KitPhoto, KitReservation
from tapestry.engagement.tests.factories import KitFactory, member_organization_make, png_upload
from tapestry.network.models import Region, RegionSpecialist

from .conftest import PASSWORD, VIEWPORTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _date(language: str, day: datetime.date) -> str:
    with translation.override(language):
        return formats.date_format(day, "DATE_FORMAT")


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_liaison_reserves_a_kit_and_the_specialist_ships_it(
    language: str,
    visit: Any,
    authenticator_code: Callable[[], str],
    settings: Any,
    tmp_path: Any,
) -> None:
    # Given Lucía, liaison of a Chicago library, Samuel covering Region 6, and a kit
    settings.MEDIA_ROOT = tmp_path
    lucia = persona_ensure(
        next(p for p in PERSONAS if p.email.startswith("liaison")), password=PASSWORD
    )
    samuel = persona_ensure(
        next(p for p in PERSONAS if p.email.startswith("specialist")), password=PASSWORD
    )
    RegionSpecialist.objects.create(user=samuel, region=Region.objects.get(code="region-6"))
    library = member_organization_make(
        name="Pilsen Community Public Library", zip_code="60608", liaison=lucia
    )
    kit = KitFactory.create(
        slug="story-time",
        name="Health literacy story time kit",
        name_es="Kit de cuentos sobre salud",
        topics=["health_literacy"],
    )
    KitPhoto.objects.create(
        kit=kit,
        image=png_upload(),
        alt_text="Four picture books and a stack of activity cards",
        alt_text_es="Cuatro libros ilustrados y un montón de tarjetas de actividades",
    )
    today = timezone.localdate()
    earliest = today + datetime.timedelta(days=14)
    ship = today + datetime.timedelta(days=30)

    # When Lucía, on her phone, finds the kit in the catalog
    liaison = visit("kits-liaison", language)
    page = liaison.page
    liaison.open("/")
    liaison.choose_language()
    liaison.sign_in(lucia.email, step="1-sign-in")
    expect(page).to_have_url(re.compile(r"/me/$"), timeout=30_000)
    page.set_viewport_size(VIEWPORTS["phone"])
    liaison.open("/engagement/kits/")
    expect(page.get_by_role("heading", level=1)).to_have_text(liaison.t("Program kits"))
    liaison.check("2-catalog")
    page.get_by_role("link", name=kit.display_name(language)).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(kit.display_name(language))
    expect(page.get_by_role("img", name=re.compile("^(Four|Cuatro)"))).to_be_visible()
    expect(page.get_by_role("heading", name=liaison.t("Availability"))).to_be_visible()
    liaison.check("3-kit")

    # and asks for a ship date too soon: the form says which date is the earliest
    page.get_by_role("link", name=liaison.t("Reserve this kit")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(liaison.t("Reserve a kit"))
    liaison.check("4-reserve")
    page.get_by_label(liaison.label("Ship date")).fill(
        (today + datetime.timedelta(days=5)).isoformat()
    )
    page.get_by_role("button", name=liaison.t("Send the request")).click()
    too_soon = liaison.t("That ship date is too soon: the earliest is %(date)s.") % {
        "date": _date(language, earliest)
    }
    expect(page.locator("#form-errors")).to_contain_text(too_soon)
    liaison.check("5-too-soon")
    assert KitReservation.objects.count() == 0

    # then a good one
    page.get_by_label(liaison.label("Ship date")).fill(ship.isoformat())
    page.get_by_role("button", name=liaison.t("Send the request")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(liaison.t("My organization's kits"))
    row = page.locator(f"#reservation-{KitReservation.objects.get().pk}")
    expect(row).to_contain_text(_date(language, ship))
    expect(row).to_contain_text(liaison.t("Requested"))
    liaison.check("6-mine")
    reservation = KitReservation.objects.get()
    assert (reservation.organization_id, reservation.ship_date, reservation.status) == (
        library,
        ship,
        "requested",
    )

    # When Samuel signs in with his authenticator code and approves it on the kit desk
    specialist = visit("kits-specialist", language)
    page = specialist.page
    specialist.open("/")
    specialist.choose_language()
    specialist.sign_in(samuel.email, step="1-sign-in")
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/$"))
    page.get_by_label(specialist.label("Code")).fill(authenticator_code())
    page.get_by_role("button", name=specialist.t("Sign In")).click()
    expect(page).to_have_url(re.compile(r"/me/$"))
    expect(page.get_by_role("heading", name=specialist.t("Kit desk"))).to_be_visible()
    specialist.check("2-dashboard")
    page.get_by_role("link", name=specialist.t("Open the kit desk")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(specialist.t("Kit desk"))
    specialist.check("3-desk")
    page.get_by_role("row").filter(has_text="Pilsen Community Public Library").get_by_role(
        "link"
    ).click()
    specialist.check("4-reservation")
    page.get_by_text(specialist.t("Approve"), exact=True).click()
    page.get_by_role("button", name=specialist.t("Save the decision")).click()
    expect(page.get_by_role("status")).to_contain_text(specialist.t("The reservation is approved."))
    specialist.check("5-approved")

    # and ships it with every line of the checklist ticked
    for item in kit.items.all():
        page.locator("label", has_text=item.display_name(language)).click()
    page.get_by_role("button", name=specialist.t("Mark shipped")).click()
    expect(page.get_by_role("status")).to_contain_text(
        specialist.t("The kit is marked shipped; the library was emailed.")
    )
    specialist.check("6-shipped")

    # Then the reservation is shipped; Samuel was told of the request, Lucía of each step
    reservation.refresh_from_db()
    assert (reservation.status, reservation.shipped_by) == ("shipped", samuel)
    assert [message.to for message in mail.outbox] == [
        [lucia.email],
        [samuel.email],
        [lucia.email],
        [lucia.email],
    ]
