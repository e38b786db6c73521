"""The ``audio`` option as a video row stores it (``videos.options``), and the sound plan a worker reads back.

``options["audio"]``: the video's :class:`~azur.sound.spec.AudioSpec` in its wire form. ``options
["audio_continues"]``: for an extension, the clip it continues, as that clip was made (its length, sound,
prompt and seeds, and where in its score it started), so the worker can carry the music on with no click.
"""

from __future__ import annotations

from typing import Any

from azur.sound.mix import Continuation, Segment, SoundPlan, inherit_music, score_time
from azur.sound.spec import AudioSpec, parse_audio

AUDIO, CONTINUES = "audio", "audio_continues"


def stored(spec: AudioSpec, continues: Continuation | None = None) -> dict[str, Any]:
    """The entries to merge into ``videos.options`` (nothing for a silent video that continues nothing)."""
    out: dict[str, Any] = {}
    if not spec.silent:
        out[AUDIO] = spec.to_json()
    if continues is not None and not spec.silent:
        previous = continues.previous
        out[CONTINUES] = {"seconds": previous.seconds, "audio": previous.audio.to_json(), "prompt": previous.prompt,
                          "seed": previous.seed, "score_start": continues.score_start}
    return out


def spec_of(options: dict[str, Any] | None) -> AudioSpec:
    """The stored sound of a video (silence when none was stored)."""
    return parse_audio((options or {}).get(AUDIO))


def continues_of(options: dict[str, Any] | None) -> Continuation | None:
    data = (options or {}).get(CONTINUES)
    if not data:
        return None
    previous = Segment(seconds=float(data["seconds"]), audio=parse_audio(data["audio"]), prompt=data["prompt"],
                       seed=int(data["seed"]))
    return Continuation(previous=previous, score_start=float(data["score_start"]))


def plan_of(options: dict[str, Any] | None) -> SoundPlan | None:
    """What the worker makes under the video, or None for a silent one. A video asked to loop (a truthy
    ``options["loop"]``) gets music fitted to its length that wraps round."""
    spec = spec_of(options)
    if spec.silent:
        return None
    return SoundPlan(spec, loop=bool((options or {}).get("loop")), continues=continues_of(options))


def continuation_from(source_options: dict[str, Any] | None, *, seconds: float, prompt: str,
                      seed: int) -> Continuation:
    """How a new clip continues a finished one (its source): the source as it was made, and where its score
    stood at its first sample (further on when the source itself continued another clip's music)."""
    previous = Segment(seconds=seconds, audio=spec_of(source_options), prompt=prompt, seed=seed)
    earlier = continues_of(source_options)
    if earlier is not None:  # the source carried on its own source's score: so does its stored music
        previous = inherit_music(previous, earlier.previous)
    return Continuation(previous=previous, score_start=score_time(previous, earlier))


def without_words(stored_options: dict[str, Any] | None) -> dict[str, Any] | None:
    """``stored_options`` with what the user wrote taken out of the sound (the voice-over's text, the
    continued clip's prompt and voice-over), for the retention purge that blanks prompts; None when there
    is nothing to take out. The video's sound is made already; what is left still reads back."""
    if not stored_options:
        return None
    changed = dict(stored_options)
    audio = changed.get(AUDIO)
    if isinstance(audio, dict) and "voiceover" in audio:
        changed[AUDIO] = {k: v for k, v in audio.items() if k != "voiceover"} or "none"
    continues = changed.get(CONTINUES)
    if isinstance(continues, dict):
        earlier = continues.get("audio")
        cleaned = {**continues, "prompt": ""}
        if isinstance(earlier, dict) and "voiceover" in earlier:
            cleaned["audio"] = {k: v for k, v in earlier.items() if k != "voiceover"} or "none"
        changed[CONTINUES] = cleaned
    return changed if changed != stored_options else None
