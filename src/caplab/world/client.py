"""Clients: endpoints on the network that invoke operations and record them in the history.

A client is placed ``near`` a node and travels with it in partitions. Every operation is
recorded in the world's history with its invocation, completion, outcome and node; the
system-specific part (which node to ask, what replies mean) is the system's *driver*
(``system.driver``: ``validate_options``, ``start``, ``receive``, ``on_finish``). A client of a
given system adds its own verbs (``put``/``get`` for the key-value store) on top of
:meth:`Client.invoke` and :meth:`Client.wait`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import ConfigError, UnknownNameError
from ..history.record import READ_OPS
from ..net.endpoint import Endpoint

__all__ = ["Client", "Driver", "OpHandle", "Result"]


@dataclass(frozen=True)
class Result:
    """What a client got back.

    ``outcome`` is ``ok``, ``fail`` (definitely did not happen) or ``info`` (unknown: it may
    still have been applied). ``error`` says what happened and, for failures, whether definite.
    ``value`` is the key-value column (for a read, what it read); ``output`` is what any
    operation returned (a produce's offset, a transaction's decision), None unless ``ok``.
    """

    ok: bool
    value: Any
    error: str | None
    node: str | None
    latency_ms: int
    outcome: str
    op: str
    key: str
    client: str
    id: int
    output: Any = None

    @property
    def definite(self) -> bool:
        """False when the operation may or may not have taken effect (a timeout)."""
        return self.outcome != "info"

    def __repr__(self) -> str:
        if self.ok:
            shown = f"value={self.value!r}, " if self.op == "get" else ""
            return (f"Result(ok, {self.op} {self.key!r} {shown}node={self.node!r}, "
                    f"latency_ms={self.latency_ms})")
        return (f"Result({self.outcome}, {self.op} {self.key!r}, error={self.error!r}, "
                f"node={self.node!r}, latency_ms={self.latency_ms})")


class OpHandle:
    """An operation in flight. ``done`` becomes True and ``result`` is set when it completes."""

    __slots__ = ("operation", "client", "options", "result", "timer", "state", "_callbacks")

    def __init__(self, operation, client, options) -> None:
        self.operation = operation
        self.client = client
        self.options = options
        self.result: Result | None = None
        self.timer = None
        self.state: dict = {}          # the driver's scratch space (tries, acks, ...)
        self._callbacks: list = []

    @property
    def id(self) -> int:
        return self.operation.id

    @property
    def done(self) -> bool:
        return self.result is not None

    def on_done(self, callback) -> None:
        """Call ``callback(result)`` when the operation completes (at once if it has)."""
        if self.result is not None:
            callback(self.result)
        else:
            self._callbacks.append(callback)

    def __repr__(self) -> str:
        op = self.operation
        return f"OpHandle(#{op.id} {op.client} {op.op} {op.key!r}, {'done' if self.done else 'pending'})"


class Driver:
    """A system's client library: the options each operation takes, what to send, what the
    replies mean. Subclasses list their options and implement :meth:`start` and
    :meth:`receive`; option checking is written once, here.

    ``OPTIONS`` maps an operation name to its options and their defaults (``"*"``: any other
    operation); every operation also takes ``timeout_ms`` (None: the world's
    ``op_timeout_ms``).
    """

    OPTIONS: dict = {}

    def options_for(self, op: str) -> dict:
        """The options operation ``op`` accepts, with their defaults."""
        return {"timeout_ms": None, **self.OPTIONS.get(op, self.OPTIONS.get("*", {}))}

    def validate_options(self, op: str, options: dict) -> dict:
        """Check ``options`` for ``op`` (names, then values); return them complete.

        Raises:
            UnknownNameError: an option ``op`` does not take (the allowed ones are listed).
            ConfigError: a bad value, named; nothing has changed.
        """
        allowed = self.options_for(op)
        for name in options:
            if name not in allowed:
                raise UnknownNameError(f"{op} option", name, sorted(allowed))
        opts = dict(options)
        t = opts.get("timeout_ms")
        if t is None:
            opts.pop("timeout_ms", None)
        elif isinstance(t, bool) or not isinstance(t, int) or t <= 0:
            raise ConfigError(f"timeout_ms must be a whole number of ms > 0, got {t!r}")
        return self.complete_options(op, opts)

    def complete_options(self, op: str, options: dict) -> dict:
        """Fill in defaults and check values (system-specific). Must not change any state."""
        return options

    def start(self, client, handle) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def receive(self, client, msg, src: str) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def on_finish(self, client, handle) -> None:
        """Called after an operation completes (clean up driver state)."""


class Client(Endpoint):
    """A client endpoint of ``system`` (which gives the driver and the world)."""

    is_client = True

    def __init__(self, name: str, system) -> None:
        super().__init__(name)
        self.system = system
        self.pending: dict[int, OpHandle] = {}

    @property
    def near(self) -> str:
        return self.network.near(self.name)

    # -- machinery -------------------------------------------------------------------------
    def invoke(self, op: str, key, value, options: dict) -> OpHandle:
        """Start operation ``op`` on ``key`` with input ``value``; returns its handle at once.

        The driver checks ``options`` first, so a bad option raises before anything changes.
        """
        if not isinstance(key, str) or not key:
            raise ConfigError(f"key must be a non-empty string, got {key!r}")
        if not self.up:
            raise ConfigError(f"client {self.name!r} is down; restart it first")
        world = self.system.world
        driver = self.system.driver
        opts = driver.validate_options(op, dict(options))   # raises before anything changes
        timeout_ms = opts.pop("timeout_ms", world.op_timeout_ms)
        operation = world.history.invoke(self.name, op, key, value, self.now, options=opts)
        handle = OpHandle(operation, self, opts)
        self.pending[operation.id] = handle
        handle.timer = self.set_timer(timeout_ms, self._on_timeout, handle)
        trace = self.network.sim.trace
        if trace.enabled:
            trace.record(self.now, "invoke", self.name, None, None, None,
                         f"#{operation.id} {op} {key}"
                         + (f"={value!r}" if value is not None else ""),
                         {"op_id": operation.id, "op": op, "key": key})
        driver.start(self, handle)
        return handle

    def wait(self, handle: OpHandle) -> Result:
        """Run the simulation until ``handle`` completes (its timeout always ends it)."""
        self.network.sim.run_until(lambda: handle.result is not None)
        if handle.result is None:  # pragma: no cover - the timeout timer always fires
            raise RuntimeError(f"operation {handle!r} did not complete")
        return handle.result

    def _on_timeout(self, handle: OpHandle) -> None:
        if handle.done:
            return
        what = ("no answer in time" if handle.operation.op in READ_OPS
                else "the write may or may not have been applied")
        self.finish(handle, "info", node=handle.state.get("node"),
                    error=f"timeout: {what} (indefinite)")

    def finish(self, handle: OpHandle, outcome: str, *, value: Any = None,
               node: str | None = None, error: str | None = None) -> None:
        """Complete ``handle`` (called by the driver, or by the timeout).

        ``value`` is the operation's output (what a read returned); ignored unless ``ok``.
        """
        if handle.done:
            return
        if handle.timer is not None:
            handle.timer.cancel()
        operation = handle.operation
        self.system.world.history.complete(operation, outcome, self.now,
                                           output=value if outcome == "ok" else None,
                                           node=node, error=error)
        self.pending.pop(operation.id, None)
        handle.result = Result(ok=outcome == "ok",
                               value=operation.value if outcome == "ok" else None,
                               error=error, node=operation.node,
                               latency_ms=self.now - operation.invoke_ms, outcome=outcome,
                               op=operation.op, key=operation.key, client=self.name,
                               id=operation.id,
                               output=operation.output if outcome == "ok" else None)
        trace = self.network.sim.trace
        if trace.enabled:
            trace.record(self.now, "complete", self.name, operation.node, None, None,
                         f"#{operation.id} {outcome}" + (f" {error}" if error else ""),
                         {"op_id": operation.id, "outcome": outcome})
        self.system.driver.on_finish(self, handle)
        callbacks, handle._callbacks = handle._callbacks, []
        for callback in callbacks:
            callback(handle.result)

    def receive(self, msg, src: str) -> None:
        self.system.driver.receive(self, msg, src)

    def on_crash(self) -> None:
        for handle in sorted(self.pending.values(), key=lambda h: h.id):
            self.finish(handle, "info", error="client crashed: outcome unknown (indefinite)")
