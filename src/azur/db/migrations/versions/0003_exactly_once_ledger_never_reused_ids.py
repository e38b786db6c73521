"""exactly-once ledger (one reservation and one settlement per video), ids never reused, erased actors anonymised

Revision ID: 0003
Revises: 0002

Before this revision a video could be refunded several times (parallel DELETEs of a queued video), and
SQLite gave an erased user's id to the next new user. Upgrading repairs what that left behind: extra
settlements are removed (the earliest stays, so usage becomes what it should have been), the users' id
counter (SQLite's, or Postgres's sequence) starts above every id the audit log still names, and audit
actors of users who no longer exist are replaced by an anonymous token.
"""

import re
import secrets

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

SETTLEMENTS = "kind IN ('charge', 'refund')"
RESERVATION = "kind = 'reserve'"
TABLES_WITH_INTEGER_IDS = ("users", "api_keys", "usage_ledger", "audit_log")


def _keep_first(where: str) -> None:
    """Delete all but the earliest row of each video among the rows matching ``where``."""
    op.execute(
        f"DELETE FROM usage_ledger WHERE video_id IS NOT NULL AND {where} AND id NOT IN "
        f"(SELECT min_id FROM (SELECT MIN(id) AS min_id FROM usage_ledger "
        f"WHERE video_id IS NOT NULL AND {where} GROUP BY video_id) AS firsts)"
    )


def _anonymise_erased_actors(bind: sa.engine.Connection) -> int:
    """Replace ``user:<id>`` actors whose user is gone by one random token per erased id; returns the
    highest such id (0 if none), which SQLite's id counter must stay above."""
    existing = {row[0] for row in bind.execute(sa.text("SELECT id FROM users"))}
    actors = [row[0] for row in bind.execute(sa.text("SELECT DISTINCT actor FROM audit_log WHERE actor LIKE 'user:%'"))]
    highest = 0
    for actor in actors:
        match = re.fullmatch(r"user:(\d+)", actor)
        if match is None:
            continue
        user_id = int(match.group(1))
        highest = max(highest, user_id)
        if user_id not in existing:
            bind.execute(sa.text("UPDATE audit_log SET actor = :new WHERE actor = :old"),
                         {"new": f"user:erased-{secrets.token_hex(8)}", "old": actor})
    return highest


def upgrade() -> None:
    bind = op.get_bind()
    _keep_first(SETTLEMENTS)
    _keep_first(RESERVATION)
    highest_named = _anonymise_erased_actors(bind)
    if bind.dialect.name == "sqlite":
        # Rebuild each table as AUTOINCREMENT (the caller turned foreign keys off, so dropping the old
        # `users` does not cascade into every user's keys and videos).
        for table in TABLES_WITH_INTEGER_IDS:
            with op.batch_alter_table(table, recreate="always", table_kwargs={"sqlite_autoincrement": True}):
                pass
        seq = bind.execute(sa.text("SELECT seq FROM sqlite_sequence WHERE name = 'users'")).scalar()
        if seq is None:
            bind.execute(sa.text("INSERT INTO sqlite_sequence (name, seq) VALUES ('users', :n)"), {"n": highest_named})
        elif seq < highest_named:
            bind.execute(sa.text("UPDATE sqlite_sequence SET seq = :n WHERE name = 'users'"), {"n": highest_named})
    elif bind.dialect.name == "postgresql" and highest_named:
        sequence = bind.execute(sa.text("SELECT pg_get_serial_sequence('users', 'id')")).scalar()
        last = bind.execute(sa.text(f"SELECT last_value FROM {sequence}")).scalar()
        if last < highest_named:
            bind.execute(sa.text("SELECT setval(:sequence, :n)"), {"sequence": sequence, "n": highest_named})
    op.create_index("ux_usage_reserve_once", "usage_ledger", ["video_id"], unique=True,
                    sqlite_where=sa.text(RESERVATION), postgresql_where=sa.text(RESERVATION))
    op.create_index("ux_usage_settle_once", "usage_ledger", ["video_id"], unique=True,
                    sqlite_where=sa.text(SETTLEMENTS), postgresql_where=sa.text(SETTLEMENTS))


def downgrade() -> None:
    # The tables stay AUTOINCREMENT and the anonymised actors stay anonymous: neither can be undone.
    op.drop_index("ux_usage_settle_once", table_name="usage_ledger")
    op.drop_index("ux_usage_reserve_once", table_name="usage_ledger")
