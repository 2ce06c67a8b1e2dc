"""The client-side call pipeline: retry with backoff around a circuit breaker, a bulkhead and a
per-attempt timeout, with a fallback, for any request/reply dependency on the world.

The order is resilience4j's (Spring Boot aspect order): ``Retry(CircuitBreaker(TimeLimiter(
Bulkhead(call))))``. Each attempt asks the breaker first (OPEN: refused at once, the dependency
is never asked, and retrying stops, as Azure's Retry pattern advises when the breaker reports a
non-transient fault), then the bulkhead (full: a definite failure the breaker records, as
resilience4j and Hystrix both count rejections), then sends the call with a timeout. A timeout
is an *unknown* outcome: the dependency may still do the work. A failed attempt is retried
after the backoff's next sleep until ``max_attempts``.

Every call is an operation ``call`` on key ``<dependency>`` in ``world.history``: ``ok``;
``fail`` when no attempt can have happened (refused, rejected, or answered with an error); or
``info`` when an attempt timed out. With a fallback the caller gets the fallback's value, and
the history keeps the real outcome, with ``fallback`` in its error. ``caller.records`` has one
plain dict per call (attempts, latency, breaker state) for a monitoring view.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import ConfigError
from .backoff import Retry
from .breaker import CircuitBreaker
from .bulkhead import Bulkhead
from .config import BreakerConfig
from .rpc import RpcEndpoint

__all__ = ["ResilientCaller", "CallResult", "CallHandle"]


@dataclass(frozen=True)
class CallResult:
    """What the caller got: ``ok`` (a real answer or the fallback's), the history outcome, the
    value, the error, attempts made, latency, whether the fallback answered, breaker state."""

    id: int
    ok: bool
    outcome: str
    value: Any
    error: str | None
    attempts: int
    latency_ms: int
    fallback: bool
    breaker_state: str | None


class CallHandle:
    """A call in flight; ``result`` is set when it completes."""

    __slots__ = ("operation", "payload", "attempts", "sleeps", "definite", "error", "result",
                 "on_done", "inflight")

    def __init__(self, operation, payload, sleeps, on_done) -> None:
        self.operation = operation
        self.payload = payload
        self.attempts = 0
        self.sleeps = sleeps
        self.definite = True
        self.error: str | None = None
        self.result: CallResult | None = None
        self.on_done = on_done
        self.inflight = None      # (call_id, timer, permit, started_ms) of the attempt

    @property
    def done(self) -> bool:
        return self.result is not None


def _check_timeout(timeout_ms) -> int:
    if isinstance(timeout_ms, bool) or not isinstance(timeout_ms, int) or timeout_ms < 1:
        raise ConfigError(f"timeout_ms must be a whole number of ms >= 1, got {timeout_ms!r}")
    return timeout_ms


class ResilientCaller:
    """Calls one dependency for ``owner`` through timeout, retries, breaker and bulkhead.

    Args:
        owner: the :class:`~caplab.resilience.rpc.RpcEndpoint` that sends (on the world).
        dependency: the name of the endpoint called.
        world: the world (its history, clock and random streams).
        timeout_ms: per attempt (Hystrix's default is 1000).
        retry: a :class:`Retry` (default: one attempt, no retries).
        breaker: a :class:`BreakerConfig` (a breaker is built) or ``None``.
        bulkhead: a :class:`Bulkhead` or ``None``.
        fallback: ``fallback(error) -> value`` used when the call fails, or ``None``.
        record_history: record each call in ``world.history``.

    Raises:
        ConfigError: a bad policy, named; nothing is registered on the owner.

    Example:
        >>> from caplab.resilience import Dependency, add_caller
        >>> from caplab.world import World
        >>> w = World(seed=1); w.add_node(Dependency("db", latency=10))
        >>> c = add_caller(w, "app", "db", timeout_ms=100)
        >>> c.wait(c.call("q")).ok
        True
    """

    def __init__(self, owner: RpcEndpoint, dependency: str, *, world, timeout_ms: int = 1000,
                 retry: Retry | None = None, breaker: BreakerConfig | None = None,
                 bulkhead: Bulkhead | None = None, fallback=None,
                 record_history: bool = True) -> None:
        if not isinstance(owner, RpcEndpoint):
            raise ConfigError(f"owner must be an RpcEndpoint, got {owner!r}")
        timeout_ms = _check_timeout(timeout_ms)
        retry = Retry() if retry is None else retry
        if not isinstance(retry, Retry):
            raise ConfigError(f"retry must be a Retry, got {retry!r}")
        if breaker is not None and not isinstance(breaker, BreakerConfig):
            raise ConfigError(f"breaker must be a BreakerConfig or None, got {breaker!r}")
        if bulkhead is not None and not isinstance(bulkhead, Bulkhead):
            raise ConfigError(f"bulkhead must be a Bulkhead or None, got {bulkhead!r}")
        if fallback is not None and not callable(fallback):
            raise ConfigError(f"fallback must be a function of the error, got {fallback!r}")
        self.owner, self.dependency, self.world = owner, dependency, world
        self.timeout_ms, self.retry, self.fallback = timeout_ms, retry, fallback
        self.record_history = record_history
        self.breaker = None if breaker is None else CircuitBreaker(
            breaker, sim=world.sim, name=f"{owner.name}->{dependency}",
            on_transition=self._on_transition)
        self.bulkhead = None if bulkhead is None else bulkhead.bind(world.sim)
        self.records: list[dict] = []
        self.pending: dict[int, CallHandle] = {}
        self.dependency_calls = 0          # attempts that reached the network
        self._ids = 0
        self._rng = world.sim.rng(f"{owner.name}.retry.{dependency}")
        self._options = {"timeout_ms": timeout_ms, "max_attempts": retry.max_attempts,
                         "backoff": retry.backoff.jitter,
                         "breaker": None if breaker is None else breaker.name,
                         "bulkhead": None if bulkhead is None else bulkhead.max_concurrent_calls,
                         "fallback": fallback is not None}
        owner.callers.append(self)

    # -- the public face ---------------------------------------------------------------------
    def call(self, payload=None, *, on_done=None) -> CallHandle:
        """Start a call; ``on_done(result)`` is called when it completes.

        Returns:
            the :class:`CallHandle` (``handle.result`` once done).
        """
        if not self.owner.up:
            raise ConfigError(f"{self.owner.name!r} is down; restart it first")
        now = self.world.sim.now
        if self.record_history:
            op = self.world.history.invoke(self.owner.name, "call", self.dependency, payload,
                                           now, options=self._options)
        else:
            self._ids += 1
            op = _Light(self._ids, now)
        handle = CallHandle(op, payload, self.retry.backoff.sequence(self._rng), on_done)
        self.pending[op.id] = handle
        self._attempt(handle)
        return handle

    def wait(self, handle: CallHandle) -> CallResult:
        """Run the simulation until ``handle`` completes; return its result."""
        self.world.sim.run_until(lambda: handle.result is not None)
        if handle.result is None:
            raise ConfigError(f"call #{handle.operation.id} did not complete (is the caller up?)")
        return handle.result

    @property
    def state(self) -> str | None:
        """The breaker's state (``None`` without a breaker)."""
        return None if self.breaker is None else self.breaker.state

    # -- one attempt ---------------------------------------------------------------------
    def _attempt(self, handle: CallHandle) -> None:
        if handle.done:
            return
        handle.attempts += 1
        permit = None
        if self.breaker is not None:
            permit = self.breaker.acquire()
            if permit is None:
                error = f"circuit breaker {self.breaker.state}: call not permitted (definite)"
                if handle.error is not None:
                    error += f"; last attempt: {handle.error}"
                self._finish(handle, False, None, error)
                return
        if self.bulkhead is None:
            self._send(handle, permit)
        else:
            self.bulkhead.request(lambda: self._send(handle, permit),
                                  lambda reason: self._rejected(handle, permit, reason))

    def _send(self, handle: CallHandle, permit) -> None:
        if handle.done or not self.owner.up:
            if self.bulkhead is not None:
                self.bulkhead.release()
            return
        self.dependency_calls += 1
        started = self.world.sim.now
        call_id = self.owner.rpc(self.dependency, handle.payload,
                                 lambda ok, value, error, src: self._on_reply(
                                     handle, ok, value, error))
        timer = self.owner.set_timer(self.timeout_ms, self._on_timeout, handle)
        handle.inflight = (call_id, timer, permit, started)

    def _end_attempt(self, handle: CallHandle, failed: bool) -> None:
        call_id, timer, permit, started = handle.inflight
        handle.inflight = None
        timer.cancel()
        self.owner.forget(call_id)
        if self.bulkhead is not None:
            self.bulkhead.release()
        if self.breaker is not None:
            self.breaker.on_result(permit, duration_ms=self.world.sim.now - started,
                                   failed=failed)

    def _on_reply(self, handle: CallHandle, ok: bool, value, error) -> None:
        if handle.inflight is None:
            return
        self._end_attempt(handle, failed=not ok)
        if ok:
            self._finish(handle, True, value, None)
        else:
            self._failed(handle, f"{self.dependency}: {error}")

    def _on_timeout(self, handle: CallHandle) -> None:
        if handle.inflight is None:
            return
        self._end_attempt(handle, failed=True)
        handle.definite = False     # the dependency may still do the work
        self._failed(handle, f"timeout after {self.timeout_ms} ms (indefinite)")

    def _rejected(self, handle: CallHandle, permit, reason: str) -> None:
        if self.breaker is not None:
            self.breaker.on_result(permit, duration_ms=0, failed=True)
        self._failed(handle, reason)

    def _failed(self, handle: CallHandle, error: str) -> None:
        handle.error = error
        if handle.attempts >= self.retry.max_attempts:
            self._finish(handle, False, None, error)
            return
        self.owner.set_timer(handle.sleeps.next_delay_ms(), self._attempt, handle)

    # -- completion ----------------------------------------------------------------------
    def _finish(self, handle: CallHandle, ok: bool, value, error: str | None) -> None:
        if handle.done:
            return
        op = handle.operation
        now = self.world.sim.now
        outcome = "ok" if ok else ("fail" if handle.definite else "info")
        used_fallback = not ok and self.fallback is not None
        if used_fallback:
            value = self.fallback(error)
        if self.record_history:
            self.world.history.complete(op, outcome, now, output=value if ok else None,
                                        node=self.dependency,
                                        error=(error + "; fallback used" if used_fallback
                                               else error))
        self.pending.pop(op.id, None)
        state = self.state
        handle.result = CallResult(op.id, ok or used_fallback, outcome, value, error,
                                   handle.attempts, now - op.invoke_ms, used_fallback, state)
        self.records.append({"id": op.id, "client": self.owner.name,
                             "dependency": self.dependency, "invoke_ms": op.invoke_ms,
                             "complete_ms": now, "latency_ms": now - op.invoke_ms,
                             "outcome": outcome, "attempts": handle.attempts,
                             "fallback": used_fallback, "breaker_state": state,
                             "error": error})
        if handle.on_done is not None:
            handle.on_done(handle.result)

    def abandon_all(self, error: str) -> None:
        """Complete every pending call as unknown (the owner crashed: its timers are gone).

        The breaker is volatile state of the owner's process: it starts again CLOSED (its
        trial permits in flight would otherwise never come back, and HALF_OPEN would stall,
        as resilience4j issue 903 describes for calls that never complete)."""
        for key in sorted(self.pending):
            handle = self.pending[key]
            handle.definite = False
            handle.inflight = None
            self._finish(handle, False, None, error)
        if self.bulkhead is not None:
            self.bulkhead.clear()
        if self.breaker is not None:
            self.breaker.reset(error)

    def _on_transition(self, t) -> None:
        self.owner.trace("breaker", f"{t.from_state} -> {t.to_state}: {t.why}",
                         peer=self.dependency, state=t.to_state, previous=t.from_state)

    def __repr__(self) -> str:
        return (f"<ResilientCaller {self.owner.name}->{self.dependency} "
                f"{len(self.pending)} pending, breaker {self.state}>")


class _Light:
    """An operation stand-in when the history is off (benchmarks)."""

    __slots__ = ("id", "invoke_ms")

    def __init__(self, id: int, invoke_ms: int) -> None:
        self.id, self.invoke_ms = id, invoke_ms
