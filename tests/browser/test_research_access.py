"""Researcher access in the browser: Lucía Fernández, in Spanish on her phone, sees that only
the training stands between her and the data, with the link to the course; Wei Chen signs the
new code of conduct, starts a workspace, and it shows in the public list of projects.
Program staff confirm Lucía's identity from the researchers' page and find it in the log.
axe-core and the sideways-scroll check on every page at both widths."""

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tapestry.accounts.personas import DEMO_TOTP_SECRET, PERSONAS, persona_ensure
from tapestry.research import services
from tapestry.research.models import ConductSignature, IdentityAttestation, Workspace
from tapestry.research.tests.researchers import requirements_meet

from .conftest import PASSWORD, VIEWPORTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PURPOSE = (
    "We want to learn how many adults with type 2 diabetes in the Birmingham area reach good "
    "blood sugar control (HbA1c below 7%), and how that differs by age and sex."
)


def _persona(email: str) -> Any:
    return persona_ensure(next(p for p in PERSONAS if p.email == email), password=PASSWORD)


def _sign_in_with_code(visit: Any, email: str, code: Callable[[], str]) -> None:
    page = visit.page
    visit.sign_in(email, step="1-sign-in")
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/$"))
    page.get_by_label(visit.label("Code")).fill(code())
    page.get_by_role("button", name=visit.t("Sign In")).click()
    expect(page).to_have_url(re.compile(r"/me/$"))


def test_researchers_see_what_they_need_sign_the_code_and_start_a_workspace(
    visit: Any, authenticator_code: Callable[[], str]
) -> None:
    # Given Lucía, who has done everything but the training, and Wei, who has not yet signed
    # the code of conduct
    lucia = _persona("researcher2@tapestry.example")
    requirements_meet(lucia, totp_secret=DEMO_TOTP_SECRET, training=False)
    wei = _persona("researcher@tapestry.example")
    requirements_meet(wei, totp_secret=DEMO_TOTP_SECRET, conduct=False)

    # Lucía, in Spanish on her phone, finds what is missing
    researcher = visit("research-access", "es")
    researcher.page.goto(researcher.base_url + "/healthz", timeout=60_000)
    phone = researcher.open("/")
    researcher.choose_language()
    _sign_in_with_code(researcher, lucia.email, authenticator_code)
    phone.set_viewport_size(VIEWPORTS["phone"])
    researcher.open("/research/")
    expect(phone.get_by_role("heading", level=1)).to_have_text(researcher.t("Researcher workbench"))
    researcher.check("2-workbench")
    phone.get_by_role("link", name=researcher.t("See your access in detail")).click()
    registered = phone.get_by_role("list", name=researcher.t("Registered tier"))
    expect(
        registered.get_by_text(researcher.t("Take the course and pass its quiz."))
    ).to_be_visible()
    course_link = registered.get_by_role("link", name=researcher.t("Go to the course"))
    expect(course_link).to_have_attribute(
        "href", "/learning/courses/responsible-conduct-of-research/"
    )
    institutions = phone.get_by_role(
        "list", name=researcher.t("Institutions with a data-use agreement in force")
    )
    expect(institutions.get_by_role("listitem")).to_have_text(
        ["University of Alabama at Birmingham"]
    )
    researcher.check("3-access")

    # Wei signs the code of conduct and starts a workspace
    wei_visit = visit("research-workspace", "en")
    page = wei_visit.open("/")
    _sign_in_with_code(wei_visit, wei.email, authenticator_code)
    wei_visit.open("/research/access/")
    wei_visit.check("2-access")
    page.get_by_role("link", name="Read and sign the code of conduct").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Data User Code of Conduct")
    wei_visit.check("3-conduct")
    page.get_by_label(wei_visit.label("Type your full name to sign")).fill("Wei Chen")
    page.get_by_role("button", name="Sign the code of conduct").click()
    expect(page).to_have_url(re.compile(r"/research/access/$"))
    expect(page.get_by_text("Your tier now: Registered.")).to_be_visible()
    assert ConductSignature.objects.filter(user=wei).count() == 1
    wei_visit.open("/research/")
    page.get_by_role("link", name="Start a workspace").click()
    wei_visit.check("4-new-workspace")
    page.get_by_label(wei_visit.label("Project name")).fill(
        "Diabetes and blood sugar control in Birmingham"
    )
    page.get_by_label(wei_visit.label("Research purpose")).fill(PURPOSE)
    page.get_by_role("button", name="Create the workspace").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Diabetes and blood sugar control in Birmingham"
    )
    workspace = Workspace.objects.get()
    assert (workspace.owner, workspace.institution.name) == (
        wei,
        "University of Alabama at Birmingham",
    )
    wei_visit.check("5-workspace")
    wei_visit.open("/research/log/")
    wei_visit.check("6-log")

    # The project shows in the public list, without Wei's name or email
    public = visit("research-projects", "es")
    public_page = public.open("/")
    public.choose_language()
    public.open("/research/projects/?q=birmingham")
    expect(
        public_page.get_by_role("heading", name="Diabetes and blood sugar control in Birmingham")
    ).to_be_visible()
    expect(public_page.get_by_text(wei.email)).to_have_count(0)
    public.check("1-projects")


def test_program_staff_confirm_an_identity_and_read_the_log(
    visit: Any, authenticator_code: Callable[[], str]
) -> None:
    # Given Lucía, who asked for her identity to be confirmed, and Dana, program staff
    lucia = _persona("researcher2@tapestry.example")
    requirements_meet(lucia, totp_secret=DEMO_TOTP_SECRET, identity=False, training=False)
    services.identity_check_request(user=lucia)
    dana = _persona("programstaff@tapestry.example")

    staff = visit("research-staff", "en")
    page = staff.open("/")
    _sign_in_with_code(staff, dana.email, authenticator_code)
    page.get_by_role("link", name="Researchers", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Researchers")
    staff.check("2-researchers")
    page.get_by_role("link", name="Lucía Fernández").click()
    staff.check("3-researcher")
    page.locator("label", has_text="Video call, with a photo ID").click()
    page.get_by_label(staff.label("Note (what you saw, for the record)")).fill(
        "Passport, on a video call"
    )
    page.get_by_role("button", name="Confirm their identity").click()
    expect(
        page.get_by_text("Identity confirmed. The researcher has been told by email.")
    ).to_be_visible()
    assert IdentityAttestation.objects.filter(user=lucia, attested_by=dana).count() == 1
    staff.check("4-confirmed")
    page.get_by_role("link", name="This researcher's log").click()
    expect(page.get_by_role("cell", name="Identity confirmed (video)")).to_be_visible()
    staff.check("5-log")
