"""The ``azur`` command. Each command group lives in its own module and registers itself here.

User mistakes (a bad option, a missing file, an unknown model) end with one line on stderr and exit
status 2, never a traceback; see :func:`run`.
"""

from __future__ import annotations

import sys

import typer

from azur.cli import audit, generate, keys, models, plans, serve, train, users, verify, webhooks, worker

app = typer.Typer(
    name="azur",
    help="Azur: self-hosted text-to-video.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def _root() -> None:
    """Azur: self-hosted text-to-video."""


generate.register(app)
verify.register(app)
serve.register(app)
worker.register(app)
users.register(app)
keys.register(app)
models.register(app)
plans.register(app)
audit.register(app)
train.register(app)
webhooks.register(app)


def _user_errors() -> tuple[type[BaseException], ...]:
    from azur.cli.common import UserError
    from azur.engine.backend import UnknownModel
    from azur.engine.backends.diffusers_base import BackendUnavailable
    from azur.engine.catalog import InvalidModel
    from azur.engine.request import InvalidRequest
    from azur.media.images import UnreadableImage
    from azur.storage.base import StorageError

    return (
        UserError, InvalidRequest, UnknownModel, InvalidModel, BackendUnavailable, UnreadableImage, StorageError,
    )


def run() -> None:
    """Console entry point: runs the app, turning user mistakes into a one-line message."""
    try:
        app()  # standalone: click prints its own usage errors and exits
    except KeyboardInterrupt:
        print("azur: interrupted", file=sys.stderr)
        sys.exit(130)
    except _user_errors() as exc:
        message = str(exc.args[0]) if exc.args else str(exc)
        print(f"azur: {message}", file=sys.stderr)
        sys.exit(2)
    except OSError as exc:
        # A missing input, a full disk, a folder that refuses files: the reason and the path, on one line
        # (str(exc.args[0]) of an OSError is its bare errno).
        from azur.cli.common import describe_os_error

        print(f"azur: {describe_os_error(exc)}", file=sys.stderr)
        sys.exit(2)
