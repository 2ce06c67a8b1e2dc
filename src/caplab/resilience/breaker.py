"""A circuit breaker: CLOSED, OPEN and HALF_OPEN, over a count- or time-based sliding window,
as resilience4j's CircuitBreaker (with a Hystrix preset in :mod:`caplab.resilience.config`).

The rules (resilience4j CircuitBreaker documentation; Azure's Circuit Breaker pattern):

- CLOSED: every call is permitted; each outcome (failed or not, slow or not) is recorded in the
  sliding window. Once at least ``minimum_number_of_calls`` are recorded, a failure rate or a
  slow-call rate *equal to or above* its threshold opens the breaker.
- OPEN: calls are refused at once (``CallNotPermitted``), without touching the dependency.
  After ``wait_duration_in_open_state_ms`` the next call (or, with automatic transition, a
  timer) moves the breaker to HALF_OPEN.
- HALF_OPEN: only ``permitted_number_of_calls_in_half_open_state`` trial calls pass; when all
  have completed, their failure (or slow) rate decides: at or above the threshold re-opens with
  a fresh wait, below closes with an empty window. (Hystrix and the Azure pattern re-open on the
  first failed trial: ``half_open_any_failure_opens``.)

Every permission carries the breaker's *generation*: an outcome that comes back after the
breaker changed state (a slow call permitted while CLOSED, answering in HALF_OPEN) is counted in
the totals but does not take part in the new state's decision.

Every transition is kept as ``Transition(time_ms, from_state, to_state, why)`` for views.
Time is the simulation's, in ms.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from ..errors import ConfigError
from .config import BreakerConfig

__all__ = ["CircuitBreaker", "Transition", "CLOSED", "OPEN", "HALF_OPEN", "STATES"]

CLOSED, OPEN, HALF_OPEN = "CLOSED", "OPEN", "HALF_OPEN"
STATES = (CLOSED, OPEN, HALF_OPEN)


@dataclass(frozen=True)
class Transition:
    """One state change: when, from, to, and why (in words and as numbers)."""

    time_ms: int
    from_state: str
    to_state: str
    why: str
    failure_rate: float = -1.0
    slow_call_rate: float = -1.0
    calls: int = 0

    def record(self) -> dict:
        return {"time_ms": self.time_ms, "from": self.from_state, "to": self.to_state,
                "why": self.why, "failure_rate": self.failure_rate,
                "slow_call_rate": self.slow_call_rate, "calls": self.calls}


class _CountWindow:
    """The last ``size`` outcomes (resilience4j's COUNT_BASED ring buffer)."""

    def __init__(self, size: int) -> None:
        self.outcomes: deque = deque()
        self.size = size
        self.calls = self.failures = self.slow = 0

    def add(self, now: int, failed: bool, slow: bool) -> None:
        if len(self.outcomes) == self.size:
            old_failed, old_slow = self.outcomes.popleft()
            self.calls -= 1
            self.failures -= old_failed
            self.slow -= old_slow
        self.outcomes.append((failed, slow))
        self.calls += 1
        self.failures += failed
        self.slow += slow

    def totals(self, now: int) -> tuple[int, int, int]:
        return self.calls, self.failures, self.slow


class _TimeWindow:
    """Outcomes of the last ``size`` buckets of ``bucket_ms`` (resilience4j's TIME_BASED
    window of epoch seconds; Hystrix's 10 rolling buckets): the oldest bucket leaves whole."""

    def __init__(self, size: int, bucket_ms: int) -> None:
        self.size = size
        self.bucket_ms = bucket_ms
        self.buckets: deque = deque()      # [index, calls, failures, slow]

    def _expire(self, now: int) -> int:
        index = now // self.bucket_ms
        while self.buckets and self.buckets[0][0] <= index - self.size:
            self.buckets.popleft()
        return index

    def add(self, now: int, failed: bool, slow: bool) -> None:
        index = self._expire(now)
        if not self.buckets or self.buckets[-1][0] != index:
            self.buckets.append([index, 0, 0, 0])
        bucket = self.buckets[-1]
        bucket[1] += 1
        bucket[2] += failed
        bucket[3] += slow

    def totals(self, now: int) -> tuple[int, int, int]:
        self._expire(now)
        return (sum(b[1] for b in self.buckets), sum(b[2] for b in self.buckets),
                sum(b[3] for b in self.buckets))


def _rate(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 3) if whole else -1.0


class CircuitBreaker:
    """A circuit breaker on simulated time.

    Args:
        config: a :class:`BreakerConfig` (resilience4j's defaults if omitted).
        sim: the :class:`~caplab.sim.Simulation` (its clock; its timers for automatic
            OPEN -> HALF_OPEN).
        name: a label (the dependency it guards).
        on_transition: called with each :class:`Transition`.

    Example:
        >>> from caplab.sim import Simulation
        >>> cb = CircuitBreaker(BreakerConfig(minimum_number_of_calls=2,
        ...                                   sliding_window_size=2), sim=Simulation(1))
        >>> for _ in range(2):
        ...     cb.on_result(cb.acquire(), duration_ms=5, failed=True)
        >>> cb.state, cb.acquire()
        ('OPEN', None)
    """

    def __init__(self, config: BreakerConfig | None = None, *, sim, name: str = "breaker",
                 on_transition=None) -> None:
        config = BreakerConfig() if config is None else config
        if not isinstance(config, BreakerConfig):
            raise ConfigError(f"config must be a BreakerConfig, got {config!r}")
        self.config = config
        self.sim = sim
        self.name = name
        self.on_transition = on_transition
        self.state = CLOSED
        self.generation = 0
        self.transitions: list[Transition] = []
        self.opened_ms: int | None = None
        self.not_permitted = 0
        self.permitted = 0
        self.permitted_by_state = {s: 0 for s in STATES}
        self._window = self._new_window()
        self._half_open_given = 0
        self._half_open_results: list[tuple[bool, bool]] = []

    def _new_window(self):
        c = self.config
        if c.sliding_window_type == "COUNT_BASED":
            return _CountWindow(c.sliding_window_size)
        return _TimeWindow(c.sliding_window_size, c.bucket_ms)

    # -- permission ----------------------------------------------------------------------
    def acquire(self) -> int | None:
        """Ask to make a call: a permit (the generation, pass it to :meth:`on_result`), or
        ``None`` when the breaker refuses (OPEN, or HALF_OPEN with its trials taken)."""
        if self.state == OPEN:
            wait = self.config.wait_duration_in_open_state_ms
            if self.sim.now - self.opened_ms < wait:
                self.not_permitted += 1
                return None
            self._become(HALF_OPEN, f"waited {wait} ms in OPEN")
        if self.state == HALF_OPEN:
            if self._half_open_given >= self.config.permitted_number_of_calls_in_half_open_state:
                self.not_permitted += 1
                return None
            self._half_open_given += 1
        self.permitted += 1
        self.permitted_by_state[self.state] += 1
        return self.generation

    # -- outcomes ------------------------------------------------------------------------
    def on_result(self, permit: int | None, *, duration_ms: int, failed: bool) -> None:
        """Record the outcome of a permitted call (``permit`` from :meth:`acquire`)."""
        if permit is None:
            raise ConfigError("on_result needs the permit acquire() returned, got None")
        # resilience4j CircuitBreakerMetrics: slow means strictly longer than the threshold
        # ("duration > slowCallDurationThreshold"), for successful and failed calls alike.
        slow = duration_ms > self.config.slow_call_duration_threshold_ms
        if permit != self.generation:
            return      # permitted in an earlier state: not part of this state's decision
        if self.state == CLOSED:
            self._window.add(self.sim.now, failed, slow)
            self._maybe_open()
        elif self.state == HALF_OPEN:
            self._record_trial(failed, slow)

    def _maybe_open(self) -> None:
        c = self.config
        calls, failures, slow = self._window.totals(self.sim.now)
        if calls < c.effective_minimum_calls:
            return      # resilience4j: below minimumNumberOfCalls no rate is computed
        fr, sr = _rate(failures, calls), _rate(slow, calls)
        if fr >= c.failure_rate_threshold:
            self._become(OPEN, f"failure rate {fr:g}% >= {c.failure_rate_threshold:g}% over "
                               f"{calls} calls", fr, sr, calls)
        elif sr >= c.slow_call_rate_threshold:
            self._become(OPEN, f"slow-call rate {sr:g}% >= {c.slow_call_rate_threshold:g}% "
                               f"over {calls} calls", fr, sr, calls)

    def _record_trial(self, failed: bool, slow: bool) -> None:
        c = self.config
        self._half_open_results.append((failed, slow))
        if failed and c.half_open_any_failure_opens:
            self._become(OPEN, "a trial call failed in HALF_OPEN", calls=1)
            return
        n = len(self._half_open_results)
        if n < c.permitted_number_of_calls_in_half_open_state:
            return
        fr = _rate(sum(f for f, _ in self._half_open_results), n)
        sr = _rate(sum(s for _, s in self._half_open_results), n)
        if fr >= c.failure_rate_threshold:
            self._become(OPEN, f"trial failure rate {fr:g}% >= {c.failure_rate_threshold:g}%",
                         fr, sr, n)
        elif sr >= c.slow_call_rate_threshold:
            self._become(OPEN, f"trial slow-call rate {sr:g}% >= "
                               f"{c.slow_call_rate_threshold:g}%", fr, sr, n)
        else:
            self._become(CLOSED, f"trial calls passed ({fr:g}% failed)", fr, sr, n)

    # -- transitions ---------------------------------------------------------------------
    def _become(self, state: str, why: str, fr: float = -1.0, sr: float = -1.0,
                calls: int = 0) -> None:
        t = Transition(self.sim.now, self.state, state, why, fr, sr, calls)
        self.state = state
        self.generation += 1
        self._half_open_given = 0
        self._half_open_results = []
        if state == OPEN:
            self.opened_ms = self.sim.now
            if self.config.automatic_transition_from_open_to_half_open_enabled:
                self.sim.schedule(self.config.wait_duration_in_open_state_ms,
                                  self._auto_half_open, self.generation, daemon=True)
        elif state == CLOSED:
            self._window = self._new_window()
        self.transitions.append(t)
        if self.on_transition is not None:
            self.on_transition(t)

    def reset(self, why: str = "reset") -> None:
        """Back to CLOSED with an empty window, forgetting permits in flight (resilience4j's
        ``reset()``; a caller whose process restarts starts with a fresh breaker too)."""
        if self.state == CLOSED:
            self.generation += 1        # outstanding permits no longer count
            self._window = self._new_window()
            return
        self._become(CLOSED, why)

    def _auto_half_open(self, generation: int) -> None:
        if self.state == OPEN and self.generation == generation:
            self._become(HALF_OPEN, f"waited {self.config.wait_duration_in_open_state_ms} ms "
                                    f"in OPEN (automatic transition)")

    # -- views ---------------------------------------------------------------------------
    def metrics(self) -> dict:
        """resilience4j's metrics: rates (-1 below the minimum), buffered, failed and slow
        calls, calls not permitted, and the state."""
        calls, failures, slow = self._window.totals(self.sim.now)
        enough = calls >= self.config.effective_minimum_calls
        return {"state": self.state, "buffered_calls": calls, "failed_calls": failures,
                "slow_calls": slow,
                "failure_rate": _rate(failures, calls) if enough else -1.0,
                "slow_call_rate": _rate(slow, calls) if enough else -1.0,
                "not_permitted_calls": self.not_permitted}

    def transition_records(self) -> list[dict]:
        """Every transition as a plain dict (time_ms, from, to, why, rates, calls)."""
        return [t.record() for t in self.transitions]

    def __repr__(self) -> str:
        return f"<CircuitBreaker {self.name} {self.state} ({self.config.name})>"
