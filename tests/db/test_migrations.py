"""The migrations shipped in the package build exactly the tables the models describe."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from azur.accounts.users import create_user
from azur.db.models import Base
from azur.db.session import Database, open_database
from tests.accounts.conftest import postgres_database_url


def test_migrations_build_the_models_schema_and_rerun_as_no_ops(tmp_path):
    db = open_database(f"sqlite:///{tmp_path / 'azur.db'}")
    assert {"users", "api_keys", "videos", "alembic_version"} <= set(inspect(db.engine).get_table_names())
    with db.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    db.migrate()  # every start runs it: must be a no-op
    db.dispose()


def test_sqlite_runs_in_wal_mode(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'sub' / 'azur.db'}")
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    db.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'azur.db'}"
    url = postgres_database_url()
    if url is None:
        pytest.skip("no PostgreSQL test server")
    return url


def test_upgrading_repairs_double_refunds_and_erased_actors_and_keeps_every_row(database_url):
    """A database from before revision 0003, holding what the old code could leave: a video refunded
    three times, an erased user (id 3, the newest) still named in the audit log."""
    db = Database(database_url)
    db.migrate("0002")
    rows = {
        "users": [{"id": i, "name": f"u{i}", "plan": "plus", "created_at": 1.0} for i in (1, 2, 3)],
        "api_keys": [{"id": 1, "user_id": 1, "key_hash": "h" * 64, "prefix": "sk-azur-1", "created_at": 1.0}],
        "videos": [{"id": "video_a", "user_id": 1, "kind": "create", "status": "queued", "progress": 0,
                    "created_at": 1.0, "model": "azur-tiny", "prompt": "p", "seconds": 1.0, "width": 480,
                    "height": 480, "seed": 1, "style": "flat", "priority": 0, "attempts": 0, "running_limit": 1,
                    "cost_credits": 1, "visible_mark": False}],
        "usage_ledger": [{"user_id": 2, "video_id": "video_b", "kind": kind, "period": "2026-12",
                          "videos": videos, "credits": 0, "plan": "plus", "created_at": float(i)}
                         for i, (kind, videos) in enumerate([("reserve", 1)] + [("refund", -1)] * 3)],
        "audit_log": [{"at": 1.0, "user_id": None, "actor": "user:3", "action": "moderation.prompt_blocked"},
                      {"at": 2.0, "user_id": 1, "actor": "user:1", "action": "gdpr.export"}],
    }
    with db.engine.begin() as connection:
        for table, values in rows.items():
            connection.execute(sa.table(table, *(sa.column(c) for c in values[0])).insert(), values)
        connection.execute(sa.text("DELETE FROM users WHERE id = 3"))  # the old erasure
    db.migrate()
    with db.engine.connect() as connection:
        def count(sql: str) -> int:
            return connection.execute(sa.text(sql)).scalar()

        assert count("SELECT count(*) FROM api_keys") == 1 and count("SELECT count(*) FROM videos") == 1
        assert count("SELECT sum(videos) FROM usage_ledger WHERE user_id = 2") == 0  # was -2
        actors = set(connection.execute(sa.text("SELECT actor FROM audit_log")).scalars())
        assert "user:3" not in actors and "user:1" in actors
        assert any(a.startswith("user:erased-") for a in actors)
    with db.session() as session:
        assert create_user(session, "newcomer").id == 4  # not 3: that id named the erased user
    db.dispose()
