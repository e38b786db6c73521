"""Users' files: what ``/v1/files`` stores (uploads) and what batches write (their output and error files).

A file is a :class:`~azur.db.models.UserFile` row and its bytes in storage under ``files/<id>/content`` (a
folder per file, as per video, so removing one file never races a write of another in a shared folder). The bytes
are written first and the row committed after, so a crash in between leaves a file no row owns, which
the purge removes (:func:`azur.accounts.privacy.remove_orphan_files`); a row always has its bytes. Every
file expires ``file_retention_days`` after upload (or earlier when the upload asks for it) and is then
purged with its bytes.

Other modules read a user's file with :func:`read_user_file`: another user's file is :class:`FileNotFound`,
exactly like an unknown id, and a file of the wrong purpose is :class:`UnusableFile`.
"""

from __future__ import annotations

import re
import time
import unicodedata
import uuid
from collections.abc import Iterable

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from azur.config import Settings
from azur.db.models import UserFile
from azur.storage.base import MissingFile, Storage, StorageError

UPLOAD_PURPOSES = ("batch", "vision", "user_data")  # what a user may upload
BATCH_OUTPUT = "batch_output"  # a batch's output and error files (written by Azur, never uploaded)
FILES_PREFIX = "files/"
FILE_ID = re.compile(r"^file-[0-9a-f]{32}$")
MAX_FILENAME_CHARS = 255


class FileNotFound(LookupError):
    """No file of this user has this id (another user's file is not even named)."""

    def __init__(self, file_id: str) -> None:
        shown = file_id if len(file_id) <= 64 else file_id[:61] + "..."
        self.message = f"No file found with id '{shown}'."
        super().__init__(self.message)


class UnusableFile(ValueError):
    """The file exists but cannot serve here (another purpose, or its bytes are gone)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def new_file_id() -> str:
    return "file-" + uuid.uuid4().hex


def storage_key(file_id: str) -> str:
    return f"{FILES_PREFIX}{file_id}/content"


def clean_filename(name: str | None) -> str:
    """The name to keep and show: its last path part, without control characters, at most 255 characters."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = "".join(c for c in base if unicodedata.category(c)[0] != "C").strip()
    return base[:MAX_FILENAME_CHARS] or "upload"


def store_file(session: Session, storage: Storage, settings: Settings, *, user_id: int, filename: str | None,
               purpose: str, data: bytes, expires_after_seconds: int | None = None) -> UserFile:
    """Store ``data`` as a new file of ``user_id`` and add its row to ``session`` (the caller commits; on a
    failed commit, call :func:`discard_bytes`). Raises :class:`~azur.storage.base.StorageError`."""
    now = time.time()
    lifetime = settings.file_retention_days * 86400
    if expires_after_seconds is not None:
        lifetime = min(lifetime, expires_after_seconds)
    row = UserFile(id=new_file_id(), user_id=user_id, filename=clean_filename(filename), purpose=purpose,
                   bytes=len(data), created_at=now, expires_at=now + lifetime)
    storage.put_bytes(storage_key(row.id), data)
    session.add(row)
    return row


def discard_bytes(storage: Storage, file_id: str) -> None:
    """Remove the bytes of a file whose row did not commit (failing that, the purge removes them later)."""
    try:
        storage.delete(storage_key(file_id))
    except StorageError:
        pass


def get_user_file(session: Session, user_id: int, file_id: str) -> UserFile:
    """The file ``file_id`` if ``user_id`` owns it and it has not expired. Raises :class:`FileNotFound`."""
    row = session.get(UserFile, file_id) if FILE_ID.match(file_id) else None
    if row is None or row.user_id != user_id or (row.expires_at is not None and row.expires_at < time.time()):
        raise FileNotFound(file_id)
    return row


def read_user_file(session: Session, storage: Storage, user_id: int, file_id: str, *,
                   purposes: Iterable[str] | None = None) -> tuple[UserFile, bytes]:
    """The row and bytes of the file ``file_id`` of ``user_id``.

    ``purposes``: the purposes the caller accepts (None: any). Raises :class:`FileNotFound` (unknown id,
    another user's file, expired) and :class:`UnusableFile` (another purpose; bytes no longer stored)."""
    row = get_user_file(session, user_id, file_id)
    allowed = tuple(purposes) if purposes is not None else None
    if allowed is not None and row.purpose not in allowed:
        raise UnusableFile(f"File '{file_id}' was uploaded with purpose '{row.purpose}'; this needs a file "
                           f"with purpose {' or '.join(repr(p) for p in allowed)}.")
    try:
        return row, storage.read_bytes(storage_key(row.id))
    except MissingFile:
        raise UnusableFile(f"The content of file '{file_id}' is no longer stored.") from None


def list_user_files(session: Session, user_id: int, *, limit: int, after: str | None = None,
                    order: str = "desc", purpose: str | None = None) -> tuple[list[UserFile], bool]:
    """A page of the user's live files, newest first by default, and whether more follow.
    ``after``: the id of the last file of the previous page (raises :class:`FileNotFound` if not theirs)."""
    query = select(UserFile).where(UserFile.user_id == user_id,
                                   or_(UserFile.expires_at.is_(None), UserFile.expires_at >= time.time()))
    if purpose is not None:
        query = query.where(UserFile.purpose == purpose)
    descending = order == "desc"
    if after is not None:
        cursor = get_user_file(session, user_id, after)
        t, i = cursor.created_at, cursor.id
        if descending:
            query = query.where(or_(UserFile.created_at < t, and_(UserFile.created_at == t, UserFile.id < i)))
        else:
            query = query.where(or_(UserFile.created_at > t, and_(UserFile.created_at == t, UserFile.id > i)))
    if descending:
        query = query.order_by(UserFile.created_at.desc(), UserFile.id.desc())
    else:
        query = query.order_by(UserFile.created_at, UserFile.id)
    rows = list(session.scalars(query.limit(limit + 1)))
    return rows[:limit], len(rows) > limit


def delete_file(session: Session, storage: Storage, row: UserFile) -> None:
    """Remove the file's bytes, then its row (in the caller's transaction). Raises
    :class:`~azur.storage.base.StorageError` with the row untouched when the bytes stay."""
    storage.delete(storage_key(row.id))
    session.delete(row)
