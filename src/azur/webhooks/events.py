"""The events Azur sends, and :func:`emit`, the one way to send one.

Payloads have the shape of OpenAI's webhook events (``openai.types.webhooks.*WebhookEvent``)::

    {"id": "evt_...", "object": "event", "type": "video.completed", "created_at": 1733000000,
     "data": {"id": "video_..."}}

:func:`emit` only writes outbox rows in the caller's session: the event is sent if and only if the caller's
transaction commits, so a video marked completed always has its event, and a rolled-back change has none.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from azur.db.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint

# What an endpoint may subscribe to: the video events, and the Batch API's (emitted by azur.batches).
EVENT_TYPES = (
    "video.completed",
    "video.failed",
    "batch.completed",
    "batch.failed",
    "batch.cancelled",
    "batch.expired",
)


def new_event_id() -> str:
    return "evt_" + uuid.uuid4().hex


def new_delivery_id() -> str:
    return "whdel_" + uuid.uuid4().hex


def event_body(event_id: str, event_type: str, data: dict[str, Any], created_at: float) -> str:
    """The JSON body of an event, as it is signed and sent (compact, keys in OpenAI's order)."""
    return json.dumps({"id": event_id, "object": "event", "type": event_type, "created_at": int(created_at),
                       "data": data}, separators=(",", ":"))


def emit(session: Session, user_id: int, event_type: str, data: dict[str, Any], *,
         now: float | None = None) -> list[str]:
    """Queue ``event_type`` for every endpoint of ``user_id`` that subscribed to it, in ``session``'s
    transaction. ``data`` is the event's ``data`` object (``{"id": "video_..."}``). Returns the ids of the
    deliveries written (none when the user has no such endpoint). Raises ValueError for an unknown type."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown event type '{event_type}'; known: {', '.join(EVENT_TYPES)}")
    now = time.time() if now is None else now
    endpoints = session.scalars(select(WebhookEndpoint).where(WebhookEndpoint.user_id == user_id)).all()
    event_id = new_event_id()
    body = event_body(event_id, event_type, data, now)
    written = []
    for endpoint in endpoints:
        if event_type not in endpoint.event_types:
            continue
        delivery = WebhookDelivery(id=new_delivery_id(), endpoint_id=endpoint.id, user_id=user_id,
                                   event_id=event_id, event_type=event_type, payload=body,
                                   status=DeliveryStatus.pending.value, attempts=0, created_at=now,
                                   next_attempt_at=now)
        session.add(delivery)
        written.append(delivery.id)
    if written:
        session.flush()
    return written
