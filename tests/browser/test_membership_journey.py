"""A library joins the network and a visitor finds it, in real Chromium, in English and Spanish.

Lucía (the liaison persona) applies for her organization, Samuel (the engagement specialist
for the region) signs in with his password and an authenticator code and approves it, and a
visitor with no account finds the new member from the home page by ZIP code. Every page is
scanned with axe-core and photographed (see conftest.Visit.check).
"""

import datetime
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.mail import EmailMessage
from django.utils import formats, timezone, translation
from playwright.sync_api import expect

from tapestry.accounts.models import User
from tapestry.network import selectors
from tapestry.network.models import (
    MembershipApplication,
    Organization,
    RegionSpecialist,
    StateTerritory,
)
from tapestry.network.services import membership_application_submit
from tests.browser.conftest import PASSWORD, VIEWPORTS, Network

# Real transactions, so the live server's thread sees what the test writes (and vice versa).
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# One organization per language, each in a city where the demo data has neighbours, so the
# "near me" results show the new member first and others after it.
APPLICATIONS: dict[str, dict[str, Any]] = {
    "en": {
        "name": "Sweet Auburn Health Sciences Library",
        "org_type": "Hospital library",
        "address_line1": "80 Jesse Hill Jr Drive SE",
        "city": "Atlanta",
        "state": "Georgia",
        "state_code": "GA",
        "zip_code": "30303",
        "phone": "(404) 555-0142",
        "website": "https://example.org/sweet-auburn-library",
        "liaison_name": "Lucía Ramírez",
        "services": {"Reference": ["The public", "Affiliated users"]},
    },
    "es": {
        "name": "Biblioteca Comunitaria de Salud La Raza",
        "org_type": "Public library",
        "address_line1": "1550 Federal Boulevard",
        "city": "Denver",
        "state": "Colorado",
        "state_code": "CO",
        "zip_code": "80202",
        "phone": "(303) 555-0199",
        "website": "https://example.org/biblioteca-la-raza",
        "liaison_name": "Lucía Ramírez",
        "services": {"Internet training": ["The public"]},
    },
}
README_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
README_SCREENSHOT_NAMES = {"en": "directory.png", "es": "directory-es.png"}
ZERO_MILES = {"en": "0.0", "es": "0,0"}  # as each language writes decimals
DISTANCE = re.compile(r"(\d+(?:[.,]\d+)?)")


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_library_applies_is_approved_and_is_found_near_its_zip_code(
    language: str,
    network: Network,
    visit: Any,
    authenticator_code: Callable[[], str],
    mailoutbox: list[EmailMessage],
) -> None:
    # Given the specialist covers the region of the state the library is in
    application = APPLICATIONS[language]
    region = selectors.region_for_state(state_code=application["state_code"])
    assert region is not None
    RegionSpecialist.objects.create(user=network.specialist, region=region)

    # When the liaison signs in and applies
    liaison = visit("liaison", language)
    page = liaison.open("/")
    liaison.choose_language()
    liaison.check("1-home")
    liaison.sign_in(network.liaison_email, step="2-sign-in")
    expect(page).to_have_url(re.compile(r"/me/$"))
    liaison.check("3-dashboard")
    page.get_by_role("navigation", name=liaison.t("Main")).get_by_role(
        "link", name=liaison.t("Join the network")
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(liaison.t("Join the network"))
    liaison.check("4-join")
    page.get_by_label(liaison.label("organization name")).fill(application["name"])
    page.get_by_label(liaison.label("type")).select_option(label=liaison.t(application["org_type"]))
    page.get_by_label(liaison.label("street address")).fill(application["address_line1"])
    page.get_by_label(liaison.label("city")).fill(application["city"])
    page.get_by_label(liaison.label("state")).select_option(label=application["state"])
    page.get_by_label(liaison.label("ZIP code")).fill(application["zip_code"])
    page.get_by_label(liaison.label("phone")).fill(application["phone"])
    page.get_by_label(liaison.label("website")).fill(application["website"])
    page.get_by_label(liaison.label("liaison name")).fill(application["liaison_name"])
    page.get_by_label(liaison.label("liaison email")).fill(network.liaison_email)
    for service, audiences in application["services"].items():
        group = page.get_by_role("group", name=liaison.t(service), exact=True)
        for audience in audiences:
            # USWDS draws its own box on the label and hides the native one off-screen.
            group.get_by_text(liaison.t(audience), exact=True).click()
            expect(group.get_by_label(liaison.t(audience), exact=True)).to_be_checked()
    liaison.check("5-join-filled")
    page.get_by_role("button", name=liaison.t("Send application")).click()

    # Then the application is on "My applications", waiting for the region's specialist
    expect(page).to_have_url(re.compile(r"/network/my-applications/$"))
    expect(page.get_by_role("status")).to_contain_text(
        liaison.t(
            "Thank you. Your application was sent to your region's engagement specialists, "
            "and we emailed you a receipt."
        )
    )
    row = page.get_by_role("row").filter(has_text=application["name"])
    expect(row).to_contain_text(liaison.t("Waiting for review"))
    liaison.check("6-my-applications")
    submitted = MembershipApplication.objects.get(name=application["name"])
    assert submitted.status == MembershipApplication.Status.PENDING
    assert submitted.region == region
    # The specialist is told, and Lucía gets a receipt (her liaison email is her own verified
    # address, so no confirmation link goes out).
    assert [message.to for message in mailoutbox] == [
        [network.specialist.email],
        [network.liaison_email],
    ]

    # When the specialist signs in with password and authenticator code and approves it
    specialist = visit("specialist", language)
    page = specialist.open("/")
    specialist.choose_language()
    specialist.sign_in(network.specialist.email, step="1-sign-in")
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/$"))
    specialist.check("2-two-factor")
    page.get_by_label(specialist.label("Code")).fill(authenticator_code())
    page.get_by_role("button", name=specialist.t("Sign In")).click()
    expect(page).to_have_url(re.compile(r"/me/$"))
    specialist.check("3-dashboard")
    page.get_by_role("link", name=specialist.t("Open the queue")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(specialist.t("Specialist work queue"))
    specialist.check("4-queue")
    page.get_by_role("row").filter(has_text=application["name"]).get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(application["name"])
    specialist.check("5-application")
    page.get_by_text(specialist.t("Approve"), exact=True).click()
    expect(page.get_by_label(specialist.t("Approve"), exact=True)).to_be_checked()
    page.get_by_role("button", name=specialist.t("Save decision")).click()

    # Then the decision is saved, the applicant is told, and the member exists
    expect(page.get_by_role("status")).to_contain_text(
        specialist.t("Decision saved and the applicant was emailed.")
    )
    expect(
        page.get_by_text(specialist.t("No applications are waiting. Nice work."))
    ).to_be_visible()
    specialist.check("6-decided")
    submitted.refresh_from_db()
    assert submitted.status == MembershipApplication.Status.APPROVED
    assert submitted.decided_by == network.specialist
    member = Organization.objects.get(name=application["name"])
    assert member.liaison is not None and member.liaison.email == network.liaison_email
    assert mailoutbox[-1].to == [network.liaison_email]

    # When a visitor with no account looks for a library near the ZIP code from the home page
    visitor = visit("visitor", language)
    page = visitor.open("/")
    visitor.choose_language()
    page.get_by_role("searchbox", name=visitor.t("Your ZIP code")).fill(application["zip_code"])
    page.get_by_role("button", name=visitor.t("Find a library near me")).click()

    # Then the members within reach are listed nearest first, the new member at the top
    expect(page).to_have_url(re.compile(rf"/network/\?near={application['zip_code']}$"))
    results = page.locator("#results .usa-collection__item")
    expect(results.first.get_by_role("heading")).to_have_text(application["name"])
    distances = [
        float(match.group(1).replace(",", "."))
        for text in page.locator("#results .tapestry-distance").all_inner_texts()
        if (match := DISTANCE.search(text))
    ]
    assert len(distances) > 1
    assert distances == sorted(distances)
    assert distances[0] == 0
    expect(page.locator("#results .tapestry-distance").first).to_have_text(
        visitor.t("%(miles)s miles away") % {"miles": ZERO_MILES[language]}
    )
    screenshot = visitor.check("1-directory-near-zip")
    README_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(screenshot, README_SCREENSHOTS / README_SCREENSHOT_NAMES[language])

    # And the new member's page shows its address and services
    results.first.get_by_role("link", name=application["name"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(application["name"])
    expect(page.locator("address")).to_contain_text(application["zip_code"])
    for service in application["services"]:
        expect(page.get_by_role("rowheader", name=visitor.t(service))).to_be_visible()
    visitor.check("2-organization")


# The join journey of a newcomer: explanation, sign-up, email confirmation, the kept draft.

NEWCOMER = {
    "en": {
        "email": "nora.newcomer@example.org",
        "name": "Library -- Main Campus",
        "org_type": "Public library",
        "address_line1": "1703 Orrington Ave",
        "city": "Evanston",
        "state": "Illinois",
        "zip_code": "60201",
        "phone": "(847) 555-0100 ext. 12",
        "website": "example.org/byl",
        "liaison_name": "Nora Newcomer",
    },
    "es": {
        "email": "nora.recien@example.org",
        "name": "Biblioteca Pública -- Sede Central",
        "org_type": "Public library",
        "address_line1": "1550 Federal Boulevard",
        "city": "Denver",
        "state": "Colorado",
        "zip_code": "80202",
        "phone": "(303) 555-0199 ext. 4",
        "website": "example.org/biblioteca",
        "liaison_name": "Nora Recién",
    },
}
CONFIRMATION_LINK = re.compile(r"https?://\S+(/accounts/confirm-email/\S+/)")


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
@pytest.mark.parametrize("language", ["en", "es"])
def test_a_newcomer_fills_the_form_signs_up_and_finds_the_form_again(
    language: str, viewport: str, visit: Any, mailoutbox: list[Any]
) -> None:
    newcomer = NEWCOMER[language]
    region = selectors.region_for_state(state_code="IL" if language == "en" else "CO")
    assert region is not None
    nora = visit(f"newcomer-{viewport}", language)
    page = nora.page

    # Given a visitor with no account follows "Apply to join" from the home page
    nora.open("/")
    nora.choose_language()  # the switcher sits in the menu, which a phone folds away
    page.set_viewport_size(VIEWPORTS[viewport])
    page.get_by_role("link", name=nora.t("Apply to join")).click()

    # Then the page explains why an account is needed and what happens next
    expect(page.get_by_role("heading", level=1)).to_have_text(nora.t("Join the network"))
    expect(page.get_by_role("heading", name=nora.t("You need an account to apply"))).to_be_visible()
    expect(page.get_by_text(nora.t("Confirm your email in this browser"))).to_be_visible()
    nora.check("1-join-explained")

    # When she fills in the form and continues to create an account
    page.get_by_label(nora.label("organization name")).fill(newcomer["name"])
    page.get_by_label(nora.label("type")).select_option(label=nora.t(newcomer["org_type"]))
    page.get_by_label(nora.label("street address")).fill(newcomer["address_line1"])
    page.get_by_label(nora.label("city")).fill(newcomer["city"])
    page.get_by_label(nora.label("state")).select_option(label=newcomer["state"])
    page.get_by_label(nora.label("ZIP code")).fill(newcomer["zip_code"])
    page.get_by_label(nora.label("phone")).fill(newcomer["phone"])
    page.get_by_label(nora.label("website")).fill(newcomer["website"])
    page.get_by_label(nora.label("liaison name")).fill(newcomer["liaison_name"])
    page.get_by_label(nora.label("liaison email")).fill(newcomer["email"])
    group = page.get_by_role("group", name=nora.t("Reference"), exact=True)
    group.get_by_text(nora.t("The public"), exact=True).click()
    page.get_by_role("button", name=nora.t("Continue: create an account")).click()

    # And signs up
    expect(page).to_have_url(re.compile(r"/accounts/signup/\?next=%2Fnetwork%2Fjoin%2F$"))
    expect(
        page.get_by_role("status").filter(
            has_text=nora.t(
                "We kept what you typed in the join form. Once you are signed in, with your "
                "email confirmed, we bring you back to it to send your application."
            )
        )
    ).to_be_visible()
    nora.check("2-sign-up")
    page.get_by_label(nora.label("Your name")).fill(newcomer["liaison_name"])
    page.get_by_label(nora.label("Email")).fill(newcomer["email"])
    page.get_by_label(nora.label("Password")).fill(PASSWORD)
    page.get_by_label(nora.label("Password (again)")).fill(PASSWORD)
    page.get_by_role("button", name=nora.t("Sign Up")).click()
    expect(page).to_have_url(re.compile(r"/accounts/confirm-email/$"))
    nora.check("3-check-your-email")

    # And follows the link in the confirmation email, in the same browser
    verification = mailoutbox[-1]
    assert verification.to == [newcomer["email"]]
    link = CONFIRMATION_LINK.search(verification.body)
    assert link is not None, verification.body
    nora.open(link.group(1))
    nora.check("4-confirm-email")
    page.get_by_role("button", name=nora.t("Confirm")).click()

    # Then she is signed in and back on the form, with what she typed
    expect(page).to_have_url(re.compile(r"/network/join/$"))
    expect(
        page.get_by_role("status").filter(
            has_text=nora.t(
                "We kept what you typed before you signed in. Check it and send your application."
            )
        )
    ).to_be_visible()
    expect(page.get_by_label(nora.label("organization name"))).to_have_value(newcomer["name"])
    expect(page.get_by_label(nora.label("phone"))).to_have_value(newcomer["phone"])
    expect(page.get_by_label(nora.label("website"))).to_have_value(newcomer["website"])
    expect(
        page.get_by_role("group", name=nora.t("Reference"), exact=True).get_by_label(
            nora.t("The public"), exact=True
        )
    ).to_be_checked()
    nora.check("5-form-restored")

    # When she sends it
    page.get_by_role("button", name=nora.t("Send application")).click()

    # Then the application is recorded and she gets a receipt in her language
    expect(page).to_have_url(re.compile(r"/network/my-applications/$"))
    expect(page.get_by_role("status")).to_contain_text(
        nora.t(
            "Thank you. Your application was sent to your region's engagement specialists, "
            "and we emailed you a receipt."
        )
    )
    nora.check("6-applied")
    application = MembershipApplication.objects.get(name=newcomer["name"])
    assert (application.website, application.phone, application.region) == (
        "https://" + newcomer["website"],
        newcomer["phone"],
        region,
    )
    assert application.liaison_email_confirmed_at is not None  # her own, just verified
    receipt = mailoutbox[-1]
    with translation.override(language):
        expected_subject = translation.gettext("We received your application for %(name)s") % {
            "name": newcomer["name"]
        }
    assert (receipt.to, receipt.subject) == ([newcomer["email"]], expected_subject)
    assert newcomer["name"] in receipt.body
    assert "&#" not in receipt.body


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
@pytest.mark.parametrize("language", ["en", "es"])
def test_a_liaison_sees_the_review_due_and_the_typed_liaison_email_is_confirmed(
    language: str, viewport: str, network: Any, visit: Any, mailoutbox: list[Any]
) -> None:
    # Given Lucía is liaison for a library due for review in ten days, and she applied for a
    # second one naming its librarian's address, which is not hers
    lucia = User.objects.get(email=network.liaison_email)
    library = Organization.objects.filter(liaison__isnull=True).order_by("pk").first()
    assert library is not None
    due_on = timezone.localdate() + datetime.timedelta(days=10)
    Organization.objects.filter(pk=library.pk).update(
        liaison=lucia, last_reviewed_on=due_on - datetime.timedelta(days=365)
    )
    with translation.override(language):
        membership_application_submit(
            applicant=lucia,
            details={
                "name": "Pilsen Branch Library",
                "org_type": "public_library",
                "address_line1": "1336 W 18th St",
                "address_line2": "",
                "city": "Chicago",
                "state": StateTerritory.objects.get(code="IL"),
                "zip_code": "60608",
                "phone": "(312) 555-0142",
                "website": "",
                "library_id": "",
                "liaison_name": "Marta Librarian",
                "liaison_email": "marta@pilsen.example.org",
                "services": {},
            },
            language=language,
        )
    link = re.search(r"http://\S+(/network/liaison-email/confirm/\S+/)", mailoutbox[-1].body)
    assert mailoutbox[-1].to == ["marta@pilsen.example.org"] and link is not None

    # When Lucía signs in, her dashboard says when the review is due
    liaison = visit(f"liaison-panels-{viewport}", language)
    page = liaison.open("/")
    liaison.choose_language()
    liaison.sign_in(network.liaison_email, step="1-sign-in")
    page.set_viewport_size(VIEWPORTS[viewport])
    panel = page.get_by_role(
        "region", name=liaison.t("Annual review of %(name)s") % {"name": library.name}
    )
    with translation.override(language):
        due_text = translation.ngettext(
            "Due on %(date)s: %(days)s day left.", "Due on %(date)s: %(days)s days left.", 10
        ) % {"date": formats.date_format(due_on, "DATE_FORMAT"), "days": 10}
    expect(panel).to_contain_text(due_text)
    liaison.check("2-dashboard-review-due")
    panel.get_by_role("link").click()
    expect(page).to_have_url(re.compile(rf"/network/organizations/{library.pk}/review/$"))

    # And her membership page shows the librarian's address waiting for confirmation
    liaison.open("/network/my-applications/")
    row = page.get_by_role("row").filter(has_text="Pilsen Branch Library")
    expect(row).to_contain_text(liaison.t("Waiting for confirmation"))
    liaison.check("3-my-applications")

    # When Marta, who has no account, opens the link and confirms
    marta = visit(f"liaison-email-{viewport}", language)
    marta.open("/")
    marta.choose_language()
    marta.page.set_viewport_size(VIEWPORTS[viewport])
    marta.open(link.group(1))
    marta.check("1-confirm-page")
    marta.page.get_by_role("button", name=marta.t("Confirm this address")).click()

    # Then the address is confirmed
    expect(marta.page.get_by_role("status")).to_contain_text("marta@pilsen.example.org")
    marta.check("2-confirmed")
    assert MembershipApplication.objects.get(name="Pilsen Branch Library").liaison_email_confirmed
