"""API keys: made here, shown once, stored only as a SHA-256 hash.

A key is ``sk-azur-`` followed by 43 random URL-safe characters (256 bits), so a fast hash is enough: there
is nothing to brute-force that a slow hash would protect.
"""

from __future__ import annotations

import hashlib
import secrets
import time

from sqlalchemy import select
from sqlalchemy.orm import Session

from azur.db.models import ApiKey, User

KEY_PREFIX = "sk-azur-"
SHOWN_PREFIX_CHARS = 12  # "sk-azur-" and four random characters: enough to tell keys apart in a list


class UnknownKey(LookupError):
    pass


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_key(session: Session, user: User) -> tuple[ApiKey, str]:
    """A new key for ``user``: returns the stored row and the key itself (the only time it is known)."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    row = ApiKey(user_id=user.id, key_hash=hash_key(key), prefix=key[:SHOWN_PREFIX_CHARS], created_at=time.time())
    session.add(row)
    session.flush()
    return row, key


def revoke_key(session: Session, key_id: int) -> ApiKey:
    """Revoke a key by its id (as ``azur keys list`` shows it). Raises :class:`UnknownKey`."""
    row = session.get(ApiKey, key_id)
    if row is None:
        raise UnknownKey(f"No API key with id {key_id}.")
    if row.revoked_at is None:
        row.revoked_at = time.time()
    return row


def list_keys(session: Session, user: User | None = None) -> list[ApiKey]:
    query = select(ApiKey).order_by(ApiKey.id)
    if user is not None:
        query = query.where(ApiKey.user_id == user.id)
    return list(session.scalars(query))


def authenticate(session: Session, key: str) -> User | None:
    """The user owning the unrevoked key ``key``, or None."""
    if not key.startswith(KEY_PREFIX):
        return None
    row = session.scalar(select(ApiKey).where(ApiKey.key_hash == hash_key(key), ApiKey.revoked_at.is_(None)))
    return None if row is None else session.get(User, row.user_id)
