"""The audit log: moderation decisions, consents, exports and erasures (who, when, what).

Entries carry ids, categories and counts, never a prompt or an image, so erasing a user (which sets their
``user_id`` to NULL here) leaves nothing of theirs behind. :func:`record` writes in its own transaction:
a refusal is logged even though the request that caused it is rolled back.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from azur.db.models import AuditEntry
from azur.db.session import Database


def entry(action: str, *, user_id: int | None, actor: str | None = None, video_id: str | None = None,
          detail: dict[str, Any] | None = None) -> AuditEntry:
    """A new entry, to add to a session. ``actor`` defaults to ``user:<id>`` (or ``system`` without one)."""
    return AuditEntry(at=time.time(), user_id=user_id,
                      actor=actor or (f"user:{user_id}" if user_id is not None else "system"),
                      action=action, video_id=video_id, detail=detail)


def record(db: Database, action: str, *, user_id: int | None, actor: str | None = None,
           video_id: str | None = None, detail: dict[str, Any] | None = None) -> None:
    """Append one entry in its own transaction."""
    with db.session() as session:
        session.add(entry(action, user_id=user_id, actor=actor, video_id=video_id, detail=detail))


def entries(session: Session, *, user_id: int | None = None, action: str | None = None,
            limit: int = 100) -> list[AuditEntry]:
    """The newest entries first, optionally for one user or one action (prefix match: ``moderation.``)."""
    query = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)
    if user_id is not None:
        query = query.where(AuditEntry.user_id == user_id)
    if action:
        query = query.where(AuditEntry.action.startswith(action))
    return list(session.scalars(query))
