"""The resource-sharing JSON API under generated input, held to its own OpenAPI document.

As `tests/api/test_fuzz_funding_api.py` does: schemathesis reads the served document and, for
every `/api/v1/sharing` operation, sends ids, filters and bodies the schema allows and forbids
(dates of any shape, negative and huge costs, unknown choices, text in any script, files that
are not PDFs), with a liaison's `sharing` token, and runs every check on every answer. (The
public fuzz test in tests/api also reaches these operations, with a `read` token: 403s.)

Generated ids name nothing, so a second run puts the liaison's own libraries and request in
the path of every case whose path is valid: the reads, entries, cancels and answers then reach
the services. A body the schema allows may still be refused for what JSON Schema cannot know
(a needed-by day in the past, an ISSN's check digit, the rule of five, a request that moved
on), so a documented 400, 404 or 409 is an expected answer to the writes.
"""

import datetime
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from schemathesis import Case
from schemathesis.core.parameters import ParameterLocation

from config.wsgi import application
from tapestry.accounts.api import PERSONAS, persona_ensure
from tapestry.accounts.tests.factories import api_token_make
from tapestry.network.tests.factories import OrganizationFactory
from tapestry.sharing import services
from tapestry.sharing.tests.factories import LendingPolicyFactory, serial_holding
from tests.api.fuzzing import fuzz_settings

pytestmark = pytest.mark.django_db

SEED = 20261130
EXAMPLES = 50
SHARING = "^/api/v1/sharing"
BODY = ParameterLocation.BODY
NEEDED_BY = (datetime.date.today() + datetime.timedelta(days=30)).isoformat()
WRITE_ACCEPTS = ["2xx", "400", "401", "403", "404", "409", "429"]


def _schema() -> Any:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
    schema.config.seed = SEED
    schema.config.checks.positive_data_acceptance.expected_statuses = WRITE_ACCEPTS
    return schema


operations = _schema().include(path_regex=SHARING)
fuzz = fuzz_settings(EXAMPLES)


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def world() -> dict[str, Any]:
    """Lucía acts for a borrowing library and a lending one; the borrower's request is asked
    of the lender; her `sharing` token."""
    lucia = persona_ensure(PERSONAS[0], password="fuzz-persona-password-1")
    borrower = OrganizationFactory.create(name="Pilsen Community Library", liaison=lucia)
    lender = OrganizationFactory.create(name="Galter Health Sciences Library", liaison=lucia)
    LendingPolicyFactory.create(organization_id=lender.pk)
    serial_holding(lender)
    asked = services.request_create(
        actor=lucia,
        borrower_id=borrower.pk,
        issn="0028-0836",
        year=2024,
        title="Gut microbes and the immune system",
        needed_by=services.network_today() + datetime.timedelta(days=14),
        max_cost_cents=2000,
        compliance="ccg",
    )
    token = api_token_make(user=lucia, scopes=["sharing"])
    return {
        "auth": {"Authorization": f"Bearer {token}"},
        "borrower": borrower.pk,
        "lender": lender.pk,
        "request": asked.pk,
    }


@operations.parametrize()
@fuzz
def test_sharing_with_generated_ids_keeps_its_documented_contract(
    case: Case, world: dict[str, Any]
) -> None:
    case.call_and_validate(headers=world["auth"])


@operations.parametrize()
@fuzz
def test_sharing_with_the_callers_own_ids_keeps_its_documented_contract(
    case: Case, world: dict[str, Any]
) -> None:
    assert case.meta is not None
    # A case meant to be invalid anywhere keeps its generated ids: a coverage case that
    # probes one parameter's boundary names it in its phase data, not on the component.
    phase = case.meta.phase.data
    probed = getattr(phase, "parameter_location", None)
    valid = not case.meta.generation.mode.is_negative and probed is None
    if valid and not case.meta.is_negative_at(ParameterLocation.PATH):
        library = world["lender"] if "/lending" in case.path else world["borrower"]
        own = {"organization_id": library}
        if "request_id" in case.path_parameters:
            own["request_id"] = world["request"]
        case.path_parameters = {**case.path_parameters, **own}
    entering = case.method == "POST" and case.path.endswith("/requests")
    if valid and entering and isinstance(case.body, dict):
        # A generated ISSN's check digit and needed-by day are almost never good: a valid
        # body gets a citation the service takes (the other fields stay generated), so the
        # 201 and the rule of five's 409 are reached too.
        case.body.update(kind="article", issn="0028-0836", year=2024, needed_by=NEEDED_BY)
    case.call_and_validate(headers=world["auth"])
