"""``/v1/videos``: OpenAI's Videos API (create, list, retrieve, delete, content, remix, extensions, edits).

Each route validates, writes the job row and commits before answering (an accepted job is never lost),
then returns the video as ``openai.types.Video``. While a video is queued or running the answer carries
``openai-poll-after-ms`` so that the official client's ``videos.poll`` paces itself.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy import and_, or_, select

from azur import characters
from azur.api import audio_option
from azur.api import video_inputs as inputs
from azur.api.body import body_dependency, body_openapi
from azur.api.deps import CurrentUser, OwnedVideo, ServicesDep, SessionDep, find_owned_video, get_current_user
from azur.api.downloads import stored_file_response
from azur.api.errors import (
    ApiError,
    bad_request,
    client_text,
    gone,
    moderation_blocked,
    not_found,
    not_ready,
    quota_exceeded,
    storage_failed,
)
from azur.api.fields import SmallCount
from azur.api.routes.characters import with_character
from azur.api.schemas import (
    ErrorBody,
    VideoCreateBody,
    VideoDeleted,
    VideoEditBody,
    VideoError,
    VideoExtendBody,
    VideoList,
    VideoPublic,
    VideoRemixBody,
)
from azur.db.models import User, Video, VideoKind, VideoStatus
from azur.jobs.fleet import Serving, queue_reason
from azur.storage.base import StorageError, video_prefix

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger("azur.api")
ERRORS = {code: {"model": ErrorBody} for code in (400, 401, 404, 409, 410, 413, 429, 500, 503)}
# Authentication runs first (router dependency, cached for the route's own CurrentUser): a request without
# a valid key is answered 401 whatever its body.
router = APIRouter(prefix="/v1/videos", tags=["videos"], responses=ERRORS, dependencies=[Depends(get_current_user)])

VIDEO_REFERENCE = {
    "anyOf": [
        {"type": "object", "properties": {"id": {"type": "string"}}, "required": ["id"]},
        {"type": "string"},
    ]
}
CONTENT_TYPES = {"video": "video/mp4", "thumbnail": "image/webp", "spritesheet": "image/jpeg"}
EXTENSIONS = {"video": "mp4", "thumbnail": "webp", "spritesheet": "jpg"}
# Bodies are read by async dependencies (JSON or multipart); the routes themselves are sync and run in
# the thread pool, so decoding uploads and database work never block the event loop.
CreateBody = Annotated[VideoCreateBody, Depends(body_dependency(VideoCreateBody))]
ExtendBody = Annotated[VideoExtendBody, Depends(body_dependency(VideoExtendBody))]
EditBody = Annotated[VideoEditBody, Depends(body_dependency(VideoEditBody))]
RemixBody = Annotated[VideoRemixBody, Depends(body_dependency(VideoRemixBody))]


def public(video: Video, serving: Serving | None = None) -> VideoPublic:
    """A video row as ``openai.types.Video``; with ``serving`` (what running workers serve), a queued video
    whose model nobody serves says so in ``queue_reason``."""
    failed = video.status == VideoStatus.failed.value
    seconds = int(video.seconds) if float(video.seconds).is_integer() else video.seconds
    return VideoPublic(
        id=video.id,
        status=video.status,
        progress=video.progress,
        created_at=int(video.created_at),
        completed_at=int(video.completed_at) if video.completed_at else None,
        expires_at=int(video.expires_at) if video.expires_at else None,
        model=video.model,
        prompt=video.prompt,
        seconds=str(seconds),
        size=video.size_text,
        remixed_from_video_id=video.remixed_from_video_id,
        provenance={"ai_generated": True, **video.provenance} if video.provenance else None,
        notes=list(video.notes or []),
        storyboard=(video.options or {}).get("storyboard"),
        loop=True if (video.options or {}).get("loop") else None,
        **_choices(video.options or {}),
        # A failure's message may quote an exception that names a server path: shown without it.
        error=VideoError(code=video.error_code or "generation_failed",
                         message=client_text(video.error_message or "Failed."))
        if failed else None,
        queue_reason=queue_reason(video.model, serving)
        if serving is not None and video.status == VideoStatus.queued.value else None,
    )


def _choices(options: dict) -> dict:
    """What the video object says of the choices a job was made with (its character, LoRAs, quality)."""
    character = options.get("character")
    return {"character_ids": [character["id"]] if character and character.get("id") else None,
            "loras": [{"name": name, "scale": scale} for name, scale in options["loras"]] if options.get("loras") else None,
            "quality": options.get("quality")}


def answer(video: Video, response: Response, services: ServicesDep) -> VideoPublic:
    if video.status in (VideoStatus.queued.value, VideoStatus.in_progress.value):
        response.headers["openai-poll-after-ms"] = str(services.settings.server.poll_after_ms)
    return public(video, services.serving() if video.status == VideoStatus.queued.value else None)


# Called with the accepted video before its transaction commits: a caller's own rows and changes (a batch's
# line, its lower priority) commit with the job or not at all.
BeforeCommit = Callable[[Video], None]


def _accept(services: ServicesDep, session: SessionDep, user: User, video: Video, options: inputs.Options,
            *, upload=None, likeness_consent: bool = False, remix_of: Video | None = None,  # noqa: ANN001
            more_prompts: tuple[str, ...] = (), more_uploads: tuple = (),
            more_files: dict[str, bytes] | None = None, before_commit: BeforeCommit | None = None) -> Video:
    """Moderate, check the plan, reserve the quota, store the job's inputs, add the job and commit, all
    in one transaction: from here on the video will be made (or refunded).

    ``upload`` is a first frame the user sent (checked for nudity and real faces); frames taken from the
    user's own finished videos were checked when those were made. ``remix_of``: the video whose stored
    first frame the new one starts from. ``more_prompts`` and ``more_uploads``: further prompts and images
    to moderate (a storyboard's shots); ``more_files``: further input files stored beside the video, by name.
    """
    from azur.accounts import ledger
    from azur.accounts.plans import PlanLimit
    from azur.safety.guard import Blocked, ModerationUnavailable

    try:
        services.safety.check_prompt(user.id, options.request.prompt)
        for text, param in audio_option.texts_to_moderate(video):
            services.safety.check_prompt(user.id, text, param=param)
        for prompt in more_prompts:
            services.safety.check_prompt(user.id, prompt)
        for image in (upload, *more_uploads):
            if image is not None:
                services.safety.check_upload(user.id, image, likeness_consent=likeness_consent)
    except Blocked as exc:
        raise moderation_blocked(exc.message, exc.category, param=exc.param) from None
    except ModerationUnavailable as exc:
        raise ApiError(503, str(exc), type="server_error", code="moderation_unavailable") from None
    first_frame = inputs.first_frame_png(services.storage, options, remix_of=remix_of)
    try:
        ledger.reserve(session, services.settings, user, video, options.request)
    except PlanLimit as exc:
        raise bad_request(exc.message, param=exc.param, code="plan_limit") from None
    except ledger.QuotaExceeded as exc:
        raise quota_exceeded(exc.message, exc.resets_at) from None
    # Files are written only now that the request is accepted, and go again if its row does not commit:
    # a refused or failed request leaves nothing in storage (`azur purge` sweeps what a crash leaves).
    try:
        inputs.store_first_frame(services.storage, video, first_frame)
        for name, data in (more_files or {}).items():
            services.storage.put_bytes(video_prefix(video.id) + name, data)
        services.queue.submit(session, video)
        if before_commit is not None:
            before_commit(video)
        session.commit()
    except BaseException:
        session.rollback()
        _remove_files_of(services, video.id)
        raise
    return video


def _remove_files_of(services: ServicesDep, video_id: str) -> None:
    try:
        services.storage.delete_prefix(video_prefix(video_id))
    except StorageError as exc:
        log.error("files of the refused job %s stay until the next purge: %s", video_id, exc)


@router.post("", openapi_extra=body_openapi(VideoCreateBody, file_fields=("input_reference",)))
def create_video(body: CreateBody, response: Response, services: ServicesDep, session: SessionDep,
                 user: CurrentUser) -> VideoPublic:
    """Create a video from a prompt, optionally starting from an image (``input_reference``), or from a
    storyboard of shots (``storyboard``, Azur), optionally looping (``loop``, Azur), optionally showing a
    character (``character_ids``, or its name in the prompt: see azur.characters)."""
    return answer(accept_create(services, session, user, body), response, services)


def accept_create(services: ServicesDep, session: SessionDep, user: User, body: VideoCreateBody, *,
                  before_commit: BeforeCommit | None = None) -> Video:
    """``POST /v1/videos`` without HTTP: validate, moderate, reserve and queue; raises :class:`ApiError`.
    A batch's line goes through here too (:mod:`azur.batches`)."""
    if body.storyboard is not None:
        from azur.api.routes import storyboards

        return storyboards.create(services, session, user, body, before_commit=before_commit)
    settings = services.settings
    first_frame = inputs.reference_image(settings, body.input_reference,
                                         read_file=inputs.user_file_reader(session, services.storage, user.id))
    size = body.size if body.size is not None else inputs.default_size(settings, user)
    options = inputs.validate_options(settings, prompt=body.prompt, model=body.model, seconds=body.seconds,
                                      size=size, seed=body.seed, style=body.style, first_frame=first_frame,
                                      loras=body.asked_loras(), quality=body.quality)
    options, character = with_character(services, session, user, options, body.character_ids)
    sound = audio_option.resolve(settings, user, body.audio, options.request)
    video = inputs.new_video(user.id, options)
    if body.loop:
        video.options = {**(video.options or {}), "loop": True}
    audio_option.attach(video, sound)
    if character is not None:
        video.options = {**(video.options or {}), "character": character}
    return _accept(services, session, user, video, options, upload=first_frame,
                   likeness_consent=body.likeness_consent, before_commit=before_commit)


@router.get("")
def list_videos(
    response: Response,
    services: ServicesDep,
    session: SessionDep,
    user: CurrentUser,
    after: Annotated[str | None, Query(description="The id of the last video of the previous page.")] = None,
    limit: Annotated[SmallCount | None, Query(description="Videos per page, 0-100 (0: none, has_more says "
                                                          "whether there are any).")] = None,
    order: Annotated[Literal["asc", "desc"], Query(description="By creation time.")] = "desc",
) -> VideoList:
    """The caller's videos, newest first by default, a page at a time."""
    limit = services.settings.server.list_limit if limit is None else limit
    if not 0 <= limit <= 100:
        raise bad_request(f"limit must be between 0 and 100, got {limit}.", param="limit")
    query = select(Video).where(Video.user_id == user.id)
    descending = order == "desc"
    if after is not None:
        cursor = find_owned_video(session, user, after, param="after")
        key = (cursor.created_at, cursor.id)
        if descending:
            query = query.where(or_(Video.created_at < key[0], and_(Video.created_at == key[0], Video.id < key[1])))
        else:
            query = query.where(or_(Video.created_at > key[0], and_(Video.created_at == key[0], Video.id > key[1])))
    if descending:
        query = query.order_by(Video.created_at.desc(), Video.id.desc())
    else:
        query = query.order_by(Video.created_at, Video.id)
    rows = list(session.scalars(query.limit(limit + 1)))
    now_serving = services.serving() if any(v.status == VideoStatus.queued.value for v in rows) else None
    page = [public(v, now_serving) for v in rows[:limit]]
    return VideoList(data=page, first_id=page[0].id if page else None, last_id=page[-1].id if page else None,
                     has_more=len(rows) > limit)


def _from_source(services: ServicesDep, session: SessionDep, user: User, body: VideoExtendBody | VideoEditBody, *,
                 frame: str, verb: str, keep_length: bool) -> tuple[inputs.Options, str | None, np.ndarray | None]:
    """Options for a job made from a video, given as an owned video id or an uploaded file: the source's
    ``frame`` ("first" or "last") becomes the first frame; size (and, with ``keep_length``, duration) come
    from the source. Returns the options, the source video's id (None for an upload) and the frame to store
    with the job (None when it comes from a stored video)."""
    settings = services.settings
    source_id = inputs.source_video_id(body.video)
    if source_id is not None:
        source = find_owned_video(session, user, source_id, param="video")
        inputs.require_completed(source, verb)
        image = _stored_frame(services, source, frame)
        loras, quality = inputs.carried_choices(body, source)
        options = inputs.validate_options(
            settings, prompt=body.prompt, model=source.model, seed=source.seed if body.seed is None else body.seed,
            seconds=source.seconds if keep_length else body.seconds, size=source.size_text,  # type: ignore[union-attr]
            style=body.style or source.style, first_frame=image, loras=loras, quality=quality)
        return options, source_id, None
    upload = inputs.uploaded_video(settings, body.video)
    size, duration = _shape_of_upload(services, upload)
    image = _upload_frame(services, upload, frame)
    if keep_length:  # an edit's body has no seconds: it keeps the upload's length
        seconds = min(settings.max_seconds, max(1, round(duration))) if duration else 4
    else:
        seconds = body.seconds  # type: ignore[union-attr]
    options = inputs.validate_options(settings, prompt=body.prompt, seconds=seconds, size=inputs.closest_size(size),
                                      seed=body.seed, style=body.style, first_frame=image,
                                      loras=body.asked_loras(), quality=body.quality)
    return options, None, image


@router.post("/extensions", openapi_extra=body_openapi(VideoExtendBody, file_fields=("video",),
                                                       json_objects={"video": VIDEO_REFERENCE}))
def extend_video(body: ExtendBody, response: Response, services: ServicesDep, session: SessionDep,
                 user: CurrentUser) -> VideoPublic:
    """Continue a video: a new segment of ``seconds`` starting on the source's last frame, stitched after
    the source (the video's ``seconds`` is then the total, as OpenAI's spec says); with ``stitch: false``
    (Azur) the video is the new segment alone."""
    return answer(accept_extension(services, session, user, body), response, services)


def accept_extension(services: ServicesDep, session: SessionDep, user: User, body: VideoExtendBody, *,
                     before_commit: BeforeCommit | None = None) -> Video:
    """``POST /v1/videos/extensions`` without HTTP (as :func:`accept_create`)."""
    from azur.api import stitching

    options, source_id, upload = _from_source(services, session, user, body, frame="last", verb="extended",
                                              keep_length=False)
    source = find_owned_video(session, user, source_id, param="video") if source_id else None
    # The extension carries its source's music and effects on (not its voice-over: those words were said).
    inherited = audio_option.of_source(source).without_voiceover() if source is not None else None
    sound = audio_option.resolve(services.settings, user, body.audio, options.request, inherited=inherited)
    video = inputs.new_video(user.id, options, kind=VideoKind.extension, source=source_id)
    # Stitching sets the video's options first; its sound goes with them.
    files = stitching.prepare(services, session, user, body, video, options, source_id) if body.stitch else {}
    audio_option.attach(video, sound, audio_option.continuation(source) if source is not None else None)
    video.options = characters.carry_over(video.options, source.options if source is not None else None)
    return _accept(services, session, user, video, options, upload=upload, more_files=files,
                   before_commit=before_commit)


@router.post("/edits", openapi_extra=body_openapi(VideoEditBody, file_fields=("video",),
                                                  json_objects={"video": VIDEO_REFERENCE}))
def edit_video(body: EditBody, response: Response, services: ServicesDep, session: SessionDep,
               user: CurrentUser) -> VideoPublic:
    """Edit a video by making it again from its first frame with the new prompt.

    The embedded model cannot change a video in place; it re-generates the clip from the source's first
    frame, at the source's size and length, with the new prompt."""
    options, source_id, upload = _from_source(services, session, user, body, frame="first", verb="edited",
                                              keep_length=True)
    source = find_owned_video(session, user, source_id, param="video") if source_id else None
    inherited = audio_option.of_source(source) if source is not None else None
    sound = audio_option.resolve(services.settings, user, body.audio, options.request, inherited=inherited)
    video = inputs.new_video(user.id, options, kind=VideoKind.edit, source=source_id)
    audio_option.attach(video, sound)
    video.options = characters.carry_over(video.options, source.options if source is not None else None)
    return answer(_accept(services, session, user, video, options, upload=upload), response, services)


@router.get("/{video_id}")
async def retrieve_video(video: OwnedVideo, response: Response, services: ServicesDep) -> VideoPublic:
    """A video's status and progress."""
    return answer(video, response, services)


@router.delete("/{video_id}")
def delete_video(video: OwnedVideo, services: ServicesDep, session: SessionDep) -> VideoDeleted:
    """Delete a video and its files; a running job notices and stops. A video deleted before it started
    gives its quota back."""
    video_id = video.id
    # Files first: when they cannot be removed the row stays as it was (nothing refunded, nothing lost)
    # and the client is told, so a retry, or the erasure of the account, finishes the job.
    try:
        services.storage.delete_prefix(video_prefix(video_id))
    except StorageError as exc:
        session.rollback()
        raise storage_failed(f"Video '{video_id}' was not deleted: its files could not be removed ({exc}). "
                             "It is kept as it was; try again later.") from None
    session.expunge(video)  # the row is removed by the queue's conditional DELETE, not by the ORM
    if services.queue.delete(session, video_id) is None:  # a parallel DELETE got there first
        raise not_found(f"No video found with id '{video_id}'.")
    session.commit()
    return VideoDeleted(id=video_id, deleted=True)


CONTENT_ROUTE = {
    "path": "/{video_id}/content",
    "response_class": Response,
    "responses": {200: {"content": {t: {} for t in CONTENT_TYPES.values()}, "description": "The file."}},
}


@router.head(**CONTENT_ROUTE, summary="Check Content (headers only)")
@router.get(**CONTENT_ROUTE)
def download_content(
    request: Request,
    video: OwnedVideo,
    services: ServicesDep,
    variant: Annotated[Literal["video", "thumbnail", "spritesheet"],
                       Query(description="video (MP4), thumbnail (WebP) or spritesheet (JPEG).")] = "video",
) -> Response:
    """Download the finished video, its thumbnail or its spritesheet. ``HEAD`` answers the same status and
    headers (type, length) without the body; a ``Range`` request gets its bytes (206)."""
    if video.expires_at is not None and video.expires_at < time.time():
        raise gone(f"Video '{video.id}' expired on {time.strftime('%Y-%m-%d', time.gmtime(video.expires_at))}; "
                   "its files were deleted under the retention policy.")
    if video.status != VideoStatus.completed.value or not video.files:
        raise not_ready(f"Video '{video.id}' is {video.status}; its content is available once it is completed.")
    key = video.files.get(variant)
    missing = f"The {variant} of video '{video.id}' is no longer stored."
    if not key:
        raise not_found(missing)
    return stored_file_response(request, services.settings, services.storage, key, media_type=CONTENT_TYPES[variant],
                                filename=f"{video.id}.{EXTENSIONS[variant]}", missing=missing)


@router.post("/{video_id}/remix", openapi_extra=body_openapi(VideoRemixBody))
def remix_video(source: OwnedVideo, body: RemixBody, response: Response, services: ServicesDep,
                session: SessionDep, user: CurrentUser) -> VideoPublic:
    """A new video with the source's options and seed and a new prompt; for a storyboard video, a new
    prompt for one shot (``shot``, Azur)."""
    return answer(accept_remix(services, session, user, source, body), response, services)


def accept_remix(services: ServicesDep, session: SessionDep, user: User, source: Video, body: VideoRemixBody, *,
                 before_commit: BeforeCommit | None = None) -> Video:
    """``POST /v1/videos/{id}/remix`` without HTTP (as :func:`accept_create`); ``source`` is owned by ``user``."""
    from azur.jobs.compositions import generated_seconds, input_files

    settings = services.settings
    inputs.require_completed(source, "remixed")
    if (source.options or {}).get("storyboard"):
        from azur.api.routes import storyboards

        return storyboards.remix(services, session, user, source, body, before_commit=before_commit)
    if body.shot is not None:
        raise bad_request("shot applies only to a storyboard video.", param="shot")
    loras, quality = inputs.carried_choices(body, source)
    options = inputs.validate_options(settings, prompt=body.prompt, model=source.model,
                                      seconds=generated_seconds(source), size=source.size_text,
                                      seed=source.seed if body.seed is None else body.seed,
                                      style=body.style or source.style, loras=loras, quality=quality)
    sound = audio_option.resolve(settings, user, body.audio, options.request, inherited=audio_option.of_source(source))
    video = inputs.new_video(user.id, options, kind=VideoKind.remix, remixed_from=source.id)
    # The source's own way of being made (a loop, a blend, a stitched extension, its character) and its inputs
    # carry over; its sound is the one resolved above (inherited unless the request says otherwise).
    # (Its LoRAs and quality are the ones validated above: the source's, or the request's own.)
    kept = {k: v for k, v in (source.options or {}).items() if k not in (*audio_option.OPTION_KEYS, *inputs.CHOICE_KEYS)}
    video.options = {**kept, **inputs.model_choices(options.request)} or None
    video.seconds = source.seconds
    audio_option.attach(video, sound)
    return _accept(services, session, user, video, options, remix_of=source,
                   more_files=input_files(services.storage, source), before_commit=before_commit)


def _stored_frame(services: ServicesDep, source: Video, which: str):  # noqa: ANN202
    from azur.media.read import UnreadableVideo

    key = (source.files or {}).get("video")
    storage = services.storage
    if not key or not storage.exists(key):
        raise not_found(f"The video file of '{source.id}' is no longer stored.", param="video")
    try:
        return inputs.video_frame(services.settings, storage.local_path(key) or storage.read_bytes(key), which)
    except UnreadableVideo as exc:
        log.error("stored video %s cannot be decoded: %s", source.id, exc)
        raise ApiError(500, f"The stored video '{source.id}' cannot be decoded.", type="server_error") from None


def _upload_frame(services: ServicesDep, upload: bytes, which: str):  # noqa: ANN202
    from azur.media.read import UnreadableVideo

    try:
        return inputs.video_frame(services.settings, upload, which)
    except UnreadableVideo as exc:
        raise bad_request(f"Cannot read the uploaded video: {exc}", param="video", code="invalid_video") from None


def _shape_of_upload(services: ServicesDep, upload: bytes) -> tuple[tuple[int, int], float | None]:
    from azur.media.read import UnreadableVideo

    try:
        return inputs.video_shape(services.settings, upload)
    except UnreadableVideo as exc:
        raise bad_request(f"Cannot read the uploaded video: {exc}", param="video", code="invalid_video") from None
