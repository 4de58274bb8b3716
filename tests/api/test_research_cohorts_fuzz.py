"""The researchers' cohort count under generated input, held to its own OpenAPI document.

As `test_fuzz_surveys_api.py` does for the surveys endpoints: schemathesis reads the document
the API serves and, for `POST /api/v1/research/cohorts/count`, sends bodies the schema allows
and bodies it forbids (groups without items, unknown domains, wrong types, strings of any
script, numbers of any size), plus bogus tokens and other methods, with the token of a
researcher who has registered access, against a real release built from generated data (the
cohort engine runs every definition that parses). Every schemathesis check runs on every
answer.

One allowance: a definition can fit the document's schema and still not run (a concept the
release does not hold, a missing concept id, an age range upside down): JSON Schema does not
say that, so a body the schema allows may get the documented 400 naming the path of the
problem.

The seed is fixed and Hypothesis's example database is off: every run sends the same requests.
"""

import datetime
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from django.test import Client
from django.utils import timezone
from schemathesis import Case

from config.wsgi import application
from tapestry.accounts.models import ApiToken
from tapestry.accounts.roles import Role
from tapestry.accounts.tests.factories import UserFactory, api_token_make
from tapestry.research.access import REGISTERED
from tapestry.research.models import AccessBypass, Release
from tapestry.research.services import _summaries_store
from tapestry.research.warehouse.cohort import engines_close
from tapestry.research.warehouse.generate import generate
from tapestry.research.warehouse.release import ReleaseSummaries, release_build
from tests.api.fuzzing import fuzz_settings

pytestmark = pytest.mark.django_db

SEED = 20261130
EXAMPLES = 300
COUNT = "^/api/v1/research/cohorts/count$"
ACCEPTS = ["2xx", "400", "401", "403", "413", "429"]
TOKEN = "tap_fuzz-research-cohorts"
AUTH = {"Authorization": f"Bearer {TOKEN}"}

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
schema.config.seed = SEED
schema.config.update(headers=AUTH)
schema.config.checks.positive_data_acceptance.expected_statuses = ACCEPTS
counts = schema.include(path_regex=COUNT)


@pytest.fixture(scope="module")
def warehouse(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Path, ReleaseSummaries]]:
    """A small release (300 participants) built once for the module."""
    source = tmp_path_factory.mktemp("fuzz") / "data"
    generate(source, participants=300, seed=3)
    target = tmp_path_factory.mktemp("fuzz") / "release"
    summaries = release_build(source, target)
    yield target / "warehouse.duckdb", summaries
    engines_close()


@pytest.fixture
def token(warehouse: tuple[Path, ReleaseSummaries]) -> str:
    """A ready release over that warehouse and a researcher with registered access (program
    staff waived the requirements) holding a `research` token."""
    path, summaries = warehouse
    release = Release.objects.create(
        version="fuzz-1",
        status=Release.Status.READY,
        source_path="generated",
        warehouse_path=str(path),
        participants=summaries.participants,
        finished_at=timezone.now(),
    )
    _summaries_store(release, summaries)
    researcher = UserFactory.create(roles=[Role.RESEARCHER], two_factor=True)
    staff = UserFactory.create(roles=[Role.PROGRAM_STAFF])
    for requirement in REGISTERED:
        AccessBypass.objects.create(
            user=researcher,
            requirement=requirement,
            reason="fuzz",
            ends_on=timezone.localdate() + datetime.timedelta(days=30),
            granted_by=staff,
        )
    raw = api_token_make(user=researcher, scopes=["research"])
    ApiToken.objects.filter(token_hash=ApiToken.hash(raw)).update(token_hash=ApiToken.hash(TOKEN))
    return TOKEN


@counts.parametrize()
@fuzz_settings(EXAMPLES)
def test_the_cohort_count_keeps_its_documented_contract(case: Case, token: str) -> None:
    case.call_and_validate()


def test_the_fuzzing_token_is_accepted(token: str) -> None:
    """Otherwise every request above would be a documented 401 or 403 and prove nothing."""
    response = Client().post(
        "/api/v1/research/cohorts/count",
        '{"version": 1, "include": [{"items": [{"domain": "demographic", "field": "age", "min": 18}]}]}',
        content_type="application/json",
        headers=AUTH,
    )

    assert response.status_code == 200
    assert response.json()["release"] == "fuzz-1"
