"""The funding JSON API under generated input, held to its own OpenAPI document.

As `test_fuzz_engagement_reports_api.py` does: schemathesis reads the served document and, for
every `/api/v1/funding` operation, sends ids and bodies the schema allows and forbids, with a
liaison's `funding` token, and runs every check on every answer. A body the schema allows may
still name a call that is not open, an organization that is not the caller's or a budget over
the call's maximum (JSON Schema cannot say that), so a documented 400, 403, 404 or 409 is an
expected answer to the writes.
"""

from decimal import Decimal

import pytest
import schemathesis
from schemathesis import Case

from config.wsgi import application
from tapestry.accounts.models import ApiToken
from tapestry.accounts.personas import PERSONAS, persona_ensure
from tapestry.accounts.services import api_token_create
from tapestry.funding.services import application_start
from tapestry.funding.tests.factories import OpportunityFactory
from tapestry.network.tests.factories import OrganizationFactory
from tests.api.fuzzing import fuzz_settings

pytestmark = pytest.mark.django_db

SEED = 20261130
EXAMPLES = 50
FUNDING = "^/api/v1/funding"
WRITE_ACCEPTS = ["2xx", "400", "401", "403", "404", "409", "429"]
TOKEN = "tap_fuzz-funding-liaison"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def _schema() -> schemathesis.schemas.BaseSchema:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
    schema.config.seed = SEED
    schema.config.update(headers=AUTH)
    return schema


reads = _schema().include(path_regex=FUNDING, method="GET")
write_schema = _schema()
write_schema.config.checks.positive_data_acceptance.expected_statuses = WRITE_ACCEPTS
writes = write_schema.include(path_regex=FUNDING).exclude(method="GET")


@pytest.fixture
def token() -> str:
    """Lucía (the liaison persona) with a library, an open call, her draft to it, and her
    `funding` token."""
    liaison = next(p for p in PERSONAS if p.email == "liaison@tapestry.example")
    lucia = persona_ensure(liaison, password="fuzz-persona-password-1")
    library = OrganizationFactory.create(liaison=lucia)
    call = OpportunityFactory.create(maximum_amount=Decimal("5000.00"))
    application_start(actor=lucia, opportunity=call, organization_id=library.pk)
    made, _raw = api_token_create(user=lucia, name="fuzz test", scopes=["funding"])
    ApiToken.objects.filter(pk=made.pk).update(token_hash=ApiToken.hash(TOKEN))
    return TOKEN


@reads.parametrize()
@fuzz_settings(EXAMPLES)
def test_reading_funding_keeps_its_documented_contract(case: Case, token: str) -> None:
    case.call_and_validate()


@writes.parametrize()
@fuzz_settings(EXAMPLES)
def test_writing_funding_keeps_its_documented_contract(case: Case, token: str) -> None:
    case.call_and_validate()
