"""``GET /metrics``: Prometheus' text format (see :mod:`azur.metrics` for what is measured where).

No API key: a scraper is not a user. When ``server.metrics_token`` is set, the scraper sends it as a bearer
token (Prometheus' ``authorization`` setting); otherwise keep the port on the cluster's network.
"""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from azur.api.deps import ServicesDep
from azur.api.errors import unauthorized

router = APIRouter(tags=["operations"])


@router.get("/metrics", response_class=Response,
            responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text format."}})
async def metrics(request: Request, services: ServicesDep) -> Response:
    from azur.metrics import render

    token = services.settings.server.metrics_token
    if token is not None:
        sent = request.headers.get("authorization", "")
        if not hmac.compare_digest(sent.encode(), f"Bearer {token.get_secret_value()}".encode()):
            raise unauthorized("GET /metrics needs the metrics token: 'Authorization: Bearer <server.metrics_token>'.")
    body, content_type = await run_in_threadpool(
        render, services.db, services.settings.queue.lease_seconds, getattr(request.app.state, "metrics_dir", None)
    )
    return Response(body, media_type=content_type)
