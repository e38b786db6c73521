"""An S3-compatible store for tests: moto's server mode, a stand-in for the S3 *protocol*.

No S3 server (MinIO, Ceph) is installed here, so tests talk HTTP to moto's server on a loopback port through
boto3, exactly as Azur talks to a real store; nothing in Azur knows it is moto. ``.ci/run`` starts one
(``scripts/test-services.sh`` exports ``AZUR_TEST_S3_ENDPOINT``); without that variable the first test that
needs a store starts its own ``ThreadedMotoServer`` for the session. Each test gets a fresh bucket.
"""

from __future__ import annotations

import os
import uuid

import boto3
import pytest

# moto accepts any credentials; boto3's chain reads these from the environment like real ones.
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "azur-test", "AWS_SECRET_ACCESS_KEY": "azur-test-secret",
               "AWS_DEFAULT_REGION": "us-east-1"}


class S3Server:
    """The endpoint of a running S3 stand-in, and a boto3 client to look into its buckets."""

    def __init__(self, endpoint: str, server: object | None = None) -> None:
        self.endpoint = endpoint
        self.server = server  # a ThreadedMotoServer this process started (None: started by .ci/run)

    def client(self):  # noqa: ANN201
        return boto3.client("s3", endpoint_url=self.endpoint, aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
                            aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"], region_name="us-east-1")

    def new_bucket(self, **create: object) -> str:
        name = "azur-" + uuid.uuid4().hex[:16]
        self.client().create_bucket(Bucket=name, **create)
        return name

    def keys(self, bucket: str, prefix: str = "") -> list[str]:
        pages = self.client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        return sorted(item["Key"] for page in pages for item in page.get("Contents", []))

    def env(self, bucket: str, prefix: str = "azur") -> dict[str, str]:
        """What points an Azur process at ``s3://bucket/prefix`` on this store."""
        return {**CREDENTIALS, "AZUR_STORAGE_URL": f"s3://{bucket}/{prefix}", "AZUR_S3_ENDPOINT_URL": self.endpoint}


def start_s3_server() -> S3Server:
    endpoint = os.environ.get("AZUR_TEST_S3_ENDPOINT")
    if endpoint:
        return S3Server(endpoint)
    import logging

    from moto.server import ThreadedMotoServer

    from tests.conftest import free_port

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    return S3Server(f"http://127.0.0.1:{port}", server)


@pytest.fixture(scope="session")
def s3_server() -> S3Server:
    srv = start_s3_server()
    yield srv
    if srv.server is not None:
        srv.server.stop()


@pytest.fixture
def s3_env(monkeypatch, s3_server) -> S3Server:
    """Credentials for boto3's chain in this process's environment (as an operator would set them)."""
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    return s3_server
