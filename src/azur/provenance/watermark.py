"""Azur's invisible video watermark: a faint keyed luma pattern, the same in every frame, read back by voting.

Why a scheme of our own (measured: the project's FACTS.md, "Invisible watermark"): the libraries at hand cost
~0.2 s per 720p frame or live in the chroma planes that 4:2:0 subsampling destroys. Video gives us something images do
not: many frames of one picture. So the mark is

* **static and smooth**: a grid of ``GRID x GRID`` cells laid over the *whole* frame (cells are relative to the
  frame size, so a downscale does not move them), each cell pushed up or down by a few luma levels, blended
  bilinearly from cell to cell so there are no block edges. A static pattern does not flicker and H.264
  P-frames carry it over from the key frames for free.
* **cheap**: per frame it is two in-place uint8 additions of a precomputed plane to the Y plane, done inside
  :class:`~azur.media.encode.VideoWriter`; every ``REFRESH_FRAMES`` frames the plane is recomputed for the
  picture (informed embedding, below). About 2 ms per 720p frame in all, against ~25 ms to encode it.
* **informed**: the embedder looks at the picture as the reader will and strengthens the cells whose own
  texture works against the mark (up to ``MAX_STRENGTH``, where texture hides it); plain areas stay faint
  (PSNR ~42 dB on flat scenes).
* **read by voting**: the reader averages a high-passed, clipped luma of many frames (moving content averages
  out, the mark adds up), finds the grid by correlating with a keyed sync pattern over a small search of crop
  scale and offset (FFT), then reads each payload bit as the signed sum of its cells spread over the frame.
* **strict**: a payload is reported only when the sync peak stands well out of the correlation noise *and* the
  decoded bits pass a CRC-16. A video Azur did not make would have to beat both (about 1 in 10^9 or less).

The pattern key is the same for every Azur installation (any installation can check any Azur video); the
payload says which installation made it (a 16-bit tag of its id) and which video (the first 40 bits of the
video id). The key is public, so this is a label that survives re-uploads, not a secret: someone who knows the
scheme can subtract it. C2PA signatures are the tamper-evident part.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from PIL import Image

SCHEME = "azur-wm-1"
GRID = 32  # cells across and down the frame, whatever its size and aspect
WORK = 256  # the reader works on frames resized to WORK x WORK (8 pixels per cell)
STRENGTH = 2.5  # peak luma change, in 8-bit video levels (16..235), at the centre of a cell, on plain areas
MAX_STRENGTH = 10.0  # the most a cell gets where the picture's texture works against it (and hides it)
REFRESH_FRAMES = 8  # how often the embedder re-reads the picture to adapt the cell amplitudes
SYNC_CELLS = 320  # cells carrying the known sync pattern; the others carry payload bits
INSTALLATION_BITS = 16
VIDEO_BITS = 40
CRC_BITS = 16
PAYLOAD_BITS = INSTALLATION_BITS + VIDEO_BITS + CRC_BITS
# Crop search: the visible part of the original frame, per axis (1.0 = not cropped; 0.91 = 9% cropped away).
SCALES = (1.0, 0.97, 0.94, 0.91)
# Decision thresholds. The sync peak's z-score is measured against the whole correlation surface; foreign
# clips stayed at or below 4.1 in bench/watermark.py (100 clips). The CRC is the second, independent gate.
SYNC_THRESHOLD = 7.0
MAX_FRAMES = 96  # frames read for a verdict (evenly spread over the video)
_HIGHPASS_RADIUS = 12  # box blur radius (work pixels) removed from each frame: keeps cell-scale detail
_RESIDUAL_CLIP = 6.0  # clip of the per-frame residual, so that strong edges do not swamp the vote
_FULL_RANGE = 255.0 / 219.0  # the reader sees full-range grey; the encoder's Y plane is limited range


@dataclass(frozen=True)
class WatermarkPayload:
    """What the mark carries: the installation tag (16 bits) and the video reference (40 bits, 10 hex)."""

    installation_tag: int
    video_ref: str  # the first 10 lowercase hex digits of the video id ("video_" + 32 hex)

    @classmethod
    def for_video(cls, installation_id: str, video_id: str) -> WatermarkPayload:
        return cls(installation_tag(installation_id), video_ref(video_id))

    def bits(self) -> np.ndarray:
        value = (self.installation_tag << VIDEO_BITS) | int(self.video_ref, 16)
        data = _int_to_bits(value, INSTALLATION_BITS + VIDEO_BITS)
        return np.concatenate([data, _int_to_bits(_crc16(data), CRC_BITS)])

    @property
    def text(self) -> str:
        return f"{self.installation_tag:04x}:{self.video_ref}"


def installation_tag(installation_id: str) -> int:
    """The 16-bit tag of an installation id, as carried in the watermark."""
    return int.from_bytes(hashlib.sha256(f"azur-installation:{installation_id}".encode()).digest()[:2], "big")


def video_ref(video_id: str) -> str:
    """The part of a video id the watermark carries: the first 10 hex digits after ``video_``."""
    hex_part = video_id.removeprefix("video_").lower()
    ref = hex_part[: VIDEO_BITS // 4]
    if len(ref) != VIDEO_BITS // 4 or any(c not in "0123456789abcdef" for c in ref):
        raise ValueError(f"Video id '{video_id}' is not 'video_' followed by hex digits")
    return ref


# --- The keyed layout ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Layout:
    chips: np.ndarray  # (GRID, GRID) of +-1: the keyed spreading sign of each cell
    bit_of_cell: np.ndarray  # (GRID, GRID) int: payload bit index, or -1 for a sync cell
    scramble: np.ndarray  # (PAYLOAD_BITS,) 0/1 XORed onto the payload so that no payload is all zeros


@lru_cache(maxsize=1)
def _layout() -> _Layout:
    seed = int.from_bytes(hashlib.sha256(SCHEME.encode()).digest()[:8], "big")
    rng = np.random.default_rng(seed)
    chips = rng.choice(np.array([-1.0, 1.0], np.float32), size=(GRID, GRID))
    order = rng.permutation(GRID * GRID)  # cells in a keyed order: sync first, then bits round-robin
    bit_of_cell = np.full(GRID * GRID, -1, np.int64)
    payload_cells = order[SYNC_CELLS:]
    bit_of_cell[payload_cells] = np.arange(payload_cells.size) % PAYLOAD_BITS
    scramble = rng.integers(0, 2, PAYLOAD_BITS).astype(np.uint8)
    return _Layout(chips, bit_of_cell.reshape(GRID, GRID), scramble)


def _cell_values(payload: WatermarkPayload) -> np.ndarray:
    """The +-1 value of every cell for ``payload``."""
    layout = _layout()
    symbols = 1.0 - 2.0 * (payload.bits() ^ layout.scramble).astype(np.float32)  # bit 0 -> +1, 1 -> -1
    signs = np.where(layout.bit_of_cell < 0, 1.0, symbols[np.maximum(layout.bit_of_cell, 0)])
    return (layout.chips * signs).astype(np.float32)


def _upsample(grid: np.ndarray, width: int, height: int) -> np.ndarray:
    """Bilinear blend of cell values (at cell centres) over a width x height picture."""
    return np.asarray(Image.fromarray(grid.astype(np.float32), mode="F").resize((width, height), Image.BILINEAR))


# --- Embedding -----------------------------------------------------------------------------------------------


class WatermarkEmbedder:
    """Adds the mark for one payload to the frames of one video. Build once per video; call per frame.

    ``apply_luma(y)`` changes a uint8 Y plane (limited range, as the encoder's yuv420p frame holds it) in place.

    The embedding is *informed*: every ``REFRESH_FRAMES`` frames it looks at the picture the way the reader
    will (high-passed luma sampled per cell) and raises the amplitude of the cells where the picture's own
    texture pushes against the mark, up to ``MAX_STRENGTH``. Plain areas get ``STRENGTH``; only textured
    areas, where the texture masks it, get more. Without this a static textured shot hides the mark.
    """

    def __init__(self, payload: WatermarkPayload, width: int, height: int, strength: float = STRENGTH):
        self.payload = payload
        self.width, self.height = width, height
        self.strength = strength
        self._signs = _cell_values(payload)
        self._frames = 0
        self._set_amplitudes(np.full((GRID, GRID), strength, np.float32))

    def _set_amplitudes(self, amplitude: np.ndarray) -> None:
        pattern = np.rint(_upsample(self._signs * amplitude, self.width, self.height))
        # Two uint8 planes, so that a frame costs two in-place ops: limited-range luma lives in 16..235 and the
        # change is at most MAX_STRENGTH levels, so after the clip below nothing can wrap around.
        self._plus = np.clip(pattern, 0, 255).astype(np.uint8)
        self._minus = np.clip(-pattern, 0, 255).astype(np.uint8)

    def _adapt(self, y: np.ndarray) -> None:
        """Per-cell amplitudes that give every cell at least the reader's margin on this picture."""
        work = np.asarray(Image.fromarray(np.ascontiguousarray(y)).resize((WORK, WORK), Image.BOX), np.float32)
        host = _cell_samples(_residual(work * _FULL_RANGE))
        target = _unit_gain() * self.strength * _FULL_RANGE
        needed = (target - self._signs * host) / (_unit_gain() * _FULL_RANGE)
        self._set_amplitudes(np.clip(needed, self.strength, MAX_STRENGTH).astype(np.float32))

    def apply_luma(self, y: np.ndarray) -> None:
        if y.shape != self._plus.shape:
            raise ValueError(f"expected a {self.height}x{self.width} luma plane, got {y.shape}")
        if self._frames % REFRESH_FRAMES == 0:
            self._adapt(y)
        self._frames += 1
        # Keep the no-wrap promise for sources outside limited range (full-range input, synthetic tests).
        np.clip(y, 16, 235, out=y)
        np.add(y, self._plus, out=y)
        np.subtract(y, self._minus, out=y)


# --- Reading -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WatermarkReading:
    """What the reader found. ``payload`` is set only when the sync peak and the CRC both pass."""

    found: bool
    payload: WatermarkPayload | None
    sync_score: float  # z-score of the sync correlation peak (foreign videos measured: <= 4.1)
    frames_read: int
    crop: tuple[float, float, float, float] | None = None  # x0, y0, width, height of the visible part
    bit_margin: float = 0.0  # weakest |soft bit| / mean |soft bit|: near 0, a bit nearly flipped

    def to_dict(self) -> dict:
        return {
            "scheme": SCHEME,
            "found": self.found,
            "installation_tag": f"{self.payload.installation_tag:04x}" if self.payload else None,
            "video_ref": self.payload.video_ref if self.payload else None,
            "sync_score": round(self.sync_score, 2),
            "bit_margin": round(self.bit_margin, 2),
            "frames_read": self.frames_read,
            "crop": [round(v, 3) for v in self.crop] if self.crop else None,
        }


class WatermarkAccumulator:
    """Collects the vote of frames (any size, grey or RGB) one at a time; :meth:`read` decides."""

    def __init__(self) -> None:
        self._sum = np.zeros((WORK, WORK), np.float64)
        self.frames = 0

    def add_work_frame(self, gray: np.ndarray) -> None:
        """Add a frame already resized to WORK x WORK luma (0..255, float or uint8)."""
        self._sum += _residual(gray.astype(np.float32))
        self.frames += 1

    def add_frame(self, frame: np.ndarray) -> None:
        """Add a full frame: HxW luma or HxWx3 RGB uint8."""
        if frame.ndim == 3:
            frame = frame.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
        img = Image.fromarray(frame.astype(np.float32), mode="F").resize((WORK, WORK), Image.BOX)
        self.add_work_frame(np.asarray(img))

    def read(self) -> WatermarkReading:
        if self.frames == 0:
            return WatermarkReading(False, None, 0.0, 0)
        return _decode(self._sum / self.frames, self.frames)


def read_frames(frames: Iterable[np.ndarray]) -> WatermarkReading:
    """Read the mark from frames (HxW luma or HxWx3 RGB uint8)."""
    acc = WatermarkAccumulator()
    for frame in frames:
        acc.add_frame(frame)
    return acc.read()


@lru_cache(maxsize=1)
def _sync_template_spectrum() -> np.ndarray:
    layout = _layout()
    sync = np.where(layout.bit_of_cell < 0, layout.chips, 0.0).astype(np.float32)
    template = _upsample(sync, WORK, WORK)
    template = template - _box_blur(template, _HIGHPASS_RADIUS)
    return np.fft.rfft2(template)


def _decode(average: np.ndarray, frames: int) -> WatermarkReading:
    template_spectrum = _sync_template_spectrum()
    best = (-np.inf, 1.0, 1.0, 0, 0, None)
    for sx in SCALES:
        for sy in SCALES:
            w, h = round(WORK * sx), round(WORK * sy)
            scaled = average if (w, h) == (WORK, WORK) else _resize(average, w, h)
            padded = np.zeros((WORK, WORK), np.float32)
            padded[:h, :w] = scaled - scaled.mean()
            # corr[d] = sum_p padded[p] * template[p + d]: where the received picture sits in the original.
            corr = np.fft.irfft2(np.conj(np.fft.rfft2(padded)) * template_spectrum, s=(WORK, WORK))
            valid = corr[: WORK - h + 1, : WORK - w + 1]
            dy, dx = np.unravel_index(int(np.argmax(valid)), valid.shape)
            score = float((valid[dy, dx] - corr.mean()) / (corr.std() + 1e-12))
            if score > best[0]:
                best = (score, sx, sy, int(dx), int(dy), padded)
    score, sx, sy, dx, dy, padded = best
    crop = (dx / WORK, dy / WORK, sx, sy)
    if score < SYNC_THRESHOLD:
        return WatermarkReading(False, None, score, frames, crop)
    soft = _soft_bits(padded, dx, dy)
    bits = (soft < 0).astype(np.uint8) ^ _layout().scramble
    margin = float(np.abs(soft).min() / (np.abs(soft).mean() + 1e-12))
    data, crc = bits[: INSTALLATION_BITS + VIDEO_BITS], bits[INSTALLATION_BITS + VIDEO_BITS :]
    if _crc16(data) != _bits_to_int(crc):
        return WatermarkReading(False, None, score, frames, crop, margin)
    value = _bits_to_int(data)
    payload = WatermarkPayload(value >> VIDEO_BITS, f"{value & ((1 << VIDEO_BITS) - 1):010x}")
    return WatermarkReading(True, payload, score, frames, crop, margin)


def _residual(gray: np.ndarray) -> np.ndarray:
    """One frame's vote (WORK x WORK): its cell-scale detail, clipped so that strong edges do not dominate."""
    return np.clip(gray - _box_blur(gray, _HIGHPASS_RADIUS), -_RESIDUAL_CLIP, _RESIDUAL_CLIP)


def _cell_samples(image: np.ndarray, dx: int = 0, dy: int = 0) -> np.ndarray:
    """(GRID, GRID) values of a WORK-sized residual at the cell centres, shifted by (dx, dy); 0 outside."""
    smooth = _box_blur(image, 2)
    centres = (np.arange(GRID) * (WORK // GRID) + (WORK // GRID) // 2).astype(np.int64)
    ys, xs = centres[:, None] - dy, centres[None, :] - dx
    h, w = image.shape
    inside = (ys >= 0) & (ys < h) & (xs >= 0) & (xs < w)
    return smooth[np.clip(ys, 0, h - 1), np.clip(xs, 0, w - 1)] * inside


@lru_cache(maxsize=1)
def _unit_gain() -> float:
    """How much of a cell's amplitude the reader sees at the cell centre (high-pass and blending lose some)."""
    signs = _layout().chips
    seen = _cell_samples(_residual(_upsample(signs, WORK, WORK)))
    return float(np.mean(seen * signs))


def _soft_bits(padded: np.ndarray, dx: int, dy: int) -> np.ndarray:
    """Signed vote of each payload bit: cells sampled where the alignment puts their centres."""
    layout = _layout()
    values = _cell_samples(padded, dx, dy)
    payload = layout.bit_of_cell >= 0
    votes = (values * layout.chips)[payload]
    return np.bincount(layout.bit_of_cell[payload], weights=votes, minlength=PAYLOAD_BITS)


# --- Small helpers -------------------------------------------------------------------------------------------


def _box_blur(image: np.ndarray, radius: int) -> np.ndarray:
    """Mean over a (2r+1)^2 box, edges replicated; separable running sums."""
    out = image.astype(np.float32)
    for axis in (0, 1):
        pad = [(0, 0), (0, 0)]
        pad[axis] = (radius + 1, radius)
        c = np.cumsum(np.pad(out, pad, mode="edge"), axis=axis, dtype=np.float64)
        n = out.shape[axis]
        hi = np.take(c, np.arange(2 * radius + 1, 2 * radius + 1 + n), axis=axis)
        lo = np.take(c, np.arange(0, n), axis=axis)
        out = ((hi - lo) / (2 * radius + 1)).astype(np.float32)
    return out


def _resize(image: np.ndarray, width: int, height: int) -> np.ndarray:
    return np.asarray(Image.fromarray(image.astype(np.float32), mode="F").resize((width, height), Image.BILINEAR))


def _int_to_bits(value: int, n: int) -> np.ndarray:
    return np.array([(value >> (n - 1 - i)) & 1 for i in range(n)], np.uint8)


def _bits_to_int(bits: np.ndarray) -> int:
    value = 0
    for b in bits:
        value = (value << 1) | int(b)
    return value


def _crc16(bits: np.ndarray) -> int:
    """CRC-16/CCITT-FALSE over a bit string."""
    crc = 0xFFFF
    for b in bits:
        top = ((crc >> 15) & 1) ^ int(b)
        crc = (crc << 1) & 0xFFFF
        if top:
            crc ^= 0x1021
    return crc
