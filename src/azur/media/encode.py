"""Encoding frames into browser-playable video files with PyAV (libx264 / libvpx bundled in its wheels).

Frames are written one at a time, so memory stays flat whatever the length or size of the clip.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from types import TracebackType

import av
import numpy as np

CONTAINERS = ("mp4", "webm")


@dataclass(frozen=True)
class EncodeOptions:
    container: str = "mp4"  # "mp4" (H.264 + AAC) or "webm" (VP9 + Opus)
    crf: int = 20  # constant quality: lower is better and larger
    preset: str = "veryfast"  # x264 speed preset; VP9 uses realtime mode with cpu-used 8 instead


class VideoWriter:
    """Stream RGB frames into an MP4 (H.264, yuv420p, faststart) or a WebM (VP9).

    Use as a context manager: ``with VideoWriter(path, 1280, 720, 24) as w: w.write(frame)``.
    """

    def __init__(self, path: str | Path, width: int, height: int, fps: int, options: EncodeOptions = EncodeOptions()):
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

    def write(self, frame: np.ndarray) -> None:
        if frame.shape != (self.height, self.width, 3) or frame.dtype != np.uint8:
            raise ValueError(f"expected a {self.height}x{self.width}x3 uint8 frame, got {frame.shape} {frame.dtype}")
        video_frame = av.VideoFrame.from_ndarray(frame, format="rgb24")
        video_frame.pts = self.frames_written
        for packet in self._stream.encode(video_frame):
            self._out.mux(packet)
        self.frames_written += 1

    def close(self) -> None:
        if self._out is None:
            return
        for packet in self._stream.encode():
            self._out.mux(packet)
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
