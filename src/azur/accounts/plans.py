"""Plans: what each plan allows, what a video costs, and which month a moment belongs to.

Pure rules, no database: the quota ledger (``accounts/ledger.py``) applies them atomically.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from azur.config import PlanSettings, Settings
from azur.engine.request import VideoRequest, resolution_of


class UnknownPlan(LookupError):
    def __init__(self, plan: str, known: list[str]) -> None:
        super().__init__(f"Unknown plan '{plan}'. Plans: {', '.join(known)}.")
        self.plan = plan


class PlanLimit(ValueError):
    """A request asks for more than the user's plan allows (HTTP 400, code ``plan_limit``)."""

    def __init__(self, param: str, message: str) -> None:
        super().__init__(message)
        self.param = param
        self.message = message


def get_plan(settings: Settings, plan_id: str) -> PlanSettings:
    try:
        return settings.plans[plan_id]
    except KeyError:
        raise UnknownPlan(plan_id, sorted(settings.plans)) from None


def _upgrade_for(settings: Settings, current: PlanSettings, fits) -> PlanSettings | None:  # noqa: ANN001
    """The cheapest-looking plan (fewest videos a month) above ``current`` that ``fits``."""
    better = [p for p in settings.plans.values() if p is not current and fits(p)]
    return min(better, key=lambda p: (p.videos_per_month, p.max_seconds, p.max_resolution), default=None)


def check_request(settings: Settings, plan: PlanSettings, request: VideoRequest) -> None:
    """Raise :class:`PlanLimit` naming the limit when ``request`` is beyond ``plan``."""
    if request.seconds > plan.max_seconds:
        upgrade = _upgrade_for(settings, plan, lambda p: p.max_seconds >= request.seconds)
        hint = f"; upgrade to {upgrade.name} for {upgrade.max_seconds} s" if upgrade else ""
        raise PlanLimit("seconds", f"{plan.name} allows up to {plan.max_seconds} s{hint}.")
    resolution = resolution_of(request.size)
    if resolution > plan.max_resolution:
        upgrade = _upgrade_for(settings, plan, lambda p: p.max_resolution >= resolution)
        hint = f"; upgrade to {upgrade.name} for {upgrade.max_resolution}p" if upgrade else ""
        raise PlanLimit(
            "size",
            f"{plan.name} allows up to {plan.max_resolution}p (asked {request.width}x{request.height}){hint}.",
        )


def cost_credits(settings: Settings, seconds: float, size: tuple[int, int]) -> int:
    """Credits a video costs: its seconds times the per-second price of its resolution, rounded up."""
    resolution = resolution_of(size)
    rates = settings.credits.per_second
    # The price of the smallest listed resolution at or above this one (the largest if none is).
    eligible = [r for r in sorted(rates) if r >= resolution]
    rate = rates[eligible[0]] if eligible else rates[max(rates)]
    return math.ceil(seconds * rate)


@dataclass(frozen=True)
class Period:
    """A calendar month in the billing time zone, as UTC datetimes [start, end)."""

    key: str  # "2026-11"
    start: datetime
    end: datetime


def billing_zone(settings: Settings) -> ZoneInfo:
    try:
        return ZoneInfo(settings.billing_timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"billing_timezone '{settings.billing_timezone}' is not a known time zone") from None


def period_of(settings: Settings, moment: datetime) -> Period:
    """The billing month containing ``moment`` (an aware datetime)."""
    zone = billing_zone(settings)
    local = moment.astimezone(zone)
    start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    end = start.replace(year=start.year + 1, month=1) if start.month == 12 else start.replace(month=start.month + 1)
    return Period(key=f"{start.year:04d}-{start.month:02d}", start=start.astimezone(timezone.utc), end=end.astimezone(timezone.utc))
