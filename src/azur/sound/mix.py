"""Mixing like a film: one soundtrack for a whole timeline of clips, exactly as long as the picture.

A timeline is a list of :class:`Segment` s laid end to end (one for a single video; a storyboard's shots;
an extension continuing its source). :func:`make_soundtrack` renders, for each segment, its voice-over
(placed where it fits), its music, its effects or ambience, and the model's own sound when it made one, then:

1. music runs on across segments: segments asking for the same music play one continuous score; a change of
   music cross-fades over ``CROSSFADE_SECONDS`` at the join;
2. the voice ducks the music (and a model's own sound) by ``DUCK_DB``, with a quick attack and a slow
   release, as a film mixer rides the faders;
3. the whole is set to ``TARGET_LUFS`` integrated (ITU-R BS.1770 through pyloudnorm), and a look-ahead
   limiter keeps the true peak (4x oversampled) under ``CEILING_DBTP``, so nothing clips in AAC or Opus.

An extension is a timeline whose first segment was delivered already (``continues``): the score goes on
from where the earlier clip left it, and the gain starts at the earlier clip's own and glides to the new
one's over ``GAIN_GLIDE_SECONDS``, so the two files played one after the other have no click, no step and no gap.

A storyboard (several shots in one video) makes its shots' clips, then one soundtrack for all of them and
muxes it under the joined frames::

    segments = [Segment(seconds=clip.frame_count / clip.fps, audio=shot_audio, prompt=shot.prompt,
                        seed=shot.seed, scene=clip.scene, own_sound=clip.audio) for shot, clip in shots]
    track = make_soundtrack(segments, loop=video_loops)
    VideoWriter(path, width, height, fps, audio=track.audio)  # or make_video(..., audio=track.audio)
    GenerationInfo(..., audio=tuple(track.parts))  # the C2PA manifest names the generated sound

Shots with the same music (mood, intensity, seed) share one score; a voice-over is placed in its own shot.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from azur.engine.backend import ObjectPath
from azur.media.audio import Audio
from azur.sound import effects, music, voice
from azur.sound.spec import AudioSpec

RATE = 48000  # the rate of every mix and of both AAC and Opus tracks
TARGET_LUFS = -16.0
CEILING_DBTP = -1.0
DUCK_DB = -12.0  # music under the voice
OWN_SOUND_DUCK_DB = -6.0  # a model's own sound under the voice: it is part of the scene, so less
DUCK_ATTACK_SECONDS, DUCK_RELEASE_SECONDS = 0.06, 0.45
CROSSFADE_SECONDS = 0.75
GAIN_GLIDE_SECONDS = 1.0
# Levels of the stems against each other before the loudness is set: the voice leads, music sits under it,
# effects and ambience under both. Where only one stem plays, the loudness target decides anyway.
VOICE_LEVEL, MUSIC_LEVEL, EFFECTS_LEVEL, AMBIENCE_LEVEL = 1.0, 0.35, 0.3, 0.35


@dataclass(frozen=True)
class Segment:
    """One clip of a timeline and what it should sound like.

    ``seconds``: the clip's exact length (frames / fps). ``prompt`` and ``seed``: the clip's own (the music's
    seed is ``audio.music.seed`` when set, else this one). ``scene``: where its object is (effects follow it).
    ``own_sound``: the model's own track for the clip, which Azur's voice-over and music mix over."""

    seconds: float
    audio: AudioSpec
    prompt: str = ""
    seed: int = 0
    scene: ObjectPath | None = None
    own_sound: Audio | None = None


@dataclass(frozen=True)
class Continuation:
    """The clip a new one continues (an extension): as it was made, and where its score started."""

    previous: Segment
    score_start: float = 0.0  # seconds into the score at the previous clip's first sample


@dataclass(frozen=True)
class SoundPlan:
    """What :func:`azur.pipeline.make_video` is asked to put under one clip: its sound, whether the video
    loops, and the clip it continues (an extension)."""

    audio: AudioSpec
    loop: bool = False
    continues: Continuation | None = None


@dataclass
class Soundtrack:
    """The mixed track and what was measured on it."""

    audio: Audio  # stereo at RATE, exactly the timeline's length
    voice_spans: list[tuple[float, float]] = field(default_factory=list)  # (start, end) s of each voice-over
    loudness_lufs: float = float("-inf")  # integrated, after the gain
    true_peak_dbtp: float = float("-inf")
    gain_db: float = 0.0  # the gain that set the loudness (where it glides, the one it ends on)
    score_start: float = 0.0  # seconds into the score at the first sample: what a continuation passes on
    parts: list[str] = field(default_factory=list)  # "voiceover", "music", "effects", "ambience", "own_sound"


def make_soundtrack(segments: Sequence[Segment], *, loop: bool = False,
                    continues: Continuation | None = None) -> Soundtrack:
    """Mix the timeline's sound. ``loop``: the video plays in a loop, so the music is fitted to its length
    and wraps round. ``continues``: the clip this timeline continues (an extension).

    Raises :class:`~azur.sound.voice.VoiceoverTooLong` (an ``InvalidRequest``) when a voice-over cannot fit
    its segment."""
    if not segments:
        raise ValueError("a soundtrack needs at least one segment")
    starts = np.concatenate([[0.0], np.cumsum([s.seconds for s in segments])])
    total = round(starts[-1] * RATE)
    lead = None
    if continues is not None:
        lead = continues.previous
        segments = [inherit_music(segments[0], lead), *segments[1:]]
    stems = _render_stems(segments, starts, total, loop=loop, score_start=continues.score_start if continues else 0.0,
                          lead=lead)
    mixed = _balance(stems, total)
    out, gain = _set_loudness(mixed)
    if continues is not None:
        # The earlier clip's gain, found the way it was found when that clip was made (its effects aside:
        # they follow a picture that is not here, and sit well under the music).
        earlier = _render_stems([continues.previous], np.array([0.0, continues.previous.seconds]),
                                round(continues.previous.seconds * RATE), loop=False,
                                score_start=continues.score_start, with_scene=False)
        before = _set_loudness(_balance(earlier, earlier.length))[1]
        glide = min(total, round(GAIN_GLIDE_SECONDS * RATE))
        curve = np.full(total, gain)
        shape = (1 - np.cos(np.linspace(0.0, np.pi, glide))) / 2  # in decibels, smooth at both ends
        curve[:glide] = 10 ** ((20 * np.log10(before) * (1 - shape) + 20 * np.log10(gain) * shape) / 20)
        out = _limit(mixed * curve)
    return Soundtrack(
        audio=Audio(out.astype(np.float32), RATE),
        voice_spans=stems.voice_spans,
        loudness_lufs=loudness(out),
        true_peak_dbtp=true_peak_dbtp(out),
        gain_db=20 * math.log10(gain) if gain > 0 else 0.0,
        score_start=score_time(segments[0], continues),
        parts=stems.parts,
    )


def loudness(stereo: np.ndarray, rate: int = RATE) -> float:
    """Integrated loudness in LUFS (-inf for silence or a clip under 0.4 s)."""
    import pyloudnorm

    if stereo.shape[-1] < 0.4 * rate or not np.any(stereo):
        return float("-inf")
    return float(pyloudnorm.Meter(rate).integrated_loudness(np.ascontiguousarray(stereo.T, dtype=np.float64)))


def true_peak_dbtp(stereo: np.ndarray) -> float:
    """The true peak in dBTP: the highest of the 4x-oversampled waveform (BS.1770's method)."""
    peaks = _true_peaks(stereo)
    peak = float(peaks.max()) if peaks.size else 0.0
    return 20 * math.log10(peak) if peak > 0 else float("-inf")


def _true_peaks(stereo: np.ndarray, block: int = 1024) -> np.ndarray:
    """Per-sample peaks of the 4x-oversampled waveform (both channels), computed only in blocks whose
    sample peak comes within 4 dB of the loudest sample: an inter-sample peak cannot rise more than that above
    its neighbours in audio like ours, and oversampling everything costs more than the whole mix."""
    from scipy.signal import resample_poly

    peaks = np.abs(stereo).max(axis=0)
    if peaks.size == 0:
        return peaks
    loud = peaks.max() * 10 ** (-4 / 20)
    margin = 32
    for first in range(0, peaks.size, block):
        if peaks[first:first + block].max() < loud:
            continue
        lo, hi = max(0, first - margin), min(peaks.size, first + block + margin)
        up = np.abs(resample_poly(stereo[:, lo:hi], 4, 1, axis=-1)).max(axis=0)
        up = up[: (hi - lo) * 4].reshape(-1, 4).max(axis=1)
        peaks[first:first + block] = np.maximum(peaks[first:first + block], up[first - lo: first - lo + block])
    return peaks


# --- stems -----------------------------------------------------------------------------------------------

@dataclass
class _Stems:
    length: int
    voice: np.ndarray
    music: np.ndarray
    effects: np.ndarray
    own: np.ndarray
    voice_spans: list[tuple[float, float]] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)


def _render_stems(segments: Sequence[Segment], starts: np.ndarray, total: int, *, loop: bool, score_start: float,
                  with_scene: bool = True, lead: Segment | None = None) -> _Stems:
    stems = _Stems(total, *(np.zeros((2, total)) for _ in range(4)))
    parts: set[str] = set()
    for segment, start in zip(segments, starts[:-1], strict=True):
        begin = round(start * RATE)
        length = min(total - begin, round(segment.seconds * RATE))
        spec = segment.audio
        if spec.voiceover is not None:
            speech = voice.speak(spec.voiceover, RATE).samples[0]
            offset = voice.placement(len(speech) / RATE, segment.seconds)
            at = begin + round(offset * RATE)
            stems.voice[:, at:at + len(speech)] += speech[: total - at]
            stems.voice_spans.append((at / RATE, (at + len(speech)) / RATE))
            parts.add("voiceover")
        if segment.own_sound is not None:
            own = _stereo(segment.own_sound, length)
            stems.own[:, begin:begin + length] += own
            parts.add("own_sound")
        elif spec.effects:  # a model that makes its own sound made its effects too
            if segment.scene is not None and with_scene:
                sound = effects.object_sound(segment.scene, length / RATE, RATE).samples
                stems.effects[:, begin:begin + length] += EFFECTS_LEVEL * sound[:, :length]
                parts.add("effects")
            elif segment.scene is None:
                bed = effects.ambience(segment.prompt, length / RATE, segment.seed, RATE)
                if bed is not None:
                    stems.effects[:, begin:begin + length] += AMBIENCE_LEVEL * bed.samples[:, :length]
                    parts.add("ambience")
    stems.music = _render_music(segments, starts, total, loop=loop, score_start=score_start, lead=lead)
    if np.any(stems.music):
        parts.add("music")
    stems.parts = [p for p in ("voiceover", "music", "effects", "ambience", "own_sound") if p in parts]
    return stems


def _render_music(segments: Sequence[Segment], starts: np.ndarray, total: int, *, loop: bool,
                  score_start: float, lead: Segment | None) -> np.ndarray:
    """The music of the timeline, (2, total). Runs of segments with the same music play one score; each run
    cross-fades into the next, centred on the join. ``lead``: a clip already delivered just before the
    timeline (an extension's source): its music is rendered too, so that it can go on, or fade out under
    the new music, which then fades in from the join itself (the sound before the join is in a file already)."""
    timeline = ([lead] if lead is not None else []) + list(segments)
    offset = round(lead.seconds * RATE) if lead is not None else 0
    if lead is not None:
        starts = np.concatenate([[0.0], lead.seconds + starts])
    out = np.zeros((2, offset + total))
    runs: list[tuple[int, int]] = []  # [first, last] segment indexes of each run
    for i, segment in enumerate(timeline):
        if runs and _music_key(timeline[runs[-1][0]]) == _music_key(segment):
            runs[-1] = (runs[-1][0], i)
        else:
            runs.append((i, i))
    fade = round(CROSSFADE_SECONDS * RATE)
    for n, (first, last) in enumerate(runs):
        segment = timeline[first]
        if segment.audio.music is None:
            continue
        seed = segment.audio.music.seed if segment.audio.music.seed is not None else segment.seed
        begin, end = starts[first], starts[last + 1]
        whole = len(runs) == 1 and loop
        score = music.compose(segment.audio.music, seed, loop_seconds=end - begin if whole else None)
        # A run sounds from its start to its end, plus half a cross-fade either side where it meets another;
        # at the join with a delivered clip the whole cross-fade comes after the join.
        at_lead = lead is not None and first == 1
        pad_before = 0.0 if n == 0 or at_lead else CROSSFADE_SECONDS / 2
        next_at_lead = lead is not None and n + 1 < len(runs) and runs[n + 1][0] == 1
        pad_after = 0.0 if n == len(runs) - 1 else CROSSFADE_SECONDS if next_at_lead else CROSSFADE_SECONDS / 2
        # The first run takes up the score where an earlier clip left it; a later one starts its own.
        from_score = score_start if n == 0 else 0.0
        audio = music.render(score, end - begin + pad_before + pad_after, start=from_score, loop=whole).samples
        at = round((begin - pad_before) * RATE)
        weight = np.ones(audio.shape[1])
        if n > 0:
            weight[:fade] = np.sin(np.linspace(0, np.pi / 2, fade)) ** 2
        if pad_after:
            weight[-fade:] = np.cos(np.linspace(0, np.pi / 2, fade)) ** 2
        lo, hi = max(0, at), min(out.shape[1], at + audio.shape[1])
        out[:, lo:hi] += MUSIC_LEVEL * (audio * weight)[:, lo - at: hi - at]
    return out[:, offset:]


def score_time(first: Segment, continues: Continuation | None) -> float:
    """Seconds into its score at the timeline's first sample: further on when it goes on from a delivered
    clip's score, else 0."""
    if continues is None or _music_key(inherit_music(first, continues.previous)) != _music_key(continues.previous):
        return 0.0
    return continues.score_start + continues.previous.seconds


def inherit_music(segment: Segment, previous: Segment) -> Segment:
    """An extension asking for the same music as its source (mood and intensity) continues the source's
    score: it takes the source's music seed rather than its own."""
    mine, theirs = segment.audio.music, previous.audio.music
    if mine is None or theirs is None or mine.seed is not None:
        return segment
    if (music.mood_of(mine.mood), mine.intensity) != (music.mood_of(theirs.mood), theirs.intensity):
        return segment
    seed = theirs.seed if theirs.seed is not None else previous.seed
    spec = AudioSpec(segment.audio.voiceover, replace(mine, seed=seed), segment.audio.effects)
    return replace(segment, audio=spec)


def _music_key(segment: Segment) -> tuple | None:
    m = segment.audio.music
    if m is None:
        return None
    return (music.mood_of(m.mood), m.intensity, m.seed if m.seed is not None else segment.seed)


def _stereo(audio: Audio, length: int) -> np.ndarray:
    samples = audio.samples.astype(np.float64)
    if audio.rate != RATE:
        from math import gcd

        from scipy.signal import resample_poly

        g = gcd(audio.rate, RATE)
        samples = resample_poly(samples, RATE // g, audio.rate // g, axis=1)
    if samples.shape[0] == 1:
        samples = np.repeat(samples, 2, axis=0)
    out = np.zeros((2, length))
    out[:, : min(length, samples.shape[1])] = samples[:, :length]
    return out


# --- mixing ----------------------------------------------------------------------------------------------

def _balance(stems: _Stems, total: int) -> np.ndarray:
    """The stems summed at their levels, music and own sound ducked under the voice."""
    voice_mono = np.abs(stems.voice).max(axis=0)
    presence = _envelope(voice_mono > 0.02, RATE)
    duck_music = 10 ** (DUCK_DB * presence / 20)
    duck_own = 10 ** (OWN_SOUND_DUCK_DB * presence / 20)
    return (VOICE_LEVEL * stems.voice + stems.music * duck_music + stems.own * duck_own + stems.effects)[:, :total]


def _envelope(active: np.ndarray, rate: int) -> np.ndarray:
    """0..1, following ``active`` with an attack and a release (a gate smoothed as a compressor would).
    Words have short gaps between them: the hold bridges those, so the music does not pump."""
    from scipy.ndimage import maximum_filter1d
    from scipy.signal import lfilter

    held = maximum_filter1d(active.astype(np.float64), size=max(1, round(0.25 * rate)))
    a = math.exp(-1 / (DUCK_ATTACK_SECONDS * rate))
    rising = lfilter([1 - a], [1, -a], held)
    b = math.exp(-1 / (DUCK_RELEASE_SECONDS * rate))
    # The release runs backwards too, so the music dips just *before* the first word, not on it.
    return np.maximum(rising, lfilter([1 - b], [1, -b], held[::-1])[::-1] * 0.999)


def _set_loudness(mixed: np.ndarray) -> tuple[np.ndarray, float]:
    """``mixed`` at TARGET_LUFS under the ceiling, and the gain that took it there. The limiter takes a
    little off the loudest moments, so a second pass puts the loudness back on target."""
    gain = _loudness_gain(mixed)
    out = _limit(mixed * gain)
    correction = _loudness_gain(out)
    if 0.8 < correction < 1.25 and abs(correction - 1) > 1e-3:
        gain *= correction
        out = _limit(mixed * gain)
    return out, gain


def _loudness_gain(stereo: np.ndarray) -> float:
    level = loudness(stereo)
    if not math.isfinite(level):
        return 1.0
    return 10 ** ((TARGET_LUFS - level) / 20)


def _limit(stereo: np.ndarray) -> np.ndarray:
    """A look-ahead peak limiter: the gain only ever goes down where a peak needs it, ramping over a few
    milliseconds either side, so it neither clicks nor pumps. It works on sample peaks, with half a decibel
    more room than the true-peak ceiling; a second pass on 4x-oversampled peaks runs only in the rare case
    where the true peak still goes over."""
    out = _limit_peaks(stereo, np.abs(stereo).max(axis=0), CEILING_DBTP - 0.5)
    peaks = _true_peaks(out)
    if peaks.size and 20 * math.log10(max(float(peaks.max()), 1e-12)) > CEILING_DBTP - 0.2:  # room for AAC
        out = _limit_peaks(out, peaks, CEILING_DBTP - 0.5)
    return out


def _limit_peaks(stereo: np.ndarray, peaks: np.ndarray, ceiling_db: float) -> np.ndarray:
    ceiling = 10 ** (ceiling_db / 20)
    needed = np.minimum(1.0, ceiling / np.maximum(peaks, 1e-9))
    if needed.min() >= 1.0:
        return stereo
    from scipy.ndimage import minimum_filter1d, uniform_filter1d

    width = round(0.004 * RATE)  # 4 ms either side
    gain = minimum_filter1d(needed, size=2 * width + 1)
    gain = uniform_filter1d(gain, size=width + 1)  # every average stays below what each sample needs
    return stereo * gain
