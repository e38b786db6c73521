"""The web studio: static files shipped in the package and served by the API app (no build step)."""

from __future__ import annotations

from pathlib import Path

STATIC_DIR = Path(__file__).parent / "static"


def mount(app) -> None:  # noqa: ANN001 - a FastAPI app; imported lazily to keep this module light
    """Serve the studio at ``/`` and its assets under ``/studio/``."""
    from fastapi.responses import FileResponse
    from fastapi.staticfiles import StaticFiles

    app.mount("/studio", StaticFiles(directory=STATIC_DIR), name="studio")

    @app.get("/", include_in_schema=False)
    def studio_index() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html", headers={"Cache-Control": "no-cache"})
