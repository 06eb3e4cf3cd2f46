"""An in-flight limiter whose limit can change while messages wait (``asyncio.Semaphore`` cannot)."""

from __future__ import annotations

import asyncio
from collections import deque

from .errors import BackpressureTimeoutError


class InflightLimiter:
    """Bounds concurrent handlers. ``limit=None`` means unlimited; waiting is FIFO.

    ``max_wait_s=None`` waits without bound (an application's declared capacity); otherwise a waiter
    gives up after ``max_wait_s`` with :class:`BackpressureTimeoutError`.
    """

    __slots__ = ("limit", "max_wait_s", "inflight", "waiters")  # (read from C by the gate: see _speedups.c)

    def __init__(self, limit: int | None = None, max_wait_s: float | None = None) -> None:
        self.limit = limit
        self.max_wait_s = max_wait_s
        self.inflight = 0
        self.waiters: deque[asyncio.Future[None]] = deque()
        """Pending acquirers, FIFO (read-only outside this class; may hold cancelled ones until woken)."""

    @property
    def waiting(self) -> int:
        if not self.waiters:  # the usual case, checked on every message: no generator, no sum
            return 0
        return sum(1 for w in self.waiters if not w.done())

    def set_limit(self, limit: int | None, max_wait_s: float | None) -> None:
        self.limit = limit
        self.max_wait_s = max_wait_s
        self._wake()

    def _wake(self) -> None:
        while self.waiters and (self.limit is None or self.inflight < self.limit):
            waiter = self.waiters.popleft()
            if not waiter.done():
                self.inflight += 1
                waiter.set_result(None)

    async def acquire(self, what: str) -> None:
        if (self.limit is None or self.inflight < self.limit) and not self.waiters:
            self.inflight += 1
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.waiters.append(waiter)
        try:
            if self.max_wait_s is None:
                await waiter
            else:
                await asyncio.wait_for(asyncio.shield(waiter), self.max_wait_s)
        except (asyncio.TimeoutError, asyncio.CancelledError) as exc:
            if waiter.done() and not waiter.cancelled():
                # The slot was granted just as we gave up: hand it back.
                self.release()
            else:
                waiter.cancel()
            if isinstance(exc, asyncio.CancelledError):
                raise
            raise BackpressureTimeoutError(
                f"backpressure timeout: {what} waited {self.max_wait_s}s for an in-flight slot "
                f"(max_inflight={self.limit}); retry later"
            ) from None

    def release(self) -> None:
        self.inflight -= 1
        self._wake()

    def fail_waiters(self) -> None:
        """Wake every waiter now (used at shutdown so nothing waits for a slot forever)."""
        limit, self.limit = self.limit, None
        self._wake()
        self.limit = limit
