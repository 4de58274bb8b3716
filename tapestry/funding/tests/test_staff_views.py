"""Program staff's pages: the calls and their pipeline, a call's applications, and an
application from screening to decision through the pages, each step emailed to the
applicant's people in their language and written to the trail. The applicant and a reviewer
are refused every staff step with nothing changed."""

from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from pytest_django.fixtures import DjangoCaptureOnCommitCallbacks

from tapestry.funding.models import (
    Application,
    ConflictOfInterest,
    Opportunity,
    ReviewAssignment,
    ScreeningAnswer,
    StatusChange,
)
from tapestry.funding.states import Status
from tapestry.funding.tests.factories import (
    OpportunityFactory,
    RubricCriterionFactory,
    ScreeningItemFactory,
)
from tapestry.funding.tests.factories_staff import (
    ApplicationFactory,
    member_add,
    reviewer_make,
    submitted_make,
)
from tapestry.network.tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def call() -> Opportunity:
    opportunity = OpportunityFactory.create(title="Health outreach awards 2027")
    ScreeningItemFactory.create(opportunity=opportunity, position=1, text="Eligible costs only.")
    ScreeningItemFactory.create(opportunity=opportunity, position=2, text="Letter of support.")
    RubricCriterionFactory.create(opportunity=opportunity, position=1, points=10)
    return opportunity


@pytest.fixture
def submitted(call: Opportunity, alice_liaison: Any, alice_library: Any) -> Application:
    return submitted_make(liaison=alice_liaison, organization=alice_library, opportunity=call)


@pytest.fixture
def rita(db: None) -> Any:
    return reviewer_make("rita@example.org")


@pytest.fixture
def rita_client(rita: Any, staff_signed_in: Callable[[Any], Client]) -> Client:
    return staff_signed_in(rita)


def screening_post(call: Opportunity, **overrides: str) -> dict[str, str]:
    first, second = call.screening_items.order_by("position")
    return {
        f"met_{first.pk}": "yes",
        f"note_{first.pk}": "",
        f"met_{second.pk}": "yes",
        f"note_{second.pk}": "Signed by the director.",
        "outcome": "screened",
        "reason": "",
        **overrides,
    }


def trail(application: Application) -> list[tuple[str, str, str, str]]:
    return [
        (change.from_status, change.to_status, change.actor.email, change.reason)
        for change in StatusChange.objects.filter(application=application).order_by("pk")
    ]


# --- who may see the staff pages ---------------------------------------------------------


def test_staff_home_lists_every_call_with_its_pipeline_and_publishes_a_draft_call(
    paula_client: Client, submitted: Application, paula_program_staff: Any
) -> None:
    unpublished = OpportunityFactory.create(title="Digital literacy grants", published_at=None)
    ApplicationFactory.create(opportunity=submitted.opportunity, status=Status.SCREENED)

    page = paula_client.get("/funding/staff/")
    response = paula_client.post(f"/funding/staff/calls/{unpublished.public_id}/publish/")

    assert page.status_code == 200
    html = page.content.decode()
    assert "Digital literacy grants" in html and "Health outreach awards 2027" in html
    assert f"/funding/staff/calls/{unpublished.public_id}/publish/" in html
    assert (
        f'href="/funding/staff/calls/{submitted.opportunity.public_id}/applications/'
        '?status=submitted">1<' in html
    )
    assert response.status_code == 302
    unpublished.refresh_from_db()
    assert unpublished.published_at is not None


@pytest.mark.parametrize(
    "url",
    ["/funding/staff/", "/funding/staff/dashboard/"],
)
def test_the_applicant_and_a_reviewer_are_refused_the_staff_pages(
    url: str, alice_client: Client, rita_client: Client
) -> None:
    assert alice_client.get(url).status_code == 403
    assert rita_client.get(url).status_code == 403


def test_an_unknown_application_or_call_is_a_404(paula_client: Client) -> None:
    unknown = "00000000-0000-0000-0000-000000000000"

    assert paula_client.get(f"/funding/staff/applications/{unknown}/").status_code == 404
    assert paula_client.get(f"/funding/staff/calls/{unknown}/applications/").status_code == 404


def test_the_applications_of_a_call_filter_by_stage_and_search_by_number_or_name(
    paula_client: Client, submitted: Application, call: Opportunity
) -> None:
    other_library = OrganizationFactory.create(name="Prairie County Library", zip_code="60601")
    screened = ApplicationFactory.create(
        opportunity=call,
        organization_id=other_library.pk,
        status=Status.SCREENED,
        tracking_number="F2027-777777",
    )
    url = f"/funding/staff/calls/{call.public_id}/applications/"

    by_stage = paula_client.get(url, {"status": "screened"}).content.decode()
    by_name = paula_client.get(url, {"q": "prairie"}).content.decode()
    by_number = paula_client.get(url, {"q": str(submitted.tracking_number)}).content.decode()

    assert "F2027-777777" in by_stage and str(submitted.tracking_number) not in by_stage
    assert "Prairie County Library" in by_name and str(submitted.tracking_number) not in by_name
    assert str(submitted.tracking_number) in by_number and "F2027-777777" not in by_number
    assert f"/funding/staff/applications/{screened.public_id}/" in by_stage


# --- screening -----------------------------------------------------------------------------


def test_staff_screen_an_application_and_the_applicant_is_emailed(
    paula_client: Client,
    submitted: Application,
    call: Opportunity,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = paula_client.post(
            f"/funding/staff/applications/{submitted.public_id}/screen/", screening_post(call)
        )

    assert response.status_code == 302
    submitted.refresh_from_db()
    assert submitted.status == Status.SCREENED
    assert sorted(
        ScreeningAnswer.objects.filter(application=submitted).values_list(
            "item__text", "met", "note"
        )
    ) == [
        ("Eligible costs only.", True, ""),
        ("Letter of support.", True, "Signed by the director."),
    ]
    assert trail(submitted)[-1] == ("submitted", "screened", "paula@example.org", "")
    (message,) = mail.outbox
    assert message.to == ["alice@example.org"]
    assert message.subject == "Your application was screened: Health outreach awards 2027"
    assert str(submitted.tracking_number) in message.body
    page = paula_client.get(f"/funding/staff/applications/{submitted.public_id}/").content.decode()
    assert "Letter of support. — <strong>met</strong> (Signed by the director.)" in page


def test_a_checklist_with_an_item_unanswered_saves_nothing(
    paula_client: Client, submitted: Application, call: Opportunity
) -> None:
    first = call.screening_items.order_by("position").first()
    assert first is not None
    data = screening_post(call)
    del data[f"met_{first.pk}"]

    response = paula_client.post(f"/funding/staff/applications/{submitted.public_id}/screen/", data)

    assert response.status_code == 400
    assert "Please correct the highlighted fields." in response.content.decode()
    submitted.refresh_from_db()
    assert submitted.status == Status.SUBMITTED
    assert not ScreeningAnswer.objects.exists()


def test_declining_at_screening_needs_a_reason_and_emails_it_in_spanish(
    paula_client: Client,
    submitted: Application,
    call: Opportunity,
    rosa_spanish: Any,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    member_add(submitted, rosa_spanish)
    url = f"/funding/staff/applications/{submitted.public_id}/screen/"

    refused = paula_client.post(url, screening_post(call, outcome="declined"))
    assert refused.status_code == 400
    assert "Say why the application is declined." in refused.content.decode()
    submitted.refresh_from_db()
    assert submitted.status == Status.SUBMITTED
    assert not ScreeningAnswer.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = paula_client.post(
            url, screening_post(call, outcome="declined", reason="Costs are not allowable.")
        )

    assert response.status_code == 302
    submitted.refresh_from_db()
    assert submitted.status == Status.DECLINED
    assert trail(submitted)[-1] == (
        "submitted",
        "declined",
        "paula@example.org",
        "Costs are not allowable.",
    )
    by_address = {message.to[0]: message for message in mail.outbox}
    assert sorted(by_address) == ["alice@example.org", "rosa@example.org"]
    assert by_address["alice@example.org"].subject == (
        "Decision on your application: Health outreach awards 2027"
    )
    assert "Costs are not allowable." in by_address["alice@example.org"].body
    spanish = by_address["rosa@example.org"]
    # In her language: the call's Spanish title and the greeting (the rest of the wording is
    # translated in the locale files).
    assert spanish.subject.endswith(call.title_es)
    assert spanish.body.startswith("Hola, Rosa Delgado:")
    assert "Costs are not allowable." in spanish.body


def test_the_applicant_and_a_reviewer_may_not_screen(
    alice_client: Client, rita_client: Client, submitted: Application, call: Opportunity
) -> None:
    url = f"/funding/staff/applications/{submitted.public_id}/screen/"

    assert alice_client.post(url, screening_post(call)).status_code == 403
    assert rita_client.post(url, screening_post(call)).status_code == 403

    submitted.refresh_from_db()
    assert submitted.status == Status.SUBMITTED
    assert not ScreeningAnswer.objects.exists()
    assert [change[1] for change in trail(submitted)] == ["submitted"]


# --- reviewers -----------------------------------------------------------------------------


@pytest.fixture
def screened(paula_client: Client, submitted: Application, call: Opportunity) -> Application:
    response = paula_client.post(
        f"/funding/staff/applications/{submitted.public_id}/screen/", screening_post(call)
    )
    assert response.status_code == 302
    submitted.refresh_from_db()
    return submitted


def test_a_reviewer_in_conflict_is_listed_unavailable_with_the_reason_and_not_offered(
    paula_client: Client, screened: Application, rita: Any
) -> None:
    conflicted = reviewer_make("carl@example.org")
    ConflictOfInterest.objects.create(
        reviewer=conflicted,
        organization_id=screened.organization_id,
        reason="I sit on the library's board.",
    )

    page = paula_client.get(f"/funding/staff/applications/{screened.public_id}/").content.decode()
    refused = paula_client.post(
        f"/funding/staff/applications/{screened.public_id}/assign/", {"reviewer": conflicted.pk}
    )

    assert f'<option value="{rita.pk}">Rita</option>' in page
    assert f'<option value="{conflicted.pk}"' not in page
    assert "Carl: I sit on the library&#x27;s board." in page
    assert refused.status_code == 400
    assert not ReviewAssignment.objects.exists()


def test_the_liaison_of_the_applicant_who_reviews_is_unavailable(
    paula_client: Client, screened: Application, alice_liaison: Any
) -> None:
    from tapestry.accounts.api import Role, role_grant

    role_grant(user_id=alice_liaison.pk, roles=[Role.REVIEWER])

    page = paula_client.get(f"/funding/staff/applications/{screened.public_id}/").content.decode()

    assert f'<option value="{alice_liaison.pk}"' not in page
    assert "Alice Liaison: The applicant organization&#x27;s liaison." in page


def test_staff_assign_a_reviewer_who_is_emailed_without_the_applicants_name(
    paula_client: Client,
    screened: Application,
    rita: Any,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = paula_client.post(
            f"/funding/staff/applications/{screened.public_id}/assign/", {"reviewer": rita.pk}
        )

    assert response.status_code == 302
    assert list(ReviewAssignment.objects.values_list("application", "reviewer")) == [
        (screened.pk, rita.pk)
    ]
    (message,) = mail.outbox
    assert message.to == ["rita@example.org"]
    assert message.subject == "A funding application to review: Health outreach awards 2027"
    assert "Alice Memorial Library" not in message.subject
    assert f"/funding/review/{screened.public_id}/" in message.body


def test_a_reviewer_assigned_is_emailed_in_spanish(
    paula_client: Client,
    screened: Application,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    ramona = reviewer_make("ramona@example.org", language="es")

    with django_capture_on_commit_callbacks(execute=True):
        paula_client.post(
            f"/funding/staff/applications/{screened.public_id}/assign/", {"reviewer": ramona.pk}
        )

    (message,) = mail.outbox
    assert message.to == ["ramona@example.org"]
    assert message.subject.endswith(screened.opportunity.title_es)
    assert message.body.startswith("Hola, Ramona:")


def test_send_for_review_needs_a_reviewer_and_emails_the_applicant(
    paula_client: Client,
    screened: Application,
    rita: Any,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    url = f"/funding/staff/applications/{screened.public_id}/send-for-review/"
    paula_client.post(url)
    screened.refresh_from_db()
    assert screened.status == Status.SCREENED

    paula_client.post(
        f"/funding/staff/applications/{screened.public_id}/assign/", {"reviewer": rita.pk}
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = paula_client.post(url)

    assert response.status_code == 302
    screened.refresh_from_db()
    assert screened.status == Status.UNDER_REVIEW
    assert trail(screened)[-1] == ("screened", "under_review", "paula@example.org", "")
    (message,) = mail.outbox
    assert message.to == ["alice@example.org"]
    assert message.subject == "Your application is under review: Health outreach awards 2027"


# --- the decision --------------------------------------------------------------------------


@pytest.fixture
def under_review(paula_client: Client, screened: Application, rita: Any) -> Application:
    paula_client.post(
        f"/funding/staff/applications/{screened.public_id}/assign/", {"reviewer": rita.pk}
    )
    paula_client.post(f"/funding/staff/applications/{screened.public_id}/send-for-review/")
    screened.refresh_from_db()
    assert screened.status == Status.UNDER_REVIEW
    return screened


def test_a_decision_needs_a_reason(paula_client: Client, under_review: Application) -> None:
    before = trail(under_review)

    response = paula_client.post(
        f"/funding/staff/applications/{under_review.public_id}/decide/",
        {"decision": "awarded", "reason": "   "},
    )

    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    under_review.refresh_from_db()
    assert under_review.status == Status.UNDER_REVIEW
    assert trail(under_review) == before


def test_staff_award_with_a_reason_the_applicant_reads_and_the_trail_shows(
    paula_client: Client,
    under_review: Application,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = paula_client.post(
            f"/funding/staff/applications/{under_review.public_id}/decide/",
            {"decision": "awarded", "reason": "Strong community partners."},
        )

    assert response.status_code == 302
    under_review.refresh_from_db()
    assert under_review.status == Status.AWARDED
    assert [change[:2] for change in trail(under_review)] == [
        ("draft", "submitted"),
        ("submitted", "screened"),
        ("screened", "under_review"),
        ("under_review", "awarded"),
    ]
    (message,) = mail.outbox
    assert message.subject == "Your application is funded: Health outreach awards 2027"
    assert "Strong community partners." in message.body
    page = paula_client.get(
        f"/funding/staff/applications/{under_review.public_id}/"
    ).content.decode()
    assert "Under review → Awarded" in page and "Strong community partners." in page
    assert "Paula Program" in page


def test_the_applicant_and_the_reviewer_may_not_decide(
    alice_client: Client, rita_client: Client, under_review: Application
) -> None:
    url = f"/funding/staff/applications/{under_review.public_id}/decide/"
    data = {"decision": "awarded", "reason": "We deserve it."}
    before = trail(under_review)

    assert alice_client.post(url, data).status_code == 403
    assert rita_client.post(url, data).status_code == 403
    assert (
        rita_client.post(
            f"/funding/staff/applications/{under_review.public_id}/assign/", {"reviewer": 1}
        ).status_code
        == 403
    )

    under_review.refresh_from_db()
    assert under_review.status == Status.UNDER_REVIEW
    assert trail(under_review) == before


def test_a_withdrawal_emails_the_applicants_people(
    submitted: Application,
    alice_liaison: Any,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    from tapestry.funding.services import application_move

    with django_capture_on_commit_callbacks(execute=True):
        application_move(
            actor=alice_liaison,
            application=submitted,
            to=Status.WITHDRAWN,
            reason="Our director left.",
        )

    (message,) = mail.outbox
    assert message.to == ["alice@example.org"]
    assert message.subject == "Application withdrawn: Health outreach awards 2027"
    assert "Our director left." in message.body
    assert str(submitted.tracking_number) in message.body


def test_the_staff_page_shows_the_application_the_budget_total_and_sections(
    paula_client: Client, submitted: Application
) -> None:
    submitted.sections.create(key="need", text="Our county has no clinic.")

    page = paula_client.get(f"/funding/staff/applications/{submitted.public_id}/").content.decode()

    assert "Health fair at the library" in page
    assert "Our county has no clinic." in page
    assert "$1,200.50" in page and "$2,000.50" in page
    assert "Alice Memorial Library" in page


def test_a_refused_screening_move_leaves_no_answers_behind(
    submitted: Application, call: Opportunity, paula_program_staff: Any
) -> None:
    from tapestry.funding.reviews import Answer, screening_complete
    from tapestry.funding.services import FundingError

    answers = {item.pk: Answer(met=False) for item in call.screening_items.all()}

    with pytest.raises(FundingError, match=r"Give a reason for this change\."):
        screening_complete(
            actor=paula_program_staff,
            application=submitted,
            answers=answers,
            outcome=Status.DECLINED,
            reason="",
        )

    assert not ScreeningAnswer.objects.exists()
    submitted.refresh_from_db()
    assert submitted.status == Status.SUBMITTED


def test_a_step_posted_twice_says_so_and_changes_nothing(
    paula_client: Client, screened: Application, call: Opportunity
) -> None:
    before = trail(screened)
    answers = list(ScreeningAnswer.objects.values_list("item", "met", "note"))

    response = paula_client.post(
        f"/funding/staff/applications/{screened.public_id}/screen/",
        screening_post(call, outcome="declined", reason="Changed our mind."),
        follow=True,
    )

    assert response.status_code == 200
    assert "Only a submitted application is screened." in response.content.decode()
    assert trail(screened) == before
    assert list(ScreeningAnswer.objects.values_list("item", "met", "note")) == answers


def test_staff_see_an_assigned_reviewers_conflict_declared_since(
    paula_client: Client, under_review: Application, rita: Any
) -> None:
    ConflictOfInterest.objects.create(
        reviewer=rita, organization_id=under_review.organization_id, reason="New job there."
    )

    page = paula_client.get(
        f"/funding/staff/applications/{under_review.public_id}/"
    ).content.decode()

    assert "Rita: <strong>conflict of interest declared</strong> (New job there.)" in page


def test_attachments_are_listed_with_their_size(
    paula_client: Client, submitted: Application, alice_liaison: Any
) -> None:
    submitted.attachments.create(
        file="funding/x/letter",
        name="Letter of support.pdf",
        content_type="application/pdf",
        size=2048,
        uploaded_by=alice_liaison,
    )

    page = paula_client.get(f"/funding/staff/applications/{submitted.public_id}/").content.decode()

    assert "Letter of support.pdf" in page and "2.0\xa0KB" in page


@pytest.mark.parametrize("step", ["screen", "assign", "send-for-review", "decide"])
def test_every_staff_step_is_refused_to_the_applicant_and_the_reviewer(
    step: str,
    alice_client: Client,
    rita_client: Client,
    screened: Application,
    call: Opportunity,
    rita: Any,
    audit_log: Callable[[], list[tuple]],
) -> None:
    data = {
        **screening_post(call),
        "reviewer": str(rita.pk),
        "decision": "declined",
        "reason": "Because.",
    }
    before = (trail(screened), audit_log(), list(ScreeningAnswer.objects.values_list("pk")))
    url = f"/funding/staff/applications/{screened.public_id}/{step}/"

    assert alice_client.post(url, data).status_code == 403
    assert rita_client.post(url, data).status_code == 403

    screened.refresh_from_db()
    assert screened.status == Status.SCREENED
    assert not ReviewAssignment.objects.exists()
    assert (trail(screened), audit_log(), list(ScreeningAnswer.objects.values_list("pk"))) == before


def test_the_applicant_may_not_publish_a_call(alice_client: Client) -> None:
    draft_call = OpportunityFactory.create(published_at=None)

    response = alice_client.post(f"/funding/staff/calls/{draft_call.public_id}/publish/")

    assert response.status_code == 403
    draft_call.refresh_from_db()
    assert draft_call.published_at is None
