"""Endpoints: nodes and clients, each a set of message handlers that run to completion.

Handlers are methods named by what they receive: a message of kind ``RequestVote`` goes to
``handle_request_vote(msg, src)`` (DSLabs' convention). Timers set with :meth:`set_timer` belong to
the endpoint's current *incarnation*: a crash invalidates them, so a crashed node fires no timers,
and a restarted node starts with none.
"""

from __future__ import annotations

import re

__all__ = ["Endpoint"]

_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")
_HANDLER_NAMES: dict[str, str] = {}


def handler_name(kind: str) -> str:
    name = _HANDLER_NAMES.get(kind)
    if name is None:
        name = "handle_" + _CAMEL.sub("_", kind).lower()
        _HANDLER_NAMES[kind] = name
    return name


class Endpoint:
    """Something with a name on the network.

    Subclasses override :meth:`on_crash` (drop volatile state) and :meth:`on_restart`
    (rebuild from what is durable), and define ``handle_<kind>`` methods.
    """

    is_client = False

    def __init__(self, name: str) -> None:
        self.name = name
        self.network = None
        self.up = True
        self.incarnation = 0

    # -- wiring --------------------------------------------------------------------------
    def attach(self, network) -> None:
        self.network = network

    @property
    def sim(self):
        return self.network.sim

    @property
    def now(self) -> int:
        return self.network.sim._now

    def local_time(self) -> int:
        """This endpoint's clock, which may be skewed (see ``Network.skew_clock``)."""
        return self.network.local_time(self.name)

    def rng(self, purpose: str):
        """This endpoint's own random stream for ``purpose`` (e.g. election jitter)."""
        return self.network.sim.rng(f"{self.name}.{purpose}")

    def trace(self, kind: str, detail: str | None = None, peer: str | None = None,
              **data) -> None:
        """Record a protocol event: ``detail`` for people, its facts as fields for code.

        Args:
            kind: what happened (``role``, ``election``, ``hint``, ...).
            detail: a short text for people; nothing should parse it.
            peer: the other node involved, if any.
            **data: the facts, as plain values (str, int, bool, sorted tuples); read back as
                ``event.data["term"]``.

        Example:
            >>> self.trace("role", f"primary term={self.term}", role="primary",
            ...            term=self.term)   # doctest: +SKIP
        """
        net = self.network
        net.sim.trace.record(net.sim._now, kind, self.name, peer, None, None, detail, data)

    # -- messaging -----------------------------------------------------------------------
    def send(self, dst: str, msg) -> None:
        self.network.send(self.name, dst, msg)

    def receive(self, msg, src: str) -> None:
        name = _HANDLER_NAMES.get(msg.kind) or handler_name(msg.kind)
        handler = getattr(self, name, None)
        if handler is None:
            raise NotImplementedError(f"{type(self).__name__} {self.name!r} has no handler "
                                      f"{handler_name(msg.kind)}() for {msg.kind}")
        handler(msg, src)

    # -- timers --------------------------------------------------------------------------
    def set_timer(self, delay_ms: int, fn, *args, daemon: bool = False, label: str | None = None):
        """Call ``fn(*args)`` after ``delay_ms`` unless this endpoint crashes first."""
        return self.network.sim.schedule(delay_ms, self._fire, self.incarnation, fn, args,
                                         label, daemon=daemon, label=label)

    def _fire(self, incarnation, fn, args, label) -> None:
        if not self.up or incarnation != self.incarnation:
            return  # a crash (or restart) since the timer was set cancels it
        if label is not None:
            self.network.sim.trace.record(self.network.sim._now, "timer", self.name, None,
                                          None, None, label)
        fn(*args)

    # -- lifecycle hooks -----------------------------------------------------------------
    def on_crash(self) -> None:
        """Called when the endpoint crashes: forget volatile state here."""

    def on_restart(self) -> None:
        """Called when the endpoint restarts: rebuild from durable state, restart timers."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}{'' if self.up else ' (down)'}>"
