"""An awardee opens her organization's award, reads the balance and the acknowledgement,
submits her first invoice and sees it listed with its PDF, and program staff are emailed.
In English and in Spanish; axe-core and the sideways-scroll check on every page at desktop
and 390 px."""

import datetime
import re
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone, translation
from playwright.sync_api import expect

from tapestry.accounts.api import Role
from tapestry.accounts.personas import PERSONAS, persona_ensure
from tapestry.accounts.tests.factories import UserFactory
from tapestry.funding.awards import invoice_submit, material_add, overdue_reports, report_submit
from tapestry.funding.models import Award, Invoice
from tapestry.funding.tests.factories import OpportunityFactory
from tapestry.funding.tests.factories_awards import (
    ACKNOWLEDGEMENT,
    ACKNOWLEDGEMENT_ES,
    AwardedApplicationFactory,
    award_make,
)
from tapestry.network.tests.factories import OrganizationFactory

from .conftest import PASSWORD, Visit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def dollars(amount: str) -> str:
    """An amount as the award's page writes it in both languages ("$4,000.00")."""
    return f"${Decimal(amount):,.2f}"


@pytest.mark.parametrize("language", ["en", "es"])
def test_an_awardee_submits_her_first_invoice(
    language: str, visit: Callable[[str, str], Visit]
) -> None:
    # Given Alice's library holds an award for this award year, its past reports in
    alice = UserFactory.create(
        email="alice@example.org",
        full_name="Alice Liaison",
        password=PASSWORD,
        roles=[Role.LIAISON],
        preferred_language=language,
    )
    library = OrganizationFactory.create(
        name="Alice Memorial Library", zip_code="60601", liaison=alice
    )
    paula = UserFactory.create(email="paula@example.org", roles=[Role.PROGRAM_STAFF])
    today = timezone.localdate()
    year = today.year if today.month >= 5 else today.year - 1
    award = award_make(
        liaison=alice,
        organization_id=library.pk,
        amount=Decimal("4000.00"),
        staff=paula,
        performance_start=datetime.date(year, 5, 1),
        performance_end=datetime.date(year + 1, 4, 30),
    )
    for report in overdue_reports(award):
        report_submit(actor=alice, report=report, narrative="Two fairs.", activity_report_ids=[])
    mail.outbox.clear()

    # Alice signs in and opens her awards
    awardee = visit("funding-awards", language)
    page = awardee.open("/")
    awardee.choose_language()
    awardee.sign_in("alice@example.org", step="1-sign-in")
    expect(page.get_by_role("link", name=re.compile(r"Alice Liaison"))).to_be_visible()
    awardee.open("/funding/awards/")
    awardee.check("2-my-awards")

    # She opens the award: the amount, the whole balance, the acknowledgement in her language
    page.get_by_role("link", name=award.number).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(award.number)
    expect(page.locator("#balance")).to_contain_text(dollars("4000.00"))
    acknowledgement = ACKNOWLEDGEMENT_ES if language == "es" else ACKNOWLEDGEMENT
    expect(page.locator("#acknowledgement")).to_have_text(acknowledgement)
    expect(page.get_by_text(awardee.t("No invoices yet."))).to_be_visible()
    awardee.check("3-award")

    # She bills the month so far
    page.get_by_label(awardee.label("Month billed")).fill(today.strftime("%Y-%m"))
    page.get_by_label(awardee.label("Invoice date")).fill(today.isoformat())
    page.get_by_label(awardee.label("Amount in dollars")).fill("1200.50")
    page.get_by_label(awardee.label("Costs claimed")).fill("Screening supplies and an interpreter.")
    page.get_by_role("button", name=awardee.t("Submit the invoice")).click()

    # and sees it listed, submitted, with its PDF, and the balance down
    number = f"{award.number}-01"
    invoices = page.get_by_role("region", name=awardee.t("Invoices"))
    with translation.override(language):
        submitted = translation.pgettext("invoice", "Submitted")
    expect(invoices.get_by_role("row", name=re.compile(number))).to_contain_text(submitted)
    expect(page.locator("#balance")).to_contain_text(dollars("2799.50"))
    awardee.check("4-invoice-listed")
    pdf = invoices.get_by_role("link", name=re.compile(number))
    with page.expect_download() as download:
        pdf.click()
    assert download.value.suggested_filename == f"invoice-{number}.pdf"

    invoice = Invoice.objects.get()
    assert (invoice.number, invoice.amount, invoice.billing_month) == (
        number,
        Decimal("1200.50"),
        today.replace(day=1),
    )
    assert [message.to for message in mail.outbox] == [["paula@example.org"]]


def test_program_staff_make_an_award_and_approve_its_first_invoice(
    visit: Callable[[str, str], Visit], authenticator_code: Callable[[], str]
) -> None:
    # Given Dana of program staff, and Alice's library whose application was awarded
    dana = persona_ensure(
        next(p for p in PERSONAS if p.email == "programstaff@tapestry.example"), password=PASSWORD
    )
    alice = UserFactory.create(email="alice@example.org", roles=[Role.LIAISON])
    library = OrganizationFactory.create(name="Alice Memorial Library", zip_code="60601")
    today = timezone.localdate()
    year = today.year if today.month >= 5 else today.year - 1
    application = AwardedApplicationFactory.create(
        organization_id=library.pk,
        created_by=alice,
        opportunity=OpportunityFactory.create(
            performance_start=datetime.date(year, 5, 1),
            performance_end=datetime.date(year + 1, 4, 30),
        ),
    )

    # Dana signs in with her authenticator code and opens the award form: the award year
    # and the budget are filled in
    staff = visit("funding-awards-staff", "en")
    page = staff.open("/")
    staff.sign_in(dana.email, step="1-sign-in")
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/$"))
    page.get_by_label(staff.label("Code")).fill(authenticator_code())
    page.get_by_role("button", name=staff.t("Sign In")).click()
    expect(page).to_have_url(re.compile(r"/me/$"))
    staff.open(f"/funding/staff/applications/{application.public_id}/award/")
    expect(page.get_by_label(staff.label("Period starts"))).to_have_value(f"{year}-05-01")
    expect(page.get_by_label(staff.label("Period ends"))).to_have_value(f"{year + 1}-04-30")
    expect(page.get_by_label(staff.label("Amount in dollars"))).to_have_value("4000.00")
    staff.check("2-award-form")
    page.get_by_label(staff.label("Acknowledgement text")).first.fill(ACKNOWLEDGEMENT)
    page.get_by_role("button", name=staff.t("Make the award and send the letter")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Award A")

    # Alice invoices and lists a flyer without the acknowledgement
    award = Award.objects.get()
    for report in overdue_reports(award):
        report_submit(actor=alice, report=report, narrative="Two fairs.", activity_report_ids=[])
    invoice = invoice_submit(
        actor=alice,
        award=award,
        billing_month=today,
        invoice_date=today,
        amount=Decimal("500.00"),
        description="Flyers.",
    )
    material_add(actor=alice, award=award, title="Fair flyer", url="", text="Come to the fair!")

    # Dana sees the flyer flagged and approves the invoice
    page.reload()
    expect(page.get_by_text(staff.t("Acknowledgement missing"))).to_be_visible()
    staff.check("3-award-to-decide")
    page.get_by_label(staff.label("Decision")).select_option("approved")
    page.get_by_role("button", name=staff.t("Save the decision")).click()
    expect(page.get_by_text(staff.t("Decision saved; the awardee was emailed."))).to_be_visible()
    staff.check("4-approved")
    invoice.refresh_from_db()
    assert invoice.status == "approved"
