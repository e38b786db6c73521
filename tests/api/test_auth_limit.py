"""The failed-authentication counter on its own, with a clock the test moves (the server tests in
test_surface.py show the 429 end to end)."""

from __future__ import annotations

from azur.api import auth_limit
from azur.api.auth_limit import FailedAuthLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_window_slides_one_failure_at_a_time():
    clock = Clock()
    limiter = FailedAuthLimiter(3, 60, clock=clock)
    for step in range(3):
        assert limiter.retry_after("a") is None
        limiter.record_failure("a")
        clock.now += 10
    assert limiter.retry_after("a") == 30  # the first failure leaves the window 60 s after it happened
    clock.now += 30
    assert limiter.retry_after("a") is None  # one guess more, then held back again
    limiter.record_failure("a")
    assert limiter.retry_after("a") == 10


def test_zero_turns_the_limit_off():
    limiter = FailedAuthLimiter(0, 60)
    for _ in range(100):
        limiter.record_failure("a")
    assert limiter.retry_after("a") is None


def test_a_flood_of_addresses_neither_grows_the_table_nor_frees_a_held_guesser(monkeypatch):
    monkeypatch.setattr(auth_limit, "MAX_ADDRESSES", 100)
    clock = Clock()
    limiter = FailedAuthLimiter(2, 60, clock=clock)
    limiter.record_failure("attacker")
    limiter.record_failure("attacker")
    for n in range(1000):
        clock.now += 0.001
        limiter.record_failure(f"10.0.{n // 256}.{n % 256}")
    assert len(limiter._failures) <= 100
    assert limiter.retry_after("attacker") is not None
