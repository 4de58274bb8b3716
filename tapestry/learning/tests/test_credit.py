"""Continuing education: the CHIS window and level thresholds, the ledger page (own entries
only, a class added through the form, bad input refused), the transcript PDF, and Spanish."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

import pytest
from django.test import Client, RequestFactory
from django.utils import timezone, translation
from django.utils.formats import date_format

from tapestry.learning import credit
from tapestry.learning.models import CreditEntry
from tapestry.learning.services import LearningError, credit_entry_add
from tapestry.learning.tests.factories import course_finish, course_make
from tapestry.learning.views.credit import transcript_html

if TYPE_CHECKING:
    from collections.abc import Callable

    from tapestry.accounts.api import User

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 11, 29)


def _entry(
    user: User,
    *,
    hours: str,
    approved: bool = True,
    earned_on: datetime.date | None = None,
    title: str = "Health literacy basics",
    competencies: tuple[str, ...] = ("C6",),
) -> CreditEntry:
    return credit_entry_add(
        user_id=user.pk,
        title=title,
        provider="Network of the National Library of Medicine",
        earned_on=earned_on or timezone.localdate(),
        hours=Decimal(hours),
        approved=approved,
        competencies=list(competencies),
    )


def test_the_competencies_file_lists_the_eight_chis_competencies() -> None:
    competencies = credit.competencies()

    assert [item.code for item in competencies] == [f"C{number}" for number in range(1, 9)]
    assert [item.level for item in competencies] == [1, 1, 1, 1, 1, 2, 2, 2]
    assert competencies[0].name("en") == "Know the community"
    assert competencies[0].name("es") == "Conocer a la comunidad"
    assert all(item.description_en and item.description_es for item in competencies)


def test_an_entry_three_years_and_one_day_old_does_not_count(alice_liaison: User) -> None:
    exactly_three = credit.years_before(TODAY, 3)
    _entry(alice_liaison, hours="2", earned_on=exactly_three, title="Still counts")
    _entry(
        alice_liaison,
        hours="5",
        earned_on=exactly_three - datetime.timedelta(days=1),
        title="Too old",
    )

    summary = credit.credit_summary(user_id=alice_liaison.pk, today=TODAY)

    assert summary.window_start == datetime.date(2023, 11, 29)
    assert [entry.title for entry in summary.counted] == ["Still counts"]
    assert summary.hours == Decimal("2")
    assert summary.next_drop_on == datetime.date(2026, 11, 30)
    assert summary.next_drop_hours == Decimal("2")


def test_the_window_moves_with_the_day(alice_liaison: User) -> None:
    _entry(alice_liaison, hours="3", earned_on=datetime.date(2024, 2, 29))

    on_the_last_day = credit.credit_summary(
        user_id=alice_liaison.pk, today=datetime.date(2027, 2, 28)
    )
    the_day_after = credit.credit_summary(user_id=alice_liaison.pk, today=datetime.date(2027, 3, 1))

    assert on_the_last_day.hours == Decimal("3")
    assert on_the_last_day.next_drop_on == datetime.date(2027, 3, 1)
    assert the_day_after.hours == Decimal("0")
    assert the_day_after.next_drop_on is None


@pytest.mark.parametrize(
    ("approved_hours", "other_hours", "level", "hours_needed", "approved_needed"),
    [
        ("11.5", "0", None, "0.5", "0"),
        ("7.5", "4.5", None, "0", "0.5"),
        ("8", "4", "I", "0", "0"),
        ("17.5", "6.5", "I", "0", "0"),
        ("18", "5.5", "I", "0", "0"),
        ("18", "6", "II", "0", "0"),
    ],
)
def test_level_thresholds_are_exact(
    alice_liaison: User,
    approved_hours: str,
    other_hours: str,
    level: str | None,
    hours_needed: str,
    approved_needed: str,
) -> None:
    _entry(alice_liaison, hours=approved_hours, approved=True, earned_on=TODAY)
    if Decimal(other_hours):
        _entry(alice_liaison, hours=other_hours, approved=False, earned_on=TODAY)

    summary = credit.credit_summary(user_id=alice_liaison.pk, today=TODAY)

    assert summary.level_reached == level
    level_one = summary.levels[0]
    assert (level_one.level, level_one.hours_needed, level_one.approved_needed) == (
        "I",
        Decimal(hours_needed),
        Decimal(approved_needed),
    )


def test_what_level_two_still_needs(alice_liaison: User) -> None:
    _entry(alice_liaison, hours="10", approved=True, earned_on=TODAY, competencies=("C1", "C2"))
    _entry(alice_liaison, hours="3.5", approved=False, earned_on=TODAY, competencies=("C2",))

    summary = credit.credit_summary(user_id=alice_liaison.pk, today=TODAY)

    level_two = summary.levels[1]
    assert summary.level_reached == "I"
    assert (level_two.hours_needed, level_two.approved_needed) == (Decimal("10.5"), Decimal("8"))
    totals = {
        total.competency.code: (total.hours, total.approved_hours)
        for total in summary.by_competency
    }
    assert totals["C1"] == (Decimal("10"), Decimal("10"))
    assert totals["C2"] == (Decimal("13.5"), Decimal("10"))
    assert totals["C3"] == (Decimal("0"), Decimal("0"))


def test_a_ce_course_completed_here_lands_in_the_ledger(alice_liaison: User) -> None:
    course = course_make(ce_hours="1.5", approved_for_credit=True, competencies=["C3", "C4"])

    course_finish(user_id=alice_liaison.pk, course=course)

    summary = credit.credit_summary(user_id=alice_liaison.pk)
    assert [(entry.title, entry.hours, entry.approved) for entry in summary.counted] == [
        ("Privacy basics", Decimal("1.5"), True)
    ]
    assert summary.approved_hours == Decimal("1.5")


def test_the_page_shows_my_ledger_and_never_another_persons(
    alice_liaison: User, bob_applicant: User, alice_client: Client
) -> None:
    _entry(alice_liaison, hours="4", title="Finding trusted health websites", competencies=("C3",))
    _entry(bob_applicant, hours="6", title="Bob's private class")

    page = alice_client.get("/learning/credit/")

    html = page.content.decode()
    assert page.status_code == 200
    assert "Finding trusted health websites" in html
    assert "Bob&#x27;s private class" not in html
    assert "Bob's private class" not in html
    assert "Still needed for Level I: 8 more hours in all, and 4 more approved hours." in html
    assert 'id="level-I-hours" max="12" value="4"' in html
    today = timezone.localdate()
    assert (
        f"The hours you earned on {date_format(today, 'DATE_FORMAT')} (4 hours) stop counting "
        f"on {date_format(credit.leaves_window_on(today), 'DATE_FORMAT')}."
    ) in html


def test_a_visitor_is_sent_to_sign_in(visitor: Client) -> None:
    page = visitor.get("/learning/credit/")
    pdf = visitor.get("/learning/credit/transcript.pdf")

    assert page.status_code == 302
    assert pdf.status_code == 302
    assert "/accounts/login/" in page["Location"]


def test_a_class_taken_elsewhere_is_added_through_the_form(
    alice_liaison: User, alice_client: Client
) -> None:
    response = alice_client.post(
        "/learning/credit/",
        {
            "title": "Consumer health reference",
            "provider": "Medical Library Association",
            "earned_on": "2026-10-05",
            "hours": "2.5",
            "approved": "on",
            "competencies": ["C5", "C2"],
        },
    )

    assert response.status_code == 302
    entry = CreditEntry.objects.get(user=alice_liaison)
    assert (entry.title, entry.provider, entry.earned_on, entry.hours, entry.approved) == (
        "Consumer health reference",
        "Medical Library Association",
        datetime.date(2026, 10, 5),
        Decimal("2.5"),
        True,
    )
    assert entry.competencies == ["C2", "C5"]
    assert entry.completion is None


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"earned_on": "2999-01-01"}, "earned_on", "The date cannot be in the future."),
        ({"hours": "0.4"}, "hours", "Ensure this value is greater than or equal to 0.5."),
        ({"hours": "40.5"}, "hours", "Ensure this value is less than or equal to 40."),
        ({"hours": "1.25"}, "hours", "Ensure that there are no more than 1 decimal place."),
        ({"competencies": []}, "competencies", "Choose at least one competency the class covered."),
        (
            {"competencies": ["C9"]},
            "competencies",
            "Select a valid choice. C9 is not one of the available choices.",
        ),
        ({"title": "  "}, "title", "This field is required."),
    ],
)
def test_bad_input_is_refused_with_an_error_summary_and_nothing_is_written(
    alice_liaison: User,
    alice_client: Client,
    changes: dict[str, object],
    field: str,
    message: str,
) -> None:
    data: dict[str, object] = {
        "title": "Consumer health reference",
        "provider": "Medical Library Association",
        "earned_on": "2026-10-05",
        "hours": "2",
        "competencies": ["C5"],
        **changes,
    }

    response = alice_client.post("/learning/credit/", data)

    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="form-errors"' in html
    assert f'href="#id_{field}' in html
    assert response.context["form"].errors[field] == [message]
    assert CreditEntry.objects.count() == 0


def test_the_service_refuses_what_the_form_would_and_writes_nothing(alice_liaison: User) -> None:
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)

    with pytest.raises(LearningError, match="future"):
        _entry(alice_liaison, hours="1", earned_on=tomorrow)
    with pytest.raises(LearningError, match=r"between 0\.5 and 40"):
        _entry(alice_liaison, hours="0.25")
    with pytest.raises(LearningError, match="Unknown competency: C0"):
        _entry(alice_liaison, hours="1", competencies=("C0",))

    assert CreditEntry.objects.count() == 0


def test_the_transcript_is_a_pdf_of_the_entries_in_the_window(
    alice_liaison: User, bob_applicant: User, alice_client: Client
) -> None:
    _entry(alice_liaison, hours="9", title="Evaluating health information", competencies=("C4",))
    _entry(alice_liaison, hours="3", approved=False, title="Serving older adults")
    _entry(
        alice_liaison,
        hours="4",
        title="An old class",
        earned_on=credit.years_before(timezone.localdate(), 3) - datetime.timedelta(days=1),
    )
    _entry(bob_applicant, hours="6", title="Bob's private class")
    request = RequestFactory().get("/learning/credit/transcript.pdf")
    request.user = alice_liaison

    response = alice_client.get("/learning/credit/transcript.pdf")
    html = transcript_html(request)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert "Evaluating health information" in html
    assert "Serving older adults" in html
    assert "Evaluation of health information" in html
    assert "An old class" not in html
    assert "Bob" not in html
    assert "Level reached: Level I" in html
    assert "Alice Liaison" in html


def test_the_page_and_the_transcript_in_spanish(
    rosa_spanish: User, signed_in: Callable[[User], Client]
) -> None:
    _entry(rosa_spanish, hours="2.5", title="Salud del corazón", competencies=("C1",))
    client = signed_in(rosa_spanish)

    page = client.get("/learning/credit/")
    with translation.override("es"):
        request = RequestFactory().get("/learning/credit/transcript.pdf")
        request.user = rosa_spanish
        html = transcript_html(request)

    text = page.content.decode()
    assert page.status_code == 200
    assert "Mi educación continua" in text
    assert "Conocer a la comunidad" in text
    assert "2,5" in text
    assert "Agregar una clase tomada en otro lugar" in text
    assert 'lang="es"' in html
    assert "Constancia de educación continua" in html
    assert "Nivel alcanzado: ninguno todavía" in html
