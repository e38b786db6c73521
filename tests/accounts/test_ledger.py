"""Plans and the usage ledger on a real database: limits, costs, refunds, month rollover, claim order."""

from __future__ import annotations

import time
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from azur.accounts import ledger
from azur.accounts.plans import PlanLimit, cost_credits, period_of
from azur.accounts.users import create_user
from azur.config import QueueSettings, Settings
from azur.db.models import UsageEntry, Video
from azur.engine.request import make_request
from azur.jobs.queue import DatabaseQueue, claim_next


def ts(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def accept(session, settings, user, *, seconds=4, size="854x480", now=None) -> Video:
    """What the API does for a create: a video row plus its reservation, committed together."""
    from azur.api.video_inputs import Options, new_video

    request = make_request("a red ball moving right", seconds=seconds, size=size, seed=1)
    video = new_video(user.id, Options(request))
    ledger.reserve(session, settings, user, video, request, now=now)
    session.add(video)
    session.commit()
    return video


def test_plan_limits_name_the_limit_and_the_upgrade(db):
    settings = Settings()
    with db.session() as session:
        user = create_user(session, "pat", plan="plus")
        with pytest.raises(PlanLimit, match=r"Plus allows up to 10 s; upgrade to Pro for 20 s") as too_long:
            accept(session, settings, user, seconds=12)
        assert too_long.value.param == "seconds"
        with pytest.raises(PlanLimit, match=r"Plus allows up to 720p .*upgrade to Pro for 1080p") as too_big:
            accept(session, settings, user, size="1920x1080")
        assert too_big.value.param == "size"
        session.rollback()
        assert session.scalar(select(UsageEntry.id)) is None  # refused requests reserve nothing


def test_quota_month_rollover_and_reset_time_in_the_billing_zone(db):
    settings = Settings(plans={"tiny": {"name": "Tiny", "videos_per_month": 2, "max_seconds": 5,
                                        "max_resolution": 480}}, billing_timezone="Europe/Paris")
    late_november = ts("2026-11-30T23:30:00+00:00")  # already December 1st in Paris (UTC+1)
    mid_november = ts("2026-11-15T12:00:00+00:00")
    with db.session() as session:
        user = create_user(session, "tim", plan="tiny")
        accept(session, settings, user, now=mid_november)
        accept(session, settings, user, now=mid_november)
        with pytest.raises(ledger.QuotaExceeded) as refused:
            accept(session, settings, user, now=mid_november)
        session.rollback()
        # Midnight in Paris, not in UTC.
        assert refused.value.resets_at == datetime(2026, 11, 30, 23, 0, tzinfo=timezone.utc)
        assert "Tiny includes 2 videos a month" in refused.value.message
        # A new month in the billing zone starts from zero.
        accept(session, settings, user, now=late_november)
        december = ledger.usage(session, settings, user, now=late_november)
        assert december.period.key == "2026-12" and december.videos_used == 1
        november = ledger.usage(session, settings, user, now=mid_november)
        assert november.videos_used == 2 and november.videos_remaining == 0


def test_credits_cost_from_seconds_and_resolution_and_grants_add_credits(db):
    settings = Settings()
    assert cost_credits(settings, 4, (854, 480)) == 4
    assert cost_credits(settings, 10, (1280, 720)) == 20
    assert cost_credits(settings, 2.5, (1080, 1920)) == 10
    assert cost_credits(settings, 3, (1024, 1792)) == 9
    with db.session() as session:
        user = create_user(session, "cat", plan="free")  # 50 credits, 5 s at 480p = 5 credits
        for _ in range(3):
            accept(session, settings, user, seconds=5)
        used = ledger.usage(session, settings, user)
        assert (used.videos_used, used.credits_used, used.credits_remaining) == (3, 15, 35)
        ledger.grant_credits(session, settings, user, 20, note="goodwill")
        session.commit()
        assert ledger.usage(session, settings, user).credits_remaining == 55


def test_refund_once_for_failed_or_deleted_jobs_and_never_after_a_charge(db):
    settings = Settings()
    with db.session() as session:
        user = create_user(session, "rae", plan="plus")
        failed, done = accept(session, settings, user), accept(session, settings, user)
        assert ledger.usage(session, settings, user).videos_used == 2
        assert ledger.refund(session, failed.id, reason="failed: test")
        assert not ledger.refund(session, failed.id, reason="again")  # never twice
        assert ledger.charge(session, done.id)
        assert not ledger.refund(session, done.id, reason="too late")  # a made video stays charged
        session.commit()
        used = ledger.usage(session, settings, user)
        assert (used.videos_used, used.credits_used) == (1, 4)
        kinds = session.scalars(select(UsageEntry.kind).order_by(UsageEntry.id)).all()
        assert kinds == ["reserve", "reserve", "refund", "charge"]


def test_failed_job_is_refunded_by_the_queue(db):
    settings = Settings()
    queue = DatabaseQueue(db, QueueSettings(max_attempts=1))
    with db.session() as session:
        user = create_user(session, "fay", plan="plus")
        accept(session, settings, user)
        uid = user.id
    job = queue.claim("w1")
    assert queue.fail(job, code="generation_failed", message="boom", retry=True) == "failed"
    with db.session() as session:
        from azur.db.models import User

        assert ledger.usage(session, settings, session.get(User, uid)).videos_used == 0


def test_relaxed_plan_queues_over_quota_jobs_last_instead_of_refusing(db):
    settings = Settings(plans={"lax": {"name": "Lax", "videos_per_month": 1, "max_seconds": 5, "max_resolution": 480,
                                       "priority": 5, "relaxed": True}})
    with db.session() as session:
        user = create_user(session, "lex", plan="lax")
        normal = accept(session, settings, user)
        extra = accept(session, settings, user)
        assert normal.priority == 5 and extra.priority == ledger.RELAXED_PRIORITY and extra.cost_credits == 0
        assert ledger.usage(session, settings, user).videos_used == 1


def test_claims_start_higher_plans_first_and_respect_running_limits(db):
    settings = Settings()
    with db.session() as session:
        plus = create_user(session, "plus-user", plan="plus")  # 2 at once, priority 10
        pro = create_user(session, "pro-user", plan="pro")  # 4 at once, priority 20
        free = create_user(session, "free-user", plan="free")  # 1 at once, priority 0
        plus_jobs = [accept(session, settings, plus).id for _ in range(3)]
        free_jobs = [accept(session, settings, free).id for _ in range(2)]
        pro_jobs = [accept(session, settings, pro).id for _ in range(2)]
    order = []
    now = time.time()
    for i in range(7):
        with db.session() as session:
            job = claim_next(session, f"w{i}", now=now, lease_seconds=60)
        if job is None:
            break
        order.append(job.video_id)
    # Pro first, then Plus up to its 2 running jobs, then one Free job; the rest wait for a slot.
    assert order == pro_jobs + plus_jobs[:2] + free_jobs[:1]
