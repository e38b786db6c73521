"""Music, made by Azur from the seed and a mood word: a small generative score, no samples, no recordings.

A mood (``MOODS``; French names in ``MOOD_NAMES``) gives a mode, a tempo range, chord progressions and
instrument colours; the seed picks the key, the tempo within the range, the progression and the melody.
The score is a function of time measured in beats from the score's start, so a clip that continues another
(an extension) renders the same score further on and the join is seamless; :func:`render` takes the start
time for that reason.

Instruments are wavetables (one cycle of a few harmonics) under an envelope, so a note costs a handful of
numpy operations per sample however rich its timbre. Loop-aware: with ``loop=True`` the tempo is nudged so
the clip holds a whole number of beats, and notes ringing past the end wrap round to the start, so the last
sample flows into the first.
"""

from __future__ import annotations

import math
import unicodedata
import zlib
from dataclasses import dataclass

import numpy as np

from azur.media.audio import Audio
from azur.sound.spec import Music


@dataclass(frozen=True)
class Mood:
    scale: tuple[int, ...]  # semitones of the mode above the key's root
    tempo: tuple[int, int]  # beats a minute, low and high
    progressions: tuple[tuple[int, ...], ...]  # chord roots as scale degrees (0-based), one chord a bar
    colours: tuple[str, ...]  # instruments, see INSTRUMENTS: pad and bass lines, then the melody's
    register: int  # the melody's lowest MIDI note
    drums: bool  # a soft kick and hat when the intensity is above one half


MAJOR = (0, 2, 4, 5, 7, 9, 11)
MINOR = (0, 2, 3, 5, 7, 8, 10)
DORIAN = (0, 2, 3, 5, 7, 9, 10)
LYDIAN = (0, 2, 4, 6, 7, 9, 11)
MIXOLYDIAN = (0, 2, 4, 5, 7, 9, 10)

MOODS: dict[str, Mood] = {
    "calm": Mood(MAJOR, (68, 82), ((0, 4, 5, 3), (0, 5, 3, 4), (0, 3, 0, 4)), ("pad", "bass", "piano"), 64, False),
    "happy": Mood(MAJOR, (108, 126), ((0, 4, 5, 3), (0, 3, 4, 4), (0, 5, 1, 4)), ("pad", "bass", "pluck"), 67, True),
    "sad": Mood(MINOR, (58, 70), ((0, 5, 2, 6), (0, 3, 5, 4), (0, 6, 5, 4)), ("pad", "bass", "piano"), 62, False),
    "epic": Mood(MINOR, (84, 100), ((0, 5, 2, 6), (0, 6, 5, 6)), ("strings", "bass", "brass"), 62, True),
    "tense": Mood(MINOR, (92, 108), ((0, 0, 5, 4), (0, 1, 0, 6)), ("drone", "bass", "pulse"), 60, True),
    "dreamy": Mood(LYDIAN, (64, 78), ((0, 1, 0, 4), (0, 4, 1, 5)), ("pad", "bass", "bell"), 69, False),
    "playful": Mood(MIXOLYDIAN, (116, 132), ((0, 6, 3, 0), (0, 3, 4, 0)), ("pad", "bass", "marimba"), 67, True),
    "dark": Mood(DORIAN, (60, 74), ((0, 0, 6, 5), (0, 2, 0, 6)), ("drone", "bass", "bell"), 57, False),
}
# French names (and feminine forms), accents optional.
MOOD_NAMES = {
    **{name: name for name in MOODS},
    "calme": "calm", "paisible": "calm", "joyeux": "happy", "joyeuse": "happy", "gai": "happy", "gaie": "happy",
    "triste": "sad", "melancolique": "sad", "epique": "epic", "tendu": "tense", "tendue": "tense",
    "reveur": "dreamy", "reveuse": "dreamy", "ludique": "playful", "enjoue": "playful", "enjouee": "playful",
    "sombre": "dark",
}

# Instruments: harmonic amplitudes of the wavetable, then attack, decay (time constant, s; 0: sustained),
# release (s), level and stereo position (-1 left .. 1 right).
@dataclass(frozen=True)
class Instrument:
    harmonics: tuple[float, ...]
    attack: float
    decay: float
    release: float
    level: float
    pan: float


INSTRUMENTS = {
    "pad": Instrument((1, 0.45, 0.25, 0.12, 0.06), 0.35, 0.0, 0.6, 0.22, 0.0),
    "drone": Instrument((1, 0.6, 0.3, 0.2, 0.1, 0.05), 0.8, 0.0, 1.0, 0.2, 0.0),
    "strings": Instrument((1, 0.5, 0.33, 0.25, 0.2, 0.16, 0.12), 0.25, 0.0, 0.4, 0.2, -0.2),
    "bass": Instrument((1, 0.35, 0.12), 0.01, 0.9, 0.12, 0.38, 0.0),
    "piano": Instrument((1, 0.4, 0.18, 0.08, 0.04), 0.005, 0.8, 0.25, 0.3, 0.25),
    "pluck": Instrument((1, 0.6, 0.4, 0.25, 0.15, 0.1), 0.003, 0.25, 0.08, 0.3, 0.3),
    "bell": Instrument((1, 0.0, 0.3, 0.0, 0.15, 0.0, 0.0, 0.08), 0.004, 1.1, 0.3, 0.22, 0.35),
    "marimba": Instrument((1, 0.0, 0.0, 0.25, 0.0, 0.0, 0.0, 0.0, 0.0, 0.08), 0.002, 0.22, 0.06, 0.33, 0.3),
    "brass": Instrument((1, 0.8, 0.6, 0.45, 0.3, 0.2), 0.06, 0.0, 0.2, 0.2, 0.2),
    "pulse": Instrument((1, 0.0, 0.33, 0.0, 0.2, 0.0, 0.14), 0.004, 0.12, 0.05, 0.22, 0.3),
}
_TABLE_SIZE = 4096
BEATS_PER_BAR = 4
FADE_IN_SECONDS = 0.02  # at the very start of a score: its first note must not click


def mood_of(word: str) -> str | None:
    """The mood a word names (English or French, any case, accents optional), None if unknown."""
    key = unicodedata.normalize("NFKD", word.strip().lower())
    key = "".join(c for c in key if not unicodedata.combining(c))
    return MOOD_NAMES.get(key)


@dataclass(frozen=True)
class Score:
    """The choices the seed made: where every note of the score comes from."""

    mood: Mood
    intensity: float
    seed: int
    root: int  # MIDI note of the key's root, in the bass octave
    tempo: float  # beats a minute
    progression: tuple[int, ...]

    @property
    def beat_seconds(self) -> float:
        return 60.0 / self.tempo


def compose(music: Music, seed: int, *, loop_seconds: float | None = None) -> Score:
    """The score for ``music`` at ``seed``. ``loop_seconds``: the tempo is nudged (by at most half a beat per
    clip) so that a clip that long holds a whole number of beats."""
    mood_name = mood_of(music.mood)
    if mood_name is None:
        raise ValueError(f"unknown mood {music.mood!r}")
    mood = MOODS[mood_name]
    rng = _rng(seed, mood_name, "score")
    root = 36 + int(rng.integers(0, 12))  # C2 .. B2
    tempo = float(rng.uniform(*mood.tempo))
    if loop_seconds is not None:
        beats = max(1, round(loop_seconds * tempo / 60))
        tempo = beats * 60 / loop_seconds
    progression = mood.progressions[int(rng.integers(0, len(mood.progressions)))]
    return Score(mood, float(music.intensity), int(seed), root, tempo, progression)


def render(score: Score, seconds: float, *, start: float = 0.0, rate: int = 48000, loop: bool = False) -> Audio:
    """``seconds`` of the score from ``start`` seconds into it, stereo at ``rate``.

    A note that began before ``start`` is rendered from where it is, so ``render(s, 4, start=6)`` continues
    ``render(s, 6)`` sample for sample. ``loop``: notes ringing past the end wrap round to the beginning."""
    total = round(seconds * rate)
    out = np.zeros((2, total), dtype=np.float64)
    end = start + seconds
    for note in _notes(score, start, end + 4.0 if loop else end):
        _add_note(out, note, start, rate, loop)
    if start == 0.0 and not loop:
        fade = min(total, round(FADE_IN_SECONDS * rate))
        out[:, :fade] *= np.linspace(0.0, 1.0, fade)
    return Audio(out.astype(np.float32), rate)


@dataclass(frozen=True)
class _Note:
    time: float  # seconds from the score's start
    length: float  # held for, before the release
    midi: float
    velocity: float
    instrument: str


def _notes(score: Score, start: float, end: float) -> list[_Note]:
    """Every note sounding between ``start`` and ``end`` seconds (with its release)."""
    beat = score.beat_seconds
    bar_seconds = beat * BEATS_PER_BAR
    longest_ring = 4.0  # a note's decay and release never last longer than this
    first_bar = max(0, math.floor((start - longest_ring) / bar_seconds))
    last_bar = math.ceil(end / bar_seconds)
    pad, bass, lead = score.mood.colours
    scale = score.mood.scale
    notes: list[_Note] = []
    for bar in range(first_bar, last_bar + 1):
        t0 = bar * bar_seconds
        degree = score.progression[bar % len(score.progression)]
        chord = [_pitch(score, degree + step) for step in (0, 2, 4)]
        # Harmony: the chord held for the bar, an octave and a half above the bass.
        for pitch in chord:
            notes.append(_Note(t0, bar_seconds, pitch + 12, 0.8, pad))
        # Bass: the root on the first beat, and on the third when the music is busier.
        bass_beats = (0, 2) if score.intensity >= 0.35 else (0,)
        for b in bass_beats:
            held = beat * (2 if len(bass_beats) == 2 else 4) * 0.9
            notes.append(_Note(t0 + b * beat, held, chord[0] - 12, 0.9 if b == 0 else 0.7, bass))
        # Melody: each phrase (4 bars) draws its rhythm and contour from its own generator, so any bar is
        # the same whenever it is rendered.
        rng = _rng(score.seed, str(bar // 4), "phrase", str(bar % 4))
        slots = 8  # eighth notes
        density = 0.2 + 0.55 * score.intensity
        position = int(rng.integers(0, 5))  # index in the chord-and-scale ladder
        ladder = _ladder(score, degree, scale)
        for slot in range(slots):
            play = rng.random() < (density if slot % 2 else min(1.0, density + 0.25))
            step = int(rng.integers(-2, 3))
            if not play:
                continue
            position = int(np.clip(position + step, 0, len(ladder) - 1))
            length = beat / 2 * (1.0 + float(rng.random()))
            notes.append(_Note(t0 + slot * beat / 2, length, ladder[position], 0.55 + 0.35 * float(rng.random()), lead))
        if score.mood.drums and score.intensity > 0.5:
            for b in range(BEATS_PER_BAR):
                if b % 2 == 0:
                    notes.append(_Note(t0 + b * beat, 0.0, 0.0, 0.9, "kick"))
                notes.append(_Note(t0 + b * beat + beat / 2, 0.0, 0.0, 0.45, "hat"))
    return [n for n in notes if n.time < end and n.time + n.length + longest_ring > start]


def _pitch(score: Score, degree: int) -> float:
    scale = score.mood.scale
    octave, index = divmod(degree, len(scale))
    return score.root + 12 + 12 * octave + scale[index]


def _ladder(score: Score, degree: int, scale: tuple[int, ...]) -> list[float]:
    """Melody notes over a chord: the scale's notes from the mood's register, two octaves, chord tones
    doubled so the line leans on the harmony."""
    low = score.mood.register
    notes = []
    for octave in range(2):
        for d in range(len(scale)):
            pitch = _pitch(score, d) + 12 * (octave + 1)
            while pitch < low:
                pitch += 12
            notes.append(pitch)
            if (d - degree) % len(scale) in (0, 2, 4):
                notes.append(pitch)
    return sorted(notes)


def _add_note(out: np.ndarray, note: _Note, start: float, rate: int, loop: bool) -> None:
    total = out.shape[1]
    if note.instrument in ("kick", "hat"):
        wave = _drum(note, rate)
        pan = 0.0 if note.instrument == "kick" else -0.25
    else:
        instrument = INSTRUMENTS[note.instrument]
        length = note.length + instrument.release
        count = max(1, round(length * rate))
        t = np.arange(count) / rate
        freq = 440.0 * 2 ** ((note.midi - 69) / 12)
        wave = _table(instrument.harmonics)[(np.floor(t * freq * _TABLE_SIZE).astype(np.int64)) % _TABLE_SIZE]
        envelope = np.minimum(1.0, t / instrument.attack)
        if instrument.decay > 0:
            envelope *= np.exp(-t / instrument.decay)
        held = round(note.length * rate)
        if held < count:
            envelope[held:] *= np.exp(-(t[held:] - note.length) / max(1e-3, instrument.release / 4))
            envelope[-min(count, 64):] *= np.linspace(1.0, 0.0, min(count, 64))
        wave = wave * envelope * instrument.level * note.velocity
        pan = instrument.pan
    offset = round((note.time - start) * rate)
    left, right = math.cos((pan + 1) * math.pi / 4), math.sin((pan + 1) * math.pi / 4)
    _place(out, wave, offset, (left * math.sqrt(2), right * math.sqrt(2)), total, loop)


def _place(out: np.ndarray, wave: np.ndarray, offset: int, gains: tuple[float, float], total: int, loop: bool) -> None:
    begin, end = offset, offset + len(wave)
    if loop:  # wrap the part past the end (or before the start) round the loop
        for shift in range(begin // total * total, end, total):
            a, b = max(begin, shift), min(end, shift + total)
            if a < b:
                out[0, a - shift: b - shift] += gains[0] * wave[a - begin: b - begin]
                out[1, a - shift: b - shift] += gains[1] * wave[a - begin: b - begin]
        return
    a, b = max(begin, 0), min(end, total)
    if a < b:
        out[0, a:b] += gains[0] * wave[a - begin: b - begin]
        out[1, a:b] += gains[1] * wave[a - begin: b - begin]


def _drum(note: _Note, rate: int) -> np.ndarray:
    if note.instrument == "kick":
        t = np.arange(round(0.25 * rate)) / rate
        phase = 2 * np.pi * (45 * t + 60 * 0.04 * (1 - np.exp(-t / 0.04)))  # a pitch falling 105 -> 45 Hz
        return 0.55 * note.velocity * np.sin(phase) * np.exp(-t / 0.09)
    count = round(0.06 * rate)
    noise = _rng(count, "hat").standard_normal(count)
    noise = np.diff(noise, prepend=0.0)  # a crude high-pass: a hat is all top end
    return 0.06 * note.velocity * noise * np.exp(-np.arange(count) / (0.012 * rate))


_tables: dict[tuple[float, ...], np.ndarray] = {}


def _table(harmonics: tuple[float, ...]) -> np.ndarray:
    if harmonics not in _tables:
        phase = np.arange(_TABLE_SIZE) / _TABLE_SIZE * 2 * np.pi
        table = sum(a * np.sin((k + 1) * phase) for k, a in enumerate(harmonics) if a)
        _tables[harmonics] = table / np.abs(table).max()
    return _tables[harmonics]


def _rng(seed: int, *words: str | int) -> np.random.Generator:
    """A generator for one decision of the score: stable across runs, machines and numpy versions."""
    key = zlib.crc32("/".join(str(w) for w in words).encode())
    return np.random.Generator(np.random.PCG64([int(seed) & 0xFFFFFFFF, int(seed) >> 32 & 0xFFFFFFFF, key]))
