"""The database: tables (:mod:`.models`), engine and sessions (:mod:`.session`), Alembic migrations."""
