"""A user's webhook endpoints: register (with a new signing secret), list, find, remove.

An endpoint's URL is checked by :func:`azur.outbound.check_url` when it is registered (a private or
loopback address is refused unless the operator allowed it), and again at every delivery, since what a
name resolves to can change.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from urllib.parse import urlsplit

from sqlalchemy import and_, delete, or_, select
from sqlalchemy.orm import Session

from azur import outbound
from azur.config import Settings
from azur.db.models import WebhookDelivery, WebhookEndpoint
from azur.webhooks.events import EVENT_TYPES
from azur.webhooks.signing import new_secret

MAX_NAME_CHARS = 200
MAX_ENDPOINTS_PER_USER = 20  # each endpoint multiplies every event; a few are what anyone needs


class InvalidEndpoint(ValueError):
    """A request to register an endpoint that cannot be honoured; ``param`` names the field."""

    def __init__(self, message: str, param: str) -> None:
        super().__init__(message)
        self.message = message
        self.param = param


def new_endpoint_id() -> str:
    return "whep_" + uuid.uuid4().hex


def check_event_types(event_types: Sequence[str]) -> list[str]:
    """The subscribed types, deduplicated in order; InvalidEndpoint for none or an unknown one."""
    if not event_types:
        raise InvalidEndpoint(f"Give at least one event type: {', '.join(EVENT_TYPES)}.", "event_types")
    unknown = [t for t in event_types if t not in EVENT_TYPES]
    if unknown:
        raise InvalidEndpoint(f"Unknown event type '{unknown[0]}'; Azur sends: {', '.join(EVENT_TYPES)}.",
                              "event_types")
    return list(dict.fromkeys(event_types))


def check_target(url: str, settings: Settings) -> None:
    """InvalidEndpoint when the URL may not be a webhook target (see :func:`azur.outbound.check_url`)."""
    try:
        outbound.check_url(url, settings.outbound)
    except (outbound.BlockedURL, outbound.FetchFailed) as exc:
        raise InvalidEndpoint(f"The webhook URL cannot be used: {exc}.", "url") from None


def create_endpoint(session: Session, settings: Settings, user_id: int, *, url: str, event_types: Sequence[str],
                    name: str | None = None) -> WebhookEndpoint:
    """Register an endpoint for ``user_id`` in the caller's transaction; its ``secret`` is new. ``name``
    defaults to the URL's host. Raises InvalidEndpoint naming the bad field."""
    types = check_event_types(event_types)
    check_target(url, settings)
    name = (name if name is not None else urlsplit(url).hostname or url).strip()
    if not name or len(name) > MAX_NAME_CHARS:
        raise InvalidEndpoint(f"The name must have 1 to {MAX_NAME_CHARS} characters.", "name")
    count = len(session.scalars(select(WebhookEndpoint.id).where(WebhookEndpoint.user_id == user_id)).all())
    if count >= MAX_ENDPOINTS_PER_USER:
        raise InvalidEndpoint(f"A user may register at most {MAX_ENDPOINTS_PER_USER} webhook endpoints; "
                              "remove one first.", "url")
    now = time.time()
    endpoint = WebhookEndpoint(id=new_endpoint_id(), user_id=user_id, name=name, url=url, event_types=types,
                               secret=new_secret(), created_at=now, updated_at=now)
    session.add(endpoint)
    session.flush()
    return endpoint


def list_endpoints(session: Session, user_id: int | None, *, after: WebhookEndpoint | None = None,
                   limit: int | None = None) -> list[WebhookEndpoint]:
    """Endpoints newest first (of one user, or of everyone with None), after the cursor ``after``."""
    query = select(WebhookEndpoint)
    if user_id is not None:
        query = query.where(WebhookEndpoint.user_id == user_id)
    if after is not None:
        query = query.where(or_(WebhookEndpoint.created_at < after.created_at,
                                and_(WebhookEndpoint.created_at == after.created_at, WebhookEndpoint.id < after.id)))
    query = query.order_by(WebhookEndpoint.created_at.desc(), WebhookEndpoint.id.desc())
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query))


def find_endpoint(session: Session, user_id: int | None, endpoint_id: str) -> WebhookEndpoint | None:
    """The endpoint if it exists and belongs to ``user_id`` (None: any user, for operators)."""
    endpoint = session.get(WebhookEndpoint, endpoint_id) if len(endpoint_id) <= 40 else None
    if endpoint is None or (user_id is not None and endpoint.user_id != user_id):
        return None
    return endpoint


def delete_endpoint(session: Session, endpoint: WebhookEndpoint) -> None:
    """Remove an endpoint and its deliveries (pending ones are not sent)."""
    session.execute(delete(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id))
    session.delete(endpoint)
