"""A real S3 API server on loopback (moto's) for the tests that keep uploads in object storage."""

import contextlib
from collections.abc import Iterator

import boto3
from moto.server import ThreadedMotoServer

KEYS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


@contextlib.contextmanager
def s3_server(*buckets: str) -> Iterator[str]:
    """The server's endpoint URL, with these buckets made empty; stopped afterwards."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        port = server._server.server_port  # type: ignore[union-attr]  # started above
        endpoint = f"http://127.0.0.1:{port}"
        s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", **KEYS)
        for bucket in buckets:
            s3.create_bucket(Bucket=bucket)
        yield endpoint
    finally:
        server.stop()
