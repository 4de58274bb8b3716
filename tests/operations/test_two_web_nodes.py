"""Two web nodes behind one load balancer: what one node writes, the other serves.

Two gunicorn processes of the production settings share one database (a copy of the test
database: PostgreSQL, or a SQLite file in WAL mode), one Redis database for the cache and the
sessions (`TAPESTRY_CACHE_URL`, so sessions are `cached_db`) and one S3 bucket for uploads
(moto's server on loopback, the S3 wire protocol), each with its own empty media folder. Alice
signs in on node A; node B knows her with the same cookie. She uploads a file on node A; node B
hands it back byte for byte. Redis then loses everything (FLUSHDB): she is still signed in,
because the database keeps the session. And with Redis unreachable, sessions are still made,
read, rotated (sign-in) and deleted (sign-out), in the database.
"""

import os
import re
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
import redis
import requests
from django.contrib.sessions.models import Session
from django.db import connection
from pytest_django.fixtures import Settings

from tapestry.accounts.api import Role
from tapestry.accounts.tests.factories import PASSWORD
from tapestry.core.sessions import SessionStore
from tapestry.funding.models import Application
from tapestry.funding.tests.factories_applicant import PDF_BYTES, draft_make
from tapestry.network.tests.factories import OrganizationFactory, UserFactory
from tests.operations.web_nodes import (
    csrf_token,
    database_copy,
    database_drop,
    free_port,
    sign_in,
    web_nodes,
)
from tests.s3 import KEYS, s3_server

# The Redis database the test may empty (only this one): set TAPESTRY_TEST_REDIS_URL to use
# another.
REDIS_URL = os.environ.get("TAPESTRY_TEST_REDIS_URL", "redis://127.0.0.1:6379/11")
BUCKET = "tapestry-two-nodes"
EMAIL = "alice@example.org"


def redis_reachable() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


needs_redis = pytest.mark.skipif(
    not redis_reachable(),
    reason=f"two web nodes share their sessions through Redis: none answers at {REDIS_URL}",
)


@pytest.fixture
def shared_redis() -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    yield client
    client.flushdb()


@pytest.fixture
def s3_endpoint() -> Iterator[str]:
    with s3_server(BUCKET) as endpoint:
        yield endpoint


@pytest.fixture
def alice_draft(tmp_path: Path) -> Iterator[tuple[Application, str]]:
    """Alice, liaison of her library, with a draft funding application; the database URL of
    the copy the nodes share."""
    alice = UserFactory.create(email=EMAIL, full_name="Alice Liaison", roles=[Role.LIAISON])
    library = OrganizationFactory.create(
        name="Alice Memorial Library", zip_code="60601", liaison=alice
    )
    draft = draft_make(liaison=alice, organization=library)
    database = database_copy(f"{connection.settings_dict['NAME']}_nodes", tmp_path)
    yield draft, database
    database_drop(database)


def signed_in_as(response: requests.Response) -> bool:
    return response.status_code == 200 and "Alice Liaison" in response.text


# Committed rows: the nodes read a copy of what the test database holds.
@pytest.mark.django_db(transaction=True)
@needs_redis
def test_a_session_and_an_upload_made_on_one_node_are_served_by_the_other(
    alice_draft: tuple[Application, str],
    shared_redis: redis.Redis,
    s3_endpoint: str,
    tmp_path: Path,
) -> None:
    draft, database = alice_draft
    environment = {
        "DATABASE_URL": database,
        "TAPESTRY_CACHE_URL": REDIS_URL,
        "TAPESTRY_S3_BUCKET": BUCKET,
        "TAPESTRY_S3_ENDPOINT_URL": s3_endpoint,
        "TAPESTRY_S3_REGION": "us-east-1",
        "TAPESTRY_S3_ACCESS_KEY_ID": "testing",
        "TAPESTRY_S3_SECRET_ACCESS_KEY": "testing",
    }
    edit = f"/funding/applications/{draft.public_id}/"

    with web_nodes(["a", "b"], tmp_path, environment) as (node_a, node_b):
        browser = sign_in(node_a, email=EMAIL, password=PASSWORD)
        on_b = browser.get(f"{node_b.url}/me/", timeout=60)
        session_in_redis = shared_redis.keys("*django.contrib.sessions.cached_db*")
        uploaded = browser.post(
            f"{node_a.url}{edit}attachments/",
            data={"csrfmiddlewaretoken": csrf_token(browser, f"{node_a.url}{edit}")},
            files={"file": ("letter.pdf", PDF_BYTES, "application/pdf")},
            headers={"Referer": f"{node_a.url}{edit}"},
            allow_redirects=False,
            timeout=60,
        )
        link = re.search(
            r'href="([^"]+)">letter\.pdf<', browser.get(f"{node_b.url}{edit}", timeout=60).text
        )
        assert link is not None
        downloaded = browser.get(f"{node_b.url}{link.group(1)}", timeout=60)
        shared_redis.flushdb()
        after_redis_lost = browser.get(f"{node_b.url}/me/", timeout=60)

    s3 = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1", **KEYS)
    stored = s3.list_objects_v2(Bucket=BUCKET)["Contents"]
    assert signed_in_as(on_b)
    assert len(session_in_redis) == 1  # the session, as node A wrote it to the shared cache
    assert uploaded.status_code == 302
    assert (downloaded.status_code, downloaded.content) == (200, PDF_BYTES)
    assert [item["Size"] for item in stored] == [len(PDF_BYTES)]
    # Neither node kept the file on its own disk.
    assert [path for path in tmp_path.glob("*-media/**/*") if path.is_file()] == []
    assert signed_in_as(after_redis_lost)


@pytest.mark.django_db
def test_with_redis_unreachable_sessions_are_made_read_rotated_and_deleted_in_the_database(
    settings: Settings,
) -> None:
    settings.CACHES = {
        **settings.CACHES,
        "sessions": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",  # nothing listens there
        },
    }
    settings.SESSION_CACHE_ALIAS = "sessions"
    session = SessionStore()
    session["person"] = "alice"

    session.save()
    read_back = SessionStore(session.session_key).load()
    old_key = session.session_key
    session.cycle_key()  # what signing in does
    rotated = session.session_key
    read_rotated = SessionStore(rotated).load()
    session.flush()  # what signing out does

    assert read_back == {"person": "alice"}
    assert read_rotated == {"person": "alice"}
    assert rotated != old_key
    assert not Session.objects.filter(session_key__in=[old_key, rotated]).exists()
