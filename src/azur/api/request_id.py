"""``x-request-id`` on every response, as OpenAI's API sends it: the client's own id when it sent a usable
one (so a client can follow its request through Azur's logs), else a new ``req_...``.

A client's id is kept only if it is short printable ASCII without spaces: it is echoed in a header and
written to logs, where a line break or a megabyte would do harm. The id is also in
``scope["state"]["request_id"]`` for the code that logs.
"""

from __future__ import annotations

import re
import uuid

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADER = "x-request-id"
_USABLE = re.compile(r"[A-Za-z0-9._:/+=@-]{1,128}")


def new_request_id() -> str:
    return "req_" + uuid.uuid4().hex


class RequestId:
    """Adds ``x-request-id`` to every HTTP response, errors included (install it outermost)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = next((v.decode("latin-1") for k, v in scope["headers"] if k == HEADER.encode()), "")
        request_id = given if _USABLE.fullmatch(given) else new_request_id()
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[HEADER] = request_id
            await send(message)

        await self.app(scope, receive, send_with_id)
