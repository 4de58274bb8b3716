"""Answering a survey through the public link: section by section, branching, checks, submit."""

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tapestry.network.api import region_of_state
from tapestry.surveys.models import AccessToken, Answer, Draft, Instrument, Response
from tapestry.surveys.schemas import InstrumentSpec
from tapestry.surveys.selectors import instrument_structure
from tapestry.surveys.services import LinkUsed, instrument_create, response_submit, token_issue
from tapestry.surveys.tests.factories import instrument_make, sample_spec

pytestmark = pytest.mark.django_db

ABOUT_YOU: dict[str, Any] = {"role": "liaison", "state": "GA", "staff": "3"}
NEEDS: dict[str, Any] = {
    "offers_health": "1",
    "topics": ["1", "4"],
    "research_detail": "Finding trials",
    "confident": "4",
    "last_program": "2026-05-01",
}


def started(client: Client, instrument: Instrument, **headers: str) -> str:
    """The answering URL the Start button leads to."""
    response = client.post(
        reverse("surveys:start", kwargs={"slug": instrument.slug}), headers=headers
    )
    assert response.status_code == 302
    return str(response["Location"])


def send(
    client: Client,
    url: str,
    *,
    section: int,
    action: str,
    answers: dict[str, Any],
    revision: Any = 1,
    **headers: str,
) -> Any:
    data: dict[str, Any] = {"revision": revision, "section": section, "action": action}
    data.update({f"q-{code}": value for code, value in answers.items()})
    return client.post(url, data, headers=headers)


def test_the_landing_page_says_what_the_survey_is_in_the_page_language() -> None:
    instrument = instrument_make(closes_at=None)
    instrument.closes_at = datetime.datetime(2099, 1, 3, 17, tzinfo=datetime.UTC)
    instrument.save(update_fields=["closes_at"])

    english = Client().get("/surveys/sample-needs/")
    spanish = Client().get("/surveys/sample-needs/", headers={"accept-language": "es"})

    assert english.status_code == 200
    assert "Library health-information needs" in english.text
    assert "your answers are not linked to your name or email" in english.text
    assert "Open until 3 Jan 2099." in english.text
    assert spanish.status_code == 200
    assert "Necesidades de información de salud" in spanish.text
    assert "3 ene 2099" in spanish.text


def test_the_landing_page_falls_back_to_english_where_the_spanish_is_blank() -> None:
    instrument = instrument_make()
    instrument.title_es = ""
    instrument.save(update_fields=["title_es"])

    page = Client().get("/surveys/sample-needs/", headers={"accept-language": "es"})

    assert "Library health-information needs" in page.text


@pytest.mark.parametrize("status", [Instrument.Status.DRAFT, Instrument.Status.ARCHIVED])
def test_draft_and_archived_surveys_do_not_exist_for_the_public(status: str) -> None:
    instrument_make(status=status)
    client = Client()

    pages = [
        client.get("/surveys/sample-needs/"),
        client.post("/surveys/sample-needs/start/"),
        client.get("/surveys/sample-needs/qr.svg"),
        client.get("/surveys/sample-needs/poster/"),
    ]

    assert [page.status_code for page in pages] == [404, 404, 404, 404]
    assert AccessToken.objects.count() == 0


def test_before_it_opens_the_survey_says_when_and_starts_nothing() -> None:
    instrument = instrument_make()
    instrument.opens_at = datetime.datetime(2099, 1, 3, 15, tzinfo=datetime.UTC)
    instrument.save(update_fields=["opens_at"])
    client = Client()

    landing = client.get("/surveys/sample-needs/")
    start = client.post("/surveys/sample-needs/start/")

    assert landing.status_code == 403
    assert "It opens on 3 Jan 2099." in landing.text
    assert start.status_code == 403
    assert AccessToken.objects.count() == 0
    assert Draft.objects.count() == 0


def test_after_it_closes_the_survey_says_so_and_a_started_link_cannot_submit() -> None:
    instrument = instrument_make()
    client = Client()
    url = started(client, instrument)
    send(client, url, section=0, action="next", answers=ABOUT_YOU)
    instrument.opens_at = datetime.datetime(2025, 12, 1, tzinfo=datetime.UTC)
    instrument.closes_at = datetime.datetime(2026, 1, 3, 15, tzinfo=datetime.UTC)
    instrument.save(update_fields=["opens_at", "closes_at"])

    landing = client.get("/surveys/sample-needs/")
    submit = send(client, url, section=1, action="submit", answers=NEEDS)

    assert landing.status_code == 403
    assert "It closed on 3 Jan 2026." in landing.text
    assert submit.status_code == 403
    assert Response.objects.count() == 0


def test_start_makes_a_one_time_link_and_its_draft_in_the_page_language() -> None:
    instrument = instrument_make()

    url = started(Client(), instrument, **{"accept-language": "es"})

    token = AccessToken.objects.get()
    assert url.startswith("/surveys/sample-needs/r/")
    assert token.person is None and token.used_at is None
    draft = Draft.objects.get()
    assert (draft.token, draft.person, draft.language, draft.answers) == (token, None, "es", {})


def test_the_first_section_page_is_titled_with_its_place_and_shows_its_questions() -> None:
    instrument = instrument_make()
    client = Client()

    page = client.get(started(client, instrument))

    assert page.status_code == 200
    assert "<title>Section 1 of 2 — About you · Tapestry</title>" in page.text
    assert 'name="q-role"' in page.text and 'name="q-staff"' in page.text
    assert "(required)" in page.text
    assert 'name="q-offers_health"' not in page.text


def test_an_invitation_link_makes_its_draft_on_the_first_visit() -> None:
    instrument = instrument_make()
    secret = token_issue(instrument=instrument, subject_kind="course", subject_ref="42")

    page = Client().get(f"/surveys/sample-needs/r/{secret}/")

    assert page.status_code == 200
    assert Draft.objects.get().token == AccessToken.objects.get()


def test_an_unknown_link_is_refused_and_makes_nothing() -> None:
    instrument_make()

    page = Client().get("/surveys/sample-needs/r/not-a-real-secret/")

    assert page.status_code == 400
    assert "This link is not one of this survey&#x27;s links." in page.text
    assert Draft.objects.count() == 0


def test_a_full_anonymous_answer_keeps_no_person_no_link_and_only_the_day() -> None:
    instrument = instrument_make()
    client = Client()
    url = started(client, instrument)

    first = send(client, url, section=0, action="next", answers=ABOUT_YOU)
    second = send(client, url, section=1, action="submit", answers=NEEDS)

    assert first.status_code == 302 and first["Location"] == url
    assert second.status_code == 302
    assert second["Location"] == "/surveys/sample-needs/thanks/"
    response = Response.objects.get()
    assert response.person is None and response.sequence is None
    today = timezone.now().astimezone(datetime.UTC).date()
    assert response.submitted_at == datetime.datetime.combine(
        today, datetime.time(0), tzinfo=datetime.UTC
    )
    georgia = region_of_state(state_code="GA")
    assert georgia is not None
    assert (response.role, response.region, response.language) == ("liaison", georgia.code, "en")
    assert response.subject_kind == "" and response.revision == 1
    stored = {
        (answer.question.code, answer.choice.code if answer.choice else None)
        for answer in Answer.objects.select_related("question", "choice")
    }
    assert ("topics", "1") in stored and ("topics", "4") in stored
    assert Answer.objects.count() == 9
    assert Draft.objects.count() == 0
    assert AccessToken.objects.get().used_at is not None


def test_an_invitation_response_counts_for_the_invitation_subject() -> None:
    instrument = instrument_make()
    secret = token_issue(instrument=instrument, subject_kind="event", subject_ref="77")
    url = f"/surveys/sample-needs/r/{secret}/"
    client = Client()
    client.get(url)

    send(client, url, section=0, action="next", answers=ABOUT_YOU)
    send(client, url, section=1, action="submit", answers=NEEDS)

    response = Response.objects.get()
    assert (response.subject_kind, response.subject_ref) == ("event", "77")


def test_a_used_link_thanks_the_person_and_takes_no_second_response() -> None:
    instrument = instrument_make()
    client = Client()
    url = started(client, instrument)
    send(client, url, section=0, action="next", answers=ABOUT_YOU)
    send(client, url, section=1, action="submit", answers=NEEDS)

    again = client.get(url)
    resent = send(client, url, section=1, action="submit", answers=NEEDS)

    assert again.status_code == 410
    assert "You have already answered with this link. Thank you." in again.text
    assert resent.status_code == 409
    assert "This link has already been used." in resent.text
    assert Response.objects.count() == 1


def test_of_two_submits_with_the_same_link_only_the_first_makes_a_response() -> None:
    # Both requests loaded the draft before either submitted: the link's conditional update
    # lets exactly one through.
    instrument = instrument_make()
    client = Client()
    url = started(client, instrument)
    send(client, url, section=0, action="next", answers=ABOUT_YOU)
    send(client, url, section=1, action="save", answers=NEEDS)
    structure = instrument_structure(instrument=instrument)
    first, second = Draft.objects.get(), Draft.objects.get()

    response_submit(draft=first, structure=structure, revision=1, language="en")
    with pytest.raises(LinkUsed):
        response_submit(draft=second, structure=structure, revision=1, language="en")

    assert Response.objects.count() == 1
    assert Answer.objects.count() == 9


def test_save_and_finish_later_shows_the_address_to_keep_and_resumes_there() -> None:
    instrument = instrument_make()
    client = Client()
    url = started(client, instrument)
    send(client, url, section=0, action="next", answers=ABOUT_YOU)

    saved = send(client, url, section=1, action="save", answers={"offers_health": "0"})
    resumed = Client().get(url)

    assert saved.status_code == 200
    assert f'value="http://testserver{url}"' in saved.text or url in saved.text
    assert "we do not email it" in saved.text
    assert resumed.status_code == 200
    assert "Section 2 of 2" in resumed.text
    assert 'value="0" checked' in resumed.text
    assert Draft.objects.get().answers == {**ABOUT_YOU, "offers_health": "0"}


def test_back_keeps_this_section_and_shows_the_one_before_with_its_answers() -> None:
    instrument = instrument_make()
    client = Client()
    url = started(client, instrument)
    send(client, url, section=0, action="next", answers=ABOUT_YOU)

    back = send(client, url, section=1, action="back", answers={"confident": "5"})
    page = client.get(back["Location"])

    assert "Section 1 of 2" in page.text
    assert 'value="3"' in page.text
    assert Draft.objects.get().answers["confident"] == "5"


def test_a_hidden_question_answer_is_discarded_and_the_hiding_cascades() -> None:
    # offers_health "No" hides topics, and so research_detail (which reads topics) too,
    # whatever the page sent for them.
    instrument = instrument_make()
    client = Client()
    url = started(client, instrument)
    send(client, url, section=0, action="next", answers=ABOUT_YOU)

    send(client, url, section=1, action="submit", answers={**NEEDS, "offers_health": "0"})

    codes = set(Answer.objects.values_list("question__code", flat=True))
    assert codes == {"role", "state", "staff", "offers_health", "confident"}


def test_an_earlier_section_changed_hides_a_later_answer_already_saved() -> None:
    instrument = instrument_make()
    client = Client()
    url = started(client, instrument)
    send(client, url, section=0, action="next", answers=ABOUT_YOU)
    send(client, url, section=1, action="back", answers=NEEDS)
    assert Draft.objects.get().answers["last_program"] == "2026-05-01"

    send(client, url, section=0, action="next", answers={**ABOUT_YOU, "staff": "1"})

    assert "last_program" not in Draft.objects.get().answers


def test_a_question_that_reads_its_own_section_says_when_to_answer_it() -> None:
    instrument = instrument_make()
    client = Client()
    url = started(client, instrument)
    send(client, url, section=0, action="next", answers=ABOUT_YOU)

    english = client.get(url)
    spanish = client.get(url, headers={"accept-language": "es"})

    assert "Answer only if Does your library offer health programs? is Yes." in english.text
    assert "Responda solo si ¿Su biblioteca ofrece programas de salud? es Sí." in spanish.text
    assert 'id="survey-branching" type="application/json"' in english.text


@pytest.mark.parametrize(
    ("section", "answers", "code", "message"),
    [
        (0, {"state": "GA", "staff": "3"}, "role", "Answer this question."),
        (0, {**ABOUT_YOU, "role": "astronaut"}, "role", "Choose one of the options listed."),
        (0, {**ABOUT_YOU, "staff": "three"}, "staff", "Enter a number, for example 12."),
        (0, {**ABOUT_YOU, "staff": "2.5"}, "staff", "Enter a whole number, without decimals."),
        (0, {**ABOUT_YOU, "staff": "0"}, "staff", "Enter a number from 1 to 500."),
        (0, {**ABOUT_YOU, "staff": "501"}, "staff", "Enter a number from 1 to 500."),
        (0, {**ABOUT_YOU, "staff": "1e400"}, "staff", "Enter a number from 1 to 500."),
        (0, {**ABOUT_YOU, "staff": "NaN"}, "staff", "Enter a number, for example 12."),
        (1, {**NEEDS, "topics": ["1", "9"]}, "topics", "Choose from the options listed."),
        (1, {**NEEDS, "last_program": "2026-02-30"}, "last_program", "Enter a real date"),
        (1, {**NEEDS, "last_program": "3/1/2026"}, "last_program", "Enter a real date"),
        (1, {**NEEDS, "comments": "x" * 5001}, "comments", "5,000 characters or fewer"),
        (1, {**NEEDS, "topics": []}, "topics", "Answer this question."),
    ],
)
def test_an_answer_the_question_does_not_accept_is_refused_beside_its_field(
    section: int, answers: dict[str, Any], code: str, message: str
) -> None:
    instrument = instrument_make()
    client = Client()
    url = started(client, instrument)
    if section == 1:
        send(client, url, section=0, action="next", answers=ABOUT_YOU)
    before = Draft.objects.get().answers

    page = send(client, url, section=section, action="next", answers=answers)

    assert page.status_code == 400
    assert message in page.text
    assert f'id="q-{code}-error"' in page.text
    assert f'aria-describedby="q-{code}-error"' in page.text or (
        f'q-{code}-error"' in page.text and "aria-describedby" in page.text
    )
    assert 'id="form-errors"' in page.text
    assert f'href="#q-{code}' in page.text
    assert Draft.objects.get().answers == before
    assert Response.objects.count() == 0


def test_a_refused_page_keeps_what_the_person_typed() -> None:
    instrument = instrument_make()
    client = Client()
    url = started(client, instrument)

    page = send(client, url, section=0, action="next", answers={**ABOUT_YOU, "staff": "lots"})

    assert 'value="lots"' in page.text
    assert 'value="GA" checked' in page.text


def test_submit_checks_every_section_again_and_shows_the_first_with_a_problem() -> None:
    # The first section was only saved (not checked as required): submit goes back to it.
    instrument = instrument_make()
    client = Client()
    url = started(client, instrument)
    send(client, url, section=0, action="save", answers={"state": "GA"})

    page = send(client, url, section=1, action="submit", answers=NEEDS)

    assert page.status_code == 400
    assert "Section 1 of 2" in page.text
    assert 'id="q-role-error"' in page.text
    assert Response.objects.count() == 0
    assert AccessToken.objects.get().used_at is None


@pytest.mark.parametrize(
    "fields",
    [
        {"revision": "one", "section": "0", "action": "next"},
        {"revision": "1", "section": "7", "action": "next"},
        {"revision": "1", "section": "-1", "action": "next"},
        {"revision": "1", "section": "0", "action": "delete"},
        {"section": "0", "action": "next"},
    ],
)
def test_a_tampered_hidden_field_is_a_bad_request_that_changes_nothing(
    fields: dict[str, str],
) -> None:
    instrument = instrument_make()
    client = Client()
    url = started(client, instrument)

    page = client.post(url, {**fields, "q-role": "liaison"})

    assert page.status_code == 400
    assert "nothing was saved" in page.text
    assert Draft.objects.get().answers == {}


def test_a_survey_changed_while_answering_keeps_the_answers_that_still_fit() -> None:
    instrument = instrument_make()
    client = Client()
    url = started(client, instrument)
    send(client, url, section=0, action="next", answers=ABOUT_YOU)
    # Staff edit the survey: Texas is no longer a choice, the revision goes up.
    instrument.questions.get(code="state").choices.filter(code="TX").delete()
    Instrument.objects.filter(pk=instrument.pk).update(revision=2)

    page = send(client, url, section=1, action="submit", answers={**NEEDS, "topics": ["1"]})

    assert page.status_code == 409
    assert "This survey was changed while you were answering." in page.text
    assert Response.objects.count() == 0
    draft = Draft.objects.get()
    assert draft.revision == 2
    assert draft.answers["state"] == "GA" and draft.answers["topics"] == ["1"]

    again = send(client, url, section=1, action="submit", answers=NEEDS, revision=2)

    assert again.status_code == 302
    assert Response.objects.get().revision == 2


def test_a_draft_given_against_an_older_revision_drops_answers_that_no_longer_fit() -> None:
    instrument = instrument_make()
    client = Client()
    url = started(client, instrument)
    send(client, url, section=0, action="next", answers={**ABOUT_YOU, "state": "TX"})
    instrument.questions.get(code="state").choices.filter(code="TX").delete()
    Instrument.objects.filter(pk=instrument.pk).update(revision=2)

    page = client.get(url)

    assert page.status_code == 200
    assert "This survey was changed while you were answering." in page.text
    assert Draft.objects.get().answers == {"role": "liaison", "staff": "3"}


def test_a_survey_answered_in_spanish_is_recorded_in_spanish() -> None:
    instrument = instrument_make()
    client = Client()
    spanish = {"accept-language": "es"}
    url = started(client, instrument, **spanish)
    page = client.get(url, headers=spanish)
    send(client, url, section=0, action="next", answers=ABOUT_YOU, **spanish)
    refused = send(client, url, section=1, action="submit", answers={}, **spanish)
    send(client, url, section=1, action="submit", answers=NEEDS, **spanish)
    thanks = client.get("/surveys/sample-needs/thanks/", headers=spanish)

    assert "¿Cuál es su función?" in page.text and "Sobre usted" in page.text
    assert "Sección 1 de 2" in page.text
    assert refused.status_code == 400
    assert "Responda esta pregunta." in refused.text
    assert "Gracias" in thanks.text
    assert Response.objects.get().language == "es"


def test_switching_language_part_way_keeps_the_saved_answers() -> None:
    instrument = instrument_make()
    client = Client()
    url = started(client, instrument)
    send(client, url, section=0, action="next", answers=ABOUT_YOU)
    send(client, url, section=1, action="save", answers={"offers_health": "1"})

    page = client.get(url, headers={"accept-language": "es"})

    assert "¿Su biblioteca ofrece programas de salud?" in page.text
    assert 'value="1" checked' in page.text


def test_the_qr_code_and_poster_lead_to_the_public_link() -> None:
    instrument_make()
    client = Client()

    code = client.get("/surveys/sample-needs/qr.svg")
    poster = client.get("/surveys/sample-needs/poster/")

    assert code.status_code == 200
    assert code["Content-Type"] == "image/svg+xml"
    assert code.content.startswith(b"<svg")
    assert poster.status_code == 200
    assert "Library health-information needs" in poster.text
    assert "Necesidades de información de salud" in poster.text
    assert "/surveys/sample-needs/qr.svg" in poster.text
    assert "QR code that opens" in poster.text
    assert "/surveys/sample-needs/</a>" in poster.text


def with_follow_up_section() -> Instrument:
    """The sample survey and a third section that shows only to libraries without programs."""
    spec = sample_spec()
    spec["sections"].append(
        {
            "title": {"en": "Programs", "es": "Programas"},
            "questions": [
                {
                    "code": "why_not",
                    "kind": "text",
                    "label": {"en": "What stops you?", "es": "¿Qué se lo impide?"},
                    "required": True,
                    "show_if": {"op": "=", "question": "offers_health", "value": "0"},
                }
            ],
        }
    )
    instrument = instrument_create(spec=InstrumentSpec.model_validate(spec))
    instrument.status = Instrument.Status.PUBLISHED
    instrument.save(update_fields=["status"])
    return instrument


def test_a_section_whose_questions_are_all_hidden_is_skipped() -> None:
    instrument = with_follow_up_section()
    client = Client()
    url = started(client, instrument)
    send(client, url, section=0, action="next", answers=ABOUT_YOU)

    page = client.get(url)
    submitted = send(client, url, section=1, action="submit", answers=NEEDS)

    assert "Section 2 of 2" in page.text and "Submit my answers" in page.text
    assert submitted.status_code == 302
    assert submitted["Location"] == "/surveys/sample-needs/thanks/"
    assert not Answer.objects.filter(question__code="why_not").exists()


def test_submit_goes_on_to_a_section_this_page_just_opened() -> None:
    instrument = with_follow_up_section()
    client = Client()
    url = started(client, instrument)
    send(client, url, section=0, action="next", answers=ABOUT_YOU)

    moved = send(
        client, url, section=1, action="submit", answers={"offers_health": "0", "confident": "2"}
    )
    page = client.get(url)

    assert moved.status_code == 302 and moved["Location"] == url
    assert "Section 3 of 3 — Programs" in page.text
    assert Response.objects.count() == 0


def test_a_number_without_a_range_must_still_fit_and_invisible_characters_are_dropped() -> None:
    spec = sample_spec()
    spec["sections"][0]["questions"][2].update(minimum=None, maximum=None, whole_number=False)
    instrument = instrument_create(spec=InstrumentSpec.model_validate(spec))
    instrument.status = Instrument.Status.PUBLISHED
    instrument.save(update_fields=["status"])
    client = Client()
    url = started(client, instrument)

    huge = send(client, url, section=0, action="next", answers={**ABOUT_YOU, "staff": "1e15"})
    send(client, url, section=0, action="next", answers={**ABOUT_YOU, "staff": "2.5"})
    send(client, url, section=1, action="submit", answers={**NEEDS, "comments": "Mo\x00re"})

    assert huge.status_code == 400
    assert "Enter a number smaller than a trillion." in huge.text
    assert Answer.objects.get(question__code="staff").number == Decimal("2.5")
    assert Answer.objects.get(question__code="comments").text == "More"


def test_pressing_start_again_in_the_same_browser_resumes_the_same_link() -> None:
    instrument = instrument_make()
    client = Client()
    first = started(client, instrument)

    again = started(client, instrument)

    assert again == first
    assert AccessToken.objects.count() == 1


def test_starts_beyond_the_hourly_limit_from_one_address_are_refused_and_make_nothing(
    settings: Any,
) -> None:
    settings.SURVEYS_STARTS_PER_ADDRESS_PER_HOUR = 2
    instrument = instrument_make()
    for _visitor in range(2):
        started(Client(), instrument)

    refused = Client().post(reverse("surveys:start", kwargs={"slug": instrument.slug}))

    assert refused.status_code == 429
    assert "Too many surveys started" in refused.content.decode()
    assert AccessToken.objects.count() == Draft.objects.count() == 2
