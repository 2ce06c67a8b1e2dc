"""The simulation kernel: simulated time in integer milliseconds and an ordered event queue.

Events are ordered by ``(time, sequence)``: ties run first-in first-out, as in simpy's
``(time, priority, id)`` heap. There is no wall clock, no thread and no asyncio here: a run is a
pure function of the seed and the calls made on the simulation.
"""

from __future__ import annotations

import heapq
from typing import Any, Callable

from ..errors import ConfigError, SimulationError, check_non_negative_int
from .rng import Streams
from .trace import Trace

__all__ = ["Simulation", "Timer"]


class Timer:
    """A scheduled call. Keep it to :meth:`cancel` it; cancelling twice is harmless.

    A *daemon* timer (heartbeats, anti-entropy rounds, state sampling) does not keep the
    simulation busy: :meth:`Simulation.run_until_idle` stops when only daemon timers remain.
    """

    __slots__ = ("time_ms", "seq", "fn", "args", "cancelled", "daemon", "label", "_sim")

    def __init__(self, sim, time_ms, seq, fn, args, daemon, label):
        self._sim = sim
        self.time_ms = time_ms
        self.seq = seq
        self.fn = fn
        self.args = args
        self.cancelled = False
        self.daemon = daemon
        self.label = label

    @property
    def pending(self) -> bool:
        return not self.cancelled and self._sim is not None

    def cancel(self) -> None:
        if self.cancelled or self._sim is None:
            return
        self.cancelled = True
        if not self.daemon:
            self._sim._busy -= 1

    def __repr__(self) -> str:
        state = "cancelled" if self.cancelled else ("done" if self._sim is None else "pending")
        return f"Timer(at={self.time_ms}, label={self.label!r}, {state})"


class Simulation:
    """A deterministic discrete-event simulation.

    Args:
        seed: the one seed all randomness derives from (see :meth:`rng`).
        trace: record a trace of events (switch off for benchmarks).

    Example:
        >>> sim = Simulation(seed=1)
        >>> out = []
        >>> _ = sim.schedule(5, out.append, "b"); _ = sim.schedule(5, out.append, "c")
        >>> _ = sim.schedule(1, out.append, "a")
        >>> sim.run(); out, sim.now
        (['a', 'b', 'c'], 5)
    """

    def __init__(self, seed: int = 0, *, trace: bool = True) -> None:
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise ConfigError(f"seed must be an integer, got {seed!r}")
        self.seed = seed
        self._now = 0
        # Heap entries are (time_ms, seq, fn, args, timer) tuples: ordered by time, ties
        # first-in first-out, compared in C (a Python __lt__ would dominate the run time).
        # ``timer`` is None for internal, non-cancellable events (message deliveries).
        self._queue: list[tuple] = []
        self._seq = 0
        self._busy = 0           # pending non-daemon timers
        self.events_run = 0
        self.streams = Streams(seed)
        self.trace = Trace(enabled=trace)

    # -- time and randomness -------------------------------------------------------------
    @property
    def now(self) -> int:
        """Simulated time in milliseconds."""
        return self._now

    def rng(self, name: str):
        """The ``random.Random`` stream called ``name`` (created on first use from the seed)."""
        return self.streams.get(name)

    # -- scheduling ----------------------------------------------------------------------
    def schedule(self, delay_ms: int, fn: Callable[..., Any], *args: Any, daemon: bool = False,
                 label: str | None = None) -> Timer:
        """Call ``fn(*args)`` after ``delay_ms`` simulated milliseconds.

        Raises:
            ConfigError: ``delay_ms`` is negative or not a whole number.
        """
        if type(delay_ms) is not int or delay_ms < 0:
            delay_ms = check_non_negative_int("delay_ms", delay_ms)
        return self._push(self._now + delay_ms, fn, args, daemon, label)

    def schedule_at(self, time_ms: int, fn: Callable[..., Any], *args: Any,
                    daemon: bool = False, label: str | None = None) -> Timer:
        """Call ``fn(*args)`` at simulated time ``time_ms`` (not in the past)."""
        time_ms = check_non_negative_int("time_ms", time_ms)
        if time_ms < self._now:
            raise ConfigError(f"time_ms={time_ms} is in the past (now is {self._now})")
        return self._push(time_ms, fn, args, daemon, label)

    def _push(self, time_ms, fn, args, daemon, label) -> Timer:
        self._seq += 1
        timer = Timer(self, time_ms, self._seq, fn, args, daemon, label)
        heapq.heappush(self._queue, (time_ms, self._seq, fn, args, timer))
        if not daemon:
            self._busy += 1
        return timer

    def _push_event(self, time_ms: int, fn, args) -> None:
        """Fast path for internal events that are never cancelled (message deliveries)."""
        self._seq += 1
        heapq.heappush(self._queue, (time_ms, self._seq, fn, args, None))
        self._busy += 1

    # -- running -------------------------------------------------------------------------
    def step(self) -> bool:
        """Run exactly one pending event. Returns False if there was none."""
        queue = self._queue
        while queue:
            time_ms, _, fn, args, timer = heapq.heappop(queue)
            if timer is not None:
                timer._sim = None
                if timer.cancelled:
                    continue
                if not timer.daemon:
                    self._busy -= 1
            else:
                self._busy -= 1
            self._now = time_ms
            self.events_run += 1
            fn(*args)
            return True
        return False

    def _loop(self, until, max_events, stop) -> tuple[int, bool]:
        """The one event loop: run events in (time, seq) order up to time ``until`` (None: no
        bound), at most ``max_events`` (None: no bound), until ``stop()`` is true (None: never).

        Returns (events run, whether it ended because of ``until`` or an empty queue).
        """
        queue = self._queue
        ran = 0
        pop = heapq.heappop
        try:
            while queue:
                if stop is not None and stop():
                    return ran, False
                entry = queue[0]
                timer = entry[4]
                if timer is not None and timer.cancelled:
                    pop(queue)
                    timer._sim = None
                    continue
                if until is not None and entry[0] > until:
                    return ran, True
                if max_events is not None and ran >= max_events:
                    return ran, False
                pop(queue)
                self._now = entry[0]
                if timer is None:
                    self._busy -= 1
                else:
                    timer._sim = None
                    if not timer.daemon:
                        self._busy -= 1
                ran += 1
                entry[2](*entry[3])
            return ran, True
        finally:
            self.events_run += ran

    def run(self, until: int | None = None, *, max_events: int | None = None) -> int:
        """Run events until the queue is empty, or up to time ``until`` (inclusive).

        Afterwards ``now`` is ``until`` when given (time passes even with nothing to do).
        Returns the number of events run.
        """
        if until is not None:
            until = check_non_negative_int("until", until)
            if until < self._now:
                raise ConfigError(f"until={until} is in the past (now is {self._now})")
        if max_events is not None:
            max_events = check_non_negative_int("max_events", max_events)
        ran, reached = self._loop(until, max_events, None)
        if until is not None and reached:
            self._now = until
        return ran

    def run_for(self, ms: int) -> int:
        """Run for ``ms`` simulated milliseconds from now."""
        ms = check_non_negative_int("ms", ms)
        return self.run(until=self._now + ms)

    @property
    def idle(self) -> bool:
        """True when no non-daemon event is pending (only heartbeats and the like remain)."""
        return self._busy == 0

    def run_until_idle(self, *, max_events: int = 1_000_000) -> int:
        """Run until only daemon timers remain (or the queue is empty).

        Raises:
            SimulationError: more than ``max_events`` events ran without getting idle, which
                means something keeps scheduling non-daemon work forever.
        """
        ran = 0
        while self._busy > 0:
            if ran >= max_events:
                raise SimulationError(
                    f"run_until_idle ran {max_events} events and the simulation is still busy "
                    f"(now={self._now} ms): something reschedules work forever; "
                    f"use run_for(ms) or run(until=...) instead")
            if not self.step():
                break
            ran += 1
        return ran

    def run_until(self, predicate: Callable[[], bool], *, timeout_ms: int | None = None,
                  max_events: int = 10_000_000) -> bool:
        """Run events until ``predicate()`` is true; give up at ``now + timeout_ms``.

        Returns whether the predicate became true.

        Raises:
            SimulationError: ``max_events`` events ran and the predicate is still false.
        """
        deadline = None if timeout_ms is None else self._now + check_non_negative_int(
            "timeout_ms", timeout_ms)
        ran, reached = self._loop(deadline, max_events, predicate)
        if predicate():
            return True
        if not reached:
            raise SimulationError(f"run_until gave up after {max_events} events")
        if deadline is not None:
            self._now = max(self._now, deadline)
        return False

    @property
    def pending(self) -> int:
        """Number of pending (not cancelled) events."""
        return sum(1 for e in self._queue if e[4] is None or not e[4].cancelled)
