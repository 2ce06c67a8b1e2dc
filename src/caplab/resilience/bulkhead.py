"""A semaphore bulkhead: bounded concurrency per dependency, as resilience4j's
SemaphoreBulkhead (``maxConcurrentCalls`` 25, ``maxWaitDuration`` 0 by default).

At most ``max_concurrent_calls`` calls to one dependency are in flight; a call that finds them
all taken waits up to ``max_wait_ms`` (first come, first served) and is then refused with a
*definite* error ("bulkhead full": the dependency was never asked). A slow dependency can then
tie up only its own share of a caller's workers (Nygard, "Release It!": bulkheads keep one
failing part from sinking the ship).
"""

from __future__ import annotations

from collections import deque

from ..errors import ConfigError

__all__ = ["Bulkhead"]


class Bulkhead:
    """Bounded concurrency with a bounded wait.

    Args:
        max_concurrent_calls: calls in flight at once, >= 1.
        max_wait_ms: how long a call may wait for a slot, >= 0 (0: refuse at once).

    Raises:
        ConfigError: a bad value, named.

    Example:
        >>> from caplab.sim import Simulation
        >>> b = Bulkhead(max_concurrent_calls=1, max_wait_ms=0).bind(Simulation(1))
        >>> got = []
        >>> b.request(lambda: got.append("a"), got.append)
        >>> b.request(lambda: got.append("b"), got.append)
        >>> got
        ['a', 'bulkhead full: 1 of 1 calls in flight, no wait allowed (definite)']
    """

    def __init__(self, max_concurrent_calls: int = 25, max_wait_ms: int = 0) -> None:
        m = max_concurrent_calls
        if isinstance(m, bool) or not isinstance(m, int) or m < 1:
            raise ConfigError(f"max_concurrent_calls must be a whole number >= 1, got {m!r}")
        if isinstance(max_wait_ms, bool) or not isinstance(max_wait_ms, int) or max_wait_ms < 0:
            raise ConfigError(f"max_wait_ms must be a whole number of ms >= 0, got "
                              f"{max_wait_ms!r}")
        self.max_concurrent_calls = m
        self.max_wait_ms = max_wait_ms
        self.sim = None
        self.in_flight = 0
        self.max_in_flight = 0
        self.rejected = 0
        self.waiting: deque = deque()     # [grant, reject, timer]

    def bind(self, sim) -> "Bulkhead":
        """Use ``sim``'s clock and timers (done by the caller that owns the bulkhead)."""
        self.sim = sim
        return self

    def request(self, grant, reject) -> None:
        """Call ``grant()`` when a slot is free (now or within ``max_wait_ms``), else
        ``reject(reason)``. A granted caller must :meth:`release` its slot."""
        if self.in_flight < self.max_concurrent_calls and not self.waiting:
            self._take()
            grant()
        elif self.max_wait_ms == 0:
            self.rejected += 1
            reject(f"bulkhead full: {self.in_flight} of {self.max_concurrent_calls} calls in "
                   f"flight, no wait allowed (definite)")
        else:
            entry = [grant, reject, None]
            entry[2] = self.sim.schedule(self.max_wait_ms, self._give_up, entry)
            self.waiting.append(entry)

    def _take(self) -> None:
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def _give_up(self, entry) -> None:
        if entry in self.waiting:
            self.waiting.remove(entry)
            self.rejected += 1
            entry[1](f"bulkhead full: waited {self.max_wait_ms} ms for one of "
                     f"{self.max_concurrent_calls} slots (definite)")

    def release(self) -> None:
        """Free a slot; the longest waiter, if any, takes it."""
        if self.in_flight <= 0:
            raise ConfigError("release() without a granted call")
        self.in_flight -= 1
        if self.waiting:
            grant, _, timer = self.waiting.popleft()
            timer.cancel()
            self._take()
            grant()

    def clear(self) -> None:
        """Forget every slot and waiter (the owner crashed)."""
        for _, _, timer in self.waiting:
            timer.cancel()
        self.waiting.clear()
        self.in_flight = 0

    def __repr__(self) -> str:
        return (f"<Bulkhead {self.in_flight}/{self.max_concurrent_calls} in flight, "
                f"{len(self.waiting)} waiting>")
