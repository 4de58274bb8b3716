"""Funding from call to first invoice in one journey (issue 12), in English and in Spanish.

Dana of program staff publishes a call; Lucía, liaison of a Chicago library, finds it, reads
who may apply, starts an application, writes it (a section saving itself as she types), adds
a budget line and a PDF, submits it and reads the tracking number; Dana screens it against
the checklist, assigns Priya and sends it for review; Priya scores it; Dana awards it with a
reason and sets up the award with the defaults; Lucía opens the award and submits her first
invoice. Each person uses their own browser and their own interface language, and the emails
of each step reach them. Every page is scanned with axe-core at desktop and 390 px
(conftest's `check`).

In Spanish the funding sentences are being translated while this test is written: it finds
controls by their names from the catalog (the page and the test read the same one) and
asserts on data (tracking number, amounts, award and invoice numbers, the call's Spanish
title) rather than on sentences.
"""

import datetime
import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.mail import EmailMessage
from django.utils import timezone, translation
from playwright.sync_api import FilePayload, expect
from pytest_django.fixtures import Settings

from tapestry.accounts.api import PERSONAS, persona_ensure
from tapestry.accounts.models import User
from tapestry.funding.awards import default_period
from tapestry.funding.drafts import SECTIONS_BY_KEY
from tapestry.funding.models import Application, Award, Invoice
from tapestry.funding.states import Status
from tapestry.funding.tests.factories import (
    OpportunityFactory,
    RubricCriterionFactory,
    ScreeningItemFactory,
)
from tapestry.funding.tests.factories_awards import ACKNOWLEDGEMENT, ACKNOWLEDGEMENT_ES
from tapestry.network.tests.factories import OrganizationFactory

from .conftest import PASSWORD, Visit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LIBRARY = "Pilsen Community Public Library"
PROJECT = {"en": "Health fair at the library", "es": "Feria de salud en la biblioteca"}
SUMMARY = {
    "en": "A Saturday fair with blood pressure checks and a nutrition class.",
    "es": "Una feria el sábado con toma de presión y una clase de nutrición.",
}
NEED = {
    "en": "Many older adults in our neighborhood have no internet at home.",
    "es": "Muchos adultos mayores del barrio no tienen internet en casa.",
}
GREETING = {"en": "Hello {name},", "es": "Hola, {name}:"}


def letter_of_support() -> bytes:
    """A real one-page PDF (a viewer opens it), small enough to write out here."""
    text = b"BT /F1 18 Tf 72 720 Td (Letter of support from the Pilsen health council) Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(text), text),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    document = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(document))
        document += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(document)
    document += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    document += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    document += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return document


def persona(email: str, language: str) -> User:
    """A persona, signed up with the test password, reading the site and emails in `language`."""
    user = persona_ensure(next(p for p in PERSONAS if p.email == email), password=PASSWORD)
    user.preferred_language = language
    user.save(update_fields=["preferred_language"])
    return user


def signed_in(
    visit: Callable[[str, str], Visit],
    who: User,
    language: str,
    *,
    code: Callable[[], str] | None = None,
) -> Visit:
    """`who` in a browser of their own, in `language`, signed in (with the authenticator
    code when their role needs one)."""
    person = visit("funding-journey", language)
    person.open("/")
    person.choose_language()
    role = who.email.split("@")[0]
    person.sign_in(who.email, step=f"{role}-00-sign-in")
    if code is not None:
        expect(person.page).to_have_url(re.compile(r"/accounts/2fa/authenticate/$"))
        person.page.get_by_label(person.label("Code")).fill(code())
        person.page.get_by_role("button", name=person.t("Sign In")).click()
    expect(person.page).to_have_url(re.compile(r"/me/$"))
    return person


def status_label(language: str, status: Status) -> str:
    with translation.override(language):
        return str(status.label)


def mail_to(outbox: list[EmailMessage], email: str) -> list[EmailMessage]:
    return [message for message in outbox if message.to == [email]]


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_call_an_application_a_review_an_award_and_the_first_invoice(
    language: str,
    visit: Callable[[str, str], Visit],
    authenticator_code: Callable[[], str],
    mailoutbox: list[EmailMessage],
    settings: Settings,
    tmp_path: Path,
) -> None:
    settings.MEDIA_ROOT = tmp_path
    # Given Lucía, liaison of a Chicago public library; Dana of program staff; Priya, a
    # reviewer; and a call Dana drafted, not yet published, for this award year (so the
    # award's first month has begun by the time Lucía invoices)
    lucia = persona("liaison@tapestry.example", language)
    dana = persona("programstaff@tapestry.example", language)
    priya = persona("reviewer@tapestry.example", language)
    library = OrganizationFactory.create(name=LIBRARY, zip_code="60608", liaison=lucia)
    today = timezone.localdate()
    year = today.year if today.month >= 5 else today.year - 1
    call = OpportunityFactory.create(
        title="Health outreach awards",
        title_es="Premios de alcance en salud",
        eligible_types=["public_library"],
        eligibility_notes="Projects must serve people in the organization's own county.",
        eligibility_notes_es="Los proyectos deben servir a la gente del propio condado.",
        maximum_amount=Decimal("5000.00"),
        performance_start=datetime.date(year, 5, 1),
        performance_end=datetime.date(year + 1, 4, 30),
        deadline=timezone.now() + datetime.timedelta(days=20),
        published_at=None,
        created_by=dana,
    )
    item = ScreeningItemFactory.create(opportunity=call, position=1)
    criterion = RubricCriterionFactory.create(opportunity=call, position=1, points=10)
    call_title = call.title_in(language)
    checklist_item = item.text_es if language == "es" else item.text
    criterion_text = criterion.text_es if language == "es" else criterion.text

    # Dana signs in with her authenticator code and publishes the call
    staff = signed_in(visit, dana, language, code=authenticator_code)
    desk = staff.page
    staff.open("/funding/staff/")
    staff.check("staff-01-calls")
    desk.get_by_role("button", name=staff.t("Publish “%(title)s”") % {"title": call_title}).click()
    expect(desk.get_by_role("button", name=re.compile(re.escape(call_title)))).to_have_count(0)
    staff.check("staff-02-published")
    call.refresh_from_db()
    assert call.published_at is not None

    # Lucía signs in and finds it among the open calls
    liaison = signed_in(visit, lucia, language)
    page = liaison.page
    liaison.open("/funding/")
    liaison.check("liaison-01-calls")
    page.get_by_role("link", name=call_title).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(call_title)

    # She reads who may apply, and that her library may
    expect(
        page.get_by_text(call.eligibility_notes_es if language == "es" else call.eligibility_notes)
    ).to_be_visible()
    mine = page.locator("#your-organizations + ul")
    expect(mine.get_by_role("heading", level=3)).to_have_text(LIBRARY)
    expect(mine.get_by_text(liaison.t("Eligible to apply."))).to_be_visible()
    liaison.check("liaison-02-call")

    # She starts an application for her library
    mine.get_by_role(
        "button", name=re.compile("^" + re.escape(liaison.t("Start an application")))
    ).click()
    expect(page).to_have_url(re.compile(r"/funding/applications/[0-9a-f-]{36}/$"))
    application = Application.objects.get()
    assert (application.organization_id, application.status) == (library.pk, Status.DRAFT)
    liaison.check("liaison-03-draft")

    # She gives the title and summary
    page.get_by_label(liaison.label("Project title")).fill(PROJECT[language])
    page.get_by_label(liaison.label("Project summary")).fill(SUMMARY[language])
    page.get_by_role("button", name=liaison.t("Save the title and summary")).click()
    expect(page).to_have_url(re.compile(r"#project$"))
    expect(page.get_by_label(liaison.label("Project title"))).to_have_value(PROJECT[language])

    # She types the community need; it saves itself a moment after she stops
    need = page.get_by_label(SECTIONS_BY_KEY["need"].title_in(language), exact=True)
    need.click()
    need.press_sequentially(NEED[language], delay=5)
    saved = liaison.t("Saved at %(time)s").split("%(time)s")[0].strip()
    expect(page.locator("#section-need-status")).to_contain_text(saved)
    assert application.sections.get(key="need").text == NEED[language]
    liaison.check("liaison-04-autosaved")

    # A budget line: the running total follows her typing, and she saves it
    page.get_by_label(liaison.t("Budget item, line %(number)s") % {"number": 1}).fill(
        "Blood pressure cuffs"
    )
    page.get_by_label(liaison.t("Amount in dollars, line %(number)s") % {"number": 1}).fill(
        "1250.50"
    )
    expect(page.locator("#budget-total")).to_contain_text("$1,250.50")
    page.get_by_role("button", name=liaison.t("Save the budget")).click()
    expect(page).to_have_url(re.compile(r"#budget$"))
    expect(page.locator("#budget-total")).to_contain_text("$1,250.50")
    expect(page.locator("#budget-total")).to_contain_text("$5,000.00")
    # (the saved amount comes back as the form reads it, so saving again keeps it)
    expect(
        page.get_by_label(liaison.t("Amount in dollars, line %(number)s") % {"number": 1})
    ).to_have_value("1250.50")

    # And a letter of support, a real (small) PDF
    page.get_by_label(liaison.t("Add a file")).set_input_files(
        files=[
            FilePayload(
                name="support-letter.pdf", mimeType="application/pdf", buffer=letter_of_support()
            )
        ]
    )
    page.get_by_role("button", name=liaison.t("Upload the file")).click()
    expect(page.get_by_role("link", name="support-letter.pdf")).to_be_visible()
    liaison.check("liaison-05-budget-and-file")

    # She reviews what will be sent and submits it, and reads the tracking number
    page.get_by_role("link", name=liaison.t("Review and submit")).click()
    expect(page).to_have_url(re.compile(r"/submit/$"))
    expect(page.get_by_text(NEED[language])).to_be_visible()
    expect(page.get_by_text("support-letter.pdf")).to_be_visible()
    liaison.check("liaison-06-review")
    page.get_by_role("button", name=liaison.t("Submit the application")).click()
    expect(page).to_have_url(re.compile(r"/submitted/$"))
    application.refresh_from_db()
    tracking = application.tracking_number
    assert tracking == f"F{call.deadline.year}-{application.pk:06d}"
    expect(page.get_by_text(tracking, exact=True)).to_be_visible()
    liaison.check("liaison-07-submitted")
    [receipt] = mail_to(mailoutbox, lucia.email)
    assert tracking in str(receipt.subject)
    assert str(receipt.body).startswith(GREETING[language].format(name=lucia.get_full_name()))

    # Dana finds it among the call's applications and screens it against the checklist
    staff.open(f"/funding/staff/calls/{call.public_id}/applications/")
    staff.check("staff-03-applications")
    desk.get_by_role("link", name=tracking, exact=True).click()
    expect(desk.get_by_role("heading", level=1)).to_have_text(PROJECT[language])
    expect(desk.get_by_text(NEED[language])).to_be_visible()
    expect(desk.get_by_role("link", name="support-letter.pdf")).to_be_visible()
    staff.check("staff-04-application")
    # (USWDS draws its own radios: a person clicks the label.)
    desk.get_by_role("group", name=checklist_item).get_by_text(staff.t("Met"), exact=True).click()
    desk.get_by_text(staff.t("Screened: on to review"), exact=True).click()
    desk.get_by_role("button", name=staff.t("Record the screening")).click()

    # assigns Priya and sends it for review
    reviewer_field = desk.get_by_label(staff.label("Reviewer"))
    expect(reviewer_field).to_be_visible()
    expect(desk.locator("main .usa-tag").first).to_have_text(
        status_label(language, Status.SCREENED)
    )
    staff.check("staff-05-screened")
    reviewer_field.select_option(label=priya.get_full_name())
    desk.get_by_role("button", name=staff.t("Assign the reviewer")).click()
    desk.get_by_role("button", name=staff.t("Send for review")).click()
    expect(desk.locator("main .usa-tag").first).to_have_text(
        status_label(language, Status.UNDER_REVIEW)
    )
    expect(desk.locator("#review-1")).to_contain_text(priya.get_full_name())
    staff.check("staff-06-under-review")
    [assigned] = mail_to(mailoutbox, priya.email)
    assert call_title in str(assigned.subject)
    assert tracking in str(assigned.body)

    # Priya signs in, opens her queue and scores it
    reviewer = signed_in(visit, priya, language, code=authenticator_code)
    sheet = reviewer.page
    reviewer.open("/funding/review/")
    reviewer.check("reviewer-01-queue")
    sheet.get_by_role("link", name=tracking, exact=True).click()
    expect(sheet.get_by_text(NEED[language])).to_be_visible()
    reviewer.check("reviewer-02-score-sheet")
    sheet.get_by_label(reviewer.label(criterion_text)).fill("9")
    sheet.get_by_label(reviewer.label("Comments for program staff")).fill(
        "A strong plan; the cuffs will outlast the fair."
    )
    sheet.get_by_role("button", name=reviewer.t("Submit your review")).click()
    expect(sheet).to_have_url(re.compile(r"/funding/review/$"))
    expect(sheet.get_by_role("link", name=tracking, exact=True)).to_be_visible()
    reviewer.check("reviewer-03-submitted")
    assert application.assignments.get().submitted_at is not None

    # Dana reads the review and awards the application with a reason
    staff.open(f"/funding/staff/applications/{application.public_id}/")
    expect(desk.get_by_text("A strong plan; the cuffs will outlast the fair.")).to_be_visible()
    desk.get_by_role("group", name=staff.label("Decision")).get_by_text(
        staff.t("Award", context="decision"), exact=True
    ).click()
    desk.get_by_label(staff.label("Reason (the applicant reads it)")).fill(
        "Reaches older adults the network does not reach yet."
    )
    desk.get_by_role("button", name=staff.t("Record the decision")).click()
    expect(desk.locator("main .usa-tag").first).to_have_text(status_label(language, Status.AWARDED))
    trail = desk.get_by_role("region", name=staff.t("Status history"))
    expect(trail).to_contain_text("Reaches older adults the network does not reach yet.")
    staff.check("staff-07-awarded")

    # and sets up the award: the award year and the budget are filled in
    desk.get_by_role("link", name=staff.t("Set up the award")).click()
    start, end = default_period(application)
    expect(desk.get_by_label(staff.label("Amount in dollars"))).to_have_value("1250.50")
    expect(desk.get_by_label(staff.label("Period starts"))).to_have_value(start.isoformat())
    expect(desk.get_by_label(staff.label("Period ends"))).to_have_value(end.isoformat())
    staff.check("staff-08-award-form")
    desk.get_by_label(staff.label("Acknowledgement text")).fill(ACKNOWLEDGEMENT)
    desk.get_by_label(staff.label("Acknowledgement text in Spanish")).fill(ACKNOWLEDGEMENT_ES)
    desk.get_by_role("button", name=staff.t("Make the award and send the letter")).click()
    expect(desk).to_have_url(re.compile(r"/funding/awards/[0-9a-f-]{36}/$"))
    award = Award.objects.get()
    assert (award.amount, award.period_start, award.period_end) == (Decimal("1250.50"), start, end)
    expect(desk.get_by_role("heading", level=1)).to_contain_text(award.number)
    staff.check("staff-09-award")

    # Lucía heard of each step, in her language
    subjects = [str(message.subject) for message in mail_to(mailoutbox, lucia.email)]
    assert len(subjects) == 5, subjects
    assert tracking in subjects[0]
    assert all(call_title in subject for subject in subjects[1:4]), subjects
    assert award.number in subjects[4]
    for message in mail_to(mailoutbox, lucia.email):
        assert str(message.body).startswith(GREETING[language].format(name=lucia.get_full_name()))
    letter = mail_to(mailoutbox, lucia.email)[-1]
    assert "$1,250.50" in str(letter.body)
    assert (ACKNOWLEDGEMENT_ES if language == "es" else ACKNOWLEDGEMENT) in str(letter.body)

    # She opens the award from her applications
    liaison.open("/funding/applications/")
    row = page.get_by_role("row").filter(has_text=tracking)
    expect(row).to_contain_text(status_label(language, Status.AWARDED))
    liaison.check("liaison-08-my-applications")
    row.get_by_role("link", name=re.compile(re.escape(award.number))).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(award.number)
    expect(page.locator("#balance")).to_contain_text("$1,250.50")
    expect(page.locator("#acknowledgement")).to_have_text(
        ACKNOWLEDGEMENT_ES if language == "es" else ACKNOWLEDGEMENT
    )
    liaison.check("liaison-09-award")

    # The award year began on May 1, so on some days of the year its interim report is
    # already past due, and no invoice is taken until it is in: she files it first.
    for index, report in enumerate(award.reports.filter(due_on__lt=today)):
        form = page.locator(f"form[action$='/reports/{report.pk}/']")
        form.get_by_label(liaison.label("What the project did")).fill("Two fairs so far.")
        form.get_by_role("button", name=liaison.t("Submit the report")).click()
        expect(page.locator(f"form[action$='/reports/{report.pk}/']")).to_have_count(0)
        liaison.check(f"liaison-10-report-{index}")

    # She bills the month so far
    page.get_by_label(liaison.label("Month billed")).fill(today.strftime("%Y-%m"))
    page.get_by_label(liaison.label("Invoice date")).fill(today.isoformat())
    page.get_by_label(liaison.label("Amount in dollars")).fill("400.25")
    page.get_by_label(liaison.label("Costs claimed")).fill("Four blood pressure cuffs.")
    page.get_by_role("button", name=liaison.t("Submit the invoice")).click()

    # and sees it listed, submitted, and the balance down
    number = f"{award.number}-01"
    invoices = page.get_by_role("region", name=liaison.t("Invoices"))
    with translation.override(language):
        submitted = translation.pgettext("invoice", "Submitted")
    invoice_row = invoices.get_by_role("row", name=re.compile(re.escape(number)))
    expect(invoice_row).to_contain_text(submitted)
    expect(invoice_row).to_contain_text("$400.25")
    expect(page.locator("#balance")).to_contain_text("$850.25")
    liaison.check("liaison-11-invoice")
    invoice = Invoice.objects.get()
    assert (invoice.number, invoice.amount, invoice.status, invoice.billing_month) == (
        number,
        Decimal("400.25"),
        Invoice.Status.SUBMITTED,
        today.replace(day=1),
    )

    # Program staff were told of the invoice (and of any report she filed), in Dana's language
    to_dana = mail_to(mailoutbox, dana.email)
    assert to_dana, [message.to for message in mailoutbox]
    assert number in str(to_dana[-1].subject)
    assert "$400.25" in str(to_dana[-1].body)
    assert str(to_dana[-1].body).startswith(GREETING[language].format(name=dana.get_full_name()))
    everyone = {lucia.email, dana.email, priya.email}
    assert {address for message in mailoutbox for address in message.to} <= everyone
