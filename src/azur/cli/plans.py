"""``azur plans list`` and ``azur usage [USER]``: the plans of this server and what users used of them."""

from __future__ import annotations

from datetime import datetime

import typer
from rich.table import Table

from azur.cli.common import database_session, find_user, output_console

plans_app = typer.Typer(help="Plans: monthly quotas, limits, credits and priority.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(plans_app, name="plans")
    app.command("usage")(usage)


@plans_app.command("list")
def list_plans() -> None:
    """The plans configured on this server (settings `plans`, TOML `[plans.<id>]`)."""
    from azur.config import get_settings

    settings = get_settings()
    table = Table("id", "name", "videos/month", "max s", "max res", "at once", "priority", "credits/month",
                  "visible mark", "relaxed", title="Plans")
    for plan_id, p in settings.plans.items():
        marker = " (default)" if plan_id == settings.default_plan else ""
        table.add_row(plan_id + marker, p.name, str(p.videos_per_month), str(p.max_seconds), f"{p.max_resolution}p",
                      str(p.concurrent_jobs), str(p.priority), str(p.credits_per_month or "-"),
                      "yes" if p.visible_mark else "no", "yes" if p.relaxed else "no")
    print_out(table)
    rates = ", ".join(f"{r}p: {c}/s" for r, c in sorted(settings.credits.per_second.items()))
    print_out(f"A video costs ceil(seconds x rate) credits; rates {rates}. Months in {settings.billing_timezone}.")


def usage(user: str | None = typer.Argument(None, help="One user (default: every user).")) -> None:
    """What users used this month: videos and credits, what is left, and when it resets."""
    from azur.accounts.ledger import usage as usage_of
    from azur.accounts.users import list_users

    with database_session() as (settings, session):
        users = [find_user(session, user)] if user else list_users(session)
        rows = [(u.name, usage_of(session, settings, u)) for u in users]
    table = Table("user", "plan", "videos used", "left", "credits used", "left", "resets", title="Usage this month")
    for name, u in rows:
        resets = datetime.fromtimestamp(u.period.end.timestamp()).strftime("%Y-%m-%d %H:%M")
        table.add_row(name, u.plan.name, f"{u.videos_used}/{u.plan.videos_per_month}", str(u.videos_remaining),
                      f"{u.credits_used}/{u.credits_limit}" if u.credits_limit else str(u.credits_used),
                      str(u.credits_remaining) if u.credits_limit else "-", resets)
    print_out(table)


def print_out(renderable) -> None:  # noqa: ANN001 - tables go to stdout, so they can be piped

    output_console().print(renderable)
