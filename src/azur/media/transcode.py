"""Re-encoding a video with an optional trim, crop and resize, all in PyAV.

What a re-upload does to a video (a platform's transcode, a downscale, an edge crop, a cut), so the watermark
tests and benchmark use it to attack marked files; it is also a plain utility (trim a clip, make a preview).
"""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np

from azur.media.encode import EncodeOptions, VideoWriter
from azur.media.read import iter_frames, probe_video


def transcode(
    source: str | Path,
    target: str | Path,
    *,
    crf: int = 23,
    size: tuple[int, int] | None = None,
    crop: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0),
    start_seconds: float = 0.0,
    end_seconds: float = 0.0,
    preset: str = "veryfast",
) -> Path:
    """Re-encode ``source`` into ``target`` (.mp4 or .webm).

    ``crop``: fractions cut from the left, top, right and bottom edges; ``size``: (width, height) after the
    crop (default: the cropped size, rounded down to even); ``start_seconds`` / ``end_seconds``: seconds cut
    from the beginning / the end. Audio is dropped.
    """
    info = probe_video(source)
    left, top, right, bottom = crop
    x0, y0 = round(left * info.width), round(top * info.height)
    x1, y1 = info.width - round(right * info.width), info.height - round(bottom * info.height)
    crop_w, crop_h = (x1 - x0), (y1 - y0)
    out_w, out_h = size if size is not None else (crop_w - crop_w % 2, crop_h - crop_h % 2)
    first = round(start_seconds * info.fps)
    last = info.frame_count - round(end_seconds * info.fps)  # exclusive
    fps = max(1, round(info.fps))
    container = Path(target).suffix.lower().lstrip(".")
    with VideoWriter(target, out_w, out_h, fps, EncodeOptions(container=container, crf=crf, preset=preset)) as w:
        for i, frame in enumerate(iter_frames(source)):
            if i < first:
                continue
            if i >= last:
                break
            part = np.ascontiguousarray(frame[y0:y1, x0:x1])
            if (crop_w, crop_h) != (out_w, out_h):
                scaled = av.VideoFrame.from_ndarray(part, format="rgb24").reformat(
                    width=out_w, height=out_h, interpolation="BICUBIC"
                )
                part = scaled.to_ndarray(format="rgb24")
            w.write(part)
    return Path(target)
