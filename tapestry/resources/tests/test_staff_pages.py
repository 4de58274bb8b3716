"""The staff pages for writing, reviewing and publishing resources, driven through their forms:
who may open them, the whole flow from a new draft to a published text, and the bad input each
page must refuse with a clear message and without losing what was typed."""

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from tapestry.accounts.api import Role
from tapestry.accounts.tests.factories import UserFactory
from tapestry.resources import clear_communication, services
from tapestry.resources.models import (
    ClearCommunicationReview,
    Resource,
    ResourceEvent,
    ResourceText,
    Status,
)

ENGLISH_BODY = (
    "<h2>Why take part</h2>"
    "<p>Research helps doctors learn what works for people like you. "
    "When many kinds of people take part, the answers fit more of us. "
    "You can ask questions at any time. You can stop at any time. "
    "It is your choice, and we will respect it.</p>"
    "<ul><li>Ask what the study is for.</li><li>Ask what you will do.</li></ul>"
)
SPANISH_BODY = (
    "<h2>Por qué participar</h2>"
    "<p>La investigación ayuda a los médicos a saber qué funciona para personas como usted. "
    "Cuando participan muchas personas, las respuestas sirven a más de nosotros. "
    "Puede hacer preguntas en cualquier momento. Puede parar cuando quiera. "
    "Es su decisión y la vamos a respetar.</p>"
    "<ul><li>Pregunte para qué es el estudio.</li><li>Pregunte qué va a hacer usted.</li></ul>"
)
HARD_ENGLISH_BODY = (
    "<p>Participation in longitudinal epidemiological investigations necessitates "
    "comprehensive understanding of institutional confidentiality considerations, "
    "particularly regarding the characterization of genomic information, the authorization "
    "of secondary utilization, and the administrative responsibilities of the participating "
    "organizations, notwithstanding individual circumstances and the considerable variability "
    "of jurisdictional requirements applicable to each participant.</p>"
)
# Every item met: "yes" to each, except item 17 ("does the reader have to do math?"), met by "no".
ALL_YES = {
    f"item_{item.number}": "yes" if item.yes_scores else "no"
    for item in clear_communication.items()
}


@pytest.fixture
def rita_reviewer(db: None) -> Any:
    return UserFactory.create(
        email="rita@example.org",
        full_name="Rita Reviewer",
        roles=[Role.REVIEWER],
        two_factor=True,
    )


def _new_resource_data(**changes: Any) -> dict[str, Any]:
    data = {
        "kind": "article",
        "focus_areas": ["diversity-in-research"],
        "audiences": ["public"],
        "language": "en",
        "title": "Why take part in research",
        "summary": "What taking part means, in a few words.",
        "body": ENGLISH_BODY,
        "transcript": "",
        "url": "",
    }
    return {**data, **changes}


def _words(text: ResourceText, **changes: str) -> dict[str, str]:
    data = {
        "title": text.title,
        "summary": text.summary,
        "body": text.body,
        "transcript": text.transcript,
        "url": text.url,
    }
    return {**data, **changes}


def _text_url(text: ResourceText, action: str = "") -> str:
    names = {
        "": "resources:staff_text",
        "submit": "resources:staff_submit",
        "sheet": "resources:staff_sheet",
        "publish": "resources:staff_publish",
        "return": "resources:staff_return",
        "withdraw": "resources:staff_withdraw",
        "in_step": "resources:staff_in_step",
    }
    return reverse(names[action], args=[text.pk])


def _draft(author: Any, *, body: str = ENGLISH_BODY, language: str = "en") -> ResourceText:
    return services.resource_create(
        actor=author,
        kind="article",
        focus_areas=["diversity-in-research"],
        audiences=["public"],
        critical=False,
        language=language,
        title="Why take part in research" if language == "en" else "Por qué participar",
        summary="",
        body=body,
    )


def _in_review(author: Any, **kwargs: Any) -> ResourceText:
    return services.text_submit(actor=author, text=_draft(author, **kwargs))


def _status(text: ResourceText) -> str:
    return ResourceText.objects.get(pk=text.pk).status


# --- who may open the pages ---------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["resources:staff_list", "resources:staff_new"],
)
def test_a_person_with_no_role_is_refused_every_page(
    name: str, bob_client: Client, sam_specialist: Any
) -> None:
    # Given a draft by Sam and Bob, signed in with no role
    text = _draft(sam_specialist)

    # When Bob opens the staff pages
    responses = [
        bob_client.get(reverse(name)),
        bob_client.get(_text_url(text)),
        bob_client.post(_text_url(text, "submit")),
        bob_client.post(reverse(name.replace("list", "new")), _new_resource_data()),
    ]

    # Then each refuses him, and nothing changed
    assert [response.status_code for response in responses] == [403, 403, 403, 403]
    assert _status(text) == Status.DRAFT
    assert Resource.objects.count() == 1


def test_a_visitor_is_sent_to_sign_in(visitor: Client) -> None:
    response = visitor.get(reverse("resources:staff_list"))

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_text_that_does_not_exist_is_not_found(
    staff_signed_in: Callable[[Any], Client], paula_program_staff: Any
) -> None:
    client = staff_signed_in(paula_program_staff)

    assert client.get(reverse("resources:staff_text", args=[999_999])).status_code == 404
    assert client.post(reverse("resources:staff_submit", args=[999_999])).status_code == 404


def test_a_reviewer_who_does_not_write_cannot_open_the_new_resource_page(
    staff_signed_in: Callable[[Any], Client], rita_reviewer: Any
) -> None:
    client = staff_signed_in(rita_reviewer)

    assert client.get(reverse("resources:staff_list")).status_code == 200
    assert client.get(reverse("resources:staff_new")).status_code == 403


# --- the whole flow -----------------------------------------------------------------------


def test_an_author_writes_sends_for_review_and_a_colleague_scores_and_publishes(
    staff_signed_in: Callable[[Any], Client],
    sam_specialist: Any,
    paula_program_staff: Any,
    audit_log: Callable[[], list[tuple]],
) -> None:
    sam = staff_signed_in(sam_specialist)
    paula = staff_signed_in(paula_program_staff)

    # Sam writes a new resource
    response = sam.post(reverse("resources:staff_new"), _new_resource_data())
    text = ResourceText.objects.get()
    assert response.status_code == 302
    assert response["Location"] == _text_url(text)
    assert text.status == Status.DRAFT
    assert text.meets_target is True

    # ...changes a word and saves
    response = sam.post(_text_url(text), _words(text, title="Why you might take part"))
    assert response.status_code == 302
    assert ResourceText.objects.get(pk=text.pk).title == "Why you might take part"

    # ...and sends it for review; his page says he cannot review it himself
    assert sam.post(_text_url(text, "submit")).status_code == 302
    assert _status(text) == Status.IN_REVIEW
    page = sam.get(_text_url(text)).content.decode()
    assert 'id="score-sheet"' not in page

    # Paula, a colleague, sees it under "needs review", fills in the sheet and publishes
    listing = paula.get(reverse("resources:staff_list"), {"needs_review": "on"}).content.decode()
    assert "Why you might take part" in listing
    page = paula.get(_text_url(text)).content.decode()
    assert 'id="score-sheet"' in page
    assert paula.post(_text_url(text, "sheet"), ALL_YES).status_code == 302
    page = paula.get(_text_url(text)).content.decode()
    assert "100/100, passes" in page
    response = paula.post(_text_url(text, "publish"), {"above_target_reason": ""})

    # Then the text is published by Paula, with its trail
    assert response.status_code == 302
    published = ResourceText.objects.get(pk=text.pk)
    assert published.status == Status.PUBLISHED
    assert published.reviewer == paula_program_staff
    assert published.published_title == "Why you might take part"
    assert list(published.events.order_by("pk").values_list("action", flat=True)) == [
        ResourceEvent.Action.CREATED,
        ResourceEvent.Action.EDITED,
        ResourceEvent.Action.SUBMITTED,
        ResourceEvent.Action.SCORED,
        ResourceEvent.Action.PUBLISHED,
    ]
    assert [row[0] for row in audit_log()] == ["resources.create", "resources.publish"]
    trail = paula.get(_text_url(text)).content.decode()
    assert "Sam Specialist" in trail
    assert "Paula Program" in trail


def test_the_author_cannot_review_their_own_text(
    staff_signed_in: Callable[[Any], Client], paula_program_staff: Any
) -> None:
    # Given Paula's own text in review (she may review others' texts)
    text = _in_review(paula_program_staff)
    paula = staff_signed_in(paula_program_staff)

    # When she tries to score it and publish it
    page = paula.get(_text_url(text)).content.decode()
    sheet = paula.post(_text_url(text, "sheet"), ALL_YES)
    publish = paula.post(_text_url(text, "publish"), {"above_target_reason": ""})

    # Then the page offers no review, and both posts are refused with a message
    assert 'id="score-sheet"' not in page
    assert 'id="not-your-review"' in page
    assert sheet.status_code == 403
    assert publish.status_code == 403
    assert "Someone other than its author must review this text" in publish.content.decode()
    assert _status(text) == Status.IN_REVIEW
    assert ClearCommunicationReview.objects.count() == 0


def test_an_engagement_specialist_cannot_publish(
    staff_signed_in: Callable[[Any], Client], sam_specialist: Any, olga_other_specialist: Any
) -> None:
    text = _in_review(sam_specialist)

    response = staff_signed_in(olga_other_specialist).post(
        _text_url(text, "publish"), {"above_target_reason": ""}
    )

    assert response.status_code == 403
    assert _status(text) == Status.IN_REVIEW


def test_publishing_above_target_needs_a_reason(
    staff_signed_in: Callable[[Any], Client], sam_specialist: Any, rita_reviewer: Any
) -> None:
    # Given a hard text in review, with a passing score sheet from Rita
    text = _in_review(sam_specialist, body=HARD_ENGLISH_BODY)
    assert text.meets_target is False
    rita = staff_signed_in(rita_reviewer)
    rita.post(_text_url(text, "sheet"), ALL_YES)

    # When Rita publishes without a reason
    page = rita.get(_text_url(text)).content.decode()
    refused = rita.post(_text_url(text, "publish"), {"above_target_reason": ""})

    # Then the page asked for a reason, the post is refused with the message, nothing published
    assert 'name="above_target_reason"' in page
    assert refused.status_code == 400
    assert "This text reads above grade 8" in refused.content.decode()
    assert _status(text) == Status.IN_REVIEW
    assert ResourceText.objects.get(pk=text.pk).published_at is None

    # When she writes why
    reason = "The consent terms are legal words the study must use; each is explained."
    published = rita.post(_text_url(text, "publish"), {"above_target_reason": reason})

    # Then it is published with the reason
    assert published.status_code == 302
    text.refresh_from_db()
    assert text.status == Status.PUBLISHED
    assert text.above_target_reason == reason


def test_a_second_submit_says_the_text_moved_on(
    staff_signed_in: Callable[[Any], Client], sam_specialist: Any
) -> None:
    text = _in_review(sam_specialist)

    response = staff_signed_in(sam_specialist).post(_text_url(text, "submit"))

    assert response.status_code == 409
    assert "reload the page to see its latest state" in response.content.decode()
    assert _status(text) == Status.IN_REVIEW


def test_an_incomplete_score_sheet_shows_each_missing_item(
    staff_signed_in: Callable[[Any], Client], sam_specialist: Any, rita_reviewer: Any
) -> None:
    text = _in_review(sam_specialist)
    answers = {**ALL_YES}
    del answers["item_3"]

    response = staff_signed_in(rita_reviewer).post(_text_url(text, "sheet"), answers)

    page = response.content.decode()
    assert response.status_code == 400
    assert 'id="id_sheet_item_3-error"' in page
    assert 'value="yes" checked' in page  # the answers given are kept
    assert ClearCommunicationReview.objects.count() == 0


def test_a_reviewer_returns_a_text_with_a_note(
    staff_signed_in: Callable[[Any], Client], sam_specialist: Any, rita_reviewer: Any
) -> None:
    text = _in_review(sam_specialist)
    rita = staff_signed_in(rita_reviewer)

    empty = rita.post(_text_url(text, "return"), {"note": ""})
    returned = rita.post(_text_url(text, "return"), {"note": "Say who to call."})

    assert empty.status_code == 400
    assert returned.status_code == 302
    text.refresh_from_db()
    assert text.status == Status.DRAFT
    assert text.review_note == "Say who to call."
    assert (
        "Say who to call." in staff_signed_in(sam_specialist).get(_text_url(text)).content.decode()
    )


def test_withdrawing_a_published_text_needs_a_reason(
    staff_signed_in: Callable[[Any], Client], sam_specialist: Any, rita_reviewer: Any
) -> None:
    text = _in_review(sam_specialist)
    rita = staff_signed_in(rita_reviewer)
    rita.post(_text_url(text, "sheet"), ALL_YES)
    rita.post(_text_url(text, "publish"), {})

    refused = rita.post(_text_url(text, "withdraw"), {"reason": ""})
    withdrawn = rita.post(_text_url(text, "withdraw"), {"reason": "The advice changed."})

    assert refused.status_code == 400
    assert withdrawn.status_code == 302
    text.refresh_from_db()
    assert text.published_at is None
    assert text.status == Status.DRAFT


# --- bad input ----------------------------------------------------------------------------


def test_a_pasted_script_is_gone_from_the_saved_body(
    staff_signed_in: Callable[[Any], Client], sam_specialist: Any
) -> None:
    body = ENGLISH_BODY + '<script>alert("x")</script><p onclick="steal()">Call us today.</p>'

    staff_signed_in(sam_specialist).post(
        reverse("resources:staff_new"), _new_resource_data(body=body)
    )

    saved = ResourceText.objects.get().body
    assert "<script" not in saved
    assert "alert" not in saved
    assert "onclick" not in saved
    assert "<p>Call us today.</p>" in saved


def test_the_preview_shows_the_cleaned_body_and_its_scores(
    staff_signed_in: Callable[[Any], Client], sam_specialist: Any
) -> None:
    response = staff_signed_in(sam_specialist).post(
        reverse("resources:staff_preview"),
        {"language": "en", "body": ENGLISH_BODY + "<script>alert(1)</script>", "summary": ""},
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "<h2>Why take part</h2>" in page
    assert "<script" not in page
    assert 'id="preview-scores" hx-swap-oob="innerHTML"' in page
    assert "Meets the target: grade 8." in page


def test_an_empty_body_is_refused_and_the_rest_is_kept(
    staff_signed_in: Callable[[Any], Client], sam_specialist: Any
) -> None:
    response = staff_signed_in(sam_specialist).post(
        reverse("resources:staff_new"), _new_resource_data(body="   ")
    )

    page = response.content.decode()
    assert response.status_code == 400
    assert "Write the text: an article or a handout needs words." in page
    assert 'value="Why take part in research"' in page
    assert Resource.objects.count() == 0


def test_a_body_over_sixty_thousand_characters_is_refused_and_kept(
    staff_signed_in: Callable[[Any], Client], sam_specialist: Any
) -> None:
    # Given Sam's draft and a body one character too long
    text = _draft(sam_specialist)
    body = "<p>" + "a" * (60_001 - len("<p></p>")) + "</p>"
    assert len(body) == 60_001

    # When he saves it
    response = staff_signed_in(sam_specialist).post(_text_url(text), _words(text, body=body))

    # Then the field says so, every character typed comes back, and nothing was saved
    page = response.content.decode()
    assert response.status_code == 400
    assert "The text is too long: keep it under 60,000 characters" in page
    assert escape(body) in page
    assert ResourceText.objects.get(pk=text.pk).body == text.body


def test_a_spanish_text_marked_english_is_refused_and_kept(
    staff_signed_in: Callable[[Any], Client], sam_specialist: Any
) -> None:
    response = staff_signed_in(sam_specialist).post(
        reverse("resources:staff_new"),
        _new_resource_data(language="en", title="Por qué participar", body=SPANISH_BODY),
    )

    page = response.content.decode()
    assert response.status_code == 400
    assert "This text reads as Spanish but is marked English." in page
    assert "Cuando participan muchas personas" in page
    assert Resource.objects.count() == 0


def test_an_image_without_alternative_text_cannot_be_sent_for_review(
    staff_signed_in: Callable[[Any], Client], sam_specialist: Any
) -> None:
    text = _draft(sam_specialist, body=ENGLISH_BODY + '<img src="https://example.org/a.png">')

    response = staff_signed_in(sam_specialist).post(_text_url(text, "submit"))

    assert response.status_code == 400
    assert "Every image needs alternative text" in response.content.decode()
    assert _status(text) == Status.DRAFT


# --- the two languages --------------------------------------------------------------------


def test_a_translation_is_added_and_the_stale_flag_shows_and_clears(
    staff_signed_in: Callable[[Any], Client], sam_specialist: Any
) -> None:
    sam = staff_signed_in(sam_specialist)
    english = _draft(sam_specialist)
    add_url = reverse("resources:staff_translation_add", args=[english.resource_id, "es"])

    # Sam adds the Spanish text
    assert 'id="add-translation"' in sam.get(_text_url(english)).content.decode()
    response = sam.post(add_url, {"title": "Por qué participar", "body": SPANISH_BODY})
    spanish = ResourceText.objects.get(language="es")
    assert response.status_code == 302
    assert 'id="out-of-date"' not in sam.get(_text_url(spanish)).content.decode()

    # ...then changes the English one: the Spanish is now out of date, here and in the list
    sam.post(_text_url(english), _words(english, title="Why you might take part"))
    assert 'id="out-of-date"' in sam.get(_text_url(spanish)).content.decode()
    assert "Translation out of date" in sam.get(reverse("resources:staff_list")).content.decode()

    # ...and says the Spanish needs no change: the flag clears
    assert sam.post(_text_url(spanish, "in_step")).status_code == 302
    assert 'id="out-of-date"' not in sam.get(_text_url(spanish)).content.decode()
    assert (
        "Translation out of date" not in sam.get(reverse("resources:staff_list")).content.decode()
    )


def test_metadata_changes_through_its_page(
    staff_signed_in: Callable[[Any], Client], sam_specialist: Any
) -> None:
    text = _draft(sam_specialist)
    url = reverse("resources:staff_about", args=[text.resource_id])

    refused = staff_signed_in(sam_specialist).post(
        url, {"kind": "handout", "audiences": ["public"]}
    )
    saved = staff_signed_in(sam_specialist).post(
        url,
        {
            "kind": "handout",
            "focus_areas": ["digital-literacy"],
            "audiences": ["public"],
            "critical": "on",
        },
    )

    assert refused.status_code == 400
    assert "Choose at least one focus area." in refused.content.decode()
    assert saved.status_code == 302
    resource = Resource.objects.get()
    assert resource.kind == "handout"
    assert resource.critical is True
    assert [area.slug for area in resource.focus_areas.all()] == ["digital-literacy"]


def test_the_list_searches_titles_and_says_when_nothing_matches(
    staff_signed_in: Callable[[Any], Client], sam_specialist: Any
) -> None:
    _draft(sam_specialist)
    sam = staff_signed_in(sam_specialist)

    found = sam.get(reverse("resources:staff_list"), {"q": "take part"}).content.decode()
    nothing = sam.get(reverse("resources:staff_list"), {"q": "vaccines"}).content.decode()

    assert "Why take part in research" in found
    assert "Why take part in research" not in nothing
    assert 'id="empty"' in nothing


def test_the_django_admin_shows_resources_read_only(
    staff_signed_in: Callable[[Any], Client], admin: Any, sam_specialist: Any
) -> None:
    text = _draft(sam_specialist)
    client = staff_signed_in(admin)

    listing = client.get("/admin/resources/resource/")
    change = client.get(f"/admin/resources/resource/{text.resource_id}/change/")
    events = client.get("/admin/resources/resourceevent/")
    add = client.get("/admin/resources/resource/add/")

    assert [listing.status_code, change.status_code, events.status_code] == [200, 200, 200]
    assert add.status_code == 403
    assert _text_url(text) in change.content.decode()
    assert 'name="title"' not in change.content.decode()


def test_saving_spanish_words_on_an_english_text_is_refused_and_kept(
    staff_signed_in: Callable[[Any], Client], sam_specialist: Any
) -> None:
    # Given Sam's English draft
    text = _draft(sam_specialist)

    # When he pastes Spanish words into it and saves
    response = staff_signed_in(sam_specialist).post(
        _text_url(text), _words(text, title="Por qué participar", body=SPANISH_BODY)
    )

    # Then the page says why, shows what he pasted, and the draft is unchanged
    page = response.content.decode()
    assert response.status_code == 400
    assert 'id="refusal"' in page
    assert "This text reads as Spanish but is marked English." in page
    assert escape(SPANISH_BODY) in page
    assert ResourceText.objects.get(pk=text.pk).body == text.body


def test_the_editor_works_without_script(
    staff_signed_in: Callable[[Any], Client], sam_specialist: Any
) -> None:
    page = staff_signed_in(sam_specialist).get(reverse("resources:staff_new")).content.decode()

    # The toolbar needs script, so it starts hidden; the textarea is a plain form field
    assert '<div id="editor-toolbar-wrapper" hidden>' in page
    assert '<textarea class="usa-textarea tapestry-editor" name="body" id="id_body"' in page
    assert 'src="/static/js/resources-editor.js"' in page
