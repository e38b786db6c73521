"""``GET /v1/usage``: the caller's plan, what they used this month, what is left and when it resets."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from azur.api.deps import CurrentUser, ServicesDep, SessionDep, get_current_user

router = APIRouter(prefix="/v1", tags=["usage"], dependencies=[Depends(get_current_user)])


@router.get("/usage")
def get_usage(services: ServicesDep, session: SessionDep, user: CurrentUser) -> dict[str, Any]:
    """Plan limits, videos and credits used and remaining this month, and the month's start and end."""
    from azur.accounts.ledger import usage

    return usage(session, services.settings, user).to_dict()
