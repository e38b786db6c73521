"""An extension stitched onto its source, as OpenAI's spec has it: the result is the source followed by the
new segment, and the video's ``seconds`` is the stitched total.

At acceptance the source file is stored with the job (the source may be deleted before the job runs, and
a retried job must see the same input); the worker puts its frames, at the output's size and frame rate,
in front of the new segment (:func:`azur.engine.compose.stitched_clip`) and encodes and marks the whole once.
The plan and the bill count the new segment only: that is what the model makes.
"""

from __future__ import annotations

from typing import Any

from azur.api import video_inputs as inputs
from azur.api.deps import ServicesDep, SessionDep, find_owned_video
from azur.api.errors import bad_request, not_found
from azur.db.models import User, Video
from azur.jobs.compositions import SOURCE_FILE
from azur.storage.base import MissingFile


def prepare(services: ServicesDep, session: SessionDep, user: User, body: Any, video: Video,
            options: inputs.Options, source_id: str | None) -> dict[str, bytes]:
    """Make ``video`` (an extension being accepted) a stitched one: its total length, its options
    (``options["extension"]``; a storyboard source's shots plus the new one), and the files to store with
    it (the source video)."""
    settings = services.settings
    fps = settings.fps
    request = options.request
    storyboard = None
    if source_id is not None:
        source = find_owned_video(session, user, source_id, param="video")
        try:
            data = services.storage.read_bytes((source.files or {}).get("video") or "")
        except MissingFile:
            raise not_found(f"The video file of '{source.id}' is no longer stored.", param="video") from None
        source_frames = max(1, round(source.seconds * fps))
        storyboard = (source.options or {}).get("storyboard")
    else:
        data = inputs.uploaded_video(settings, body.video)
        _, duration = inputs.video_shape(settings, data)
        source_frames = max(1, round((duration or 0) * fps))
    total_frames = source_frames + request.frame_count
    if total_frames > settings.media.max_video_frames:
        raise bad_request(f"The stitched video would hold {total_frames} frames; at most "
                          f"{settings.media.max_video_frames}. Extend a shorter video, or send stitch: false.",
                          param="seconds")
    video.seconds = total_frames / fps
    video.options = {**(video.options or {}),  # the request's LoRAs and quality, set by new_video
                     "extension": {"stitch": True, "seconds": request.seconds, "source_frames": source_frames}}
    if storyboard:
        new_shot = {"prompt": request.prompt, "seconds": request.seconds, "transition": "continue",
                    "character": None, "has_image": False}
        video.options["storyboard"] = [*storyboard, new_shot]
    return {SOURCE_FILE: data}
