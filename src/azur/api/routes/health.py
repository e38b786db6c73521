"""Probes (no auth): ``GET /healthz`` liveness, ``GET /readyz`` readiness.

Liveness says only that the process answers: a database outage must not make an orchestrator restart every
API replica (restarting fixes nothing there). Readiness says whether this replica can serve requests now:
the database answers, its schema is at the migration head this code expects (a replica of a newer release
waits while an older one still runs the database), and the storage accepts a write. A replica that is not
ready answers 503 with OpenAI's error envelope naming what failed, and is taken out of the load balancer.
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from sqlalchemy import text

from azur.api.deps import ServicesDep
from azur.api.errors import ApiError
from azur.api.schemas import Health, Readiness

router = APIRouter(tags=["health"])

READY_PROBE_PREFIX = ".readyz-"  # probe objects at the top of the storage, removed at once


@router.get("/healthz")
def healthz() -> Health:
    return Health()


@router.get("/readyz", responses={503: {"description": "Not ready: the error names what failed."}})
def readyz(services: ServicesDep) -> Readiness:
    problems = []
    try:
        problems.extend(_schema_problems(services))
    except Exception as exc:  # unreachable, wrong credentials, ...
        problems.append(f"database: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")
    key = f"{READY_PROBE_PREFIX}{uuid.uuid4().hex}"
    try:
        services.storage.put_bytes(key, b"ready")
        services.storage.delete(key)
    except Exception as exc:
        problems.append(f"storage: {exc}")
    if problems:
        raise ApiError(503, "Not ready: " + "; ".join(problems), type="server_error", code="not_ready")
    return Readiness()


def _schema_problems(services: ServicesDep) -> list[str]:
    from alembic.script import ScriptDirectory
    from alembic.config import Config

    from azur.db.session import MIGRATIONS_DIR

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    heads = set(ScriptDirectory.from_config(config).get_heads())
    with services.db.session() as session:
        session.execute(text("SELECT 1"))
        current = {row[0] for row in session.execute(text("SELECT version_num FROM alembic_version"))}
    if current != heads:
        return [f"database schema at {sorted(current) or 'nothing'}, this release expects {sorted(heads)}"]
    return []
