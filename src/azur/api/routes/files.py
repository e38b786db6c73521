"""``/v1/files``: OpenAI's Files API (upload, list, retrieve, content, delete), per user.

Uploads are multipart (``file`` and ``purpose``: batch, vision or user_data), at most
``server.max_upload_bytes`` (larger answer 413). Batches' output and error files appear here too, with
purpose ``batch_output``. The logic lives in :mod:`azur.files`; this module only speaks HTTP.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import FileResponse, Response
from pydantic import BaseModel, Field

from azur import files
from azur.api.body import body_dependency, body_openapi, upload_bytes
from azur.api.deps import CurrentUser, ServicesDep, SessionDep, get_current_user
from azur.api.errors import bad_request, not_found, storage_failed, too_large
from azur.api.schemas import ErrorBody, _Body
from azur.db.models import UserFile
from azur.storage.base import MissingFile, StorageError

ERRORS = {code: {"model": ErrorBody} for code in (400, 401, 404, 413, 500)}
router = APIRouter(prefix="/v1/files", tags=["files"], responses=ERRORS, dependencies=[Depends(get_current_user)])

FileId = Annotated[str, Path(description="A file id, file-...")]
Purpose = Literal["assistants", "assistants_output", "batch", "batch_output", "fine-tune", "fine-tune-results",
                  "vision", "user_data"]


class FilePublic(BaseModel):
    """``openai.types.FileObject``."""

    id: str
    object: Literal["file"] = "file"
    bytes: int
    created_at: int
    filename: str
    purpose: Purpose
    status: Literal["uploaded", "processed", "error"] = "processed"
    expires_at: int | None = None
    status_details: str | None = None


class FileList(BaseModel):
    """A page of files (the client's ``SyncCursorPage[FileObject]``)."""

    object: Literal["list"] = "list"
    data: list[FilePublic]
    first_id: str | None = None
    last_id: str | None = None
    has_more: bool


class FileDeleted(BaseModel):
    """``openai.types.FileDeleted``."""

    id: str
    object: Literal["file"] = "file"
    deleted: bool


class ExpiresAfter(_Body):
    anchor: Literal["created_at"]
    # OpenAI's bounds: one hour to 30 days. Multipart carries the number as text.
    seconds: Annotated[int, Field(ge=3600, le=2592000)]


class FileCreateBody(_Body):
    file: Any = Field(description="The file (multipart).")
    purpose: Literal["batch", "vision", "user_data"]
    expires_after: ExpiresAfter | None = None


def public(row: UserFile) -> FilePublic:
    return FilePublic(id=row.id, bytes=row.bytes, created_at=int(row.created_at), filename=row.filename,
                      purpose=row.purpose, expires_at=int(row.expires_at) if row.expires_at else None)  # type: ignore[arg-type]


async def owned_file(session: SessionDep, user: CurrentUser, file_id: FileId) -> UserFile:
    """The caller's file ``file_id``; another user's file answers 404, exactly like an unknown id."""
    try:
        row = files.get_user_file(session, user.id, file_id)
    except files.FileNotFound as exc:
        raise not_found(exc.message) from None
    session.commit()  # ends the read transaction: the connection goes back to the pool (see azur.api.deps)
    return row


OwnedFile = Annotated[UserFile, Depends(owned_file)]
CreateBody = Annotated[FileCreateBody, Depends(body_dependency(FileCreateBody))]


@router.post("", openapi_extra=body_openapi(FileCreateBody, file_fields=("file",)))
def upload_file(body: CreateBody, services: ServicesDep, session: SessionDep, user: CurrentUser) -> FilePublic:
    """Upload a file: JSONL requests for a batch, an image for ``input_reference``, or any user data."""
    data = upload_bytes(body.file)
    if data is None:
        raise bad_request("'file' must be a file sent as multipart/form-data.", param="file")
    limit = services.settings.server.max_upload_bytes
    if len(data) > limit:
        raise too_large(f"The file is {len(data)} bytes; the limit is {limit} bytes.", param="file")
    if not data:
        raise bad_request("The file is empty.", param="file", code="empty_file")
    if body.purpose == "vision":  # said now, not when a video first uses it
        from azur.media.limits import UnreadableImage, load_image

        try:
            load_image(data, services.settings.media)
        except UnreadableImage as exc:
            raise bad_request(f"A 'vision' file must be an image: {exc}", param="file",
                              code="invalid_image") from None
    seconds = body.expires_after.seconds if body.expires_after else None
    row = files.store_file(session, services.storage, services.settings, user_id=user.id,
                           filename=body.file.filename, purpose=body.purpose, data=data,
                           expires_after_seconds=seconds)
    try:
        session.commit()
    except BaseException:
        session.rollback()
        files.discard_bytes(services.storage, row.id)
        raise
    return public(row)


@router.get("")
def list_files(
    session: SessionDep,
    user: CurrentUser,
    after: Annotated[str | None, Query(description="The id of the last file of the previous page.")] = None,
    limit: Annotated[int, Query(ge=1, le=10000, description="Files per page, 1-10,000.")] = 10000,
    order: Annotated[Literal["asc", "desc"], Query(description="By creation time.")] = "desc",
    purpose: Annotated[Purpose | None, Query(description="Only files of this purpose.")] = None,
) -> FileList:
    """The caller's files, newest first by default."""
    try:
        rows, more = files.list_user_files(session, user.id, limit=limit, after=after, order=order, purpose=purpose)
    except files.FileNotFound as exc:
        raise not_found(exc.message, param="after") from None
    page = [public(r) for r in rows]
    return FileList(data=page, first_id=page[0].id if page else None, last_id=page[-1].id if page else None,
                    has_more=more)


@router.get("/{file_id}")
def retrieve_file(row: OwnedFile) -> FilePublic:
    """A file's metadata."""
    return public(row)


@router.get("/{file_id}/content", response_class=Response,
            responses={200: {"content": {"application/octet-stream": {}}, "description": "The file's bytes."}})
def download_file(row: OwnedFile, services: ServicesDep) -> Response:
    """The file's content, as uploaded (or, for a batch's files, as written)."""
    key = files.storage_key(row.id)
    media_type = "application/jsonl" if row.purpose in ("batch", files.BATCH_OUTPUT) else "application/octet-stream"
    headers = {"Content-Disposition": f"attachment; filename*=UTF-8''{quote(row.filename, safe='')}"}
    path = services.storage.local_path(key)
    if path is not None:
        if not path.is_file():
            raise not_found(f"The content of file '{row.id}' is no longer stored.")
        return FileResponse(path, media_type=media_type, headers=headers)
    try:
        data = services.storage.read_bytes(key)
    except MissingFile:
        raise not_found(f"The content of file '{row.id}' is no longer stored.") from None
    return Response(data, media_type=media_type, headers=headers)


@router.delete("/{file_id}")
def delete_file(row: OwnedFile, services: ServicesDep, session: SessionDep) -> FileDeleted:
    """Delete a file and its content."""
    file_id = row.id
    try:
        files.delete_file(session, services.storage, row)
    except StorageError as exc:
        session.rollback()
        raise storage_failed(f"File '{file_id}' was not deleted: its content could not be removed ({exc}).") from None
    session.commit()
    return FileDeleted(id=file_id, deleted=True)
