"""A request's life: entered and routed, answered or let pass, filled with a PDF only the
borrower can open until its link expires, charged; and every refusal leaving nothing changed."""

import datetime
import uuid
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from tapestry.sharing import services
from tapestry.sharing.models import (
    Charge,
    CopyrightCompliance,
    Delivery,
    Lender,
    Request,
    RequestEvent,
)
from tapestry.sharing.tests.factories import LendingPolicyFactory, library, serial_holding

pytestmark = pytest.mark.django_db

EASTERN = ZoneInfo("America/New_York")
# A Tuesday morning.
TUESDAY = datetime.datetime(2026, 12, 1, 10, 0, tzinfo=EASTERN)
PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def clock() -> Any:
    with time_machine.travel(TUESDAY, tick=False) as traveller:
        yield traveller


@pytest.fixture
def oak_park(db: None) -> Any:
    return library("Oak Park Public Library", org_type="public_library")


def _lender(
    name: str, fee: int, zip_code: str = "60612", language: str = "en", **policy: Any
) -> Any:
    organization = library(name, zip_code=zip_code, language=language)
    LendingPolicyFactory.create(organization_id=organization.pk, fee_cents=fee, **policy)
    serial_holding(organization)
    return organization


@pytest.fixture
def galter(db: None) -> Any:
    return _lender("Northwestern Galter Library", 800)


@pytest.fixture
def rush(db: None) -> Any:
    return _lender("Rush Medical Library", 1200, language="es")


def _ask(borrower: Any, **changes: Any) -> Request:
    values: dict[str, Any] = {
        "journal_title": "Nature",
        "issn": "0028-0836",
        "year": 2024,
        "volume": "625",
        "pages": "12-19",
        "title": "Gut microbes and the immune system",
        "needed_by": datetime.date(2026, 12, 15),
        "max_cost_cents": 2000,
        "patron_reference": "P-114",
        "compliance": CopyrightCompliance.GUIDELINES,
    }
    values.update(changes)
    return services.request_create(actor=borrower.liaison, borrower_id=borrower.pk, **values)


def _pdf(content: bytes = PDF, name: str = "article.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def _state(request: Request) -> list[tuple[int, str]]:
    return [
        (lender.organization_id, lender.status) for lender in request.lenders.order_by("position")
    ]


def test_a_request_asks_the_cheapest_lender_first_with_two_business_days_to_answer(
    clock: Any,
    oak_park: Any,
    galter: Any,
    rush: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        request = _ask(oak_park)

    request.refresh_from_db()
    assert request.status == Request.Status.ROUTING
    assert request.position == 1
    assert _state(request) == [(galter.pk, "asked"), (rush.pk, "waiting")]
    first = request.lenders.get(position=1)
    # Wednesday and Thursday are its two business days: due at midnight ending Thursday.
    assert first.due_at == datetime.datetime(2026, 12, 4, 0, 0, tzinfo=EASTERN)
    assert first.answer_by == datetime.date(2026, 12, 3)
    assert [event.kind for event in request.events.all()] == ["created", "asked"]
    (message,) = mail.outbox
    assert message.to == [galter.liaison_email]
    assert message.subject == (
        f"Request {request.reference} for your library: Gut microbes and the immune system"
    )
    assert "Oak Park Public Library asks Northwestern Galter Library for this item:" in message.body
    assert "Nature (0028-0836) 2024;625:12-19" in message.body
    assert "Your fee: $8.00" in message.body
    assert "say why you cannot by the end of 3 Dec 2026." in " ".join(message.body.split())
    assert f"/sharing/library/{galter.pk}/lending/{request.pk}/" in message.body
    # The lender never learns the borrower's patron reference.
    assert "P-114" not in message.body


def test_a_request_no_library_can_lend_ends_unfilled_and_says_why(
    clock: Any, oak_park: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        request = _ask(oak_park)

    request.refresh_from_db()
    assert request.status == Request.Status.UNFILLED
    assert services.unfilled_reason_display(request) == [
        "No member library that lends to yours holds this journal for 2024, is open now and "
        "charges no more than your maximum of $20.00."
    ]
    (message,) = mail.outbox
    assert message.subject == f"Request {request.reference} was not filled"


def test_a_lender_that_cannot_fill_passes_it_on_and_the_last_one_ends_it_with_each_reason(
    clock: Any, oak_park: Any, galter: Any, rush: Any
) -> None:
    request = _ask(oak_park)

    services.request_not_fill(
        actor=galter.liaison, lender_id=galter.pk, request_id=request.pk, reason="in_use"
    )
    request.refresh_from_db()
    assert _state(request) == [(galter.pk, "not_filled"), (rush.pk, "asked")]
    services.request_not_fill(
        actor=rush.liaison, lender_id=rush.pk, request_id=request.pk, reason="not_on_shelf"
    )

    request.refresh_from_db()
    assert request.status == Request.Status.UNFILLED
    assert services.unfilled_reason_display(request) == [
        "Northwestern Galter Library: In use or checked out",
        "Rush Medical Library: Not on shelf",
    ]


def test_silence_past_the_answer_time_moves_the_request_on_once(
    clock: Any, oak_park: Any, galter: Any, rush: Any
) -> None:
    request = _ask(oak_park)

    clock.move_to(datetime.datetime(2026, 12, 3, 23, 59, tzinfo=EASTERN))
    assert services.lenders_overdue_advance() == 0
    clock.move_to(datetime.datetime(2026, 12, 4, 0, 0, tzinfo=EASTERN))
    assert services.lenders_overdue_advance() == 1
    assert services.lenders_overdue_advance() == 0

    request.refresh_from_db()
    assert _state(request) == [(galter.pk, "timed_out"), (rush.pk, "asked")]
    second = request.lenders.get(position=2)
    # Asked on Friday: Monday and Tuesday are its business days.
    assert second.due_at == datetime.datetime(2026, 12, 9, 0, 0, tzinfo=EASTERN)
    assert list(request.events.values_list("kind", flat=True)) == [
        "created",
        "asked",
        "timed_out",
        "asked",
    ]


def test_thanksgiving_is_not_a_business_day(oak_park: Any, galter: Any) -> None:
    # Asked the Wednesday before Thanksgiving: Friday and Monday are its two business days.
    with time_machine.travel(datetime.datetime(2026, 11, 25, 15, 0, tzinfo=EASTERN), tick=False):
        request = _ask(oak_park, needed_by=datetime.date(2026, 12, 15))

    assert request.lenders.get(position=1).due_at == datetime.datetime(
        2026, 12, 1, 0, 0, tzinfo=EASTERN
    )


def test_a_fill_with_a_pdf_charges_the_fee_and_only_the_borrower_downloads_it_until_it_expires(
    clock: Any,
    oak_park: Any,
    galter: Any,
    rush: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    request = _ask(oak_park)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        services.request_fill(
            actor=galter.liaison,
            lender_id=galter.pk,
            request_id=request.pk,
            method=Delivery.Method.ELECTRONIC,
            upload=_pdf(),
        )

    request.refresh_from_db()
    assert request.status == Request.Status.FILLED
    assert _state(request) == [(galter.pk, "filled"), (rush.pk, "waiting")]
    charge = Charge.objects.get()
    assert (charge.borrower_id, charge.lender_id, charge.amount_cents, charge.month) == (
        oak_park.pk,
        galter.pk,
        800,
        datetime.date(2026, 12, 1),
    )
    (message,) = mail.outbox
    assert message.to == [oak_park.liaison_email]
    assert "Northwestern Galter Library filled this request:" in message.body
    assert "Charge to your library: $8.00" in message.body

    # The borrower opens it; the lender's liaison (or anyone else) cannot
    delivery = services.delivery_open(actor=oak_park.liaison, request_id=request.pk)
    assert delivery.file.read() == PDF
    delivery.file.close()
    with pytest.raises(services.RequestNotFound):
        services.delivery_open(actor=galter.liaison, request_id=request.pk)

    # Fourteen days later the link is dead, and the nightly purge deletes the file
    clock.move_to(TUESDAY + datetime.timedelta(days=14))
    with pytest.raises(services.RequestMovedOn):
        services.delivery_open(actor=oak_park.liaison, request_id=request.pk)
    stored = Path(delivery.file.path)
    assert services.deliveries_purge() == 1
    assert not stored.exists()
    delivery.refresh_from_db()
    assert (delivery.downloads, delivery.purged_at is not None, delivery.file.name) == (1, True, "")


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (_pdf(b"", "empty.pdf"), "The file is empty."),
        (
            _pdf(b"\x89PNG\r\n\x1a\n....", "scan.pdf"),
            "The file is not a PDF. Scan the article to PDF.",
        ),
    ],
)
def test_a_fill_with_a_file_that_is_not_a_pdf_is_refused_and_nothing_changes(
    clock: Any, oak_park: Any, galter: Any, upload: Any, message: str
) -> None:
    request = _ask(oak_park)

    with pytest.raises(ValidationError) as refused:
        services.request_fill(
            actor=galter.liaison,
            lender_id=galter.pk,
            request_id=request.pk,
            method=Delivery.Method.ELECTRONIC,
            upload=upload,
        )

    assert refused.value.message_dict == {"file": [message]}
    assert (Delivery.objects.count(), Charge.objects.count()) == (0, 0)
    assert _state(request) == [(galter.pk, "asked")]


def test_an_oversized_pdf_is_refused(clock: Any, settings: Any, oak_park: Any, galter: Any) -> None:
    settings.SHARING_DELIVERY_MAX_BYTES = 1024 * 1024
    request = _ask(oak_park)

    with pytest.raises(ValidationError) as refused:
        services.request_fill(
            actor=galter.liaison,
            lender_id=galter.pk,
            request_id=request.pk,
            method=Delivery.Method.ELECTRONIC,
            upload=_pdf(PDF + b"0" * (1024 * 1024)),
        )

    assert refused.value.message_dict == {
        "file": ["The file is larger than 1 MB; send it by mail instead."]
    }
    assert Delivery.objects.count() == 0


def test_a_lender_answering_a_request_that_moved_on_is_refused_and_nothing_changes(
    clock: Any, oak_park: Any, galter: Any, rush: Any
) -> None:
    request = _ask(oak_park)
    clock.move_to(datetime.datetime(2026, 12, 4, 9, 0, tzinfo=EASTERN))
    services.lenders_overdue_advance()

    with pytest.raises(services.RequestMovedOn) as refused:
        services.request_fill(
            actor=galter.liaison,
            lender_id=galter.pk,
            request_id=request.pk,
            method=Delivery.Method.MAIL,
        )

    assert refused.value.status == 409
    assert "moved on" in refused.value.message
    assert _state(request) == [(galter.pk, "timed_out"), (rush.pk, "asked")]
    assert (Delivery.objects.count(), Charge.objects.count()) == (0, 0)


def test_a_second_fill_is_refused(clock: Any, oak_park: Any, galter: Any) -> None:
    request = _ask(oak_park)
    services.request_fill(
        actor=galter.liaison, lender_id=galter.pk, request_id=request.pk, method="mail"
    )

    with pytest.raises(services.RequestMovedOn, match="already filled"):
        services.request_fill(
            actor=galter.liaison, lender_id=galter.pk, request_id=request.pk, method="mail"
        )

    assert Charge.objects.count() == 1


def test_a_library_not_yet_asked_or_never_in_the_sequence_sees_nothing(
    clock: Any, oak_park: Any, galter: Any, rush: Any
) -> None:
    request = _ask(oak_park)
    stranger = library("Stranger Library")

    for actor, lender_id in [
        (rush.liaison, rush.pk),  # waiting its turn
        (stranger.liaison, stranger.pk),  # not in the sequence
        (stranger.liaison, galter.pk),  # acting for another library
        (oak_park.liaison, galter.pk),
    ]:
        with pytest.raises(services.RequestNotFound):
            services.request_not_fill(
                actor=actor, lender_id=lender_id, request_id=request.pk, reason="in_use"
            )

    assert _state(request) == [(galter.pk, "asked"), (rush.pk, "waiting")]


def test_a_borrower_cancels_its_open_request_and_the_asked_lender_is_released(
    clock: Any, oak_park: Any, galter: Any
) -> None:
    request = _ask(oak_park)

    services.request_cancel(actor=oak_park.liaison, request_id=request.pk)

    request.refresh_from_db()
    assert request.status == Request.Status.CANCELLED
    assert _state(request) == [(galter.pk, "skipped")]
    with pytest.raises(services.RequestMovedOn):
        services.request_fill(
            actor=galter.liaison, lender_id=galter.pk, request_id=request.pk, method="mail"
        )
    with pytest.raises(services.RequestNotFound):
        services.request_cancel(actor=galter.liaison, request_id=request.pk)


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({"issn": "0028-0837"}, {"issn"}),
        ({"issn": "nature"}, {"issn"}),
        ({"needed_by": datetime.date(2026, 11, 30)}, {"needed_by"}),
        ({"year": 2029}, {"year"}),
        ({"year": None}, {"year"}),
        ({"title": "  "}, {"title"}),
        ({"kind": "book", "isbn": "9781264268505"}, {"isbn"}),
        ({"compliance": "none"}, {"compliance"}),
    ],
)
def test_a_request_with_a_wrong_field_is_refused_by_name_and_nothing_is_stored(
    clock: Any,
    oak_park: Any,
    galter: Any,
    changes: dict[str, Any],
    errors: set[str],
) -> None:
    with pytest.raises(ValidationError) as refused:
        _ask(oak_park, **changes)

    assert set(refused.value.message_dict) == errors
    assert (Request.objects.count(), Lender.objects.count(), RequestEvent.objects.count()) == (
        0,
        0,
        0,
    )


def test_an_invalid_issn_says_what_is_wrong(clock: Any, oak_park: Any) -> None:
    with pytest.raises(ValidationError) as refused:
        _ask(oak_park, issn="0028-0837")

    assert refused.value.message_dict["issn"] == [
        "“0028-0837” is not a valid ISSN: its last character (the check digit) is wrong."
    ]


def test_someone_who_does_not_act_for_the_library_cannot_request_for_it(
    clock: Any, oak_park: Any, galter: Any
) -> None:
    with pytest.raises(services.RequestNotFound):
        services.request_create(
            actor=galter.liaison,
            borrower_id=oak_park.pk,
            issn="0028-0836",
            year=2024,
            title="Anything",
            needed_by=datetime.date(2026, 12, 15),
            max_cost_cents=0,
            compliance="ccg",
        )

    assert Request.objects.count() == 0


def test_the_same_form_submitted_twice_makes_one_request(
    clock: Any, oak_park: Any, galter: Any
) -> None:
    token = uuid.uuid4()

    first = _ask(oak_park, submission_token=token)
    second = _ask(oak_park, submission_token=token)

    assert first.pk == second.pk
    assert Request.objects.count() == 1
    assert Lender.objects.count() == 1


def test_the_sixth_recent_article_from_one_journal_asks_for_the_ccl_statement(
    clock: Any, oak_park: Any, galter: Any
) -> None:
    # Given five articles this year from Nature's issues of the last five years, one from an
    # older issue and one cancelled (neither counts)
    services.request_cancel(actor=oak_park.liaison, request_id=_ask(oak_park, year=2024).pk)
    for year in [2021, 2022, 2023, 2024, 2025]:
        _ask(oak_park, year=year)
    _ask(oak_park, year=2019)
    assert (
        services.rule_of_five_count(borrower_id=oak_park.pk, issn="0028-0836", on=TUESDAY.date())
        == 5
    )

    # When the library asks for a sixth under the guidelines, it is warned and nothing stored
    with pytest.raises(services.RuleOfFive) as warned:
        _ask(oak_park, year=2026)
    assert warned.value.count == 5
    assert warned.value.message.startswith(
        "This would be article 6 this year from this journal's issues of the last 5 years."
    )
    assert Request.objects.count() == 7

    # Then stating copyright-law compliance (royalties or a subscription) sends it, recorded
    sixth = _ask(oak_park, year=2026, compliance=CopyrightCompliance.LAW)
    assert sixth.compliance == "ccl"
    # An older issue is outside the rule
    assert _ask(oak_park, year=2015).status == Request.Status.ROUTING


def test_a_patron_asks_a_library_which_approves_then_routes_their_request(
    clock: Any,
    oak_park: Any,
    galter: Any,
    rosa_spanish: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    LendingPolicyFactory.create(
        organization_id=oak_park.pk, accepts_patron_requests=True, lends=False
    )

    with django_capture_on_commit_callbacks(execute=True):
        agreement = services.agreement_ask(
            person=rosa_spanish, organization_id=oak_park.pk, is_health_professional=False
        )
        services.agreement_decide(actor=oak_park.liaison, agreement_id=agreement.pk, approve=True)
        request = services.patron_request_create(
            person=rosa_spanish,
            organization_id=oak_park.pk,
            kind="article",
            journal_title="Nature",
            issn="0028-0836",
            year=2024,
            title="Gut microbes and the immune system",
            needed_by=datetime.date(2026, 12, 20),
        )
    assert request.status == Request.Status.AWAITING_APPROVAL
    assert _state(request) == []

    services.patron_request_approve(
        actor=oak_park.liaison,
        request_id=request.pk,
        patron_reference="ROSA-1",
        max_cost_cents=1500,
        compliance="ccg",
    )

    request.refresh_from_db()
    assert request.status == Request.Status.ROUTING
    assert _state(request) == [(galter.pk, "asked")]
    to_rosa = [message for message in mail.outbox if message.to == [rosa_spanish.email]]
    assert [message.subject for message in to_rosa] == [
        "Oak Park Public Library solicitará documentos para usted",
    ]


def test_a_patron_without_an_approved_agreement_cannot_ask_and_a_library_cannot_approve_anothers(
    clock: Any, oak_park: Any, galter: Any, rosa_spanish: Any
) -> None:
    LendingPolicyFactory.create(organization_id=oak_park.pk, accepts_patron_requests=True)
    services.agreement_ask(
        person=rosa_spanish, organization_id=oak_park.pk, is_health_professional=True
    )

    with pytest.raises(services.RequestNotFound):
        services.patron_request_create(
            person=rosa_spanish,
            organization_id=oak_park.pk,
            issn="0028-0836",
            year=2024,
            title="x",
            needed_by=datetime.date(2026, 12, 20),
        )
    with pytest.raises(services.RequestNotFound):
        services.agreement_ask(
            person=rosa_spanish, organization_id=galter.pk, is_health_professional=True
        )
    assert Request.objects.count() == 0
