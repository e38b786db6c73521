"""Encoding frames into browser-playable video files with PyAV (libx264 / libvpx bundled in its wheels).

Frames are written one at a time, so memory stays flat whatever the length or size of the clip. An optional
audio track (AAC in MP4, Opus in WebM) is encoded alongside, in step with the frames, and an optional
``luma_filter`` sees every frame's Y plane just before encoding: that is where the invisible watermark goes,
because the frame is converted to yuv420p there anyway and the Y plane is a third of the RGB bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from types import TracebackType

import av
import numpy as np

from azur.media.audio import AudioSource, AudioTrackEncoder, load_audio

# Changes a frame's uint8 Y plane (height x width, limited range 16..235) in place.
LumaFilter = Callable[[np.ndarray], None]

CONTAINERS = ("mp4", "webm")


@dataclass(frozen=True)
class Chapter:
    """A named stretch of a video, in frames: ``start`` included, ``end`` excluded (a storyboard's shot)."""

    title: str
    start: int
    end: int


@dataclass(frozen=True)
class EncodeOptions:
    container: str = "mp4"  # "mp4" (H.264 + AAC) or "webm" (VP9 + Opus)
    crf: int = 20  # constant quality: lower is better and larger
    preset: str = "veryfast"  # x264 speed preset; VP9 uses realtime mode with cpu-used 8 instead


class VideoWriter:
    """Stream RGB frames into an MP4 (H.264, yuv420p, faststart) or a WebM (VP9).

    Use as a context manager: ``with VideoWriter(path, 1280, 720, 24) as w: w.write(frame)``.

    ``audio``: a WAV (or any audio) path or an :class:`~azur.media.audio.Audio`, encoded as AAC (MP4) or Opus
    (WebM) and cut at the video's end. ``luma_filter``: called on each frame's Y plane before encoding.
    ``chapters``: chapter marks written into the container (MP4: a QuickTime chapter track and Nero
    ``chpl``, which players and ``ffprobe -show_chapters`` read).
    """

    def __init__(
        self,
        path: str | Path,
        width: int,
        height: int,
        fps: int,
        options: EncodeOptions = EncodeOptions(),
        *,
        audio: AudioSource | None = None,
        luma_filter: LumaFilter | None = None,
        chapters: list[Chapter] | None = None,
    ):
        if options.container not in CONTAINERS:
            raise ValueError(f"Unknown container '{options.container}'. Allowed: {', '.join(CONTAINERS)}.")
        if width % 2 or height % 2:
            raise ValueError(f"yuv420p needs even dimensions, got {width}x{height}")
        self.path = Path(path)
        self.width, self.height, self.fps = width, height, fps
        self.frames_written = 0
        if options.container == "mp4":
            # faststart moves the index to the front so browsers start playing before the download ends.
            self._out = av.open(str(self.path), "w", format="mp4", options={"movflags": "+faststart"})
            self._stream = self._out.add_stream("libx264", rate=fps)
            self._stream.options = {"crf": str(options.crf), "preset": options.preset}
        else:
            self._out = av.open(str(self.path), "w", format="webm")
            self._stream = self._out.add_stream("libvpx-vp9", rate=fps)
            self._stream.options = {
                "crf": str(options.crf + 12), "b": "0", "deadline": "realtime", "cpu-used": "8", "row-mt": "1",
            }
        self._stream.width, self._stream.height = width, height
        self._stream.pix_fmt = "yuv420p"
        self._stream.time_base = Fraction(1, fps)
        self._luma_filter = luma_filter
        self._chapters = list(chapters or [])
        self._audio = AudioTrackEncoder(self._out, load_audio(audio), options.container) if audio is not None else None

    def write(self, frame: np.ndarray) -> None:
        if frame.shape != (self.height, self.width, 3) or frame.dtype != np.uint8:
            raise ValueError(f"expected a {self.height}x{self.width}x3 uint8 frame, got {frame.shape} {frame.dtype}")
        video_frame = av.VideoFrame.from_ndarray(frame, format="rgb24")
        if self._luma_filter is not None:
            video_frame = video_frame.reformat(format="yuv420p")
            plane = video_frame.planes[0]
            luma = np.asarray(memoryview(plane)).reshape(plane.height, plane.line_size)[:, : plane.width]
            self._luma_filter(luma)
        video_frame.pts = self.frames_written
        for packet in self._stream.encode(video_frame):
            self._out.mux(packet)
        self.frames_written += 1
        if self._audio is not None:
            self._audio.encode_until(self.frames_written / self.fps)

    def close(self) -> None:
        if self._out is None:
            return
        for packet in self._stream.encode():
            self._out.mux(packet)
        if self._audio is not None:
            self._audio.finish(self.frames_written / self.fps)
        if self._chapters:
            # Marks past the frames actually written are cut there: a chapter never points beyond the end.
            end = self.frames_written
            self._out.set_chapters([
                {"id": i + 1, "start": min(c.start, end), "end": min(c.end, end), "time_base": Fraction(1, self.fps),
                 "metadata": {"title": c.title}}
                for i, c in enumerate(self._chapters) if c.start < end
            ])
        self._out.close()
        self._out = None

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if exc_type is None:
            self.close()
        else:  # don't leave a half-written file that looks finished
            try:
                self._out.close()
            finally:
                self._out = None
                self.path.unlink(missing_ok=True)
