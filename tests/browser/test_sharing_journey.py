"""A public library requests an article for a patron, on a phone; a medical library's liaison
fills it with a PDF at her desk; the public library downloads it; both see the charge on their
monthly statements. In English and in Spanish, every page scanned with axe-core at desktop and
phone width."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tapestry.accounts.api import PERSONAS, Role, persona_ensure
from tapestry.accounts.tests.factories import UserFactory
from tapestry.network.tests.factories import OrganizationFactory
from tapestry.sharing.models import Charge, Delivery, Request
from tapestry.sharing.tests.factories import LendingPolicyFactory, serial_holding

from .conftest import PASSWORD, VIEWPORTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_public_library_gets_an_article_from_a_medical_library(
    language: str,
    visit: Any,
    settings: Any,
    tmp_path: Any,
    authenticator_code: Callable[[], str],
) -> None:
    # Given Lucía, liaison of a Chicago public library, and Grace, liaison of a medical library
    # that holds Nature and lends to the network for $8
    settings.MEDIA_ROOT = tmp_path
    lucia = persona_ensure(
        next(p for p in PERSONAS if p.email.startswith("liaison")), password=PASSWORD
    )
    pilsen = OrganizationFactory.create(
        name="Pilsen Community Public Library",
        zip_code="60608",
        org_type="public_library",
        liaison=lucia,
        liaison_name=lucia.full_name,
        liaison_email=lucia.email,
    )
    grace = UserFactory.create(
        email="grace@galter.example",
        full_name="Grace Liu",
        roles=[Role.LIAISON],
        preferred_language=language,
        password=PASSWORD,
    )
    galter = OrganizationFactory.create(
        name="Galter Health Sciences Library",
        zip_code="60611",
        org_type="academic_library",
        liaison=grace,
        liaison_name=grace.full_name,
        liaison_email=grace.email,
    )
    LendingPolicyFactory.create(organization_id=galter.pk, fee_cents=800)
    serial_holding(galter)
    needed_by = timezone.localdate() + datetime.timedelta(days=10)

    # When Lucía, on her phone, requests an article for her patron
    borrower = visit("sharing-borrower", language)
    page = borrower.page
    borrower.open("/")
    borrower.choose_language()
    borrower.sign_in(lucia.email, step="1-sign-in")
    expect(page).to_have_url(re.compile(r"/me/$"), timeout=30_000)
    page.set_viewport_size(VIEWPORTS["phone"])
    borrower.open("/sharing/")
    expect(page.get_by_role("heading", level=1)).to_have_text(borrower.t("Resource sharing"))
    borrower.check("2-home")
    page.get_by_role("link", name=borrower.t("Request an article or a book")).click()
    borrower.check("3-form")
    page.get_by_label(borrower.label("Article or book title")).fill(
        "Gut microbes and the immune system"
    )
    page.get_by_label(borrower.label("Journal")).fill("Nature")
    page.get_by_label(borrower.label("ISSN")).fill("0028-0836")
    page.get_by_label(borrower.label("Year")).fill("2024")
    page.get_by_label(borrower.label("Volume")).fill("625")
    page.get_by_label(borrower.label("Needed by")).fill(needed_by.isoformat())
    page.get_by_label(borrower.label("Your reference for the patron (optional)")).fill("P-114")
    # (USWDS draws its own radios: a person clicks the label.)
    page.get_by_text(borrower.t("Complies with the CONTU guidelines (CCG)"), exact=True).click()
    page.get_by_role("button", name=borrower.t("Send the request")).click()

    # Then the request page says which library has it
    request = Request.objects.get()
    expect(page.get_by_role("heading", level=1)).to_contain_text(request.reference)
    expect(page.get_by_role("table")).to_contain_text("Galter Health Sciences Library")
    expect(page.get_by_role("table")).to_contain_text("$8.00")
    borrower.check("4-sent")

    # When Grace opens her queue and fills it with the scanned PDF
    lender = visit("sharing-lender", language)
    page = lender.page
    lender.open("/")
    lender.choose_language()
    lender.sign_in(grace.email, step="1-sign-in")
    expect(page).to_have_url(re.compile(r"/me/$"), timeout=30_000)
    lender.open(f"/sharing/library/{galter.pk}/lending/")
    expect(page.get_by_role("heading", level=1)).to_have_text(lender.t("Requests to answer"))
    lender.check("2-queue")
    page.get_by_role("link", name=request.reference).click()
    expect(page.get_by_role("main")).not_to_contain_text("P-114")
    lender.check("3-request")
    page.get_by_text(lender.t("Secure electronic delivery"), exact=True).click()
    page.get_by_label(lender.label("The PDF (for secure electronic delivery)")).set_input_files(
        {"name": "rivera-2024.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    page.get_by_role("button", name=lender.t("Fill the request")).click()
    expect(page.locator(".usa-alert--success")).to_contain_text(
        lender.t("Filled. The borrowing library is told, and charged your fee.")
    )
    lender.check("4-filled")
    assert (Charge.objects.get().amount_cents, Request.objects.get().status) == (800, "filled")

    # Then Grace's statement shows what Pilsen owes her
    month = timezone.localdate().strftime("%Y-%m")
    lender.open(f"/sharing/library/{galter.pk}/statements/?month={month}")
    expect(page.get_by_role("main")).to_contain_text("Pilsen Community Public Library")
    expect(page.get_by_role("main")).to_contain_text("$8.00")
    lender.check("5-statement")

    # When Lucía opens her request and downloads the article
    page = borrower.page
    borrower.open(f"/sharing/library/{pilsen.pk}/requests/{request.pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text(borrower.t("Filled"))
    borrower.check("5-filled")
    with page.expect_download() as download:
        page.get_by_role("link", name=borrower.t("Download the PDF")).click()
    assert download.value.suggested_filename == f"{request.reference}.pdf"
    assert Delivery.objects.get().downloads == 1

    # Then her statement shows what she owes Galter
    borrower.open(f"/sharing/library/{pilsen.pk}/statements/?month={month}")
    expect(page.get_by_role("main")).to_contain_text("Galter Health Sciences Library")
    expect(page.get_by_role("main")).to_contain_text("$8.00")
    borrower.check("6-statement")

    # And the rest of a library's pages pass the same checks: its figures, patrons, holdings
    # (the list, a new one, the CSV import), lending policy, closures, preferred lenders
    for step, path in [
        ("7-figures", "figures/"),
        ("8-patrons", "patrons/"),
        ("9-holdings", "holdings/"),
        ("10-holding-new", "holdings/new/"),
        ("11-import", "holdings/import/"),
        ("12-policy", "policy/"),
        ("13-closures", "closures/"),
        ("14-preferred", "preferred/"),
    ]:
        borrower.open(f"/sharing/library/{pilsen.pk}/{path}")
        borrower.check(step)
    lender.open(f"/sharing/library/{galter.pk}/holdings/")
    expect(lender.page.get_by_role("main")).to_contain_text("0028-0836")
    lender.check("6-holdings")

    # Dana, program staff, reads the network's figures after her second factor
    dana = persona_ensure(
        next(p for p in PERSONAS if p.email.startswith("programstaff")), password=PASSWORD
    )
    staff = visit("sharing-staff", language)
    page = staff.page
    staff.open("/")
    staff.choose_language()
    staff.sign_in(dana.email, step="1-sign-in")
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/$"))
    page.get_by_label(staff.label("Code")).fill(authenticator_code())
    page.get_by_role("button", name=staff.t("Sign In")).click()
    expect(page).to_have_url(re.compile(r"/me/$"))
    staff.open("/sharing/network/")
    expect(page.get_by_role("main")).to_contain_text("Galter Health Sciences Library")
    staff.check("2-network")
