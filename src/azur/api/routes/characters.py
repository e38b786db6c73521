"""``/v1/videos/characters``: OpenAI's characters (create, retrieve), and Azur's list and delete.

A character is made from an uploaded image or video (``video``, as the official client's
``videos.create_character`` sends it; Azur also takes ``image``), checked like any upload (nudity, and a
photorealistic face only with ``likeness_consent``). What it is and how clips use it: :mod:`azur.characters`.
A user sees only their own characters; someone else's id answers 404, like an unknown one.

This router is included before the videos router: ``GET /v1/videos/characters`` must not be read as the
video called "characters".
"""

from __future__ import annotations

import logging
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query
from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError

from azur import characters
from azur.api import video_inputs as inputs
from azur.api.body import body_dependency, body_openapi, upload_bytes
from azur.api.deps import CurrentUser, ServicesDep, SessionDep, get_current_user
from azur.api.errors import ApiError, bad_request, moderation_blocked, not_found, storage_failed, too_large
from azur.api.fields import SmallCount
from azur.api.schemas import (
    CharacterCreateBody,
    CharacterDeleted,
    CharacterList,
    CharacterLook,
    CharacterPublic,
    ErrorBody,
)
from azur.db.models import Character
from azur.engine.request import InvalidRequest
from azur.storage.base import StorageError

log = logging.getLogger("azur.api")
ERRORS = {code: {"model": ErrorBody} for code in (400, 401, 404, 409, 413, 500, 503)}
router = APIRouter(prefix="/v1/videos/characters", tags=["characters"], responses=ERRORS,
                   dependencies=[Depends(get_current_user)])
CreateBody = Annotated[CharacterCreateBody, Depends(body_dependency(CharacterCreateBody))]
CharacterId = Annotated[str, Path(description="A character id, char_...")]


def public(character: Character) -> CharacterPublic:
    return CharacterPublic(id=character.id, name=character.name, created_at=int(character.created_at),
                           look=CharacterLook(object_color=character.object_color, shape=character.shape,
                                              size=character.size))


def _owned(session: SessionDep, user: CurrentUser, character_id: str) -> Character:
    try:
        return characters.find(session, user.id, character_id)
    except characters.CharacterNotFound as exc:
        raise not_found(str(exc)) from None


@router.post("", openapi_extra=body_openapi(CharacterCreateBody, file_fields=("video", "image")))
def create_character(body: CreateBody, services: ServicesDep, session: SessionDep,
                     user: CurrentUser) -> CharacterPublic:
    """Create a character from an image or a video (its first frame)."""
    from azur.media.limits import UnreadableImage
    from azur.safety.guard import Blocked, ModerationUnavailable

    settings = services.settings
    try:
        name = characters.check_name(body.name)
    except InvalidRequest as exc:
        raise bad_request(exc.message, param=exc.param) from None
    field = "image" if body.image is not None else "video"
    if body.image is not None and body.video is not None:
        raise bad_request("Send the character's picture once: as video or as image, not both.", param="image")
    data = upload_bytes(body.image if body.image is not None else body.video)
    if not data:
        raise bad_request("Send the character's picture: an image or a video file (multipart).", param=field)
    if len(data) > settings.server.max_upload_bytes:
        raise too_large(f"The upload is {len(data)} bytes; the limit is {settings.server.max_upload_bytes}.",
                        param=field)
    if characters.count_of(session, user.id) >= settings.server.max_characters:
        raise bad_request(f"You have {settings.server.max_characters} characters, the most kept per user; delete "
                          "one first.", param="name", code="character_limit")
    if characters.name_taken(session, user.id, name):
        raise ApiError(409, f"You already have a character called '{name}'; a prompt must name one only.",
                       param="name", code="character_name_taken")
    try:
        frame, source = characters.reference_frame(data, settings.media)
    except (UnreadableImage, ValueError) as exc:
        raise bad_request(f"Cannot read the upload as an image or a video: {exc}", param=field,
                          code="invalid_image") from None
    try:
        services.safety.check_prompt(user.id, name)  # a name is words a prompt will hold
        services.safety.check_upload(user.id, frame, likeness_consent=body.likeness_consent)
    except Blocked as exc:
        raise moderation_blocked(exc.message, exc.category, param="name" if exc.param == "prompt" else field) \
            from None
    except ModerationUnavailable as exc:
        raise ApiError(503, str(exc), type="server_error", code="moderation_unavailable") from None
    try:
        look = characters.look_of(frame, name)
    except ValueError:
        raise bad_request("The picture shows no object apart from its background: upload one where the "
                          "character stands out.", param=field, code="invalid_image") from None
    from azur.media.images import encode_image

    character = characters.new_character(user.id, name, look, source=source, likeness_consent=body.likeness_consent)
    # The file first, then the row; a row that does not commit takes its file with it.
    try:
        services.storage.put_bytes(character.reference_key, encode_image(frame, "png"))
        session.add(character)
        session.commit()
    except BaseException as exc:
        session.rollback()
        _remove_files(services, character.id)
        if isinstance(exc, IntegrityError):  # the same name, created at the same moment
            raise ApiError(409, f"You already have a character called '{name}'.", param="name",
                           code="character_name_taken") from None
        if isinstance(exc, StorageError):
            raise storage_failed(f"The character could not be stored ({exc}); try again later.") from None
        raise
    return public(character)


def _remove_files(services: ServicesDep, character_id: str) -> None:
    try:
        services.storage.delete_prefix(characters.character_prefix(character_id))
    except StorageError as exc:
        log.error("files of character %s stay: %s", character_id, exc)


@router.get("")
def list_characters(
    services: ServicesDep, session: SessionDep, user: CurrentUser,
    after: Annotated[str | None, Query(description="The id of the last character of the previous page.")] = None,
    limit: Annotated[SmallCount | None, Query(description="Characters per page, 1-100.")] = None,
    order: Annotated[Literal["asc", "desc"], Query(description="By creation time.")] = "desc",
) -> CharacterList:
    """The caller's characters, newest first by default, a page at a time (Azur extension)."""
    limit = services.settings.server.list_limit if limit is None else limit
    if not 1 <= limit <= 100:
        raise bad_request(f"limit must be between 1 and 100, got {limit}.", param="limit")
    query = select(Character).where(Character.user_id == user.id)
    if after is not None:
        cursor = _owned(session, user, after)
        at, key = cursor.created_at, cursor.id
        if order == "desc":
            query = query.where(or_(Character.created_at < at, and_(Character.created_at == at, Character.id < key)))
        else:
            query = query.where(or_(Character.created_at > at, and_(Character.created_at == at, Character.id > key)))
    if order == "desc":
        query = query.order_by(Character.created_at.desc(), Character.id.desc())
    else:
        query = query.order_by(Character.created_at, Character.id)
    rows = list(session.scalars(query.limit(limit + 1)))
    page = [public(c) for c in rows[:limit]]
    return CharacterList(data=page, first_id=page[0].id if page else None, last_id=page[-1].id if page else None,
                         has_more=len(rows) > limit)


@router.get("/{character_id}")
def retrieve_character(character_id: CharacterId, session: SessionDep, user: CurrentUser) -> CharacterPublic:
    """A character."""
    return public(_owned(session, user, character_id))


@router.delete("/{character_id}")
def delete_character(character_id: CharacterId, services: ServicesDep, session: SessionDep,
                     user: CurrentUser) -> CharacterDeleted:
    """Delete a character and its reference picture (Azur extension). Clips already accepted keep its
    look: they hold their own copy."""
    character = _owned(session, user, character_id)
    try:
        services.storage.delete_prefix(characters.character_prefix(character.id))
    except StorageError as exc:
        session.rollback()
        raise storage_failed(f"Character '{character.id}' was not deleted: its picture could not be removed "
                             f"({exc}). Try again later.") from None
    session.delete(character)
    session.commit()
    return CharacterDeleted(id=character_id, deleted=True)


def with_character(services: ServicesDep, session: SessionDep, user: CurrentUser, options: inputs.Options,
                   character_ids: list[str] | None) -> tuple[inputs.Options, dict[str, Any] | None]:
    """``options`` showing the character a video request asks for (``character_ids``, else a name its
    prompt writes), and what the job keeps of it for ``videos.options["character"]`` (None: no character).
    An unknown id answers 404; two characters, or a model that cannot show one, 400."""
    try:
        character = characters.choose(session, user.id, character_ids, options.request.prompt)
        if character is None:
            return options, None
        casting = characters.cast(character, services.storage, services.settings.media)
        request = characters.apply(options.request, casting)
    except characters.CharacterNotFound as exc:
        raise not_found(str(exc), param="character_ids") from None
    except InvalidRequest as exc:
        raise bad_request(exc.message, param=exc.param) from None
    return inputs.Options(request=request, first_frame=request.first_frame), characters.as_option(casting)
