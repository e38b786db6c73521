"""The life of a batch, kept in the database so that a restart resumes it where it stopped.

``POST /v1/batches`` only records the batch (``validating``). A loop in ``azur serve``
(:func:`start_batch_runner`, every ``batches.poll_seconds``) then moves every unfinished batch one step
at a time with :func:`advance`; each step is a short transaction whose outcome is in the database, so a
crash or restart between two steps loses nothing and the next round carries on:

- ``validating``: the input file's shape is checked (:mod:`azur.batches.lines`). A bad file ends the batch
  ``failed`` with its ``errors``; a good one gets one pending :class:`~azur.db.models.BatchRequest` row per
  line and goes ``in_progress``.
- ``in_progress``: pending lines are submitted, ``lines_per_round`` at a time, through the same code as a
  single request (:func:`azur.api.routes.videos.accept_create` and its remix and extension siblings):
  validation, moderation, plan limits and quota. A refused line records its HTTP status and error and
  fails alone; an accepted one is a queued video at the lowest priority (:data:`BATCH_PRIORITY`), claimed
  with its line in one transaction (a line is never submitted twice, even by two servers). Once every line
  is submitted and every video has ended, the batch goes ``finalizing``, then :func:`finish` writes the
  output and error files and ends it ``completed``. Past ``expires_at`` (24 h) waiting videos are
  cancelled and it ends ``expired`` instead.
- ``cancelling`` (:func:`cancel_batch`): videos not started are cancelled (and refunded), running ones
  finish, then :func:`finish` ends it ``cancelled`` with the files of what was done.

:func:`finish` is the one place where a batch reaches its final status (completed, failed, expired,
cancelled).
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from typing import TYPE_CHECKING, Any

from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session

from azur import files
from azur.accounts import ledger
from azur.api.errors import ApiError, bad_request, not_found, storage_failed
from azur.batches.lines import BatchLine, InputError, parse_input, remixed_video_id
from azur.db.models import Batch, BatchRequest, User, UserFile, Video, VideoStatus
from azur.storage.base import StorageError, video_prefix

if TYPE_CHECKING:
    from azur.api.deps import Services

log = logging.getLogger("azur.batches")

VALIDATING, IN_PROGRESS, FINALIZING = "validating", "in_progress", "finalizing"
COMPLETED, FAILED, EXPIRED, CANCELLING, CANCELLED = "completed", "failed", "expired", "cancelling", "cancelled"
ACTIVE = (VALIDATING, IN_PROGRESS, FINALIZING, CANCELLING)
FINAL_TIME = {COMPLETED: "completed_at", FAILED: "failed_at", EXPIRED: "expired_at", CANCELLED: "cancelled_at"}
COMPLETION_WINDOWS = {"24h": 24 * 3600}
# A batch's videos wait in the relaxed tier: behind every plan's normal jobs, beside relaxed ones, oldest first.
BATCH_PRIORITY = ledger.RELAXED_PRIORITY
WAITING = (VideoStatus.queued.value, VideoStatus.in_progress.value)


def new_batch_id() -> str:
    return "batch_" + uuid.uuid4().hex


# ---- what the API calls ---------------------------------------------------------------------------------

def create_batch(session: Session, user: User, *, endpoint: str, input_file_id: str, completion_window: str,
                 metadata: dict[str, str] | None) -> Batch:
    """Record a new batch (``validating``) in the caller's transaction. Raises :class:`ApiError` when the
    input file is not the user's batch file."""
    try:
        upload = files.get_user_file(session, user.id, input_file_id)
    except files.FileNotFound as exc:
        raise not_found(exc.message, param="input_file_id") from None
    if upload.purpose != "batch":
        raise bad_request(f"File '{input_file_id}' was uploaded with purpose '{upload.purpose}'; a batch's input "
                          "file needs purpose 'batch'.", param="input_file_id", code="invalid_input_file")
    now = time.time()
    batch = Batch(id=new_batch_id(), user_id=user.id, endpoint=endpoint, input_file_id=input_file_id,
                  completion_window=completion_window, status=VALIDATING, total=0, metadata_=metadata,
                  created_at=now, expires_at=now + COMPLETION_WINDOWS[completion_window])
    session.add(batch)
    return batch


def get_user_batch(session: Session, user_id: int, batch_id: str) -> Batch:
    """The batch ``batch_id`` if ``user_id`` owns it; else 404 (another user's batch is not even named)."""
    batch = session.get(Batch, batch_id) if len(batch_id) <= 64 else None
    if batch is None or batch.user_id != user_id:
        shown = batch_id if len(batch_id) <= 64 else batch_id[:61] + "..."
        raise not_found(f"No batch found with id '{shown}'.")
    return batch


def cancel_batch(session: Session, batch: Batch) -> Batch:
    """Ask a validating or running batch to stop (``cancelling``), in the caller's transaction; the runner
    cancels its waiting videos and ends it. Raises :class:`ApiError` (409) for a batch already ending."""
    now = time.time()
    moved = session.execute(update(Batch).where(Batch.id == batch.id, Batch.status.in_((VALIDATING, IN_PROGRESS)))
                            .values(status=CANCELLING, cancelling_at=now)).rowcount
    if moved != 1 and batch.status != CANCELLING:
        raise ApiError(409, f"Batch '{batch.id}' is {batch.status}; only a validating or in-progress batch can "
                       "be cancelled.", code="batch_not_cancellable")
    session.refresh(batch)
    return batch


def request_counts(session: Session, batch: Batch) -> dict[str, int]:
    """``{total, completed, failed}``: completed videos; refused lines, failed videos and, once the batch
    has ended, every line that did not complete."""
    done = Video.status == VideoStatus.completed.value
    bad = (BatchRequest.error.is_not(None)) | (Video.status == VideoStatus.failed.value) \
        | (BatchRequest.video_id.is_not(None) & Video.id.is_(None))
    completed, failed = session.execute(
        select(func.coalesce(func.sum(case((done, 1), else_=0)), 0), func.coalesce(func.sum(case((bad, 1), else_=0)), 0))
        .select_from(BatchRequest).outerjoin(Video, Video.id == BatchRequest.video_id)
        .where(BatchRequest.batch_id == batch.id)
    ).one()
    if batch.status in FINAL_TIME:
        failed = batch.total - completed
    return {"total": batch.total, "completed": int(completed), "failed": int(failed)}


# ---- the runner -----------------------------------------------------------------------------------------

class LineTaken(Exception):
    """Another runner submitted this line first: the video made for it here must not be kept."""


def start_batch_runner(services: Services) -> threading.Event:
    """A thread that advances every unfinished batch each ``batches.poll_seconds``; set the returned event
    to stop it."""
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(services.settings.batches.poll_seconds):
            run_round(services)

    threading.Thread(target=loop, name="azur-batches", daemon=True).start()
    return stop


def run_round(services: Services) -> None:
    """Advance each unfinished batch by a step or a few; one batch's failure does not stop the others."""
    with services.db.session() as session:
        batch_ids = list(session.scalars(select(Batch.id).where(Batch.status.in_(ACTIVE)).order_by(Batch.created_at)))
    for batch_id in batch_ids:
        try:
            advance(services, batch_id)
        except Exception:  # a busy database, a storage hiccup: the next round tries again
            log.exception("batch %s: this round failed", batch_id)


def advance(services: Services, batch_id: str) -> None:
    """Move the batch on as far as it can go now (see the module docstring)."""
    with services.db.session() as session:
        batch = session.get(Batch, batch_id)
        if batch is None:
            return
        if batch.status == VALIDATING:
            _validate(services, session, batch)
        if batch.status == IN_PROGRESS:
            now = time.time()
            if batch.expired_at is None and batch.expires_at < now:
                session.execute(update(Batch).where(Batch.id == batch.id).values(expired_at=now))
                session.commit()
                session.refresh(batch)
            if batch.expired_at is None and _submit_pending(services, session, batch):
                return  # lines remain: the next round submits more
            if batch.expired_at is not None:
                _cancel_waiting_videos(services, session, batch, reason="batch expired")
            if _videos_waiting(session, batch):
                return
            if not _move(session, batch, IN_PROGRESS, FINALIZING, finalizing_at=time.time()):
                return
        if batch.status == CANCELLING:
            _cancel_waiting_videos(services, session, batch, reason="batch cancelled")
            if not _videos_waiting(session, batch):
                finish(services, session, batch, CANCELLED)
        elif batch.status == FINALIZING:
            finish(services, session, batch, EXPIRED if batch.expired_at is not None else COMPLETED)


def _move(session: Session, batch: Batch, old: str, new: str, **values: Any) -> bool:
    """Commit ``old`` → ``new`` if the batch is still ``old`` (another runner, or a cancel, may have moved it)."""
    moved = session.execute(update(Batch).where(Batch.id == batch.id, Batch.status == old)
                            .values(status=new, **values)).rowcount == 1
    session.commit()
    session.refresh(batch)
    return moved


def _validate(services: Services, session: Session, batch: Batch) -> None:
    lines, errors = _read_input(services, session, batch)
    if errors:
        finish(services, session, batch, FAILED, errors=[e.to_dict() for e in errors])
        return
    now = time.time()
    moved = session.execute(update(Batch).where(Batch.id == batch.id, Batch.status == VALIDATING)
                            .values(status=IN_PROGRESS, in_progress_at=now, total=len(lines))).rowcount == 1
    if moved:  # the pending lines commit with the move, so a batch in progress always has all its lines
        session.add_all(BatchRequest(id="batch_req_" + uuid.uuid4().hex, batch_id=batch.id, line=line.number,
                                     custom_id=line.custom_id, created_at=now) for line in lines)
    session.commit()
    session.refresh(batch)


def _read_input(services: Services, session: Session, batch: Batch) -> tuple[list[BatchLine], list[InputError]]:
    try:
        _, data = files.read_user_file(session, services.storage, batch.user_id, batch.input_file_id)
    except (files.FileNotFound, files.UnusableFile) as exc:
        return [], [InputError("invalid_input_file", exc.args[0], param="input_file_id")]
    settings = services.settings.batches
    return parse_input(data, endpoint=batch.endpoint, max_requests=settings.max_requests)


def _submit_pending(services: Services, session: Session, batch: Batch) -> bool:
    """Submit up to ``lines_per_round`` pending lines; True when pending lines remain after them."""
    limit = services.settings.batches.lines_per_round
    pending = list(session.scalars(
        select(BatchRequest).where(BatchRequest.batch_id == batch.id, BatchRequest.video_id.is_(None),
                                   BatchRequest.error.is_(None)).order_by(BatchRequest.line).limit(limit + 1)))
    session.commit()
    if not pending:
        return False
    lines, errors = _read_input(services, session, batch)
    by_number = {line.number: line for line in lines}
    user = session.get(User, batch.user_id)
    for request in pending[:limit]:
        line = by_number.get(request.line)
        if errors or line is None or user is None:  # the input file was deleted or expired meanwhile
            _refuse(session, request.id, None, {"code": "input_file_missing",
                                                "message": "The batch's input file is no longer available."})
            continue
        _submit_line(services, session, user, request.id, line)
    return len(pending) > limit


def _submit_line(services: Services, session: Session, user: User, request_id: str, line: BatchLine) -> None:
    """Submit one line as its own request; a refusal is recorded on the line, as the API would answer it."""

    def claim_line(video: Video) -> None:  # runs inside the request's transaction, just before it commits
        video.priority = min(video.priority, BATCH_PRIORITY)
        claimed = session.execute(update(BatchRequest).where(
            BatchRequest.id == request_id, BatchRequest.video_id.is_(None), BatchRequest.error.is_(None),
        ).values(video_id=video.id)).rowcount
        if claimed != 1:
            raise LineTaken(request_id)

    try:
        _accept_line(services, session, user, line, claim_line)
    except LineTaken:
        session.rollback()
    except ApiError as exc:
        session.rollback()
        _refuse(session, request_id, exc.status, exc.body())
    except StorageError as exc:
        session.rollback()
        log.error("batch line %s: %s", request_id, exc)
        _refuse(session, request_id, 500, storage_failed(f"{exc} The request was not completed.").body())


def _accept_line(services: Services, session: Session, user: User, line: BatchLine, before_commit) -> Video:  # noqa: ANN001
    """The line's request through the route's own code (validation, moderation, plan, quota, queue)."""
    from azur.api.body import validate_body
    from azur.api.deps import find_owned_video
    from azur.api.routes import videos
    from azur.api.schemas import VideoCreateBody, VideoExtendBody, VideoRemixBody

    if line.url.endswith("/extensions"):
        return videos.accept_extension(services, session, user, validate_body(VideoExtendBody, line.body),
                                       before_commit=before_commit)
    source_id = remixed_video_id(line.url)
    if source_id is not None:
        source = find_owned_video(session, user, source_id)
        return videos.accept_remix(services, session, user, source, validate_body(VideoRemixBody, line.body),
                                   before_commit=before_commit)
    return videos.accept_create(services, session, user, validate_body(VideoCreateBody, line.body),
                                before_commit=before_commit)


def _refuse(session: Session, request_id: str, status_code: int | None, error: dict[str, Any]) -> None:
    session.execute(update(BatchRequest).where(
        BatchRequest.id == request_id, BatchRequest.video_id.is_(None), BatchRequest.error.is_(None),
    ).values(status_code=status_code, error=error))
    session.commit()


def _batch_videos(session: Session, batch: Batch, statuses: tuple[str, ...]) -> list[str]:
    return list(session.scalars(select(Video.id).join(BatchRequest, BatchRequest.video_id == Video.id)
                                .where(BatchRequest.batch_id == batch.id, Video.status.in_(statuses))))


def _videos_waiting(session: Session, batch: Batch) -> bool:
    waiting = bool(_batch_videos(session, batch, WAITING))
    session.commit()
    return waiting


def _cancel_waiting_videos(services: Services, session: Session, batch: Batch, *, reason: str) -> None:
    """Cancel (and refund) the batch's videos that have not started; running ones are left to finish."""
    cancelled = [video_id for video_id in _batch_videos(session, batch, (VideoStatus.queued.value,))
                 if services.queue.cancel_queued(session, video_id, reason=reason)]
    session.commit()
    for video_id in cancelled:  # a stored first frame; failing that, the purge's orphan sweep removes it
        try:
            services.storage.delete_prefix(video_prefix(video_id))
        except StorageError as exc:
            log.error("batch %s: %s", batch.id, exc)


# ---- the end --------------------------------------------------------------------------------------------

def finish(services: Services, session: Session, batch: Batch, status: str, *,
           errors: list[dict[str, Any]] | None = None) -> bool:
    """The batch's final transition: write its output and error files (not for ``failed``, which has
    ``errors`` instead) and move it to ``status`` (completed, failed, expired or cancelled), in one
    transaction. False when another runner ended it first (the files written here are then removed).

    Events about a batch's end (``batch.completed``, ``batch.failed``, ...) belong here, in this
    transaction, just before the commit."""
    now = time.time()
    stored: list[UserFile] = []
    if status != FAILED:
        succeeded, failed = result_lines(session, batch)
        for kind, lines in (("output", succeeded), ("error", failed)):
            if lines:
                data = "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines).encode("utf-8")
                stored.append(files.store_file(session, services.storage, services.settings, user_id=batch.user_id,
                                               filename=f"{batch.id}_{kind}.jsonl", purpose=files.BATCH_OUTPUT,
                                               data=data))
        output = stored[0].id if succeeded else None
        error = stored[-1].id if failed else None
    else:
        output = error = None
    values: dict[str, Any] = {"status": status, "output_file_id": output, "error_file_id": error}
    if status != EXPIRED or batch.expired_at is None:
        values[FINAL_TIME[status]] = now
    if errors is not None:
        values["errors"] = errors
    moved = session.execute(update(Batch).where(Batch.id == batch.id, Batch.status == batch.status)
                            .values(**values)).rowcount == 1
    if not moved:
        session.rollback()
        for row in stored:
            files.discard_bytes(services.storage, row.id)
        return False
    # <- webhooks: emit the batch's end event here (same transaction as the final status).
    session.commit()
    session.refresh(batch)
    log.info("batch %s %s", batch.id, status)
    return True


def result_lines(session: Session, batch: Batch) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The lines of the output file (completed videos) and of the error file (everything else), in the
    input's order, in OpenAI's batch output format."""
    from azur.api.routes.videos import public

    rows = session.execute(select(BatchRequest, Video).outerjoin(Video, Video.id == BatchRequest.video_id)
                           .where(BatchRequest.batch_id == batch.id).order_by(BatchRequest.line))
    ended = "batch_cancelled" if batch.cancelling_at is not None else "batch_expired"
    succeeded: list[dict[str, Any]] = []
    failed: list[dict[str, Any]] = []
    for request, video in rows:
        line: dict[str, Any] = {"id": request.id, "custom_id": request.custom_id, "response": None, "error": None}
        request_id = "req_" + request.id.removeprefix("batch_req_")
        if video is not None and video.status == VideoStatus.completed.value:
            line["response"] = {"status_code": 200, "request_id": request_id,
                                "body": public(video).model_dump(mode="json")}
            succeeded.append(line)
            continue
        if request.error is not None and request.status_code is not None:  # refused, as a single request would be
            line["response"] = {"status_code": request.status_code, "request_id": request_id, "body": request.error}
        elif request.error is not None:
            line["error"] = request.error
        elif video is not None and video.status == VideoStatus.failed.value:  # accepted, then failed
            body = public(video).model_dump(mode="json")
            line["response"] = {"status_code": 200, "request_id": request_id, "body": body}
            line["error"] = body["error"]
        elif request.video_id is not None and video is None and batch.cancelling_at is None \
                and batch.expired_at is None:  # the user deleted it
            line["error"] = {"code": "video_deleted", "message": f"Video '{request.video_id}' was deleted."}
        else:  # never submitted, or cancelled before it started
            reason = "cancelled" if ended == "batch_cancelled" else "expired"
            line["error"] = {"code": ended, "message": f"The batch {reason} before this request was made."}
        failed.append(line)
    return succeeded, failed
