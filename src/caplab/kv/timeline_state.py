"""Every member's state at any moment of a run, rebuilt from the trace: role, term, vote, log
(entries with their term and index, committed or not), the entries a rollback cut off, and the
messages in flight. What RaftScope shows while a Raft cluster runs, as plain data.

The trace's structured events are replayed forward; nothing is re-run and no protocol rule is
re-implemented. A system that wants its members drawn this way traces:

* ``role`` events with ``role`` and ``term`` (or ``generation``: MySQL-style systems);
* ``term`` events when a member adopts a higher term it saw (``term``);
* ``election`` events with ``action="vote"`` (``candidate``, ``term``, ``granted``,
  ``dry_run``): a granted real vote sets the member's vote;
* ``oplog`` events: ``action="append"`` (``term, index, op, key, value``) and
  ``action="commit"`` (``index``);
* ``rollback`` events with ``action="truncate"`` and ``common=(term, index)``: the entries
  after the common point are cut off (MongoDB's rollback; Raft's log truncation).

The replica set (:mod:`caplab.kv.cp`) traces all of them; the MySQL-style source
(:mod:`caplab.kv.ca`) traces its roles (by generation), so its members show roles and messages
but no log. Crashes and restarts come from the network's ``crash``/``restart`` events. Plain
Python: no pandas, no plotly (views draw these records).

Example:
    >>> from caplab.kv import Cluster
    >>> from caplab.kv.timeline_state import Timeline
    >>> c = Cluster(mode="cp", nodes=3, seed=1)
    >>> c.client("a", near="n1").put("x", "1").ok
    True
    >>> tl = Timeline.of(c)
    >>> m = tl.at(c.now)
    >>> m.nodes[c.primary].role, [e.key for e in m.nodes[c.primary].log]
    ('primary', [None, 'x'])
"""

from __future__ import annotations

from bisect import bisect_right
from typing import Any, NamedTuple

__all__ = ["LogEntry", "NodeState", "Flight", "Moment", "Timeline"]


class LogEntry(NamedTuple):
    """One log entry as a member holds it at some moment."""

    term: int
    index: int
    op: str
    key: Any
    value: Any
    committed: bool = False     # at or below this member's commit point


class NodeState(NamedTuple):
    """One member at one moment.

    ``cut`` holds the entries the member's latest rollback removed (oldest first) and
    ``cut_ms`` when; they stay listed so a view can draw the log being cut back.
    """

    node: str
    role: str
    term: int
    voted_for: str | None
    up: bool
    log: tuple
    commit_index: int
    cut: tuple = ()
    cut_ms: int | None = None


class Flight(NamedTuple):
    """One message between two members: sent at ``send_ms``, ending at ``end_ms`` (delivered,
    or dropped: ``fate`` says which; ``end_ms`` None while neither has happened)."""

    msg_id: int
    src: str
    dst: str
    kind: str
    label: str
    send_ms: int
    end_ms: int | None
    fate: str                   # "delivered", "dropped" or "pending"

    def progress(self, t_ms: float) -> float:
        """How far along its way the message is at ``t_ms``, from 0 (sent) to 1 (arrived)."""
        if self.end_ms is None or self.end_ms <= self.send_ms:
            return 0.0
        return min(1.0, max(0.0, (t_ms - self.send_ms) / (self.end_ms - self.send_ms)))


class Moment(NamedTuple):
    """The whole cluster at ``time_ms``: every member, the messages in the air, the messages
    dropped in the last ``linger_ms`` (a partition's or a crash's casualties), and the
    notable events of that last stretch (roles, rollbacks, faults), oldest first."""

    time_ms: int
    nodes: dict
    flying: tuple
    dropped: tuple
    notes: tuple


#: event kinds that change a member's state (the others are skipped when replaying)
_STATEFUL = frozenset({"role", "term", "election", "oplog", "rollback", "crash", "restart"})
#: event kinds worth a caption
_NOTABLE = frozenset({"role", "rollback", "crash", "restart", "partition", "cut", "heal",
                      "safety"})


def _label(msg) -> str:
    """A short label for a message, from its kind and its plain fields (no protocol
    knowledge: a field ``entries`` or ``events`` is counted, ``granted`` shown as a tick)."""
    kind = getattr(msg, "kind", type(msg).__name__)
    for field in ("entries", "events"):
        items = getattr(msg, field, None)
        if isinstance(items, tuple) and items:
            return f"{kind} ×{len(items)}"
    granted = getattr(msg, "granted", None)
    if isinstance(granted, bool):
        return f"{kind} {'✓' if granted else '✗'}"
    return kind


class _Member:
    """The mutable replay state of one member (internal)."""

    __slots__ = ("name", "role", "term", "voted_for", "up", "log", "commit", "cut", "cut_ms",
                 "_state")

    def __init__(self, name: str, role: str) -> None:
        self.name, self.role, self.term, self.voted_for, self.up = name, role, 0, None, True
        self.log: list = []
        self.commit = 0
        self.cut: tuple = ()
        self.cut_ms = None
        self._state = None      # the last NodeState built, until the next change

    def apply(self, e) -> None:
        self._state = None
        data, kind = e.data, e.kind
        if kind == "crash":
            self.up = False
        elif kind == "restart":
            self.up = True
        elif kind == "role":
            self.role = data.get("role", self.role)
            self.term = data.get("term", data.get("generation", self.term))
            if self.role == "candidate":
                self.voted_for = self.name
        elif kind == "term":
            self.term, self.voted_for = data["term"], None
        elif kind == "election" and data.get("action") == "vote" and not data.get("dry_run"):
            if data["term"] > self.term:
                self.term, self.voted_for = data["term"], None
            if data.get("granted"):
                self.voted_for = data["candidate"]
        elif kind == "oplog":
            self._apply_oplog(data)
        elif kind == "rollback" and data.get("action") == "truncate":
            keep = data["common"][1]
            self.cut = tuple(x._replace(committed=False) for x in self.log[keep:])
            self.cut_ms = e.time_ms
            del self.log[keep:]
            self._commit_to(min(self.commit, keep))

    def _apply_oplog(self, data) -> None:
        if data.get("action") == "append":
            index = data["index"]
            del self.log[index - 1:]        # an append at index i replaces anything from i on
            self.log.append(LogEntry(data["term"], index, data.get("op"), data.get("key"),
                                     data.get("value"), index <= self.commit))
        elif data.get("action") == "commit":
            self._commit_to(data["index"])

    def _commit_to(self, index: int) -> None:
        """Move the commit point, re-marking only the entries between the old and the new one
        (so a long run costs time in proportion to its entries, not entries x moments)."""
        old, log = self.commit, self.log
        self.commit = index
        for i in range(min(old, index), min(max(old, index), len(log))):
            log[i] = log[i]._replace(committed=log[i].index <= index)

    def state(self) -> NodeState:
        if self._state is None:     # else unchanged since the last moment: share it
            self._state = NodeState(self.name, self.role if self.up else "down", self.term,
                                    self.voted_for, self.up, tuple(self.log), self.commit,
                                    self.cut, self.cut_ms)
        return self._state


class Timeline:
    """A run's trace, ready to be looked at moment by moment.

    Args:
        events: the trace events (``cluster.sim.trace.events`` or any list of them), in order.
        nodes: the members to follow, in drawing order.
        initial_roles: node -> role before the first event (default ``"secondary"`` for every
            member; :meth:`of` reads it from the system).
        linger_ms: how long a dropped message and a caption stay listed.

    Example:
        >>> tl = Timeline(c.sim.trace.events, c.nodes)                 # doctest: +SKIP
        >>> [m.time_ms for m in tl.moments([0, 1500, 3000])]           # doctest: +SKIP
        [0, 1500, 3000]
    """

    def __init__(self, events, nodes, *, initial_roles: dict | None = None,
                 linger_ms: int = 60) -> None:
        self.events = list(events)
        self.nodes = list(nodes)
        roles = dict(initial_roles or {})
        self.initial_roles = {n: roles.get(n, "secondary") for n in self.nodes}
        self.linger_ms = linger_ms
        self.times = [e.time_ms for e in self.events]
        self.flights = self._flights()
        self._by_send = [f.send_ms for f in self.flights]
        # The longest a delivered or dropped message was in the air: looking back that far
        # (plus the linger) from a moment finds every message in the air at it.
        self._reach_ms = max([f.end_ms - f.send_ms for f in self.flights
                              if f.end_ms is not None] + [0]) + linger_ms
        self._pending = [f for f in self.flights if f.end_ms is None]

    @classmethod
    def of(cls, system, *, linger_ms: int = 60) -> "Timeline":
        """The timeline of a system's run so far (a ``Cluster`` or any system with ``nodes``,
        ``sim.trace`` and ``roles()``). A member that never changed role (and never crashed)
        starts in the role it has now; the others start as ``"secondary"`` unless their first
        role event says what they were (``previous``)."""
        events = list(system.sim.trace.events)
        nodes = list(system.nodes)
        changed = {e.node for e in events if e.kind in ("role", "crash", "restart")}
        now = system.roles()
        initial = {}
        for n in nodes:
            first = next((e for e in events if e.kind == "role" and e.node == n), None)
            if n not in changed:
                initial[n] = now[n]
            elif first is not None and "previous" in first.data:
                initial[n] = first.data["previous"]
        return cls(events, nodes, initial_roles=initial, linger_ms=linger_ms)

    @property
    def end_ms(self) -> int:
        """The time of the last event (0 for an empty trace)."""
        return self.times[-1] if self.times else 0

    def _flights(self) -> list:
        """Every message between two followed members, by send time."""
        members = set(self.nodes)
        open_: dict = {}
        out = []
        for e in self.events:
            if e.msg_id is None or e.node not in members or e.peer not in members:
                continue
            if e.kind == "send":
                open_[e.msg_id] = len(out)
                out.append(Flight(e.msg_id, e.node, e.peer, getattr(e.msg, "kind", type(
                    e.msg).__name__), _label(e.msg), e.time_ms, None, "pending"))
            elif e.kind in ("deliver", "drop") and e.msg_id in open_:
                i = open_.pop(e.msg_id)
                out[i] = out[i]._replace(end_ms=e.time_ms, fate="delivered" if
                                         e.kind == "deliver" else "dropped")
        return out

    def _in_air(self, t_ms: int) -> tuple[tuple, tuple]:
        """(messages flying at ``t_ms``, messages dropped in the ``linger_ms`` before it)."""
        hi = bisect_right(self._by_send, t_ms)
        lo = bisect_right(self._by_send, t_ms - self._reach_ms - 1)
        flying, dropped = [], []
        flights = self.flights
        for j in range(lo, hi):
            f = flights[j]
            if f.end_ms is None:
                continue            # still in the air when the trace ends: below
            if f.end_ms > t_ms:
                flying.append(f) if f.fate == "delivered" else dropped.append(f)
            elif f.fate == "dropped" and f.end_ms > t_ms - self.linger_ms:
                dropped.append(f)
        flying += [f for f in self._pending if f.send_ms <= t_ms]
        flying.sort(key=lambda f: (f.send_ms, f.msg_id))
        return tuple(flying), tuple(dropped)

    def moments(self, times) -> list[Moment]:
        """The cluster at each of ``times`` (ms, any order): one pass over the trace.

        Returns:
            A list of :class:`Moment`, in the order of ``times``. A moment at ``t`` includes
            every event at ``t`` (the state after them).
        """
        members = {n: _Member(n, self.initial_roles[n]) for n in self.nodes}
        order = sorted(range(len(times)), key=lambda k: times[k])
        out: list = [None] * len(times)
        notes: list = []
        i, events = 0, self.events
        for k in order:
            t = int(times[k])
            while i < len(events) and events[i].time_ms <= t:
                e = events[i]
                i += 1
                if e.kind in _STATEFUL and e.node in members:
                    members[e.node].apply(e)
                if e.kind in _NOTABLE and not (e.kind == "rollback" and
                                               e.data.get("action") != "truncate"):
                    notes.append(e)
            flying, dropped = self._in_air(t)
            recent = tuple(e for e in notes if e.time_ms > t - max(self.linger_ms, 1) * 5)
            out[k] = Moment(t, {n: m.state() for n, m in members.items()}, flying, dropped,
                            recent)
        return out

    def at(self, t_ms: int) -> Moment:
        """The cluster at ``t_ms`` (see :meth:`moments`)."""
        return self.moments([t_ms])[0]

    def event_times(self, since_ms: int = 0, until_ms: int | None = None,
                    kinds=("send", "deliver", "drop") + tuple(sorted(_STATEFUL))) -> list[int]:
        """The distinct times in ``[since_ms, until_ms]`` at which something of ``kinds``
        happened to the followed members (a step-through's natural stops)."""
        until = self.end_ms if until_ms is None else until_ms
        members = set(self.nodes)
        wanted = set(kinds)
        seen = sorted({e.time_ms for e in self.events if e.kind in wanted
                       and since_ms <= e.time_ms <= until
                       and (e.node in members or e.peer in members)})
        return seen
