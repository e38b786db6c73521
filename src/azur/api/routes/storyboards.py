"""Storyboards on the API: a video made of shots (``POST /v1/videos`` with ``storyboard``), the remix of
one of its shots, and ``POST /v1/storyboards/draft`` (a proposed storyboard from a script).

``api/routes/videos.py`` hands storyboard requests here; acceptance itself (moderation, plan, quota, the job
row) is the same :func:`azur.api.routes.videos._accept` as any video. The storyboard is checked by
:mod:`azur.storyboard.shots` (the same checks as the CLI), stored in ``videos.options["storyboard"]`` and
shown on the video object; shot images are stored beside the video.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field, replace
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Depends, Path, Request, Response

from azur.api import audio_option
from azur.api import video_inputs as inputs
from azur.api.body import body_dependency, body_openapi
from azur.api.deps import OwnedVideo, ServicesDep, SessionDep, get_current_user
from azur.api.downloads import stored_file_response
from azur.api.errors import bad_request, not_found, too_large
from azur.api.routes import videos
from azur.api.schemas import StoryboardDraft, StoryboardDraftBody, VideoCreateBody, VideoRemixBody
from azur.db.models import User, Video, VideoKind
from azur import characters
from azur.engine.request import InvalidRequest, VideoRequest
from azur.storage.base import video_prefix
from azur.storyboard.shots import from_stored, image_file, parse_storyboard, stored, total_seconds


router = APIRouter(prefix="/v1/storyboards", tags=["storyboards"], responses=videos.ERRORS,
                   dependencies=[Depends(get_current_user)])
# A storyboard video's own inputs, under the video.
video_router = APIRouter(prefix="/v1/videos", tags=["storyboards"], responses=videos.ERRORS,
                         dependencies=[Depends(get_current_user)])
DraftBody = Annotated[StoryboardDraftBody, Depends(body_dependency(StoryboardDraftBody))]


@router.post("/draft", openapi_extra=body_openapi(StoryboardDraftBody))
def draft_storyboard(body: DraftBody, services: ServicesDep) -> StoryboardDraft:
    """A proposed storyboard for a script: one shot per beat, lengths from the text, establishing and
    cutaway shots where the scene changes (Azur's rules, or the operator's chat model when configured)."""
    from azur.storyboard.draft import DraftError, draft_storyboard

    settings = services.settings
    try:
        draft = draft_storyboard(body.script, language=body.language, max_chars=settings.storyboard.max_script_chars,
                                 max_shots=settings.storyboard.max_shots, max_seconds=settings.max_seconds,
                                 chat=settings.storyboard.chat)
    except DraftError as exc:
        raise bad_request(str(exc), param="script") from None
    return StoryboardDraft(**draft.as_json())


def create(services: ServicesDep, session: SessionDep, user: User, body: VideoCreateBody, *,
           before_commit: videos.BeforeCommit | None = None) -> Video:
    """Accept a storyboard video: one job, one video, whose seconds are the shots' total."""
    settings = services.settings
    if body.loop:
        raise bad_request("loop cannot be combined with a storyboard.", param="loop")
    if body.input_reference not in (None, ""):
        raise bad_request("A storyboard takes no input_reference: give a shot its own image.",
                          param="input_reference")
    try:
        shots = parse_storyboard(body.storyboard, max_shots=settings.storyboard.max_shots,
                                 max_seconds=settings.max_seconds, fps=settings.fps)
    except InvalidRequest as exc:
        raise bad_request(exc.message, param=exc.param) from None
    total = total_seconds(shots, settings.fps)
    if body.seconds is not None and abs(float(body.seconds) - total) > 0.5 / settings.fps:
        raise bad_request(f"seconds is {body.seconds} but the storyboard's shots last {total:g} s in all: leave "
                          "seconds out, or give their total.", param="seconds")
    images = {i: _shot_image(settings, shot.image, i) for i, shot in enumerate(shots) if shot.image}
    size = body.size if body.size is not None else inputs.default_size(settings, user)
    options = inputs.validate_options(settings, prompt=body.prompt, model=body.model, seconds=total, size=size,
                                      seed=body.seed, style=body.style)
    casts = _shot_characters(services, session, user, shots, options.request)
    for index, reference in casts.references.items():
        if index not in images:  # an image-conditioned model starts the shot from the character's picture
            images[index] = reference
            shots[index] = replace(shots[index], has_image=True)
    # One soundtrack under all the shots: the music runs on across cuts (azur.sound.mix).
    sound = audio_option.resolve(settings, user, body.audio, options.request)
    video = inputs.new_video(user.id, options)
    video.options = {"storyboard": stored(shots)}
    if casts.kept:
        video.options["shot_characters"] = casts.kept
    audio_option.attach(video, sound)
    return videos._accept(services, session, user, video, options, likeness_consent=body.likeness_consent,
                          more_prompts=tuple(shot.prompt for shot in shots), more_uploads=tuple(images.values()),
                          more_files={image_file(i): _png(image) for i, image in images.items()},
                          before_commit=before_commit)


def remix(services: ServicesDep, session: SessionDep, user: User, source: Video,
          body: VideoRemixBody, *, before_commit: videos.BeforeCommit | None = None) -> Video:
    """Remix one shot of a storyboard video: the same storyboard, seed and images, shot ``body.shot`` with
    the new prompt (the other shots come out as they were)."""
    from azur.jobs.compositions import input_files

    settings = services.settings
    if (source.options or {}).get("extension"):
        raise bad_request("This video is a storyboard video extended: remix the storyboard video itself.",
                          param="shot")
    shots = from_stored(source.options["storyboard"])
    index = _shot_index(body.shot, len(shots))
    shots[index] = replace(shots[index], prompt=body.prompt.strip())
    options = inputs.validate_options(settings, prompt=source.prompt or body.prompt, model=source.model,
                                      seconds=source.seconds, size=source.size_text,
                                      seed=source.seed if body.seed is None else body.seed,
                                      style=body.style or source.style)
    sound = audio_option.resolve(settings, user, body.audio, options.request, inherited=audio_option.of_source(source))
    video = inputs.new_video(user.id, options, kind=VideoKind.remix, remixed_from=source.id)
    video.options = {"storyboard": stored(shots)}
    if (source.options or {}).get("shot_characters"):  # each shot shows the character it showed
        video.options["shot_characters"] = source.options["shot_characters"]
    audio_option.attach(video, sound)
    return videos._accept(services, session, user, video, options, more_prompts=(body.prompt,),
                          more_files=input_files(services.storage, source), before_commit=before_commit)


@dataclass
class _ShotCharacters:
    kept: dict[str, dict[str, Any]] = field(default_factory=dict)  # videos.options["shot_characters"], by shot
    references: dict[int, np.ndarray] = field(default_factory=dict)  # first frames for image-conditioned models


def _shot_characters(services: ServicesDep, session: SessionDep, user: User, shots: list, base: VideoRequest
                     ) -> _ShotCharacters:
    """The character each shot shows: its ``character`` (an id, or a name), else one its prompt names.
    An unknown one answers 404; a model that can show no character, 400 (as for a single video)."""
    found = _ShotCharacters()
    castings: dict[str, characters.Casting] = {}
    for index, shot in enumerate(shots):
        ref = (shot.character or "").strip()
        try:
            if ref.startswith("char_"):
                character = characters.find(session, user.id, ref)
            elif ref:
                named = [c for c in characters.named_in(session, user.id, ref) if c.name.lower() == ref.lstrip("@").lower()]
                if not named:
                    raise not_found(f"storyboard[{index}].character: you have no character named '{ref[:64]}'.",
                                    param=f"storyboard[{index}].character")
                character = named[0]
            else:
                character = characters.choose(session, user.id, None, shot.prompt)
            if character is None:
                continue
            casting = castings.get(character.id) or characters.cast(character, services.storage, services.settings.media)
            castings[character.id] = casting
            shown = characters.apply(base.with_changes(prompt=shot.prompt, first_frame=None), casting)
        except characters.CharacterNotFound as exc:
            raise not_found(f"storyboard[{index}].character: {exc}", param=f"storyboard[{index}].character") from None
        except InvalidRequest as exc:
            raise bad_request(f"storyboard[{index}]: {exc.message}", param=f"storyboard[{index}].character") from None
        found.kept[str(index)] = characters.as_option(casting)
        if shown.first_frame is not None:
            found.references[index] = shown.first_frame
    return found


@video_router.get("/{video_id}/shots/{index}/image", response_class=Response,
                  responses={200: {"content": {"image/png": {}}, "description": "The shot's first frame."}})
def shot_image(request: Request, video: OwnedVideo, index: Annotated[int, Path(ge=0, le=999)],
               services: ServicesDep) -> Response:
    """Azur: the image a storyboard video's shot started from (PNG), so that a re-opened storyboard keeps
    it; 404 when that shot had none."""
    shots = (video.options or {}).get("storyboard") or []
    if index >= len(shots) or not shots[index].get("has_image"):
        raise not_found(f"Shot {index} of video '{video.id}' has no image.", param="index")
    return stored_file_response(request, services.settings, services.storage,
                                video_prefix(video.id) + image_file(index), media_type="image/png",
                                filename=f"{video.id}-shot-{index}.png",
                                missing=f"The image of shot {index} of video '{video.id}' is no longer stored.")


def _shot_index(value: Any, count: int) -> int:
    if value is None:
        raise bad_request(f"This is a storyboard video: name the shot to remix with shot (0 to {count - 1}).",
                          param="shot")
    if isinstance(value, str) and value.isdigit() and len(value) <= 3:
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < count:
        raise bad_request(f"Invalid shot {value!r}: the storyboard has shots 0 to {count - 1}.", param="shot")
    return value


def _shot_image(settings: Any, url: str, index: int) -> np.ndarray:
    """A shot's data URL decoded into an RGB frame, within the upload limits."""
    from azur.media.images import UnreadableImage, load_image

    param = f"storyboard[{index}].image"
    header, _, payload = url.partition(",")
    if not header.endswith(";base64"):
        raise bad_request(f"Shot {index}: image must be a base64 data URL.", param=param)
    try:
        data = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise bad_request(f"Shot {index}: image is not valid base64.", param=param) from None
    if len(data) > settings.server.max_upload_bytes:
        raise too_large(f"Shot {index}: image is {len(data)} bytes; the limit is {settings.server.max_upload_bytes}.",
                        param=param)
    try:
        return load_image(data, settings.media)
    except UnreadableImage as exc:
        raise bad_request(f"Shot {index}: {exc}", param=param, code="invalid_image") from None


def _png(image: np.ndarray) -> bytes:
    from azur.media.images import encode_image

    return encode_image(image, "png")
