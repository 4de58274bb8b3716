"""A library joins the network and a visitor finds it, in real Chromium, in English and Spanish.

Lucía (the liaison persona) applies for her organization, Samuel (the engagement specialist
for the region) signs in with his password and an authenticator code and approves it, and a
visitor with no account finds the new member from the home page by ZIP code. Every page is
scanned with axe-core and photographed (see conftest.Visit.check).
"""

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tapestry.network import selectors
from tapestry.network.models import MembershipApplication, Organization, RegionSpecialist

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
    language, network, visit, authenticator_code, mailoutbox
):
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
        liaison.t("Thank you. Your application was sent to your region's engagement specialists.")
    )
    row = page.get_by_role("row").filter(has_text=application["name"])
    expect(row).to_contain_text(liaison.t("Waiting for review"))
    liaison.check("6-my-applications")
    submitted = MembershipApplication.objects.get(name=application["name"])
    assert submitted.status == MembershipApplication.Status.PENDING
    assert submitted.region == region
    assert [message.to for message in mailoutbox] == [[network.specialist.email]]

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
