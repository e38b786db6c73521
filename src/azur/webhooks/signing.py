"""Signing per the Standard Webhooks scheme (https://www.standardwebhooks.com), as OpenAI signs its events.

The signature is HMAC-SHA256 over ``"{webhook-id}.{webhook-timestamp}.{body}"`` with the secret's bytes
(the base64 after ``whsec_``), sent as ``webhook-signature: v1,<base64>``. ``webhook-id`` is the event id,
the same on every attempt, so a receiver can drop a duplicate of an event it already handled.
"""

from __future__ import annotations

import base64
import secrets
from datetime import datetime, timezone

from standardwebhooks import Webhook

SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    """A fresh signing secret: ``whsec_`` and 32 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def secret_hint(secret: str) -> str:
    """Enough of a secret to tell two apart, never enough to sign: ``whsec_AbCd...``."""
    return secret[: len(SECRET_PREFIX) + 4] + "..."


def signed_headers(secret: str, event_id: str, body: str, *, at: float) -> dict[str, str]:
    """The headers of one attempt: the event id, the attempt's time, its signature and the content type."""
    timestamp = datetime.fromtimestamp(int(at), tz=timezone.utc)
    return {
        "webhook-id": event_id,
        "webhook-timestamp": str(int(at)),
        "webhook-signature": Webhook(secret).sign(event_id, timestamp, body),
        "content-type": "application/json",
        "user-agent": "Azur-Webhooks/1",
    }
