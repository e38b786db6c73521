"""``POST /v1/verify``: does an uploaded video carry Azur's marks (C2PA manifest, invisible watermark)?

The check itself is :func:`azur.provenance.verify.verify_file`, the same as ``azur verify``. A watermark
made by this installation is looked up in the database: the caller sees the whole video object when it is
theirs, only its id and creation time when it is someone else's.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from azur.api.body import body_dependency, body_openapi, upload_bytes
from azur.api.deps import CurrentUser, ServicesDep, SessionDep, get_current_user
from azur.api.errors import bad_request, too_large
from azur.api.schemas import ErrorBody
from azur.db.models import Video

MAX_FILENAME_CHARS = 255
VIDEO_SUFFIXES = (".mp4", ".m4v", ".mov", ".webm", ".mkv")

router = APIRouter(prefix="/v1", tags=["verify"], dependencies=[Depends(get_current_user)],
                   responses={code: {"model": ErrorBody} for code in (400, 401, 413)})


class VerifyBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    file: Any = Field(description="The video file to check (multipart).")


VerifyBodyDep = Annotated[VerifyBody, Depends(body_dependency(VerifyBody))]


@router.post("/verify", openapi_extra=body_openapi(VerifyBody, file_fields=("file",)))
def verify(body: VerifyBodyDep, services: ServicesDep, session: SessionDep, user: CurrentUser) -> dict[str, Any]:
    """Check a video for Azur's content credentials and watermark; ``verdict`` is ``azur``, ``not_found``
    or ``unreadable``."""
    from azur.api.routes.videos import public
    from azur.provenance.verify import verify_file

    data = upload_bytes(body.file)
    if data is None:
        raise bad_request("Upload the video to check as the multipart file field 'file'.", param="file")
    if len(data) > services.settings.server.max_upload_bytes:
        raise too_large(f"The file is {len(data)} bytes; the limit is {services.settings.server.max_upload_bytes}.",
                        param="file")

    def find_video(ref: str) -> dict | None:
        video = session.scalar(select(Video).where(Video.id.like(f"video_{ref}%")).limit(1))
        if video is None:
            return None
        if video.user_id == user.id:
            return public(video).model_dump()
        return {"id": video.id, "created_at": int(video.created_at)}

    name = shown_filename(getattr(body.file, "filename", None))
    # The client's name never becomes a path here: only its extension is kept, and only a known one.
    suffix = Path(name).suffix.lower()
    with tempfile.TemporaryDirectory(prefix="azur-verify-") as tmp:
        path = Path(tmp) / ("upload" + (suffix if suffix in VIDEO_SUFFIXES else ".mp4"))
        path.write_bytes(data)
        report = verify_file(path, settings=services.settings, find_video=find_video).to_dict()
    return _without_path(report, str(path), name)


def shown_filename(filename: str | None) -> str:
    """The uploaded file's name as the report shows it: its last part only, printable, at most
    MAX_FILENAME_CHARS characters."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if c.isprintable())
    if len(name) > MAX_FILENAME_CHARS:  # cut in the middle: the extension still tells what it was
        suffix = Path(name).suffix if len(Path(name).suffix) <= 8 else ""
        name = name[: MAX_FILENAME_CHARS - 3 - len(suffix)] + "..." + suffix
    return name or "upload.mp4"


def _without_path(value: Any, path: str, name: str) -> Any:
    """``value`` with the temporary file's path replaced by the client's file name, wherever it appears."""
    if isinstance(value, str):
        return value.replace(path, name)
    if isinstance(value, dict):
        return {key: _without_path(item, path, name) for key, item in value.items()}
    if isinstance(value, list):
        return [_without_path(item, path, name) for item in value]
    return value
