"""Request bodies are counted as they arrive and refused with 413 the moment they pass their limit.

:class:`BodyLimit` is a pure ASGI middleware: it wraps ``receive``, so it sees every body the same way,
whatever its content type, with a ``Content-Length`` or chunked, and whichever route (or no route) reads it.
A declared length over the limit is refused before the app runs; a body that grows past it (chunked, or
longer than its ``Content-Length`` claimed) is refused as soon as the byte that passes it arrives. The app
then sees the client as gone, and the connection is closed, so the rest is neither read nor spooled. (A body
longer than its ``Content-Length`` never reaches the app past that length: the HTTP parser takes the rest
for the next request.) An answer given before the body was read whole (401, 404, a refusal from the
headers) first reads and discards the rest, up to the limit: the connection stays usable for the client's
next request (a keep-alive client that sent a wrong key must not be cut off), and a body that passes the
limit meanwhile gets the 413 and the connection closes, so nothing unbounded is read.

Limits (``server`` settings): a multipart body may carry one file of ``max_upload_bytes``; a JSON create may
carry that file as a base64 data URL (``input_reference.image_url``); every other body gets
``max_json_bytes``.
"""

from __future__ import annotations

import logging

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from azur.api.errors import too_large
from azur.config import ServerSettings

log = logging.getLogger("azur.api")

# Room for what travels beside a file: other form fields, part headers and boundaries, or JSON fields.
ENVELOPE_BYTES = 64 * 1024
# JSON bodies that may hold a file as a data URL: OpenAI's create accepts input_reference.image_url.
DATA_URL_ROUTES = {("POST", "/v1/videos")}


def body_limit(server: ServerSettings, method: str, path: str, content_type: str) -> int:
    """The most bytes a request body may hold for this method, path and (lower-case, bare) content type."""
    if content_type == "multipart/form-data":
        return server.max_upload_bytes + ENVELOPE_BYTES
    if (method, path.rstrip("/")) in DATA_URL_ROUTES and (content_type in ("", "application/json")
                                                          or content_type.endswith("+json")):
        return -(-server.max_upload_bytes // 3) * 4 + ENVELOPE_BYTES  # base64: 4 characters per 3 bytes
    return server.max_json_bytes


class BodyLimit:
    """Counts each request's body as the app reads it; past the limit, answers 413 and cuts the body off."""

    def __init__(self, app: ASGIApp, server: ServerSettings) -> None:
        self.app = app
        self.server = server

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {name.lower(): value for name, value in scope["headers"]
                   if name.lower() in (b"content-length", b"content-type", b"transfer-encoding")}
        content_type = headers.get(b"content-type", b"").split(b";")[0].strip().lower().decode("latin-1")
        limit = body_limit(self.server, scope["method"], scope["path"], content_type)
        declared = headers.get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            await _refuse(scope, send, f"The request body is {int(declared)} bytes; the limit is {limit} bytes.")
            return

        received = 0
        cut = False  # the body passed the limit: the 413 is out (or the response had started) and the app is done
        started = False
        complete = not (b"transfer-encoding" in headers or (declared.isdigit() and int(declared) > 0))

        async def counted_receive() -> Message:
            nonlocal received, cut, complete
            if cut:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                complete = complete or not message.get("more_body", False)
                received += len(message.get("body", b""))
                if received > limit:
                    cut = True
                    if not started:
                        await _refuse(scope, send, f"The request body is over the limit of {limit} bytes.")
                    return {"type": "http.disconnect"}
            return message

        async def drained() -> bool:
            """Read and discard the rest of the body (counted, so at most the limit); False if the client left
            or the body passed the limit (the 413 is then out)."""
            while not complete:
                message = await counted_receive()
                if message["type"] == "http.disconnect":
                    return False
            return True

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if cut:  # the 413 went out: whatever the app answers after losing its body is dropped
                return
            if message["type"] == "http.response.start":
                if not complete and not await drained():
                    if cut:
                        return
                    message = {**message, "headers": [*message.get("headers", []), (b"connection", b"close")]}
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except Exception:
            if not cut:
                raise
            # The app saw its client vanish mid-body (starlette's ClientDisconnect, a parser error, ...).
            log.debug("request body cut at %d bytes on %s %s", received, scope["method"], scope["path"])


async def _refuse(scope: Scope, send: Send, message: str) -> None:
    error = too_large(message)
    # Connection: close makes the server hang up after the answer instead of reading the rest of the body.
    response = JSONResponse(error.body(), status_code=error.status, headers={"Connection": "close"})
    await response(scope, _no_body, send)


async def _no_body() -> Message:
    return {"type": "http.disconnect"}
