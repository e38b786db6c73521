"""Reading videos made anywhere (MP4, WebM, MOV, MKV, AVI, ...): metadata, frames, the first and last frame.

Used by ``azur verify`` and ``POST /v1/verify`` (frames for the watermark reader), by "extend" (the last frame
of the video to continue) and by image-to-video when the input is a video (its first frame). Frames are
yielded one at a time; nothing holds a whole clip.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

VideoSource = str | Path | bytes


class UnreadableVideo(ValueError):
    """The bytes or file are not a video Azur can read."""


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


def _open(source: VideoSource) -> av.container.InputContainer:
    name = "the upload" if isinstance(source, bytes) else str(source)
    if not isinstance(source, bytes) and not Path(source).is_file():
        raise FileNotFoundError(2, "No such file", str(source))
    try:
        container = av.open(io.BytesIO(source) if isinstance(source, bytes) else str(source))
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as exc:
        raise UnreadableVideo(f"Cannot read {name} as a video ({exc.__class__.__name__}).") from None
    if not container.streams.video:
        container.close()
        raise UnreadableVideo(f"{name} has no video track.")
    return container


def probe_video(source: VideoSource) -> VideoInfo:
    """Metadata of a video. Raises :class:`UnreadableVideo` (or FileNotFoundError)."""
    with _open(source) as container:
        stream = container.streams.video[0]
        fps = float(stream.average_rate or stream.guessed_rate or 0) or 0.0
        if stream.duration is not None and stream.time_base is not None:
            seconds = float(stream.duration * stream.time_base)
        elif container.duration is not None:
            seconds = container.duration / av.time_base
        else:
            seconds = 0.0
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
) -> Iterator[np.ndarray]:
    """Decoded frames as arrays: ``format`` "rgb24" (HxWx3) or "gray" (HxW luma); ``size`` (width, height)
    rescales in C while decoding; ``every`` keeps one frame in that many. Raises :class:`UnreadableVideo`."""
    if every < 1:
        raise ValueError(f"every must be >= 1, got {every}")
    with _open(source) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        width, height = size if size is not None else (None, None)
        try:
            for i, frame in enumerate(container.decode(stream)):
                if i % every:
                    continue
                yield frame.to_ndarray(format=format, width=width, height=height, interpolation=interpolation)
        except av.error.FFmpegError as exc:
            raise UnreadableVideo(f"The video is damaged and cannot be decoded ({exc.__class__.__name__}).") from None


def first_frame(source: VideoSource) -> np.ndarray:
    """The first frame, RGB uint8 (image-to-video from a video input)."""
    for frame in iter_frames(source):
        return frame
    raise UnreadableVideo("The video has no frames.")


def last_frame(source: VideoSource) -> np.ndarray:
    """The last frame, RGB uint8 (the starting point of "extend"). Seeks near the end instead of decoding all."""
    info = probe_video(source)
    with _open(source) as container:
        stream = container.streams.video[0]
        last = None
        if info.seconds > 2.0 and stream.time_base is not None:
            try:  # jump to the key frame before the last two seconds, then decode to the end
                container.seek(int((info.seconds - 2.0) / stream.time_base), stream=stream, backward=True)
                for frame in container.decode(stream):
                    last = frame
            except av.error.FFmpegError:
                last = None
        if last is None:
            container.seek(0)
            for frame in container.decode(stream):
                last = frame
        if last is None:
            raise UnreadableVideo("The video has no frames.")
        return last.to_ndarray(format="rgb24")
