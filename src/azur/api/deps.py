"""Dependencies, declared once: the services, a database session, the current user, an owned video.

These are ``async`` on purpose although SQLite calls are blocking: a point query takes well under a
millisecond (WAL readers never wait for writers), far less than a thread-pool hop per dependency, which
is what made polling slow under load. Routes that write or decode files stay sync (thread pool).
Each of them ends its read transaction before returning (:func:`_release`): a request that waits for a
thread-pool slot must not hold a pooled connection meanwhile, or a burst larger than the pool leaves the
event loop blocked on a checkout that only the event loop could satisfy (seen on Postgres with 60 creates).

Routes take ``SessionDep``, ``CurrentUser`` and ``OwnedVideo`` as parameters; the ownership rule (another
user's video answers 404, exactly like an unknown id) lives only in :func:`get_owned_video`.
"""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from azur.accounts.keys import authenticate
from azur.api.auth_limit import FailedAuthLimiter
from azur.api.errors import not_found, too_many_failed_authentications, unauthorized
from azur.config import Settings
from azur.db.models import User, Video
from azur.db.session import Database
from azur.jobs.fleet import Serving, serving
from azur.jobs.queue import DatabaseQueue
from azur.safety.guard import SafetyGuard
from azur.storage.base import Storage

SERVING_CACHE_SECONDS = 1.0
VIDEO_ID = re.compile(r"^video_[0-9a-f]{32}$")


@dataclass
class Services:
    """What the app builds once at start-up (see ``azur.api.app.lifespan``)."""

    settings: Settings
    db: Database
    storage: Storage
    queue: DatabaseQueue
    safety: SafetyGuard
    started_at: float
    auth_failures: FailedAuthLimiter = field(init=False)
    _serving: tuple[float, Serving] | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        server = self.settings.server
        self.auth_failures = FailedAuthLimiter(server.auth_failures_allowed, server.auth_failure_window_seconds)

    def serving(self) -> Serving:
        """The models running workers serve now (read at most once a second: every poll asks)."""
        now = time.monotonic()
        if self._serving is None or now - self._serving[0] > SERVING_CACHE_SECONDS:
            with self.db.session() as session:
                self._serving = (now, serving(session, stale_seconds=self.settings.queue.lease_seconds))
        return self._serving[1]


async def get_services(request: Request) -> Services:
    return request.app.state.services


ServicesDep = Annotated[Services, Depends(get_services)]


async def get_session(services: ServicesDep) -> AsyncIterator[Session]:
    with services.db.session() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]

_bearer = HTTPBearer(auto_error=False, description="An Azur API key (`azur users add` / `azur keys add`).")


async def get_current_user(
    request: Request, services: ServicesDep, session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> User:
    if credentials is None or not credentials.credentials:
        raise unauthorized("You didn't provide an API key. Send it as 'Authorization: Bearer YOUR_KEY'.")
    address = request.client.host if request.client else "unknown"
    wait = services.auth_failures.retry_after(address)
    if wait is not None:
        raise too_many_failed_authentications(wait)
    user = authenticate(session, credentials.credentials)
    _release(session)
    if user is None:
        services.auth_failures.record_failure(address)
        shown = credentials.credentials[:8] + "..." if len(credentials.credentials) > 8 else "***"
        raise unauthorized(f"Incorrect API key provided: {shown}. Ask the server's admin for one (`azur keys add`).")
    return user


def _release(session: Session) -> None:
    """End the read transaction so its connection goes back to the pool (loaded objects stay usable:
    sessions do not expire on commit)."""
    session.commit()


CurrentUser = Annotated[User, Depends(get_current_user)]


def find_owned_video(session: Session, user: User, video_id: str, *, param: str | None = None) -> Video:
    """The video ``video_id`` if ``user`` owns it; else 404 (someone else's video is not even named)."""
    video = session.get(Video, video_id) if VIDEO_ID.match(video_id) else None
    if video is None or video.user_id != user.id:
        shown = video_id if len(video_id) <= 64 else video_id[:61] + "..."
        raise not_found(f"No video found with id '{shown}'.", param=param)
    return video


async def get_owned_video(
    session: SessionDep, user: CurrentUser, video_id: Annotated[str, Path(description="A video id, video_...")]
) -> Video:
    video = find_owned_video(session, user, video_id)
    _release(session)
    return video


OwnedVideo = Annotated[Video, Depends(get_owned_video)]
