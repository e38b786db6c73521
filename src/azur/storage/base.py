"""The storage protocol: files addressed by keys such as ``videos/video_abc/video.mp4``.

Keys are plain relative paths with ``/``; one video's files share the prefix ``videos/<id>/``, so deleting
a video is ``delete_prefix``. Writers must be idempotent: putting a key again replaces it whole (a retried
job overwrites the partial files of the attempt before it). Failures to write or remove raise
:class:`StorageError`: nothing is reported stored or deleted that is not.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol


class MissingFile(FileNotFoundError):
    """No file is stored under the key."""


class StorageError(OSError):
    """A file could not be written or removed (a full disk, a read-only or immutable directory, a failing
    object store). The message names keys, never local paths: the API answers it to clients."""


@dataclass(frozen=True)
class StoredFile:
    key: str
    modified: float  # seconds since the epoch (a file being written keeps moving it forward)
    size: int  # bytes


class Storage(Protocol):
    def put_file(self, key: str, source: Path) -> None:
        """Store a copy of the local file ``source`` under ``key``, replacing any earlier one atomically."""
        ...

    def put_bytes(self, key: str, data: bytes) -> None:
        """Store ``data`` under ``key``, replacing any earlier one atomically."""
        ...

    def open(self, key: str) -> BinaryIO:
        """Open the stored file for reading. Raises :class:`MissingFile`."""
        ...

    def read_bytes(self, key: str) -> bytes:
        """The whole stored file. Raises :class:`MissingFile`."""
        ...

    def local_path(self, key: str) -> Path | None:
        """A path on this machine to serve the file from directly, or None when the storage is remote."""
        ...

    def exists(self, key: str) -> bool: ...

    def stat(self, key: str) -> StoredFile:
        """The stored file's size and time. Raises :class:`MissingFile`."""
        ...

    def open_range(self, key: str, start: int, end: int) -> BinaryIO:
        """Bytes ``start`` to ``end`` (inclusive) of the stored file, for HTTP Range. Raises :class:`MissingFile`."""
        ...

    def presigned_url(self, key: str, *, seconds: int, filename: str, content_type: str) -> str | None:
        """A URL that serves the file for ``seconds`` without credentials, or None when the storage has none
        (a local directory)."""
        ...

    def delete(self, key: str) -> None:
        """Remove one file (a missing one is fine). Raises :class:`StorageError` when it stays."""
        ...

    def delete_prefix(self, prefix: str) -> None:
        """Remove every file whose key starts with ``prefix`` (missing files are fine). Raises
        :class:`StorageError` when any stays: a caller must not report files deleted that are still there."""
        ...

    def list_files(self, prefix: str) -> Iterator[StoredFile]:
        """Every stored file under ``prefix`` (``videos/``), unfinished writes included."""
        ...


def video_prefix(video_id: str) -> str:
    return f"videos/{video_id}/"
