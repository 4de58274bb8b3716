"""The public JSON API under generated input: whatever a client sends, never a server error.

schemathesis reads our own OpenAPI document and generates requests for every public GET
operation (strings of any kind, huge and negative ids, unknown filters), calling the WSGI app
in process against a real database holding a directory member and a real data release.
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from config.wsgi import application
from tapestry.network.tests.factories import OrganizationFactory
from tapestry.research.tests.factories import ConceptSummaryFactory, ReleaseFactory

pytestmark = pytest.mark.django_db

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application).include(
    method="GET", path_regex="^/api/v1/(network|public)/"
)


@pytest.fixture(autouse=True)
def _test_connection_kept():
    """Keep the test's transaction open across requests, as Django's test client does: the
    raw WSGI app would otherwise close the connection at the end of each request."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def published():
    OrganizationFactory.create(name="Alice Memorial Library", zip_code="60601")
    release = ReleaseFactory.create()
    ConceptSummaryFactory.create(release=release, concept_id=201826, participants=41)
    return release


@schema.parametrize()
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_no_request_makes_the_public_api_fail(case, published):
    case.call_and_validate(checks=[not_a_server_error])
