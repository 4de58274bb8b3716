"""A liaison applies for funding: she opens the call, starts an application, writes a section
and sees it saved as she types, adds a budget line, uploads a PDF, reviews and submits, and
gets the tracking number. In English and in Spanish; axe-core and the sideways-scroll check
run on every page at desktop and 390 px."""

import datetime
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect
from pytest_django.fixtures import Settings

from tapestry.accounts.api import Role
from tapestry.accounts.tests.factories import UserFactory
from tapestry.funding.drafts import SECTIONS_BY_KEY
from tapestry.funding.models import Application, ApplicationSection, Attachment, BudgetLine
from tapestry.funding.services import application_member_add
from tapestry.funding.states import Status
from tapestry.funding.tests.factories import (
    OpportunityFactory,
    RubricCriterionFactory,
    ScreeningItemFactory,
)
from tapestry.funding.tests.factories_applicant import PDF_BYTES, draft_make
from tapestry.network.tests.factories import OrganizationFactory

from .conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEED = {
    "en": "Many older adults in our neighborhood have no internet at home.",
    "es": "Muchos adultos mayores del barrio no tienen internet en casa.",
}


def money(amount: str) -> str:
    """An amount as the funding pages write it in both languages ("$1,250.50")."""
    return f"${Decimal(amount):,.2f}"


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_liaison_applies_and_gets_a_tracking_number(
    language: str, visit: Any, settings: Settings, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = tmp_path
    # Given Alice, liaison of a public library in Chicago, and an open call
    alice = UserFactory.create(
        email="alice@example.org",
        full_name="Alice Liaison",
        password=PASSWORD,
        roles=[Role.LIAISON],
        preferred_language=language,
    )
    OrganizationFactory.create(name="Harold Washington Library", zip_code="60605", liaison=alice)
    call = OpportunityFactory.create(
        title="Health outreach awards 2027",
        title_es="Premios de alcance en salud 2027",
        maximum_amount=Decimal("5000.00"),
        deadline=timezone.now() + datetime.timedelta(days=20),
        eligible_types=["public_library"],
    )
    ScreeningItemFactory.create(opportunity=call)
    RubricCriterionFactory.create(opportunity=call)
    call_title = call.title_in(language)

    applicant = visit("funding-applicant", language)
    page = applicant.open("/")
    applicant.choose_language()
    applicant.sign_in(alice.email, step="0-sign-in")
    expect(page.get_by_role("link", name=re.compile(r"Alice Liaison"))).to_be_visible()

    # She finds the call among the open ones and opens it
    applicant.open("/funding/")
    applicant.check("1-calls")
    page.get_by_role("link", name=call_title).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(call_title)
    applicant.check("2-call")

    # She starts an application for her library
    page.get_by_role(
        "button", name=re.compile("^" + re.escape(applicant.t("Start an application")))
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(applicant.t("Your draft application"))
    application = Application.objects.get()
    applicant.check("3-draft")

    # Title and summary, saved with the form
    page.get_by_label(applicant.label("Project title")).fill("Health fair at the library")
    page.get_by_label(applicant.label("Project summary")).fill("A Saturday health fair.")
    page.get_by_role("button", name=applicant.t("Save the title and summary")).click()
    expect(page.get_by_label(applicant.label("Project title"))).to_have_value(
        "Health fair at the library"
    )

    # She types the community need; it saves itself a moment after she stops
    need = page.get_by_label(SECTIONS_BY_KEY["need"].title_in(language), exact=True)
    need.click()
    need.press_sequentially(NEED[language], delay=5)
    saved_prefix = applicant.t("Saved at %(time)s").split("%(time)s")[0].strip()
    expect(page.locator("#section-need-status")).to_contain_text(saved_prefix, timeout=10_000)
    section = ApplicationSection.objects.get(application=application, key="need")
    assert (section.text, section.updated_by_id) == (NEED[language], alice.pk)
    applicant.check("4-autosaved")

    # A budget line
    page.get_by_label(applicant.t("Budget item, line %(number)s") % {"number": 1}).fill(
        "Blood pressure cuffs"
    )
    page.get_by_label(applicant.t("Amount in dollars, line %(number)s") % {"number": 1}).fill(
        "1250.50"
    )
    # The running total follows her typing before she saves
    expect(page.locator("#budget-total")).to_contain_text(money("1250.50"))
    page.get_by_role("button", name=applicant.t("Save the budget")).click()
    expect(
        page.get_by_text(
            applicant.t("Total: %(total)s of at most %(maximum)s.")
            % {"total": money("1250.50"), "maximum": money("5000.00")}
        )
    ).to_be_visible()
    assert [(line.description, line.amount) for line in BudgetLine.objects.all()] == [
        ("Blood pressure cuffs", Decimal("1250.50"))
    ]

    # A letter of support as a PDF
    page.get_by_label(applicant.t("Add a file")).set_input_files(
        files=[{"name": "support-letter.pdf", "mimeType": "application/pdf", "buffer": PDF_BYTES}]
    )
    page.get_by_role("button", name=applicant.t("Upload the file")).click()
    expect(page.get_by_role("link", name="support-letter.pdf")).to_be_visible()
    assert Attachment.objects.get().content_type == "application/pdf"
    applicant.check("5-budget-and-file")

    # She reviews what will be sent, with the deadline and its time zone, and submits
    page.get_by_role("link", name=applicant.t("Review and submit")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(applicant.t("Review and submit"))
    expect(page.get_by_text(NEED[language])).to_be_visible()
    expect(page.get_by_text(re.compile(r"\b(EST|EDT)\b"))).to_be_visible()
    applicant.check("6-review")
    page.get_by_role("button", name=applicant.t("Submit the application")).click()

    application.refresh_from_db()
    assert application.status == Status.SUBMITTED
    assert application.tracking_number is not None
    expect(page.get_by_role("heading", level=1)).to_have_text(applicant.t("Application submitted"))
    expect(page.get_by_text(application.tracking_number, exact=True)).to_be_visible()
    applicant.check("7-submitted")

    # Her applications list it with its status
    page.get_by_role("link", name=applicant.t("My applications")).click()
    expect(page.get_by_role("cell", name=application.tracking_number)).to_be_visible()
    applicant.check("8-my-applications")


def test_two_colleagues_editing_one_section_are_warned_instead_of_overwritten(
    visit: Any,
) -> None:
    # Given Alice's draft, on which her colleague Carmen works too
    alice = UserFactory.create(
        email="alice@example.org",
        full_name="Alice Liaison",
        password=PASSWORD,
        roles=[Role.LIAISON],
    )
    carmen = UserFactory.create(
        email="carmen@example.org", full_name="Carmen Ruiz", password=PASSWORD
    )
    library = OrganizationFactory.create(name="Harold Washington Library", liaison=alice)
    application = draft_make(liaison=alice, organization=library)
    application_member_add(actor=alice, application=application, email=carmen.email)
    draft_path = f"/funding/applications/{application.public_id}/"
    need_title = SECTIONS_BY_KEY["need"].title

    # Both open the draft
    pages = {}
    for person in (alice, carmen):
        person_visit = visit(f"funding-conflict-{person.email.split('@')[0]}", "en")
        person_visit.open("/")
        person_visit.sign_in(person.email, step="0-sign-in")
        expect(
            person_visit.page.get_by_role("link", name=re.compile(person.full_name))
        ).to_be_visible()
        person_visit.open(draft_path)
        pages[person.email] = person_visit
    alice_visit, carmen_visit = pages[alice.email], pages[carmen.email]

    # Carmen writes the community need; it is saved
    carmen_need = carmen_visit.page.get_by_label(need_title, exact=True)
    # (The whole text at once, then one key: typing slowly under load would save it in parts,
    # and a later part would be a fresh change Alice was right to be warned about again.)
    carmen_need.fill("Carmen: seniors lack internet.")
    carmen_need.press("End")
    expect(carmen_visit.page.locator("#section-need-status")).to_contain_text("Saved at")

    # Alice, whose page still holds the empty section, writes hers: she is warned, not saved
    alice_page = alice_visit.page
    alice_need = alice_page.get_by_label(need_title, exact=True)
    alice_need.fill("Alice: families need bilingual help.")
    alice_need.press("End")
    status = alice_page.locator("#section-need-status")
    expect(status).to_contain_text("Not saved: Carmen Ruiz changed this section at")
    expect(alice_page.get_by_text("Carmen: seniors lack internet.")).to_be_visible()
    section = ApplicationSection.objects.get(application=application, key="need")
    assert (section.text, section.updated_by_id) == ("Carmen: seniors lack internet.", carmen.pk)
    alice_visit.check("1-conflict")

    # She chooses to overwrite with hers
    alice_page.get_by_role("button", name="Overwrite with mine").click()
    expect(status).to_contain_text("Saved at")
    section.refresh_from_db()
    assert (section.text, section.updated_by_id, section.version) == (
        "Alice: families need bilingual help.",
        alice.pk,
        2,
    )
    alice_visit.check("2-overwritten")

    # Carmen types on from her old page: warned in turn, she keeps Alice's text
    carmen_need.fill("Carmen: seniors lack internet. More.")
    carmen_need.press("End")
    carmen_page = carmen_visit.page
    expect(carmen_page.locator("#section-need-status")).to_contain_text(
        "Not saved: Alice Liaison changed this section at"
    )
    carmen_page.get_by_role("link", name="Keep their text").click()
    expect(carmen_page.get_by_label(need_title, exact=True)).to_have_value(
        "Alice: families need bilingual help."
    )
    carmen_visit.check("3-kept-theirs")
    section.refresh_from_db()
    assert section.text == "Alice: families need bilingual help."

    # And her next words save from the version she now holds
    # (the section comes back focused, so she carries on from the keyboard)
    expect(carmen_page.get_by_label(need_title, exact=True)).to_be_focused()
    carmen_page.keyboard.press("Control+End")
    carmen_page.keyboard.insert_text(" Agreed.")
    carmen_page.keyboard.press("End")
    expect(carmen_page.locator("#section-need-status")).to_contain_text("Saved at")
    section.refresh_from_db()
    assert (section.text, section.updated_by_id, section.version) == (
        "Alice: families need bilingual help. Agreed.",
        carmen.pk,
        3,
    )
