"""The embedded tiny model (``azur-tiny``) as an engine backend: runs anywhere, offline, on a CPU."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from azur.engine.backend import Clip, ModelInfo, ObjectPath, ProgressFn, no_progress
from azur.engine.request import VideoRequest
from azur.engine.upscale import upscale
from azur.media.images import fit_cover

# A given first frame fades into the model's own frames over this long, so image-to-video starts on the
# exact picture even where the model draws it more simply.
FIRST_FRAME_FADE_SECONDS = 0.5
MAX_SHOWN_WORDS = 20  # unknown words listed in a note; a long prompt could otherwise fill it with thousands


class EmbeddedBackend:
    """Text (and optionally a first frame) to video with the model shipped inside the package."""

    info = ModelInfo(
        name="azur-tiny",
        family="embedded",
        description="Azur's own tiny text-to-video model: simple shapes on plain backgrounds, EN and FR, CPU.",
        max_seconds=60,
        supports_first_frame=True,
        licence={"id": "apache-2.0", "name": "Apache 2.0 (Azur's own weights)",
                 "url": "https://www.apache.org/licenses/LICENSE-2.0", "excludes_eu": False, "commercial": "yes",
                 "restrictions": []},
        draws_looks=True,
    )

    def __init__(self) -> None:
        from azur.embedded.sample import TinyVideoModel  # torch work happens here, not at import

        self.model = TinyVideoModel.load()

    def check(self, request: VideoRequest) -> list[str]:
        """Notes for the user: the part of a long prompt the model cannot read (OpenAI accepts 32,000
        characters; the model reads MAX_WORDS words), and the words it does not know."""
        from azur.embedded.text import MAX_WORDS, words

        notes = []
        read = words(request.prompt)
        if len(read) > MAX_WORDS:
            notes.append(f"The prompt has {len(read)} words; the model reads the first {MAX_WORDS} (up to "
                         f"'{read[MAX_WORDS - 1]}') and did not use the other {len(read) - MAX_WORDS}.")
        unknown = self.model.unknown_words(" ".join(read[:MAX_WORDS]))
        if request.look is not None:  # the character's name says who, not what: its look says that
            named = set(words(request.look.name))
            unknown = [word for word in unknown if word not in named]
        if unknown:
            shown = ", ".join(unknown[:MAX_SHOWN_WORDS])
            more = f" and {len(unknown) - MAX_SHOWN_WORDS} more" if len(unknown) > MAX_SHOWN_WORDS else ""
            notes.append(f"Words the model does not know (ignored): {shown}{more}")
        return notes

    def generate(self, request: VideoRequest, progress: ProgressFn = no_progress) -> Clip:
        low, track = self.model.generate_scene(
            request.prompt,
            seconds=request.seconds,
            fps=request.fps,
            seed=request.seed,
            first_frame=request.first_frame,
            progress=lambda f: progress(f, "sampling"),
            size=request.size,  # composed on the whole asked frame, at its aspect (embedded/stage.py)
            look=request.look,
        )
        frames = upscale(low, request.size, request.style)
        if request.first_frame is not None:
            frames = _fade_from(request.first_frame, frames, request)
        scene = ObjectPath(x=track[:, 0], y=track[:, 1], size=track[:, 2], fps=request.fps) if track is not None else None
        return Clip(frames=frames, frame_count=len(low), fps=request.fps, notes=self.check(request), scene=scene)


def _fade_from(image: np.ndarray, frames: Iterator[np.ndarray], request: VideoRequest) -> Iterator[np.ndarray]:
    start = fit_cover(image, request.size).astype(np.float32)
    fade = max(1, round(FIRST_FRAME_FADE_SECONDS * request.fps))
    for i, frame in enumerate(frames):
        if i < fade:
            w = i / fade
            frame = (start * (1.0 - w) + frame.astype(np.float32) * w + 0.5).astype(np.uint8)
        yield frame
