"""The award pages: who sees what (a stranger gets a 404, the awardee a 403 on staff's steps),
the staff form with its defaults, invoices through the page (a refusal is a form error, never
a 500), and the award letter and invoices as real PDFs in the reader's language."""

import datetime
import re
import zlib
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.apps import apps
from django.test import Client

from tapestry.accounts.api import Role
from tapestry.accounts.tests.factories import UserFactory
from tapestry.engagement.api import ActivityReportRef
from tapestry.funding import awards as award_services
from tapestry.funding.awards import invoice_submit
from tapestry.funding.models import Award, AwardChange, Invoice
from tapestry.funding.tests.factories_awards import (
    ACKNOWLEDGEMENT,
    AwardedApplicationFactory,
    award_make,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _mid_july() -> Iterator[None]:
    with time_machine.travel(
        datetime.datetime(2027, 7, 15, 12, 0, tzinfo=datetime.UTC), tick=False
    ):
        yield


@pytest.fixture
def award(alice_liaison: Any, alice_library: Any, paula_program_staff: Any) -> Award:
    return award_make(
        liaison=alice_liaison, organization_id=alice_library.pk, staff=paula_program_staff
    )


def page(award: Award, suffix: str = "") -> str:
    return f"/funding/awards/{award.public_id}/{suffix}"


def invoice_of(award: Award, alice: Any) -> Invoice:
    return invoice_submit(
        actor=alice,
        award=award,
        billing_month=datetime.date(2027, 6, 1),
        invoice_date=datetime.date(2027, 7, 1),
        amount=Decimal("1200.00"),
        description="Screening supplies.",
    )


STREAM = re.compile(rb"/Length (\d+)[^>]*>>\s*stream\r?\n")


def pdf_strings(pdf: bytes) -> str:
    """The text strings of a PDF WeasyPrint wrote (its title, its language), read from its
    compressed streams (as learning's certificate tests do); page text is glyph ids."""
    blob = pdf + b"\n".join(
        zlib.decompress(pdf[match.end() : match.end() + int(match.group(1))])
        for match in STREAM.finditer(pdf)
    )
    literal = [text.decode("latin-1") for text in re.findall(rb"\(([^()]*)\)", blob)]
    utf16 = [
        bytes.fromhex(text.decode()).decode("utf-16-be")
        for text in re.findall(rb"<feff([0-9a-fA-F]+)>", blob)
    ]
    return "\n".join(literal + utf16)


# --- the award's page ----------------------------------------------------------------------


def test_the_awardee_sees_the_amount_balance_acknowledgement_and_forms(
    award: Award, alice_liaison: Any, alice_client: Client
) -> None:
    invoice_of(award, alice_liaison)

    response = alice_client.get(page(award))

    assert response.status_code == 200
    text = response.content.decode()
    assert f"Award {award.number}" in text
    assert '<dd id="balance">$2,800.00' in text
    assert ACKNOWLEDGEMENT in text
    assert f"{award.number}-01" in text
    assert "Submit an invoice" in text
    assert "Ask for more time" in text
    assert "Close the award" not in text
    assert "Decide invoice" not in text


def test_staff_see_the_decisions_and_close_out(
    award: Award, alice_liaison: Any, paula_client: Client
) -> None:
    invoice_of(award, alice_liaison)

    text = paula_client.get(page(award)).content.decode()

    assert f"Decide invoice {award.number}-01" in text
    assert "Close the award" in text
    assert "Submit an invoice" not in text


def test_a_stranger_gets_a_404_everywhere(
    award: Award, alice_liaison: Any, bob_client: Client
) -> None:
    invoice = invoice_of(award, alice_liaison)

    for path in [
        page(award),
        page(award, "letter.pdf"),
        page(award, f"invoices/{invoice.public_id}.pdf"),
    ]:
        assert bob_client.get(path).status_code == 404, path
    response = bob_client.post(
        page(award, "invoices/"),
        {
            "billing_month": "2027-07",
            "invoice_date": "2027-07-15",
            "amount": "5",
            "description": "x",
        },
    )
    assert response.status_code == 404
    assert Invoice.objects.count() == 1


def test_the_list_shows_ones_own_awards_and_staff_all(
    award: Award,
    alice_client: Client,
    bob_client: Client,
    paula_client: Client,
    paula_program_staff: Any,
) -> None:
    other_liaison = UserFactory.create(email="dora@example.org", roles=[Role.LIAISON])
    other = award_make(liaison=other_liaison, organization_id=999, staff=paula_program_staff)

    alice_page = alice_client.get("/funding/awards/").content.decode()
    assert award.number in alice_page
    assert other.number not in alice_page
    assert "No awards yet." in bob_client.get("/funding/awards/").content.decode()
    staff_page = paula_client.get("/funding/awards/").content.decode()
    assert award.number in staff_page
    assert other.number in staff_page


# --- making the award ----------------------------------------------------------------------


def test_the_staff_form_is_filled_with_the_default_period(
    alice_liaison: Any, alice_library: Any, paula_client: Client, alice_client: Client
) -> None:
    application = AwardedApplicationFactory.create(
        organization_id=alice_library.pk, created_by=alice_liaison
    )
    path = f"/funding/staff/applications/{application.public_id}/award/"

    assert alice_client.get(path).status_code == 403
    response = paula_client.get(path)

    assert response.status_code == 200
    text = response.content.decode()
    assert 'name="period_start" id="id_period_start" value="2027-05-01"' in text
    assert 'name="period_end" id="id_period_end" value="2028-04-30"' in text
    assert 'name="amount" id="id_amount" value="4000.00"' in text

    response = paula_client.post(
        path,
        {
            "amount": "3800.00",
            "period_start": "2027-05-01",
            "period_end": "2028-04-30",
            "acknowledgement": ACKNOWLEDGEMENT,
            "acknowledgement_es": "",
            "evaluation": "",
        },
    )

    award = Award.objects.get()
    assert response.status_code == 302
    assert response["Location"] == page(award)
    assert award.amount == Decimal("3800.00")


def test_an_amount_over_the_budget_is_a_form_error(
    alice_liaison: Any, alice_library: Any, paula_client: Client
) -> None:
    application = AwardedApplicationFactory.create(
        organization_id=alice_library.pk, created_by=alice_liaison
    )

    response = paula_client.post(
        f"/funding/staff/applications/{application.public_id}/award/",
        {
            "amount": "4500.00",
            "period_start": "2027-05-01",
            "period_end": "2028-04-30",
            "acknowledgement": ACKNOWLEDGEMENT,
            "evaluation": "",
        },
    )

    assert response.status_code == 400
    assert "more than the application&#x27;s budget of $4,000.00" in response.content.decode()
    assert not Award.objects.exists()


# --- invoices through the page -------------------------------------------------------------


def test_the_awardee_submits_an_invoice_from_the_page(award: Award, alice_client: Client) -> None:
    response = alice_client.post(
        page(award, "invoices/"),
        {
            "billing_month": "2027-06",
            "invoice_date": "2027-07-01",
            "amount": "1200.50",
            "description": "Screening supplies for the June fair.",
        },
        follow=True,
    )

    assert response.status_code == 200
    assert f"Invoice {award.number}-01 is submitted" in response.content.decode()
    assert list(Invoice.objects.values_list("billing_month", "amount", "status")) == [
        (datetime.date(2027, 6, 1), Decimal("1200.50"), "submitted")
    ]


def test_a_refused_invoice_is_a_form_error_and_nothing_is_saved(
    award: Award, alice_client: Client
) -> None:
    response = alice_client.post(
        page(award, "invoices/"),
        {
            "billing_month": "2027-06",
            "invoice_date": "2027-07-01",
            "amount": "4000.01",
            "description": "Everything.",
        },
    )

    assert response.status_code == 400
    assert "The amount is over the balance: $4,000.00 left." in response.content.decode()
    assert not Invoice.objects.exists()


def test_the_awardee_cannot_decide_staff_can(
    award: Award, alice_liaison: Any, alice_client: Client, paula_client: Client
) -> None:
    invoice = invoice_of(award, alice_liaison)
    decide = page(award, f"invoices/{invoice.public_id}/decide/")

    assert alice_client.post(decide, {"to": "approved"}).status_code == 403
    assert Invoice.objects.get().status == "submitted"

    assert paula_client.post(decide, {"to": "approved"}).status_code == 302
    assert Invoice.objects.get().status == "approved"
    assert list(
        AwardChange.objects.filter(subject="invoice").values_list("to_status", flat=True)
    ) == [
        "submitted",
        "approved",
    ]


def test_a_return_without_a_reason_is_a_form_error(
    award: Award, alice_liaison: Any, paula_client: Client
) -> None:
    invoice = invoice_of(award, alice_liaison)

    response = paula_client.post(
        page(award, f"invoices/{invoice.public_id}/decide/"), {"to": "returned", "reason": ""}
    )

    assert response.status_code == 400
    assert "Give a reason for returning the invoice." in response.content.decode()
    assert Invoice.objects.get().status == "submitted"


def test_the_awardee_cannot_close_the_award(award: Award, alice_client: Client) -> None:
    assert alice_client.post(page(award, "close/"), {"note": ""}).status_code == 403
    assert Award.objects.get().status == "active"


def test_a_material_without_the_acknowledgement_is_flagged(
    award: Award, alice_client: Client
) -> None:
    alice_client.post(
        page(award, "materials/"), {"title": "Flyer", "url": "", "text": "Come to the fair!"}
    )

    text = alice_client.get(page(award)).content.decode()
    assert "Acknowledgement missing" in text


# --- PDFs ----------------------------------------------------------------------------------


def test_the_award_letter_is_a_pdf_with_the_award_number(
    award: Award, alice_client: Client, paula_client: Client
) -> None:
    for client in (alice_client, paula_client):
        response = client.get(page(award, "letter.pdf"))

        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"] == (
            f'attachment; filename="award-letter-{award.number}.pdf"'
        )
        assert response.content.startswith(b"%PDF-")
        assert f"Award letter {award.number}" in pdf_strings(response.content)


def test_an_invoice_pdf_is_in_the_readers_language(
    award: Award, alice_liaison: Any, rosa_spanish: Any, signed_in: Any
) -> None:
    invoice = invoice_of(award, alice_liaison)
    award.application.members.create(user=rosa_spanish)

    response = signed_in(rosa_spanish).get(page(award, f"invoices/{invoice.public_id}.pdf"))

    assert response.status_code == 200
    assert response.content.startswith(b"%PDF-")
    strings = pdf_strings(response.content)
    assert invoice.number in strings
    assert "es" in re.findall(r"^(?:en|es)$", strings, flags=re.MULTILINE)


# --- reports, the survey, extensions and close-out through the page ------------------------


def test_an_overdue_report_is_flagged_and_the_invoice_refused(
    award: Award, alice_liaison: Any, signed_in: Any
) -> None:
    with time_machine.travel(
        datetime.datetime(2027, 11, 20, 12, 0, tzinfo=datetime.UTC), tick=False
    ):
        alice_client = signed_in(alice_liaison)  # a session of that day
        text = alice_client.get(page(award)).content.decode()
        response = alice_client.post(
            page(award, "invoices/"),
            {
                "billing_month": "2027-10",
                "invoice_date": "2027-11-01",
                "amount": "100",
                "description": "October.",
            },
        )

    assert '<strong class="text-secondary-dark">Overdue: it was due on 15 Nov 2027.' in text
    assert response.status_code == 400
    assert "Submit the interim report due 15 Nov 2027 first" in response.content.decode()
    assert not Invoice.objects.exists()


def test_the_awardee_submits_a_report_linking_activity_reports(
    award: Award, alice_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        award_services,
        "activity_reports_of",
        lambda **question: [
            ActivityReportRef(
                id=7,
                organization_id=award.organization_id,
                title="Health fair",
                activity_date=datetime.date(2027, 6, 5),
                activity_type="exhibit",
                activity_type_label="Exhibit",
                status="accepted",
                participants=40,
            )
        ],
    )
    interim = award.reports.get(kind="interim")
    assert "Health fair, 5 Jun 2027 (Exhibit, 40 participants)" in (
        alice_client.get(page(award)).content.decode()
    )

    response = alice_client.post(
        page(award, f"reports/{interim.pk}/"),
        {"narrative": "One fair, 40 people.", "activity_report_ids": ["7"]},
    )

    assert response.status_code == 302
    interim.refresh_from_db()
    assert (interim.narrative, interim.activity_report_ids) == ("One fair, 40 people.", [7])


def test_the_final_reports_survey_opens_with_a_link_of_ones_own(
    alice_liaison: Any, alice_library: Any, paula_program_staff: Any, alice_client: Client
) -> None:
    apps.get_model("surveys", "Instrument").objects.create(
        slug="award-final-report",
        title_en="Final report of a funded project",
        title_es="Informe final de un proyecto financiado",
        purpose="award_evaluation",
        mode="identified",
        status="published",
    )
    award = award_make(
        liaison=alice_liaison, organization_id=alice_library.pk, staff=paula_program_staff
    )
    assert "includes the survey “Final report of a funded project”" in (
        alice_client.get(page(award)).content.decode()
    )

    response = alice_client.post(page(award, "evaluation/"))

    assert response.status_code == 302
    assert re.match(r"^http://[^/]+/surveys/award-final-report/", response["Location"])


def test_the_survey_button_says_so_when_there_is_none(award: Award, alice_client: Client) -> None:
    response = alice_client.post(page(award, "evaluation/"), follow=True)

    assert "The survey is not open at the moment." in response.content.decode()


def test_an_extension_is_requested_and_approved_through_the_page(
    award: Award, alice_client: Client, paula_client: Client
) -> None:
    response = alice_client.post(
        page(award, "extensions/"),
        {"requested_end": "2029-06-30", "reason": "Repairs closed the library."},
    )
    assert response.status_code == 400
    assert "at the latest" in response.content.decode()

    alice_client.post(
        page(award, "extensions/"),
        {"requested_end": "2028-08-31", "reason": "Repairs closed the library."},
    )
    extension = award.extensions.get()
    decide = page(award, f"extensions/{extension.pk}/decide/")
    assert alice_client.post(decide, {"approve": "yes"}).status_code == 403
    assert paula_client.post(decide, {"approve": "yes", "reason": ""}).status_code == 302

    award.refresh_from_db()
    assert award.period_end == datetime.date(2028, 8, 31)


def test_close_out_refused_is_a_form_error_for_staff(award: Award, paula_client: Client) -> None:
    response = paula_client.post(page(award, "close/"), {"note": "Done."})

    assert response.status_code == 400
    assert "Not yet: the interim report due 15 Nov 2027" in response.content.decode()
    assert Award.objects.get().status == "active"
