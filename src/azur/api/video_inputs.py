"""From an API body to a validated video job: model names, options, first frames and source videos.

The API accepts OpenAI's names (``sora-2``, ``seconds: "8"``) and Azur's extras (``seed``, ``style``), and
turns them into the same :class:`~azur.engine.request.VideoRequest` checks as the CLI
(:func:`~azur.engine.request.make_request`), so a bad option is refused the same way everywhere. First
frames (an uploaded image, the last frame of a video to extend, the first frame of a video to edit) are
stored with the job, so a worker anywhere can run it and a retry sees the same input.
"""

from __future__ import annotations

import base64
import binascii
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from azur.api.body import upload_bytes
from azur.api.errors import bad_request, not_found, not_ready, too_large
from azur.config import Settings
from azur.db.models import User, Video, VideoKind, VideoStatus
from azur.engine.backend import check_model_choices
from azur.engine.request import (
    API_DEFAULT_SIZE,
    SIZES,
    InvalidRequest,
    VideoRequest,
    make_request,
    resolution_of,
    size_text,
)
from azur.storage.base import Storage, video_prefix

# OpenAI's model names, accepted as aliases of the server's default model.
OPENAI_MODEL_ALIASES = ("sora-2", "sora-2-pro", "sora-2-2025-10-06", "sora-2-pro-2025-10-06", "sora-2-2025-12-08")
FIRST_FRAME_FILE = "first_frame.png"


def new_video_id() -> str:
    return "video_" + uuid.uuid4().hex


def resolve_model(settings: Settings, name: str | None) -> str:
    """The backend a request names: none or an OpenAI name → the default model; else a registered one."""
    from azur.engine.backend import backend_names

    if name is None or name in OPENAI_MODEL_ALIASES:
        return settings.default_model
    known = backend_names()
    if name not in known:
        allowed = ", ".join([*known, *OPENAI_MODEL_ALIASES[:2]])
        raise bad_request(f"Unknown model '{name}'. Allowed models: {allowed}.", param="model")
    return name


def default_size(settings: Settings, user: User) -> str:
    """The size of a create call that names none: OpenAI's default, 720x1280 (portrait). A plan that stops
    below 720p gets the largest portrait size it allows instead, so that leaving ``size`` out is never
    refused by the plan."""
    plan = settings.plans.get(user.plan)
    if plan is None or resolution_of(API_DEFAULT_SIZE) <= plan.max_resolution:
        return size_text(API_DEFAULT_SIZE)
    portrait = [s for s in SIZES if s[1] > s[0] and resolution_of(s) <= plan.max_resolution]
    return size_text(max(portrait, key=resolution_of)) if portrait else size_text(API_DEFAULT_SIZE)


@dataclass
class Options:
    """Validated options of a new video; ``first_frame`` (RGB) is stored with the job when given."""

    request: VideoRequest
    first_frame: np.ndarray | None = None


def validate_options(settings: Settings, *, prompt: Any, model: str | None = None, seconds: Any = None,
                     size: Any = None, seed: Any = None, style: Any = None,
                     first_frame: np.ndarray | None = None, loras: Any = None, quality: Any = None) -> Options:
    """Check options the way the engine will; an :class:`InvalidRequest` becomes a 400 naming the option."""
    if not isinstance(prompt, str):
        raise bad_request("The prompt must be a string.", param="prompt")
    for name, value in (("size", size), ("style", style)):
        if value is not None and not isinstance(value, str):
            raise bad_request(f"Invalid {name} {value!r}: expected a string.", param=name)
    if isinstance(seconds, bool) or (seconds is not None and not isinstance(seconds, int | float | str)):
        raise bad_request(f"Invalid seconds {seconds!r}: expected a number of seconds.", param="seconds")
    if isinstance(seed, bool | float):
        raise bad_request(f"Invalid seed {seed!r}: expected a whole number.", param="seed")
    try:
        request = make_request(
            prompt,
            seconds=4 if seconds is None else seconds,
            size=size or size_text(API_DEFAULT_SIZE),
            seed=seed,
            style=style,
            model=resolve_model(settings, model),
            fps=settings.fps,
            first_frame=first_frame,
            max_seconds=settings.max_seconds,
            loras=loras,
            quality=quality,
        )
        check_model_choices(request)
    except InvalidRequest as exc:
        raise bad_request(exc.message, param=exc.param) from None
    if first_frame is not None:
        from azur.engine.backend import model_infos

        info = next((i for i in model_infos() if i.name == request.model), None)
        # ("custom": a backend registered in code without its ModelInfo, which says nothing either way)
        if info is not None and info.family != "custom" and not info.supports_first_frame:
            raise bad_request(f"Model '{request.model}' takes text only: no input_reference, extension or edit.",
                              param="input_reference")
    return Options(request=request, first_frame=first_frame)


def reference_image(settings: Settings, value: Any, *,
                    read_file: Callable[[str], bytes] | None = None) -> np.ndarray | None:
    """The ``input_reference`` of a create call as an RGB frame, in every form of OpenAI's spec: an uploaded
    image file, ``{"image_url": "data:image/...;base64,..."}``, ``{"image_url": "https://..."}`` fetched by
    the server when the operator allows it (``outbound.fetch_image_urls``, through the guard of
    :mod:`azur.outbound`), or ``{"file_id": "file-..."}``, a file the caller uploaded to ``/v1/files``, read
    by ``read_file`` (:func:`user_file_reader`; without it a file id is refused). What the bytes are is
    read from the bytes themselves, never from a file name or a Content-Type header."""
    from azur.media.images import UnreadableImage, load_image

    if value is None or value == "":
        return None
    data = upload_bytes(value)
    if data is None and isinstance(value, dict):
        given = sorted(key for key in ("file_id", "image_url") if value.get(key))
        if len(given) != 1 or set(value) - {"file_id", "image_url"}:
            raise bad_request("input_reference must have exactly one of image_url and file_id.",
                              param="input_reference")
        if given == ["file_id"]:
            if read_file is None or not isinstance(value["file_id"], str):
                raise bad_request("input_reference.file_id must name a file uploaded to /v1/files.",
                                  param="input_reference")
            data = read_file(value["file_id"])
        else:
            data = _image_url_bytes(settings, value["image_url"])
    if data is None:
        raise bad_request("input_reference must be an image file (multipart), {\"image_url\": \"...\"} or "
                          "{\"file_id\": \"file-...\"}.", param="input_reference")
    if len(data) > settings.server.max_upload_bytes:
        raise too_large(f"input_reference is {len(data)} bytes; the limit is {settings.server.max_upload_bytes}.",
                        param="input_reference")
    try:
        return load_image(data, settings.media)
    except UnreadableImage as exc:
        raise bad_request(str(exc), param="input_reference", code="invalid_image") from None


# A reference image uploaded to /v1/files carries one of these purposes (OpenAI's for images a model reads).
REFERENCE_FILE_PURPOSES = ("vision", "user_data")


def user_file_reader(session: Session, storage: Storage, user_id: int) -> Callable[[str], bytes]:
    """``read_file`` for :func:`reference_image`: the bytes of the caller's own file of purpose ``vision`` or
    ``user_data``; another user's file answers 404 like an unknown one, another purpose 400."""
    from azur.files import FileNotFound, UnusableFile, read_user_file

    def read(file_id: str) -> bytes:
        try:
            return read_user_file(session, storage, user_id, file_id, purposes=REFERENCE_FILE_PURPOSES)[1]
        except FileNotFound as exc:
            raise not_found(exc.message, param="input_reference") from None
        except UnusableFile as exc:
            raise bad_request(exc.message, param="input_reference", code="invalid_file") from None

    return read


def _image_url_bytes(settings: Settings, url: Any) -> bytes:
    if not isinstance(url, str):
        raise bad_request("input_reference.image_url must be a string.", param="input_reference")
    if url.startswith("data:"):
        return _data_url_bytes(url)
    if not settings.outbound.fetch_image_urls:
        raise bad_request("This server does not fetch web URLs: send input_reference.image_url as a base64 data "
                          "URL (data:image/png;base64,...) or upload the image.", param="input_reference",
                          code="image_url_not_fetched")
    from azur import outbound

    limit = min(settings.server.max_upload_bytes, settings.outbound.max_bytes)
    try:
        response, body = outbound.request("GET", url, settings.outbound, max_bytes=limit,
                                          headers={"Accept": "image/*"})
    except outbound.BlockedURL as exc:
        raise bad_request(f"input_reference.image_url is not allowed: {exc}.", param="input_reference",
                          code="url_not_allowed") from None
    except outbound.FetchFailed as exc:
        raise bad_request(f"input_reference.image_url could not be fetched: {exc}.", param="input_reference",
                          code="image_url_unreachable") from None
    if response.status_code != 200:
        raise bad_request(f"input_reference.image_url answered HTTP {response.status_code}.",
                          param="input_reference", code="image_url_unreachable")
    return body


def _data_url_bytes(url: str) -> bytes:
    header, _, payload = url.partition(",")
    if not header.endswith(";base64") or not payload:
        raise bad_request("input_reference.image_url must be a base64 data URL (data:image/png;base64,...).",
                          param="input_reference")
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise bad_request("input_reference.image_url is not valid base64.", param="input_reference") from None


def video_frame(settings: Settings, source: bytes | Path, which: str) -> np.ndarray:
    """The first or last frame (RGB) of a video file. Raises ``azur.media.read.UnreadableVideo``."""
    from azur.media.read import first_frame, last_frame

    return first_frame(source, settings.media) if which == "first" else last_frame(source, settings.media)


def video_shape(settings: Settings, source: bytes) -> tuple[tuple[int, int], float | None]:
    """(width, height) and duration in seconds of a video file, from its headers. Raises ``UnreadableVideo``."""
    from azur.media.read import probe_video

    info = probe_video(source, settings.media)
    return (info.width, info.height), (info.seconds or None)


def closest_size(size: tuple[int, int]) -> str:
    """An allowed size of the same shape as ``size`` (nearest aspect ratio, then nearest area)."""
    if size in SIZES:
        return size_text(size)
    ratio = size[0] / max(1, size[1])
    best = min(SIZES, key=lambda s: (abs(np.log(s[0] / s[1] / ratio)), abs(s[0] * s[1] - size[0] * size[1])))
    return size_text(best)


def require_completed(video: Video, what: str) -> None:
    if video.status != VideoStatus.completed.value:
        raise not_ready(f"Video '{video.id}' is {video.status}; only a completed video can be {what}.")


def source_video_id(value: Any) -> str | None:
    """The id in ``{"id": "video_..."}`` (or a bare id string); None when ``value`` is a file."""
    if isinstance(value, dict) and isinstance(value.get("id"), str):
        return value["id"]
    if isinstance(value, str):
        return value
    if upload_bytes(value) is not None:
        return None
    raise bad_request("video must be {\"id\": \"video_...\"} of a completed video, or a video file.", param="video")


def uploaded_video(settings: Settings, value: Any) -> bytes:
    data = upload_bytes(value) or b""
    if len(data) > settings.server.max_upload_bytes:
        raise too_large(f"The video is {len(data)} bytes; the limit is {settings.server.max_upload_bytes}.",
                        param="video")
    return data


def new_video(user_id: int, options: Options, *, kind: VideoKind = VideoKind.create, priority: int = 0,
              remixed_from: str | None = None, source: str | None = None) -> Video:
    """A queued video row for ``options`` (not yet added to a session)."""
    request = options.request
    return Video(
        id=new_video_id(),
        user_id=user_id,
        kind=kind.value,
        status=VideoStatus.queued.value,
        progress=0,
        created_at=time.time(),
        model=request.model,
        prompt=request.prompt,
        seconds=request.seconds,
        width=request.width,
        height=request.height,
        seed=request.seed,
        style=request.style,
        remixed_from_video_id=remixed_from,
        source_video_id=source,
        priority=priority,
        attempts=0,
        options=model_choices(request) or None,
    )


def carried_choices(body: Any, source: Video | None) -> tuple[Any, Any]:
    """The LoRAs and quality of a job made from ``source`` (a remix, extension or edit): the request's own
    where it names them, else the source's, so that a video made with a LoRA goes on with it."""
    stored = (source.options or {}) if source is not None else {}
    asked = body.asked_loras()
    loras = asked if asked is not None else stored.get("loras")
    quality = body.quality if body.quality is not None else stored.get("quality")
    return loras, quality  # stored LoRAs are [name, scale] pairs, which the request's parser reads back


CHOICE_KEYS = ("loras", "quality")  # what model_choices stores in videos.options


def model_choices(request: VideoRequest) -> dict[str, Any]:
    """The open-weight options of a request, as ``videos.options`` stores them (the worker reads them back)."""
    stored: dict[str, Any] = {}
    if request.loras:
        stored["loras"] = [[name, scale] for name, scale in request.loras]
    if request.quality is not None:
        stored["quality"] = request.quality
    return stored


def first_frame_png(storage: Storage, options: Options, *, remix_of: Video | None = None) -> bytes | None:
    """The PNG to store as the job's first frame: the options' frame, else a remixed video's stored one.
    Nothing is written here: :func:`store_first_frame` does that once the job is accepted."""
    if options.first_frame is not None:
        from azur.media.images import encode_image

        return encode_image(options.first_frame, "png")
    if remix_of is not None and remix_of.first_frame_key and storage.exists(remix_of.first_frame_key):
        return storage.read_bytes(remix_of.first_frame_key)
    return None


def store_first_frame(storage: Storage, video: Video, png: bytes | None) -> None:
    """Store the job's first frame beside its future files and point the row at it."""
    if png is None:
        return
    key = video_prefix(video.id) + FIRST_FRAME_FILE
    storage.put_bytes(key, png)
    video.first_frame_key = key
