"""Reading videos made anywhere (MP4, WebM, MOV, MKV, AVI, ...): metadata, frames, the first and last frame.

Used by ``azur verify`` and ``POST /v1/verify`` (frames for the watermark reader), by "extend" (the last frame
of the video to continue) and by image-to-video when the input is a video (its first frame). Frames are
yielded one at a time; nothing holds a whole clip.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from azur.config import MediaLimits
from azur.media.limits import DEFAULT_LIMITS, UnreadableVideo, decode_within, declared_seconds, open_video

__all__ = ["UnreadableVideo", "VideoInfo", "first_frame", "iter_frames", "last_frame", "frames_at_rate", "probe_video", "read_chapters"]

VideoSource = str | Path | bytes


@dataclass(frozen=True)
class VideoInfo:
    """What a video file says about itself. ``frame_count`` may be an estimate (duration x fps)."""

    width: int
    height: int
    fps: float
    frame_count: int
    seconds: float
    video_codec: str
    container: str
    audio_codec: str | None


def probe_video(source: VideoSource, limits: MediaLimits = DEFAULT_LIMITS) -> VideoInfo:
    """Metadata of a video, from its headers. Raises :class:`UnreadableVideo` (also past ``limits``) or
    FileNotFoundError."""
    with open_video(source, limits) as container:
        stream = container.streams.video[0]
        fps = float(stream.average_rate or stream.guessed_rate or 0) or 0.0
        seconds = declared_seconds(container, stream)
        frames = stream.frames or round(seconds * fps)
        audio = container.streams.audio[0].codec_context.name if container.streams.audio else None
        return VideoInfo(
            width=stream.codec_context.width,
            height=stream.codec_context.height,
            fps=fps,
            frame_count=int(frames),
            seconds=seconds,
            video_codec=stream.codec_context.name,
            container=container.format.name,
            audio_codec=audio,
        )


def iter_frames(
    source: VideoSource,
    *,
    format: str = "rgb24",
    size: tuple[int, int] | None = None,
    every: int = 1,
    interpolation: str | None = None,
    limits: MediaLimits = DEFAULT_LIMITS,
) -> Iterator[np.ndarray]:
    """Decoded frames as arrays: ``format`` "rgb24" (HxWx3) or "gray" (HxW luma); ``size`` (width, height)
    rescales in C while decoding; ``every`` keeps one frame in that many. Raises :class:`UnreadableVideo`
    (also when the video turns out to pass ``limits`` while decoding)."""
    if every < 1:
        raise ValueError(f"every must be >= 1, got {every}")
    with open_video(source, limits) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        width, height = size if size is not None else (None, None)
        for i, frame in enumerate(decode_within(container, stream, limits)):
            if i % every:
                continue
            yield _to_array(frame, format=format, width=width, height=height, interpolation=interpolation)


def frames_at_rate(source: VideoSource, fps: int, count: int, size: tuple[int, int],
                   limits: MediaLimits = DEFAULT_LIMITS) -> Iterator[np.ndarray]:
    """Exactly ``count`` RGB frames of ``size`` (width, height) at ``fps``, whatever the file's own rate:
    output frame k is the source frame showing at time k / fps (the last one repeats if the file is short).
    Used to put a source video in front of its extension. Raises :class:`UnreadableVideo`."""
    from azur.media.images import fit_cover

    emitted, previous = 0, None
    with open_video(source, limits) as container:
        stream = container.streams.video[0]
        start = None
        for frame in decode_within(container, stream, limits):
            time = frame.time or 0.0
            start = time if start is None else start
            image = _to_array(frame, format="rgb24")
            if (image.shape[1], image.shape[0]) != size:
                image = fit_cover(image, size)
            # Every output instant before this frame's own shows the frame before it.
            while emitted < count and previous is not None and emitted / fps < time - start - 1e-6:
                yield previous
                emitted += 1
            previous = image
            if emitted >= count:
                return
    if previous is None:
        raise UnreadableVideo("The video has no frames.")
    while emitted < count:
        yield previous
        emitted += 1


def read_chapters(source: VideoSource, limits: MediaLimits = DEFAULT_LIMITS) -> list[tuple[str, float, float]]:
    """The container's chapter marks as (title, start seconds, end seconds), in order."""
    with open_video(source, limits) as container:
        marks = container.chapters()
    return [(m["metadata"].get("title", ""), float(m["start"] * m["time_base"]), float(m["end"] * m["time_base"]))
            for m in marks]


def first_frame(source: VideoSource, limits: MediaLimits = DEFAULT_LIMITS) -> np.ndarray:
    """The first frame, RGB uint8 (image-to-video from a video input)."""
    for frame in iter_frames(source, limits=limits):
        return frame
    raise UnreadableVideo("The video has no frames.")


def last_frame(source: VideoSource, limits: MediaLimits = DEFAULT_LIMITS) -> np.ndarray:
    """The last frame, RGB uint8 (the starting point of "extend"). Seeks near the end instead of decoding all."""
    info = probe_video(source, limits)
    last = None
    if info.seconds > 2.0:
        with open_video(source, limits) as container:
            stream = container.streams.video[0]
            if stream.time_base is not None:
                try:  # jump to the key frame before the last two seconds, then decode to the end
                    container.seek(int((info.seconds - 2.0) / stream.time_base), stream=stream, backward=True)
                    for frame in decode_within(container, stream, limits):
                        last = frame
                except (av.error.FFmpegError, UnreadableVideo):
                    last = None
    if last is None:  # no seeking (a short clip, or a file that cannot seek): decode from a fresh start
        with open_video(source, limits) as container:
            stream = container.streams.video[0]
            for frame in decode_within(container, stream, limits):
                last = frame
    if last is None:
        raise UnreadableVideo("The video has no frames.")
    return _to_array(last, format="rgb24")


def _to_array(frame: av.VideoFrame, **convert: object) -> np.ndarray:
    try:
        return frame.to_ndarray(**convert)
    except (av.error.FFmpegError, ValueError) as exc:  # a pixel format the scaler cannot convert
        raise UnreadableVideo(f"A frame of the video cannot be converted ({exc.__class__.__name__}).") from None
