"""The prompt corpora in tests/safety/data and a synthetic image that NudeNet scores as nudity."""

from __future__ import annotations

from pathlib import Path

import numpy as np

DATA = Path(__file__).parent / "data"


def _lines(name: str) -> list[str]:
    text = (DATA / name).read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


def harmless_prompts() -> list[str]:
    return _lines("harmless.txt")


def blocked_prompts() -> list[tuple[str, str]]:
    """(expected category, prompt)."""
    return [tuple(part.strip() for part in line.split("|", 1)) for line in _lines("blocked.txt")]  # type: ignore[misc]


def nudity_proxy(size: int = 320) -> np.ndarray:
    """Two shaded skin-toned spheres side by side on a dark background, RGB uint8.

    No explicit photograph can be fetched here, so this stands in for one: NudeNet 3.4 scores it
    BUTTOCKS_EXPOSED at about 0.65-0.7 (measured), which exercises the real detector, threshold and skin check.
    """
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) * (320 / size)
    image = np.empty((size, size, 3), np.float32)
    image[:] = (60, 60, 70)
    skin = np.array([190, 140, 110], np.float32)
    for cx in (110, 210):
        dx, dy = (xx - cx) / 90, (yy - 170) / 90
        inside = dx * dx + dy * dy < 1
        z = np.sqrt(np.clip(1 - dx * dx - dy * dy, 0, 1))
        shade = np.clip(dx * -0.4 + dy * -0.5 + z * np.sqrt(1 - 0.16 - 0.25), 0, 1) * 0.7 + 0.3
        image[inside] = skin * shade[inside, None]
    return np.clip(image, 0, 255).astype(np.uint8)


def flat_frame(height: int = 360, width: int = 640) -> np.ndarray:
    """A frame like Azur's embedded model draws: one flat red disc on a blue background."""
    yy, xx = np.mgrid[0:height, 0:width]
    frame = np.empty((height, width, 3), np.uint8)
    frame[:] = (40, 80, 220)
    frame[(yy - height / 2) ** 2 + (xx - width / 2) ** 2 < (height / 4) ** 2] = (220, 40, 40)
    return frame


def cartoon_face(size: int = 512) -> np.ndarray:
    """A flat drawn face (OpenCV's Haar cascade detects it as a face): must never count as photorealistic."""
    import cv2

    image = np.full((size, size, 3), (40, 170, 60), np.uint8)
    c = size // 2
    cv2.circle(image, (c, c), int(size * 0.39), (245, 200, 160), -1, cv2.LINE_AA)
    for dx in (-66, 66):
        cv2.circle(image, (c + dx, int(size * 0.39)), 25, (15, 15, 15), -1, cv2.LINE_AA)
    cv2.ellipse(image, (c, int(size * 0.62)), (90, 40), 0, 0, 180, (15, 15, 15), 10, cv2.LINE_AA)
    cv2.line(image, (c, int(size * 0.45)), (c, int(size * 0.57)), (15, 15, 15), 6)
    return image
