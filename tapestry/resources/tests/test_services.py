"""The resources services: writing, review, publication, sanitizing, the language check, the
stale-translation flag and the emails they send.

Sam (engagement specialist) writes; Paula (program staff) writes and reviews; Rita reviews
only, and reads in Spanish; Bob and Rosa hold no role that writes.
"""

from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail

from tapestry.resources import search, services
from tapestry.resources.models import (
    MAX_BODY_CHARACTERS,
    Kind,
    Resource,
    ResourceEvent,
    ResourceText,
    Status,
)
from tapestry.resources.services import Invalid, NotAllowed, WrongStatus
from tapestry.resources.tests.factories import (
    DENSE_EN,
    PASSING_SHEET,
    PLAIN_EN,
    PLAIN_ES,
    ResourceTextFactory,
    SpanishTextFactory,
    html,
    reviewer_make,
    text_publish,
    text_write,
)

pytestmark = pytest.mark.django_db

FAILING_SHEET = PASSING_SHEET | {"3": "no", "8": "no"}  # 82 of 100


@pytest.fixture
def rita_reviewer(db: None) -> Any:
    return reviewer_make(
        email="rita@example.org", full_name="Rita Revisora", preferred_language="es"
    )


def state(text: ResourceText) -> dict[str, Any]:
    """Everything a refused step must leave as it was."""
    fresh = ResourceText.objects.get(pk=text.pk)
    return {
        "fields": {
            field.name: getattr(fresh, field.attname)
            for field in ResourceText._meta.concrete_fields
        },
        "events": list(fresh.events.values_list("action", flat=True)),
        "sheets": fresh.reviews.count(),
    }


def events(text: ResourceText) -> list[tuple[str, str, str]]:
    return [
        (event.action, event.actor.email, event.note)
        for event in ResourceEvent.objects.filter(text=text).order_by("created_at", "pk")
    ]


def in_review(author: Any, **fields: Any) -> ResourceText:
    return services.text_submit(actor=author, text=text_write(author=author, **fields))


# --- the whole path ---------------------------------------------------------------------------


def test_a_text_goes_from_draft_to_review_to_published_by_another_person(
    sam_specialist: Any, paula_program_staff: Any, audit_log: Callable[[], list[tuple]]
) -> None:
    # Given Sam's draft
    text = text_write(author=sam_specialist, title="Living with diabetes")
    assert (text.status, text.is_live, text.meets_target) == (Status.DRAFT, False, True)

    # When Sam sends it for review and Paula scores and publishes it
    text = services.text_submit(actor=sam_specialist, text=text)
    assert text.status == Status.IN_REVIEW
    sheet = services.clear_communication_record(
        actor=paula_program_staff, text=text, answers=PASSING_SHEET
    )
    text = services.text_publish(actor=paula_program_staff, text=text)

    # Then it is published, by Paula, and the public copy is the reviewed text
    text.refresh_from_db()
    assert (sheet.score, sheet.passed, sheet.reviewer) == (100, True, paula_program_staff)
    assert text.status == Status.PUBLISHED
    assert text.reviewer == paula_program_staff
    assert text.is_live
    assert text.first_published_at == text.published_at
    assert (text.published_title, text.published_body) == ("Living with diabetes", html(PLAIN_EN))
    assert text.published_readability == text.readability
    assert text.above_target_reason == ""
    assert text.slug == "living-with-diabetes"
    assert list(search.texts_find(query="diabetes", language="en")) == [text]
    assert events(text) == [
        ("created", "sam@example.org", ""),
        ("submitted", "sam@example.org", ""),
        ("scored", "paula@example.org", "100/100"),
        ("published", "paula@example.org", ""),
    ]
    assert [(action, actor) for action, actor, *_ in audit_log()] == [
        ("resources.create", "sam@example.org"),
        ("resources.publish", "paula@example.org"),
    ]


def test_a_text_is_scored_on_every_save_in_its_own_language(
    sam_specialist: Any, olga_other_specialist: Any
) -> None:
    english = text_write(author=sam_specialist)
    spanish = services.translation_add(
        actor=olga_other_specialist,
        resource=english.resource,
        language="es",
        title="Vivir con diabetes",
        body=html(PLAIN_ES),
    )

    assert english.readability == {
        "smog": 5.8,
        "flesch_kincaid": 2.3,
        "target_grade": 8,
        "words": 76,
        "sentences": 9,
    }
    assert set(spanish.readability) == {
        "fernandez_huerta",
        "szigriszt_pazos",
        "target_grade",
        "words",
        "sentences",
    }
    assert spanish.meets_target is True


# --- who may do what --------------------------------------------------------------------------


@pytest.mark.parametrize("step", ["return", "score", "publish"])
def test_the_author_cannot_review_their_own_text(paula_program_staff: Any, step: str) -> None:
    # Given a text Paula wrote and sent for review (Paula may review others' texts)
    text = in_review(paula_program_staff)
    before = state(text)

    # When Paula tries to review it herself, then she is refused and nothing changed
    with pytest.raises(NotAllowed) as error:
        _review_step(step, actor=paula_program_staff, text=text)
    assert str(error.value) == (
        "Someone other than its author must review this text: ask a colleague."
    )
    assert state(text) == before


@pytest.mark.parametrize("step", ["return", "score", "publish"])
def test_the_last_editor_cannot_review_the_text(
    sam_specialist: Any, paula_program_staff: Any, step: str
) -> None:
    # Given Sam's text, last changed by Paula, in review
    text = text_write(author=sam_specialist)
    text = services.text_save(
        actor=paula_program_staff,
        text=text,
        title="Diabetes: the basics",
        summary="",
        body=html(PLAIN_EN),
    )
    text = services.text_submit(actor=paula_program_staff, text=text)
    before = state(text)

    with pytest.raises(NotAllowed):
        _review_step(step, actor=paula_program_staff, text=text)
    assert state(text) == before


def test_a_writer_without_a_review_role_cannot_review(
    sam_specialist: Any, olga_other_specialist: Any
) -> None:
    text = in_review(sam_specialist)
    before = state(text)

    with pytest.raises(NotAllowed) as error:
        services.text_publish(actor=olga_other_specialist, text=text)

    assert str(error.value) == "Only program staff and reviewers may review resources."
    assert state(text) == before


def _review_step(step: str, *, actor: Any, text: ResourceText) -> None:
    if step == "return":
        services.text_return(actor=actor, text=text, note="Shorter sentences, please.")
    elif step == "score":
        services.clear_communication_record(actor=actor, text=text, answers=PASSING_SHEET)
    else:
        services.text_publish(actor=actor, text=text, above_target_reason="x" * 40)


def test_a_person_without_a_writing_role_cannot_write(
    bob_applicant: Any, rosa_spanish: Any, rita_reviewer: Any, sam_specialist: Any
) -> None:
    text = text_write(author=sam_specialist)
    before = state(text)

    for person in (bob_applicant, rosa_spanish, rita_reviewer):
        with pytest.raises(NotAllowed) as error:
            text_write(author=person, title="Not mine to write")
        assert str(error.value) == "Only program staff and health educators may write resources."
        with pytest.raises(NotAllowed):
            services.text_save(actor=person, text=text, title="Changed", summary="", body="")
        with pytest.raises(NotAllowed):
            services.text_submit(actor=person, text=text)

    assert Resource.objects.count() == 1
    assert state(text) == before


# --- publishing needs a passing, current score sheet ------------------------------------------


def test_publishing_without_a_score_sheet_is_refused(
    sam_specialist: Any, paula_program_staff: Any
) -> None:
    text = in_review(sam_specialist)
    before = state(text)

    with pytest.raises(Invalid) as error:
        services.text_publish(actor=paula_program_staff, text=text)

    assert str(error.value) == "Fill in the Clear Communication Index score sheet first."
    assert state(text) == before


def test_publishing_with_a_failing_score_sheet_is_refused(
    sam_specialist: Any, paula_program_staff: Any
) -> None:
    text = in_review(sam_specialist)
    sheet = services.clear_communication_record(
        actor=paula_program_staff, text=text, answers=FAILING_SHEET
    )
    before = state(text)

    with pytest.raises(Invalid) as error:
        services.text_publish(actor=paula_program_staff, text=text)

    assert (sheet.score, sheet.passed) == (82, False)
    assert str(error.value) == (
        "The Clear Communication Index score is 82; a text needs 90 to be published. "
        "Return it to the author with what to change."
    )
    assert state(text) == before


def test_a_sheet_of_91_passes_and_an_administrator_may_publish(
    sam_specialist: Any, admin: Any
) -> None:
    text = in_review(sam_specialist)

    sheet = services.clear_communication_record(
        actor=admin, text=text, answers=PASSING_SHEET | {"3": "no"}
    )
    text = services.text_publish(actor=admin, text=text)

    assert (sheet.score, sheet.passed) == (91, True)
    assert (text.status, text.reviewer) == (Status.PUBLISHED, admin)


def test_a_score_sheet_older_than_the_last_change_does_not_count(
    sam_specialist: Any, paula_program_staff: Any
) -> None:
    # Given a passing sheet, then a change of words and a new submission
    text = in_review(sam_specialist)
    services.clear_communication_record(actor=paula_program_staff, text=text, answers=PASSING_SHEET)
    text = services.text_save(
        actor=sam_specialist,
        text=text,
        title="Living with diabetes",
        summary="Changed.",
        body=html(PLAIN_EN),
    )
    text = services.text_submit(actor=sam_specialist, text=text)
    before = state(text)

    with pytest.raises(Invalid) as error:
        services.text_publish(actor=paula_program_staff, text=text)

    assert str(error.value) == "Fill in the Clear Communication Index score sheet first."
    assert services.latest_sheet(text) is None
    assert state(text) == before


def test_a_junk_score_sheet_is_refused_with_a_message(
    sam_specialist: Any, paula_program_staff: Any
) -> None:
    text = in_review(sam_specialist)
    before = state(text)

    with pytest.raises(Invalid) as error:
        services.clear_communication_record(
            actor=paula_program_staff, text=text, answers=PASSING_SHEET | {"notes": "ok"}
        )

    assert str(error.value) == "The score sheet has no item notes."
    assert state(text) == before


# --- above the target -------------------------------------------------------------------------


@pytest.mark.parametrize("reason", ["", "Nineteen characters", " " * 30])
def test_above_the_target_publishing_needs_a_reason_of_20_characters(
    sam_specialist: Any, paula_program_staff: Any, reason: str
) -> None:
    # Given a dense text in review with a passing sheet
    text = in_review(sam_specialist, body=html(DENSE_EN))
    services.clear_communication_record(actor=paula_program_staff, text=text, answers=PASSING_SHEET)
    before = state(text)
    assert text.meets_target is False

    # When Paula publishes it with no reason, a short one or only spaces, she is refused
    with pytest.raises(Invalid) as error:
        services.text_publish(actor=paula_program_staff, text=text, above_target_reason=reason)

    assert str(error.value) == (
        "This text reads above grade 8. Write why it should be published anyway (at least "
        "20 characters), or ask the author to simplify it."
    )
    assert state(text) == before


def test_the_reason_for_publishing_above_target_is_kept(
    sam_specialist: Any, paula_program_staff: Any
) -> None:
    # Given a dense text in review; when Paula publishes it with a reason of 20 characters
    text = in_review(sam_specialist, body=html(DENSE_EN))
    reason = "For clinicians only."
    assert len(reason) == 20

    text = _publish_in_review(text, paula_program_staff, f"  {reason}  ")

    # Then it is published and the reason is kept, on the text and in its trail
    text.refresh_from_db()
    assert (text.status, text.above_target_reason) == (Status.PUBLISHED, reason)
    assert events(text)[-1] == ("published", "paula@example.org", reason)


def _publish_in_review(text: ResourceText, reviewer: Any, reason: str = "") -> ResourceText:
    services.clear_communication_record(actor=reviewer, text=text, answers=PASSING_SHEET)
    return services.text_publish(actor=reviewer, text=text, above_target_reason=reason)


def test_a_text_that_meets_its_target_keeps_no_reason(
    sam_specialist: Any, paula_program_staff: Any
) -> None:
    text = in_review(sam_specialist)

    text = _publish_in_review(text, paula_program_staff, "A reason nobody needed to give.")

    text.refresh_from_db()
    assert (text.meets_target, text.above_target_reason) == (True, "")


# --- published texts: edits wait for review, withdrawal -------------------------------------


def test_editing_a_published_text_keeps_the_published_copy_until_it_is_published_again(
    sam_specialist: Any, paula_program_staff: Any
) -> None:
    # Given a published text
    text = text_publish(text_write(author=sam_specialist), reviewer=paula_program_staff)
    published_at = text.published_at

    # When Sam changes its words
    text = services.text_save(
        actor=sam_specialist,
        text=text,
        title="Living well with diabetes",
        summary="",
        body=html(PLAIN_EN + " Bring this page to your next visit."),
    )

    # Then the working copy is a draft again, and the public still reads the reviewed copy
    text.refresh_from_db()
    assert text.status == Status.DRAFT
    assert (text.title, text.published_title) == (
        "Living well with diabetes",
        "Living with diabetes",
    )
    assert text.published_body == html(PLAIN_EN)
    assert (text.is_live, text.published_at) == (True, published_at)

    # And when it is reviewed and published again, the public copy is the new one
    text = services.text_submit(actor=sam_specialist, text=text)
    text = _publish_in_review(text, paula_program_staff)
    text.refresh_from_db()
    assert text.published_title == "Living well with diabetes"
    assert text.published_body == html(PLAIN_EN + " Bring this page to your next visit.")
    assert text.first_published_at == published_at
    assert text.published_at is not None and published_at is not None
    assert text.published_at > published_at


def test_saving_the_same_words_changes_nothing(
    sam_specialist: Any, paula_program_staff: Any
) -> None:
    text = text_publish(text_write(author=sam_specialist), reviewer=paula_program_staff)
    before = state(text)

    services.text_save(
        actor=sam_specialist,
        text=text,
        title="Living with diabetes",
        summary="",
        body=html(PLAIN_EN),
    )

    assert state(text) == before


def test_withdrawing_takes_a_text_off_the_public_pages(
    sam_specialist: Any, paula_program_staff: Any, audit_log: Callable[[], list[tuple]]
) -> None:
    text = text_publish(text_write(author=sam_specialist), reviewer=paula_program_staff)

    text = services.text_withdraw(actor=paula_program_staff, text=text, reason="Out of date.")

    text.refresh_from_db()
    assert (text.status, text.published_at, text.is_live) == (Status.DRAFT, None, False)
    assert list(search.texts_find(query="diabetes", language="en")) == []
    assert events(text)[-1] == ("withdrawn", "paula@example.org", "Out of date.")
    assert audit_log()[-1][:2] == ("resources.withdraw", "paula@example.org")


def test_withdrawing_needs_a_reviewer_a_reason_and_a_published_text(
    sam_specialist: Any, paula_program_staff: Any
) -> None:
    draft = text_write(author=sam_specialist)
    text = text_publish(
        text_write(author=sam_specialist, title="Other"), reviewer=paula_program_staff
    )
    before = state(text)

    with pytest.raises(NotAllowed):
        services.text_withdraw(actor=sam_specialist, text=text, reason="Out of date.")
    with pytest.raises(Invalid):
        services.text_withdraw(actor=paula_program_staff, text=text, reason=" ")
    with pytest.raises(WrongStatus):
        services.text_withdraw(actor=paula_program_staff, text=draft, reason="Out of date.")

    assert state(text) == before


# --- images need alternative text -------------------------------------------------------------

IMAGE_WITHOUT_ALT = '<img src="https://example.org/plate.png">'


@pytest.mark.parametrize(
    "image", [IMAGE_WITHOUT_ALT, '<img src="https://example.org/p.png" alt="  ">']
)
def test_an_image_without_alternative_text_cannot_be_submitted(
    sam_specialist: Any, image: str
) -> None:
    text = text_write(author=sam_specialist, body=html(PLAIN_EN) + image)
    before = state(text)

    with pytest.raises(Invalid) as error:
        services.text_submit(actor=sam_specialist, text=text)

    assert str(error.value) == (
        "Every image needs alternative text describing it for people who cannot see it."
    )
    assert state(text) == before


def test_an_address_that_mentions_alt_is_not_alternative_text(sam_specialist: Any) -> None:
    # A pattern over the markup once read the alt='x' inside the address as the image's alt.
    text = text_write(
        author=sam_specialist,
        body=html(PLAIN_EN) + "<img src=\"https://example.org/p.png?alt='x'\">",
    )
    before = state(text)

    with pytest.raises(Invalid):
        services.text_submit(actor=sam_specialist, text=text)

    assert state(text) == before


def test_an_article_without_words_cannot_be_submitted(sam_specialist: Any) -> None:
    text = text_write(author=sam_specialist, body="<p> </p>")
    before = state(text)

    with pytest.raises(Invalid) as error:
        services.text_submit(actor=sam_specialist, text=text)

    assert str(error.value) == "Write the text before sending it for review."
    assert state(text) == before


def test_a_video_without_a_transcript_cannot_be_submitted(sam_specialist: Any) -> None:
    text = text_write(
        author=sam_specialist, kind=Kind.VIDEO, url="https://videos.example.org/a1c", body=""
    )
    before = state(text)

    with pytest.raises(Invalid) as error:
        services.text_submit(actor=sam_specialist, text=text)

    assert str(error.value) == (
        "A video needs its transcript, for people who cannot hear or play it."
    )
    assert state(text) == before


def test_a_less_than_sign_in_a_transcript_does_not_hide_the_words_after_it(
    sam_specialist: Any,
) -> None:
    transcript = "If your blood sugar is < 70, eat something sweet. If it is > 250, call us."

    text = text_write(
        author=sam_specialist,
        kind=Kind.VIDEO,
        url="https://videos.example.org/low",
        body="",
        transcript=f"{PLAIN_EN} {transcript}",
    )

    # if your blood sugar is 70 eat something sweet (9 words) if it is 250 call us (6)
    assert (text.readability["words"], text.readability["sentences"]) == (76 + 9 + 6, 9 + 2)


def test_an_image_without_alternative_text_cannot_be_published(
    sam_specialist: Any, paula_program_staff: Any
) -> None:
    # Given a text in review with an image without alt (made directly: submitting refuses it)
    text = ResourceTextFactory.create(
        author=sam_specialist,
        last_edited_by=sam_specialist,
        status=Status.IN_REVIEW,
        body=html(PLAIN_EN) + IMAGE_WITHOUT_ALT,
    )
    services.clear_communication_record(actor=paula_program_staff, text=text, answers=PASSING_SHEET)
    before = state(text)

    with pytest.raises(Invalid):
        services.text_publish(actor=paula_program_staff, text=text)

    assert state(text) == before


def test_an_image_with_alternative_text_is_published(
    sam_specialist: Any, paula_program_staff: Any
) -> None:
    image = '<img src="/static/img/plate.png" alt="A plate: half vegetables">'
    text = text_write(author=sam_specialist, body=html(PLAIN_EN) + image)

    text = text_publish(text, reviewer=paula_program_staff)

    assert text.published_body == html(PLAIN_EN) + image


@pytest.mark.parametrize(
    "source", ["https://example.org/plate.png", "//example.org/plate.png", "plate.png"]
)
def test_an_image_kept_on_another_site_cannot_be_sent_for_review(
    sam_specialist: Any, source: str
) -> None:
    # Given a draft with an image from elsewhere, described
    text = text_write(
        author=sam_specialist, body=html(PLAIN_EN) + f'<img src="{source}" alt="A plate">'
    )

    # When its author sends it for review, it is refused and stays a draft
    with pytest.raises(services.Invalid, match="kept on this site"):
        services.text_submit(actor=sam_specialist, text=text)
    text.refresh_from_db()
    assert text.status == Status.DRAFT


# --- what a text may contain ------------------------------------------------------------------


def test_pasted_html_is_cleaned_of_scripts_handlers_and_javascript_links(
    sam_specialist: Any,
) -> None:
    pasted = (
        '<p onclick="steal()">Drink <strong>water</strong>.<script>alert(1)</script></p>'
        '<img src="https://example.org/a.png" onerror="alert(2)" alt="A glass of water">'
        '<a href="javascript:alert(3)">Click</a> '
        '<a href="https://www.cdc.gov/diabetes/" target="_blank">CDC</a>'
        '<style>p { color: red }</style><iframe src="https://evil.example/"></iframe>'
        f"<p>{PLAIN_EN}</p>"
    )

    text = text_write(author=sam_specialist, body=pasted)

    assert ResourceText.objects.get(pk=text.pk).body == (
        "<p>Drink <strong>water</strong>.</p>"
        '<img src="https://example.org/a.png" alt="A glass of water">'
        '<a rel="noopener noreferrer">Click</a> '
        '<a href="https://www.cdc.gov/diabetes/" rel="noopener noreferrer">CDC</a>'
        f"<p>{PLAIN_EN}</p>"
    )


def test_saving_cleans_too(sam_specialist: Any) -> None:
    text = text_write(author=sam_specialist)

    text = services.text_save(
        actor=sam_specialist,
        text=text,
        title="Living with diabetes",
        summary="",
        body=f'<p>{PLAIN_EN}</p><p><a href="javascript:alert(1)" onmouseover="x()">Go</a></p>',
    )

    assert text.body == f'<p>{PLAIN_EN}</p><p><a rel="noopener noreferrer">Go</a></p>'


@pytest.mark.parametrize("title", ["", "   "])
def test_an_empty_title_is_refused(sam_specialist: Any, title: str) -> None:
    with pytest.raises(Invalid) as error:
        text_write(author=sam_specialist, title=title)

    assert str(error.value) == "Give the resource a title."
    assert (Resource.objects.count(), ResourceText.objects.count()) == (0, 0)


def test_a_title_too_long_is_refused_not_a_database_error(sam_specialist: Any) -> None:
    with pytest.raises(Invalid) as error:
        text_write(author=sam_specialist, title="Diabetes " * 30)

    assert str(error.value) == "The title is too long: keep it under 200 characters."
    assert ResourceText.objects.count() == 0


TOO_LONG = "The text is too long: keep it under 60,000 characters, or split it in two."


@pytest.mark.parametrize("size", [MAX_BODY_CHARACTERS + 1, 5 * MAX_BODY_CHARACTERS])
def test_a_body_over_the_limit_is_refused_and_nothing_is_saved(
    sam_specialist: Any, size: int
) -> None:
    body = html(("Walk every day. " * (size // 16 + 1))[:size])

    with pytest.raises(Invalid) as error:
        text_write(author=sam_specialist, body=body)

    assert str(error.value) == TOO_LONG
    assert (Resource.objects.count(), ResourceText.objects.count()) == (0, 0)


def test_saving_a_body_over_the_limit_is_refused_and_nothing_changed(sam_specialist: Any) -> None:
    text = text_write(author=sam_specialist)
    before = state(text)

    with pytest.raises(Invalid) as error:
        services.text_save(
            actor=sam_specialist,
            text=text,
            title="Living with diabetes",
            summary="",
            body=html("Walk every day. " * 4000),
        )

    assert str(error.value) == TOO_LONG
    assert state(text) == before


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "data:text/html,hi", "ftp://example.org/a", "not an address"]
)
def test_a_link_that_is_not_a_web_address_is_refused(sam_specialist: Any, url: str) -> None:
    with pytest.raises(Invalid) as error:
        text_write(author=sam_specialist, kind=Kind.LINK, url=url)

    assert str(error.value) == "Give a web address that starts with https:// (or http://)."
    assert ResourceText.objects.count() == 0


def test_a_link_to_a_trusted_source_is_kept(sam_specialist: Any, paula_program_staff: Any) -> None:
    text = text_write(author=sam_specialist, kind=Kind.LINK, url=" https://www.cdc.gov/diabetes/ ")

    text = text_publish(text, reviewer=paula_program_staff)

    assert (text.url, text.status) == ("https://www.cdc.gov/diabetes/", Status.PUBLISHED)


# --- the language check -----------------------------------------------------------------------


def test_a_spanish_text_marked_english_is_refused(sam_specialist: Any) -> None:
    with pytest.raises(Invalid) as error:
        text_write(author=sam_specialist, language="en", body=html(PLAIN_ES))

    assert str(error.value) == (
        "This text reads as Spanish but is marked English. Mark it as Spanish, or check that "
        "the right text was pasted."
    )
    assert ResourceText.objects.count() == 0


def test_an_english_text_marked_spanish_is_refused(sam_specialist: Any) -> None:
    with pytest.raises(Invalid) as error:
        text_write(author=sam_specialist, language="es", body=html(PLAIN_EN))

    assert str(error.value) == (
        "This text reads as English but is marked Spanish. Mark it as English, or check that "
        "the right text was pasted."
    )
    assert ResourceText.objects.count() == 0


def test_saving_spanish_words_over_an_english_text_is_refused(sam_specialist: Any) -> None:
    text = text_write(author=sam_specialist)
    before = state(text)

    with pytest.raises(Invalid):
        services.text_save(
            actor=sam_specialist,
            text=text,
            title="Vivir con diabetes",
            summary="",
            body=html(PLAIN_ES),
        )

    assert state(text) == before


def test_a_short_text_is_not_judged(sam_specialist: Any) -> None:
    text = text_write(
        author=sam_specialist, language="en", title="Diabetes", body="<p>La diabetes es común.</p>"
    )

    assert ResourceText.objects.get(pk=text.pk).language == "en"
    assert services.language_detected("La diabetes es común en las familias.") is None


@pytest.mark.parametrize(
    ("words", "language"),
    [
        (PLAIN_EN, "en"),
        (PLAIN_ES, "es"),
        (
            "Ask your doctor about the A1C test. Bring a list of your medicines, vitamins and "
            "supplements to each visit, and write down questions before you go.",
            "en",
        ),
        (
            "Pregunte a su médico sobre la prueba A1C. Lleve a cada cita una lista de sus "
            "medicinas, vitaminas y suplementos, y escriba sus preguntas antes de ir.",
            "es",
        ),
    ],
)
def test_the_language_is_told_from_its_little_words(words: str, language: str) -> None:
    assert services.language_detected(words) == language


# --- the stale-translation flag ---------------------------------------------------------------


def _pair(sam: Any, olga: Any) -> tuple[ResourceText, ResourceText]:
    english = text_write(author=sam)
    spanish = services.translation_add(
        actor=olga,
        resource=english.resource,
        language="es",
        title="Vivir con diabetes",
        body=html(PLAIN_ES),
    )
    return english, spanish


def _fresh(text: ResourceText) -> ResourceText:
    return ResourceText.objects.get(pk=text.pk)


def test_spanish_is_out_of_date_when_the_english_changes_after_it(
    sam_specialist: Any, olga_other_specialist: Any
) -> None:
    # Given a Spanish text just written from the English: neither is behind the other
    english, spanish = _pair(sam_specialist, olga_other_specialist)
    assert services.translation_out_of_date(_fresh(spanish), _fresh(english)) is False
    assert services.translation_out_of_date(_fresh(english), _fresh(spanish)) is False

    services.text_save(
        actor=sam_specialist,
        text=english,
        title="Living with diabetes",
        summary="Now with a summary.",
        body=html(PLAIN_EN),
    )

    assert services.translation_out_of_date(_fresh(spanish), _fresh(english)) is True
    assert services.translation_out_of_date(_fresh(english), _fresh(spanish)) is False


def test_saving_the_spanish_again_brings_it_in_step(
    sam_specialist: Any, olga_other_specialist: Any
) -> None:
    english, spanish = _pair(sam_specialist, olga_other_specialist)
    services.text_save(
        actor=sam_specialist,
        text=english,
        title="Living with diabetes",
        summary="New.",
        body=html(PLAIN_EN),
    )

    services.text_save(
        actor=olga_other_specialist,
        text=spanish,
        title="Vivir con diabetes",
        summary="Nuevo.",
        body=html(PLAIN_ES),
    )

    assert services.translation_out_of_date(_fresh(spanish), _fresh(english)) is False


def test_marking_the_spanish_in_step_clears_the_flag_until_the_english_changes_again(
    sam_specialist: Any, olga_other_specialist: Any
) -> None:
    english, spanish = _pair(sam_specialist, olga_other_specialist)
    services.text_save(
        actor=sam_specialist,
        text=english,
        title="Living with diabetes",
        summary="New.",
        body=html(PLAIN_EN),
    )

    services.text_mark_in_step(actor=olga_other_specialist, text=spanish)

    assert services.translation_out_of_date(_fresh(spanish), _fresh(english)) is False
    assert events(spanish)[-1] == ("in_step", "olga@example.org", "")

    services.text_save(
        actor=sam_specialist,
        text=english,
        title="Living with diabetes",
        summary="Newer.",
        body=html(PLAIN_EN),
    )
    assert services.translation_out_of_date(_fresh(spanish), _fresh(english)) is True


def test_a_text_without_a_translation_is_never_out_of_date(sam_specialist: Any) -> None:
    assert services.translation_out_of_date(text_write(author=sam_specialist), None) is False


def test_a_second_text_in_the_same_language_is_refused(
    sam_specialist: Any, olga_other_specialist: Any
) -> None:
    english, _spanish = _pair(sam_specialist, olga_other_specialist)

    with pytest.raises(WrongStatus):
        services.translation_add(
            actor=sam_specialist,
            resource=english.resource,
            language="en",
            title="Again",
            body=html(PLAIN_EN),
        )

    assert english.resource.texts.count() == 2


# --- stale pages and double clicks ------------------------------------------------------------


def test_submitting_twice_is_refused(sam_specialist: Any) -> None:
    text = text_write(author=sam_specialist)
    stale = ResourceText.objects.get(pk=text.pk)
    services.text_submit(actor=sam_specialist, text=text)
    before = state(text)

    with pytest.raises(WrongStatus) as error:
        services.text_submit(actor=sam_specialist, text=stale)

    assert (
        str(error.value) == "This text is now “In review”: reload the page to see its latest state."
    )
    assert state(text) == before


def test_a_second_publication_from_a_stale_page_is_refused(
    sam_specialist: Any, paula_program_staff: Any, rita_reviewer: Any
) -> None:
    # Given a text in review with a passing sheet, open on two reviewers' pages
    text = in_review(sam_specialist)
    services.clear_communication_record(actor=paula_program_staff, text=text, answers=PASSING_SHEET)
    pauls_page = ResourceText.objects.get(pk=text.pk)
    ritas_page = ResourceText.objects.get(pk=text.pk)

    # When Paula publishes, then Rita publishes from her page
    services.text_publish(actor=paula_program_staff, text=pauls_page)
    before = state(text)
    with pytest.raises(WrongStatus):
        services.text_publish(actor=rita_reviewer, text=ritas_page)

    # Then Rita is refused and the text is as Paula published it
    assert state(text) == before
    assert _fresh(text).reviewer == paula_program_staff


def test_returning_a_text_needs_a_note(sam_specialist: Any, paula_program_staff: Any) -> None:
    text = in_review(sam_specialist)
    before = state(text)

    with pytest.raises(Invalid) as error:
        services.text_return(actor=paula_program_staff, text=text, note="  ")

    assert str(error.value) == "Say what the author should change."
    assert state(text) == before


def test_a_returned_text_is_a_draft_with_the_note(
    sam_specialist: Any, paula_program_staff: Any
) -> None:
    text = in_review(sam_specialist)

    text = services.text_return(actor=paula_program_staff, text=text, note=" Use shorter words. ")

    text.refresh_from_db()
    assert (text.status, text.review_note) == (Status.DRAFT, "Use shorter words.")
    assert events(text)[-1] == ("returned", "paula@example.org", "Use shorter words.")


def test_critical_instructions_are_scored_against_grade_6(
    sam_specialist: Any, paula_program_staff: Any
) -> None:
    text = text_write(author=sam_specialist)
    assert text.readability["target_grade"] == 8

    services.resource_update(
        actor=sam_specialist,
        resource=text.resource,
        kind=Kind.HANDOUT,
        focus_areas=["health-literacy"],
        audiences=["families"],
        critical=True,
    )

    assert _fresh(text).readability["target_grade"] == 6


# --- emails -----------------------------------------------------------------------------------


def _to(address: str) -> list[Any]:
    return [message for message in mail.outbox if message.to == [address]]


def test_sending_for_review_emails_the_people_who_may_review_it_in_their_language(
    sam_specialist: Any,
    paula_program_staff: Any,
    rita_reviewer: Any,
    olga_other_specialist: Any,
    admin: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    text = text_write(author=sam_specialist, title="Living with diabetes")

    with django_capture_on_commit_callbacks(execute=True):
        services.text_submit(actor=sam_specialist, text=text)

    assert sorted(message.to[0] for message in mail.outbox) == [
        "paula@example.org",
        "rita@example.org",
    ]
    (to_paula,) = _to("paula@example.org")
    assert to_paula.subject == "A resource awaits review: Living with diabetes"
    assert to_paula.body.splitlines()[0] == "Hello Paula Program,"
    assert f"/resources/staff/texts/{text.pk}/" in to_paula.body
    assert "“Living with diabetes” was sent for review." in to_paula.body
    assert "Language of the text: English" in to_paula.body.splitlines()
    (to_rita,) = _to("rita@example.org")
    assert to_rita.body.splitlines()[0] == "Hola, Rita Revisora:"
    assert "Gracias por usar Tapestry." in to_rita.body.splitlines()
    assert "Living with diabetes" in to_rita.subject
    assert f"/resources/staff/texts/{text.pk}/" in to_rita.body


def test_the_author_and_last_editor_hear_nothing_of_their_own_submission(
    sam_specialist: Any,
    paula_program_staff: Any,
    rita_reviewer: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    # Paula wrote it; Paula may review but not her own text, so only Rita hears.
    text = text_write(author=paula_program_staff)

    with django_capture_on_commit_callbacks(execute=True):
        services.text_submit(actor=paula_program_staff, text=text)

    assert [message.to for message in mail.outbox] == [["rita@example.org"]]


def test_a_refused_submission_sends_nothing(
    sam_specialist: Any, paula_program_staff: Any, django_capture_on_commit_callbacks: Any
) -> None:
    text = text_write(author=sam_specialist, body=html(PLAIN_EN) + IMAGE_WITHOUT_ALT)

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Invalid):
        services.text_submit(actor=sam_specialist, text=text)

    assert mail.outbox == []


def test_returning_emails_the_author_and_the_last_editor_with_the_note(
    sam_specialist: Any,
    olga_other_specialist: Any,
    rita_reviewer: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    text = text_write(author=sam_specialist)
    text = services.text_save(
        actor=olga_other_specialist,
        text=text,
        title="Living with diabetes",
        summary="Short.",
        body=html(PLAIN_EN),
    )
    text = services.text_submit(actor=olga_other_specialist, text=text)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        services.text_return(actor=rita_reviewer, text=text, note="Say what “A1C” means.")

    (to_sam,) = _to("sam@example.org")
    assert to_sam.subject == "Returned with changes to make: Living with diabetes"
    assert "What to change: Say what “A1C” means." in to_sam.body
    (to_olga,) = _to("olga@example.org")
    assert "Living with diabetes" in to_olga.subject
    assert to_olga.body.splitlines()[0] == "Hola, Olga Other:"
    assert "Say what “A1C” means." in to_olga.body
    assert len(mail.outbox) == 2


def test_publishing_emails_the_author(
    sam_specialist: Any, paula_program_staff: Any, django_capture_on_commit_callbacks: Any
) -> None:
    text = in_review(sam_specialist, title="Living with diabetes")
    services.clear_communication_record(actor=paula_program_staff, text=text, answers=PASSING_SHEET)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        services.text_publish(actor=paula_program_staff, text=text)

    assert [(message.to, message.subject) for message in mail.outbox] == [
        (["sam@example.org"], "Published: Living with diabetes")
    ]
    assert f"/resources/staff/texts/{text.pk}/" in mail.outbox[0].body


def test_no_email_is_sent_before_the_step_commits(
    sam_specialist: Any, paula_program_staff: Any, django_capture_on_commit_callbacks: Any
) -> None:
    text = text_write(author=sam_specialist)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.text_submit(actor=sam_specialist, text=text)

    assert mail.outbox == []
    assert len(callbacks) == 1


def test_the_factories_make_scored_drafts_in_each_language() -> None:
    english = ResourceTextFactory.create()
    spanish = SpanishTextFactory.create(resource=english.resource)

    assert (english.status, english.meets_target, english.readability["target_grade"]) == (
        Status.DRAFT,
        True,
        8,
    )
    assert (spanish.language, spanish.meets_target) == ("es", True)
    assert english.resource.texts.count() == 2
    assert list(english.resource.focus_areas.values_list("slug", flat=True)) == ["health-literacy"]
