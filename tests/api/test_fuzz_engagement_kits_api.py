"""The program kits JSON API under generated input, held to its own OpenAPI document.

As `test_fuzz_surveys_api.py` does for the surveys: schemathesis reads the served document and,
for every `/api/v1/engagement/kits...` operation, sends requests the schema allows and requests
it forbids (link names of any shape, unknown filters, pages past the limit, bodies with missing
fields, wrong types, dates of any year, notes in any script), with the liaison persona's `kits`
token, against a database holding a kit and the persona's library. Every schemathesis check
runs on every answer.

One allowance, for the reservation only: a body the schema allows may still be refused for
what JSON Schema cannot know (a ship date outside the lead time: 400; an organization the
caller is not the liaison of: 403; a taken date or the limit of kits at once: 409), each a
documented answer.
"""

import datetime
from collections.abc import Iterator

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, settings
from pytest_django.fixtures import Settings
from schemathesis import Case

from config.wsgi import application
from tapestry.accounts.models import ApiToken
from tapestry.accounts.personas import PERSONAS, persona_ensure
from tapestry.accounts.services import api_token_create
from tapestry.engagement.tests.factories import KitFactory, member_organization_make

pytestmark = pytest.mark.django_db

SEED = 20261130
EXAMPLES = 100
KITS = "^/api/v1/engagement/kits"
RESERVE_ACCEPTS = ["2xx", "400", "401", "403", "404", "409", "429"]
TOKEN = "tap_fuzz-kits-liaison"
AUTH = {"Authorization": f"Bearer {TOKEN}"}

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
schema.config.seed = SEED
schema.config.update(headers=AUTH)
reads = schema.include(path_regex=KITS).exclude(method="POST")

reserve_schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
reserve_schema.config.seed = SEED
reserve_schema.config.update(headers=AUTH)
reserve_schema.config.checks.positive_data_acceptance.expected_statuses = RESERVE_ACCEPTS
reserves = reserve_schema.include(path_regex=KITS, method="POST")


@pytest.fixture(autouse=True)
def _test_connection_kept() -> Iterator[None]:
    """Keep the test's transaction open across requests (see test_fuzz_public_api.py)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(autouse=True)
def _unthrottled(settings: Settings) -> None:
    settings.API_THROTTLE_ANONYMOUS = "1000000/s"
    settings.API_THROTTLE_TOKEN = "1000000/s"


@pytest.fixture
def library() -> int:
    """A kit, and Lucía's library."""
    KitFactory.create(slug="story-time")
    lucia = persona_ensure(PERSONAS[0], password="fuzz-persona-password-1")
    return member_organization_make(
        name="Pilsen Community Public Library", zip_code="60608", liaison=lucia
    )


@pytest.fixture
def token(library: int) -> str:
    """Lucía's `kits` token."""
    lucia = persona_ensure(PERSONAS[0], password="fuzz-persona-password-1")
    made, _raw = api_token_create(user=lucia, name="fuzz test", scopes=["kits"])
    ApiToken.objects.filter(pk=made.pk).update(token_hash=ApiToken.hash(TOKEN))
    return TOKEN


def _fuzz_settings() -> settings:
    return settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


@reads.parametrize()
@_fuzz_settings()
def test_the_kits_reads_keep_their_documented_contract(case: Case, token: str) -> None:
    case.call_and_validate()


@reserves.parametrize()
@_fuzz_settings()
def test_reserving_keeps_its_documented_contract(case: Case, token: str) -> None:
    case.call_and_validate()


def test_the_fuzzing_token_is_accepted(token: str, library: int) -> None:
    """Otherwise every reservation above would be a documented 401 and prove nothing."""
    ship_date = timezone.localdate() + datetime.timedelta(days=30)

    response = Client().post(
        "/api/v1/engagement/kits/story-time/reservations",
        {"organization_id": library, "ship_date": ship_date.isoformat()},
        content_type="application/json",
        headers=AUTH,
    )

    assert response.status_code == 201
