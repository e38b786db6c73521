"""Still images: loading uploads, fitting them to a frame, thumbnails and spritesheets."""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np
from PIL import Image

# Uploads are decoded only within limits, in one place: azur.media.limits.
from azur.media.limits import UnreadableImage, load_image

__all__ = ["UnreadableImage", "encode_image", "fit_cover", "load_image", "spaced_indices", "spritesheet", "thumbnail"]


def fit_cover(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Scale ``image`` to fill ``size`` (width, height), cropping the overflow evenly (no distortion)."""
    width, height = size
    h, w = image.shape[:2]
    scale = max(width / w, height / h)
    new_w, new_h = max(width, round(w * scale)), max(height, round(h * scale))
    resized = Image.fromarray(image).resize((new_w, new_h), Image.Resampling.LANCZOS)
    left, top = (new_w - width) // 2, (new_h - height) // 2
    return np.asarray(resized.crop((left, top, left + width, top + height)))


def encode_image(frame: np.ndarray, fmt: str = "webp", quality: int = 85) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(frame).save(buf, format=fmt.upper(), quality=quality)
    return buf.getvalue()


def thumbnail(frame: np.ndarray, max_side: int = 512, fmt: str = "webp") -> bytes:
    """A small still of one frame, as OpenAI's ``thumbnail`` content variant (WebP by default)."""
    img = Image.fromarray(frame)
    img.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    return encode_image(np.asarray(img), fmt)


def spritesheet(frames: Sequence[np.ndarray], columns: int = 4, tile_width: int = 256, fmt: str = "jpeg") -> bytes:
    """A grid of evenly spaced frames (OpenAI's ``spritesheet`` variant), row by row, JPEG by default."""
    if not frames:
        raise ValueError("a spritesheet needs at least one frame")
    h, w = frames[0].shape[:2]
    tile_height = max(1, round(tile_width * h / w))
    rows = -(-len(frames) // columns)
    sheet = Image.new("RGB", (columns * tile_width, rows * tile_height))
    for i, frame in enumerate(frames):
        tile = Image.fromarray(frame).resize((tile_width, tile_height), Image.Resampling.BILINEAR)
        sheet.paste(tile, ((i % columns) * tile_width, (i // columns) * tile_height))
    return encode_image(np.asarray(sheet), fmt)


def spaced_indices(frame_count: int, n: int) -> list[int]:
    """``n`` frame indices spread evenly over a clip, first and last included."""
    if frame_count <= n:
        return list(range(frame_count))
    return [round(i * (frame_count - 1) / (n - 1)) for i in range(n)]
