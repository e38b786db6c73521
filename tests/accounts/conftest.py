"""Databases for the plan and ledger tests: a SQLite file, and a fresh database on the PostgreSQL server
that `.ci/run` starts (scripts/test-services.sh sets AZUR_TEST_POSTGRES_URL)."""

from __future__ import annotations

import os
import uuid

import pytest
import sqlalchemy as sa

from azur.db.session import Database, open_database


def postgres_database_url() -> str | None:
    """A new, empty database on the test PostgreSQL server (None when there is none)."""
    admin_url = os.environ.get("AZUR_TEST_POSTGRES_URL")
    if not admin_url:
        return None
    name = "azur_test_" + uuid.uuid4().hex[:12]
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    return admin_url.rsplit("/", 1)[0] + "/" + name


def required_postgres_url() -> str:
    """A fresh PostgreSQL database's URL; without a test server the test fails on CI and is skipped elsewhere."""
    url = postgres_database_url()
    if url is None:
        missing = "no PostgreSQL test server (run: eval \"$(scripts/test-services.sh)\")"
        pytest.fail(missing) if os.environ.get("CI") else pytest.skip(missing)
    return url


def database_env(kind: str) -> dict[str, str]:
    """The environment that points an `azur serve` at `kind` ("sqlite": its own file, or "postgres")."""
    return {"AZUR_DATABASE_URL": required_postgres_url()} if kind == "postgres" else {}


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'azur.db'}"
    return required_postgres_url()


@pytest.fixture
def db(database_url) -> Database:
    database = open_database(database_url)
    yield database
    database.dispose()
