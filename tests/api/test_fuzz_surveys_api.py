"""The surveys JSON API under generated input, held to its own OpenAPI document.

As `test_fuzz_public_api.py` does for the public endpoints: schemathesis reads the document the
API serves and, for every `/api/v1/surveys/...` operation, sends requests the schema allows and
requests it forbids (bodies with missing fields, wrong types, unknown question kinds, strings of
any script; link names of any shape; page sizes past the limit; bogus tokens, other methods),
with a program-staff persona's `surveys` token, against a database holding a published
instrument with responses. Every schemathesis check runs on every answer.

One allowance, for `POST /instruments` only: a spec can be well formed and still not hold
together (a variable name used twice, a condition on a later question, a text question with
choices): JSON Schema cannot say that, so a body the schema allows may get the documented 400
with the list of problems. Every other operation keeps the default expectations.

The seed is fixed and Hypothesis's example database is off: every run sends the same requests.
"""

import pytest
import schemathesis
from django.test import Client
from schemathesis import Case

from config.wsgi import application
from tapestry.accounts.models import ApiToken
from tapestry.accounts.personas import PERSONAS, persona_ensure
from tapestry.accounts.roles import Role
from tapestry.accounts.services import api_token_create
from tapestry.surveys.demo import responses_generate
from tapestry.surveys.tests.factories import instrument_make
from tests.api.fuzzing import fuzz_settings

pytestmark = pytest.mark.django_db

SEED = 20261129
# Link names, page numbers and a spec body: 100 examples each reach every documented status
# (200, 201, 400, 401, 403, 404, 409) in about two minutes on the shared machine.
EXAMPLES = 100
SURVEYS = "^/api/v1/surveys/"
# A well-formed spec that does not hold together is a 400 (see the module's docstring).
CREATE_ACCEPTS = ["2xx", "400", "401", "403", "404", "409", "429"]

# The token the fixture stores, known in advance so that schemathesis holds it as configured
# auth: it then negates the parameters and the body, never the caller's own credentials (and
# still checks, with its own bogus tokens, that a bad token is refused).
TOKEN = "tap_fuzz-surveys-program-staff"
AUTH = {"Authorization": f"Bearer {TOKEN}"}

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
schema.config.seed = SEED
schema.config.update(headers=AUTH)
reads = schema.include(path_regex=SURVEYS).exclude(method="POST")

create_schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
create_schema.config.seed = SEED
create_schema.config.update(headers=AUTH)
create_schema.config.checks.positive_data_acceptance.expected_statuses = CREATE_ACCEPTS
creates = create_schema.include(path_regex=SURVEYS, method="POST")


@pytest.fixture
def token() -> str:
    """A published instrument with responses, and Dana's (program staff) surveys token."""
    instrument = instrument_make()
    responses_generate(instrument=instrument, count=30)
    (staff,) = [persona for persona in PERSONAS if Role.PROGRAM_STAFF in persona.roles]
    dana = persona_ensure(staff, password="fuzz-persona-password-1")
    made, _raw = api_token_create(user=dana, name="fuzz test", scopes=["surveys"])
    ApiToken.objects.filter(pk=made.pk).update(token_hash=ApiToken.hash(TOKEN))
    return TOKEN


@reads.parametrize()
@fuzz_settings(EXAMPLES)
def test_the_surveys_reads_keep_their_documented_contract(case: Case, token: str) -> None:
    case.call_and_validate()


@creates.parametrize()
@fuzz_settings(EXAMPLES)
def test_creating_an_instrument_keeps_its_documented_contract(case: Case, token: str) -> None:
    case.call_and_validate()


def test_the_fuzzing_token_is_accepted(token: str) -> None:
    """Otherwise every request above would be a documented 401 and prove nothing."""
    response = Client().get("/api/v1/surveys/instruments", headers=AUTH)

    assert response.status_code == 200
    assert response.json()["count"] == 1
