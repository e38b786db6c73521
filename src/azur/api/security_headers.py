"""Security headers: ``nosniff`` on every response; on every HTML page a Content-Security-Policy that allows
only Azur's own files, and no framing, no referrer.

The studio keeps the user's API key in the page's session storage: a script from anywhere else, or a page
that frames the studio, could read it or trick the user into using it. Pages with other needs (the API
docs' inline start-up script) set their own policy with :func:`content_security_policy`; the middleware
leaves a policy already set alone.
"""

from __future__ import annotations

import base64
import hashlib
import re

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# The studio: its own ES modules and stylesheet; thumbnails and videos arrive as blob: URLs of fetched files.
_DEFAULT_SOURCES = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data: blob:",
    "media-src": "'self' blob:",
    "connect-src": "'self'",
    "font-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def content_security_policy(*, html: str = "", **extra: str) -> str:
    """The default policy, with the inline scripts of ``html`` allowed by their SHA-256 (and nothing else
    inline), and ``extra`` sources (``style_src="'self' 'unsafe-inline'"``) replacing the defaults."""
    sources = dict(_DEFAULT_SOURCES)
    hashes = [_sha256_source(script) for script in _INLINE_SCRIPT.findall(html)]
    if hashes:
        sources["script-src"] = " ".join(["'self'", *hashes])
    for name, value in extra.items():
        sources[name.replace("_", "-")] = value
    return "; ".join(f"{name} {value}" for name, value in sources.items())


def _sha256_source(script: str) -> str:
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode()
    return f"'sha256-{digest}'"


class SecurityHeaders:
    """Adds the headers to every HTTP response on its way out."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.policy = content_security_policy()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                if headers.get("content-type", "").startswith("text/html"):
                    headers.setdefault("Content-Security-Policy", self.policy)
                    headers.setdefault("X-Frame-Options", "DENY")
                    headers.setdefault("Referrer-Policy", "no-referrer")
            await send(message)

        await self.app(scope, receive, send_with_headers)
