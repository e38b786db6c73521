"""Storage in an S3-compatible object store (``storage_url = "s3://BUCKET/PREFIX"``), shared by a fleet.

Every machine of a fleet (the API, workers elsewhere) reads and writes the same bucket, so a worker with an
empty ``AZUR_HOME`` can deliver its video. Talks to the store through boto3 only: AWS S3, or any
S3-compatible store at ``s3_endpoint_url`` (MinIO, Ceph, Garage, Cloudflare R2), with credentials from
boto3's usual chain (``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``, ``~/.aws``, an instance role).

An object appears whole or not at all (a PUT, or a multipart upload, is atomic in S3), so there is no
partial-write prefix as in :mod:`azur.storage.local`. Deleting removes every *version* of an object when
the bucket keeps versions: an erased user's video must not survive as a non-current version.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

from azur.storage.base import MissingFile, StorageError, StoredFile

# DeleteObjects takes at most 1000 keys a call.
DELETE_BATCH = 1000
# Errors that mean "this store has no versioning API" (R2, some gateways) or "this key may not list
# versions": deleting then falls back to plain listing.
_NO_VERSIONS = {"NotImplemented", "AccessDenied", "MethodNotAllowed", "XNotImplemented"}


def parse_s3_url(url: str) -> tuple[str, str]:
    """``s3://bucket/some/prefix`` -> ``("bucket", "some/prefix/")`` (the prefix empty or ending in ``/``)."""
    rest = url.removeprefix("s3://")
    bucket, _, prefix = rest.partition("/")
    prefix = prefix.strip("/")
    return bucket, (prefix + "/" if prefix else "")


class S3Storage:
    """Files under ``prefix`` in ``bucket``. ``multipart_bytes``: files larger go up in parts that size."""

    def __init__(self, bucket: str, prefix: str = "", *, endpoint_url: str | None = None, region: str | None = None,
                 multipart_bytes: int = 64 * 1024 * 1024) -> None:
        import boto3
        from boto3.s3.transfer import TransferConfig
        from botocore.config import Config

        self.bucket = bucket
        self.prefix = prefix
        # Path-style addressing for custom endpoints: MinIO and most self-hosted stores have no wildcard DNS.
        config = Config(
            retries={"max_attempts": 4, "mode": "standard"},
            connect_timeout=5, read_timeout=60,
            s3={"addressing_style": "path"} if endpoint_url else {},
        )
        self.client: Any = boto3.session.Session().client("s3", endpoint_url=endpoint_url, region_name=region,
                                                          config=config)
        self.transfer = TransferConfig(multipart_threshold=multipart_bytes, multipart_chunksize=multipart_bytes,
                                       max_concurrency=4)

    # -- keys -----------------------------------------------------------------------------------------------

    def _object(self, key: str) -> str:
        parts = PurePosixPath(key).parts
        if not parts or key.startswith("/") or any(p in ("..", ".", "") for p in parts):
            raise ValueError(f"Invalid storage key '{key}'")
        return self.prefix + key

    def _key(self, name: str) -> str:
        return name[len(self.prefix):]

    def _failed(self, verb: str, key: str, exc: Exception) -> StorageError:
        return StorageError(f"Could not {verb} {key}: {_reason(exc)}")

    # -- writing --------------------------------------------------------------------------------------------

    def put_file(self, key: str, source: Path) -> None:
        from boto3.exceptions import S3UploadFailedError
        from botocore.exceptions import BotoCoreError, ClientError

        name = self._object(key)
        if not Path(source).is_file():  # the caller's error, raised as the local storage raises it
            raise FileNotFoundError(source)
        try:
            # upload_file switches to a multipart upload above the threshold; a failed one is aborted.
            self.client.upload_file(str(source), self.bucket, name, Config=self.transfer)
        except (BotoCoreError, ClientError, S3UploadFailedError) as exc:
            raise self._failed("store", key, exc) from exc

    def put_bytes(self, key: str, data: bytes) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.put_object(Bucket=self.bucket, Key=self._object(key), Body=data)
        except (BotoCoreError, ClientError) as exc:
            raise self._failed("store", key, exc) from exc

    # -- reading --------------------------------------------------------------------------------------------

    def _get(self, key: str, **extra: Any) -> Any:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return self.client.get_object(Bucket=self.bucket, Key=self._object(key), **extra)
        except ClientError as exc:
            if _code(exc) in ("NoSuchKey", "404", "NotFound"):
                raise MissingFile(key) from None
            raise self._failed("read", key, exc) from exc
        except BotoCoreError as exc:
            raise self._failed("read", key, exc) from exc

    def open(self, key: str) -> BinaryIO:
        return self._get(key)["Body"]

    def open_range(self, key: str, start: int, end: int) -> BinaryIO:
        return self._get(key, Range=f"bytes={start}-{end}")["Body"]

    def read_bytes(self, key: str) -> bytes:
        body = self.open(key)
        try:
            return body.read()
        finally:
            body.close()

    def local_path(self, key: str) -> Path | None:
        return None

    def stat(self, key: str) -> StoredFile:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            head = self.client.head_object(Bucket=self.bucket, Key=self._object(key))
        except ClientError as exc:
            if _code(exc) in ("404", "NoSuchKey", "NotFound"):
                raise MissingFile(key) from None
            raise self._failed("read", key, exc) from exc
        except BotoCoreError as exc:
            raise self._failed("read", key, exc) from exc
        return StoredFile(key, head["LastModified"].timestamp(), int(head["ContentLength"]))

    def exists(self, key: str) -> bool:
        try:
            self.stat(key)
        except MissingFile:
            return False
        return True

    def presigned_url(self, key: str, *, seconds: int, filename: str, content_type: str) -> str | None:
        return self.client.generate_presigned_url(
            "get_object",
            Params={"Bucket": self.bucket, "Key": self._object(key), "ResponseContentType": content_type,
                    "ResponseContentDisposition": f'inline; filename="{filename}"'},
            ExpiresIn=seconds,
        )

    def list_files(self, prefix: str) -> Iterator[StoredFile]:
        from botocore.exceptions import BotoCoreError, ClientError

        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.prefix + prefix)
        try:
            for page in pages:
                for item in page.get("Contents", []):
                    yield StoredFile(self._key(item["Key"]), item["LastModified"].timestamp(), int(item["Size"]))
        except (BotoCoreError, ClientError) as exc:
            raise self._failed("list", prefix, exc) from exc

    # -- deleting -------------------------------------------------------------------------------------------

    def delete(self, key: str) -> None:
        self._delete_matching(self._object(key), exact=True, what=key)

    def delete_prefix(self, prefix: str) -> None:
        self._delete_matching(self._object(prefix.rstrip("/")) + ("/" if prefix.endswith("/") else ""),
                              exact=False, what=prefix)

    def _delete_matching(self, name: str, *, exact: bool, what: str) -> None:
        """Delete every version of the objects named ``name`` (or starting with it), then check that none is
        left: a store that refuses (object lock, a missing permission, an outage) raises StorageError."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            targets = [t for t in self._versions(name) if not exact or t["Key"] == name]
            failures: list[str] = []
            for i in range(0, len(targets), DELETE_BATCH):
                answer = self.client.delete_objects(
                    Bucket=self.bucket, Delete={"Objects": targets[i:i + DELETE_BATCH], "Quiet": True}
                )
                failures += [f"{self._key(e.get('Key', ''))}: {e.get('Code')} {e.get('Message', '')}".strip()
                             for e in answer.get("Errors", [])]
        except (BotoCoreError, ClientError) as exc:
            raise StorageError(f"Could not remove the stored files under {what}: {_reason(exc)}") from exc
        if failures:
            raise StorageError(f"Could not remove the stored files under {what} ({failures[0]}"
                               + (f", and {len(failures) - 1} more" if len(failures) > 1 else "") + ").")

    def _versions(self, name: str) -> list[dict[str, str]]:
        """Every object version and delete marker under ``name`` (plain keys where versions cannot be listed)."""
        from botocore.exceptions import ClientError

        try:
            found: list[dict[str, str]] = []
            for page in self.client.get_paginator("list_object_versions").paginate(Bucket=self.bucket, Prefix=name):
                for item in page.get("Versions", []) + page.get("DeleteMarkers", []):
                    # The "null" version of an unversioned bucket goes with a plain delete, which needs only
                    # s3:DeleteObject (naming a version needs s3:DeleteObjectVersion too).
                    version = item.get("VersionId")
                    named = {"VersionId": version} if version not in (None, "null") else {}
                    found.append({"Key": item["Key"], **named})
            return found
        except ClientError as exc:
            if _code(exc) not in _NO_VERSIONS:
                raise
        found = []
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=name):
            found += [{"Key": item["Key"]} for item in page.get("Contents", [])]
        return found


def _code(exc: Exception) -> str:
    return str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))


def _reason(exc: Exception) -> str:
    """A short reason without the endpoint's URL or credentials (it is answered to API clients)."""
    code = _code(exc)
    if code:
        message = getattr(exc, "response", {}).get("Error", {}).get("Message", "")
        return f"the object store answered {code}" + (f" ({message})" if message else "")
    return f"the object store could not be reached ({type(exc).__name__})"
