"""A staff member imports a REDCap data dictionary and reads the report (issue 8).

Dana (program staff) signs in with her password and authenticator code, opens the REDCap
files page, uploads a data dictionary with a calculated field the import cannot take, and
reads the report: each line imported or skipped, and the new draft. Every page passes axe-core
at desktop and phone width, in English and in Spanish.
"""

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from tapestry.accounts.personas import PERSONAS, persona_ensure
from tapestry.surveys.models import Instrument
from tapestry.surveys.tests.test_redcap_dictionary import fixture_csv
from tests.browser.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("language", ["en", "es"])
def test_staff_import_a_data_dictionary_and_read_the_report(
    visit: Callable, authenticator_code: Callable[[], str], language: str
) -> None:
    # Given Dana, program staff with an authenticator app
    dana = next(p for p in PERSONAS if p.email == "programstaff@tapestry.example")
    persona_ensure(dana, password=PASSWORD)
    staff = visit("redcap-import", language)
    page = staff.open("/")
    staff.choose_language()
    staff.sign_in(dana.email, step="0-sign-in")
    page.get_by_label(staff.label("Code")).fill(authenticator_code())
    page.get_by_role("button", name=staff.t("Sign In")).click()
    expect(page).to_have_url(re.compile(r"/me/$"))

    # When she opens the REDCap files page and uploads a data dictionary
    staff.open("/surveys/staff/import/")
    expect(page.get_by_role("heading", level=1)).to_have_text(staff.t("REDCap files"))
    staff.check("1-import")
    page.get_by_label(staff.label("REDCap data dictionary (CSV)")).set_input_files(
        files=[{"name": "intake.csv", "mimeType": "text/csv", "buffer": fixture_csv()}]
    )
    page.get_by_role("button", name=staff.t("Import"), exact=True).click()

    # Then the report lists every line, and the draft exists
    expect(page.get_by_role("heading", level=1)).to_have_text(staff.t("Data dictionary imported"))
    skipped = staff.t("line %(line)s, field %(field)s: %(message)s") % {
        "line": 7,
        "field": "bmi",
        "message": staff.t("calculated fields are not supported; skipped"),
    }
    expect(page.get_by_text(skipped)).to_be_visible()
    staff.check("2-report")
    assert Instrument.objects.get().status == Instrument.Status.DRAFT
