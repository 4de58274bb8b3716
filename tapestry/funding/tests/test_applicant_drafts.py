"""The draft: only its people open it; title and summary; sections saved as people type, with
a conflict warning instead of a silent overwrite; the budget in Decimal; colleagues."""

from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from tapestry.accounts.tests.factories import UserFactory
from tapestry.funding.drafts import SectionConflict, section_save
from tapestry.funding.models import Application, ApplicationSection, BudgetLine
from tapestry.funding.services import application_member_add, application_submit
from tapestry.funding.tests.factories_applicant import draft_make
from tapestry.network.tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


@pytest.fixture
def draft(alice_liaison: Any, alice_library: Any) -> Application:
    return draft_make(liaison=alice_liaison, organization=alice_library)


@pytest.fixture
def carmen(draft: Application, alice_liaison: Any) -> Any:
    """Alice's colleague, added to the draft."""
    colleague = UserFactory.create(email="carmen@example.org", full_name="Carmen Ruiz")
    application_member_add(actor=alice_liaison, application=draft, email="carmen@example.org")
    return colleague


def url(application: Application, rest: str = "") -> str:
    return f"/funding/applications/{application.public_id}/{rest}"


# --- who may open it ------------------------------------------------------------------------


def test_the_liaison_opens_the_draft_with_its_sections(
    alice_client: Client, draft: Application
) -> None:
    response = alice_client.get(url(draft))

    page = response.content.decode()
    assert response.status_code == 200
    assert [entry["section"].key for entry in response.context["sections"]] == [
        "need",
        "activities",
        "audience",
        "evaluation",
        "sustainability",
    ]
    assert 'hx-trigger="keyup changed delay:1500ms, change"' in page
    assert "Total: $1,200.50 of at most $5,000.00." in page


def test_a_stranger_gets_404_and_nothing_changes(bob_client: Client, draft: Application) -> None:
    assert bob_client.get(url(draft)).status_code == 404
    assert bob_client.post(url(draft), {"project_title": "Mine", "summary": "x"}).status_code == 404
    response = bob_client.post(
        url(draft, "sections/need/"), {"text": "Taken over", "base_version": 0}, headers=HTMX
    )

    assert response.status_code == 404
    draft.refresh_from_db()
    assert draft.project_title == "Health fair at the library"
    assert ApplicationSection.objects.count() == 0


def test_another_organizations_liaison_gets_404(signed_in: Any, draft: Application) -> None:
    other = UserFactory.create(email="otto@example.org")
    OrganizationFactory.create(name="Other Library", liaison=other)

    assert signed_in(other).get(url(draft)).status_code == 404


def test_a_colleague_added_by_the_liaison_sees_and_edits_it(
    signed_in: Any, draft: Application, carmen: Any
) -> None:
    client = signed_in(carmen)

    response = client.post(url(draft), {"project_title": "Fair 2027", "summary": "Screenings."})

    assert response.status_code == 302
    draft.refresh_from_db()
    assert (draft.project_title, draft.summary) == ("Fair 2027", "Screenings.")
    page = client.get(url(draft)).content.decode()
    assert "Carmen Ruiz (carmen@example.org)" in page
    assert "Alice Liaison (alice@example.org)" in page


def test_adding_a_colleague_without_an_account_says_so(
    alice_client: Client, draft: Application
) -> None:
    response = alice_client.post(url(draft, "people/"), {"email": "nobody@example.org"})

    assert response.status_code == 400
    assert "No one has an account with this email address" in response.content.decode()
    assert [m.user.email for m in draft.members.all()] == ["alice@example.org"]


def test_only_the_liaison_adds_colleagues(signed_in: Any, draft: Application, carmen: Any) -> None:
    UserFactory.create(email="dora@example.org")

    response = signed_in(carmen).post(url(draft, "people/"), {"email": "dora@example.org"})

    assert response.status_code == 400
    assert sorted(m.user.email for m in draft.members.all()) == [
        "alice@example.org",
        "carmen@example.org",
    ]


# --- sections -------------------------------------------------------------------------------


def test_a_section_autosaves_and_answers_with_its_new_version(
    alice_client: Client, alice_liaison: Any, draft: Application
) -> None:
    response = alice_client.post(
        url(draft, "sections/need/"),
        {"text": "Many older adults here lack internet at home.", "base_version": 0},
        headers=HTMX,
    )

    page = response.content.decode()
    section = ApplicationSection.objects.get()
    assert response.status_code == 200
    assert (section.key, section.text, section.version, section.updated_by) == (
        "need",
        "Many older adults here lack internet at home.",
        1,
        alice_liaison,
    )
    assert '<input type="hidden" name="base_version" value="1">' in page
    assert 'hx-swap-oob="innerHTML"' in page
    assert "Saved at " in page


def test_without_script_the_section_saves_with_the_button(
    alice_client: Client, draft: Application
) -> None:
    response = alice_client.post(
        url(draft, "sections/activities/"), {"text": "Two fairs.", "base_version": 0}
    )

    assert response.status_code == 302
    assert response["Location"] == url(draft) + "#section-activities"
    assert ApplicationSection.objects.get().text == "Two fairs."


def test_an_unknown_section_is_not_found(alice_client: Client, draft: Application) -> None:
    response = alice_client.post(
        url(draft, "sections/secrets/"), {"text": "x", "base_version": 0}, headers=HTMX
    )

    assert response.status_code == 404
    assert ApplicationSection.objects.count() == 0


def test_a_section_over_its_word_limit_is_not_saved(
    alice_client: Client, draft: Application
) -> None:
    response = alice_client.post(
        url(draft, "sections/need/"), {"text": "word " * 501, "base_version": 0}, headers=HTMX
    )

    assert response.status_code == 200
    assert (
        "Not saved: This section takes at most 500 words; it has 501 words."
        in response.content.decode()
    )
    assert ApplicationSection.objects.count() == 0


def test_two_people_editing_one_section_get_a_conflict_not_an_overwrite(
    alice_liaison: Any, signed_in: Any, draft: Application, carmen: Any
) -> None:
    # Given both opened the draft at version 0, and Carmen saved first
    section_save(actor=carmen, application=draft, key="need", text="Carmen's text.", base_version=0)

    # When Alice's page autosaves from version 0
    response = signed_in(alice_liaison).post(
        url(draft, "sections/need/"), {"text": "Alice's text.", "base_version": 0}, headers=HTMX
    )

    # Then nothing is overwritten; Alice is told who changed it, sees their text and the choice
    page = response.content.decode()
    section = ApplicationSection.objects.get()
    assert (section.text, section.version, section.updated_by) == ("Carmen's text.", 1, carmen)
    assert "Not saved: Carmen Ruiz changed this section at" in page
    assert "Carmen&#x27;s text." in page
    assert "Keep their text" in page
    assert 'name="overwrite_version" value="1"' in page
    # Her own page still holds her version, so later autosaves keep warning
    assert '<input type="hidden" name="base_version" value="0">' in page


def test_overwrite_with_mine_saves_over_their_version(
    alice_liaison: Any, signed_in: Any, draft: Application, carmen: Any
) -> None:
    section_save(actor=carmen, application=draft, key="need", text="Carmen's text.", base_version=0)

    response = signed_in(alice_liaison).post(
        url(draft, "sections/need/"),
        {"text": "Alice's text.", "base_version": 0, "overwrite_version": 1},
        headers=HTMX,
    )

    section = ApplicationSection.objects.get()
    assert response.status_code == 200
    assert (section.text, section.version, section.updated_by) == (
        "Alice's text.",
        2,
        alice_liaison,
    )


def test_without_script_a_conflict_shows_the_whole_page_with_the_warning(
    alice_client: Client, draft: Application, carmen: Any
) -> None:
    section_save(actor=carmen, application=draft, key="need", text="Carmen's text.", base_version=0)

    response = alice_client.post(
        url(draft, "sections/need/"), {"text": "Alice's text.", "base_version": 0}
    )

    page = response.content.decode()
    assert response.status_code == 409
    assert "Alice&#x27;s text.</textarea>" in page
    assert "Carmen Ruiz changed this section at" in page
    assert ApplicationSection.objects.get().text == "Carmen's text."


def test_the_same_persons_older_tab_simply_overwrites(
    alice_liaison: Any, draft: Application
) -> None:
    section_save(
        actor=alice_liaison, application=draft, key="need", text="From tab two.", base_version=0
    )

    section = section_save(
        actor=alice_liaison, application=draft, key="need", text="From tab one.", base_version=0
    )

    assert (section.text, section.version) == ("From tab one.", 2)


def test_the_service_raises_the_conflict_with_their_section(
    alice_liaison: Any, draft: Application, carmen: Any
) -> None:
    section_save(actor=carmen, application=draft, key="need", text="Theirs.", base_version=0)

    with pytest.raises(SectionConflict) as refused:
        section_save(
            actor=alice_liaison, application=draft, key="need", text="Mine.", base_version=0
        )

    assert (refused.value.current.text, refused.value.current.updated_by) == ("Theirs.", carmen)


def test_keep_their_text_gives_back_the_section_as_saved(
    alice_client: Client, draft: Application, carmen: Any
) -> None:
    section_save(actor=carmen, application=draft, key="need", text="Theirs.", base_version=0)

    response = alice_client.get(url(draft, "sections/need/"), headers=HTMX)

    page = response.content.decode()
    assert ">Theirs.</textarea>" in page
    assert '<input type="hidden" name="base_version" value="1">' in page


# --- budget ---------------------------------------------------------------------------------


def budget_post(lines: list[tuple[str, str]], extra: int = 0) -> dict[str, Any]:
    data: dict[str, Any] = {
        "form-TOTAL_FORMS": str(len(lines) + extra),
        "form-INITIAL_FORMS": "0",
        "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "50",
    }
    for index, (description, amount) in enumerate(lines):
        data[f"form-{index}-description"] = description
        data[f"form-{index}-amount"] = amount
    return data


def test_the_budget_saves_exact_decimals(alice_client: Client, draft: Application) -> None:
    response = alice_client.post(
        url(draft, "budget/"),
        budget_post([("Interpreter", "800.10"), ("Printing", "0.20"), ("", "")]),
    )

    assert response.status_code == 302
    assert [(line.description, line.amount) for line in BudgetLine.objects.all()] == [
        ("Interpreter", Decimal("800.10")),
        ("Printing", Decimal("0.20")),
    ]
    page = alice_client.get(url(draft)).content.decode()
    assert "Total: $800.30 of at most $5,000.00." in page


def test_a_budget_over_the_maximum_shows_the_message_and_saves_nothing(
    alice_client: Client, draft: Application
) -> None:
    response = alice_client.post(
        url(draft, "budget/"), budget_post([("Staff", "4000.00"), ("Laptops", "1000.01")])
    )

    assert response.status_code == 400
    assert (
        "The budget adds up to more than this call&#x27;s maximum of $5,000.00."
        in response.content.decode()
    )
    assert [(line.description, line.amount) for line in BudgetLine.objects.all()] == [
        ("Screening supplies", Decimal("1200.50"))
    ]


def test_a_third_decimal_or_an_amount_without_an_item_is_a_field_error(
    alice_client: Client, draft: Application
) -> None:
    response = alice_client.post(
        url(draft, "budget/"), budget_post([("Staff", "10.005"), ("", "20")])
    )

    page = response.content.decode()
    assert response.status_code == 400
    assert "Ensure that there are no more than 2 decimal places." in page
    assert "Say what this amount pays for." in page
    assert BudgetLine.objects.count() == 1


def test_a_submitted_application_is_read_only(
    alice_client: Client, alice_liaison: Any, draft: Application
) -> None:
    application_submit(actor=alice_liaison, application=draft)

    page = alice_client.get(url(draft)).content.decode()
    response = alice_client.post(
        url(draft, "sections/need/"), {"text": "Late words.", "base_version": 0}, headers=HTMX
    )

    assert "<textarea" not in page
    assert "Save the budget" not in page
    assert (
        "Not saved: A submitted application can no longer be changed." in response.content.decode()
    )
    assert ApplicationSection.objects.count() == 0


def test_saving_the_text_already_there_is_no_conflict_and_no_new_version(
    alice_liaison: Any, draft: Application, carmen: Any
) -> None:
    section_save(actor=carmen, application=draft, key="need", text="Same.", base_version=0)

    section = section_save(
        actor=alice_liaison, application=draft, key="need", text="Same.", base_version=0
    )

    assert (section.version, section.updated_by) == (1, carmen)


def test_the_running_total_adds_the_lines_as_typed_without_saving(
    alice_client: Client, draft: Application
) -> None:
    response = alice_client.post(
        url(draft, "budget/total/"),
        budget_post([("Staff", "4000.00"), ("Laptops", "1000.25"), ("", "not a number")]),
        headers=HTMX,
    )

    assert response.status_code == 200
    assert response.content.decode() == (
        "Total: $5,000.25 of at most $5,000.00. "
        '<strong class="text-secondary-dark">That is $0.25 over the maximum.</strong>'
    )
    assert [line.amount for line in BudgetLine.objects.all()] == [Decimal("1200.50")]


def test_a_stranger_gets_no_running_total(bob_client: Client, draft: Application) -> None:
    response = bob_client.post(url(draft, "budget/total/"), budget_post([("Staff", "1.00")]))

    assert response.status_code == 404
