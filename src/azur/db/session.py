"""The database engine, sessions and migrations.

One :class:`Database` per process, built from settings at start-up (never at import time). SQLite is the
default; the same code runs on Postgres. On SQLite, WAL mode lets the API read while a worker process
writes, and a busy timeout makes concurrent writers wait instead of failing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS_DIR = Path(__file__).parent / "migrations"

# How long an erasure waits for other connections' reads to end before giving up truncating the log.
CHECKPOINT_WAIT_SECONDS = 30.0

logger = logging.getLogger(__name__)

# Larger than the API's thread pool (anyio's 40 threads), so a burst of sync routes never waits on the pool.
POOL = {"pool_size": 20, "max_overflow": 40}


class Database:
    """An engine and its session factory. ``url`` is a SQLAlchemy URL (``sqlite:///path``, ``postgresql://...``)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine: Engine = _make_engine(url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session that commits on success and rolls back on error."""
        with self.sessions() as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def migrate(self, revision: str = "head") -> None:
        """Bring the schema to ``revision``, by default the latest (run at every start; a no-op when up to
        date)."""
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        with self.engine.connect() as connection:
            if self.is_sqlite:
                # Alembic rebuilds a SQLite table by dropping the old one; with foreign keys on, dropping
                # `users` would cascade into every key and video. The pragma only works outside a
                # transaction, hence before begin(); the keys are checked before committing instead.
                connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
                connection.commit()
            try:
                with connection.begin():
                    config.attributes["connection"] = connection
                    command.upgrade(config, revision)
                    if self.is_sqlite:
                        broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                        if broken:
                            raise RuntimeError(f"migration left rows pointing at nothing: {broken[:5]}")
            finally:
                if self.is_sqlite:
                    connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                    connection.commit()

    def flush_deleted(self) -> bool:
        """On SQLite, copy the write-ahead log into the database and truncate it to zero bytes, so that no
        deleted row survives in the -wal file (secure_delete zeroes what is freed in the database itself).

        A checkpoint cannot finish while another connection still reads an older snapshot (a request, a
        worker): it is retried for up to ``CHECKPOINT_WAIT_SECONDS``. Returns False if it never finished.
        """
        if not self.is_sqlite:
            return True
        deadline = time.monotonic() + CHECKPOINT_WAIT_SECONDS
        with self.engine.connect() as connection:
            while True:
                busy = connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").first()[0]
                if not busy:
                    return True
                if time.monotonic() > deadline:
                    logger.warning("the SQLite write-ahead log could not be truncated: other connections kept "
                                   "reading; it still holds deleted rows until the next checkpoint")
                    return False
                time.sleep(0.05)

    def scrub(self) -> bool:
        """After an erasure: leave no byte of deleted rows anywhere in SQLite's files.

        secure_delete zeroes the cells and pages a DELETE frees, but not stale copies of a row that an
        earlier page rebalance left in the unallocated gap of a live page (measured: with 600 interleaved
        rows, an erased prompt survived in that gap after 5 of 15 erasures). VACUUM rewrites every page
        from the live rows only (its scratch copy kept in memory, not in a temporary file), then
        :meth:`flush_deleted` empties the log that received the rewritten pages. VACUUM holds the write
        lock meanwhile: the database keeps metadata only (files live in storage), so that is milliseconds
        to seconds. No-op on Postgres, whose files the server owns (it reuses dead rows' space; its own
        VACUUM is the operator's).
        """
        if not self.is_sqlite:
            return True
        with self.engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA temp_store=MEMORY")
            connection.exec_driver_sql("VACUUM")
            connection.exec_driver_sql("PRAGMA temp_store=DEFAULT")
        return self.flush_deleted()

    def dispose(self) -> None:
        self.engine.dispose()


def _make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, **POOL)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, **POOL)

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")  # durable across process crashes in WAL mode
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA secure_delete=ON")  # erased users' rows are overwritten, not left in free pages
        cursor.close()

    return engine


def open_database(url: str) -> Database:
    """A :class:`Database` for ``url`` with its schema migrated to the latest revision."""
    db = Database(url)
    db.migrate()
    return db
