"""Replaying a failing lab run: rebuild it from its seed, draw it, and step through it event by
event, as DSLabs' visual debugger does.

A lab's run is deterministic (same seed, same run), so a failure is kept as nothing but its
seed: :class:`Replay` holds the finished run again (its history, the checker's verdict, its
trace) and a recipe that builds the same run afresh, not yet started. The figures are the
timeline with the violation highlighted, the message sequence diagram around it and the cluster
graph at the moment it began; :class:`StepThrough` runs a fresh copy one event at a time, so
every node's state can be read between two events (going back rebuilds and runs forward again,
as the panels' rewind does).

A lab registers how to replay each of its exercises (:func:`register_replay`); then
``replay(outcome)`` replays any Incorrect outcome of those exercises.

Example:
    >>> from caplab.labkit.labs import lab05                       # doctest: +SKIP
    >>> outcome = lab05.q2.check(MyNode)                           # doctest: +SKIP
    >>> rp = replay(outcome)       # as lab05.replay(seed=outcome.seed)   # doctest: +SKIP
    >>> rp.figures()["timeline"]                                   # doctest: +SKIP
    >>> rp.steps.step(); rp.steps.state()                          # doctest: +SKIP
"""

from __future__ import annotations

from typing import Callable

from ..errors import ConfigError, SimulationError, UnknownNameError

__all__ = ["Replay", "StepThrough", "register_replay", "replay"]

_REPLAYERS: dict[str, Callable] = {}


def register_replay(exercise: str, replayer: Callable) -> None:
    """Declare how to replay ``exercise`` (its name): ``replayer(seed) -> Replay``."""
    _REPLAYERS[exercise] = replayer


def replay(outcome) -> "Replay":
    """Replay the failing run of an Incorrect outcome (from ``check()``).

    Args:
        outcome: an :class:`~caplab.labkit.Outcome` that carries a seed.

    Returns:
        a :class:`Replay` of that seed's run.

    Raises:
        ConfigError: the outcome has no seed (it is Correct, Not attempted, or failed without
            a simulation), or its exercise registered no replay (the message names those that
            did).

    Example:
        >>> rp = replay(lab05.q2.check(MyNode))      # doctest: +SKIP
    """
    seed = getattr(outcome, "seed", None)
    if seed is None:
        raise ConfigError(f"nothing to replay: {outcome!r} carries no seed (only an Incorrect "
                          f"outcome of a simulated run does)")
    replayer = _REPLAYERS.get(outcome.exercise)
    if replayer is None:
        raise UnknownNameError("exercise with a replay", outcome.exercise, sorted(_REPLAYERS))
    return replayer(seed)


def _window(history, result, *, span_ms: int = 600) -> tuple[int, int]:
    """The time around a violation: from the last placed operation (or the first bad one)
    to the end of the bad operations, at most ``span_ms`` long."""
    ops = {op.id: op for op in history}
    bad = [ops[i] for i in getattr(result, "bad_ops", ()) if i in ops]
    if not bad:
        last = max((op.complete_ms or op.invoke_ms for op in history), default=0)
        return max(0, last - span_ms), last
    placed = [ops[i] for i in getattr(result, "prefix", ())[-1:] if i in ops]
    lo = min(op.invoke_ms for op in bad + placed)
    hi = max(op.complete_ms if op.complete_ms is not None else op.invoke_ms for op in bad)
    lo = max(0, min(lo, hi - 50) - 20)
    return lo, min(hi + 20, lo + span_ms)


def _around(records, result, lo: int, hi: int, *, margin_ms: int = 300) -> list:
    """The operations worth drawing for a violation in ``[lo, hi]``: the bad ones, the last
    one placed before them, those overlapping the window, and the writes of the values the
    drawn reads returned. An unknown (``info``) read constrains nothing and is left out; an
    unknown write counts as running for ``margin_ms`` after its invocation."""
    bad = set(getattr(result, "bad_ops", ()))
    prefix = tuple(getattr(result, "prefix", ()))
    keep = []
    for r in records:
        unknown = r["outcome"] == "info" or r["complete_ms"] is None
        end = r["invoke_ms"] + margin_ms if unknown else r["complete_ms"]
        if (r["id"] in bad or r["id"] in prefix[-1:]
                or (not (unknown and r["op"] == "get")
                    and end >= lo - margin_ms and r["invoke_ms"] <= hi)):
            keep.append(r)
    # the writes of every value a drawn read returned: where that value came from
    read_values = {repr(r["value"]) for r in keep if r["op"] == "get" and r["outcome"] == "ok"}
    kept = {r["id"] for r in keep}   # (repr: a value may be a list, a cart's, unhashable)
    return [r for r in records if r["id"] in kept
            or (r["op"] != "get" and repr(r["value"]) in read_values)]


def _about_key(events, key) -> list:
    """Trace events, leaving out messages about other keys: a message with a ``key`` field is
    kept when it is ``key``; one without (an acknowledgement) when an earlier kept message
    between the same two endpoints carries the same ``op`` or ``req``. Other events stay."""
    tagged: set = set()
    dropped: set = set()
    out = []
    for e in events:
        msg = e.msg
        if msg is None or e.msg_id is None:
            out.append(e)
            continue
        if e.msg_id in dropped:
            continue
        tag = getattr(msg, "op", getattr(msg, "req", None))
        pair = frozenset((e.node, e.peer))
        if hasattr(msg, "key"):
            keep = msg.key == key
            if keep and tag is not None:
                tagged.add((pair, tag))
        else:
            keep = tag is not None and (pair, tag) in tagged
        if keep:
            out.append(e)
        else:
            dropped.add(e.msg_id)
    return out


class StepThrough:
    """Walk a run one trace event at a time, with the nodes' state between events.

    Args:
        rebuild: ``rebuild() -> (system, until_ms)``: the same run, built but not started.
        events: the finished run's trace events (what :meth:`step` walks).

    ``position`` is the index of the current event (-1: before the first). The live copy has run
    the current event's handler to its end (a delivery and the messages it sent at once).
    """

    def __init__(self, rebuild: Callable, events) -> None:
        self.rebuild = rebuild
        self.events = list(events)
        self.position = -1
        self._system = None
        self._live_position = -1

    def __len__(self) -> int:
        return len(self.events)

    @property
    def event(self):
        """The current event (None before the first)."""
        return self.events[self.position] if self.position >= 0 else None

    @property
    def system(self):
        """The live copy of the system, at the current event."""
        if self._system is None:
            self._system, _ = self.rebuild()
        return self._system

    def _run_to(self, index: int) -> None:
        if self._system is None or index < self._live_position:
            self._system, _ = self.rebuild()
            self._live_position = -1
        sim = self._system.sim
        trace = sim.trace.events
        while len(trace) <= index:
            if not sim.step():
                break
        if index >= 0:
            if len(trace) <= index or trace[index].describe() != self.events[index].describe():
                raise SimulationError(f"the rebuilt run differs from the recorded one at event "
                                      f"{index} ({self.events[index].describe().strip()}): "
                                      f"something in it is not determined by the seed")
        self._live_position = index
        self.position = index

    def step(self, n: int = 1):
        """Go ``n`` events forward (stops at the last); return the event reached."""
        self._run_to(min(len(self.events) - 1, self.position + max(1, int(n))))
        return self.event

    def back(self, n: int = 1):
        """Go ``n`` events back (rebuilds the run and runs it forward); return the event."""
        self._run_to(max(-1, self.position - max(1, int(n))))
        return self.event

    def goto(self, index: int):
        """Go to event ``index`` (0-based; negative counts from the end); return it."""
        if index < 0:
            index += len(self.events)
        if not 0 <= index < len(self.events):
            raise ConfigError(f"event index must be in 0..{len(self.events) - 1}, got {index}")
        self._run_to(index)
        return self.event

    def goto_time(self, time_ms: int):
        """Go to the last event at or before ``time_ms``; return it."""
        index = -1
        for i, e in enumerate(self.events):
            if e.time_ms > time_ms:
                break
            index = i
        self._run_to(index)
        return self.event

    def find(self, kind: str, *, after: int | None = None, **fields) -> int | None:
        """The index of the next event of ``kind`` (after ``after``, default the current one)
        whose attributes match ``fields`` (e.g. ``node="n2"``), or None."""
        start = (self.position if after is None else after) + 1
        for i in range(max(0, start), len(self.events)):
            e = self.events[i]
            if e.kind == kind and all(getattr(e, k, None) == v for k, v in fields.items()):
                return i
        return None

    def state(self) -> dict:
        """Each node's state at the current event: ``{node: node.state()}`` (or its
        attributes), and ``"up": False`` for a crashed node."""
        self._run_to(self.position)
        out = {}
        for name in self.system.nodes:
            node = self.system.network.endpoints[name]
            values = node.state() if hasattr(node, "state") else dict(vars(node))
            out[name] = values if node.up else {"up": False}
        return out

    def text(self, around: int = 3) -> str:
        """The events around the current one, the current one marked with ``>``."""
        lo, hi = max(0, self.position - around), min(len(self.events), self.position + around + 1)
        return "\n".join(f"{'>' if i == self.position else ' '} {i:>5} "
                         f"{self.events[i].describe().strip()}" for i in range(lo, hi))

    def cluster(self):
        """The cluster graph of the live copy at the current event."""
        from ..viz import cluster_graph
        self._run_to(self.position)
        return cluster_graph(self.system)

    def __repr__(self) -> str:
        current = self.event.describe().strip() if self.event is not None else "before the start"
        return f"<StepThrough {self.position + 1}/{len(self.events)}: {current}>"


class Replay:
    """A failing run rebuilt from its seed: verdict, figures and a step-through.

    Args:
        title: what is replayed (shown in figures).
        seed: the run's seed.
        system: the finished run's system (its world holds the history and trace).
        result: the checker's verdict on the history (anything with ``bad_ops``, or None).
        rebuild: ``rebuild() -> (system, until_ms)``, the same run built afresh, not started.
        until_ms: where the finished run stopped.
    """

    def __init__(self, title: str, seed: int, system, result, rebuild: Callable, *,
                 until_ms: int) -> None:
        self.title = title
        self.seed = seed
        self.system = system
        self.result = result
        self.rebuild = rebuild
        self.until_ms = until_ms
        self._steps = None

    @property
    def history(self):
        return self.system.world.history

    @property
    def events(self) -> list:
        """Every trace event of the run, in order."""
        return list(self.system.sim.trace.events)

    @property
    def steps(self) -> StepThrough:
        """The step-through over :attr:`events` (``.step()``, ``.back()``, ``.state()``)."""
        if self._steps is None:
            self._steps = StepThrough(self.rebuild, self.events)
        return self._steps

    def explain(self) -> str:
        """The checker's explanation (``result.explain()``)."""
        return self.result.explain() if hasattr(self.result, "explain") else str(self.result)

    def window(self) -> tuple[int, int]:
        """``(since_ms, until_ms)`` around the violation (the sequence diagram's window)."""
        return _window(self.history, self.result)

    def timeline(self, *, whole: bool = False):
        """The timeline of the violating key's operations around the violation, the operations
        that cannot be placed highlighted.

        Args:
            whole: every operation on the key over the whole run, not only those around the
                violation (the bad operations and the writes of the values they read are
                always shown).
        """
        from ..viz import timeline
        key = getattr(self.result, "key", None)
        lo, hi = self.window()
        records = [r for r in self.history.records() if key is None or r["key"] == key]
        if not whole:
            records = _around(records, self.result, lo, hi)
        return timeline(records, check_result=self.result,
                        end_ms=None if whole else hi + max(50, (hi - lo) // 4))

    def sequence(self):
        """The message sequence diagram of :meth:`window`: the messages about the violating key
        (a message with a ``key`` field, and the replies that share its ``op``/``req``)."""
        from ..viz import sequence_diagram
        lo, hi = self.window()
        key = getattr(self.result, "key", None)
        events = self.system.sim.trace.events
        if key is not None:
            events = _about_key(events, key)
        return sequence_diagram(events, since_ms=lo, until_ms=hi)

    def cluster(self, at_ms: int | None = None):
        """The cluster graph at ``at_ms`` (default: when the violation's window begins)."""
        from ..viz import cluster_graph
        at = self.window()[0] if at_ms is None else at_ms
        system, _ = self.rebuild()
        system.run(until=min(at, self.until_ms))
        return cluster_graph(system)

    def figures(self) -> dict:
        """``{"timeline", "sequence", "cluster"}``: the three figures of the failing run."""
        return {"timeline": self.timeline(), "sequence": self.sequence(),
                "cluster": self.cluster()}

    def __repr__(self) -> str:
        verdict = getattr(self.result, "verdict", "?")
        lo, hi = self.window()
        return (f"<Replay {self.title}: {verdict}, {len(self.history)} operations, "
                f"{len(self.events)} events; violation window {lo}-{hi} ms; figures(), "
                f"steps.step(), explain()>")
