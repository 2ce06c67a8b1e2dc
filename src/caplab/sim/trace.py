"""The trace: a plain, append-only record of everything that happened in a simulation.

Records are tuples (cheap on the hot path); :mod:`caplab.frames` turns them into DataFrames.
An event carries a short text for people (``detail``) and its facts as fields (``data``):
lessons, labs, views and tests read ``event.data["term"]``, never parse the text, so rewording
a detail breaks nothing.
"""

from __future__ import annotations

from typing import Any, Iterator, NamedTuple

__all__ = ["TraceEvent", "TraceData", "NO_DATA", "Trace"]


class TraceData(dict):
    """The read-only fields of one trace event (plain values: str, int, bool, tuples of them).

    A dict that refuses changes once built, so an event recorded stays as it was. Protocols
    pass sorted tuples rather than sets, so the event's text never depends on hash order.

    Example:
        >>> d = TraceData(role="primary", term=3)
        >>> d["term"]
        3
        >>> d["term"] = 4
        Traceback (most recent call last):
        TypeError: trace data is read-only (tried to change {'role': 'primary', 'term': 3})
    """

    __slots__ = ()

    def _read_only(self, *args, **kwargs):
        raise TypeError(f"trace data is read-only (tried to change {dict(self)!r})")

    __setitem__ = __delitem__ = __ior__ = _read_only
    clear = pop = popitem = setdefault = update = _read_only

    def __hash__(self) -> int:
        return hash(tuple(sorted(self.items())))

    def __reduce__(self):
        return (TraceData, (dict(self),))

    def __repr__(self) -> str:
        return f"TraceData({dict(self)!r})"


#: the fields of an event that has none: one shared empty mapping, so such events allocate nothing
NO_DATA = TraceData()


class TraceEvent(NamedTuple):
    """One thing that happened.

    kind is one of: ``send``, ``deliver``, ``drop``, ``duplicate``, ``timer``, ``crash``,
    ``restart``, ``partition``, ``cut``, ``heal``, ``skew``, ``nemesis``, ``latency``, ``loss``,
    ``note`` (protocols may add their own kinds, e.g. ``role``, ``rollback``, ``client``).
    ``data`` holds the event's facts as fields (for example ``role="primary", term=3`` on a
    ``role`` event); :data:`NO_DATA` when it has none.
    """

    time_ms: int
    kind: str
    node: str | None = None     # where it happened (sender for send/deliver/drop)
    peer: str | None = None     # the other end (receiver of a message)
    msg_id: int | None = None   # ties send / deliver / drop of one message together
    msg: Any = None             # the message (immutable) or None
    detail: str | None = None   # a reason or short description, for people
    data: TraceData = NO_DATA   # the facts, as fields (read these, not the detail)

    def describe(self) -> str:
        """One deterministic line of text, used for golden traces and determinism tests.

        The data fields come last, sorted by name: ``[role='primary' term=3]``.
        """
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
        if self.data:
            parts.append("[" + " ".join(f"{k}={v!r}" for k, v in sorted(self.data.items()))
                         + "]")
        return " ".join(parts)


_new_event = tuple.__new__   # builds a TraceEvent without the NamedTuple's Python __new__


class Trace:
    """An append-only list of :class:`TraceEvent`.

    Args:
        enabled: record anything at all (benchmarks switch it off).
        kinds_off: kinds not to record (e.g. ``{"timer"}`` to leave out heartbeat timers).

    Example:
        >>> t = Trace()
        >>> t.record(1500, "role", "n3", detail="primary term=1", data={"role": "primary",
        ...                                                            "term": 1})
        >>> t[0].data["term"]
        1
    """

    def __init__(self, enabled: bool = True, kinds_off: frozenset[str] = frozenset()) -> None:
        self.enabled = enabled
        self.kinds_off = frozenset(kinds_off)
        self.events: list[TraceEvent] = []

    def record(self, time_ms: int, kind: str, node=None, peer=None, msg_id=None, msg=None,
               detail=None, data=None) -> None:
        """Append one event (nothing when the trace is off or ``kind`` is left out).

        Args:
            data: the event's facts as a mapping of plain values, or None; kept read-only.
        """
        if not self.enabled or kind in self.kinds_off:
            return
        self.events.append(_new_event(TraceEvent, (
            time_ms, kind, node, peer, msg_id, msg, detail,
            TraceData(data) if data else NO_DATA)))

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
