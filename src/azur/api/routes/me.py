"""``/v1/me``: the caller's data rights. ``GET /v1/me/export`` gives a ZIP of everything kept about them;
``DELETE /v1/me`` erases them (files, videos, keys), leaving only anonymised ledger and audit rows."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Response

from azur.api.deps import CurrentUser, ServicesDep, SessionDep, get_current_user
from azur.api.schemas import ErrorBody

router = APIRouter(prefix="/v1/me", tags=["me"], responses={401: {"model": ErrorBody}},
                   dependencies=[Depends(get_current_user)])


@router.get("/export", response_class=Response,
            responses={200: {"content": {"application/zip": {}}, "description": "A ZIP archive."}})
def export_me(services: ServicesDep, session: SessionDep, user: CurrentUser) -> Response:
    """Download everything Azur keeps about you, as a ZIP (GDPR art. 15 and 20)."""
    from azur.accounts.privacy import export_user
    from azur.safety import audit

    data = export_user(session, services.storage, services.settings, user)
    audit.record(services.db, "gdpr.export", user_id=user.id, detail={"bytes": len(data)})
    headers = {"Content-Disposition": f'attachment; filename="azur-export-{user.id}.zip"'}
    return Response(data, media_type="application/zip", headers=headers)


@router.delete("")
def erase_me(services: ServicesDep, session: SessionDep, user: CurrentUser) -> dict[str, Any]:
    """Erase your account, videos, files and keys now (GDPR art. 17). The key used for this stops working."""
    from azur.accounts.privacy import erase_user
    from azur.safety import audit

    user_id = user.id
    erased = erase_user(session, services.storage, user)
    session.commit()
    audit.record(services.db, "gdpr.erase", user_id=None, actor=erased.actor,
                 detail={"videos": erased.videos, "keys": erased.keys})
    services.db.scrub()
    return {"object": "user.deleted", "id": f"user_{user_id}", "deleted": True, "videos_deleted": erased.videos}
