"""A liaison keeps her continuing-education ledger: she sees her progress toward CHIS Level I,
adds a class she took elsewhere (a wrong number of hours first), and downloads her transcript;
in English and in Spanish, at desktop and phone width, each page scanned with axe-core."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tapestry.accounts.api import PERSONAS, persona_ensure
from tapestry.learning.models import CreditEntry
from tapestry.learning.services import credit_entry_add

from .conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_liaison_adds_a_class_and_downloads_her_transcript(language: str, visit: Any) -> None:
    # Given the liaison persona with 9 approved hours toward CHIS
    persona = next(p for p in PERSONAS if p.email == "liaison@tapestry.example")
    liaison_user = persona_ensure(persona, password=PASSWORD)
    credit_entry_add(
        user_id=liaison_user.pk,
        title="Finding trusted health websites",
        provider="Network of the National Library of Medicine",
        earned_on=timezone.localdate(),
        hours=Decimal("9"),
        approved=True,
        competencies=["C3", "C4"],
    )
    liaison = visit("learning-credit", language)
    liaison.open("/")
    liaison.choose_language()
    liaison.sign_in(persona.email, step="1-sign-in")
    expect(liaison.page).to_have_url(re.compile(r"/me/$"), timeout=30_000)
    page = liaison.open("/learning/credit/")
    expect(page.get_by_role("heading", level=1)).to_have_text(liaison.t("My continuing education"))
    expect(
        page.get_by_label(
            re.compile(liaison.t("All hours: %(done)s of %(required)s").split(":")[0])
        ).first
    ).to_have_attribute("value", "9")
    liaison.check("2-ledger")

    # When she adds a class with too many hours, the error summary names the field
    page.get_by_label(liaison.label("Class title")).fill("Health literacy in the library")
    page.get_by_label(liaison.label("Provider")).fill("Medical Library Association")
    page.get_by_label(liaison.label("Date you finished it")).fill(timezone.localdate().isoformat())
    page.get_by_label(liaison.label("Hours")).fill("45")
    # USWDS draws its own check boxes: a person clicks the label.
    page.locator("label", has_text=re.compile("^C6 ")).click()
    page.locator("label", has_text=liaison.t("Approved for CHIS credit by MLA")).click()
    expect(page.get_by_label(re.compile("^C6 "))).to_be_checked()
    page.get_by_role("button", name=liaison.t("Add the class")).click()
    errors = page.locator("#form-errors")
    expect(errors).to_be_visible()
    expect(errors.get_by_role("link")).to_have_count(1)
    liaison.check("3-error")
    assert CreditEntry.objects.filter(user=liaison_user).count() == 1

    # Then with 3 hours it is added, and Level I is reached (12 hours, all approved)
    page.get_by_label(liaison.label("Hours")).fill("3")
    page.get_by_role("button", name=liaison.t("Add the class")).click()
    expect(page.get_by_text(liaison.t("The class was added to your ledger."))).to_be_visible()
    expect(
        page.get_by_text(liaison.t("You have the hours for Level %(level)s.") % {"level": "I"})
    ).to_be_visible()
    liaison.check("4-added")
    assert CreditEntry.objects.filter(user=liaison_user).count() == 2

    # And the transcript downloads as a PDF
    with page.expect_download() as download:
        page.get_by_role("link", name=liaison.t("Download my transcript (PDF)")).click()
    path = download.value.path()
    assert path is not None
    with open(path, "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"
