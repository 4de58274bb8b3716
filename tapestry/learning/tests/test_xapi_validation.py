"""Every statement the platform records is valid xAPI 1.0.3, checked two ways.

1. An independent implementation: Rustici's TinCanPython (`tincan`) parses each statement as
   served by GET /api/v1/xapi/statements, and its own serialization for 1.0.3 gives the
   statement back unchanged (nothing it did not understand, nothing it had to coerce).
2. The Data specification's rules TinCanPython does not enforce, written out below from the
   specification's text (section numbers of xAPI-Data.md 1.0.3).

The statements come from a course taken through the services, so every verb appears.
"""

from __future__ import annotations

import datetime
import json
import re
import uuid
from typing import TYPE_CHECKING, Any

import pytest
import tincan
from django.test import Client
from pytest_django.fixtures import Settings

from tapestry.accounts.tests.factories import api_token_make
from tapestry.learning.models import Quiz, Statement
from tapestry.learning.services import attempt_start, attempt_submit, course_enroll
from tapestry.learning.statements import VERBS
from tapestry.learning.tests.factories import course_finish, course_make, wrong_answers

if TYPE_CHECKING:
    from tapestry.accounts.api import User

pytestmark = pytest.mark.django_db

# RFC 3987 in the part a checker can hold: a scheme, then no white space.
IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s]+$")
# RFC 5646 language tags as the specification's language maps use them (en-US, es-US, es).
LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
# ISO 8601 combined date and time with a zone (Data 4.5: "SHOULD* include the time zone";
# this platform always writes one).
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
ISO_DURATION = re.compile(
    r"^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$"
)
STATEMENT_PROPERTIES = {
    "id",
    "actor",
    "verb",
    "object",
    "result",
    "context",
    "timestamp",
    "stored",
    "authority",
    "version",
    "attachments",
}
AGENT_KEYS = {"objectType", "name", "mbox", "mbox_sha1sum", "openid", "account"}
ACTIVITY_KEYS = {"objectType", "id", "definition"}
CONTEXT_ACTIVITY_KEYS = {"parent", "grouping", "category", "other"}


def _uuid_problems(value: Any, where: str) -> list[str]:
    # Data 4.4: UUIDs are RFC 4122 variant 2, in their canonical hyphenated form.
    try:
        parsed = uuid.UUID(str(value))
    except ValueError:
        return [f"{where}: not a UUID"]
    if str(parsed) != str(value).lower() or parsed.variant != uuid.RFC_4122:
        return [f"{where}: not a canonical RFC 4122 UUID"]
    return []


def _language_map_problems(value: Any, where: str) -> list[str]:
    if not isinstance(value, dict) or not value:
        return [f"{where}: a language map is a non-empty object"]
    return [
        f"{where}: {tag!r} is not an RFC 5646 tag"
        for tag in value
        if not LANGUAGE_TAG.match(tag) or not isinstance(value[tag], str)
    ]


def _agent_problems(agent: Any, where: str) -> list[str]:
    # Data 2.4.2.1 and 2.4.2.4: exactly one inverse functional identifier.
    if not isinstance(agent, dict):
        return [f"{where}: not an object"]
    problems = [f"{where}.{key}: not an Agent property" for key in agent if key not in AGENT_KEYS]
    if agent.get("objectType", "Agent") != "Agent":
        problems.append(f"{where}: objectType is not Agent")
    identifiers = [name for name in ("mbox", "mbox_sha1sum", "openid", "account") if name in agent]
    if len(identifiers) != 1:
        problems.append(f"{where}: {len(identifiers)} inverse functional identifiers, not 1")
    account = agent.get("account")
    if account is not None:
        if not IRI.match(str(account.get("homePage", ""))):
            problems.append(f"{where}: account.homePage is not an IRL")
        if not isinstance(account.get("name"), str) or not account["name"]:
            problems.append(f"{where}: account.name is missing")
    if "mbox" in agent and not str(agent["mbox"]).startswith("mailto:"):
        problems.append(f"{where}: mbox is not a mailto IRI")
    return problems


def _activity_problems(activity: Any, where: str) -> list[str]:
    # Data 2.4.4.1: an Activity has an IRI id; its definition's type is an IRI and its name
    # and description are language maps.
    if not isinstance(activity, dict):
        return [f"{where}: not an object"]
    problems = [
        f"{where}.{key}: not an Activity property" for key in activity if key not in ACTIVITY_KEYS
    ]
    if activity.get("objectType", "Activity") != "Activity":
        problems.append(f"{where}: objectType is not Activity")
    if not IRI.match(str(activity.get("id", ""))):
        problems.append(f"{where}: id is not an IRI")
    definition = activity.get("definition", {})
    if "type" in definition and not IRI.match(str(definition["type"])):
        problems.append(f"{where}: definition.type is not an IRI")
    for key in ("name", "description"):
        if key in definition:
            problems += _language_map_problems(definition[key], f"{where}.definition.{key}")
    for key in definition.get("extensions", {}):
        if not IRI.match(key):
            problems.append(f"{where}: extension key {key!r} is not an IRI")
    return problems


def _result_problems(result: dict[str, Any]) -> list[str]:
    # Data 2.4.5.
    problems = []
    for key in ("success", "completion"):
        if key in result and not isinstance(result[key], bool):
            problems.append(f"result.{key} is not a boolean")
    if "response" in result and not isinstance(result["response"], str):
        problems.append("result.response is not a string")
    if "duration" in result and not ISO_DURATION.match(result["duration"]):
        problems.append("result.duration is not an ISO 8601 duration")
    score = result.get("score")
    if score is not None:
        scaled = score.get("scaled")
        if scaled is not None and not -1 <= scaled <= 1:
            problems.append(f"result.score.scaled {scaled} is outside [-1, 1]")
        low, high, raw = score.get("min"), score.get("max"), score.get("raw")
        if low is not None and high is not None and not low < high:
            problems.append("result.score.min is not below max")
        if raw is not None and (
            (low is not None and raw < low) or (high is not None and raw > high)
        ):
            problems.append("result.score.raw is outside [min, max]")
    for key in result.get("extensions", {}):
        if not IRI.match(key):
            problems.append(f"result extension key {key!r} is not an IRI")
    return problems


def _context_problems(context: dict[str, Any]) -> list[str]:
    # Data 2.4.6.
    problems = []
    if "registration" in context:
        problems += _uuid_problems(context["registration"], "context.registration")
    if "language" in context and not LANGUAGE_TAG.match(context["language"]):
        problems.append("context.language is not an RFC 5646 tag")
    activities = context.get("contextActivities", {})
    for key, value in activities.items():
        if key not in CONTEXT_ACTIVITY_KEYS:
            problems.append(f"contextActivities.{key} is not parent/grouping/category/other")
        for index, activity in enumerate(value if isinstance(value, list) else [value]):
            problems += _activity_problems(activity, f"contextActivities.{key}[{index}]")
    return problems


def spec_problems(statement: dict[str, Any]) -> list[str]:
    """Every rule of the Data specification a statement breaks (empty: none)."""
    problems = [
        f"{key}: not a statement property" for key in statement if key not in STATEMENT_PROPERTIES
    ]
    for key in ("id", "actor", "verb", "object", "timestamp", "stored", "authority", "version"):
        if key not in statement:
            problems.append(f"{key}: required here and missing")
    problems += _uuid_problems(statement.get("id"), "id")
    problems += _agent_problems(statement.get("actor"), "actor")
    verb = statement.get("verb", {})
    if not IRI.match(str(verb.get("id", ""))):
        problems.append("verb.id is not an IRI")
    if "display" in verb:
        problems += _language_map_problems(verb["display"], "verb.display")
    problems += _activity_problems(statement.get("object"), "object")
    if "result" in statement:
        problems += _result_problems(statement["result"])
    if "context" in statement:
        problems += _context_problems(statement["context"])
    for key in ("timestamp", "stored"):
        if not TIMESTAMP.match(str(statement.get(key, ""))):
            problems.append(f"{key} is not an ISO 8601 timestamp with a zone")
    problems += _agent_problems(statement.get("authority"), "authority")
    # Data 2.4.10: a 1.0.x version; this platform writes the version it follows.
    if statement.get("version") != "1.0.3":
        problems.append("version is not 1.0.3")
    return problems


def _learner_takes_the_course(learner: User) -> None:
    course = course_make(ce_hours="1.5", approved_for_credit=True)
    quiz = Quiz.objects.get(module__course=course)
    enrollment = course_enroll(user_id=learner.pk, course=course)
    failed = attempt_start(enrollment=enrollment, quiz=quiz)
    attempt_submit(attempt_id=failed.pk, user_id=learner.pk, answers=wrong_answers(quiz))
    course_finish(user_id=learner.pk, course=course)


def _served(learner: User) -> list[dict[str, Any]]:
    token = api_token_make(user=learner, scopes=["read"])
    response = Client().get(
        "/api/v1/xapi/statements",
        headers={"Authorization": f"Bearer {token}", "X-Experience-API-Version": "1.0.3"},
    )
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    assert body["more"] == ""
    statements: list[dict[str, Any]] = body["statements"]
    return statements


@pytest.fixture(autouse=True)
def _unthrottled(settings: Settings) -> None:
    settings.API_THROTTLE_ANONYMOUS = "100000/s"
    settings.API_THROTTLE_TOKEN = "100000/s"


def test_every_verb_appears_and_every_statement_keeps_the_specifications_rules(
    alice_liaison: User,
) -> None:
    _learner_takes_the_course(alice_liaison)

    served = _served(alice_liaison)

    verbs = {statement["verb"]["id"] for statement in served}
    assert verbs == set(VERBS.values())
    assert len(served) == Statement.objects.filter(user=alice_liaison).count() == 11
    assert {statement["id"]: spec_problems(statement) for statement in served} == {
        statement["id"]: [] for statement in served
    }


def test_tincan_parses_every_statement_and_gives_it_back_unchanged(alice_liaison: User) -> None:
    _learner_takes_the_course(alice_liaison)
    served = _served(alice_liaison)

    # TinCanPython renames keys of the dict it is given (objectType -> object_type): it gets
    # a copy, so `served` stays as the store sent it.
    parsed = tincan.StatementList(
        [tincan.Statement(json.loads(json.dumps(statement))) for statement in served]
    )

    assert len(parsed) == len(served)
    for original, statement in zip(served, parsed, strict=True):
        assert isinstance(statement.id, uuid.UUID)
        assert isinstance(statement.actor, tincan.Agent)
        assert isinstance(statement.object, tincan.Activity)
        assert isinstance(statement.timestamp, datetime.datetime)
        assert statement.timestamp.tzinfo is not None
        again = json.loads(statement.to_json("1.0.3"))
        assert _normalized(again) == _normalized(original)


def _normalized(statement: dict[str, Any]) -> dict[str, Any]:
    # TinCanPython writes timestamps back with microseconds and "+00:00"; the moment is what
    # must survive, not its spelling.
    copy = json.loads(json.dumps(statement))
    for key in ("timestamp", "stored"):
        copy[key] = datetime.datetime.fromisoformat(copy[key].replace("Z", "+00:00"))
    return copy


def test_the_checker_catches_what_the_specification_forbids(alice_liaison: User) -> None:
    # The rules above must be able to fail: a statement broken in each way they check.
    _learner_takes_the_course(alice_liaison)
    good = _served(alice_liaison)[0]
    broken = json.loads(json.dumps(good))
    broken["id"] = "not-a-uuid"
    broken["verb"]["id"] = "completed"
    broken["timestamp"] = "2026-11-29T10:00:00"
    broken["version"] = "0.95"
    broken["result"] = {"score": {"scaled": 1.5}}
    broken["context"]["registration"] = "123"
    del broken["actor"]

    problems = spec_problems(broken)

    assert problems == [
        "actor: required here and missing",
        "id: not a UUID",
        "actor: not an object",
        "verb.id is not an IRI",
        "result.score.scaled 1.5 is outside [-1, 1]",
        "context.registration: not a UUID",
        "timestamp is not an ISO 8601 timestamp with a zone",
        "version is not 1.0.3",
    ]
    assert spec_problems(good) == []


def test_tincan_refuses_what_it_checks_and_lets_an_out_of_range_score_through() -> None:
    # Why the rules above exist: TinCanPython checks the id and the timestamps, not the range
    # of a scaled score.
    with pytest.raises(ValueError, match="Invalid UUID"):
        tincan.Statement({"id": "not-a-uuid"})
    with pytest.raises(ValueError, match="ISO 8601"):
        tincan.Statement({"timestamp": "yesterday"})

    lenient = tincan.Statement({"result": {"score": {"scaled": 2}}})

    assert lenient.result.score.scaled == 2
    assert "result.score.scaled 2 is outside [-1, 1]" in spec_problems(
        {"result": {"score": {"scaled": 2}}}
    )
