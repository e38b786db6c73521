"""``azur keys add|list|revoke``: API keys. A key is printed once and stored only as a hash."""

from __future__ import annotations

import time

import typer

from azur.cli.common import UserError, console, database_session, find_user

keys_app = typer.Typer(help="API keys.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(keys_app, name="keys")


@keys_app.command("add")
def add(user: str = typer.Argument(..., help="The user who gets the key.")) -> None:
    """Print a new API key for USER."""
    from azur.accounts.keys import create_key

    with database_session() as (_, session):
        row, key = create_key(session, find_user(session, user))
        key_id = row.id
    console.print(f"new key {key_id} for [bold]{user}[/]:", highlight=False)
    print(key)


@keys_app.command("list")
def list_(user: str | None = typer.Argument(None, help="Only this user's keys.")) -> None:
    """List keys: id, user, the key's first characters, created, revoked."""
    from azur.accounts.keys import list_keys

    with database_session() as (_, session):
        owner = find_user(session, user) if user else None
        rows = [(k.id, k.user.name, k.prefix, k.created_at, k.revoked_at) for k in list_keys(session, owner)]
    print(f"{'ID':<6} {'USER':<24} {'KEY':<16} {'CREATED':<20} REVOKED")
    for key_id, name, prefix, created, revoked in rows:
        print(f"{key_id:<6} {name:<24} {prefix + '...':<16} {_when(created):<20} {_when(revoked) if revoked else '-'}")


@keys_app.command("revoke")
def revoke(key_id: int = typer.Argument(..., help="The key's id (see `azur keys list`).")) -> None:
    """Revoke a key: requests with it answer 401 from now on."""
    from azur.accounts.keys import UnknownKey, revoke_key

    try:
        with database_session() as (_, session):
            revoke_key(session, key_id)
    except UnknownKey as exc:
        raise UserError(str(exc)) from None
    console.print(f"revoked key {key_id}")


def _when(timestamp: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(timestamp))
