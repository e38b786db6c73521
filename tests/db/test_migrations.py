"""The migrations shipped in the package build exactly the tables the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from azur.db.models import Base
from azur.db.session import Database, open_database


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
