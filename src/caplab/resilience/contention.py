"""The AWS "Exponential Backoff and Jitter" simulation on the world: N clients contend for one
row under optimistic concurrency control, backing off after each conflict.

As in the article's simulator (aws-samples/aws-arch-backoff-simulator): the row has a version;
each client reads it, then writes conditionally on the version it read; the write succeeds only
if nobody wrote in between, else the client sleeps for its backoff and starts again with a read.
Every client wants one successful write. *Calls* are the writes the row receives (the work);
*completion* is when the last client succeeds. The simulator's network is N(10, 2) one way;
here it is Uniform(7, 13) (the same mean, a similar spread) rounded up to whole ms, with base 5
and cap 2000 as in the simulator.

Strategies: ``none`` (retry at once), ``expo`` (exponential, no jitter), ``full``, ``equal``,
``decorrelated`` (:mod:`caplab.resilience.backoff`).

Example:
    >>> r = run_contention("full", clients=5, seed=1)
    >>> r["succeeded"]
    5
"""

from __future__ import annotations

from ..errors import ConfigError, UnknownNameError
from ..net.endpoint import Endpoint
from ..net.latency import Uniform
from ..net.message import message
from ..world import World
from .backoff import Backoff

__all__ = ["STRATEGIES", "strategy_backoff", "run_contention", "compare_strategies"]

STRATEGIES = ("none", "expo", "full", "equal", "decorrelated")
#: the simulator's parameters: Backoff(base=5, cap=2000)
BASE_MS, CAP_MS = 5, 2000


@message
class ReadRow:
    pass


@message
class RowVersion:
    version: int


@message
class WriteRow:
    expected: int


@message
class WriteOutcome:
    success: bool


def strategy_backoff(strategy: str, *, base_ms: float = BASE_MS,
                     cap_ms: float = CAP_MS) -> Backoff:
    """The :class:`Backoff` of a named strategy of the AWS simulation."""
    if strategy not in STRATEGIES:
        raise UnknownNameError("backoff strategy", strategy, STRATEGIES)
    if strategy == "none":
        return Backoff("none", base_ms=0, cap_ms=0)
    if strategy == "expo":
        return Backoff("none", base_ms=base_ms, cap_ms=cap_ms)
    return Backoff(strategy, base_ms=base_ms, cap_ms=cap_ms)


class Row(Endpoint):
    """One row with one version, written under optimistic concurrency control."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.version = 0
        self.calls = self.conflicts = 0

    def handle_read_row(self, msg, src: str) -> None:
        self.send(src, RowVersion(self.version))

    def handle_write_row(self, msg, src: str) -> None:
        self.calls += 1
        ok = msg.expected == self.version
        if ok:
            self.version += 1
        else:
            self.conflicts += 1
        self.send(src, WriteOutcome(ok))


class OccClient(Endpoint):
    """Reads, writes conditionally, backs off after a conflict; stops after one success."""

    is_client = True

    def __init__(self, name: str, row: str, backoff: Backoff) -> None:
        super().__init__(name)
        self.row = row
        self.backoff = backoff
        self.sleeps = None
        self.done_ms: int | None = None

    def start(self) -> None:
        self.sleeps = self.backoff.sequence(self.rng("backoff"))
        self.send(self.row, ReadRow())

    def handle_row_version(self, msg, src: str) -> None:
        self.send(self.row, WriteRow(msg.version))

    def handle_write_outcome(self, msg, src: str) -> None:
        if msg.success:
            self.done_ms = self.now
        else:
            self.set_timer(self.sleeps.next_delay_ms(), self.send, self.row, ReadRow())


def run_contention(strategy: str, *, clients: int = 20, seed: int = 0) -> dict:
    """One run: ``clients`` clients, one row, one strategy.

    Returns:
        ``{"strategy", "clients", "calls", "conflicts", "completion_ms", "succeeded"}``.

    Raises:
        UnknownNameError: an unknown strategy; ConfigError: fewer than one client.
    """
    backoff = strategy_backoff(strategy)
    if isinstance(clients, bool) or not isinstance(clients, int) or clients < 1:
        raise ConfigError(f"clients must be a whole number >= 1, got {clients!r}")
    world = World(seed=seed, latency=Uniform(7, 13), trace=False)
    row = Row("row")
    world.add_node(row)
    occ = [OccClient(f"c{i}", "row", backoff) for i in range(clients)]
    for c in occ:
        world.add_client(c, near="row")
    for c in occ:
        c.start()
    world.run_until_idle(max_events=50_000_000)
    done = [c.done_ms for c in occ if c.done_ms is not None]
    return {"strategy": strategy, "clients": clients, "calls": row.calls,
            "conflicts": row.conflicts, "completion_ms": max(done) if done else None,
            "succeeded": len(done)}


def compare_strategies(*, clients: int = 20, seeds=range(5),
                       strategies=STRATEGIES) -> dict[str, dict]:
    """Mean calls and completion time per strategy over ``seeds`` (the simulator ran 100).

    Returns:
        ``{strategy: {"calls": mean, "completion_ms": mean, "runs": n}}``.
    """
    seeds = list(seeds)
    out = {}
    for strategy in strategies:
        runs = [run_contention(strategy, clients=clients, seed=s) for s in seeds]
        out[strategy] = {"calls": sum(r["calls"] for r in runs) / len(runs),
                         "completion_ms": sum(r["completion_ms"] for r in runs) / len(runs),
                         "runs": len(runs)}
    return out
