"""Making a storyboard's frames: each shot through the same backend as any video, joined by its transition.

The result is one :class:`~azur.engine.backend.Clip` with a chapter per shot; :func:`azur.pipeline.make_video`
encodes it once and marks it once (watermark, visible label, C2PA), like any other video. Shots are
generated one after the other as the encoder pulls frames, so only one shot's frames are alive at a time.

Joins: ``cut`` puts the shots end to end; ``crossfade`` renders the outgoing shot ``crossfade_seconds``
longer and dissolves those extra frames into the incoming shot's first ones (the video lasts exactly the sum
of the shots; the incoming shot's chapter starts where the dissolve starts); ``continue`` gives the incoming
shot the last frame shown as its first frame (image-to-video).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from itertools import islice

import numpy as np

from azur.engine.backend import Clip, ProgressFn, get_backend
from azur.engine.request import MAX_SEED, Look, VideoRequest
from azur.media.encode import Chapter
from azur.media.transitions import crossfade
from azur.storyboard.shots import Shot, frames_of


class ShotFailed(RuntimeError):
    """A shot could not be made; the message names it (``shot 2 of 3 ('...')``) and the cause."""

    def __init__(self, index: int, count: int, shot: Shot, cause: BaseException) -> None:
        prompt = shot.prompt if len(shot.prompt) <= 40 else shot.prompt[:37] + "..."
        reason = str(cause).strip().splitlines()[0] if str(cause).strip() else type(cause).__name__
        super().__init__(f"shot {index + 1} of {count} ({prompt!r}) failed: {reason}")
        self.index = index


def shot_request(base: VideoRequest, shot: Shot, index: int, *, first_frame: np.ndarray | None,
                 frames: int, look: Look | None = None) -> VideoRequest:
    """The request shot ``index`` is rendered from: the storyboard's model, size, style and fps, the shot's
    own prompt, ``frames`` frames, and a seed of its own (the storyboard's seed plus the shot's index, so
    that a remix of one shot leaves the others as they were).

    Every shot becomes a request here and only here. ``look``: the shot's character as the embedded model
    draws it (resolved when the storyboard was accepted; an image-conditioned model got the character's
    reference picture as the shot's image instead)."""
    return base.with_changes(prompt=shot.prompt, seconds=frames / base.fps, seed=(base.seed + index) % (MAX_SEED + 1),
                             first_frame=first_frame, look=look if look is not None else base.look)


def chapters_of(shots: list[Shot], fps: int) -> list[Chapter]:
    """One chapter per shot, titled with its number and prompt."""
    marks, start = [], 0
    for i, shot in enumerate(shots):
        length = frames_of(shot, fps)
        title = shot.prompt if len(shot.prompt) <= 60 else shot.prompt[:57] + "..."
        marks.append(Chapter(title=f"{i + 1}. {title}", start=start, end=start + length))
        start += length
    return marks


def storyboard_clip(shots: list[Shot], base: VideoRequest, image_of: Callable[[int], np.ndarray | None], *,
                    crossfade_seconds: float, looks: dict[int, Look] | None = None):  # noqa: ANN201 - a ClipSource
    """A :data:`azur.pipeline.ClipSource` making the storyboard ``shots`` at ``base``'s size, model and seed.

    ``image_of(index)``: shot ``index``'s first-frame image or None, read when the shot starts. The
    returned source raises :class:`ShotFailed` naming the shot that could not be made (its image, its
    model); exceptions raised by the caller's progress callback pass unchanged. ``looks``: the characters
    of shots that show one, by shot index."""

    def source(progress: ProgressFn) -> Clip:
        fps = base.fps
        lengths = [frames_of(s, fps) for s in shots]
        total = sum(lengths)
        notes: list[str] = []
        frames = _frames(shots, base, image_of, lengths, round(crossfade_seconds * fps), progress, notes, looks or {})
        return Clip(frames=frames, frame_count=total, fps=fps, notes=notes, chapters=chapters_of(shots, fps))

    return source


def _frames(shots: list[Shot], base: VideoRequest, image_of: Callable[[int], np.ndarray | None], lengths: list[int],
            crossfade_frames: int, progress: ProgressFn, notes: list[str],
            looks: dict[int, Look]) -> Iterator[np.ndarray]:
    backend = get_backend(base.model)
    total = sum(lengths)
    done = 0
    from_caller: set[int] = set()  # ids of exceptions the caller's progress raised: they are not a shot's fault
    last_shown: np.ndarray | None = None
    tail: list[np.ndarray] = []
    for index, shot in enumerate(shots):
        length = lengths[index]
        following = shots[index + 1] if index + 1 < len(shots) else None
        # The next shot's dissolve is made of this shot's extra frames (never more than the next shot has).
        extra = min(crossfade_frames, lengths[index + 1]) if following and following.transition == "crossfade" else 0

        def shot_progress(fraction: float, stage: str, start: int = done, length: int = length) -> None:
            try:
                progress((start + fraction * length) / total, stage)
            except BaseException as exc:
                from_caller.add(id(exc))
                raise

        try:
            first = last_shown if shot.transition == "continue" else image_of(index)
            request = shot_request(base, shot, index, first_frame=first, frames=length + extra, look=looks.get(index))
            clip = backend.generate(request, shot_progress)
            notes.extend(n for n in clip.notes if n not in notes)
            produced = _take(clip.frames, length + extra)
            body = islice(produced, length)
            shown = crossfade(tail, body) if shot.transition == "crossfade" and tail else body
            for frame in shown:
                last_shown = frame
                yield frame
            new_tail = list(produced)  # the extra frames the next shot dissolves from
        except BaseException as exc:
            if id(exc) in from_caller or not isinstance(exc, Exception):
                raise
            raise ShotFailed(index, len(shots), shot, exc) from exc
        tail = new_tail
        done += length


def _take(frames: Iterator[np.ndarray], count: int) -> Iterator[np.ndarray]:
    taken = 0
    for frame in frames:
        if taken == count:
            break
        yield frame
        taken += 1
    if taken < count:
        raise RuntimeError(f"the model made {taken} frames, {count} were asked for")
