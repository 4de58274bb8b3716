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
from django.template import Context, Template
from django.utils import timezone, translation
from playwright.sync_api import expect

from tapestry.accounts.api import Role
from tapestry.accounts.tests.factories import UserFactory
from tapestry.funding.awards import overdue_reports, report_submit
from tapestry.funding.models import Invoice
from tapestry.funding.tests.factories_awards import ACKNOWLEDGEMENT, ACKNOWLEDGEMENT_ES, award_make
from tapestry.network.tests.factories import OrganizationFactory

from .conftest import PASSWORD, Visit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def dollars(amount: str, language: str) -> str:
    """An amount as the award's page writes it in `language` ($4,000.00 or $4 000,00)."""
    with translation.override(language):
        return "$" + Template('{{ amount|floatformat:"2g" }}').render(
            Context({"amount": Decimal(amount)})
        )


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
    expect(page.locator("#balance")).to_contain_text(dollars("4000.00", language))
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
    expect(page.locator("#balance")).to_contain_text(dollars("2799.50", language))
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
