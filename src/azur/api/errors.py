"""The one error envelope, OpenAI's: ``{"error": {"message", "type", "param", "code"}}``.

Routes and dependencies *raise* :class:`ApiError` (or let a known exception through); only the handlers
installed by :func:`install_error_handlers` write error responses, so every error has the same shape —
FastAPI's own 422 body and Starlette's plain 404/405 included. Anything unexpected becomes a 500 in the
same envelope (and is logged), never a traceback, and the connection stays open (:class:`CatchUnexpected`).

Every message goes through :func:`client_text` on its way out: values a client sent are quoted cut short,
and nothing that looks like a server path (``/var/lib/azur/files/...``) leaves the server.
"""

from __future__ import annotations

import logging
import re

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from azur.storage.base import StorageError

log = logging.getLogger("azur.api")

INVALID_REQUEST = "invalid_request_error"
MAX_MESSAGE_CHARS = 1000  # a message quotes what the client sent: never megabytes of it
MAX_PARAM_CHARS = 128
# An absolute POSIX or Windows path: "/" or "C:\\" at the start of a word, with at least one more part.
# URLs ("http://...") and media types ("image/png") are not at the start of a word, so they stay.
_SERVER_PATH = re.compile(r"(?<![\w:/.])(?:/[^\s/'\"()<>,;]+){2,}/?|\b[A-Za-z]:\\[^\s'\"()<>,;]*")


def client_text(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """``text`` as it may be shown to a client: server paths replaced by their last part, no character
    that cannot be encoded (a lone surrogate a client sent), at most ``limit`` characters."""
    text = _SERVER_PATH.sub(lambda m: m.group(0).rstrip("/\\").replace("\\", "/").rsplit("/", 1)[-1], text)
    text = text.encode("utf-8", "replace").decode("utf-8")
    return text if len(text) <= limit else text[: limit - 3] + "..."


class ApiError(Exception):
    """An error answered to the client. ``type`` and ``code`` follow OpenAI's names."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = INVALID_REQUEST,  # noqa: A002 - the envelope's field name
        param: str | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
        extra: dict | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
        self.headers = headers
        self.extra = extra or {}  # Azur's additions inside the error object (e.g. a moderation category)

    def body(self) -> dict:
        param = None if self.param is None else client_text(self.param, MAX_PARAM_CHARS)
        error = {"message": client_text(self.message), "type": self.type, "param": param, "code": self.code}
        return {"error": {**error, **self.extra}}


def bad_request(message: str, *, param: str | None = None, code: str | None = "invalid_value") -> ApiError:
    return ApiError(400, message, param=param, code=code)


def unauthorized(message: str) -> ApiError:
    return ApiError(401, message, code="invalid_api_key", headers={"WWW-Authenticate": "Bearer"})


def not_found(message: str, *, param: str | None = None) -> ApiError:
    return ApiError(404, message, param=param, code="not_found")


def not_ready(message: str) -> ApiError:
    return ApiError(409, message, code="video_not_ready")


def gone(message: str) -> ApiError:
    return ApiError(410, message, code="video_expired")


def too_large(message: str, *, param: str | None = None) -> ApiError:
    return ApiError(413, message, param=param, code="request_too_large")


def quota_exceeded(message: str, resets_at) -> ApiError:  # noqa: ANN001 - an aware datetime
    import time as _time

    wait = max(1, int(resets_at.timestamp() - _time.time()))
    # x-should-retry: the official client would otherwise retry a 429 that cannot succeed before the reset.
    headers = {"Retry-After": str(wait), "x-should-retry": "false"}
    return ApiError(429, message, type="insufficient_quota", code="quota_exceeded", headers=headers)


def too_many_failed_authentications(retry_after: int) -> ApiError:
    return ApiError(429, f"Too many failed authentications from your address: try again in {retry_after} s.",
                    type="requests", code="rate_limit_exceeded", headers={"Retry-After": str(retry_after)})


def moderation_blocked(message: str, category: str, *, param: str | None = "prompt") -> ApiError:
    return ApiError(400, message, param=param, code="moderation_blocked", extra={"category": category})


def _respond(error: ApiError) -> JSONResponse:
    return JSONResponse(error.body(), status_code=error.status, headers=error.headers)


async def _api_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return _respond(exc)


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    # FastAPI would answer 422 with its own shape; OpenAI answers 400 naming the parameter.
    assert isinstance(exc, RequestValidationError)
    first = exc.errors()[0] if exc.errors() else {}
    location = [str(part) for part in first.get("loc", ()) if part not in ("body", "query", "path", "header")]
    param = ".".join(location) or None
    message = str(first.get("msg", "Invalid request.")).rstrip(".")
    text = f"Invalid value for '{param}': {message}." if param else f"Invalid request: {message}."
    return _respond(bad_request(text, param=param))


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    codes = {400: "invalid_body", 404: "not_found", 405: "method_not_allowed", 413: "request_too_large"}
    message = {
        404: "Unknown URL: no such route.",
        405: "Method not allowed for this route.",
    }.get(exc.status_code, str(exc.detail))
    error = ApiError(exc.status_code, message, code=codes.get(exc.status_code), headers=getattr(exc, "headers", None))
    return _respond(error)


def storage_failed(message: str) -> ApiError:
    """Storage could not write or remove a file: the request did not take effect (retrying may work)."""
    return ApiError(500, message, type="server_error", code="storage_error")


async def _storage_error(request: Request, exc: Exception) -> JSONResponse:
    log.error("storage error on %s %s: %s", request.method, request.url.path, exc)
    return _respond(storage_failed(f"{exc} The request was not completed; try again later."))


def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return _respond(ApiError(500, "The server had an error while processing your request.", type="server_error",
                             code="internal_error"))


class CatchUnexpected:
    """Answers an unexpected exception with the 500 envelope and lets the connection live.

    Starlette's outermost error middleware also answers 500, but then re-raises, and uvicorn closes the
    connection of a request whose app raised: a client's keep-alive connection would drop on every bug.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, send_tracked)
        except Exception as exc:
            if started:  # half an answer is out: closing the connection is the only honest end
                raise
            await _unexpected(Request(scope), exc)(scope, receive, send)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(StorageError, _storage_error)
    app.add_exception_handler(Exception, _unexpected)
    app.add_middleware(CatchUnexpected)
