"""``/v1/batches``: OpenAI's Batch API for video requests (create, retrieve, list, cancel).

A batch runs the lines of a JSONL file uploaded with purpose ``batch`` (see :mod:`azur.batches`); its
progress is in ``request_counts`` and, once it ends, its results are in ``output_file_id`` and
``error_file_id`` (``GET /v1/files/{id}/content``).
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, Field, StringConstraints
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from azur.api.body import body_dependency, body_openapi
from azur.api.deps import CurrentUser, SessionDep, get_current_user
from azur.api.schemas import ErrorBody, _Body
from azur.batches import runner
from azur.db.models import Batch

ERRORS = {code: {"model": ErrorBody} for code in (400, 401, 404, 409)}
router = APIRouter(prefix="/v1/batches", tags=["batches"], responses=ERRORS, dependencies=[Depends(get_current_user)])

BatchId = Annotated[str, Path(description="A batch id, batch_...")]
MetadataKey = Annotated[str, StringConstraints(max_length=64)]
MetadataValue = Annotated[str, StringConstraints(max_length=512)]


class BatchError(BaseModel):
    """``openai.types.BatchError``."""

    code: str | None = None
    line: int | None = None
    message: str | None = None
    param: str | None = None


class BatchErrors(BaseModel):
    object: Literal["list"] = "list"
    data: list[BatchError]


class BatchRequestCounts(BaseModel):
    total: int
    completed: int
    failed: int


class BatchPublic(BaseModel):
    """``openai.types.Batch``."""

    id: str
    object: Literal["batch"] = "batch"
    endpoint: str
    errors: BatchErrors | None = None
    input_file_id: str
    completion_window: str
    status: Literal["validating", "failed", "in_progress", "finalizing", "completed", "expired", "cancelling",
                    "cancelled"]
    output_file_id: str | None = None
    error_file_id: str | None = None
    created_at: int
    in_progress_at: int | None = None
    expires_at: int | None = None
    finalizing_at: int | None = None
    completed_at: int | None = None
    failed_at: int | None = None
    expired_at: int | None = None
    cancelling_at: int | None = None
    cancelled_at: int | None = None
    request_counts: BatchRequestCounts
    metadata: dict[str, str] | None = None


class BatchList(BaseModel):
    object: Literal["list"] = "list"
    data: list[BatchPublic]
    first_id: str | None = None
    last_id: str | None = None
    has_more: bool


class BatchCreateBody(_Body):
    input_file_id: Annotated[str, StringConstraints(max_length=64)]
    endpoint: Literal["/v1/videos"] = Field(description="Every request that makes a video: each line's url is "
                                            "/v1/videos, /v1/videos/extensions or /v1/videos/{id}/remix.")
    completion_window: Literal["24h"]
    metadata: Annotated[dict[MetadataKey, MetadataValue], Field(max_length=16)] | None = None


def _time(value: float | None) -> int | None:
    return None if value is None else int(value)


def public(session: Session, batch: Batch) -> BatchPublic:
    errors = BatchErrors(data=[BatchError(**e) for e in batch.errors]) if batch.errors else None
    return BatchPublic(
        id=batch.id, endpoint=batch.endpoint, errors=errors, input_file_id=batch.input_file_id,
        completion_window=batch.completion_window, status=batch.status,  # type: ignore[arg-type]
        output_file_id=batch.output_file_id, error_file_id=batch.error_file_id, created_at=int(batch.created_at),
        in_progress_at=_time(batch.in_progress_at), expires_at=_time(batch.expires_at),
        finalizing_at=_time(batch.finalizing_at), completed_at=_time(batch.completed_at),
        failed_at=_time(batch.failed_at), expired_at=_time(batch.expired_at),
        cancelling_at=_time(batch.cancelling_at), cancelled_at=_time(batch.cancelled_at),
        request_counts=BatchRequestCounts(**runner.request_counts(session, batch)), metadata=batch.metadata_,
    )


CreateBody = Annotated[BatchCreateBody, Depends(body_dependency(BatchCreateBody))]


@router.post("", openapi_extra=body_openapi(BatchCreateBody))
def create_batch(body: CreateBody, session: SessionDep, user: CurrentUser) -> BatchPublic:
    """Run the requests of an uploaded JSONL file (purpose ``batch``) at the lowest priority, within 24 h."""
    batch = runner.create_batch(session, user, endpoint=body.endpoint, input_file_id=body.input_file_id,
                                completion_window=body.completion_window, metadata=body.metadata)
    session.commit()
    return public(session, batch)


@router.get("")
def list_batches(
    session: SessionDep,
    user: CurrentUser,
    after: Annotated[str | None, Query(max_length=64, description="The id of the last batch of the previous page.")] = None,
    limit: Annotated[int, Query(ge=1, le=100, description="Batches per page, 1-100.")] = 20,
) -> BatchList:
    """The caller's batches, newest first."""
    query = select(Batch).where(Batch.user_id == user.id)
    if after is not None:
        cursor = runner.get_user_batch(session, user.id, after)
        query = query.where(or_(Batch.created_at < cursor.created_at,
                                and_(Batch.created_at == cursor.created_at, Batch.id < cursor.id)))
    rows = list(session.scalars(query.order_by(Batch.created_at.desc(), Batch.id.desc()).limit(limit + 1)))
    page = [public(session, b) for b in rows[:limit]]
    return BatchList(data=page, first_id=page[0].id if page else None, last_id=page[-1].id if page else None,
                     has_more=len(rows) > limit)


@router.get("/{batch_id}")
def retrieve_batch(batch_id: BatchId, session: SessionDep, user: CurrentUser) -> BatchPublic:
    """A batch's status, progress and, once it ends, its output and error files."""
    return public(session, runner.get_user_batch(session, user.id, batch_id))


@router.post("/{batch_id}/cancel")
def cancel_batch(batch_id: BatchId, session: SessionDep, user: CurrentUser) -> BatchPublic:
    """Stop a batch: requests not started are cancelled (and refunded), running ones finish; it then ends
    ``cancelled`` with the files of what was done."""
    batch = runner.cancel_batch(session, runner.get_user_batch(session, user.id, batch_id))
    session.commit()
    return public(session, batch)
