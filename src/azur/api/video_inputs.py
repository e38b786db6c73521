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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from azur.api.body import upload_bytes
from azur.api.errors import bad_request, not_ready, too_large
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


def reference_image(settings: Settings, value: Any) -> np.ndarray | None:
    """The ``input_reference`` of a create call as an RGB frame: an uploaded image file, or
    ``{"image_url": "data:image/...;base64,..."}``. ``file_id`` and web URLs are refused with a 400."""
    from azur.media.images import UnreadableImage, load_image

    if value is None or value == "":
        return None
    data = upload_bytes(value)
    if data is None and isinstance(value, dict):
        if value.get("file_id"):
            raise bad_request("input_reference.file_id is not supported by Azur: upload the image itself.",
                              param="input_reference")
        data = _data_url_bytes(value.get("image_url"))
    if data is None:
        raise bad_request("input_reference must be an image file (multipart) or {\"image_url\": \"data:...\"}.",
                          param="input_reference")
    if len(data) > settings.server.max_upload_bytes:
        raise too_large(f"input_reference is {len(data)} bytes; the limit is {settings.server.max_upload_bytes}.",
                        param="input_reference")
    try:
        return load_image(data, settings.media)
    except UnreadableImage as exc:
        raise bad_request(str(exc), param="input_reference", code="invalid_image") from None


def _data_url_bytes(url: Any) -> bytes:
    if not isinstance(url, str) or not url.startswith("data:") or "," not in url:
        raise bad_request("input_reference.image_url must be a base64 data URL (data:image/png;base64,...); "
                          "Azur does not fetch web URLs.", param="input_reference")
    header, payload = url.split(",", 1)
    if not header.endswith(";base64"):
        raise bad_request("input_reference.image_url must be base64-encoded.", param="input_reference")
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
