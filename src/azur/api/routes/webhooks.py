"""``/v1/webhook_endpoints``: a user's webhook endpoints, with OpenAI's wire shapes, so that the official
client's ``client.webhooks.create / list / retrieve / delete / test`` drive them; also served at
``/v1/webhooks`` (the name Azur's docs and studio use).

Azur's extensions: ``GET .../{id}/deliveries`` (the delivery log, newest first) and
``POST .../{id}/deliveries/{delivery_id}/redeliver`` (send an event again). The signing secret is in the
answer to the creation only; later answers carry ``signing_secret_hint``.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, Field
from sqlalchemy import and_, or_, select

from azur.api.body import body_dependency, body_openapi
from azur.api.deps import CurrentUser, ServicesDep, SessionDep, get_current_user
from azur.api.errors import ApiError, bad_request, not_found
from azur.api.fields import SmallCount
from azur.api.schemas import ErrorBody, Wire
from azur.db.models import User, WebhookDelivery, WebhookEndpoint
from azur.webhooks import delivery as deliveries
from azur.webhooks import endpoints
from azur.webhooks.events import EVENT_TYPES
from azur.webhooks.signing import secret_hint

ERRORS = {code: {"model": ErrorBody} for code in (400, 401, 404, 502)}
EventType = Literal[EVENT_TYPES]  # type: ignore[valid-type]


# ---- wire shapes (openai.types.webhooks.*) --------------------------------------------------------------

class WebhookEndpointPublic(Wire):
    """``openai.types.webhooks.WebhookEndpoint``."""

    id: str
    object: Literal["webhook_endpoint"] = "webhook_endpoint"
    created_at: int
    updated_at: int
    name: str
    url: str
    event_types: list[str]
    signing_secret_hint: str


class WebhookEndpointWithSecret(WebhookEndpointPublic):
    """``openai.types.webhooks.WebhookEndpointWithSecret``: only the answer to a creation."""

    signing_secret: str = Field(description="The secret that signs every delivery (whsec_...). Shown once: keep it.")


class WebhookEndpointList(Wire):
    object: Literal["list"] = "list"
    data: list[WebhookEndpointPublic]
    first_id: str | None
    last_id: str | None
    has_more: bool


class WebhookEndpointDeleted(Wire):
    """``openai.types.webhooks.DeletedWebhookEndpoint``."""

    id: str
    object: Literal["webhook_endpoint.deleted"] = "webhook_endpoint.deleted"
    deleted: bool


class WebhookTestResult(Wire):
    """``openai.types.webhooks.WebhookEndpointTestResult``."""

    object: Literal["webhook_endpoint.test"] = "webhook_endpoint.test"
    webhook_endpoint_id: str
    event_type: str
    status_code: int
    success: Literal[True] = True


class WebhookDeliveryPublic(Wire):
    """Azur: one event sent (or to be sent) to one endpoint."""

    id: str
    object: Literal["webhook_delivery"] = "webhook_delivery"
    webhook_endpoint_id: str
    event_id: str
    event_type: str
    status: Literal["pending", "delivered", "failed"]
    attempts: int
    created_at: int
    last_attempt_at: int | None
    next_attempt_at: int | None = Field(description="When a pending delivery is tried next.")
    delivered_at: int | None
    last_status_code: int | None
    last_error: str | None
    payload: dict[str, Any] = Field(description="The event as sent.")


class WebhookDeliveryList(Wire):
    object: Literal["list"] = "list"
    data: list[WebhookDeliveryPublic]
    first_id: str | None
    last_id: str | None
    has_more: bool


class WebhookCreateBody(BaseModel):
    model_config = {"extra": "forbid"}

    url: str = Field(max_length=2048, description="Where events are POSTed (http or https).")
    event_types: list[EventType] = Field(min_length=1, max_length=len(EVENT_TYPES))  # type: ignore[valid-type]
    name: str | None = Field(None, max_length=200, description="Default: the URL's host.")


class WebhookTestBody(BaseModel):
    model_config = {"extra": "forbid"}

    event_type: EventType = "video.completed"  # type: ignore[valid-type]


def _ts(value: float | None) -> int | None:
    return None if value is None else int(value)


def public(endpoint: WebhookEndpoint) -> WebhookEndpointPublic:
    return WebhookEndpointPublic(id=endpoint.id, created_at=int(endpoint.created_at),
                                 updated_at=int(endpoint.updated_at), name=endpoint.name, url=endpoint.url,
                                 event_types=list(endpoint.event_types),
                                 signing_secret_hint=secret_hint(endpoint.secret))


def public_delivery(row: WebhookDelivery) -> WebhookDeliveryPublic:
    return WebhookDeliveryPublic(
        id=row.id, webhook_endpoint_id=row.endpoint_id, event_id=row.event_id, event_type=row.event_type,
        status=row.status, attempts=row.attempts, created_at=int(row.created_at),  # type: ignore[arg-type]
        last_attempt_at=_ts(row.last_attempt_at),
        next_attempt_at=_ts(row.next_attempt_at) if row.status == deliveries.PENDING else None,
        delivered_at=_ts(row.delivered_at), last_status_code=row.last_status_code, last_error=row.last_error,
        payload=json.loads(row.payload),
    )


# ---- the ownership rule, once ----------------------------------------------------------------------------

def find_owned_endpoint(session: SessionDep, user: User, endpoint_id: str) -> WebhookEndpoint:
    """The endpoint if ``user`` owns it; else 404, exactly like an unknown id."""
    endpoint = endpoints.find_endpoint(session, user.id, endpoint_id)
    if endpoint is None:
        shown = endpoint_id if len(endpoint_id) <= 64 else endpoint_id[:61] + "..."
        raise not_found(f"No webhook endpoint found with id '{shown}'.")
    return endpoint


async def get_owned_endpoint(session: SessionDep, user: CurrentUser,
                             endpoint_id: Annotated[str, Path(description="A webhook endpoint id, whep_...")]
                             ) -> WebhookEndpoint:
    return find_owned_endpoint(session, user, endpoint_id)


OwnedEndpoint = Annotated[WebhookEndpoint, Depends(get_owned_endpoint)]
CreateBody = Annotated[WebhookCreateBody, Depends(body_dependency(WebhookCreateBody))]
TestBody = Annotated[WebhookTestBody, Depends(body_dependency(WebhookTestBody))]


def make_router(prefix: str, *, include_in_schema: bool) -> APIRouter:
    router = APIRouter(prefix=prefix, tags=["webhooks"], responses=ERRORS, include_in_schema=include_in_schema,
                       dependencies=[Depends(get_current_user)])

    @router.post("", openapi_extra=body_openapi(WebhookCreateBody))
    def create_endpoint(body: CreateBody, services: ServicesDep, session: SessionDep,
                        user: CurrentUser) -> WebhookEndpointWithSecret:
        """Register a URL for events; the answer holds the signing secret, shown this once."""
        try:
            endpoint = endpoints.create_endpoint(session, services.settings, user.id, url=body.url,
                                                 event_types=body.event_types, name=body.name)
        except endpoints.InvalidEndpoint as exc:
            raise bad_request(exc.message, param=exc.param) from None
        session.commit()
        return WebhookEndpointWithSecret(**public(endpoint).model_dump(), signing_secret=endpoint.secret)

    @router.get("")
    def list_endpoints(
        session: SessionDep, user: CurrentUser,
        after: Annotated[str | None, Query(description="The id of the last endpoint of the previous page.")] = None,
        limit: Annotated[SmallCount | None, Query(description="Endpoints per page, 0-100 (default 20).")] = None,
    ) -> WebhookEndpointList:
        """The caller's endpoints, newest first."""
        limit = 20 if limit is None else limit
        if not 0 <= limit <= 100:
            raise bad_request(f"limit must be between 0 and 100, got {limit}.", param="limit")
        cursor = find_owned_endpoint(session, user, after) if after is not None else None
        rows = endpoints.list_endpoints(session, user.id, after=cursor, limit=limit + 1)
        page = [public(e) for e in rows[:limit]]
        return WebhookEndpointList(data=page, first_id=page[0].id if page else None,
                                   last_id=page[-1].id if page else None, has_more=len(rows) > limit)

    @router.get("/{endpoint_id}")
    def retrieve_endpoint(endpoint: OwnedEndpoint) -> WebhookEndpointPublic:
        """One endpoint (without its secret)."""
        return public(endpoint)

    @router.delete("/{endpoint_id}")
    def delete_endpoint(endpoint: OwnedEndpoint, session: SessionDep) -> WebhookEndpointDeleted:
        """Remove an endpoint and its delivery log; events not yet sent to it are dropped."""
        endpoints.delete_endpoint(session, endpoint)
        session.commit()
        return WebhookEndpointDeleted(id=endpoint.id, deleted=True)

    @router.post("/{endpoint_id}/test", openapi_extra=body_openapi(WebhookTestBody))
    def test_endpoint(endpoint: OwnedEndpoint, body: TestBody, services: ServicesDep,
                      session: SessionDep) -> WebhookTestResult:
        """Send a signed sample event now and report the receiver's HTTP status (also in the delivery log).
        An endpoint that gives no HTTP answer (unreachable, too slow, refused by the guard) is a 502."""
        delivery, attempt = deliveries.send_test(session, services.settings, endpoint, body.event_type)
        session.commit()
        if attempt.status_code is None:
            raise ApiError(502, f"The test event could not be delivered: {attempt.error}.", type="server_error",
                           code="webhook_unreachable")
        return WebhookTestResult(webhook_endpoint_id=endpoint.id, event_type=body.event_type,
                                 status_code=attempt.status_code)

    @router.get("/{endpoint_id}/deliveries")
    def list_deliveries(
        endpoint: OwnedEndpoint, session: SessionDep,
        after: Annotated[str | None, Query(description="The id of the last delivery of the previous page.")] = None,
        limit: Annotated[SmallCount | None, Query(description="Deliveries per page, 0-100 (default 20).")] = None,
        status: Annotated[Literal["pending", "delivered", "failed"] | None, Query()] = None,
    ) -> WebhookDeliveryList:
        """Azur: the endpoint's delivery log, newest first."""
        limit = 20 if limit is None else limit
        if not 0 <= limit <= 100:
            raise bad_request(f"limit must be between 0 and 100, got {limit}.", param="limit")
        query = select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)
        if status is not None:
            query = query.where(WebhookDelivery.status == status)
        if after is not None:
            cursor = session.get(WebhookDelivery, after) if len(after) <= 40 else None
            if cursor is None or cursor.endpoint_id != endpoint.id:
                raise not_found(f"No delivery found with id '{after[:64]}'.", param="after")
            query = query.where(or_(WebhookDelivery.created_at < cursor.created_at,
                                    and_(WebhookDelivery.created_at == cursor.created_at,
                                         WebhookDelivery.id < cursor.id)))
        query = query.order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc()).limit(limit + 1)
        rows = list(session.scalars(query))
        page = [public_delivery(r) for r in rows[:limit]]
        return WebhookDeliveryList(data=page, first_id=page[0].id if page else None,
                                   last_id=page[-1].id if page else None, has_more=len(rows) > limit)

    @router.post("/{endpoint_id}/deliveries/{delivery_id}/redeliver")
    def redeliver(endpoint: OwnedEndpoint, session: SessionDep,
                  delivery_id: Annotated[str, Path(description="A delivery id, whdel_...")]) -> WebhookDeliveryPublic:
        """Azur: send an event of the log again (same event id), as a new pending delivery."""
        row = session.get(WebhookDelivery, delivery_id) if len(delivery_id) <= 40 else None
        if row is None or row.endpoint_id != endpoint.id:
            raise not_found(f"No delivery found with id '{delivery_id[:64]}'.")
        again = deliveries.redeliver(session, row)
        session.commit()
        return public_delivery(again)

    return router


router = make_router("/v1/webhook_endpoints", include_in_schema=True)
alias_router = make_router("/v1/webhooks", include_in_schema=False)
