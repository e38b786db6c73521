"""``azur users add|list``: the accounts of this server. A new user gets an API key, shown once."""

from __future__ import annotations

from pathlib import Path

import typer

from azur.cli.common import UserError, console

users_app = typer.Typer(help="Users of this server.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(users_app, name="users")


@users_app.command("add")
def add(
    name: str = typer.Argument(..., help="A unique user name."),
    plan: str | None = typer.Option(None, "--plan", help="The user's plan (free, plus, pro; default: free)."),
) -> None:
    """Create a user and print their first API key (it is stored only as a hash: keep it)."""
    from azur.accounts.keys import create_key
    from azur.accounts.users import UserExists, create_user
    from azur.cli.common import database_session
    from azur.config import get_settings

    settings = get_settings()
    plan = plan or settings.default_plan
    if plan not in settings.plans:
        raise UserError(f"Unknown plan '{plan}'. Plans: {', '.join(settings.plans)}.")
    try:
        with database_session() as (_, session):
            user = create_user(session, name, plan=plan)
            _, key = create_key(session, user)
    except (UserExists, ValueError) as exc:
        raise UserError(str(exc)) from None
    console.print(f"created user [bold]{name}[/] (plan {plan}); API key:", highlight=False)
    print(key)


@users_app.command("list")
def list_() -> None:
    """List users with their plan and number of active keys."""
    from azur.accounts.users import list_users
    from azur.cli.common import database_session

    with database_session() as (_, session):
        rows = [(u.name, u.plan, sum(1 for k in u.keys if k.revoked_at is None)) for u in list_users(session)]
    print(f"{'NAME':<24} {'PLAN':<10} KEYS")
    for name, plan, keys in rows:
        print(f"{name:<24} {plan:<10} {keys}")


@users_app.command("set-plan")
def set_plan(
    name: str = typer.Argument(..., help="The user."),
    plan: str = typer.Argument(..., help="The new plan (see `azur plans list`)."),
) -> None:
    """Move a user to another plan; limits apply from their next request."""
    from azur.cli.common import database_session, find_user

    with database_session() as (settings, session):
        if plan not in settings.plans:
            raise UserError(f"Unknown plan '{plan}'. Plans: {', '.join(settings.plans)}.")
        user = find_user(session, name)
        old, user.plan = user.plan, plan
    console.print(f"{name}: plan {old} → {plan}", highlight=False)


@users_app.command("grant-credits")
def grant_credits(
    name: str = typer.Argument(..., help="The user."),
    credits: int = typer.Argument(..., help="Credits to add for the current month.", min=1),
    note: str | None = typer.Option(None, "--note", help="Why (kept in the usage ledger)."),
) -> None:
    """Give a user extra credits for this month (a row in the usage ledger)."""
    from azur.accounts.ledger import grant_credits as grant
    from azur.accounts.ledger import usage
    from azur.cli.common import database_session, find_user

    with database_session() as (settings, session):
        user = find_user(session, name)
        grant(session, settings, user, credits, note=note)
        session.flush()
        left = usage(session, settings, user).credits_remaining
    console.print(f"{name}: +{credits} credits this month ({left} left)", highlight=False)


@users_app.command("export")
def export(
    name: str = typer.Argument(..., help="The user."),
    output: Path = typer.Option(None, "--output", "-o", help="The ZIP to write (default: azur-export-NAME.zip)."),
) -> None:
    """Write a ZIP of everything kept about a user (GDPR access and portability)."""
    from azur.accounts.privacy import export_user
    from azur.cli.common import database_session, find_user
    from azur.safety import audit
    from azur.storage import make_storage

    output = output or Path(f"azur-export-{name}.zip")
    with database_session() as (settings, session):
        user = find_user(session, name)
        data = export_user(session, make_storage(settings), settings, user)
        output.write_bytes(data)
        session.add(audit.entry("gdpr.export", user_id=user.id, actor="admin", detail={"bytes": len(data)}))
    console.print(f"wrote {output} ({len(data)} bytes)", highlight=False)


@users_app.command("erase")
def erase(
    name: str = typer.Argument(..., help="The user."),
    yes: bool = typer.Option(False, "--yes", help="Do it without asking."),
) -> None:
    """Erase a user now: their files, videos and keys; ledger and audit rows are anonymised."""
    from azur.accounts.privacy import erase_user
    from azur.cli.common import database_session, find_user
    from azur.safety import audit
    from azur.storage import make_storage

    if not yes and not typer.confirm(f"Erase '{name}' and all their videos for good?"):
        raise typer.Exit(1)
    with database_session(scrub=True) as (settings, session):
        user = find_user(session, name)
        erased = erase_user(session, make_storage(settings), user)
        session.add(audit.entry("gdpr.erase", user_id=None, actor="admin",
                                detail={"user": erased.actor, "videos": erased.videos, "keys": erased.keys}))
    console.print(f"erased {name}: {erased.videos} videos, {erased.keys} keys; "
                  f"{erased.ledger_rows_anonymised} ledger rows anonymised", highlight=False)
