"""``GET /healthz``: the process answers and its database is reachable (no auth)."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text

from azur.api.deps import SessionDep
from azur.api.schemas import Health

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz(session: SessionDep) -> Health:
    session.execute(text("SELECT 1"))
    return Health()
