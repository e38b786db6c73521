"""Characters (OpenAI's "cameos"): a saved appearance that a user reuses across clips.

A character is made from an uploaded picture: an image, or a video's first frame (its *reference*). What
it looks like is measured from the reference's pixels in the embedded model's own words (the main
object's colour and shape, and its size, by :func:`azur.embedded.delivered.judge_picture`), and saved.

A clip asks for a character by id (``character_ids``, as vLLM-Omni names it) or by writing its name in the
prompt (``"Rex rolling to the right"``, or ``"@Rex ..."``). :func:`apply` is the one link between a
character and a :class:`~azur.engine.request.VideoRequest`:

- a model that draws looks itself (``ModelInfo.draws_looks``: the embedded model) is given the look, and
  draws that colour, shape and size whatever the prompt's words would give: the same object in every clip;
- an image-conditioned model (diffusers image-to-video families) starts the clip from the reference
  picture (its first frame), unless the request already has a first frame;
- a model that can do neither is refused.

Jobs keep a copy of the look in ``videos.options["character"]`` (:func:`as_option`, read back by
:func:`restore` in the worker) and the reference as their stored first frame: deleting a character later
changes no queued job. Uploads follow the likeness rules of any upload (a photorealistic face needs the
user's statement of consent, recorded in the audit log); GDPR export and erasure cover characters
(:mod:`azur.accounts.privacy`).
"""

from __future__ import annotations

import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from azur.config import MediaLimits
from azur.db.models import Character
from azur.engine.request import InvalidRequest, Look, VideoRequest
from azur.storage.base import Storage

CHARACTER_ID = re.compile(r"^char_[0-9a-f]{32}$")
MAX_NAME_CHARS = 64
REFERENCE_FILE = "reference.png"
# A measured size (reach from the centre, in short sides) is kept within what the embedded model draws
# well: below 0.05 a star is a blob at 480p; above 0.3 the object fills most of a landscape frame's height.
MIN_SIZE, MAX_SIZE = 0.05, 0.3
# Where a name counts as written in a prompt: not inside a longer word ("Rex" is not in "Rexford").
_WORD_EDGE = r"(?<![\w])@?{name}(?![\w])"


class CharacterNotFound(LookupError):
    """No character of this user has that id (another user's character is not even named)."""

    def __init__(self, reference: str) -> None:
        shown = reference if len(reference) <= 64 else reference[:61] + "..."
        super().__init__(f"No character found with id '{shown}'.")


def new_character_id() -> str:
    return "char_" + uuid.uuid4().hex


def character_prefix(character_id: str) -> str:
    """The storage folder of a character's files."""
    return f"characters/{character_id}/"


def check_name(name: object) -> str:
    """``name`` stripped, if it can name a character: 1 to MAX_NAME_CHARS printable characters, at least one
    a letter or digit (it is matched as a word in prompts). Raises :class:`InvalidRequest`."""
    if not isinstance(name, str) or not name.strip():
        raise InvalidRequest("name", "The character needs a name.")
    name = name.strip()
    if len(name) > MAX_NAME_CHARS or not name.isprintable():
        raise InvalidRequest("name", f"A character's name has 1 to {MAX_NAME_CHARS} printable characters.")
    if not any(char.isalnum() for char in name):
        raise InvalidRequest("name", f"The name {name!r} has no letter or digit: a prompt could not name it.")
    return name


def reference_frame(data: bytes, limits: MediaLimits) -> tuple[np.ndarray, str]:
    """The picture a character is made from, and what the upload was ("image" or "video"): the image
    itself, or a video's first frame. The kind is read from the bytes, never from a file name or header.
    Raises ``UnreadableImage`` when the bytes are neither (``UnreadableVideo`` for a broken video)."""
    from azur.media.limits import UnreadableImage, UnreadableVideo, load_image
    from azur.media.read import first_frame

    try:
        return load_image(data, limits), "image"
    except UnreadableImage as not_an_image:
        try:
            return first_frame(data, limits), "video"
        except UnreadableVideo:
            raise not_an_image from None


def look_of(frame: np.ndarray, name: str) -> Look:
    """The look of the main object of ``frame`` (RGB uint8). Raises ValueError when it shows none."""
    from azur.embedded.delivered import judge_picture

    verdict = judge_picture(frame)
    return Look(name=name, object_color=verdict.object_color, shape=verdict.shape,
                size=round(min(MAX_SIZE, max(MIN_SIZE, verdict.reach)), 4))


def casting_from_picture(data: bytes, name: str, limits: MediaLimits) -> Casting:
    """A character with no account behind it (``azur generate --character FILE``): the look of the picture's
    main object, the picture as its reference. Raises UnreadableImage / UnreadableVideo, or ValueError when
    the picture shows no object."""
    frame, _ = reference_frame(data, limits)
    return Casting(id=name, name=name, look=look_of(frame, name), reference=frame)


def new_character(user_id: int, name: str, look: Look, *, source: str, likeness_consent: bool) -> Character:
    """A character row (not yet added to a session); its reference goes to ``reference_key``."""
    character_id = new_character_id()
    return Character(id=character_id, user_id=user_id, name=name, created_at=time.time(),
                     object_color=look.object_color, shape=look.shape, size=look.size,
                     reference_key=character_prefix(character_id) + REFERENCE_FILE, source=source,
                     likeness_consent=likeness_consent)


def count_of(session: Session, user_id: int) -> int:
    return session.scalar(select(func.count()).select_from(Character).where(Character.user_id == user_id)) or 0


def name_taken(session: Session, user_id: int, name: str) -> bool:
    """Whether one of the user's characters already has this name (compared without case: a prompt's
    "rex" names "Rex")."""
    names = session.scalars(select(Character.name).where(Character.user_id == user_id))
    return any(existing.casefold() == name.casefold() for existing in names)


def find(session: Session, user_id: int, character_id: str) -> Character:
    """The user's character ``character_id``. Raises :class:`CharacterNotFound`."""
    character = session.get(Character, character_id) if CHARACTER_ID.match(character_id) else None
    if character is None or character.user_id != user_id:
        raise CharacterNotFound(character_id)
    return character


def named_in(session: Session, user_id: int, prompt: str) -> list[Character]:
    """The user's characters whose name the prompt writes as a word (with or without "@"), in prompt order."""
    found = []
    for character in session.scalars(select(Character).where(Character.user_id == user_id)):
        match = re.search(_WORD_EDGE.format(name=re.escape(character.name)), prompt, re.IGNORECASE)
        if match:
            found.append((match.start(), character))
    return [character for _, character in sorted(found, key=lambda pair: pair[0])]


@dataclass(frozen=True)
class Casting:
    """A character cast in one clip: who (id, name), its look, and its reference picture (RGB uint8)."""

    id: str
    name: str
    look: Look
    reference: np.ndarray | None = field(default=None, compare=False, repr=False)


def cast(character: Character, storage: Storage, limits: MediaLimits) -> Casting:
    """The character as a clip uses it, with its reference picture read from storage (None when it is
    no longer stored: a model that draws looks does not need it)."""
    from azur.media.limits import UnreadableImage, load_image
    from azur.storage.base import MissingFile

    try:
        reference = load_image(storage.read_bytes(character.reference_key), limits)
    except (MissingFile, UnreadableImage):
        reference = None
    look = Look(name=character.name, object_color=character.object_color, shape=character.shape,
                size=character.size)
    return Casting(id=character.id, name=character.name, look=look, reference=reference)


def choose(session: Session, user_id: int, character_ids: list[str] | None, prompt: str) -> Character | None:
    """The character a clip shows: the one ``character_ids`` gives, else the one the prompt names, else
    None. Azur's models draw one character per clip, so two are refused. Raises
    :class:`CharacterNotFound` for an unknown id and :class:`InvalidRequest` for more than one."""
    if character_ids:
        chosen = list(dict.fromkeys(character_ids))
        if len(chosen) > 1:
            raise InvalidRequest("character_ids", f"A clip shows one character; {len(chosen)} were given.")
        return find(session, user_id, chosen[0])
    named = named_in(session, user_id, prompt)
    if len(named) > 1:
        raise InvalidRequest("prompt", "A clip shows one character; the prompt names "
                                       f"{', '.join(repr(c.name) for c in named)}. Name one of them.")
    return named[0] if named else None


def apply(request: VideoRequest, casting: Casting) -> VideoRequest:
    """``request`` showing the character: its look for a model that draws looks, its reference picture as
    the first frame for an image-conditioned model (a request's own first frame wins). Raises
    :class:`InvalidRequest` for a model that can take neither, or when the reference is needed but
    ``casting`` has none (load it with the character)."""
    from azur.engine.backend import model_info

    info = model_info(request.model)
    if info.draws_looks:
        return request.with_changes(look=casting.look)
    if not info.supports_first_frame:
        raise InvalidRequest("character_ids", f"Model '{request.model}' cannot show a character: it takes "
                                              "neither a look nor a first frame.")
    if request.first_frame is not None:
        return request.with_changes(look=casting.look)
    if casting.reference is None:
        raise InvalidRequest("character_ids", f"The reference picture of character '{casting.id}' is missing.")
    return request.with_changes(look=casting.look, first_frame=casting.reference)


def as_option(casting: Casting) -> dict[str, Any]:
    """What a job keeps of its character, in ``videos.options["character"]``."""
    look = casting.look
    return {"id": casting.id, "name": casting.name, "object_color": look.object_color, "shape": look.shape,
            "size": look.size}


def look_from_option(kept: dict[str, Any]) -> Look:
    """The look kept by :func:`as_option`."""
    return Look(name=kept["name"], object_color=kept["object_color"], shape=kept["shape"], size=kept["size"])


def carry_over(options: dict[str, Any] | None, source_options: dict[str, Any] | None) -> dict[str, Any] | None:
    """A new video's options with its source's character kept (an extension or edit of a video that showed
    a character goes on showing it: the same look, whatever its new prompt says)."""
    kept = (source_options or {}).get("character")
    if not kept:
        return options
    return {**(options or {}), "character": kept}


def restore(request: VideoRequest, options: dict[str, Any] | None) -> VideoRequest:
    """A job's request with the look it was accepted with (its reference is already its first frame)."""
    kept = (options or {}).get("character")
    if not kept:
        return request
    return request.with_changes(look=look_from_option(kept))
