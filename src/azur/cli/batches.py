"""``azur batches list|show``: the batches users sent (``/v1/batches``), for operators."""

from __future__ import annotations

import time

import typer

from azur.cli.common import UserError, database_session, find_user

batches_app = typer.Typer(help="Batches of video requests (/v1/batches).", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(batches_app, name="batches")


@batches_app.command("list")
def list_(user: str | None = typer.Option(None, "--user", help="Only this user's batches."),
          limit: int = typer.Option(20, min=1, max=1000, help="How many, newest first.")) -> None:
    """List batches: id, user, status, completed/failed/total, created."""
    from sqlalchemy import select

    from azur.batches.runner import request_counts
    from azur.db.models import Batch, User

    with database_session() as (_, session):
        query = select(Batch, User.name).join(User, User.id == Batch.user_id)
        if user:
            query = query.where(Batch.user_id == find_user(session, user).id)
        rows = [(b.id, name, b.status, request_counts(session, b), b.created_at)
                for b, name in session.execute(query.order_by(Batch.created_at.desc()).limit(limit))]
    print(f"{'ID':<39} {'USER':<20} {'STATUS':<12} {'DONE/FAILED/TOTAL':<18} CREATED")
    for batch_id, name, status, counts, created in rows:
        done = f"{counts['completed']}/{counts['failed']}/{counts['total']}"
        print(f"{batch_id:<39} {name:<20} {status:<12} {done:<18} {_when(created)}")


@batches_app.command("show")
def show(batch_id: str = typer.Argument(..., help="The batch's id (batch_...).")) -> None:
    """A batch's status, times, files and what became of each of its lines."""
    from sqlalchemy import select

    from azur.batches.runner import request_counts
    from azur.db.models import Batch, BatchRequest, User, Video

    with database_session() as (_, session):
        batch = session.get(Batch, batch_id)
        if batch is None:
            raise UserError(f"No batch found with id '{batch_id}'.")
        owner = session.get(User, batch.user_id)
        counts = request_counts(session, batch)
        lines = list(session.execute(
            select(BatchRequest, Video.status).outerjoin(Video, Video.id == BatchRequest.video_id)
            .where(BatchRequest.batch_id == batch.id).order_by(BatchRequest.line)))
        print(f"batch {batch.id} of {owner.name if owner else '?'}: {batch.status}")
        print(f"  requests: {counts['completed']} completed, {counts['failed']} failed, {counts['total']} in all")
        for name in ("created_at", "in_progress_at", "finalizing_at", "completed_at", "failed_at", "expired_at",
                     "cancelling_at", "cancelled_at", "expires_at"):
            value = getattr(batch, name)
            if value is not None:
                print(f"  {name.removesuffix('_at') + ':':<12} {_when(value)}")
        print(f"  input file: {batch.input_file_id}; output file: {batch.output_file_id or '-'}; "
              f"error file: {batch.error_file_id or '-'}")
        for error in batch.errors or []:
            print(f"  error (line {error.get('line') or '-'}): {error.get('message')}")
        for request, video_status in lines:
            if request.error is not None:
                error = request.error.get("error", request.error)
                outcome = f"refused: {error.get('code')}: {error.get('message')}"
            elif request.video_id is None:
                outcome = "not submitted yet"
            else:
                outcome = f"{request.video_id} {video_status or 'deleted'}"
            print(f"  line {request.line:<5} {request.custom_id[:40]:<40} {outcome}")


def _when(timestamp: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(timestamp))
