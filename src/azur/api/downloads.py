"""Serving a stored file: from the local disk, streamed from an object store, or as a presigned redirect.

Players seek with HTTP Range requests, so both storages honour one ``bytes=`` range: the local directory
through Starlette's ``FileResponse``, an object store by asking the store for the same range. Several ranges
in one request are answered with the whole file (RFC 9110 lets a server ignore Range).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import BinaryIO

from fastapi import Request, Response
from fastapi.responses import FileResponse, RedirectResponse, StreamingResponse

from azur.api.errors import ApiError, not_found
from azur.config import Settings
from azur.storage.base import MissingFile, Storage

CHUNK = 256 * 1024
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def stored_file_response(request: Request, settings: Settings, storage: Storage, key: str, *, media_type: str,
                         filename: str, missing: str) -> Response:
    """The file under ``key`` as an HTTP answer; ``missing`` is the 404 message when it is gone."""
    headers = {"Content-Disposition": f'inline; filename="{filename}"'}
    path = storage.local_path(key)
    if path is not None:
        if not path.is_file():
            raise not_found(missing)
        return FileResponse(path, media_type=media_type, headers=headers)
    if settings.storage_presigned_downloads:
        url = storage.presigned_url(key, seconds=settings.storage_presigned_seconds, filename=filename,
                                    content_type=media_type)
        if url is not None:
            # 307: the client repeats the same GET (with its Range) at the store; never cached (the URL expires).
            return RedirectResponse(url, status_code=307, headers={"Cache-Control": "no-store"})
    try:
        size = storage.stat(key).size
        if request.method == "HEAD":  # the same status and headers as a GET, and no body read from the store
            headers.update({"Accept-Ranges": "bytes", "Content-Length": str(size)})
            return Response(media_type=media_type, headers=headers)
        wanted = _single_range(request.headers.get("range"), size)
        if wanted is None:
            stream = storage.open(key)
            headers.update({"Accept-Ranges": "bytes", "Content-Length": str(size)})
            return StreamingResponse(_chunks(stream), media_type=media_type, headers=headers)
        start, end = wanted
        stream = storage.open_range(key, start, end)
    except MissingFile:
        raise not_found(missing) from None
    headers.update({"Accept-Ranges": "bytes", "Content-Range": f"bytes {start}-{end}/{size}",
                    "Content-Length": str(end - start + 1)})
    return StreamingResponse(_chunks(stream), status_code=206, media_type=media_type, headers=headers)


def _single_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The inclusive byte range one ``bytes=a-b`` header asks for, or None for the whole file (no header,
    several ranges, another unit). Raises 416 for a range that starts past the end."""
    if not header:
        return None
    match = _RANGE.match(header.strip())
    if match is None or not (match[1] or match[2]):
        return None
    if match[1]:
        start = int(match[1])
        end = min(int(match[2]), size - 1) if match[2] else size - 1
        if match[2] and int(match[2]) < start:
            return None  # syntactically invalid: ignored, as RFC 9110 says
    else:  # "bytes=-N": the last N bytes
        start, end = max(0, size - int(match[2])), size - 1
    if start >= size or size == 0:
        raise ApiError(416, f"The range '{header}' starts past the end of the file ({size} bytes).",
                       code="range_not_satisfiable", headers={"Content-Range": f"bytes */{size}"})
    return start, end


def _chunks(stream: BinaryIO) -> Iterator[bytes]:
    try:
        while chunk := stream.read(CHUNK):
            yield chunk
    finally:
        stream.close()
