"""An award from its making to its close-out: the default period and the report schedule, the
final report's survey (attached when one is published, the narrative alone otherwise), the
award letter in each reader's language, reports linking the organization's activity reports,
no-cost extensions (time, never money; one pending), published materials checked for the
acknowledgement, and close-out. Refusals assert that nothing changed."""

import datetime
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.apps import apps
from django.core import mail
from pytest_django import DjangoCaptureOnCommitCallbacks

from tapestry.engagement.api import ActivityReportRef
from tapestry.funding import awards as award_services
from tapestry.funding.awards import (
    AwardClosed,
    AwardInvalid,
    CloseOutRefused,
    ExtensionRefused,
    ReportInvalid,
    acknowledgement_found,
    award_close,
    award_create,
    default_period,
    extension_decide,
    extension_request,
    invoice_decide,
    invoice_submit,
    material_add,
    report_submit,
)
from tapestry.funding.models import (
    Application,
    Award,
    AwardChange,
    AwardReport,
    ExtensionRequest,
    PublishedMaterial,
)
from tapestry.funding.services import FundingError, NotAllowed
from tapestry.funding.states import Status
from tapestry.funding.tests.factories import OpportunityFactory
from tapestry.funding.tests.factories_awards import (
    ACKNOWLEDGEMENT,
    ACKNOWLEDGEMENT_ES,
    AwardedApplicationFactory,
    award_make,
)
from tapestry.surveys.api import evaluation_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _mid_july() -> Iterator[None]:
    with time_machine.travel(
        datetime.datetime(2027, 7, 15, 12, 0, tzinfo=datetime.UTC), tick=False
    ):
        yield


@pytest.fixture
def awarded(alice_liaison: Any, alice_library: Any) -> Application:
    return AwardedApplicationFactory.create(
        organization_id=alice_library.pk, created_by=alice_liaison
    )


@pytest.fixture
def award(alice_liaison: Any, alice_library: Any, paula_program_staff: Any) -> Award:
    return award_make(
        liaison=alice_liaison, organization_id=alice_library.pk, staff=paula_program_staff
    )


def award_changes() -> list[tuple[str, str, str, str]]:
    return list(
        AwardChange.objects.order_by("pk").values_list(
            "subject", "from_status", "to_status", "actor__email"
        )
    )


def published_award_evaluation(slug: str = "award-final-report") -> None:
    # Surveys' own factories are not funding's to import; the model through the registry is
    # the same instrument surveys' authoring pages would publish.
    apps.get_model("surveys", "Instrument").objects.create(
        slug=slug,
        title_en="Final report of a funded project",
        title_es="Informe final de un proyecto financiado",
        purpose="award_evaluation",
        mode="identified",
        status="published",
    )


# --- making the award ----------------------------------------------------------------------


def test_the_default_period_is_the_award_year_from_the_first_may_1() -> None:
    for starts, expected in [
        (datetime.date(2027, 5, 1), (datetime.date(2027, 5, 1), datetime.date(2028, 4, 30))),
        (datetime.date(2027, 3, 1), (datetime.date(2027, 5, 1), datetime.date(2028, 4, 30))),
        (datetime.date(2027, 7, 1), (datetime.date(2028, 5, 1), datetime.date(2029, 4, 30))),
    ]:
        call = OpportunityFactory.build(performance_start=starts)
        assert default_period(Application(opportunity=call)) == expected


def test_staff_make_the_award_with_its_schedule_and_trail(award: Award, alice_library: Any) -> None:
    assert award.number == f"A2027-{award.application.pk:06d}"
    assert (award.amount, award.period_start, award.period_end) == (
        Decimal("4000.00"),
        datetime.date(2027, 5, 1),
        datetime.date(2028, 4, 30),
    )
    assert (award.organization_id, award.region_code, award.status) == (
        alice_library.pk,
        "region-6",
        "active",
    )
    assert list(award.reports.values_list("kind", "due_on")) == [
        ("interim", datetime.date(2027, 11, 15)),
        ("final", datetime.date(2028, 5, 30)),
    ]
    assert award_changes() == [("award", "", "active", "paula@example.org")]
    assert evaluation_of(subject_kind="award", subject_ref=str(award.pk)) is None


def test_the_final_report_gets_the_published_award_evaluation(
    alice_liaison: Any, alice_library: Any, paula_program_staff: Any
) -> None:
    published_award_evaluation()

    award = award_make(
        liaison=alice_liaison, organization_id=alice_library.pk, staff=paula_program_staff
    )

    evaluation = evaluation_of(subject_kind="award", subject_ref=str(award.pk))
    assert evaluation is not None
    assert (evaluation.slug, evaluation.title("es")) == (
        "award-final-report",
        "Informe final de un proyecto financiado",
    )


def test_the_award_letter_goes_to_each_person_in_their_language(
    awarded: Application,
    paula_program_staff: Any,
    rosa_spanish: Any,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    awarded.members.create(user=rosa_spanish)

    with django_capture_on_commit_callbacks(execute=True):
        award = award_create(
            actor=paula_program_staff,
            application=awarded,
            amount=Decimal("3500"),
            acknowledgement=ACKNOWLEDGEMENT,
            acknowledgement_es=ACKNOWLEDGEMENT_ES,
        )

    english, spanish = sorted(mail.outbox, key=lambda message: message.to)
    assert english.to == ["alice@example.org"]
    assert english.subject == f"Your award {award.number}"
    assert "Amount: $3,500.00" in english.body
    assert "Period of performance: 1 May 2027 to 30 Apr 2028" in english.body
    assert ACKNOWLEDGEMENT in english.body
    assert "- Interim report: 15 Nov 2027" in english.body
    assert spanish.to == ["rosa@example.org"]
    assert spanish.body.startswith("Hola, Rosa Delgado:")
    assert ACKNOWLEDGEMENT_ES in spanish.body
    assert ACKNOWLEDGEMENT not in spanish.body
    assert "1 may 2027" in spanish.body
    assert awarded.opportunity.title_es in spanish.body


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        (Decimal("4000.01"), r"more than the application's budget of \$4,000.00"),
        (Decimal("0"), "above zero"),
        (4000.0, "above zero"),
    ],
)
def test_the_amount_is_within_the_budget(
    awarded: Application, paula_program_staff: Any, amount: Any, message: str
) -> None:
    with pytest.raises(AwardInvalid, match=message):
        award_create(
            actor=paula_program_staff,
            application=awarded,
            amount=amount,
            acknowledgement=ACKNOWLEDGEMENT,
        )

    assert not Award.objects.exists()


def test_the_amount_is_within_the_calls_maximum(
    alice_liaison: Any, alice_library: Any, paula_program_staff: Any
) -> None:
    application = AwardedApplicationFactory.create(
        organization_id=alice_library.pk,
        created_by=alice_liaison,
        opportunity=OpportunityFactory.create(maximum_amount=Decimal("3000.00")),
    )

    with pytest.raises(AwardInvalid, match=r"call's maximum of \$3,000.00"):
        award_create(
            actor=paula_program_staff,
            application=application,
            amount=Decimal("3500.00"),
            acknowledgement=ACKNOWLEDGEMENT,
        )

    assert not Award.objects.exists()


def test_only_an_awarded_application_without_an_award(
    awarded: Application, paula_program_staff: Any
) -> None:
    Application.objects.filter(pk=awarded.pk).update(status=Status.UNDER_REVIEW)
    with pytest.raises(AwardInvalid, match="was awarded"):
        award_create(
            actor=paula_program_staff,
            application=awarded,
            amount=Decimal(100),
            acknowledgement=ACKNOWLEDGEMENT,
        )
    assert not Award.objects.exists()

    Application.objects.filter(pk=awarded.pk).update(status=Status.AWARDED)
    award_create(
        actor=paula_program_staff,
        application=awarded,
        amount=Decimal(100),
        acknowledgement=ACKNOWLEDGEMENT,
    )
    with pytest.raises(AwardInvalid, match="already has its award"):
        award_create(
            actor=paula_program_staff,
            application=awarded,
            amount=Decimal(100),
            acknowledgement=ACKNOWLEDGEMENT,
        )
    assert Award.objects.count() == 1


@pytest.mark.parametrize("who", ["alice_liaison", "bob_applicant", "sam_specialist"])
def test_only_staff_make_an_award(awarded: Application, who: str, request: Any) -> None:
    with pytest.raises(NotAllowed):
        award_create(
            actor=request.getfixturevalue(who),
            application=awarded,
            amount=Decimal(100),
            acknowledgement=ACKNOWLEDGEMENT,
        )

    assert not Award.objects.exists()
    assert not AwardChange.objects.exists()


def test_a_given_period_sets_the_schedule(awarded: Application, paula_program_staff: Any) -> None:
    award = award_create(
        actor=paula_program_staff,
        application=awarded,
        amount=Decimal(100),
        period_start=datetime.date(2027, 9, 1),
        period_end=datetime.date(2028, 2, 29),
        acknowledgement=ACKNOWLEDGEMENT,
    )

    assert list(award.reports.values_list("kind", "due_on")) == [
        ("interim", datetime.date(2027, 11, 15)),
        ("final", datetime.date(2028, 3, 30)),
    ]


# --- reports -------------------------------------------------------------------------------


def activity(pk: int, day: datetime.date) -> ActivityReportRef:
    return ActivityReportRef(
        id=pk,
        organization_id=1,
        title=f"Health fair {pk}",
        activity_date=day,
        activity_type="exhibit",
        activity_type_label="Exhibit",
        status="accepted",
        participants=40,
    )


@pytest.fixture
def offered(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Engagement's answer, through its api, recorded with the question it was asked."""
    asked: list[dict[str, Any]] = []

    def activity_reports_of(**question: Any) -> list[ActivityReportRef]:
        asked.append(question)
        return [activity(11, datetime.date(2027, 6, 5)), activity(12, datetime.date(2027, 5, 20))]

    monkeypatch.setattr(award_services, "activity_reports_of", activity_reports_of)
    return asked


def test_a_report_links_the_organizations_activity_reports_of_the_period(
    award: Award, alice_liaison: Any, offered: list[dict[str, Any]]
) -> None:
    interim = award.reports.get(kind="interim")

    report_submit(
        actor=alice_liaison,
        report=interim,
        narrative="  Two health fairs reached 80 people.  ",
        activity_report_ids=[12, 11],
    )

    interim.refresh_from_db()
    assert (interim.narrative, interim.activity_report_ids, interim.submitted_by) == (
        "Two health fairs reached 80 people.",
        [11, 12],
        alice_liaison,
    )
    assert offered == [
        {
            "organization_id": award.organization_id,
            "start": datetime.date(2027, 5, 1),
            "end": datetime.date(2028, 4, 30),
        }
    ]
    assert award_changes()[-1] == ("report", "due", "submitted", "alice@example.org")


def test_a_report_cannot_link_another_activity_report(
    award: Award, alice_liaison: Any, offered: list[dict[str, Any]]
) -> None:
    interim = award.reports.get(kind="interim")

    with pytest.raises(ReportInvalid, match="Only your organization's activity reports"):
        report_submit(
            actor=alice_liaison, report=interim, narrative="Done.", activity_report_ids=[11, 99]
        )

    interim.refresh_from_db()
    assert (interim.submitted_at, interim.activity_report_ids) == (None, [])


def test_a_report_is_submitted_once_and_only_by_the_awards_people(
    award: Award, alice_liaison: Any, paula_program_staff: Any, offered: list[dict[str, Any]]
) -> None:
    final = award.reports.get(kind="final")
    with pytest.raises(NotAllowed):
        report_submit(
            actor=paula_program_staff, report=final, narrative="Done.", activity_report_ids=[]
        )
    report_submit(actor=alice_liaison, report=final, narrative="Done.", activity_report_ids=[])

    with pytest.raises(ReportInvalid, match="already in"):
        report_submit(actor=alice_liaison, report=final, narrative="Again.", activity_report_ids=[])

    assert AwardReport.objects.get(pk=final.pk).narrative == "Done."


# --- extensions ----------------------------------------------------------------------------


def test_an_extension_moves_the_end_and_the_final_report_never_the_money(
    award: Award,
    alice_liaison: Any,
    paula_program_staff: Any,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    extension = extension_request(
        actor=alice_liaison,
        award=award,
        requested_end=datetime.date(2028, 10, 31),
        reason="The library was closed for repairs for three months.",
    )
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        extension_decide(actor=paula_program_staff, extension=extension, approve=True)

    award.refresh_from_db()
    assert (award.period_end, award.amount) == (datetime.date(2028, 10, 31), Decimal("4000.00"))
    assert award.reports.get(kind="final").due_on == datetime.date(2028, 11, 30)
    assert award.reports.get(kind="interim").due_on == datetime.date(2027, 11, 15)
    assert award_changes()[-2:] == [
        ("extension", "", "pending", "alice@example.org"),
        ("extension", "pending", "approved", "paula@example.org"),
    ]
    [message] = mail.outbox
    assert message.subject == f"Extension approved: award {award.number}"
    assert "now ends on 31 Oct 2028" in message.body


@pytest.mark.parametrize(
    ("requested_end", "message"),
    [
        (datetime.date(2028, 4, 30), "after the current end"),
        (datetime.date(2029, 5, 1), "30 Apr 2029 at the latest"),
    ],
)
def test_an_extension_is_after_the_end_and_at_most_12_months_more(
    award: Award, alice_liaison: Any, requested_end: datetime.date, message: str
) -> None:
    with pytest.raises(ExtensionRefused, match=message):
        extension_request(
            actor=alice_liaison, award=award, requested_end=requested_end, reason="More time."
        )

    assert not ExtensionRequest.objects.exists()


def test_one_pending_extension_at_a_time(award: Award, alice_liaison: Any) -> None:
    extension_request(
        actor=alice_liaison, award=award, requested_end=datetime.date(2028, 6, 30), reason="A."
    )

    with pytest.raises(ExtensionRefused, match="already waiting"):
        extension_request(
            actor=alice_liaison, award=award, requested_end=datetime.date(2028, 7, 31), reason="B."
        )

    assert list(ExtensionRequest.objects.values_list("reason", flat=True)) == ["A."]


def test_a_decline_needs_a_reason_and_only_staff_decide(
    award: Award, alice_liaison: Any, paula_program_staff: Any
) -> None:
    extension = extension_request(
        actor=alice_liaison, award=award, requested_end=datetime.date(2028, 6, 30), reason="A."
    )
    with pytest.raises(NotAllowed):
        extension_decide(actor=alice_liaison, extension=extension, approve=True)
    with pytest.raises(ExtensionRefused, match="reason"):
        extension_decide(actor=paula_program_staff, extension=extension, approve=False)
    assert ExtensionRequest.objects.get().status == "pending"

    extension_decide(
        actor=paula_program_staff, extension=extension, approve=False, reason="Not needed."
    )

    award.refresh_from_db()
    assert (ExtensionRequest.objects.get().status, award.period_end) == (
        "declined",
        datetime.date(2028, 4, 30),
    )


# --- published materials -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Flyer. THIS project was funded by   the Tapestry\nHealth Network. Come!", True),
        ("Folleto. Este proyecto fue financiado por la red de salud Tapestry.", True),
        ("Flyer. Funded by Tapestry.", False),
        ("", False),
    ],
)
def test_the_acknowledgement_is_checked_in_english_or_spanish(
    award: Award, text: str, found: bool
) -> None:
    assert acknowledgement_found(award, text) is found


def test_a_material_records_whether_the_acknowledgement_was_found(
    award: Award, alice_liaison: Any, bob_applicant: Any
) -> None:
    material_add(
        actor=alice_liaison,
        award=award,
        title="Health fair flyer",
        url="https://library.example.org/fair",
        text=f"Free screenings on Saturday. {ACKNOWLEDGEMENT_ES}",
    )
    material_add(actor=alice_liaison, award=award, title="Poster", url="", text="Come!")
    with pytest.raises(NotAllowed):
        material_add(actor=bob_applicant, award=award, title="Mine", url="", text="Mine.")

    assert list(PublishedMaterial.objects.values_list("title", "acknowledgement_found")) == [
        ("Health fair flyer", True),
        ("Poster", False),
    ]


# --- close-out -----------------------------------------------------------------------------


def test_close_out_waits_for_the_reports_and_the_invoices(
    award: Award,
    alice_liaison: Any,
    paula_program_staff: Any,
    offered: list[dict[str, Any]],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    with pytest.raises(CloseOutRefused, match="interim report due 15 Nov 2027"):
        award_close(actor=paula_program_staff, award=award, note="")
    for report in award.reports.all():
        report_submit(actor=alice_liaison, report=report, narrative="Done.", activity_report_ids=[])
    invoice = invoice_submit(
        actor=alice_liaison,
        award=award,
        billing_month=datetime.date(2027, 6, 1),
        invoice_date=datetime.date(2027, 7, 1),
        amount=Decimal("4000.00"),
        description="Everything.",
    )
    with pytest.raises(CloseOutRefused, match=f"decide invoice {invoice.number}"):
        award_close(actor=paula_program_staff, award=award, note="")
    assert Award.objects.get().status == "active"
    with pytest.raises(NotAllowed):
        award_close(actor=alice_liaison, award=award, note="")

    invoice_decide(actor=paula_program_staff, invoice=invoice, to="approved")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        award_close(actor=paula_program_staff, award=award, note="All spent, all reported.")

    award.refresh_from_db()
    assert (award.status, award.close_out_note) == ("closed", "All spent, all reported.")
    assert award.closed_at is not None
    assert award_changes()[-1] == ("award", "active", "closed", "paula@example.org")
    assert [message.subject for message in mail.outbox] == [f"Award {award.number} is closed"]
    with pytest.raises(AwardClosed):
        extension_request(
            actor=alice_liaison, award=award, requested_end=datetime.date(2028, 6, 30), reason="A"
        )
    with pytest.raises(FundingError):
        award_close(actor=paula_program_staff, award=award, note="")


# --- reminders -----------------------------------------------------------------------------


def test_an_overdue_report_is_reminded_the_day_after_then_weekly(
    award: Award,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    due = datetime.date(2027, 11, 15)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        sent = {
            offset: award_services.report_reminders_send(
                today=due + datetime.timedelta(days=offset)
            )
            for offset in range(0, 16)
        }

    assert [offset for offset, count in sent.items() if count] == [1, 8, 15]
    assert [message.subject for message in mail.outbox] == [
        f"Overdue: Interim report of award {award.number}"
    ] * 3
    assert "was due on 15 Nov 2027 and is not in yet" in mail.outbox[0].body
