"""``azur serve``: the API (OpenAI's Videos API) and, by default, its job workers, on one machine."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)


def serve(
    host: str | None = typer.Option(None, "--host", help="Address to listen on (default: server.host, 127.0.0.1)."),
    port: int | None = typer.Option(None, "--port", help="Port (default: server.port, 8000)."),
    workers: int | None = typer.Option(
        None, "--workers", min=0, help="Job worker processes to start beside the API (0: only external `azur worker`s)."
    ),
    log_level: str = typer.Option("info", "--log-level", help="uvicorn log level: debug, info, warning, error."),
) -> None:
    """Serve the API at http://HOST:PORT/v1 (docs at /docs), with job workers, until interrupted."""
    import uvicorn

    from azur.api.app import create_app
    from azur.config import get_settings

    settings = get_settings()
    changes = {k: v for k, v in {"host": host, "port": port, "workers": workers}.items() if v is not None}
    settings = settings.model_copy(update={"server": settings.server.model_copy(update=changes)})
    settings.home.mkdir(parents=True, exist_ok=True)
    from azur.logs import configure_logging

    configure_logging(settings.log_format, log_level.upper())
    # With JSON logs uvicorn keeps its hands off logging (log_config=None): its lines go through ours.
    log_config = None if settings.log_format == "json" else uvicorn.config.LOGGING_CONFIG
    uvicorn.run(create_app(settings), host=settings.server.host, port=settings.server.port, log_level=log_level,
                log_config=log_config)
