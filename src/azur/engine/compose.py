"""Clips made from a model's clip and something more: a loop, a blend between two videos, an extension
stitched onto its source. Each function returns a :data:`azur.pipeline.ClipSource`, so the result is
encoded and marked once by :func:`azur.pipeline.make_video` like any video, and works with every backend
(the joins themselves are :mod:`azur.media.transitions`, model-independent).
"""

from __future__ import annotations

from itertools import chain
from pathlib import Path

import numpy as np

from azur.engine.backend import Clip, ProgressFn, get_backend
from azur.engine.request import VideoRequest
from azur.media.encode import Chapter
from azur.media.images import fit_cover
from azur.media.transitions import looped, morph


def looping_clip(request: VideoRequest, overlap_frames: int):  # noqa: ANN201 - a ClipSource
    """``request`` made to loop: the model renders ``overlap_frames`` more, and the clip's end dissolves
    into its opening (:func:`azur.media.transitions.looped`), so the last frame flows into the first.
    With a first-frame image the video starts ``overlap_frames`` after it (the image is where it ends)."""

    def source(progress: ProgressFn) -> Clip:
        count = request.frame_count
        overlap = max(1, min(overlap_frames, count // 2))
        longer = request.with_changes(seconds=(count + overlap) / request.fps)
        clip = get_backend(request.model).generate(longer, progress)
        return Clip(frames=looped(clip.frames, count, overlap), frame_count=count, fps=clip.fps, notes=clip.notes,
                    stats=clip.stats)

    return source


def blend_clip(request: VideoRequest, start: np.ndarray, end: np.ndarray):  # noqa: ANN201 - a ClipSource
    """A transition from exactly ``start`` (one video's last frame) to exactly ``end`` (the other's first).

    A model that takes a first frame makes the motion from ``start`` with ``request``'s prompt, pulled ever
    more towards ``end``; any other model gives a plain dissolve of the two frames."""
    size = request.size
    start, end = fit_cover(start, size), fit_cover(end, size)

    def source(progress: ProgressFn) -> Clip:
        backend = get_backend(request.model)
        count = request.frame_count
        if backend.info.supports_first_frame:
            clip = backend.generate(request.with_changes(first_frame=start), progress)
            return Clip(frames=morph(start, end, count, through=clip.frames), frame_count=count, fps=clip.fps,
                        notes=clip.notes, stats=clip.stats)
        progress(1.0, "blending")
        notes = [f"{request.model} cannot start from an image: the blend is a dissolve of the two frames."]
        return Clip(frames=morph(start, end, count), frame_count=count, fps=request.fps, notes=notes)

    return source


def stitched_clip(source_video: Path | bytes, source_frames: int, request: VideoRequest, *,
                  limits=None):  # noqa: ANN001, ANN201 - a ClipSource
    """The source video's ``source_frames`` frames (at ``request``'s size and fps) followed by the new
    segment ``request`` (which starts on the source's last frame). The source's chapter marks are kept and
    the segment gets one of its own; a source without chapters gives a file without them."""
    from azur.media.limits import DEFAULT_LIMITS
    from azur.media.read import frames_at_rate, read_chapters

    limits = limits or DEFAULT_LIMITS

    def source(progress: ProgressFn) -> Clip:
        fps = request.fps
        segment = get_backend(request.model).generate(request, progress)
        marks = read_chapters(source_video, limits)
        chapters = [Chapter(title, round(start * fps), min(source_frames, round(end * fps))) for title, start, end in marks]
        if chapters:
            chapters[-1] = Chapter(chapters[-1].title, chapters[-1].start, source_frames)
            title = request.prompt if len(request.prompt) <= 60 else request.prompt[:57] + "..."
            chapters.append(Chapter(f"{len(chapters) + 1}. {title}", source_frames,
                                    source_frames + segment.frame_count))
        frames = chain(frames_at_rate(source_video, fps, source_frames, request.size, limits), segment.frames)
        lead = _source_sound(source_video, source_frames / fps)
        # With the source's sound kept, the new sound is made for the new frames only, from their scene.
        return Clip(frames=frames, frame_count=source_frames + segment.frame_count, fps=fps, notes=segment.notes,
                    stats=segment.stats, chapters=chapters, lead=lead,
                    scene=segment.scene if lead is not None else None,
                    audio=segment.audio if lead is not None else None)

    return source


def _source_sound(source_video: Path | bytes, seconds: float):  # noqa: ANN202
    """The source video's sound, exactly ``seconds`` long, or None when it has none (or none readable)."""
    import tempfile

    from azur.media.audio import Audio, UnreadableAudio, load_audio

    try:
        if isinstance(source_video, bytes):
            with tempfile.NamedTemporaryFile(suffix=".mp4") as file:
                file.write(source_video)
                file.flush()
                audio = load_audio(file.name)
        else:
            audio = load_audio(source_video)
    except (UnreadableAudio, FileNotFoundError):
        return None
    length = round(seconds * audio.rate)
    samples = audio.samples[:, :length]
    if samples.shape[1] < length:
        samples = np.pad(samples, ((0, 0), (0, length - samples.shape[1])))
    return Audio(samples.astype(np.float32), audio.rate)
