"""What a caller may ask for: the one place that knows the allowed sizes, durations and styles.

Every entry point (CLI, API, studio, workers) builds a :class:`VideoRequest` through :func:`make_request`,
so a bad value is refused the same way everywhere, naming the value and what is allowed. Nothing is
silently corrected.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field, replace

import numpy as np

# 480p / 720p / 1080p in 16:9, 9:16 and 1:1, plus OpenAI's Sora sizes.
SIZES: tuple[tuple[int, int], ...] = (
    (854, 480), (1280, 720), (1920, 1080),
    (480, 854), (720, 1280), (1080, 1920),
    (480, 480), (720, 720), (1080, 1080),
    (1024, 1792), (1792, 1024),
)
STYLES: tuple[str, ...] = ("flat", "cartoon", "soft")
# Sampling effort, mapped per model to steps, shift, guidance and scheduler (azur.engine.presets).
QUALITIES: tuple[str, ...] = ("draft", "standard", "high")
DEFAULT_SIZE = (1280, 720)  # the CLI's and the engine's: landscape, what a screen shows whole
# OpenAI's Videos API defaults to portrait (size "720x1280", seconds "4"); the API follows its contract.
API_DEFAULT_SIZE = (720, 1280)
DEFAULT_SECONDS = 4
DEFAULT_STYLE = "flat"
MIN_SECONDS = 1
MAX_PROMPT_CHARS = 32_000  # OpenAI's limit for a video prompt
MAX_SEED = 2**63 - 1
# Numbers written as text: plain ASCII digits, bounded before any conversion. No sign, exponent, spaces or
# underscores: float("1_0") is 10 and int() of 5,000 digits raises, neither may decide what a request means.
SECONDS_TEXT = re.compile(r"[0-9]{1,4}(?:\.[0-9]{1,6})?")
SEED_TEXT = re.compile(r"[0-9]{1,19}")
SIZE_TEXT = re.compile(r"([0-9]{1,5})x([0-9]{1,5})")
# Control characters a prompt may hold: line breaks and tabs. Anything else (NUL above all, which
# PostgreSQL cannot store) or a lone surrogate (which cannot be encoded) is refused.
_PROMPT_CONTROLS_ALLOWED = frozenset("\n\r\t")


class InvalidRequest(ValueError):
    """A request option is not allowed. ``param`` names the option, as the API reports it."""

    def __init__(self, param: str, message: str) -> None:
        super().__init__(message)
        self.param = param
        self.message = message


def size_text(size: tuple[int, int]) -> str:
    return f"{size[0]}x{size[1]}"


def resolution_of(size: tuple[int, int]) -> int:
    """The "p" number of a size: its shorter side (480, 720, 1080; 1024 for 1024x1792)."""
    return min(size)


@dataclass(frozen=True)
class Look:
    """A character's appearance in the words of the embedded model's world (``azur.embedded.world``):
    object colour, shape, and size as the object's reach from its centre in short sides of the frame.
    A backend that draws looks (``ModelInfo.draws_looks``) keeps them whatever the prompt's words say."""

    name: str  # the character's name, a word of the prompt that is not the model's vocabulary
    object_color: str
    shape: str
    size: float


@dataclass(frozen=True)
class VideoRequest:
    """One video to make. Sizes are (width, height) in pixels; ``seconds`` may be fractional."""

    prompt: str
    seconds: float = DEFAULT_SECONDS
    size: tuple[int, int] = DEFAULT_SIZE
    fps: int = 24
    seed: int = 0
    style: str = DEFAULT_STYLE
    model: str = "azur-tiny"
    # The first frame, HxWx3 uint8, any size: image-to-video, or the last frame of a video to extend.
    first_frame: np.ndarray | None = field(default=None, compare=False, repr=False)
    # Open-weight models only: adapters the operator offers (name, scale or None for the registered one),
    # and the sampling preset; the model checks both (azur.engine.loras, azur.engine.presets).
    loras: tuple[tuple[str, float | None], ...] = ()
    quality: str | None = None
    # A character the clip shows (azur.characters.apply): drawn with this look by backends that can.
    look: Look | None = None

    @property
    def width(self) -> int:
        return self.size[0]

    @property
    def height(self) -> int:
        return self.size[1]

    @property
    def frame_count(self) -> int:
        return max(1, round(self.seconds * self.fps))

    def with_changes(self, **changes: object) -> VideoRequest:
        return replace(self, **changes)  # type: ignore[arg-type]


def parse_size(value: str | tuple[int, int]) -> tuple[int, int]:
    """Parse ``"1280x720"`` (or a tuple) into an allowed (width, height), else raise InvalidRequest."""
    allowed = ", ".join(size_text(s) for s in SIZES)
    if isinstance(value, tuple):
        size = value
    else:
        match = SIZE_TEXT.fullmatch(value) if isinstance(value, str) else None
        if match is None:
            raise InvalidRequest("size", f"Invalid size {_shown(value)}: expected WIDTHxHEIGHT, one of {allowed}.")
        size = (int(match.group(1)), int(match.group(2)))
    if size not in SIZES:
        raise InvalidRequest("size", f"Unsupported size '{size_text(size)}'. Allowed sizes: {allowed}.")
    return size


def parse_seconds(value: str | float | int, *, max_seconds: int) -> float:
    """A duration in seconds from a number or its plain decimal text ("8", "2.5"), else InvalidRequest."""
    invalid = InvalidRequest("seconds", f"Invalid duration {_shown(value)}: expected a number of seconds.")
    if isinstance(value, str):
        if not SECONDS_TEXT.fullmatch(value):
            raise invalid
    elif isinstance(value, bool) or not isinstance(value, int | float):
        raise invalid  # True is not one second
    elif isinstance(value, int) and value.bit_length() > 32:
        raise InvalidRequest("seconds", f"Duration {_shown(value)} s is out of range: allowed {MIN_SECONDS} to "
                                        f"{max_seconds} seconds.")
    seconds = float(value)
    if not (MIN_SECONDS <= seconds <= max_seconds) or not math.isfinite(seconds):
        raise InvalidRequest(
            "seconds", f"Duration {_shown(value)} s is out of range: allowed {MIN_SECONDS} to {max_seconds} seconds."
        )
    return seconds


def make_request(
    prompt: str,
    *,
    seconds: str | float | int = DEFAULT_SECONDS,
    size: str | tuple[int, int] = DEFAULT_SIZE,
    seed: int | str | None = None,
    style: str | None = None,
    model: str = "azur-tiny",
    fps: int = 24,
    first_frame: np.ndarray | None = None,
    max_seconds: int = 20,
    loras: object = None,
    quality: str | None = None,
) -> VideoRequest:
    """Validate raw options into a :class:`VideoRequest`. Raises :class:`InvalidRequest`."""
    check_prompt(prompt)
    if style is not None and not isinstance(style, str):
        raise InvalidRequest("style", f"Invalid style {_shown(style)}: expected one of {', '.join(STYLES)}.")
    style = (style or DEFAULT_STYLE).strip().lower()
    if style not in STYLES:
        raise InvalidRequest("style", f"Unknown style {_shown(style)}. Allowed styles: {', '.join(STYLES)}.")
    if seed is None:
        seed = int(np.random.default_rng().integers(0, 2**31 - 1))
    if isinstance(seed, str) and SEED_TEXT.fullmatch(seed):
        seed = int(seed)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise InvalidRequest("seed", f"Invalid seed {_shown(seed)}: expected a whole number.")
    if not 0 <= seed <= MAX_SEED:
        raise InvalidRequest("seed", f"Seed {_shown(seed)} is out of range: 0 to {MAX_SEED}.")
    if first_frame is not None:
        if first_frame.ndim != 3 or first_frame.shape[2] != 3 or first_frame.dtype != np.uint8:
            raise InvalidRequest("input_reference", "The first frame must be an RGB image.")
    return VideoRequest(
        prompt=prompt.strip(),
        seconds=parse_seconds(seconds, max_seconds=max_seconds),
        size=parse_size(size),
        fps=fps,
        seed=seed,
        style=style,
        model=model,
        first_frame=first_frame,
        loras=parse_loras(loras),
        quality=parse_quality(quality),
    )


def parse_quality(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or value not in QUALITIES:
        raise InvalidRequest("quality", f"Invalid quality {_shown(value)}: expected one of {', '.join(QUALITIES)}.")
    return value


def parse_loras(value: object) -> tuple[tuple[str, float | None], ...]:
    """Adapters asked for: a name (``"sketch"`` or ``"sketch:0.6"``), a list of them, or a list of
    ``{"name": ..., "scale": ...}`` (also ``[name, scale]`` pairs, the stored form). Whether the model offers them is the model's check."""
    if value is None or value == []:
        return ()
    items = [value] if isinstance(value, str | dict) else value
    if not isinstance(items, list | tuple):
        raise InvalidRequest("loras", f"Invalid loras {_shown(value)}: expected a name or a list of names.")
    parsed: list[tuple[str, float | None]] = []
    for item in items:
        if isinstance(item, dict) and set(item) <= {"name", "scale"}:
            name, scale = item.get("name"), item.get("scale")
        elif isinstance(item, list | tuple) and len(item) == 2:
            name, scale = item
        elif isinstance(item, str) and ":" in item:
            name, _, scale_text = item.rpartition(":")  # "name:0.5"; names have no colon
            scale = float(scale_text) if SECONDS_TEXT.fullmatch(scale_text) else scale_text
        else:
            name, scale = item, None
        if not isinstance(name, str) or not name or len(name) > 64:
            raise InvalidRequest("loras", f"Invalid LoRA {_shown(item)}: expected a registered LoRA's name.")
        if scale is not None and (isinstance(scale, bool) or not isinstance(scale, int | float) or not math.isfinite(scale)):
            raise InvalidRequest("loras", f"Invalid scale {_shown(scale)} for LoRA '{name}': expected a number.")
        parsed.append((name, None if scale is None else float(scale)))
    if len({name for name, _ in parsed}) != len(parsed):
        raise InvalidRequest("loras", "A LoRA is named twice.")
    return tuple(parsed)


def check_prompt(prompt: object) -> str:
    """``prompt`` if it is text a model can be given, else InvalidRequest: a string of at most
    MAX_PROMPT_CHARS characters with something visible in it, and no control character other than line
    breaks and tabs."""
    if not isinstance(prompt, str):
        raise InvalidRequest("prompt", "The prompt must be a string.")
    if len(prompt) > MAX_PROMPT_CHARS:
        raise InvalidRequest("prompt", f"The prompt has {len(prompt)} characters; at most {MAX_PROMPT_CHARS}.")
    visible = False
    for char in prompt:
        category = unicodedata.category(char)
        if category == "Cs" or (category == "Cc" and char not in _PROMPT_CONTROLS_ALLOWED):
            raise InvalidRequest("prompt", f"The prompt contains the character U+{ord(char):04X}; no control "
                                           "character is allowed but line breaks and tabs.")
        visible = visible or category[0] in "LNPS"
    if not visible:
        raise InvalidRequest("prompt", "The prompt is empty: describe the video to make.")
    return prompt


def _shown(value: object) -> str:
    """``value`` as an error message quotes it: its repr, cut short (it may be megabytes long)."""
    if isinstance(value, int) and value.bit_length() > 128:
        return f"(a number of {value.bit_length()} bits)"  # repr() itself refuses past 4,300 digits
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
