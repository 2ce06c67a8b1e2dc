"""The trace: a plain, append-only record of everything that happened in a simulation.

Records are tuples (cheap on the hot path); :mod:`caplab.frames` turns them into DataFrames.
"""

from __future__ import annotations

from typing import Any, Iterator, NamedTuple


class TraceEvent(NamedTuple):
    """One thing that happened.

    kind is one of: ``send``, ``deliver``, ``drop``, ``duplicate``, ``timer``, ``crash``,
    ``restart``, ``partition``, ``cut``, ``heal``, ``skew``, ``nemesis``, ``latency``, ``loss``,
    ``note`` (protocols may add their own kinds, e.g. ``role``, ``rollback``, ``client``).
    """

    time_ms: int
    kind: str
    node: str | None = None     # where it happened (sender for send/deliver/drop)
    peer: str | None = None     # the other end (receiver of a message)
    msg_id: int | None = None   # ties send / deliver / drop of one message together
    msg: Any = None             # the message (immutable) or None
    detail: str | None = None   # a reason or short description

    def describe(self) -> str:
        """One deterministic line of text, used for golden traces and determinism tests."""
        parts = [f"{self.time_ms:>8}", self.kind]
        if self.node is not None:
            parts.append(self.node)
        if self.peer is not None:
            parts.append(f"-> {self.peer}")
        if self.msg_id is not None:
            parts.append(f"#{self.msg_id}")
        if self.msg is not None:
            parts.append(repr(self.msg))
        if self.detail:
            parts.append(f"({self.detail})")
        return " ".join(parts)


class Trace:
    """An append-only list of :class:`TraceEvent`.

    Args:
        enabled: record anything at all (benchmarks switch it off).
        kinds_off: kinds not to record (e.g. ``{"timer"}`` to leave out heartbeat timers).
    """

    def __init__(self, enabled: bool = True, kinds_off: frozenset[str] = frozenset()) -> None:
        self.enabled = enabled
        self.kinds_off = frozenset(kinds_off)
        self.events: list[TraceEvent] = []
        self._listeners: list = []

    def record(self, time_ms: int, kind: str, node=None, peer=None, msg_id=None, msg=None,
               detail=None) -> None:
        if not self.enabled or kind in self.kinds_off:
            return
        event = TraceEvent(time_ms, kind, node, peer, msg_id, msg, detail)
        self.events.append(event)
        for listener in self._listeners:
            listener(event)

    def subscribe(self, listener) -> None:
        """Call ``listener(event)`` for every event recorded from now on (views' live logs)."""
        self._listeners.append(listener)

    def unsubscribe(self, listener) -> None:
        self._listeners.remove(listener)

    def __len__(self) -> int:
        return len(self.events)

    def __iter__(self) -> Iterator[TraceEvent]:
        return iter(self.events)

    def __getitem__(self, index):
        return self.events[index]

    def of_kind(self, *kinds: str) -> list[TraceEvent]:
        wanted = set(kinds)
        return [e for e in self.events if e.kind in wanted]

    def since(self, time_ms: int) -> list[TraceEvent]:
        return [e for e in self.events if e.time_ms >= time_ms]

    def text(self) -> str:
        """The whole trace as deterministic text, one event a line."""
        return "\n".join(e.describe() for e in self.events)
