"""The activity reports JSON API under generated input, held to its own OpenAPI document.

As `test_fuzz_surveys_api.py` does: schemathesis reads the served document and, for every
`/api/v1/engagement/reports` operation, sends bodies and ids the schema allows and forbids,
with a liaison's `reports` token, and runs every check on every answer. One allowance for
`POST`: a body the schema allows may still name a ZIP code that does not exist, an
organization that is not the caller's or an event they do not organize (JSON Schema cannot
say that), so a documented 400 or 404 is an expected answer there.
"""

from collections.abc import Iterator

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from pytest_django.fixtures import Settings
from schemathesis import Case

from config.wsgi import application
from tapestry.accounts.models import ApiToken
from tapestry.accounts.personas import PERSONAS, persona_ensure
from tapestry.accounts.services import api_token_create
from tapestry.engagement.tests.factories import organization_make

pytestmark = pytest.mark.django_db

SEED = 20261130
EXAMPLES = 60
REPORTS = "^/api/v1/engagement/reports"
CREATE_ACCEPTS = ["2xx", "400", "401", "403", "404", "429"]
TOKEN = "tap_fuzz-engagement-reports-liaison"
AUTH = {"Authorization": f"Bearer {TOKEN}"}

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
schema.config.seed = SEED
schema.config.update(headers=AUTH)
reads = schema.include(path_regex=REPORTS).exclude(method="POST")

create_schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
create_schema.config.seed = SEED
create_schema.config.update(headers=AUTH)
create_schema.config.checks.positive_data_acceptance.expected_statuses = CREATE_ACCEPTS
creates = create_schema.include(path_regex=REPORTS, method="POST")


@pytest.fixture(autouse=True)
def _test_connection_kept() -> Iterator[None]:
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
def token() -> str:
    """Lucía (the liaison persona) with a library in Chicago, and her `reports` token."""
    liaison = next(p for p in PERSONAS if p.email == "liaison@tapestry.example")
    lucia = persona_ensure(liaison, password="fuzz-persona-password-1")
    organization_make(zip_code="60601", liaison=lucia)
    made, _raw = api_token_create(user=lucia, name="fuzz test", scopes=["reports"])
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
def test_reading_a_report_keeps_its_documented_contract(case: Case, token: str) -> None:
    case.call_and_validate()


@creates.parametrize()
@_fuzz_settings()
def test_submitting_a_report_keeps_its_documented_contract(case: Case, token: str) -> None:
    case.call_and_validate()
