"""Creating, finding and listing users."""

from __future__ import annotations

import time

from sqlalchemy import select
from sqlalchemy.orm import Session

from azur.db.models import User

DEFAULT_PLAN = "free"


class UserExists(ValueError):
    pass


class UnknownUser(LookupError):
    pass


def create_user(session: Session, name: str, *, plan: str = DEFAULT_PLAN) -> User:
    """Add a user. Raises :class:`UserExists` when the name is taken, ValueError for an empty name."""
    name = name.strip()
    if not name:
        raise ValueError("A user needs a name.")
    if session.scalar(select(User).where(User.name == name)) is not None:
        raise UserExists(f"A user named '{name}' already exists.")
    user = User(name=name, plan=plan.strip() or DEFAULT_PLAN, created_at=time.time())
    session.add(user)
    session.flush()
    return user


def get_user(session: Session, name: str) -> User:
    """The user called ``name``. Raises :class:`UnknownUser`."""
    user = session.scalar(select(User).where(User.name == name))
    if user is None:
        raise UnknownUser(f"No user named '{name}'.")
    return user


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.id)))
