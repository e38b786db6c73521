"""The API docs (Swagger UI at ``/docs``), served from Azur's own files.

FastAPI's defaults load them from a CDN, on the same origin where the studio keeps the user's API key: a
compromised CDN file would run with access to it. The assets come from the ``fastapi-offline`` wheel
(Swagger UI 5, which reads OpenAPI 3.1) and are served under ``/docs-assets``; the page's
Content-Security-Policy allows its one inline start-up script by hash and nothing from elsewhere.

There is no ``/redoc``: ReDoc needs inline styles allowed, and fetches its logo from redocly's CDN.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from azur.api.security_headers import content_security_policy

ASSETS_URL = "/docs-assets"


def assets_dir() -> Path:
    import fastapi_offline

    return Path(fastapi_offline.__file__).parent / "static"


def mount(app: FastAPI) -> None:
    """Serve ``/docs`` and its assets. The app must be built with ``docs_url=None`` and ``redoc_url=None``
    (FastAPI's own pages load from a CDN)."""
    app.mount(ASSETS_URL, StaticFiles(directory=assets_dir()), name="docs-assets")
    openapi_url = app.openapi_url or "/openapi.json"

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        page = get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{app.title} - API docs",
            swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_URL}/favicon.png",
            # No call to swagger.io's online validator: the docs work offline and tell no one about the API.
            swagger_ui_parameters={"validatorUrl": None},
        )
        html = bytes(page.body).decode()
        return HTMLResponse(html, headers={"Content-Security-Policy": content_security_policy(html=html)})
