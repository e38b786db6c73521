"""The optional visible mark: a small "AI" / "Généré par IA" label in a corner of every frame.

The label is drawn once per video (Pillow's built-in font, no download) into a small RGBA overlay, then
alpha-blended onto each frame's corner: a few hundred microseconds per 720p frame.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFont

LABELS = {"en": "AI", "fr": "Généré par IA"}
CORNERS = ("bottom-right", "bottom-left", "top-right", "top-left")


class VisibleMark:
    """White text on a translucent dark box, sized relative to the frame (about 3.5% of its height)."""

    def __init__(self, width: int, height: int, language: str = "en", corner: str = "bottom-right"):
        if language not in LABELS:
            raise ValueError(f"Unknown visible mark language '{language}'. Allowed: {', '.join(LABELS)}.")
        if corner not in CORNERS:
            raise ValueError(f"Unknown corner '{corner}'. Allowed: {', '.join(CORNERS)}.")
        self.text = LABELS[language]
        font_px = max(10, round(0.035 * height))
        font = ImageFont.load_default(size=font_px)
        left, top, right, bottom = font.getbbox(self.text)
        pad = max(2, font_px // 3)
        box_w, box_h = right - left + 2 * pad, bottom - top + 2 * pad
        overlay = Image.new("RGBA", (box_w, box_h), (0, 0, 0, 110))
        ImageDraw.Draw(overlay).text((pad - left, pad - top), self.text, font=font, fill=(255, 255, 255, 235))
        rgba = np.asarray(overlay).astype(np.float32) / 255.0
        self._alpha = rgba[..., 3:4]
        self._colour = rgba[..., :3] * 255.0 * self._alpha
        margin = max(4, round(0.02 * height))
        x = width - box_w - margin if corner.endswith("right") else margin
        y = height - box_h - margin if corner.startswith("bottom") else margin
        self.box = (max(0, x), max(0, y), min(width, x + box_w), min(height, y + box_h))

    def apply(self, frame: np.ndarray) -> np.ndarray:
        """Blend the label onto ``frame`` (HxWx3 uint8), in place when it is writable; returns the frame."""
        if not frame.flags.writeable:
            frame = frame.copy()
        x0, y0, x1, y1 = self.box
        region = frame[y0:y1, x0:x1]
        h, w = region.shape[:2]
        blended = region * (1.0 - self._alpha[:h, :w]) + self._colour[:h, :w]
        region[...] = (blended + 0.5).astype(np.uint8)
        return frame
