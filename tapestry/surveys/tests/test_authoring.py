"""Staff build instruments: who may, what each edit refuses, the translation flags and the
revision that tells respondents an instrument changed under them."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest
from django.test import Client

from tapestry.surveys import services
from tapestry.surveys.demo import responses_generate
from tapestry.surveys.models import Answer, Choice, Instrument, Question, Section
from tapestry.surveys.tests.factories import instrument_make

if TYPE_CHECKING:
    from tapestry.accounts.api import User

pytestmark = pytest.mark.django_db

AuditLog = Callable[[], list[tuple[Any, ...]]]


@pytest.fixture
def draft() -> Instrument:
    return instrument_make(status=Instrument.Status.DRAFT)


def _question(code: str) -> Question:
    return Question.objects.get(code=code)


def _order() -> list[str]:
    return list(
        Question.objects.order_by("section__position", "position").values_list("code", flat=True)
    )


def _revision(instrument: Instrument) -> int:
    return Instrument.objects.get(pk=instrument.pk).revision


# Who may


def test_a_visitor_is_sent_to_sign_in(visitor: Client, draft: Instrument) -> None:
    response = visitor.get("/surveys/staff/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_liaison_is_refused_and_nothing_changes(
    alice_client: Client, draft: Instrument, audit_log: AuditLog
) -> None:
    before = audit_log()
    question = _question("comments")

    pages = [
        alice_client.get("/surveys/staff/"),
        alice_client.get(f"/surveys/staff/{draft.pk}/"),
        alice_client.post(f"/surveys/staff/{draft.pk}/publish/"),
        alice_client.post(f"/surveys/staff/{draft.pk}/questions/{question.pk}/delete/"),
        alice_client.post(
            f"/surveys/staff/{draft.pk}/translation/question/{question.pk}/",
            {f"question-{question.pk}-label_en": "Changed", f"question-{question.pk}-label_es": ""},
        ),
    ]

    assert [page.status_code for page in pages] == [403, 403, 403, 403, 403]
    assert Question.objects.filter(code="comments").exists()
    assert _question("comments").label_en == "Anything else?"
    assert Instrument.objects.get().status == Instrument.Status.DRAFT
    assert audit_log() == before


def test_a_specialist_is_refused(sam_client: Client, draft: Instrument) -> None:
    assert sam_client.get("/surveys/staff/").status_code == 403


def test_program_staff_see_the_list_with_the_translation_badge(
    paula_client: Client, draft: Instrument
) -> None:
    question = _question("comments")
    question.translation_outdated = "es"
    question.save()

    response = paula_client.get("/surveys/staff/")

    assert response.status_code == 200
    content = response.content.decode()
    assert "Library health-information needs" in content
    assert "Spanish needs update" in content
    assert "English needs update" not in content


def test_the_list_searches_by_title(paula_client: Client, draft: Instrument) -> None:
    found = paula_client.get("/surveys/staff/", {"q": "health-information"})
    missed = paula_client.get("/surveys/staff/", {"q": "zebra"})

    assert "Library health-information needs" in found.content.decode()
    assert "Library health-information needs" not in missed.content.decode()
    assert "No instrument has “zebra” in its title." in missed.content.decode()


def test_the_list_is_empty_at_first(paula_client: Client) -> None:
    response = paula_client.get("/surveys/staff/")

    assert "No instruments yet" in response.content.decode()


def test_every_staff_page_opens(
    paula_client: Client, draft: Instrument, admin_signed_in: Client
) -> None:
    section = Section.objects.filter(instrument=draft).first()
    assert section is not None
    question = _question("topics")
    choice = Choice.objects.filter(question=question).first()
    assert choice is not None
    paths = [
        "/surveys/staff/",
        "/surveys/staff/new/",
        f"/surveys/staff/{draft.pk}/",
        f"/surveys/staff/{draft.pk}/settings/",
        f"/surveys/staff/{draft.pk}/translation/",
        f"/surveys/staff/{draft.pk}/sections/new/",
        f"/surveys/staff/{draft.pk}/sections/{section.pk}/",
        f"/surveys/staff/{draft.pk}/sections/{section.pk}/questions/new/",
        f"/surveys/staff/{draft.pk}/questions/{question.pk}/",
        f"/surveys/staff/{draft.pk}/questions/{question.pk}/condition/",
        f"/surveys/staff/{draft.pk}/choices/{choice.pk}/",
    ]

    assert [paula_client.get(path).status_code for path in paths] == [200] * len(paths)
    assert admin_signed_in.get("/admin/surveys/instrument/").status_code == 200
    assert admin_signed_in.get(f"/admin/surveys/question/{question.pk}/change/").status_code == 200
    assert admin_signed_in.get("/admin/surveys/response/").status_code == 200
    assert admin_signed_in.get("/admin/surveys/accesstoken/").status_code == 200


def test_another_instruments_question_is_404(paula_client: Client, draft: Instrument) -> None:
    other = instrument_make(slug="other-needs")
    question = Question.objects.get(instrument=other, code="comments")

    response = paula_client.post(f"/surveys/staff/{draft.pk}/questions/{question.pk}/delete/")

    assert response.status_code == 404
    assert Question.objects.filter(pk=question.pk).exists()


def test_the_dashboard_shows_staff_the_surveys_panel(
    paula_client: Client, alice_client: Client, draft: Instrument
) -> None:
    assert "Open the surveys" in paula_client.get("/me/").content.decode()
    assert "Open the surveys" not in alice_client.get("/me/").content.decode()


# Creating and settings


def test_staff_create_an_instrument_and_it_is_audited(
    paula_client: Client, paula_program_staff: User, audit_log: AuditLog
) -> None:
    response = paula_client.post(
        "/surveys/staff/new/",
        {
            "title_en": "Course feedback",
            "title_es": "Opinión sobre el curso",
            "slug": "course-feedback",
            "purpose": "course_evaluation",
            "mode": "anonymous",
            "opens_at": "2027-01-10T09:00",
            "closes_at": "2027-02-10T17:00",
        },
    )

    instrument = Instrument.objects.get(slug="course-feedback")
    assert response.status_code == 302
    assert response["Location"] == f"/surveys/staff/{instrument.pk}/"
    assert (instrument.status, instrument.created_by) == ("draft", paula_program_staff)
    assert (
        instrument.opens_at is not None
        and instrument.opens_at.isoformat() == "2027-01-10T14:00:00+00:00"
    )
    assert Section.objects.filter(instrument=instrument).count() == 1
    assert audit_log() == [
        ("surveys.instrument_create", "paula@example.org", "surveys.instrument", str(instrument.pk))
    ]


def test_a_link_name_used_twice_is_refused(paula_client: Client, draft: Instrument) -> None:
    response = paula_client.post(
        "/surveys/staff/new/",
        {"title_en": "Again", "slug": "sample-needs", "purpose": "other", "mode": "anonymous"},
    )

    assert response.status_code == 409
    assert "The link name sample-needs is already used." in response.content.decode()
    assert Instrument.objects.count() == 1


def test_an_anonymous_instrument_cannot_allow_several_responses(paula_client: Client) -> None:
    response = paula_client.post(
        "/surveys/staff/new/",
        {
            "title_en": "Again",
            "slug": "again",
            "purpose": "other",
            "mode": "anonymous",
            "allow_multiple": "on",
        },
    )

    assert response.status_code == 400
    assert Instrument.objects.count() == 0


def test_the_settings_page_shows_the_window_in_the_site_time_zone(
    paula_client: Client, draft: Instrument
) -> None:
    services.instrument_settings_update(
        actor=None,
        instrument_id=draft.pk,
        settings={"opens_at": datetime.datetime(2027, 1, 10, 14, 0, tzinfo=datetime.UTC)},
    )

    content = paula_client.get(f"/surveys/staff/{draft.pk}/settings/").content.decode()

    assert 'name="opens_at" id="id_opens_at" value="2027-01-10T09:00"' in content
    assert "America/New_York" in content


def test_the_window_must_close_after_it_opens(paula_client: Client, draft: Instrument) -> None:
    response = paula_client.post(
        f"/surveys/staff/{draft.pk}/settings/",
        {
            "title_en": draft.title_en,
            "slug": draft.slug,
            "purpose": draft.purpose,
            "mode": draft.mode,
            "opens_at": "2027-02-10T09:00",
            "closes_at": "2027-01-10T09:00",
        },
    )

    assert response.status_code == 400
    assert "The survey must close after it opens." in response.content.decode()
    assert Instrument.objects.get().closes_at is None


def test_link_name_and_mode_stay_once_there_are_responses(draft: Instrument) -> None:
    responses_generate(instrument=draft, count=3, seed=1)

    with pytest.raises(services.AuthoringRefused, match="link name cannot change"):
        services.instrument_settings_update(
            actor=None, instrument_id=draft.pk, settings={"slug": "renamed"}
        )
    with pytest.raises(services.AuthoringRefused, match="mode cannot change"):
        services.instrument_settings_update(
            actor=None, instrument_id=draft.pk, settings={"mode": "identified"}
        )
    assert (Instrument.objects.get().slug, Instrument.objects.get().mode) == (
        "sample-needs",
        "anonymous",
    )


# Publishing and closing


def test_publishing_needs_a_question(paula_client: Client) -> None:
    paula_client.post(
        "/surveys/staff/new/",
        {
            "title_en": "Empty",
            "title_es": "Vacío",
            "slug": "empty",
            "purpose": "other",
            "mode": "anonymous",
        },
    )
    instrument = Instrument.objects.get()

    response = paula_client.post(f"/surveys/staff/{instrument.pk}/publish/")

    assert response.status_code == 409
    assert "An instrument needs at least one question." in response.content.decode()
    assert Instrument.objects.get().status == "draft"


def test_publishing_without_any_section_is_refused(draft: Instrument) -> None:
    Section.objects.filter(instrument=draft).delete()

    with pytest.raises(services.PublishRefused) as refused:
        services.instrument_publish(actor=None, instrument_id=draft.pk)

    assert refused.value.problems == ["An instrument needs at least one question."]
    assert Instrument.objects.get().status == "draft"


def test_publishing_with_missing_spanish_is_refused_with_the_list(
    paula_client: Client, draft: Instrument
) -> None:
    Question.objects.filter(code="comments").update(label_es="")
    Question.objects.filter(code="topics").update(translation_outdated="es")

    response = paula_client.post(f"/surveys/staff/{draft.pk}/publish/")

    content = response.content.decode()
    assert response.status_code == 409
    assert "Question topics: the Spanish needs an update." in content
    assert "Question comments: the Spanish is missing." in content
    assert Instrument.objects.get().status == "draft"


def test_publishing_in_english_only_for_now(
    paula_client: Client, draft: Instrument, audit_log: AuditLog
) -> None:
    Question.objects.filter(code="comments").update(label_es="")

    response = paula_client.post(f"/surveys/staff/{draft.pk}/publish/", {"english_only": "on"})

    assert response.status_code == 302
    assert Instrument.objects.get().status == "published"
    assert audit_log()[-1][0] == "surveys.instrument_publish"


def test_archiving_keeps_the_responses(paula_client: Client) -> None:
    instrument = instrument_make()
    responses_generate(instrument=instrument, count=4, seed=2)

    response = paula_client.post(f"/surveys/staff/{instrument.pk}/archive/")

    assert response.status_code == 302
    assert Instrument.objects.get().status == "archived"
    assert instrument.responses.count() == 4


def test_closing_early_sets_the_end_of_the_window(paula_client: Client) -> None:
    instrument = instrument_make()

    response = paula_client.post(f"/surveys/staff/{instrument.pk}/close/")

    instrument.refresh_from_db()
    assert response.status_code == 302
    assert instrument.closes_at is not None
    assert not instrument.is_open()


# Questions


def test_a_variable_name_used_twice_is_refused(draft: Instrument) -> None:
    section = Section.objects.filter(instrument=draft).first()
    assert section is not None

    with pytest.raises(services.AuthoringRefused, match="variable name comments is already used"):
        services.question_add(
            actor=None,
            instrument_id=draft.pk,
            section_id=section.pk,
            details={"code": "comments", "kind": "text", "label_en": "Again"},
        )
    assert Question.objects.filter(code="comments").count() == 1


def test_a_condition_on_a_later_question_is_refused(
    paula_client: Client, draft: Instrument
) -> None:
    role = _question("role")

    with pytest.raises(services.AuthoringRefused, match="not a question that comes before"):
        services.question_condition_set(
            actor=None,
            instrument_id=draft.pk,
            question_id=role.pk,
            condition={"op": "=", "question": "comments", "value": "x"},
        )
    assert _question("role").show_if is None


def test_the_condition_builder_saves_a_tree_and_shows_it_in_words(
    paula_client: Client, draft: Instrument
) -> None:
    comments = _question("comments")
    url = f"/surveys/staff/{draft.pk}/questions/{comments.pk}/condition/"

    added = paula_client.post(url, {"rows": "0", "action": "add", "add_question": "staff"})
    saved = paula_client.post(
        url,
        {
            "rows": "2",
            "join": "or",
            "row-0-question": "staff",
            "row-0-op": ">",
            "row-0-value": "10",
            "row-1-question": "offers_health",
            "row-1-op": "=",
            "row-1-value": "1",
            "action": "save",
        },
    )

    assert 'name="row-0-question" value="staff"' in added.content.decode()
    assert saved.status_code == 302
    assert _question("comments").show_if == {
        "op": "or",
        "args": [
            {"op": ">", "question": "staff", "value": "10"},
            {"op": "=", "question": "offers_health", "value": "1"},
        ],
    }
    page = paula_client.get(f"/surveys/staff/{draft.pk}/").content.decode()
    assert "Shown if staff is more than 10 or offers_health is Yes" in page


def test_the_condition_builder_refuses_a_value_of_the_wrong_kind(
    paula_client: Client, draft: Instrument
) -> None:
    comments = _question("comments")

    response = paula_client.post(
        f"/surveys/staff/{draft.pk}/questions/{comments.pk}/condition/",
        {
            "rows": "1",
            "row-0-question": "staff",
            "row-0-op": ">",
            "row-0-value": "many",
            "action": "save",
        },
    )

    assert response.status_code == 400
    assert "Enter a number." in response.content.decode()
    assert _question("comments").show_if is None


def test_a_nested_condition_is_shown_in_words_with_a_replace_button(
    paula_client: Client, draft: Instrument
) -> None:
    comments = _question("comments")
    comments.show_if = {
        "op": "or",
        "args": [
            {"op": "=", "question": "role", "value": "liaison"},
            {
                "op": "and",
                "args": [
                    {"op": "=", "question": "offers_health", "value": "1"},
                    {"op": ">", "question": "staff", "value": "2"},
                ],
            },
        ],
    }
    comments.save()

    response = paula_client.get(f"/surveys/staff/{draft.pk}/questions/{comments.pk}/condition/")

    content = response.content.decode()
    assert (
        "Now shown if role is Library staff or (offers_health is Yes and staff is more than 2)."
        in content
    )
    assert "Replace this condition" in content


def test_the_condition_is_described_in_spanish(paula_client: Client, draft: Instrument) -> None:
    paula_client.cookies["django_language"] = "es"

    page = paula_client.get(f"/surveys/staff/{draft.pk}/").content.decode()

    assert "offers_health es Sí" in page


def test_a_move_that_breaks_a_condition_is_refused_naming_the_question(
    paula_client: Client, draft: Instrument, audit_log: AuditLog
) -> None:
    before, audit_before = _order(), audit_log()
    topics = _question("topics")

    response = paula_client.post(
        f"/surveys/staff/{draft.pk}/questions/{topics.pk}/move/", {"direction": "down"}
    )

    assert response.status_code == 409
    assert "would break the condition of question research_detail" in response.content.decode()
    assert _order() == before
    assert audit_log() == audit_before


def test_a_question_moves_up_into_the_section_before(draft: Instrument) -> None:
    offers = _question("offers_health")

    services.question_move(actor=None, instrument_id=draft.pk, question_id=offers.pk, up=True)

    assert _order()[:4] == ["role", "state", "staff", "offers_health"]
    assert _question("offers_health").section.position == 0


def test_moving_a_section_that_would_break_a_condition_is_refused(draft: Instrument) -> None:
    second = Section.objects.get(instrument=draft, position=1)
    before = _order()

    with pytest.raises(services.AuthoringRefused, match="condition of question last_program"):
        services.section_move(actor=None, instrument_id=draft.pk, section_id=second.pk, up=True)
    assert _order() == before


def test_a_question_with_answers_cannot_be_deleted(paula_client: Client) -> None:
    instrument = instrument_make()
    responses_generate(instrument=instrument, count=120, seed=3)
    role = _question("role")
    answered = Answer.objects.filter(question=role).count()

    response = paula_client.post(f"/surveys/staff/{instrument.pk}/questions/{role.pk}/delete/")

    assert response.status_code == 409
    assert f"role has {answered} answers; it cannot be deleted." in response.content.decode()
    assert Question.objects.filter(pk=role.pk).exists()


def test_a_question_another_condition_refers_to_cannot_be_deleted(draft: Instrument) -> None:
    with pytest.raises(services.AuthoringRefused, match="condition of question topics"):
        services.question_delete(
            actor=None, instrument_id=draft.pk, question_id=_question("offers_health").pk
        )
    assert Question.objects.filter(code="offers_health").exists()


def test_an_unanswered_question_is_deleted_and_the_revision_goes_up(
    paula_client: Client, draft: Instrument
) -> None:
    revision = _revision(draft)
    comments = _question("comments")

    response = paula_client.post(f"/surveys/staff/{draft.pk}/questions/{comments.pk}/delete/")

    assert response.status_code == 302
    assert not Question.objects.filter(code="comments").exists()
    assert _revision(draft) == revision + 1


def test_the_kind_of_an_answered_question_cannot_change(paula_client: Client) -> None:
    instrument = instrument_make()
    responses_generate(instrument=instrument, count=5, seed=4)
    staff = _question("staff")

    response = paula_client.post(
        f"/surveys/staff/{instrument.pk}/questions/{staff.pk}/",
        {
            "code": "staff",
            "kind": "text",
            "label_en": staff.label_en,
            "label_es": staff.label_es,
            "required": "on",
        },
    )

    assert response.status_code == 409
    assert "answers, so its type cannot change." in response.content.decode()
    assert _question("staff").kind == "number"


def test_a_new_required_question_is_refused_once_there_are_responses(draft: Instrument) -> None:
    responses_generate(instrument=draft, count=2, seed=5)
    section = Section.objects.filter(instrument=draft).first()
    assert section is not None

    with pytest.raises(services.AuthoringRefused, match="must be optional"):
        services.question_add(
            actor=None,
            instrument_id=draft.pk,
            section_id=section.pk,
            details={"code": "new_one", "kind": "text", "label_en": "New", "required": True},
        )
    services.question_add(
        actor=None,
        instrument_id=draft.pk,
        section_id=section.pk,
        details={"code": "new_one", "kind": "text", "label_en": "New", "required": False},
    )
    assert Question.objects.filter(code="new_one", required=False).exists()


# Choices


def test_an_answered_choice_cannot_be_removed(draft: Instrument) -> None:
    responses_generate(instrument=draft, count=30, seed=6)
    choice = Choice.objects.get(question__code="confident", code="5")

    with pytest.raises(services.AuthoringRefused, match="it cannot be removed"):
        services.choice_delete(actor=None, instrument_id=draft.pk, choice_id=choice.pk)
    with pytest.raises(services.AuthoringRefused, match="its code cannot change"):
        services.choice_update(
            actor=None, instrument_id=draft.pk, choice_id=choice.pk, details={"code": "9"}
        )
    assert Choice.objects.filter(pk=choice.pk, code="5").exists()


def test_a_choice_named_by_a_condition_cannot_be_removed(draft: Instrument) -> None:
    choice = Choice.objects.get(question__code="topics", code="4")

    with pytest.raises(services.AuthoringRefused, match="research_detail names this choice"):
        services.choice_delete(actor=None, instrument_id=draft.pk, choice_id=choice.pk)
    assert Choice.objects.filter(pk=choice.pk).exists()


def test_a_likert_preset_gives_both_languages(paula_client: Client, draft: Instrument) -> None:
    section = Section.objects.filter(instrument=draft).first()
    assert section is not None
    question = services.question_add(
        actor=None,
        instrument_id=draft.pk,
        section_id=section.pk,
        details={"code": "useful", "kind": "likert", "label_en": "Was it useful?"},
    )

    response = paula_client.post(
        f"/surveys/staff/{draft.pk}/questions/{question.pk}/choices/preset/",
        {"preset": "useful_4"},
    )

    assert response.status_code == 302
    assert list(
        Choice.objects.filter(question=question).values_list("code", "label_en", "label_es")
    ) == [
        ("1", "Not at all useful", "Nada útil"),
        ("2", "Slightly useful", "Poco útil"),
        ("3", "Useful", "Útil"),
        ("4", "Very useful", "Muy útil"),
    ]


def test_choices_move_and_are_added(paula_client: Client, draft: Instrument) -> None:
    offers = _question("offers_health")
    no = Choice.objects.get(question=offers, code="0")

    paula_client.post(f"/surveys/staff/{draft.pk}/choices/{no.pk}/move/", {"direction": "up"})
    paula_client.post(
        f"/surveys/staff/{draft.pk}/questions/{offers.pk}/choices/new/",
        {"choice-code": "9", "choice-label_en": "Not sure", "choice-label_es": "No estoy seguro"},
    )

    assert list(Choice.objects.filter(question=offers).values_list("code", flat=True)) == [
        "0",
        "1",
        "9",
    ]


# Keeping English and Spanish in step


def test_editing_the_english_alone_flags_the_spanish(
    paula_client: Client, draft: Instrument
) -> None:
    comments = _question("comments")
    revision = _revision(draft)

    paula_client.post(
        f"/surveys/staff/{draft.pk}/questions/{comments.pk}/",
        {
            "code": "comments",
            "kind": "text",
            "label_en": "Anything more?",
            "label_es": "¿Algo más?",
        },
    )

    assert _question("comments").translation_outdated == "es"
    assert _revision(draft) == revision + 1
    assert "Spanish needs update" in paula_client.get("/surveys/staff/").content.decode()


def test_editing_the_spanish_alone_flags_the_english(draft: Instrument) -> None:
    services.translation_update(
        actor=None,
        instrument_id=draft.pk,
        kind="instrument",
        item_id=draft.pk,
        texts={"title_es": "Necesidades de información sobre salud"},
    )

    assert Instrument.objects.get().translation_outdated == "en"


def test_updating_the_lagging_spanish_alone_clears_the_flag(draft: Instrument) -> None:
    comments = _question("comments")
    Question.objects.filter(pk=comments.pk).update(translation_outdated="es")

    services.translation_update(
        actor=None,
        instrument_id=draft.pk,
        kind="question",
        item_id=comments.pk,
        texts={"label_es": "¿Algo más que decir?"},
    )

    assert _question("comments").translation_outdated == ""


def test_editing_both_clears_the_flag(paula_client: Client, draft: Instrument) -> None:
    comments = _question("comments")
    Question.objects.filter(pk=comments.pk).update(translation_outdated="es")
    prefix = f"question-{comments.pk}"

    response = paula_client.post(
        f"/surveys/staff/{draft.pk}/translation/question/{comments.pk}/",
        {f"{prefix}-label_en": "Anything more?", f"{prefix}-label_es": "¿Algo más que decir?"},
    )

    assert response.status_code == 302
    assert _question("comments").translation_outdated == ""
    assert _question("comments").label_es == "¿Algo más que decir?"


def test_confirming_the_spanish_clears_the_flag_and_is_audited(
    paula_client: Client, draft: Instrument, audit_log: AuditLog
) -> None:
    comments = _question("comments")
    Question.objects.filter(pk=comments.pk).update(translation_outdated="es")

    response = paula_client.post(
        f"/surveys/staff/{draft.pk}/translation/question/{comments.pk}/confirm/"
    )

    assert response.status_code == 302
    assert _question("comments").translation_outdated == ""
    assert audit_log()[-1] == (
        "surveys.translation_confirm",
        "paula@example.org",
        "surveys.question",
        str(comments.pk),
    )


def test_the_translation_page_lists_every_item(paula_client: Client, draft: Instrument) -> None:
    response = paula_client.get(f"/surveys/staff/{draft.pk}/translation/")

    content = response.content.decode()
    assert content.count('aria-labelledby="choice-') == Choice.objects.count()
    assert content.count('aria-labelledby="question-') == Question.objects.count()
    assert "¿Qué temas?" in content


def test_a_settings_text_edit_bumps_the_revision_and_a_window_change_does_not(
    draft: Instrument,
) -> None:
    revision = _revision(draft)

    services.instrument_settings_update(
        actor=None, instrument_id=draft.pk, settings={"purpose": "other"}
    )
    unchanged = _revision(draft)
    services.instrument_settings_update(
        actor=None,
        instrument_id=draft.pk,
        settings={"title_en": "Library needs", "title_es": "Necesidades de la biblioteca"},
    )

    assert unchanged == revision
    assert _revision(draft) == revision + 1
    assert Instrument.objects.get().translation_outdated == ""
