"""``azur audit`` (the audit log) and ``azur purge`` (apply the retention policy now)."""

from __future__ import annotations

import json
import time

import typer

from azur.cli.common import UserError, database_session, find_user


def register(app: typer.Typer) -> None:
    app.command("audit")(audit)
    app.command("purge")(purge)


def audit(
    user: str | None = typer.Option(None, "--user", help="Only entries about this user."),
    action: str | None = typer.Option(None, "--action", help="Only actions starting with this (e.g. moderation.)."),
    limit: int = typer.Option(50, "--limit", min=1, help="How many entries, newest first."),
) -> None:
    """Moderation decisions, consents, exports and erasures: who, when, what (never the content)."""
    from azur.safety.audit import entries

    with database_session() as (_, session):
        user_id = find_user(session, user).id if user else None
        rows = entries(session, user_id=user_id, action=action, limit=limit)
        lines = [
            f"{time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime(e.at))}Z  {e.actor:<14} {e.action:<28} "
            f"{e.video_id or '-':<38} {json.dumps(e.detail, ensure_ascii=False) if e.detail else ''}"
            for e in rows
        ]
    print(f"{'WHEN (UTC)':<21} {'WHO':<14} {'WHAT':<28} {'VIDEO':<38} DETAIL")
    for line in lines:
        print(line)


def purge() -> None:
    """Delete expired videos' files, blank prompts past their retention, and remove stored files that no
    video owns (older than `orphan_grace_minutes`) now (`azur serve` does it hourly)."""
    from azur.accounts.privacy import purge_expired, remove_orphan_files
    from azur.storage import make_storage

    # scrub: a blanked prompt must not stay readable in SQLite's free pages (as after an erasure).
    with database_session(scrub=True) as (settings, session):
        storage = make_storage(settings)
        done = purge_expired(session, storage, settings)
        swept = remove_orphan_files(session, storage, settings)
    print(f"purged {done.videos_expired} expired videos and {done.files_expired} expired files; blanked {done.prompts_blanked} prompts; "
          f"removed {swept.files_removed} files no video owns ({swept.bytes_removed} bytes)")
    stuck = done.videos_not_removed + swept.files_not_removed
    if stuck:
        raise UserError(f"{done.videos_not_removed} expired videos and {swept.files_not_removed} unowned files "
                        "could not be removed from storage (named above); the next purge tries again")
