"""``azur webhooks add|list|remove|deliveries|deliver``: users' webhook endpoints, for operators.

``add`` prints the new endpoint's signing secret once (it signs every delivery; give it to the receiver).
``deliver`` runs the delivery loop in the foreground, for installations whose ``azur serve`` does not
(``webhooks.deliver_in_server = false``)."""

from __future__ import annotations

import time

import typer

from azur.cli.common import UserError, console

webhooks_app = typer.Typer(help="Webhook endpoints: signed events sent when videos complete or fail.",
                           no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(webhooks_app, name="webhooks")


def _when(ts: float | None) -> str:
    return "-" if ts is None else time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(ts))


@webhooks_app.command("add")
def add(
    url: str = typer.Argument(..., help="Where events are POSTed (http or https)."),
    user: str = typer.Option(..., "--user", help="The user whose events are sent."),
    events: str = typer.Option("video.completed,video.failed", "--events",
                               help="Comma-separated event types (video.completed, video.failed, batch.completed, "
                                    "batch.failed, ...)."),
    name: str | None = typer.Option(None, "--name", help="A name to tell endpoints apart (default: the URL's host)."),
) -> None:
    """Register an endpoint for a user and print its signing secret (shown once: give it to the receiver)."""
    from azur.cli.common import database_session, find_user
    from azur.webhooks.endpoints import InvalidEndpoint, create_endpoint

    types = [t.strip() for t in events.split(",") if t.strip()]
    try:
        with database_session() as (settings, session):
            owner = find_user(session, user)
            endpoint = create_endpoint(session, settings, owner.id, url=url, event_types=types, name=name)
            endpoint_id, secret = endpoint.id, endpoint.secret
    except InvalidEndpoint as exc:
        raise UserError(exc.message) from None
    console.print(f"added {endpoint_id} for {user}: {', '.join(types)} → {url}; signing secret:", highlight=False)
    print(secret)


@webhooks_app.command("list")
def list_(user: str | None = typer.Option(None, "--user", help="Only this user's endpoints.")) -> None:
    """List endpoints: id, user, events, URL."""
    from azur.cli.common import database_session, find_user
    from azur.db.models import User
    from azur.webhooks.endpoints import list_endpoints

    with database_session() as (_, session):
        owner_id = find_user(session, user).id if user else None
        rows = [(e.id, session.get(User, e.user_id).name, ",".join(e.event_types), e.url)
                for e in list_endpoints(session, owner_id)]
    print(f"{'ID':<37} {'USER':<16} {'EVENTS':<30} URL")
    for endpoint_id, owner, types, url in rows:
        print(f"{endpoint_id:<37} {owner:<16} {types:<30} {url}")


@webhooks_app.command("remove")
def remove(endpoint_id: str = typer.Argument(..., help="The endpoint (whep_...).")) -> None:
    """Remove an endpoint and its delivery log."""
    from azur.cli.common import database_session
    from azur.webhooks.endpoints import delete_endpoint, find_endpoint

    with database_session() as (_, session):
        endpoint = find_endpoint(session, None, endpoint_id)
        if endpoint is None:
            raise UserError(f"No webhook endpoint '{endpoint_id}' (see `azur webhooks list`).")
        delete_endpoint(session, endpoint)
    console.print(f"removed {endpoint_id}", highlight=False)


@webhooks_app.command("deliveries")
def deliveries(endpoint_id: str = typer.Argument(..., help="The endpoint (whep_...)."),
               limit: int = typer.Option(20, "--limit", min=1, max=1000, help="How many, newest first.")) -> None:
    """Show an endpoint's delivery log."""
    from sqlalchemy import select

    from azur.cli.common import database_session
    from azur.db.models import WebhookDelivery
    from azur.webhooks.endpoints import find_endpoint

    with database_session() as (_, session):
        if find_endpoint(session, None, endpoint_id) is None:
            raise UserError(f"No webhook endpoint '{endpoint_id}' (see `azur webhooks list`).")
        rows = session.scalars(select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id)
                               .order_by(WebhookDelivery.created_at.desc()).limit(limit)).all()
        lines = [(r.id, r.event_type, r.status, r.attempts, _when(r.created_at), r.last_status_code or "-",
                  r.last_error or "") for r in rows]
    print(f"{'DELIVERY':<39} {'EVENT':<16} {'STATUS':<10} {'TRIES':>5}  {'CREATED (UTC)':<19} HTTP  ERROR")
    for delivery_id, event, status, tries, created, code, error in lines:
        print(f"{delivery_id:<39} {event:<16} {status:<10} {tries:>5}  {created:<19} {code!s:<5} {error}")


@webhooks_app.command("deliver")
def deliver() -> None:
    """Send due webhook deliveries until interrupted (what `azur serve` does in a thread)."""
    import logging
    import signal
    import threading

    from azur.config import get_settings
    from azur.db.session import open_database
    from azur.webhooks.delivery import Deliverer

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = get_settings()
    db = open_database(settings.resolved_database_url)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    try:
        Deliverer(db, settings).run(stop)
    finally:
        db.dispose()
