"""Uploaded files in S3-compatible object storage: with TAPESTRY_S3_BUCKET set, the settings
send Django's storage API to the bucket, and a file written through it (as funding's
attachments are) is stored privately, read back whole and deleted, against a real S3 API
server on loopback (moto's server, the same wire protocol as AWS S3 and MinIO)."""

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage, storages
from pytest_django.fixtures import Settings

from tests.s3 import KEYS, s3_server

ROOT = Path(__file__).resolve().parents[1]
BUCKET = "tapestry-uploads"


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    with s3_server(BUCKET) as endpoint:
        yield endpoint


def settings_storages(environment: dict[str, str]) -> dict[str, Any]:
    """STORAGES as the settings module builds it from this environment."""
    output = subprocess.run(
        [
            sys.executable,
            "-c",
            "import json; from config import settings; print(json.dumps(settings.STORAGES))",
        ],
        cwd=ROOT,
        env={**os.environ, "TAPESTRY_SECRET_KEY": "storage-test", **environment},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    built: dict[str, Any] = json.loads(output)
    return built


def test_without_a_bucket_files_go_to_the_media_folder() -> None:
    storages = settings_storages({"TAPESTRY_S3_BUCKET": ""})

    # Django's FileSystemStorage, which leaves no partial file when the disk fills.
    assert storages["default"] == {
        "BACKEND": "tapestry.core.resilience.DiskFullSafeFileSystemStorage"
    }


def test_a_file_goes_to_the_bucket_privately_and_comes_back_whole(
    s3_endpoint: str, settings: Settings
) -> None:
    settings.STORAGES = settings_storages(
        {
            "TAPESTRY_S3_BUCKET": BUCKET,
            "TAPESTRY_S3_ENDPOINT_URL": s3_endpoint,
            "TAPESTRY_S3_REGION": "us-east-1",
            "TAPESTRY_S3_ACCESS_KEY_ID": "testing",
            "TAPESTRY_S3_SECRET_ACCESS_KEY": "testing",
        }
    )
    content = b"%PDF-1.7\n" + bytes(range(256)) * 64

    name = default_storage.save("funding/budget-narrative", ContentFile(content))
    again = default_storage.save("funding/budget-narrative", ContentFile(b"other"))

    s3 = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1", **KEYS)
    grants = s3.get_object_acl(Bucket=BUCKET, Key=name)["Grants"]
    assert type(storages["default"]).__name__ == "S3Storage"
    assert s3.get_object(Bucket=BUCKET, Key=name)["Body"].read() == content
    with default_storage.open(name) as stored:
        assert stored.read() == content
    assert again != name  # an upload never replaces another one of the same name
    assert [grant["Permission"] for grant in grants] == ["FULL_CONTROL"]  # owner only
    default_storage.delete(name)
    assert not default_storage.exists(name)
