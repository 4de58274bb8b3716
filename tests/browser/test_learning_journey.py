"""A librarian takes a course (enrolls, reads both lessons, fails the quiz once, then passes),
downloads her certificate, and a visitor, in Spanish, verifies it by its code."""

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tapestry.accounts.api import Role
from tapestry.accounts.personas import PERSONAS, persona_ensure
from tapestry.accounts.tests.factories import UserFactory
from tapestry.learning.models import Certificate
from tapestry.learning.tests.factories import course_finish, course_make
from tapestry.learning.tests.pdf import pdf_inflated

from .conftest import PASSWORD

# Real transactions, so the live server's thread sees what the test writes (and vice versa).
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _choose(page: Page, answer: str) -> None:
    """Tick an answer by its label, as a person does: USWDS draws its own radio buttons and
    checkboxes and keeps the real inputs out of sight."""
    page.locator("label").filter(has_text=re.compile(rf"^\s*{re.escape(answer)}\s*$")).click()
    expect(page.get_by_label(answer, exact=True)).to_be_checked()


def test_a_librarian_takes_a_course_and_a_visitor_verifies_her_certificate(visit: Any) -> None:
    # Given a published course of two lessons and a quiz, and Alice, a librarian
    course_make()
    UserFactory.create(
        email="alice@example.org",
        full_name="Alice Liaison",
        password=PASSWORD,
        roles=[Role.LIAISON],
    )
    librarian = visit("learning-journey", "en")
    # The server's first request loads the whole URL map, which can take longer than a page
    # is given on a cold machine; wait for it once.
    librarian.page.goto(librarian.base_url + "/healthz", timeout=60_000)
    page = librarian.open("/")
    librarian.sign_in("alice@example.org", step="1-sign-in")
    expect(page.get_by_role("link", name=re.compile(r"Alice Liaison"))).to_be_visible()

    # She finds the course in the catalog and enrolls
    librarian.open("/learning/")
    librarian.check("2-catalog")
    page.get_by_role("link", name="Privacy basics").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Privacy basics")
    librarian.check("3-course")
    page.get_by_role("button", name=re.compile(r"^\s*enroll?\s*$", re.IGNORECASE)).click()
    librarian.check("4-enrolled")

    # She reads both lessons, from the course's outline
    page.get_by_role("link", name=re.compile(r"What is private")).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("What is private")
    expect(page.get_by_text("Names are private.")).to_be_visible()
    librarian.check("5-lesson-1")
    page.get_by_role("link", name=re.compile(r"Who may see data")).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Who may see data")
    librarian.check("6-lesson-2")

    # She takes the quiz and gets it wrong
    page.get_by_role("link", name=re.compile(r"Check what you learned")).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check what you learned")
    librarian.check("7-quiz")
    _choose(page, "No")
    _choose(page, "Favourite colour")
    page.get_by_role("button", name=re.compile(r"submit", re.IGNORECASE)).click()
    expect(page.get_by_text(re.compile(r"0\s?%"))).not_to_have_count(0)
    expect(page.get_by_role("link", name=re.compile(r"certificate", re.IGNORECASE))).to_have_count(
        0
    )
    librarian.check("8-quiz-failed")

    # She tries again and gets it right: the course is complete, with a certificate
    page.get_by_role("link", name=re.compile(r"try again", re.IGNORECASE)).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check what you learned")
    _choose(page, "Yes")
    _choose(page, "Email address")
    _choose(page, "Phone number")
    page.get_by_role("button", name=re.compile(r"submit", re.IGNORECASE)).click()
    expect(page.get_by_text(re.compile(r"100\s?%"))).not_to_have_count(0)
    librarian.check("9-quiz-passed")
    verify_link = page.get_by_role("link", name=re.compile(r"verify", re.IGNORECASE)).first
    code = (verify_link.get_attribute("href") or "").rstrip("/").rsplit("/", 1)[-1]
    assert code == Certificate.objects.get().code

    # She downloads the certificate: a PDF that links to its verification page
    with page.expect_download() as download_info:
        page.get_by_role("link", name=re.compile(r"PDF")).first.click()
    download = download_info.value
    assert download.suggested_filename == f"certificate-{code}.pdf"
    pdf = Path(download.path()).read_bytes()
    assert pdf.startswith(b"%PDF-")
    assert f"/learning/verify/{code}/".encode() in pdf_inflated(pdf)

    # A visitor who reads Spanish types the code on the verification page
    visitor = visit("learning-journey", "es")
    page = visitor.open("/learning/verify/")
    visitor.choose_language()
    visitor.check("10-verify-form")
    page.get_by_label(visitor.label("Verification code")).fill(code.lower())
    page.get_by_role("button", name=visitor.t("Verify"), exact=True).click()

    # and reads that it is valid: who completed which course, here in Tapestry
    expect(page.get_by_role("heading", name=visitor.t("Valid"), exact=True)).to_be_visible()
    expect(page.locator("dl")).to_contain_text("Alice Liaison")
    expect(page.locator("dl")).to_contain_text("Privacy basics")
    expect(page.locator("dl")).to_contain_text(visitor.t("Completed in Tapestry"))
    visitor.check("11-verified")


def test_program_staff_revoke_a_certificate_and_the_verification_page_says_so(
    visit: Any, authenticator_code: Callable[[], str]
) -> None:
    # Given Alice's certificate and the program staff persona with an authenticator
    alice = UserFactory.create(email="alice@example.org", full_name="Alice Liaison")
    certificate = course_finish(user_id=alice.pk, course=course_make()).certificate
    staff = next(person for person in PERSONAS if person.email == "programstaff@tapestry.example")
    persona_ensure(staff, password=PASSWORD)

    # When staff sign in with their code and open the certificate's revoke page
    reviewer = visit("learning-revoke", "en")
    reviewer.page.goto(reviewer.base_url + "/healthz", timeout=60_000)  # see above
    page = reviewer.open("/")
    reviewer.sign_in(staff.email, step="1-sign-in")
    page.get_by_label(reviewer.label("Code")).fill(authenticator_code())
    page.get_by_role("button", name=reviewer.t("Sign In")).click()
    expect(page).to_have_url(re.compile(r"/me/$"))
    reviewer.open(f"/learning/staff/certificates/{certificate.pk}/revoke/")
    expect(page.locator("dl")).to_contain_text("Alice Liaison")
    reviewer.check("2-revoke")

    # A revocation without a reason is refused, the error summary leading to the field
    revoke = page.get_by_role("button", name=reviewer.t("Revoke the certificate"))
    page.get_by_label(reviewer.label("Reason for revoking")).fill("  ")
    revoke.click()
    expect(page.locator("#form-errors")).to_be_visible()
    reviewer.check("3-revoke-refused")

    # With a reason, the certificate is revoked
    page.get_by_label(reviewer.label("Reason for revoking")).fill("The quiz was taken by another")
    revoke.click()
    expect(page.get_by_role("heading", name=reviewer.t("Revoked"), exact=True)).to_be_visible()
    reviewer.check("4-revoked")

    # and a visitor reads, in Spanish, that it no longer counts (and not why)
    visitor = visit("learning-revoke", "es")
    page = visitor.open("/learning/verify/")
    visitor.choose_language()
    page.get_by_label(visitor.label("Verification code")).fill(certificate.code)
    page.get_by_role("button", name=visitor.t("Verify"), exact=True).click()
    expect(page.get_by_role("heading", name=visitor.t("Revoked"), exact=True)).to_be_visible()
    expect(page.locator("main")).not_to_contain_text("taken by another")
    visitor.check("5-verified-revoked")
