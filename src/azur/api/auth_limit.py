"""Slowing down key guessing: wrong API keys are counted per client address.

After ``server.auth_failures_allowed`` wrong keys from one address within
``server.auth_failure_window_seconds``, that address is answered 429 (``rate_limit_exceeded``, with
``Retry-After``) until the oldest of those failures leaves the window, even when it then sends a right key:
a guesser must not learn that a guess was right. A successful authentication does not count, nor does a
request that sends no key at all (it guesses nothing). While an address is held back, its requests are not
checked and add no failures, so it gets ``auth_failures_allowed`` guesses per window at most.

The counts live in the API process (one ``azur serve``); several API processes each count on their own.
The address is the one uvicorn reports: the peer, or ``X-Forwarded-For`` from a proxy it trusts (by
default only 127.0.0.1).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

# Addresses remembered at most: past this, those with the fewest recent failures are forgotten first, so
# that a flood of addresses cannot grow the table without bound, nor free a guesser who is held back.
MAX_ADDRESSES = 10_000


class FailedAuthLimiter:
    """Wrong-key counts per address over a sliding window."""

    def __init__(self, allowed: int, window_seconds: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.allowed = allowed
        self.window = window_seconds
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, address: str) -> int | None:
        """Whole seconds ``address`` must wait before it may authenticate again, or None when it may now."""
        if self.allowed <= 0:
            return None
        with self._lock:
            failures = self._recent(address)
            if failures is None or len(failures) < self.allowed:
                return None
            wait = failures[0] + self.window - self._clock()
        return max(1, int(wait + 0.999))

    def record_failure(self, address: str) -> None:
        if self.allowed <= 0:
            return
        with self._lock:
            failures = self._recent(address)
            if failures is None:
                if len(self._failures) >= MAX_ADDRESSES:
                    self._forget_quietest()
                failures = self._failures[address] = deque(maxlen=self.allowed)
            failures.append(self._clock())

    def _recent(self, address: str) -> deque[float] | None:
        failures = self._failures.get(address)
        if failures is None:
            return None
        horizon = self._clock() - self.window
        while failures and failures[0] <= horizon:
            failures.popleft()
        if not failures:
            del self._failures[address]
            return None
        return failures

    def _forget_quietest(self) -> None:
        horizon = self._clock() - self.window
        for address in [a for a, f in self._failures.items() if not f or f[-1] <= horizon]:
            del self._failures[address]
        while len(self._failures) >= MAX_ADDRESSES:
            quietest = min(self._failures, key=lambda a: (len(self._failures[a]), self._failures[a][-1]))
            del self._failures[quietest]
