"""Sending the outbox: claim due deliveries with a lease, POST them signed, record the outcome, retry.

At least once, never lost: a deliverer claims a row (``lease_owner``, ``lease_expires_at``) before sending
and records the outcome only while it still holds the lease. If it dies mid-request (``kill -9``), the row
stays ``pending`` and is claimed again once the lease runs out; the receiver may then see the event twice,
with the same ``webhook-id``, which is how Standard Webhooks receivers recognise a duplicate.

A failed attempt (no answer within ``timeout_seconds``, a non-2xx status, a refused address) is retried
after ``retry_base_seconds``, doubling each time up to ``retry_max_interval_seconds``; an event still not
delivered ``retry_window_hours`` after it was emitted is marked ``failed`` (a user can redeliver it).

Every request goes through :func:`azur.outbound.request`, the SSRF guard: the target is checked again at
each attempt, redirects are not followed (a 3xx is a failed attempt), and at most a few KiB are read back.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from dataclasses import dataclass

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.orm import Session

from azur import outbound
from azur.config import Settings
from azur.db.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from azur.db.session import Database
from azur.webhooks.events import event_body, new_delivery_id, new_event_id
from azur.webhooks.signing import signed_headers

log = logging.getLogger("azur.webhooks")

PENDING = DeliveryStatus.pending.value
DELIVERED = DeliveryStatus.delivered.value
FAILED = DeliveryStatus.failed.value
MAX_ANSWER_BYTES = 64 * 1024  # a receiver's answer is not used; reading a little of it is enough
CLAIM_BATCH = 8
PURGE_EVERY_SECONDS = 3600.0


@dataclass(frozen=True)
class Attempt:
    """The outcome of one request: ``status_code`` None when no HTTP answer came."""

    ok: bool
    status_code: int | None
    error: str | None


def backoff_seconds(attempts: int, settings: Settings) -> float:
    """The wait after the ``attempts``-th failed attempt: base x 2^(attempts - 1), capped."""
    hooks = settings.webhooks
    return min(hooks.retry_max_interval_seconds, hooks.retry_base_seconds * 2 ** min(max(attempts - 1, 0), 40))


def send(settings: Settings, url: str, secret: str, event_id: str, body: str) -> Attempt:
    """POST one signed event to ``url`` within the outbound guard; never raises for the receiver's faults."""
    headers = signed_headers(secret, event_id, body, at=time.time())
    try:
        response, _ = outbound.request("POST", url, settings.outbound, headers=headers, content=body.encode(),
                                       max_bytes=MAX_ANSWER_BYTES, timeout=settings.webhooks.timeout_seconds,
                                       follow_redirects=False)
    except outbound.BlockedURL as exc:
        return Attempt(False, None, f"refused by the outbound guard: {exc}")
    except outbound.FetchFailed as exc:
        return Attempt(False, None, str(exc))
    if 200 <= response.status_code < 300:
        return Attempt(True, response.status_code, None)
    return Attempt(False, response.status_code, f"the receiver answered HTTP {response.status_code}")


def new_deliverer_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Deliverer:
    """Sends due deliveries of the outbox in ``db``. One per process is enough; several may run at once
    (on one machine or many): a row is only ever held by one of them at a time."""

    def __init__(self, db: Database, settings: Settings, *, deliverer_id: str | None = None) -> None:
        self.db = db
        self.settings = settings
        self.deliverer_id = deliverer_id or new_deliverer_id()
        self._last_purge = 0.0

    def _due(self, now: float):  # noqa: ANN202 - a SQL condition
        return and_(
            WebhookDelivery.status == PENDING,
            WebhookDelivery.next_attempt_at <= now,
            or_(WebhookDelivery.lease_expires_at.is_(None), WebhookDelivery.lease_expires_at < now),
        )

    def claim(self, *, now: float | None = None, limit: int = CLAIM_BATCH) -> list[str]:
        """Take the lease of up to ``limit`` due deliveries (oldest due first); returns their ids. A claim
        counts as an attempt, so a receiver that kills its deliverer every time still ends ``failed``."""
        now = time.time() if now is None else now
        claimed = []
        with self.db.session() as session:
            due = self._due(now)
            candidates = session.scalars(
                select(WebhookDelivery.id).where(due).order_by(WebhookDelivery.next_attempt_at).limit(limit)
            ).all()
            for delivery_id in candidates:
                # Conditional on still being due: of two deliverers racing for a row, one updates it.
                result = session.execute(
                    update(WebhookDelivery).where(WebhookDelivery.id == delivery_id, due).values(
                        lease_owner=self.deliverer_id,
                        lease_expires_at=now + self.settings.webhooks.lease_seconds,
                        attempts=WebhookDelivery.attempts + 1,
                        last_attempt_at=now,
                    )
                )
                if result.rowcount == 1:
                    claimed.append(delivery_id)
                # Commit each claim at once: on SQLite a long write transaction would block the API.
                session.commit()
        return claimed

    def deliver(self, delivery_id: str) -> Attempt | None:
        """Make the attempt of a delivery this deliverer claimed and record it; None if it is gone (its
        endpoint was removed) or no longer held."""
        with self.db.session() as session:
            row = session.execute(
                select(WebhookDelivery.event_id, WebhookDelivery.payload, WebhookDelivery.attempts,
                       WebhookDelivery.created_at, WebhookEndpoint.url, WebhookEndpoint.secret)
                .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
                .where(WebhookDelivery.id == delivery_id, WebhookDelivery.lease_owner == self.deliverer_id)
            ).first()
        if row is None:
            return None
        event_id, payload, attempts, created_at, url, secret = row
        # No transaction is open while the receiver answers: a slow receiver holds no database lock.
        attempt = send(self.settings, url, secret, event_id, payload)
        now = time.time()
        if attempt.ok:
            values = {"status": DELIVERED, "delivered_at": now, "last_error": None}
        else:
            wait = backoff_seconds(attempts, self.settings)
            window_end = created_at + self.settings.webhooks.retry_window_hours * 3600
            values = {"status": FAILED if now + wait > window_end else PENDING, "next_attempt_at": now + wait,
                      "last_error": attempt.error}
        with self.db.session() as session:
            session.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.id == delivery_id, WebhookDelivery.lease_owner == self.deliverer_id)
                .values(**values, last_status_code=attempt.status_code, lease_owner=None, lease_expires_at=None)
            )
        if attempt.ok:
            log.info("webhook %s (%s): delivered", delivery_id, event_id)
        else:
            log.warning("webhook %s (%s): attempt %d failed: %s", delivery_id, event_id, attempts, attempt.error)
        return attempt

    def run_once(self) -> int:
        """Claim and send what is due; returns how many deliveries were attempted."""
        claimed = self.claim()
        for delivery_id in claimed:
            self.deliver(delivery_id)
        if time.monotonic() - self._last_purge > PURGE_EVERY_SECONDS:
            self._last_purge = time.monotonic()
            with self.db.session() as session:
                removed = purge_log(session, self.settings)
            if removed:
                log.info("removed %d webhook deliveries older than %d days", removed,
                         self.settings.webhooks.log_retention_days)
        return len(claimed)

    def run(self, stop: threading.Event) -> None:
        """Deliver until ``stop`` is set."""
        log.info("webhook deliverer %s started", self.deliverer_id)
        while not stop.is_set():
            try:
                worked = self.run_once()
            except Exception:  # a locked or unreachable database: try again at the next round
                log.exception("webhook delivery round failed")
                worked = 0
            if not worked:
                stop.wait(self.settings.webhooks.poll_seconds)


def start_delivery_thread(db: Database, settings: Settings) -> threading.Event:
    """Run a :class:`Deliverer` in a daemon thread (inside ``azur serve`` or ``azur worker``); set the
    returned event to stop it."""
    stop = threading.Event()
    deliverer = Deliverer(db, settings)
    threading.Thread(target=deliverer.run, args=(stop,), name="azur-webhooks", daemon=True).start()
    return stop


def redeliver(session: Session, delivery: WebhookDelivery) -> WebhookDelivery:
    """Queue the event of ``delivery`` again for its endpoint, as a new delivery with the same event id and
    body (a receiver that already handled it can tell), due now; the old row stays in the log."""
    now = time.time()
    again = WebhookDelivery(id=new_delivery_id(), endpoint_id=delivery.endpoint_id, user_id=delivery.user_id,
                            event_id=delivery.event_id, event_type=delivery.event_type, payload=delivery.payload,
                            status=PENDING, attempts=0, created_at=now, next_attempt_at=now)
    session.add(again)
    session.flush()
    return again


def send_test(session: Session, settings: Settings, endpoint: WebhookEndpoint, event_type: str) -> tuple[
        WebhookDelivery, Attempt]:
    """Send a sample ``event_type`` event to ``endpoint`` now (not through the outbox, and never retried),
    and record it in the endpoint's delivery log. The sample names an id that exists nowhere."""
    data_id = ("batch_" if event_type.startswith("batch.") else "video_") + uuid.uuid4().hex
    event_id = new_event_id()
    now = time.time()
    body = event_body(event_id, event_type, {"id": data_id}, now)
    attempt = send(settings, endpoint.url, endpoint.secret, event_id, body)
    delivery = WebhookDelivery(
        id=new_delivery_id(), endpoint_id=endpoint.id, user_id=endpoint.user_id, event_id=event_id,
        event_type=event_type, payload=body, status=DELIVERED if attempt.ok else FAILED, attempts=1,
        created_at=now, next_attempt_at=now, last_attempt_at=now, delivered_at=time.time() if attempt.ok else None,
        last_status_code=attempt.status_code, last_error=attempt.error,
    )
    session.add(delivery)
    session.flush()
    return delivery, attempt


def purge_log(session: Session, settings: Settings, *, now: float | None = None) -> int:
    """Remove finished deliveries older than ``log_retention_days``; pending ones stay until they end."""
    now = time.time() if now is None else now
    cutoff = now - settings.webhooks.log_retention_days * 86400
    return session.execute(
        delete(WebhookDelivery).where(WebhookDelivery.status != PENDING, WebhookDelivery.created_at < cutoff)
    ).rowcount
