"""The production line of one video: engine → media → provenance, with progress all along.

Both ``azur generate`` and the job workers call :func:`make_video`, so a video made from the command line
and one made through the API go through exactly the same steps. Nothing here knows of HTTP, the database
or storage: the caller hands in a request and a path and gets the finished file and its stills back.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from azur.engine.backend import get_backend
from azur.engine.request import VideoRequest
from azur.media.encode import EncodeOptions, VideoWriter
from azur.media.images import spaced_indices, spritesheet, thumbnail

# Called with overall progress 0..1 and the current stage ("sampling", "encoding", "finishing").
PipelineProgress = Callable[[float, str], None]

SPRITESHEET_FRAMES = 16


@dataclass
class VideoResult:
    path: Path
    frame_count: int
    width: int
    height: int
    fps: int
    seconds: float
    thumbnail: bytes  # WebP still of the middle frame
    spritesheet: bytes  # JPEG grid of evenly spaced frames
    notes: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)


def make_video(
    request: VideoRequest,
    out_path: str | Path,
    *,
    progress: PipelineProgress | None = None,
    encode: EncodeOptions = EncodeOptions(),
) -> VideoResult:
    """Generate ``request`` into ``out_path`` (MP4 or WebM). Raises the backend's and encoder's errors;
    a failed run leaves no file behind."""
    report = progress or (lambda fraction, stage: None)
    out_path = Path(out_path)
    backend = get_backend(request.model)
    # Share of the progress bar given to the model's own work; the rest goes to encoding frames.
    model_share = 0.3 if backend.info.family == "embedded" else 0.85
    started = time.perf_counter()
    clip = backend.generate(request, lambda f, stage: report(model_share * f, stage))
    generated = time.perf_counter()

    keep = set(spaced_indices(clip.frame_count, SPRITESHEET_FRAMES))
    middle = clip.frame_count // 2
    kept: dict[int, np.ndarray] = {}
    with VideoWriter(out_path, request.width, request.height, clip.fps, encode) as writer:
        for i, frame in enumerate(clip.frames):
            writer.write(frame)
            if i in keep or i == middle:
                kept[i] = frame
            report(model_share + (1.0 - model_share) * 0.97 * (i + 1) / clip.frame_count, "encoding")
        frames_written = writer.frames_written
    encoded = time.perf_counter()

    report(0.98, "finishing")
    still = thumbnail(kept[middle])
    sheet = spritesheet([kept[i] for i in sorted(keep)])
    report(1.0, "done")
    return VideoResult(
        path=out_path,
        frame_count=frames_written,
        width=request.width,
        height=request.height,
        fps=clip.fps,
        seconds=frames_written / clip.fps,
        thumbnail=still,
        spritesheet=sheet,
        notes=clip.notes,
        timings={
            "model_s": generated - started,
            "encode_s": encoded - generated,
            "total_s": time.perf_counter() - started,
        },
    )
