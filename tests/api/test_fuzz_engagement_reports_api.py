"""The activity reports JSON API under generated input, held to its own OpenAPI document.

As `test_fuzz_surveys_api.py` does: schemathesis reads the served document and, for every
`/api/v1/engagement/reports` operation, sends bodies and ids the schema allows and forbids,
with a liaison's `reports` token, and runs every check on every answer. One allowance for
`POST`: a body the schema allows may still name a ZIP code that does not exist, an
organization that is not the caller's or an event they do not organize (JSON Schema cannot
say that), so a documented 400 or 404 is an expected answer there.
"""

import pytest
import schemathesis
from schemathesis import Case

from config.wsgi import application
from tapestry.accounts.models import ApiToken
from tapestry.accounts.personas import PERSONAS, persona_ensure
from tapestry.accounts.services import api_token_create
from tapestry.engagement.tests.factories import organization_make
from tests.api.fuzzing import fuzz_settings

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


@pytest.fixture
def token() -> str:
    """Lucía (the liaison persona) with a library in Chicago, and her `reports` token."""
    liaison = next(p for p in PERSONAS if p.email == "liaison@tapestry.example")
    lucia = persona_ensure(liaison, password="fuzz-persona-password-1")
    organization_make(zip_code="60601", liaison=lucia)
    made, _raw = api_token_create(user=lucia, name="fuzz test", scopes=["reports"])
    ApiToken.objects.filter(pk=made.pk).update(token_hash=ApiToken.hash(TOKEN))
    return TOKEN


@reads.parametrize()
@fuzz_settings(EXAMPLES)
def test_reading_a_report_keeps_its_documented_contract(case: Case, token: str) -> None:
    case.call_and_validate()


@creates.parametrize()
@fuzz_settings(EXAMPLES)
def test_submitting_a_report_keeps_its_documented_contract(case: Case, token: str) -> None:
    case.call_and_validate()
