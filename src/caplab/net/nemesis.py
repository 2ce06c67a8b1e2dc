"""The nemesis: a schedule of faults (partitions, isolations, one-way cuts, crashes, clock
skew), scripted as ``(time_ms, action, *args)`` or drawn at random from the simulation's seed.

A nemesis acts on any *target* with the fault methods of :class:`~caplab.net.Network` (a
``Network`` or a ``Cluster``): ``partition``, ``isolate``, ``cut``, ``heal``, ``crash``,
``restart``, ``skew_clock``. Every fault it injects appears in the trace as a ``nemesis`` event.
"""

from __future__ import annotations

from ..errors import ConfigError, UnknownNameError, CaplabError, check_non_negative_int

__all__ = ["Nemesis", "ACTIONS", "FAULTS"]

ACTIONS = ("partition", "isolate", "cut", "heal", "crash", "restart", "skew_clock")
FAULTS = ("partition", "isolate", "cut", "crash", "skew")


def _describe(action, args) -> str:
    shown = []
    for a in args:
        if isinstance(a, (list, tuple)):
            shown.append("[" + ",".join(map(str, a)) + "]")
        elif isinstance(a, dict):
            shown.append(",".join(f"{k}={v}" for k, v in sorted(a.items())))
        else:
            shown.append(str(a))
    return " ".join([action] + shown)


class Nemesis:
    """A fault schedule bound to a target, run by the target's simulation.

    Args:
        target: a ``Network`` or ``Cluster``.
        schedule: ``[(time_ms, action, *args), ...]``; ``action`` is one of :data:`ACTIONS`.
            A trailing dict in a ``skew_clock`` step gives its keyword arguments.

    Example:
        >>> nem = Nemesis(cluster, [(200, "isolate", "n1"), (1200, "heal")])  # doctest: +SKIP
        >>> nem.start()                                                        # doctest: +SKIP
    """

    def __init__(self, target, schedule) -> None:
        self.target = target
        steps = []
        for index, step in enumerate(schedule):
            if not isinstance(step, (list, tuple)) or len(step) < 2:
                raise ConfigError(f"nemesis step {index} must be (time_ms, action, *args), "
                                  f"got {step!r}")
            time_ms = check_non_negative_int(f"nemesis step {index} time_ms", step[0])
            action = step[1]
            if action not in ACTIONS:
                raise UnknownNameError("nemesis action", action, ACTIONS)
            steps.append((time_ms, action, tuple(step[2:])))
        self.schedule = sorted(steps, key=lambda s: s[0])
        self.applied: list[tuple[int, str]] = []
        self._timers = []

    @property
    def _sim(self):
        target = self.target
        return target.sim if hasattr(target, "sim") else target.network.sim

    def start(self) -> "Nemesis":
        """Schedule every step at its absolute simulated time (steps in the past raise)."""
        sim = self._sim
        for time_ms, action, args in self.schedule:
            if time_ms < sim.now:
                raise ConfigError(f"nemesis step at {time_ms} ms is in the past (now is "
                                  f"{sim.now} ms)")
        for time_ms, action, args in self.schedule:
            self._timers.append(sim.schedule_at(time_ms, self._apply, action, args))
        return self

    def stop(self) -> None:
        """Cancel the steps not yet applied."""
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()

    def _apply(self, action, args) -> None:
        sim = self._sim
        desc = _describe(action, args)
        kwargs = {}
        if args and isinstance(args[-1], dict):
            kwargs = args[-1]
            args = args[:-1]
        try:
            getattr(self.target, action)(*args, **kwargs)
        except CaplabError as exc:
            # The world changed under the script (e.g. a user crashed the node by hand).
            sim.trace.record(sim.now, "nemesis", None, None, None, None,
                             f"skipped {desc}: {exc}")
            return
        self.applied.append((sim.now, desc))
        sim.trace.record(sim.now, "nemesis", None, None, None, None, desc)

    def describe(self) -> list[str]:
        """The schedule as readable lines, e.g. ``'   200 ms  isolate n1'``."""
        return [f"{t:>6} ms  {_describe(a, args)}" for t, a, args in self.schedule]

    # -- random schedules ------------------------------------------------------------------
    @classmethod
    def random(cls, target, *, start_ms: int | None = None, duration_ms: int = 5000,
               faults=("partition", "isolate", "crash"), mean_gap_ms: int = 300,
               fault_ms: tuple[int, int] = (200, 1000), stream: str = "nemesis",
               nodes=None) -> "Nemesis":
        """A random schedule of one fault at a time, from the simulation's ``stream``.

        Each fault lasts a uniform time in ``fault_ms`` and is then healed (partitions, cuts)
        or undone (crashed nodes restart, skewed clocks reset); the gaps between faults are
        exponential with mean ``mean_gap_ms``. By the end everything is healed and up again.

        Args:
            faults: kinds to draw from, a subset of :data:`FAULTS`.
            nodes: the nodes to act on (default: every node of the target).
        """
        for fault in faults:
            if fault not in FAULTS:
                raise UnknownNameError("nemesis fault", fault, FAULTS)
        if not faults:
            raise ConfigError(f"faults must name at least one of {FAULTS}")
        duration_ms = check_non_negative_int("duration_ms", duration_ms)
        mean_gap_ms = check_non_negative_int("mean_gap_ms", mean_gap_ms)
        lo, hi = fault_ms
        lo, hi = check_non_negative_int("fault_ms[0]", lo), check_non_negative_int("fault_ms[1]",
                                                                                     hi)
        if hi < lo:
            raise ConfigError(f"fault_ms must be (low, high) with low <= high, got {fault_ms!r}")
        network = target if hasattr(target, "endpoints") else target.network
        sim = network.sim
        names = list(nodes) if nodes is not None else network.node_names
        if len(names) < 2:
            raise ConfigError(f"a random nemesis needs at least 2 nodes, got {names!r}")
        rng = sim.rng(stream)
        t = sim.now if start_ms is None else check_non_negative_int("start_ms", start_ms)
        end = t + duration_ms
        schedule = []
        while True:
            t += int(rng.expovariate(1.0 / max(1, mean_gap_ms)))
            if t >= end:
                break
            kind = faults[rng.randrange(len(faults))]
            length = rng.randint(lo, hi)
            stop = min(t + length, end)
            if kind == "partition":
                shuffled = sorted(names)
                rng.shuffle(shuffled)
                cut_at = rng.randint(1, len(shuffled) - 1)
                schedule.append((t, "partition", sorted(shuffled[:cut_at]),
                                 sorted(shuffled[cut_at:])))
                schedule.append((stop, "heal"))
            elif kind == "isolate":
                schedule.append((t, "isolate", names[rng.randrange(len(names))]))
                schedule.append((stop, "heal"))
            elif kind == "cut":
                a, b = rng.sample(sorted(names), 2)
                schedule.append((t, "cut", a, b))
                schedule.append((stop, "heal"))
            elif kind == "crash":
                victim = names[rng.randrange(len(names))]
                schedule.append((t, "crash", victim))
                schedule.append((stop, "restart", victim))
            elif kind == "skew":
                victim = names[rng.randrange(len(names))]
                offset = rng.randint(-500, 500)
                schedule.append((t, "skew_clock", victim, {"offset_ms": offset}))
                schedule.append((stop, "skew_clock", victim, {"offset_ms": 0}))
            t = stop
        return cls(target, schedule)
