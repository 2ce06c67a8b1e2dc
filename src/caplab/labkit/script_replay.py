"""Replaying a *scripted* lab run: labs 1-4 drive the simulator from a script (a write that
waits for its answer, ``run_for``, a partition at a chosen moment), so the run cannot be built
first and stepped afterwards, as lab 5's can. Instead the script is run again from its seed and
stopped just after the wanted event: the script is deterministic, so the copy is the same run up
to there (DSLabs' visual debugger replays a failing search path the same way, from its start).

:class:`ScriptedReplay` is a :class:`~caplab.labkit.replay.Replay` whose step-through and
cluster graph come from such stopped copies; :class:`Finding` is what a lab's grader found (the
verdict in words, the operations and the moment involved), drawn like a checker's verdict.

Example:
    >>> rp = lab03.replay(seed=5, scenario="slow vote requests")   # doctest: +SKIP
    >>> rp.figures()["timeline"]; rp.steps.goto_time(rp.finding_ms)  # doctest: +SKIP
    >>> rp.steps.text()                                            # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from .replay import Replay, StepThrough

__all__ = ["Finding", "ScriptedReplay", "ScriptedSteps", "stopped_copy"]


class _Stop(BaseException):
    """Raised inside the simulator's loop to stop a script (a BaseException, so no handler's
    ``except Exception`` swallows it)."""


def stopped_copy(script: Callable, stop: Callable):
    """Run ``script(on_start)`` again and stop it when ``stop(system)`` becomes true.

    Args:
        script: runs the whole scenario; calls ``on_start(system)`` once the system is built.
        stop: checked before every simulator event.

    Returns:
        the system, stopped (or finished, if ``stop`` never became true).
    """
    box = {}

    def on_start(system):
        box["system"] = system
        sim = system.sim
        loop, step = sim._loop, sim.step

        def check():
            if stop(system):
                raise _Stop

        def guarded_loop(until, max_events, stop_fn):
            return loop(until, max_events, lambda: check() or (stop_fn is not None and stop_fn()))

        def guarded_step():
            check()
            return step()
        sim._loop, sim.step = guarded_loop, guarded_step

    try:
        script(on_start)
    except _Stop:
        pass
    return box["system"]


class ScriptedSteps(StepThrough):
    """A :class:`StepThrough` over a scripted run: each position is reached by running the
    script again and stopping it once the event at that position has run."""

    def __init__(self, script: Callable, events) -> None:
        super().__init__(rebuild=None, events=events)
        self.script = script

    @property
    def system(self):
        if self._system is None:
            self._run_to(self.position)
        return self._system

    def _run_to(self, index: int) -> None:
        from ..errors import SimulationError
        if self._system is None or index != self._live_position:
            self._system = stopped_copy(self.script,
                                        lambda s: len(s.sim.trace.events) > index)
        trace = self._system.sim.trace.events
        if 0 <= index < len(trace) and \
                trace[index].describe() != self.events[index].describe():
            raise SimulationError(f"the rebuilt run differs from the recorded one at event "
                                  f"{index} ({self.events[index].describe().strip()}): "
                                  f"something in it is not determined by the seed")
        self._live_position = self.position = index

    def state(self) -> dict:
        """Each node's state at the current event (role, term, last optime or stored keys),
        and ``"up": False`` for a crashed node."""
        self._run_to(self.position)
        out = {}
        nodes = getattr(getattr(self._system, "backend", None), "nodes", {})
        for name in self._system.nodes:
            node = nodes.get(name)
            if node is None or not getattr(node, "up", True):
                out[name] = {"up": False}
                continue
            values = {k: getattr(node, k) for k in ("role", "term", "voted_for",
                                                     "last_optime", "primary_name")
                      if hasattr(node, k)}
            store = getattr(getattr(node, "store", None), "data", None)
            if isinstance(store, dict):   # a ring node: its versions per key, and its hints
                values["data"] = {k: [getattr(v, "value", v) for v in vs]
                                  for k, vs in store.items()}
                values["hints"] = len(getattr(node, "hints", ()))
            out[name] = values or {"up": True}
        return out


@dataclass
class Finding:
    """What a lab's grader found in a run, in the shape the replay draws.

    Args:
        verdict: a short label (``"two primaries"``, ``"lost write"``, ``"wrong vote"`` ...).
        reason: the grader's sentence.
        time_ms: when it happened (centres the figures), or None.
        key: the key involved (the timeline shows its operations), or None.
        bad_ops: history ids of the operations involved (highlighted).
    """

    verdict: str
    reason: str
    time_ms: int | None = None
    key: str | None = None
    bad_ops: tuple = field(default_factory=tuple)

    def explain(self) -> str:
        return f"{self.verdict}: {self.reason}"

    def reasons_by_op(self) -> dict:
        """``{op id: verdict}`` for the timeline's highlights."""
        return {op: self.verdict for op in self.bad_ops}


class ScriptedReplay(Replay):
    """A :class:`Replay` of a scripted run.

    Args:
        title, seed: as for :class:`Replay`.
        system: the finished run's system.
        finding: the grader's :class:`Finding` (or a checker's result).
        script: ``script(on_start)`` runs the same scenario again from the seed.
    """

    def __init__(self, title: str, seed: int, system, finding, script: Callable) -> None:
        super().__init__(title, seed, system, finding, rebuild=None, until_ms=system.now)
        self.script = script

    @property
    def finding_ms(self) -> int | None:
        """When the finding happened (ms), if known."""
        return getattr(self.result, "time_ms", None)

    @property
    def steps(self) -> ScriptedSteps:
        if self._steps is None:
            self._steps = ScriptedSteps(self.script, self.events)
            if self.finding_ms is not None:   # start just before the finding
                index = -1
                for i, e in enumerate(self._steps.events):
                    if e.time_ms > self.finding_ms:
                        break
                    index = i
                self._steps.position = index
        return self._steps

    def window(self) -> tuple[int, int]:
        t = self.finding_ms
        if t is None or getattr(self.result, "bad_ops", ()):
            return super().window()
        return max(0, t - 400), t + 200

    def cluster(self, at_ms: int | None = None):
        """The cluster graph at ``at_ms`` (default: when the violation's window begins)."""
        from ..viz import cluster_graph
        at = self.window()[0] if at_ms is None else at_ms
        return cluster_graph(stopped_copy(
            self.script, lambda s: bool(s.sim._queue) and s.sim._queue[0][0] > at))

    def __repr__(self) -> str:
        verdict = getattr(self.result, "verdict", "?")
        lo, hi = self.window()
        return (f"<Replay {self.title}: {verdict}, {len(self.history)} operations, "
                f"{len(self.events)} events; window {lo}-{hi} ms; figures(), steps.step(), "
                f"steps.state(), explain()>")
