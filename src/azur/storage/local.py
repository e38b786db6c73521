"""Storage in a local directory (``$AZUR_HOME/files`` by default).

Writes go to a temporary file in the same directory and are renamed into place, so a reader (or a crash)
never sees half a file.
"""

from __future__ import annotations

import errno
import io
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from azur.storage.base import MissingFile, StorageError, StoredFile

# The prefix of a write in progress; a crash mid-write leaves one, which `azur purge` removes once old.
PARTIAL_PREFIX = ".part-"


class LocalStorage:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        parts = PurePosixPath(key).parts
        if not parts or PurePosixPath(key).is_absolute() or any(p in ("..", ".", "") for p in parts):
            raise ValueError(f"Invalid storage key '{key}'")
        return self.root.joinpath(*parts)

    def _key(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    def _write(self, key: str, write) -> None:  # type: ignore[no-untyped-def]
        path = self._path(key)
        tmp = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=PARTIAL_PREFIX)
            with os.fdopen(fd, "wb") as out:
                write(out)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, path)
        except BaseException as exc:
            if tmp is not None:
                Path(tmp).unlink(missing_ok=True)
            if isinstance(exc, OSError) and not isinstance(exc, StorageError):
                raise StorageError(f"Could not store {key}: {os.strerror(exc.errno or errno.EIO)}") from exc
            raise

    def put_file(self, key: str, source: Path) -> None:
        with open(source, "rb") as src:  # a missing source is the caller's error, raised as it is
            self._write(key, lambda out: shutil.copyfileobj(src, out, 1024 * 1024))

    def put_bytes(self, key: str, data: bytes) -> None:
        self._write(key, lambda out: out.write(data))

    def open(self, key: str) -> BinaryIO:
        try:
            return open(self._path(key), "rb")
        except FileNotFoundError:
            raise MissingFile(key) from None

    def read_bytes(self, key: str) -> bytes:
        with self.open(key) as f:
            return f.read()

    def local_path(self, key: str) -> Path | None:
        return self._path(key)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def stat(self, key: str) -> StoredFile:
        try:
            info = self._path(key).stat()
        except FileNotFoundError:
            raise MissingFile(key) from None
        return StoredFile(key, info.st_mtime, info.st_size)

    def open_range(self, key: str, start: int, end: int) -> BinaryIO:
        data = self.open(key)
        data.seek(start)
        return _Bounded(data, end - start + 1)

    def presigned_url(self, key: str, *, seconds: int, filename: str, content_type: str) -> str | None:
        return None

    def delete(self, key: str) -> None:
        path = self._path(key)
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:
            raise StorageError(f"Could not remove {key}: {os.strerror(exc.errno or errno.EIO)}") from None
        try:  # the video's folder goes with its last file; a folder still in use is not empty
            path.parent.rmdir()
        except OSError:
            pass

    def delete_prefix(self, prefix: str) -> None:
        path = self._path(prefix.rstrip("/"))
        failed: list[tuple[Path, OSError]] = []

        def note(_function, failed_path, exc_info) -> None:  # type: ignore[no-untyped-def]
            if not isinstance(exc_info[1], FileNotFoundError):
                failed.append((Path(failed_path), exc_info[1]))

        if prefix.endswith("/"):
            matches = [path] if path.exists() else []
        else:
            matches = list(path.parent.glob(path.name + "*"))
        for match in matches:
            if match.is_dir() and not match.is_symlink():
                shutil.rmtree(match, onerror=note)
            else:
                try:
                    match.unlink(missing_ok=True)
                except OSError as exc:
                    failed.append((match, exc))
        if failed:
            where, exc = failed[0]
            raise StorageError(f"Could not remove the stored files under {prefix} "
                               f"({self._key(where)}: {os.strerror(exc.errno or errno.EIO)}).")

    def list_files(self, prefix: str) -> Iterator[StoredFile]:
        top = self._path(prefix.rstrip("/"))
        for folder, _, names in os.walk(top):
            for name in names:
                path = Path(folder, name)
                try:
                    info = path.lstat()
                except FileNotFoundError:  # removed meanwhile
                    continue
                yield StoredFile(self._key(path), info.st_mtime, info.st_size)


class _Bounded(io.RawIOBase):
    """At most ``remaining`` bytes of an open file, read in chunks (a Range of a large video)."""

    def __init__(self, source: BinaryIO, remaining: int) -> None:
        self.source, self.remaining = source, remaining

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        size = self.remaining if size < 0 else min(size, self.remaining)
        data = self.source.read(size)
        self.remaining -= len(data)
        return data

    def close(self) -> None:
        self.source.close()
        super().close()
