"""Learning events as xAPI 1.0.3 statements in the internal record store.

The actor is identified by an account on this site (homePage + the user's id), not by email:
the record store travels to a retention partner and an email address is more than it needs.
Activity ids are the course's, lesson's and quiz's addresses on this site.
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from tapestry.learning.models import Course, Enrollment, Lesson, Quiz, QuizQuestion, Statement

XAPI_VERSION = "1.0.3"
VERBS = {
    name: f"http://adlnet.gov/expapi/verbs/{name}"
    for name in (
        "registered",
        "launched",
        "progressed",
        "answered",
        "passed",
        "failed",
        "completed",
    )
}
ACTIVITY_TYPES = {
    "course": "http://adlnet.gov/expapi/activities/course",
    "lesson": "http://adlnet.gov/expapi/activities/lesson",
    "quiz": "http://adlnet.gov/expapi/activities/assessment",
    "question": "http://adlnet.gov/expapi/activities/cmi.interaction",
}


def agent_for(user_id: int) -> dict[str, Any]:
    return {
        "objectType": "Agent",
        "account": {"homePage": settings.SITE_URL, "name": str(user_id)},
    }


def agent_key(agent: dict[str, Any]) -> str:
    """The agent's inverse functional identifier as one comparable string."""
    if "mbox" in agent:
        return str(agent["mbox"]).lower()
    if "mbox_sha1sum" in agent:
        return f"sha1:{agent['mbox_sha1sum']}"
    if "openid" in agent:
        return f"openid:{agent['openid']}"
    account = agent.get("account") or {}
    return f"account:{account.get('homePage', '')}|{account.get('name', '')}"


def activity_id(item: Course | Lesson | Quiz | QuizQuestion) -> str:
    kind = {Course: "course", Lesson: "lesson", Quiz: "quiz", QuizQuestion: "question"}[type(item)]
    return f"{settings.SITE_URL}/learning/activities/{kind}/{item.pk}"


def _activity(item: Course | Lesson | Quiz | QuizQuestion, language: str) -> dict[str, Any]:
    kind = {Course: "course", Lesson: "lesson", Quiz: "quiz", QuizQuestion: "question"}[type(item)]
    name = item.text if isinstance(item, QuizQuestion) else item.title
    tag = "es-US" if language == "es" else "en-US"
    return {
        "objectType": "Activity",
        "id": activity_id(item),
        "definition": {"type": ACTIVITY_TYPES[kind], "name": {tag: name[:500]}},
    }


def _iso(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def statement_record(
    *,
    enrollment: Enrollment,
    verb: str,
    item: Course | Lesson | Quiz | QuizQuestion,
    result: dict[str, Any] | None = None,
    when: datetime.datetime | None = None,
) -> Statement:
    """Store one statement: `verb` is a key of VERBS; `item` the activity it is about."""
    now = timezone.now()
    when = when or now
    course = enrollment.course
    body: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "actor": agent_for(enrollment.user_id),
        "verb": {"id": VERBS[verb], "display": {"en-US": verb}},
        "object": _activity(item, course.language),
        "context": {
            "registration": str(enrollment.registration),
            "platform": "Tapestry",
            "language": "es-US" if course.language == "es" else "en-US",
        },
        "timestamp": _iso(when),
        "stored": _iso(now),
        "authority": {
            "objectType": "Agent",
            "name": "Tapestry",
            "account": {"homePage": settings.SITE_URL, "name": "tapestry"},
        },
        "version": XAPI_VERSION,
    }
    if not isinstance(item, Course):
        body["context"]["contextActivities"] = {"parent": [_activity(course, course.language)]}
    if result:
        body["result"] = result
    return statement_store(body=body, user_id=enrollment.user_id)


def statement_store(*, body: dict[str, Any], user_id: int | None) -> Statement:
    """Keep a statement as given (with its id, timestamp and stored already set)."""
    return Statement.objects.create(
        id=uuid.UUID(body["id"]),
        stored=datetime.datetime.fromisoformat(body["stored"].replace("Z", "+00:00")),
        timestamp=datetime.datetime.fromisoformat(body["timestamp"].replace("Z", "+00:00")),
        user_id=user_id,
        agent_key=agent_key(body["actor"]),
        verb=body["verb"]["id"],
        activity=body["object"].get("id", ""),
        registration=(body.get("context") or {}).get("registration"),
        body=body,
    )


# ---------------------------------------------------------------------------------------------
# xAPI record store: reading statements back (GET /api/v1/xapi/statements)


@dataclass(frozen=True)
class StatementQuery:
    """What a caller asked for, already checked. `user_id` scopes the query to one learner's
    statements (None: every statement, for program staff and administrators); `after` is the
    (stored, id) of the last statement of the previous page."""

    user_id: int | None
    limit: int
    agent_key: str | None = None
    verb: str | None = None
    activity: str | None = None
    registration: uuid.UUID | None = None
    since: datetime.datetime | None = None
    until: datetime.datetime | None = None
    ascending: bool = False
    after: tuple[datetime.datetime, uuid.UUID] | None = None


def statements_page(*, query: StatementQuery) -> tuple[list[Statement], bool]:
    """One page of statements in `stored` order (newest first unless `ascending`), ties
    broken by id so a page boundary never drops or repeats a statement; and whether more
    follow."""
    rows = Statement.objects.all()
    if query.user_id is not None:
        rows = rows.filter(user_id=query.user_id)
    if query.agent_key is not None:
        rows = rows.filter(agent_key=query.agent_key)
    if query.verb is not None:
        rows = rows.filter(verb=query.verb)
    if query.activity is not None:
        rows = rows.filter(activity=query.activity)
    if query.registration is not None:
        rows = rows.filter(registration=query.registration)
    if query.since is not None:
        rows = rows.filter(stored__gt=query.since)  # the specification: `since` is exclusive
    if query.until is not None:
        rows = rows.filter(stored__lte=query.until)
    if query.after is not None:
        stored, statement_id = query.after
        if query.ascending:
            rows = rows.filter(Q(stored__gt=stored) | Q(stored=stored, id__gt=statement_id))
        else:
            rows = rows.filter(Q(stored__lt=stored) | Q(stored=stored, id__lt=statement_id))
    order = ("stored", "id") if query.ascending else ("-stored", "-id")
    found = list(rows.order_by(*order)[: query.limit + 1])
    return found[: query.limit], len(found) > query.limit


def statement_visible(*, statement_id: uuid.UUID, user_id: int | None) -> Statement | None:
    """One statement by id, if the caller may read it (`user_id` None: staff read any)."""
    rows = Statement.objects.filter(pk=statement_id)
    if user_id is not None:
        rows = rows.filter(user_id=user_id)
    return rows.first()


def iso_timestamp(moment: datetime.datetime) -> str:
    """A moment as statements write it: UTC, milliseconds, "Z"."""
    return _iso(moment)
