"""GET /api/v1/xapi/statements: xAPI 1.0.3's filters and paging, who reads what, the version
header, and bad input answered 400 by parameter name."""

from __future__ import annotations

import datetime
import json
from typing import TYPE_CHECKING, Any

import pytest
import time_machine
from django.test import Client
from pytest_django.fixtures import Settings

from tapestry.accounts.tests.factories import api_token_make
from tapestry.learning.models import Lesson, Statement
from tapestry.learning.statements import VERBS, activity_id, agent_for
from tapestry.learning.tests.factories import course_finish, course_make

if TYPE_CHECKING:
    from tapestry.accounts.api import User

# What the test client answers: an HttpResponse with .json().
Answer = Any

pytestmark = pytest.mark.django_db

URL = "/api/v1/xapi/statements"
START = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def _unthrottled(settings: Settings) -> None:
    settings.API_THROTTLE_ANONYMOUS = "100000/s"
    settings.API_THROTTLE_TOKEN = "100000/s"


def _get(token: str | None, version: str | None = "1.0.3", **params: str) -> Answer:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if version is not None:
        headers["X-Experience-API-Version"] = version
    response: Answer = Client().get(URL, params, headers=headers)
    return response


def _ids(response: Answer) -> list[str]:
    return [statement["id"] for statement in response.json()["statements"]]


def _finish_at(learner: User, moment: datetime.datetime, slug: str) -> None:
    # Each statement is stored a tick later than the one before, so the order is known.
    with time_machine.travel(moment, tick=True):
        course_finish(user_id=learner.pk, course=course_make(slug=slug, title=slug.title()))


@pytest.fixture
def two_learners(alice_liaison: User, rosa_spanish: User) -> tuple[User, User]:
    _finish_at(alice_liaison, START, "privacy-basics")
    _finish_at(rosa_spanish, START + datetime.timedelta(days=1), "consent-basics")
    return alice_liaison, rosa_spanish


def _newest_first(**filters: Any) -> list[str]:
    return [
        str(pk)
        for pk in Statement.objects.filter(**filters)
        .order_by("-stored", "-id")
        .values_list("pk", flat=True)
    ]


def test_a_learner_reads_only_their_own_statements_newest_first(
    two_learners: tuple[User, User],
) -> None:
    alice, _rosa = two_learners
    token = api_token_make(user=alice, scopes=["read"])

    response = _get(token)

    assert response.status_code == 200
    assert response["X-Experience-API-Version"] == "1.0.3"
    assert response["X-Experience-API-Consistent-Through"].endswith("Z")
    assert _ids(response) == _newest_first(user=alice)
    assert len(_ids(response)) == 8
    assert response.json()["more"] == ""


def test_program_staff_read_everyones_statements(
    two_learners: tuple[User, User], paula_program_staff: User
) -> None:
    token = api_token_make(user=paula_program_staff, scopes=["read"])

    response = _get(token)

    assert response.status_code == 200
    assert _ids(response) == _newest_first()
    assert len(_ids(response)) == 16


def test_filters_by_agent_verb_activity_and_stored_time(
    two_learners: tuple[User, User], paula_program_staff: User
) -> None:
    alice, rosa = two_learners
    token = api_token_make(user=paula_program_staff, scopes=["read"])
    lesson = Lesson.objects.filter(module__course__slug="privacy-basics").first()
    assert lesson is not None
    rosa_agent = json.dumps(agent_for(rosa.pk))

    by_agent = _get(token, agent=rosa_agent)
    by_verb = _get(token, verb=VERBS["progressed"])
    by_activity = _get(token, activity=activity_id(lesson))
    since = _get(token, since=(START + datetime.timedelta(hours=12)).isoformat())
    until = _get(token, until="2026-03-02T12:00:00Z")
    both = _get(token, agent=rosa_agent, verb=VERBS["completed"])

    assert _ids(by_agent) == _newest_first(user=rosa)
    assert _ids(by_verb) == _newest_first(verb=VERBS["progressed"])
    assert len(_ids(by_verb)) == 4
    assert _ids(by_activity) == _newest_first(activity=activity_id(lesson))
    assert len(_ids(by_activity)) == 1
    assert _ids(since) == _newest_first(user=rosa)
    assert _ids(until) == _newest_first(user=alice)
    assert _ids(both) == _newest_first(user=rosa, verb=VERBS["completed"])
    assert len(_ids(both)) == 1
    # RFC 3339 allows zone offsets PostgreSQL refuses (past ±15:59): the same moment in UTC.
    assert _ids(_get(token, until="2026-03-03T04:24:00+16:24")) == _ids(until)


def test_limit_pages_with_more_until_every_statement_came_once(
    two_learners: tuple[User, User], paula_program_staff: User
) -> None:
    token = api_token_make(user=paula_program_staff, scopes=["read"])
    seen: list[str] = []
    response = _get(token, limit="5")
    pages = 1
    while response.json()["more"]:
        seen += _ids(response)
        more = response.json()["more"]
        assert more.startswith(f"{URL}?")
        response = Client().get(
            more,
            headers={"Authorization": f"Bearer {token}", "X-Experience-API-Version": "1.0.3"},
        )
        pages += 1
    seen += _ids(response)

    assert pages == 4
    assert seen == _newest_first()


def test_ascending_pages_run_oldest_first(
    two_learners: tuple[User, User], paula_program_staff: User
) -> None:
    token = api_token_make(user=paula_program_staff, scopes=["read"])

    first = _get(token, limit="10", ascending="true")
    second = Client().get(first.json()["more"], headers={"Authorization": f"Bearer {token}"})

    assert _ids(first) + _ids(second) == list(reversed(_newest_first()))
    assert second.json()["more"] == ""


def test_limit_zero_and_a_limit_past_the_maximum_give_the_maximum(
    two_learners: tuple[User, User], paula_program_staff: User, settings: Settings
) -> None:
    settings.LEARNING_XAPI_MAX_LIMIT = 4
    token = api_token_make(user=paula_program_staff, scopes=["read"])

    zero = _get(token, limit="0")
    large = _get(token, limit="1000")

    assert _ids(zero) == _ids(large) == _newest_first()[:4]
    assert zero.json()["more"] != ""


def test_one_statement_by_id_for_its_learner_and_not_for_another(
    two_learners: tuple[User, User],
) -> None:
    alice, rosa = two_learners
    statement = Statement.objects.filter(user=alice).latest("stored")

    own = _get(api_token_make(user=alice, scopes=["read"]), statementId=str(statement.pk))
    other = _get(api_token_make(user=rosa, scopes=["read"]), statementId=str(statement.pk))

    assert own.status_code == 200
    assert own.json() == statement.body
    assert own["Last-Modified"]
    assert other.status_code == 404
    assert other.json() == {"detail": "No statement of yours has that id."}
    assert other["X-Experience-API-Version"] == "1.0.3"


def test_a_learner_asking_for_someone_elses_statements_gets_403(
    two_learners: tuple[User, User],
) -> None:
    alice, rosa = two_learners

    response = _get(
        api_token_make(user=alice, scopes=["read"]), agent=json.dumps(agent_for(rosa.pk))
    )

    assert response.status_code == 403
    assert response.json() == {"detail": "You may read only your own statements."}


def test_a_learner_may_name_themselves_as_the_agent(two_learners: tuple[User, User]) -> None:
    alice, _rosa = two_learners

    response = _get(
        api_token_make(user=alice, scopes=["read"]), agent=json.dumps(agent_for(alice.pk))
    )

    assert _ids(response) == _newest_first(user=alice)


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"agent": "{not json"}, "agent"),
        ({"agent": '"alice"'}, "agent"),
        ({"agent": '{"name": "no identifier"}'}, "agent"),
        ({"agent": '{"mbox": "mailto:a@example.org", "openid": "http://a.example"}'}, "agent"),
        ({"agent": '{"mbox": "a@example.org"}'}, "agent"),
        ({"verb": "completed"}, "verb"),
        ({"activity": "not an iri"}, "activity"),
        ({"registration": "12345"}, "registration"),
        ({"since": "yesterday"}, "since"),
        ({"until": "2026-13-45T00:00:00Z"}, "until"),
        ({"until": "2026-03-02T12:00:00"}, "until"),
        ({"since": "0.5"}, "since"),
        # Before the year 1 once in UTC.
        ({"until": "0001-01-01T00:00:00+16:00"}, "until"),
        ({"limit": "-1"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"limit": "99999999999999999999"}, "limit"),
        ({"ascending": "yes"}, "ascending"),
        ({"cursor": "forged"}, "cursor"),
        ({"Verb": VERBS["completed"]}, "Verb"),
        ({"page": "2"}, "page"),
        ({"format": "ids"}, "format"),
        ({"related_activities": "true"}, "related_activities"),
        ({"statementId": "not-a-uuid"}, "statementId"),
        (
            {"statementId": "0f6c1f38-3b5e-4cbe-9b4e-3a3f0c1a2b3c", "verb": VERBS["passed"]},
            "statementId",
        ),
    ],
)
def test_bad_parameters_answer_400_naming_the_parameter(
    alice_liaison: User, params: dict[str, str], parameter: str
) -> None:
    token = api_token_make(user=alice_liaison, scopes=["read"])

    response = _get(token, **params)

    assert response.status_code == 400
    assert list(response.json()["errors"]) == [parameter]
    assert response.json()["detail"] == "Invalid request."
    assert response["X-Experience-API-Version"] == "1.0.3"


def test_a_cursor_signed_for_something_else_is_refused(alice_liaison: User) -> None:
    from django.core import signing

    forged = signing.dumps(["2026-03-02T09:00:00+00:00", "0f6c1f38-3b5e-4cbe-9b4e-3a3f0c1a2b3c"])

    response = _get(api_token_make(user=alice_liaison, scopes=["read"]), cursor=forged)

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["cursor"]


@pytest.mark.parametrize("version", ["1.0.3", "1.0.0", "1.0", "1.0.9", None])
def test_every_1_0_version_is_accepted_and_a_missing_header_too(
    alice_liaison: User, version: str | None
) -> None:
    response = _get(api_token_make(user=alice_liaison, scopes=["read"]), version=version)

    assert response.status_code == 200
    assert response["X-Experience-API-Version"] == "1.0.3"


@pytest.mark.parametrize("version", ["0.95", "0.9", "1.1.0", "2.0.0", "latest"])
def test_a_version_before_1_0_or_from_1_1_is_refused(alice_liaison: User, version: str) -> None:
    response = _get(api_token_make(user=alice_liaison, scopes=["read"]), version=version)

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["X-Experience-API-Version"]
    assert response["X-Experience-API-Version"] == "1.0.3"


def test_without_a_token_401_and_without_the_read_scope_403(alice_liaison: User) -> None:
    no_token = _get(None)
    wrong_scope = _get(api_token_make(user=alice_liaison, scopes=["research"]))

    assert no_token.status_code == 401
    assert no_token["X-Experience-API-Version"] == "1.0.3"
    assert wrong_scope.status_code == 403
    assert "read" in wrong_scope.json()["detail"]


def test_the_openapi_document_declares_every_answer() -> None:
    document = Client().get("/api/v1/openapi.json").json()

    answers = document["paths"][URL]["get"]["responses"]

    assert set(answers) == {"200", "400", "401", "403", "404", "429"}


@pytest.mark.parametrize(
    "agent",
    [
        {"account": {"homePage": "A:0", "name": "0"}, "objectType": ["null", "null"]},
        {"mbox": ["mailto:a@example.org"]},
        {"account": {"homePage": "http://a.example", "name": "a\u0000b"}},
        {"openid": "http://a.example/\u0000"},
    ],
)
def test_an_agent_of_the_wrong_shape_answers_400_not_500(
    alice_liaison: User, agent: dict[str, Any]
) -> None:
    # Found by the API fuzzing: a list where text belongs, a NUL PostgreSQL cannot store.
    response = _get(api_token_make(user=alice_liaison, scopes=["read"]), agent=json.dumps(agent))

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["agent"]
