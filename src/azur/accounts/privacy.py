"""Data rights (GDPR): export everything kept about a user, erase a user, and purge expired data.

- :func:`export_user` builds a ZIP: the account, API keys' metadata (never the keys or their hashes),
  every video's request, status and provenance, the characters (their looks and reference pictures), the
  usage ledger, the audit entries about the user, the webhook endpoints (not their secrets) and
  deliveries, and the stored files (videos, thumbnails, spritesheets, first frames).
- :func:`erase_user` removes the user's files (characters' included) from storage and their rows from the
  database (videos, characters, keys, webhook endpoints and their deliveries); the usage
  ledger and the audit log keep their rows for the operator's books, anonymised: no user id, and audit
  actors ``user:<id>`` become one random ``user:erased-<token>`` per erased user (the log still reads "this
  unknown user was refused twice, then erased", and the token leads to no one). Ids are never reused
  (see :mod:`azur.db.models`), and SQLite's file is left holding no byte of the user (see
  :meth:`azur.db.session.Database.flush_deleted`). Keys stop working at once: they are deleted in the same
  transaction.
- :func:`purge_expired` deletes the files of videos past ``expires_at``, uploaded files (and batches'
  output files) past theirs, and blanks prompts older than ``prompt_retention_days``; the API then answers
  410 for the videos' content and 404 for the files.
- :func:`remove_orphan_files` removes stored files that no row owns (what a crash or a failed removal left).
"""

from __future__ import annotations

import io
import json
import logging
import secrets
import time
import zipfile
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, null, select, update
from sqlalchemy.orm import Session

from azur.characters import character_prefix
from azur.config import Settings
from azur.db.models import (ApiKey, AuditEntry, Batch, BatchRequest, Character, UsageEntry, User, UserFile, Video,
                            VideoStatus, WebhookDelivery, WebhookEndpoint)
from azur.files import FILES_PREFIX, storage_key
from azur.storage.base import MissingFile, Storage, StorageError, video_prefix

log = logging.getLogger("azur.privacy")

EXPIRED_PROMPT = ""  # what a prompt past its retention becomes
VIDEOS_PREFIX = "videos/"


def _iso(ts: float | None) -> str | None:
    return None if ts is None else time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def _video_record(video: Video, settings: Settings) -> dict[str, Any]:
    from azur.provenance.identity import load_installation
    from azur.provenance.watermark import WatermarkPayload

    installation = load_installation(settings.home, create=False) if settings.provenance.watermark else None
    payload = WatermarkPayload.for_video(installation.id, video.id).text if installation else None
    return {
        "id": video.id, "kind": video.kind, "status": video.status, "model": video.model, "prompt": video.prompt,
        "seconds": video.seconds, "size": video.size_text, "seed": video.seed, "style": video.style,
        "created_at": _iso(video.created_at), "completed_at": _iso(video.completed_at),
        "expires_at": _iso(video.expires_at), "remixed_from_video_id": video.remixed_from_video_id,
        "source_video_id": video.source_video_id, "error": video.error_message, "cost_credits": video.cost_credits,
        "files": sorted((video.files or {}).values()),
        "options": video.options or {},  # what else was asked: sound, a storyboard's shots, loop, blend, ...
        "provenance": {
            "ai_generated": True,
            "c2pa": "signed content credentials embedded in the MP4" if settings.provenance.c2pa else None,
            "watermark_payload": payload,
        },
    }


def export_user(session: Session, storage: Storage, settings: Settings, user: User) -> bytes:
    """A ZIP of everything kept about ``user`` (see the module docstring)."""
    videos = list(session.scalars(select(Video).where(Video.user_id == user.id).order_by(Video.created_at)))
    keys = list(session.scalars(select(ApiKey).where(ApiKey.user_id == user.id).order_by(ApiKey.id)))
    ledger = list(session.scalars(select(UsageEntry).where(UsageEntry.user_id == user.id).order_by(UsageEntry.id)))
    audit = list(session.scalars(select(AuditEntry).where(AuditEntry.user_id == user.id).order_by(AuditEntry.id)))
    cast = list(session.scalars(select(Character).where(Character.user_id == user.id).order_by(Character.created_at)))
    uploads = list(session.scalars(select(UserFile).where(UserFile.user_id == user.id).order_by(UserFile.created_at)))
    batches = list(session.scalars(select(Batch).where(Batch.user_id == user.id).order_by(Batch.created_at)))
    hooks = list(session.scalars(select(WebhookEndpoint).where(WebhookEndpoint.user_id == user.id)
                                 .order_by(WebhookEndpoint.created_at)))
    sent = list(session.scalars(select(WebhookDelivery).where(WebhookDelivery.user_id == user.id)
                                .order_by(WebhookDelivery.created_at)))
    documents = {
        "account.json": {"name": user.name, "plan": user.plan, "created_at": _iso(user.created_at)},
        "api_keys.json": [{"id": k.id, "prefix": k.prefix, "created_at": _iso(k.created_at),
                           "revoked_at": _iso(k.revoked_at)} for k in keys],
        "videos.json": [_video_record(v, settings) for v in videos],
        "characters.json": [{"id": c.id, "name": c.name, "created_at": _iso(c.created_at), "source": c.source,
                             "look": {"object_color": c.object_color, "shape": c.shape, "size": c.size},
                             "likeness_consent": c.likeness_consent, "reference": f"files/{c.id}/"}
                            for c in cast],
        "usage_ledger.json": [{"kind": e.kind, "video_id": e.video_id, "period": e.period, "videos": e.videos,
                               "credits": e.credits, "plan": e.plan, "note": e.note, "at": _iso(e.created_at)}
                              for e in ledger],
        "audit_log.json": [{"action": a.action, "actor": a.actor, "video_id": a.video_id, "detail": a.detail,
                            "at": _iso(a.at)} for a in audit],
        "files.json": [{"id": f.id, "filename": f.filename, "purpose": f.purpose, "bytes": f.bytes,
                        "created_at": _iso(f.created_at), "expires_at": _iso(f.expires_at)} for f in uploads],
        "batches.json": [_batch_record(session, b) for b in batches],
        # The signing secrets are not exported: they are credentials, like the API keys.
        "webhook_endpoints.json": [{"id": h.id, "name": h.name, "url": h.url, "event_types": h.event_types,
                                    "created_at": _iso(h.created_at)} for h in hooks],
        "webhook_deliveries.json": [{"id": d.id, "endpoint_id": d.endpoint_id, "event": json.loads(d.payload),
                                     "status": d.status, "attempts": d.attempts, "created_at": _iso(d.created_at),
                                     "delivered_at": _iso(d.delivered_at), "last_status_code": d.last_status_code,
                                     "last_error": d.last_error} for d in sent],
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.txt", (
            f"Everything Azur keeps about the user '{user.name}', exported {_iso(time.time())}.\n"
            "account.json, api_keys.json (metadata only: keys are stored as hashes and not exported),\n"
            "videos.json (requests, status, provenance), characters.json, usage_ledger.json, audit_log.json,\n"
            "files/<video id>/ (the videos, thumbnails, spritesheets and first frames still stored),\n"
            "files/<character id>/ (the picture each character was made from),\n"
            "files.json and uploads/<file id>/ (files uploaded to /v1/files, batches' output files),\n"
            "batches.json (each batch and what became of each of its lines),\n"
            "webhook_endpoints.json and webhook_deliveries.json (signing secrets are not exported).\n"))
        for name, document in documents.items():
            archive.writestr(name, json.dumps(document, indent=2, ensure_ascii=False))
        for video in videos:
            keys_of_video = set((video.files or {}).values()) | ({video.first_frame_key} if video.first_frame_key else set())
            for key in sorted(keys_of_video):
                try:
                    data = storage.read_bytes(key)
                except MissingFile:
                    continue
                archive.writestr(f"files/{video.id}/{key.rsplit('/', 1)[-1]}", data, zipfile.ZIP_STORED)
        for character in cast:
            try:
                data = storage.read_bytes(character.reference_key)
            except MissingFile:
                continue
            archive.writestr(f"files/{character.id}/{character.reference_key.rsplit('/', 1)[-1]}", data,
                             zipfile.ZIP_STORED)
        for upload in uploads:
            try:
                data = storage.read_bytes(storage_key(upload.id))
            except MissingFile:
                continue
            archive.writestr(f"uploads/{upload.id}/{upload.filename}", data, zipfile.ZIP_STORED)
    return buffer.getvalue()


def _batch_record(session: Session, batch: Batch) -> dict[str, Any]:
    lines = session.scalars(select(BatchRequest).where(BatchRequest.batch_id == batch.id).order_by(BatchRequest.line))
    return {
        "id": batch.id, "status": batch.status, "endpoint": batch.endpoint, "input_file_id": batch.input_file_id,
        "output_file_id": batch.output_file_id, "error_file_id": batch.error_file_id, "metadata": batch.metadata_,
        "created_at": _iso(batch.created_at), "requests": [
            {"line": r.line, "custom_id": r.custom_id, "video_id": r.video_id, "status_code": r.status_code,
             "error": r.error} for r in lines],
    }


@dataclass(frozen=True)
class Erasure:
    videos: int
    keys: int
    ledger_rows_anonymised: int
    audit_rows_anonymised: int
    actor: str  # what the audit log now calls the erased user; use it for the erasure's own entry
    characters: int = 0


def erase_user(session: Session, storage: Storage, user: User) -> Erasure:
    """Erase ``user`` in the caller's transaction (commit it); files go first, so a crash between the two
    leaves rows without files (erasing again finishes the job), never files without an owner."""
    video_ids = list(session.scalars(select(Video.id).where(Video.user_id == user.id)))
    for video_id in video_ids:
        storage.delete_prefix(video_prefix(video_id))
    character_ids = list(session.scalars(select(Character.id).where(Character.user_id == user.id)))
    for character_id in character_ids:
        storage.delete_prefix(character_prefix(character_id))
    keys = session.execute(delete(ApiKey).where(ApiKey.user_id == user.id)).rowcount
    session.execute(delete(Video).where(Video.user_id == user.id))
    session.execute(delete(Character).where(Character.user_id == user.id))
    file_ids = list(session.scalars(select(UserFile.id).where(UserFile.user_id == user.id)))
    for file_id in file_ids:
        storage.delete(storage_key(file_id))
    keys = session.execute(delete(ApiKey).where(ApiKey.user_id == user.id)).rowcount
    session.execute(delete(WebhookDelivery).where(WebhookDelivery.user_id == user.id))
    session.execute(delete(WebhookEndpoint).where(WebhookEndpoint.user_id == user.id))
    session.execute(delete(Video).where(Video.user_id == user.id))
    batch_ids = select(Batch.id).where(Batch.user_id == user.id).scalar_subquery()
    session.execute(delete(BatchRequest).where(BatchRequest.batch_id.in_(batch_ids)))
    session.execute(delete(Batch).where(Batch.user_id == user.id))
    session.execute(delete(UserFile).where(UserFile.user_id == user.id))
    ledger = session.execute(update(UsageEntry).where(UsageEntry.user_id == user.id).values(user_id=None)).rowcount
    actor = f"user:erased-{secrets.token_hex(8)}"
    audit = session.execute(
        update(AuditEntry).where(AuditEntry.actor == f"user:{user.id}").values(actor=actor, user_id=None)
    ).rowcount
    # Entries about the user written by someone else (an admin's export) keep their actor, lose the id.
    audit += session.execute(update(AuditEntry).where(AuditEntry.user_id == user.id).values(user_id=None)).rowcount
    session.execute(delete(User).where(User.id == user.id))
    return Erasure(videos=len(video_ids), keys=keys, ledger_rows_anonymised=ledger, audit_rows_anonymised=audit,
                   actor=actor, characters=len(character_ids))


@dataclass(frozen=True)
class Purge:
    videos_expired: int
    prompts_blanked: int
    videos_not_removed: int = 0  # expired videos whose files could not be removed: tried again next time
    files_expired: int = 0  # uploaded files (and batches' output files) past their expiry, removed


def purge_expired(session: Session, storage: Storage, settings: Settings, *, now: float | None = None) -> Purge:
    """Delete files of expired videos and blank prompts past their retention, in the caller's transaction.
    A video whose files cannot be removed keeps its row's file list, so the next purge tries again."""
    now = time.time() if now is None else now
    expired = list(session.scalars(select(Video).where(Video.expires_at < now, Video.files.is_not(None))))
    removed = 0
    for video in expired:
        try:
            storage.delete_prefix(video_prefix(video.id))
        except StorageError as exc:
            log.error("purge: %s", exc)
            continue
        video.files = null()  # SQL NULL (not JSON null), so the query above skips it next time
        video.first_frame_key = None
        removed += 1
    files_expired = 0
    for upload in list(session.scalars(select(UserFile).where(UserFile.expires_at < now))):
        try:
            storage.delete(storage_key(upload.id))
        except StorageError as exc:
            log.error("purge: %s", exc)
            continue
        session.delete(upload)
        files_expired += 1
    blanked = 0
    prompt_days = settings.prompt_retention_days
    if prompt_days is not None:
        cutoff = now - prompt_days * 86400
        blanked = session.execute(
            update(Video).where(Video.created_at < cutoff, Video.prompt != EXPIRED_PROMPT).values(prompt=EXPIRED_PROMPT)
        ).rowcount
        _forget_spoken_words(session, cutoff)
    return Purge(videos_expired=removed, prompts_blanked=blanked, videos_not_removed=len(expired) - removed,
                 files_expired=files_expired)


def _forget_spoken_words(session: Session, cutoff: float) -> None:
    """A voice-over's text is the user's words like a prompt: it goes when the prompt does."""
    from azur.sound.options import without_words

    for video in session.scalars(select(Video).where(Video.created_at < cutoff, Video.options.is_not(None))):
        cleaned = without_words(video.options)
        if cleaned is not None:
            video.options = cleaned


@dataclass(frozen=True)
class OrphanSweep:
    files_removed: int
    bytes_removed: int
    files_not_removed: int  # could not be removed (logged): tried again next time


def remove_orphan_files(session: Session, storage: Storage, settings: Settings, *,
                        now: float | None = None) -> OrphanSweep:
    """Remove stored files that no video row owns and that are older than ``orphan_grace_minutes``: the
    leftovers of a crash mid-write (``.part-*``), of a request whose row never committed, or of a removal
    that failed. A row owns its ``files`` and ``first_frame_key``; a queued or running job owns all of its
    folder (a worker writes there). The grace period spares a file being written right now.

    Only ``videos/`` and ``files/`` are swept: they are the key spaces Azur writes, and a storage directory
    set to a shared folder must not lose other files. A file's row owns ``files/<id>/content``."""
    now = time.time() if now is None else now
    cutoff = now - settings.orphan_grace_minutes * 60
    owned: set[str] = set()
    busy: set[str] = set()
    rows = session.execute(select(Video.id, Video.status, Video.files, Video.first_frame_key))
    for video_id, status, files, first_frame_key in rows:
        if status in (VideoStatus.queued.value, VideoStatus.in_progress.value):
            busy.add(video_prefix(video_id))
        owned.update((files or {}).values())
        if first_frame_key:
            owned.add(first_frame_key)
    owned.update(storage_key(file_id) for file_id in session.scalars(select(UserFile.id)))
    removed = size = failed = 0
    stored_files = [*storage.list_files(VIDEOS_PREFIX), *storage.list_files(FILES_PREFIX)]
    for stored in stored_files:
        folder = stored.key.rsplit("/", 1)[0] + "/"
        if stored.key in owned or folder in busy or stored.modified > cutoff:
            continue
        try:
            storage.delete(stored.key)
        except StorageError as exc:
            log.error("purge: %s", exc)
            failed += 1
            continue
        removed += 1
        size += stored.size
    return OrphanSweep(files_removed=removed, bytes_removed=size, files_not_removed=failed)
