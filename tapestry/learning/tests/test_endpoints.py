"""GET /api/v1/learning/compliance?user=<id>: the person themself, or staff whose scope covers
them; anyone else (and an id naming nobody) 404 alike; a bad parameter 400 naming it."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

import pytest
import time_machine
from django.test import Client
from pytest_django.fixtures import Settings

from tapestry.accounts.api import Role
from tapestry.accounts.tests.factories import UserFactory, api_token_make
from tapestry.learning.models import Completion, Course, LearnerProfile
from tapestry.learning.tests.factories import requirement_make

if TYPE_CHECKING:
    from tapestry.accounts.api import User

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 6, 15, 16, 0, tzinfo=datetime.UTC)
URL = "/api/v1/learning/compliance"


@pytest.fixture(autouse=True)
def _unthrottled(settings: Settings) -> None:
    settings.API_THROTTLE_ANONYMOUS = "100000/s"
    settings.API_THROTTLE_TOKEN = "100000/s"


@pytest.fixture
def carla() -> User:
    """A community partner in Region 6 who completed one of her two required courses."""
    privacy = Course.objects.create(
        slug="privacy", title="Privacy basics", summary="A course.", compliance=True
    )
    ethics = Course.objects.create(
        slug="ethics", title="Ethics", summary="A course.", compliance=True
    )
    requirement_make(role=Role.COMMUNITY_PARTNER, course=privacy)
    requirement_make(role=Role.COMMUNITY_PARTNER, course=ethics)
    with time_machine.travel(NOW, tick=False):
        person = UserFactory.create(email="carla@example.org", roles=[Role.COMMUNITY_PARTNER])
    LearnerProfile.objects.create(user=person, region_code="region-6")
    done = NOW - datetime.timedelta(days=10)
    Completion.objects.create(
        user=person,
        course=privacy,
        course_version=1,
        completed_at=done,
        expires_at=done + datetime.timedelta(days=365),
    )
    return person


def _get(token: str | None, **query: Any) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    with time_machine.travel(NOW, tick=False):
        return Client().get(URL, query, headers=headers)


CARLA_STATUS = [
    {
        "role": "community_partner",
        "course_slug": "ethics",
        "course_title": "Ethics",
        "status": "missing",
        "expires_at": None,
        "due_on": "2026-07-15",
        "bypassed": False,
    },
    {
        "role": "community_partner",
        "course_slug": "privacy",
        "course_title": "Privacy basics",
        "status": "compliant",
        "expires_at": "2027-06-05T16:00:00Z",
        "due_on": "2026-07-15",
        "bypassed": False,
    },
]


def test_a_person_reads_their_own_status(carla: User) -> None:
    token = api_token_make(user=carla, scopes=["read"])

    response = _get(token, user=carla.pk)

    assert response.status_code == 200
    assert response.json() == {"user": carla.pk, "requirements": CARLA_STATUS}


def test_staff_whose_scope_covers_the_person_read_it(
    carla: User, sam_specialist: User, paula_program_staff: User
) -> None:
    for staff in (sam_specialist, paula_program_staff):
        response = _get(api_token_make(user=staff, scopes=["read"]), user=carla.pk)

        assert response.status_code == 200
        assert response.json()["requirements"] == CARLA_STATUS


def test_anyone_else_gets_404_the_same_as_for_an_id_naming_nobody(
    carla: User, olga_other_specialist: User, bob_applicant: User, alice_liaison: User
) -> None:
    for outsider in (olga_other_specialist, bob_applicant, alice_liaison):
        token = api_token_make(user=outsider, scopes=["read"])

        refused = _get(token, user=carla.pk)
        nobody = _get(token, user=987_654)

        assert (refused.status_code, refused.json()) == (
            404,
            {"detail": "No such person in your view."},
        )
        assert (nobody.status_code, nobody.json()) == (
            404,
            {"detail": "No such person in your view."},
        )


def test_a_missing_or_malformed_user_is_400_naming_the_parameter(carla: User) -> None:
    token = api_token_make(user=carla, scopes=["read"])

    missing = _get(token)
    malformed = _get(token, user="carla")
    zero = _get(token, user=0)

    for response in (missing, malformed, zero):
        assert response.status_code == 400
        assert response.json()["detail"] == "Invalid request."
        assert list(response.json()["errors"]) == ["user"]


def test_a_parameter_other_than_user_is_400_naming_it(carla: User) -> None:
    token = api_token_make(user=carla, scopes=["read"])

    response = _get(token, user=carla.pk, usr=carla.pk)

    assert response.status_code == 400
    assert response.json() == {
        "detail": "Invalid request.",
        "errors": {"usr": ["Unknown parameter."]},
    }


def test_without_a_token_or_the_scope_the_api_refuses(carla: User) -> None:
    assert _get(None, user=carla.pk).status_code == 401
    research_only = api_token_make(user=carla, scopes=["research"])
    assert _get(research_only, user=carla.pk).status_code == 403


def test_the_openapi_document_declares_every_answer() -> None:
    document = Client().get("/api/v1/openapi.json").json()
    responses = document["paths"][URL]["get"]["responses"]

    assert sorted(responses) == ["200", "400", "401", "403", "404", "429"]
