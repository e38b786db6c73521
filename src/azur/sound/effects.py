"""Sound effects from the picture.

For a clip whose backend says where its object is (:class:`~azur.engine.backend.ObjectPath`, the embedded
model), the object gets a voice that follows it: pitch rises with its height in the frame, it pans with its
horizontal position, grows louder with its size, breathes a little air with its speed, and an accent (a short
struck note) marks each moment its motion changes. For other clips, a soft ambience from the prompt's words
("rain", "mer", "forest", ...), or nothing when no word calls for one.

Effects belong to one clip: they fade in and out over ``EDGE_FADE_SECONDS`` at its edges, so a clip that
continues another (an extension) starts its own without a click.
"""

from __future__ import annotations

import math
import unicodedata
import zlib

import numpy as np
from scipy.signal import lfilter

from azur.engine.backend import ObjectPath
from azur.media.audio import Audio

EDGE_FADE_SECONDS = 0.03
LOWEST_HZ, OCTAVES = 196.0, 2.0  # the bottom of the frame sounds G3, the top two octaves higher
# An accent when the object's acceleration is this many times its median speed (per second), at most one
# every ACCENT_GAP seconds.
ACCENT_RATIO, ACCENT_GAP = 6.0, 0.25

# Ambience by word (normalised: lowercase, no accents).
AMBIENCE_WORDS = {
    "rain": "rain", "raining": "rain", "rainy": "rain", "storm": "rain", "pluie": "rain", "orage": "rain",
    "pleut": "rain",
    "sea": "sea", "ocean": "sea", "wave": "sea", "waves": "sea", "beach": "sea", "mer": "sea",
    "vague": "sea", "vagues": "sea", "plage": "sea",
    "wind": "wind", "windy": "wind", "desert": "wind", "mountain": "wind", "vent": "wind", "montagne": "wind",
    "forest": "forest", "bird": "forest", "birds": "forest", "garden": "forest", "park": "forest",
    "foret": "forest", "oiseau": "forest", "oiseaux": "forest", "jardin": "forest", "parc": "forest",
    "city": "city", "street": "city", "traffic": "city", "ville": "city", "rue": "city", "trafic": "city",
    "fire": "fire", "campfire": "fire", "fireplace": "fire", "feu": "fire", "cheminee": "fire",
}


def object_sound(path: ObjectPath, seconds: float, rate: int = 48000) -> Audio:
    """Stereo sound that follows ``path`` for ``seconds`` at ``rate``."""
    total = round(seconds * rate)
    frame_times = np.arange(len(path.x)) / path.fps
    t = np.arange(total) / rate
    x = np.interp(t, frame_times, path.x)
    y = np.interp(t, frame_times, path.y)
    size = np.interp(t, frame_times, path.size)

    # 1. The object's tone: height -> pitch (on a continuous scale, so a slow rise glides), a phase that
    #    accumulates so a changing pitch never jumps.
    freq = LOWEST_HZ * 2.0 ** (OCTAVES * np.clip(1.0 - y, 0.0, 1.0))
    phase = 2 * np.pi * np.cumsum(freq) / rate
    tone = np.sin(phase) + 0.3 * np.sin(2 * phase) + 0.1 * np.sin(3 * phase + 0.5)
    tremolo = 1.0 + 0.15 * np.sin(2 * np.pi * 4.5 * t)  # a slow shimmer: a held sine sounds like a test tone
    level = 0.18 * np.clip(size / 0.15, 0.25, 1.6)  # 0.15 of the short side: a middling object
    # 2. Air with speed: noise, low-passed, as loud as the object moves fast.
    velocity = _velocity(path)
    speed = np.interp(t, frame_times, np.hypot(velocity[:, 0], velocity[:, 1]))
    noise = _lowpass(np.random.default_rng(_seed(path)).standard_normal(total), 1500.0, rate)
    air = 0.3 * noise * np.clip(speed / 0.5, 0.0, 1.0)  # half a frame a second: a brisk crossing
    mono = level * (tone * tremolo + air)
    # 3. Accents where the motion changes, at the pitch the object has there.
    for when in accent_times(path):
        start = round(when * rate)
        length = min(total - start, round(0.35 * rate))
        if length <= 0:
            continue
        local = np.arange(length) / rate
        pitch = freq[start] * 2
        strike = (np.sin(2 * np.pi * pitch * local) + 0.4 * np.sin(2 * np.pi * pitch * 2.76 * local))
        mono[start:start + length] += 0.3 * strike * np.exp(-local / 0.08)
    left, right = _pan(np.clip(x, 0.0, 1.0))
    stereo = np.stack([mono * left, mono * right])
    return Audio(_fade_edges(stereo, rate).astype(np.float32), rate)


def accent_times(path: ObjectPath) -> list[float]:
    """Seconds at which the object's motion changes (it starts, stops, turns or swerves)."""
    if len(path.x) < 4:
        return []
    velocity = _velocity(path)
    acceleration = np.hypot(*np.diff(velocity, axis=0).T) * path.fps
    speed = np.hypot(velocity[:, 0], velocity[:, 1])
    floor = max(float(np.median(speed)), 0.05)  # a still object must not tick on every pixel of jitter
    times: list[float] = []
    for i in np.argsort(-acceleration):
        if acceleration[i] < ACCENT_RATIO * floor:
            break
        when = (i + 1) / path.fps
        if all(abs(when - other) >= ACCENT_GAP for other in times):
            times.append(when)
    return sorted(times)


def ambience(prompt: str, seconds: float, seed: int, rate: int = 48000) -> Audio | None:
    """A soft bed of sound for the first ambience the prompt's words call for, or None."""
    kind = ambience_kind(prompt)
    if kind is None:
        return None
    total = round(seconds * rate)
    rng = np.random.default_rng([seed & 0xFFFFFFFF, zlib.crc32(kind.encode())])
    t = np.arange(total) / rate
    noise = rng.standard_normal((2, total))
    if kind == "rain":
        bed = _highpass(noise, 1200.0, rate) * 0.35
        drops = (rng.random((2, total)) < 40 / rate) * rng.uniform(0.2, 0.6, (2, total))
        bed += _lowpass(drops, 4000.0, rate) * 4
    elif kind == "sea":
        swell = 0.55 + 0.45 * np.sin(2 * np.pi * t / 7.0 + rng.uniform(0, 6.3))
        bed = _lowpass(noise, 700.0, rate) * swell
    elif kind == "wind":
        gust = 0.6 + 0.4 * np.sin(2 * np.pi * t / 5.0) * np.sin(2 * np.pi * t / 2.3 + 1.0)
        bed = _lowpass(noise, 450.0, rate) * gust * 1.3
    elif kind == "forest":
        bed = _lowpass(noise, 2500.0, rate) * 0.12
        for _ in range(max(1, round(seconds * 0.8))):  # a bird's chirp now and then
            start = int(rng.integers(0, max(1, total - rate // 4)))
            local = np.arange(min(rate // 5, total - start)) / rate
            chirp = np.sin(2 * np.pi * (2800 + 1800 * local / 0.2) * local) * np.sin(np.pi * local / 0.2)
            bed[int(rng.integers(0, 2)), start:start + len(local)] += 0.25 * chirp
    elif kind == "city":
        bed = _lowpass(noise, 250.0, rate) * 1.4 + _lowpass(noise[::-1], 1800.0, rate) * 0.08
    else:  # fire
        bed = _lowpass(noise, 900.0, rate) * 0.35
        crackle = (rng.random((2, total)) < 25 / rate) * rng.uniform(0.3, 1.0, (2, total))
        bed += _highpass(crackle, 2000.0, rate) * 2
    return Audio(_fade_edges(0.12 * bed, rate).astype(np.float32), rate)


def ambience_kind(prompt: str) -> str | None:
    for word in _words(prompt):
        if word in AMBIENCE_WORDS:
            return AMBIENCE_WORDS[word]
    return None


def _words(text: str) -> list[str]:
    plain = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(c if c.isalnum() else " " for c in plain if not unicodedata.combining(c))
    return plain.split()


def _velocity(path: ObjectPath) -> np.ndarray:
    """(N, 2) frame widths a second, smoothed over a few frames (the path has sub-pixel jitter)."""
    points = np.stack([path.x, path.y], axis=1).astype(np.float64)
    if len(points) < 2:
        return np.zeros_like(points)
    velocity = np.gradient(points, axis=0) * path.fps
    from scipy.ndimage import uniform_filter1d

    return uniform_filter1d(velocity, size=max(1, path.fps // 8), axis=0, mode="nearest")


def _pan(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Equal-power gains for a position from 0 (left) to 1 (right)."""
    angle = x * math.pi / 2
    return np.cos(angle) * math.sqrt(2), np.sin(angle) * math.sqrt(2)


def _fade_edges(stereo: np.ndarray, rate: int) -> np.ndarray:
    fade = min(stereo.shape[-1] // 2, round(EDGE_FADE_SECONDS * rate))
    if fade > 0:
        ramp = np.linspace(0.0, 1.0, fade)
        stereo[..., :fade] *= ramp
        stereo[..., -fade:] *= ramp[::-1]
    return stereo


def _lowpass(x: np.ndarray, cutoff: float, rate: int) -> np.ndarray:
    a = math.exp(-2 * math.pi * cutoff / rate)  # one pole: gentle, cheap, and never rings
    return lfilter([1 - a], [1, -a], x, axis=-1)


def _highpass(x: np.ndarray, cutoff: float, rate: int) -> np.ndarray:
    return x - _lowpass(x, cutoff, rate)


def _seed(path: ObjectPath) -> int:
    return zlib.crc32(np.ascontiguousarray(path.x[:8], dtype=np.float32).tobytes())
