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

import pytest
import schemathesis
from django.test import Client
from django.utils import timezone
from schemathesis import Case

from config.wsgi import application
from tapestry.accounts.models import ApiToken
from tapestry.accounts.personas import PERSONAS, persona_ensure
from tapestry.accounts.services import api_token_create
from tapestry.engagement.tests.factories import KitFactory, member_organization_make
from tests.api.fuzzing import fuzz_settings

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


@reads.parametrize()
@fuzz_settings(EXAMPLES)
def test_the_kits_reads_keep_their_documented_contract(case: Case, token: str) -> None:
    case.call_and_validate()


@reserves.parametrize()
@fuzz_settings(EXAMPLES)
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
