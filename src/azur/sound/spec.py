"""What sound a video asks for: the ``audio`` option, checked the same way from the API, the CLI and a worker.

On the wire (JSON, or multipart where every value is text)::

    "audio": {"voiceover": {"text": "...", "language": "en", "voice": "female", "speed": 1.0},
              "music": {"mood": "calm", "intensity": 0.5},
              "effects": true}
    "audio": "none"

Every part is optional; an empty object is as silent as ``"none"``. A bad value raises
:class:`~azur.engine.request.InvalidRequest` whose ``param`` names it (``audio.music.mood``), with the allowed
values in the message: nothing is silently corrected. :meth:`AudioSpec.to_json` is what ``videos.options``
stores, and :func:`parse_audio` reads it back.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from azur.engine.request import InvalidRequest, check_prompt

LANGUAGES = ("en", "fr")
VOICES = ("default", "male", "female")
MIN_SPEED, MAX_SPEED = 0.75, 1.5  # beyond these espeak-ng stops sounding like someone talking
MAX_VOICEOVER_CHARS = 1000  # 20 s of speech is about 350 characters: room for pauses and punctuation
NONE = "none"
_NUMBER_TEXT = re.compile(r"[0-9]{1,3}(?:\.[0-9]{1,6})?")
_PARTS = ("voiceover", "music", "effects")


@dataclass(frozen=True)
class Voiceover:
    text: str
    language: str = "en"  # "en" or "fr": the espeak-ng voice that reads it
    voice: str = "default"  # default, male or female
    speed: float = 1.0  # 1 = espeak-ng's natural rate (~165 words a minute); 0.75-1.5


@dataclass(frozen=True)
class Music:
    mood: str  # a word of music.MOODS (English or French): key, tempo and instruments follow from it
    intensity: float = 0.5  # 0-1: how busy and present the score is
    seed: int | None = None  # the score's own seed; None: the video's (an extension keeps its source's)


@dataclass(frozen=True)
class AudioSpec:
    """The sound of one video; all None / False is silence."""

    voiceover: Voiceover | None = None
    music: Music | None = None
    effects: bool = False

    @property
    def silent(self) -> bool:
        return self.voiceover is None and self.music is None and not self.effects

    def to_json(self) -> dict[str, Any] | str:
        """The stored form: ``"none"`` or an object with only the parts asked for (numbers as numbers)."""
        if self.silent:
            return NONE
        out: dict[str, Any] = {}
        if self.voiceover is not None:
            v = self.voiceover
            out["voiceover"] = {"text": v.text, "language": v.language, "voice": v.voice, "speed": v.speed}
        if self.music is not None:
            out["music"] = {"mood": self.music.mood, "intensity": self.music.intensity}
            if self.music.seed is not None:
                out["music"]["seed"] = self.music.seed
        if self.effects:
            out["effects"] = True
        return out

    def without_voiceover(self) -> AudioSpec:
        return AudioSpec(voiceover=None, music=self.music, effects=self.effects)


SILENT = AudioSpec()


def parse_audio(value: Any) -> AudioSpec:
    """An :class:`AudioSpec` from the wire or stored form. Raises :class:`InvalidRequest` (param ``audio...``)."""
    if value is None or value == NONE:
        return SILENT
    if isinstance(value, str):
        raise InvalidRequest("audio", f"Invalid audio {_shown(value)}: expected \"none\" or an object with "
                                      "voiceover, music and/or effects.")
    if not isinstance(value, dict):
        raise InvalidRequest("audio", f"Invalid audio ({type(value).__name__}): expected \"none\" or an object "
                                      "with voiceover, music and/or effects.")
    _no_unknown(value, _PARTS, "audio")
    return AudioSpec(
        voiceover=_voiceover(value["voiceover"]) if value.get("voiceover") not in (None, NONE) else None,
        music=_music(value["music"]) if value.get("music") not in (None, NONE) else None,
        effects=_flag(value.get("effects", False), "audio.effects"),
    )


def _voiceover(value: Any) -> Voiceover:
    param = "audio.voiceover"
    if isinstance(value, str):  # a bare text is the common case: {"voiceover": "Hello"}
        value = {"text": value}
    if not isinstance(value, dict):
        raise InvalidRequest(param, "audio.voiceover must be an object with text (and language, voice, speed).")
    _no_unknown(value, ("text", "language", "voice", "speed"), param)
    text = value.get("text")
    if text is None:
        raise InvalidRequest(f"{param}.text", "audio.voiceover needs a text to read.")
    try:
        check_prompt(text)
    except InvalidRequest as exc:
        raise InvalidRequest(f"{param}.text", exc.message.replace("The prompt", "The voice-over text")) from None
    if len(text) > MAX_VOICEOVER_CHARS:
        raise InvalidRequest(f"{param}.text", f"The voice-over text has {len(text)} characters; at most "
                                              f"{MAX_VOICEOVER_CHARS}.")
    language = _choice(value.get("language", "en"), LANGUAGES, f"{param}.language")
    voice = _choice(value.get("voice", "default"), VOICES, f"{param}.voice")
    speed = _number(value.get("speed", 1.0), f"{param}.speed", MIN_SPEED, MAX_SPEED)
    return Voiceover(text=" ".join(text.split()), language=language, voice=voice, speed=speed)


def _music(value: Any) -> Music:
    from azur.sound.music import MOODS, mood_of

    param = "audio.music"
    if isinstance(value, str):  # {"music": "calm"}
        value = {"mood": value}
    if not isinstance(value, dict):
        raise InvalidRequest(param, "audio.music must be an object with a mood (and an intensity).")
    _no_unknown(value, ("mood", "intensity", "seed"), param)
    mood = value.get("mood")
    if not isinstance(mood, str) or mood_of(mood) is None:
        raise InvalidRequest(f"{param}.mood", f"Unknown mood {_shown(mood)}. Allowed moods: {', '.join(MOODS)} "
                                              "(or their French names).")
    intensity = _number(value.get("intensity", 0.5), f"{param}.intensity", 0.0, 1.0)
    seed = value.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**63):
        raise InvalidRequest(f"{param}.seed", f"Invalid music seed {_shown(seed)}: expected a whole number.")
    return Music(mood=mood.strip().lower(), intensity=intensity, seed=seed)


def _no_unknown(value: dict, known: tuple[str, ...], param: str) -> None:
    for key in value:
        if key not in known:
            raise InvalidRequest(f"{param}.{key}", f"Unknown parameter '{param}.{key}'. Allowed: "
                                                   f"{', '.join(known)}.")


def _choice(value: Any, allowed: tuple[str, ...], param: str) -> str:
    if not isinstance(value, str) or value.strip().lower() not in allowed:
        raise InvalidRequest(param, f"Invalid {param.rsplit('.', 1)[-1]} {_shown(value)}. Allowed: "
                                    f"{', '.join(allowed)}.")
    return value.strip().lower()


def _number(value: Any, param: str, low: float, high: float) -> float:
    """A number in [low, high]; multipart forms send it as plain decimal text ("1.2")."""
    name = param.rsplit(".", 1)[-1]
    if isinstance(value, str) and _NUMBER_TEXT.fullmatch(value):
        value = float(value)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidRequest(param, f"Invalid {name} {_shown(value)}: expected a number from {low:g} to {high:g}.")
    if not low <= value <= high:
        raise InvalidRequest(param, f"{name.capitalize()} {_shown(value)} is out of range: {low:g} to {high:g}.")
    return float(value)


def _flag(value: Any, param: str) -> bool:
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):  # multipart
        return value == "true"
    raise InvalidRequest(param, f"Invalid effects {_shown(value)}: expected true or false.")


def _shown(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 64:
        return "(a very large number)"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
