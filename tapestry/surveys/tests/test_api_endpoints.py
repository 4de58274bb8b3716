"""The surveys JSON API (/api/v1/surveys/...): staff tokens only, instruments in and out as
specs, responses as plain answers."""

import datetime
import json
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from pytest_django.fixtures import Settings

from tapestry.accounts.roles import Role
from tapestry.accounts.tests.factories import UserFactory, api_token_make
from tapestry.surveys import logic
from tapestry.surveys.demo import responses_generate
from tapestry.surveys.models import Answer, Instrument, Question, Response
from tapestry.surveys.selectors import instrument_structure
from tapestry.surveys.services import answer_rows
from tapestry.surveys.tests.factories import instrument_make, sample_spec

pytestmark = pytest.mark.django_db

BASE = "/api/v1/surveys"


@pytest.fixture(autouse=True)
def _unthrottled(settings: Settings) -> None:
    settings.API_THROTTLE_ANONYMOUS = "100000/s"
    settings.API_THROTTLE_TOKEN = "100000/s"


@pytest.fixture
def staff_token() -> str:
    dana = UserFactory.create(email="dana@example.org", roles=[Role.PROGRAM_STAFF])
    return api_token_make(user=dana, scopes=["surveys"])


def _get(path: str, token: str | None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return Client().get(f"{BASE}{path}", headers=headers)


def _post(body: Any, token: str) -> Any:
    return Client().post(
        f"{BASE}/instruments",
        data=json.dumps(body),
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )


def test_without_a_token_the_api_answers_401() -> None:
    instrument_make()

    response = _get("/instruments", None)

    assert response.status_code == 401
    assert response.json() == {"detail": "A valid API token is required."}


def test_a_token_of_someone_who_is_not_staff_gets_403() -> None:
    lucia = UserFactory.create(email="lucia@example.org", roles=[Role.LIAISON])
    token = api_token_make(user=lucia, scopes=["surveys", "read"])

    response = _get("/instruments", token)

    assert response.status_code == 403
    assert "program staff and administrators" in response.json()["detail"]


def test_a_staff_token_without_the_surveys_scope_gets_403() -> None:
    dana = UserFactory.create(email="dana@example.org", roles=[Role.PROGRAM_STAFF])
    token = api_token_make(user=dana, scopes=["read"])

    response = _get("/instruments", token)

    assert response.status_code == 403
    assert "surveys" in response.json()["detail"]


def test_a_non_staff_token_cannot_create_an_instrument() -> None:
    lucia = UserFactory.create(email="lucia@example.org", roles=[Role.LIAISON])
    token = api_token_make(user=lucia, scopes=["surveys"])

    response = _post(sample_spec(), token)

    assert response.status_code == 403
    assert Instrument.objects.count() == 0


def test_instruments_are_listed_with_their_response_counts(staff_token: str) -> None:
    instrument = instrument_make()
    responses_generate(instrument=instrument, count=3)
    instrument_make(slug="second", status=Instrument.Status.DRAFT)

    response = _get("/instruments?page_size=1", staff_token)

    assert response.status_code == 200
    body = response.json()
    assert (body["count"], body["page"], body["pages"], body["page_size"]) == (2, 1, 2, 1)
    (first,) = body["results"]
    assert first["slug"] == "second"
    second_page = _get("/instruments?page=2&page_size=1", staff_token).json()["results"]
    assert second_page == [
        {
            "slug": "sample-needs",
            "title": {
                "en": "Library health-information needs",
                "es": "Necesidades de información de salud",
            },
            "purpose": "needs_assessment",
            "mode": "anonymous",
            "status": "published",
            "opens_at": None,
            "closes_at": None,
            "revision": 1,
            "responses": 3,
        }
    ]


def test_a_page_size_over_the_limit_is_refused(staff_token: str) -> None:
    response = _get("/instruments?page_size=101", staff_token)

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["page_size"]


def test_one_instrument_comes_back_as_the_spec_it_was_made_from(staff_token: str) -> None:
    instrument_make()

    response = _get("/instruments/sample-needs", staff_token)

    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["revision"], body["opens_at"]) == ("published", 1, None)
    staff_question = body["sections"][0]["questions"][2]
    assert (staff_question["code"], staff_question["minimum"], staff_question["maximum"]) == (
        "staff",
        "1",
        "500",
    )
    assert body["sections"][1]["questions"][1]["show_if"] == {
        "op": "=",
        "question": "offers_health",
        "value": "1",
    }


def test_an_unknown_instrument_is_404(staff_token: str) -> None:
    assert _get("/instruments/nothing-here", staff_token).status_code == 404
    assert _get("/instruments/nothing-here/responses", staff_token).status_code == 404


def test_posting_a_spec_creates_a_draft(staff_token: str) -> None:
    response = _post(sample_spec(slug="from-the-api"), staff_token)

    assert response.status_code == 201
    assert response.json()["status"] == "draft"
    created = Instrument.objects.get(slug="from-the-api")
    assert created.status == Instrument.Status.DRAFT
    assert created.created_by is not None and created.created_by.email == "dana@example.org"
    assert Question.objects.filter(instrument=created).count() == 9


def test_posting_a_taken_link_name_is_409_and_changes_nothing(staff_token: str) -> None:
    instrument_make()

    response = _post(sample_spec(title={"en": "Another", "es": "Otra"}), staff_token)

    assert response.status_code == 409
    assert response.json()["errors"] == {"slug": ["sample-needs is already used."]}
    assert Instrument.objects.get().title_en == "Library health-information needs"


def _spec_without(field: str) -> dict[str, Any]:
    spec = sample_spec()
    del spec[field]
    return spec


def _spec_with_a_question_change(**changes: Any) -> dict[str, Any]:
    spec = sample_spec()
    spec["sections"][0]["questions"][0].update(changes)
    return spec


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        (_spec_without("title"), {"title": ["Field required"]}),
        (_spec_without("sections"), {"sections": ["Field required"]}),
        (
            _spec_with_a_question_change(kind="slider"),
            {
                "kind": [
                    "Input should be 'single', 'multiple', 'likert', 'number', 'text' or 'date'"
                ]
            },
        ),
        (
            # The first question depends on one asked later.
            _spec_with_a_question_change(
                show_if={"op": "=", "question": "offers_health", "value": "1"}
            ),
            {
                "spec": [
                    "role: the condition cannot be used: 'offers_health' is not a question "
                    "that comes before this one."
                ]
            },
        ),
    ],
    ids=["no title", "no sections", "unknown kind", "condition on a later question"],
)
def test_a_bad_spec_is_400_with_the_problems_and_creates_nothing(
    staff_token: str, body: dict[str, Any], errors: dict[str, list[str]]
) -> None:
    response = _post(body, staff_token)

    assert response.status_code == 400
    assert response.json()["errors"] == errors
    assert Instrument.objects.count() == 0


ANSWERS: dict[str, logic.Answer] = {
    "role": "liaison",
    "state": "PR",
    "staff": "12",
    "offers_health": "1",
    "topics": ["2", "4"],
    "research_detail": "Ensayos clínicos",
    "confident": "4",
    "last_program": "2026-05-04",
}


def _response_with_known_answers(instrument: Instrument) -> Response:
    structure = instrument_structure(instrument=instrument)
    response = Response.objects.create(
        instrument=instrument,
        revision=1,
        language="es",
        submitted_at=timezone.make_aware(datetime.datetime(2026, 6, 1, 14, 30)),
        role="liaison",
        region="region-2",
        subject_kind="course",
        subject_ref="42",
    )
    Answer.objects.bulk_create(answer_rows(structure, response, ANSWERS))
    return response


def test_anonymous_responses_have_no_person_and_only_the_day(staff_token: str) -> None:
    instrument = instrument_make()
    stored = _response_with_known_answers(instrument)
    responses_generate(instrument=instrument, count=2, seed=1)  # later ones, on page 2

    response = _get("/instruments/sample-needs/responses?page_size=1", staff_token)

    assert response.status_code == 200
    body = response.json()
    assert (body["count"], body["pages"], body["page_size"]) == (3, 3, 1)
    assert body["results"] == [
        {
            "id": stored.pk,
            "submitted_at": "2026-06-01",
            "language": "es",
            "role": "liaison",
            "region": "region-2",
            "subject": {"kind": "course", "ref": "42"},
            "person_id": None,
            "revision": 1,
            "answers": ANSWERS,
        }
    ]


def test_identified_responses_carry_the_person_and_the_moment(staff_token: str) -> None:
    instrument = instrument_make(mode="identified")
    responses_generate(instrument=instrument, count=1, seed=1)
    lucia = UserFactory.create(email="lucia@example.org")
    Response.objects.filter(instrument=instrument).update(person=lucia, sequence=1)

    (result,) = _get("/instruments/sample-needs/responses", staff_token).json()["results"]

    assert result["person_id"] == lucia.pk
    assert "T" in result["submitted_at"]
