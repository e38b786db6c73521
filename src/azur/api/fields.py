"""What each request field may look like where it enters the API, checked before anything converts it.

The body models (:mod:`azur.api.schemas`) and query parameters use these types, so that no value reaches
code that could raise on it: ``float()`` of an integer of 400 digits, ``int()`` of 5,000 digits, a NUL byte
for a PostgreSQL text column. The rules: booleans are never numbers; numbers written as text are plain
ASCII digits of bounded length (no sign, exponent, spaces or underscores); every string has a length
limit; a size is one of the allowed sizes. Ranges (1-20 seconds, seeds from 0) are the engine's
(:func:`azur.engine.request.make_request`), shared with the CLI.

A refusal is a ``PydanticCustomError`` whose message becomes the 400's message, with ``param`` naming the
field (:func:`azur.api.body.validate_body`, and the query-parameter handler in :mod:`azur.api.errors`).
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any

from pydantic import PlainValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

from azur.engine.request import (
    MAX_PROMPT_CHARS,
    SECONDS_TEXT,
    SEED_TEXT,
    SIZES,
    STYLES,
    InvalidRequest,
    check_prompt,
    size_text,
)

MAX_NAME_CHARS = 128  # a model name or a style
MAX_CHARACTER_IDS = 8  # more is refused as malformed; the engine takes one per clip (azur.characters)


class OversizedNumber:
    """Stands in for a JSON number too long to convert safely (:func:`azur.api.body.parse_json`): every
    field type refuses it, so the 400 names the field instead of the whole body failing to parse."""

    def __init__(self, text: str) -> None:
        self.chars = len(text)

    def __repr__(self) -> str:
        return f"a number of {self.chars} characters"


def _refuse(message: str) -> PydanticCustomError:
    # The message is a literal template for pydantic: braces in it must not be read as placeholders.
    return PydanticCustomError("invalid_value", message.replace("{", "(").replace("}", ")"))


def _shown(value: Any) -> str:
    if isinstance(value, str):
        return repr(value) if len(value) <= 32 else repr(value[:29] + "...")
    if isinstance(value, bool | int | float) or value is None:
        return "a number" if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 64 \
            else repr(value)
    if isinstance(value, OversizedNumber):
        return repr(value)
    return f"a value of type {type(value).__name__}"


def _prompt(value: Any) -> str:
    try:
        return check_prompt(value)
    except InvalidRequest as exc:
        raise _refuse(exc.message) from None


def _seconds(value: Any) -> int | float | str:
    expected = "expected a number of seconds, such as 4 or \"8\""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise _refuse(f"{_shown(value)}: {expected}")
    if isinstance(value, str) and not SECONDS_TEXT.fullmatch(value):
        raise _refuse(f"{_shown(value)}: {expected}, written with plain digits")
    if isinstance(value, float) and not math.isfinite(value):
        raise _refuse(f"{_shown(value)}: {expected}")
    if isinstance(value, int) and value.bit_length() > 32:
        raise _refuse(f"{_shown(value)} is out of range: {expected}")
    return value


def _size(value: Any) -> str:
    allowed = [size_text(s) for s in SIZES]
    if not isinstance(value, str) or value not in allowed:
        raise _refuse(f"{_shown(value)} is not an allowed size. Allowed sizes: {', '.join(allowed)}")
    return value


def _seed(value: Any) -> int | str:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise _refuse(f"{_shown(value)}: expected a whole number")
    if isinstance(value, str) and not SEED_TEXT.fullmatch(value):
        raise _refuse(f"{_shown(value)}: expected a whole number written with plain digits")
    if isinstance(value, int) and value.bit_length() > 64:
        raise _refuse(f"{_shown(value)} is out of range")
    return value


def _name(value: Any) -> str:
    if not isinstance(value, str) or not 0 < len(value) <= MAX_NAME_CHARS or not value.isprintable():
        raise _refuse(f"{_shown(value)}: expected a name of 1 to {MAX_NAME_CHARS} printable characters")
    return value


def _flag(value: Any) -> bool:
    # Multipart forms carry every value as text: the official client sends booleans as "true" / "false".
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return value == "true"
    raise _refuse(f"{_shown(value)}: expected true or false")


def _character_ids(value: Any) -> list[str]:
    # A multipart form sends one id as a plain field (or several as character_ids[], see azur.api.body).
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not 1 <= len(values) <= MAX_CHARACTER_IDS:
        raise _refuse(f"{_shown(value)}: expected a list of 1 to {MAX_CHARACTER_IDS} character ids")
    for item in values:
        if not isinstance(item, str) or not 0 < len(item) <= MAX_NAME_CHARS:
            raise _refuse(f"{_shown(item)}: expected a character id such as 'char_...'")
    return values


def _audio(value: Any) -> str | dict:
    # The shape only: what each part may hold is checked with the engine's rules (azur.sound.spec), where
    # the 400 can name the exact part (audio.music.mood).
    if isinstance(value, str | dict):
        return value
    raise _refuse(f"{_shown(value)}: expected \"none\" or an object with voiceover, music and/or effects")


def _digits(max_digits: int):  # noqa: ANN202 - a validator
    pattern = re.compile(rf"[0-9]{{1,{max_digits}}}")

    def check(value: Any) -> int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if not isinstance(value, str) or not pattern.fullmatch(value):
            raise _refuse(f"{_shown(value)}: expected a whole number of at most {max_digits} digits")
        return int(value)

    return check


Prompt = Annotated[str, PlainValidator(_prompt), WithJsonSchema(
    {"type": "string", "minLength": 1, "maxLength": MAX_PROMPT_CHARS,
     "description": "What the video shows: text with something visible in it, no control characters but "
                    "line breaks and tabs."})]
Seconds = Annotated[int | float | str, PlainValidator(_seconds), WithJsonSchema(
    {"anyOf": [{"type": "number"}, {"type": "string", "pattern": f"^{SECONDS_TEXT.pattern}$"}],
     "description": "Duration in seconds: a number, or its plain decimal text (\"8\")."})]
Size = Annotated[str, PlainValidator(_size), WithJsonSchema(
    {"type": "string", "enum": [size_text(s) for s in SIZES], "description": "WIDTHxHEIGHT."})]
Seed = Annotated[int | str, PlainValidator(_seed), WithJsonSchema(
    {"anyOf": [{"type": "integer", "minimum": 0}, {"type": "string", "pattern": f"^{SEED_TEXT.pattern}$"}],
     "description": "Same seed, same video (Azur extra)."})]
Style = Annotated[str, PlainValidator(_name), WithJsonSchema(
    {"type": "string", "enum": list(STYLES), "description": "flat, cartoon or soft (Azur extra)."})]
ModelName = Annotated[str, PlainValidator(_name), WithJsonSchema(
    {"type": "string", "maxLength": MAX_NAME_CHARS, "description": "A model this server runs, or sora-2."})]
Flag = Annotated[bool, PlainValidator(_flag), WithJsonSchema({"type": "boolean"})]
CharacterIds = Annotated[list[str], PlainValidator(_character_ids), WithJsonSchema(
    {"type": "array", "items": {"type": "string"}, "maxItems": MAX_CHARACTER_IDS,
     "description": "Azur (as vLLM-Omni): characters the clip shows, by id (char_...); one per clip."})]
# A query parameter that is a count: at most 3 plain digits (``limit=1_0`` or ``limit=+5`` is refused).
SmallCount = Annotated[int, PlainValidator(_digits(3)), WithJsonSchema({"type": "integer", "minimum": 0,
                                                                        "maximum": 100})]
AudioOption = Annotated[str | dict, PlainValidator(_audio), WithJsonSchema(
    {"anyOf": [{"type": "string", "enum": ["none"]}, {"type": "object", "properties": {
        "voiceover": {"type": "object", "properties": {
            "text": {"type": "string", "maxLength": 1000}, "language": {"type": "string", "enum": ["en", "fr"]},
            "voice": {"type": "string", "enum": ["default", "male", "female"]},
            "speed": {"type": "number", "minimum": 0.75, "maximum": 1.5}}, "required": ["text"]},
        "music": {"type": "object", "properties": {
            "mood": {"type": "string", "description": "calm, happy, sad, epic, tense, dreamy, playful, dark "
                                                      "(or in French)"},
            "intensity": {"type": "number", "minimum": 0, "maximum": 1}}, "required": ["mood"]},
        "effects": {"type": "boolean"}}}],
     "description": "Sound (Azur extra): a voice-over, music, effects from the picture, or \"none\"."})]
