"""The world every system runs on: one seeded simulation, one network with its faults, time,
clients and one history, written once.

A system (the key-value store, and later transactions, buses, services) is a facade that stands
on a :class:`World` (:class:`caplab.world.system.System`): it adds its own nodes and operations;
the world owns partitions, one-way cuts, crashes and restarts, clock skew, the nemesis, the
clock, the trace and the history of every client operation. Several systems may share one world
(a bus and the services that use it), as long as their node names differ.

Example:
    >>> w = World(seed=1)
    >>> w.now
    0
"""

from __future__ import annotations

from ..errors import ConfigError, UnknownNameError, check_non_negative_int
from ..history.record import History
from ..net.latency import Uniform
from ..net.nemesis import Nemesis
from ..net.network import Network
from ..sim.kernel import Simulation

__all__ = ["World"]


class World:
    """One simulation, one network, the faults, time, clients and history.

    Args:
        seed: the one seed of all randomness (same seed, same history).
        latency: default one-way network latency (model, ms, or spec tuple).
        loss: default message loss probability.
        op_timeout_ms: how long a client waits before an operation is ``info`` (unknown).
        trace: keep a trace of every event (switch off for long benchmarks).

    Raises:
        ConfigError: a bad seed, latency, loss or timeout; nothing is built.
    """

    def __init__(self, *, seed: int = 0, latency=Uniform(1, 5), loss: float = 0.0,
                 op_timeout_ms: int = 2000, trace: bool = True) -> None:
        self.op_timeout_ms = check_non_negative_int("op_timeout_ms", op_timeout_ms)
        if self.op_timeout_ms == 0:
            raise ConfigError("op_timeout_ms must be > 0, got 0")
        self.seed = seed
        self.sim = Simulation(seed, trace=trace)
        self.network = Network(self.sim, latency=latency, loss=loss)
        self.history = History()
        self.clients: dict = {}
        self.node_names: list[str] = []   # server endpoints (fault targets), in order added

    # -- membership ----------------------------------------------------------------------------
    def add_node(self, endpoint, near: str | None = None) -> None:
        """Put a server endpoint on the network; it becomes a target for faults."""
        self.network.add(endpoint, near=near)
        if endpoint.name not in self.node_names:
            self.node_names.append(endpoint.name)

    def remove_node(self, name: str) -> None:
        """Take a server endpoint off the network (a system leaving the world)."""
        if name in self.network.endpoints:
            self.network.remove(name)
        if name in self.node_names:
            self.node_names.remove(name)

    @property
    def nodes(self) -> list[str]:
        """Server endpoint names, in the order they were added."""
        return list(self.node_names)

    def add_client(self, client, near: str) -> None:
        """Place ``client`` near node ``near`` (it travels with that node in partitions)."""
        if client.name in self.network.endpoints:
            raise ConfigError(f"{client.name!r} is already on the network; choose another name")
        self.require_node(near)
        self.network.add(client, near=near)
        self.clients[client.name] = client

    def require_node(self, name: str) -> None:
        """Raise :class:`UnknownNameError` unless ``name`` is a node of this world."""
        if name not in self.node_names:
            raise UnknownNameError("node", name, self.node_names)

    # -- faults (every change is traced by the network) --------------------------------------
    def partition(self, *groups) -> None:
        """Split the network: ``w.partition(["n1", "alice"], ["n2", "n3"])``."""
        self.network.partition(*groups)

    def isolate(self, name: str) -> None:
        """Cut ``name`` (and clients near it) off from everyone else."""
        self.network.isolate(name)

    def cut(self, src: str, dst: str) -> None:
        """One-way cut: ``src``'s messages to ``dst`` are lost."""
        self.network.cut(src, dst)

    def heal(self) -> None:
        """Remove all partitions and cuts."""
        self.network.heal()

    def crash(self, name: str) -> None:
        """Crash a node: volatile state is lost, durable state is kept."""
        self.require_node(name)
        self.network.crash(name)

    def restart(self, name: str) -> None:
        """Restart a crashed node."""
        self.require_node(name)
        self.network.restart(name)

    def skew_clock(self, name: str, *, offset_ms: int = 0, drift: float = 0.0) -> None:
        """Skew a node's clock (used by timestamp-based conflict resolution)."""
        self.require_node(name)
        self.network.skew_clock(name, offset_ms=offset_ms, drift=drift)

    def nemesis(self, schedule=None, **random_options) -> Nemesis:
        """Start a fault schedule: scripted ``[(time_ms, action, *args)]`` or random.

        ``w.nemesis([(100, "isolate", "n1"), (900, "heal")])`` or
        ``w.nemesis(duration_ms=5000, faults=("partition", "crash"))``.
        """
        if schedule is not None:
            if random_options:
                raise ConfigError("give either a schedule or random options, not both")
            return Nemesis(self, schedule).start()
        return Nemesis.random(self, nodes=self.nodes, **random_options).start()

    # -- time -------------------------------------------------------------------------------
    @property
    def now(self) -> int:
        """Simulated time in milliseconds."""
        return self.sim.now

    def run_for(self, ms: int) -> None:
        """Let ``ms`` simulated milliseconds pass."""
        self.sim.run_for(ms)

    def run(self, until: int) -> None:
        """Run until simulated time ``until``."""
        self.sim.run(until=until)

    def step(self) -> bool:
        """Run one event."""
        return self.sim.step()

    def run_until_idle(self, *, max_events: int = 1_000_000) -> int:
        """Run until no client operation or message is pending (heartbeats don't count)."""
        return self.sim.run_until_idle(max_events=max_events)

    def run_until(self, predicate, *, timeout_ms: int | None = None) -> bool:
        """Run until ``predicate()`` is true (or ``timeout_ms`` passes); True if it became so."""
        return self.sim.run_until(predicate, timeout_ms=timeout_ms)

    def note(self, detail: str, **data) -> None:
        """Write a note into the trace (what an operator or a scenario did)."""
        self.sim.trace.record(self.sim.now, "note", None, None, None, None, detail, data)

    def __repr__(self) -> str:
        return (f"<World seed={self.seed} nodes={len(self.node_names)} now={self.now} ms "
                f"ops={len(self.history)}>")
