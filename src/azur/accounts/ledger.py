"""The usage ledger: quota reservations, charges, refunds and credit grants, one row each.

What a user has used this month is always the sum of their rows for the month, never a counter. A
reservation is checked and written atomically with the job it pays for (:func:`reserve` runs in the
caller's transaction, which also inserts the video row), so N simultaneous requests on a fresh month
accept exactly as many videos as the plan allows, on SQLite and on Postgres alike.

Every reservation is settled at most once, by construction: the database refuses a second charge or
refund of a video (see :func:`_settle`), and the callers only settle after a conditional state change that
matched a row (``DELETE ... WHERE status = 'queued'``, a worker's write under its lease).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import Double, String, func, literal, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from azur.accounts.plans import Period, check_request, cost_credits, get_plan, period_of
from azur.config import PlanSettings, Settings
from azur.db.models import LedgerKind, UsageEntry, User, Video
from azur.engine.request import VideoRequest

# Over-quota jobs of a "relaxed" plan wait behind every paid job.
RELAXED_PRIORITY = -1000


class QuotaExceeded(Exception):
    """The month's videos or credits are used up (HTTP 429, code ``quota_exceeded``)."""

    def __init__(self, message: str, resets_at: datetime) -> None:
        super().__init__(message)
        self.message = message
        self.resets_at = resets_at


@dataclass(frozen=True)
class Usage:
    plan_id: str
    plan: PlanSettings
    period: Period
    videos_used: int
    credits_used: int
    credits_granted: int

    @property
    def videos_remaining(self) -> int:
        return max(0, self.plan.videos_per_month - self.videos_used)

    @property
    def credits_limit(self) -> int:
        return self.plan.credits_per_month + self.credits_granted

    @property
    def credits_remaining(self) -> int:
        return max(0, self.credits_limit - self.credits_used)

    def to_dict(self) -> dict:
        """The body of ``GET /v1/usage``."""
        p = self.plan
        return {
            "object": "usage",
            "plan": {
                "id": self.plan_id,
                "name": p.name,
                "videos_per_month": p.videos_per_month,
                "max_seconds": p.max_seconds,
                "max_resolution": p.max_resolution,
                "concurrent_jobs": p.concurrent_jobs,
                "priority": p.priority,
                "credits_per_month": p.credits_per_month,
                "relaxed": p.relaxed,
            },
            "period": {
                "month": self.period.key,
                "start": int(self.period.start.timestamp()),
                "end": int(self.period.end.timestamp()),
            },
            "videos": {"used": self.videos_used, "limit": p.videos_per_month, "remaining": self.videos_remaining},
            "credits": {"used": self.credits_used, "limit": self.credits_limit, "remaining": self.credits_remaining},
        }


def _now(now: float | None) -> datetime:
    return datetime.fromtimestamp(time.time() if now is None else now, tz=timezone.utc)


def usage(session: Session, settings: Settings, user: User, *, now: float | None = None) -> Usage:
    """What ``user`` has used in the billing month containing ``now``."""
    period = period_of(settings, _now(now))
    spent = session.execute(
        select(func.coalesce(func.sum(UsageEntry.videos), 0), func.coalesce(func.sum(UsageEntry.credits), 0))
        .where(UsageEntry.user_id == user.id, UsageEntry.period == period.key, UsageEntry.kind != LedgerKind.grant.value)
    ).one()
    granted = session.scalar(
        select(func.coalesce(func.sum(UsageEntry.credits), 0))
        .where(UsageEntry.user_id == user.id, UsageEntry.period == period.key, UsageEntry.kind == LedgerKind.grant.value)
    )
    return Usage(user.plan, get_plan(settings, user.plan), period, int(spent[0]), int(spent[1]), -int(granted or 0))


def _lock_user(session: Session, user: User) -> None:
    """Serialise reservations of one user until the transaction ends.

    A write is the one lock both databases share: Postgres locks the user's row, SQLite takes its single
    write lock (the transaction begins with this statement, so no older snapshot can go stale under it).
    """
    session.execute(update(User).where(User.id == user.id).values(plan=User.plan))


def reserve(session: Session, settings: Settings, user: User, video: Video, request: VideoRequest,
            *, now: float | None = None) -> UsageEntry:
    """Check ``request`` against the user's plan and quota and reserve it for ``video``, in the caller's
    transaction (commit it together with the video row).

    Sets what the plan decides for the job: its priority, running limit, cost and visible mark. Raises :class:`~azur.accounts.plans.PlanLimit`
    for an option beyond the plan and :class:`QuotaExceeded` for a used-up month (unless the plan is
    relaxed: then the job is accepted free, at the lowest priority).
    """
    plan = get_plan(settings, user.plan)
    check_request(settings, plan, request)
    cost = cost_credits(settings, request.seconds, request.size)
    _lock_user(session, user)
    current = usage(session, settings, user, now=now)
    short = None
    if current.videos_used + 1 > plan.videos_per_month:
        short = f"{plan.name} includes {plan.videos_per_month} videos a month, all used"
    elif plan.credits_per_month and current.credits_used + cost > current.credits_limit:
        short = (f"this video costs {cost} credits and {current.credits_remaining} of "
                 f"{current.credits_limit} are left this month")
    video.running_limit = plan.concurrent_jobs
    video.priority = plan.priority
    video.visible_mark = settings.provenance.visible_mark or plan.visible_mark
    if short is not None and not plan.relaxed:
        resets = current.period.end
        raise QuotaExceeded(f"Quota exceeded: {short}. It resets on {resets:%Y-%m-%d %H:%M} UTC.", resets)
    relaxed = short is not None
    if relaxed:
        video.priority = RELAXED_PRIORITY
        cost = 0
    video.cost_credits = cost
    entry = UsageEntry(
        user_id=user.id, video_id=video.id, kind=LedgerKind.reserve.value, period=current.period.key,
        videos=0 if relaxed else 1, credits=cost, plan=user.plan,
        note="relaxed: over quota, queued at the lowest priority" if relaxed else None,
        created_at=time.time() if now is None else now,
    )
    session.add(entry)
    return entry


def _settle(session: Session, video_id: str, kind: LedgerKind, *, note: str | None) -> bool:
    """Insert the one settlement of ``video_id``'s reservation, copied from the reservation in the same
    statement; True when this call wrote it.

    No check-then-insert: the unique index ``ux_usage_settle_once`` lets only one charge-or-refund exist
    per video, and ON CONFLICT DO NOTHING turns every later attempt (a parallel DELETE, a worker that lost
    its lease) into a no-op instead of an error, on SQLite and Postgres alike.
    """
    sign = -1 if kind is LedgerKind.refund else 0  # a charge has no amounts: the reservation already counts
    reservation = select(
        UsageEntry.user_id, UsageEntry.video_id, literal(kind.value, String), UsageEntry.period,
        UsageEntry.videos * sign, UsageEntry.credits * sign, UsageEntry.plan,
        literal(note, String), literal(time.time(), Double),
    ).where(UsageEntry.video_id == video_id, UsageEntry.kind == LedgerKind.reserve.value)
    columns = ["user_id", "video_id", "kind", "period", "videos", "credits", "plan", "note", "created_at"]
    dialect_insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = dialect_insert(UsageEntry).from_select(columns, reservation).on_conflict_do_nothing()
    # RETURNING, not rowcount: Postgres reports -1 rows for an INSERT ... SELECT run through the ORM.
    return session.execute(statement.returning(UsageEntry.id)).first() is not None


def refund(session: Session, video_id: str, *, reason: str) -> bool:
    """Give back a video's reservation, in the caller's transaction. False when there is nothing to give
    back: no reservation, or the video was already refunded or charged."""
    return _settle(session, video_id, LedgerKind.refund, note=reason[:200])


def charge(session: Session, video_id: str) -> bool:
    """Make a video's reservation final, in the caller's transaction. False when there is no reservation or
    the video was already charged or refunded."""
    return _settle(session, video_id, LedgerKind.charge, note=None)


def grant_credits(session: Session, settings: Settings, user: User, credits: int, *, note: str | None = None,
                  now: float | None = None) -> UsageEntry:
    """Give ``user`` extra credits for the current month."""
    if credits <= 0:
        raise ValueError(f"credits to grant must be positive, got {credits}")
    entry = UsageEntry(user_id=user.id, kind=LedgerKind.grant.value, period=period_of(settings, _now(now)).key,
                       videos=0, credits=-credits, plan=user.plan, note=note, created_at=time.time() if now is None else now)
    session.add(entry)
    return entry
