"""Lab 5's harness: a register service made of student-written nodes, run against a workload
under a nemesis and graded by the linearizability checker, in Maelstrom's shape.

Maelstrom (Jepsen's workbench for learning, github.com/jepsen-io/maelstrom) runs the student's
node binaries as a cluster, lets its own clients send requests to them, records every
operation's invocation and completion, injects partitions with its nemesis and checks the
history (its ``lin-kv`` workload with Knossos). Here the same shape runs in-process on a
:class:`~caplab.world.World`:

* **nodes**: ``n1..nN``, each an instance of the student's :class:`RegisterNode` subclass;
* **clients**: placed round-robin near the nodes, each sending every request to its own node
  (as a Maelstrom client binds to one node), recording the operation in ``world.history``;
* **requests**: :class:`Put` (answered by :class:`PutOk`) and :class:`Get` (answered by
  :class:`GetOk`); a request with no answer within ``op_timeout_ms`` is ``info`` (unknown);
* **workload**: closed-loop clients writing unique integers and reading a couple of keys;
* **nemesis**: random partitions (a minority cut off, re-drawn without healing in between)
  and crashes (a node down for a while, then restarted). A crash keeps only the attributes the
  node class names in ``durable``: everything else is forgotten and ``setup()`` runs again.

Example:
    >>> from caplab.labkit.labs.lab05_harness import RegisterNode, run_register
    >>> class Local(RegisterNode):
    ...     durable = ("store",)
    ...     def setup(self): self.store = {}
    ...     def handle_put(self, msg, src):
    ...         self.store[msg.key] = msg.value; self.reply(src, msg)
    ...     def handle_get(self, msg, src): self.reply(src, msg, self.store.get(msg.key))
    >>> run_register(Local, seed=1, nodes=1).result.ok
    True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...check import check_linearizability
from ...errors import UnknownNameError
from ...net.latency import Uniform
from ...world import World
from ...world.client import Client, Driver
from ...world.system import System
from .lab05_node import Get, GetOk, Put, PutOk, RegisterNode, check_node_class

__all__ = ["Put", "Get", "PutOk", "GetOk", "RegisterNode", "RegisterService", "RegisterRun",
           "build_run", "run_register", "check_node_class", "KEYS"]

#: the registers the workload reads and writes (each checked on its own: linearizability is
#: local, Herlihy & Wing 1990)
KEYS = ("x", "y")
#: the nemesis: the gap between two faults, and how long a crashed node stays down
FAULT_GAP_MS = (50, 250)
CRASH_MS = (300, 900)


class RegisterDriver(Driver):
    """The client side: send each request to the client's node, match the answer by ``req``."""

    def __init__(self, service) -> None:
        self.service = service

    def validate_options(self, op: str, options: dict) -> dict:
        if op not in ("put", "get"):
            raise UnknownNameError("operation", op, ["put", "get"])
        return super().validate_options(op, options)

    def start(self, client, handle) -> None:
        op = handle.operation
        node = client.near
        handle.state["node"] = node
        msg = Put(op.key, op.input, op.id) if op.op == "put" else Get(op.key, op.id)
        client.send(node, msg)

    def receive(self, client, msg, src: str) -> None:
        handle = client.pending.get(getattr(msg, "req", None))
        if handle is None:
            return      # a late answer to an operation that already timed out
        expected = PutOk if handle.operation.op == "put" else GetOk
        if not isinstance(msg, expected):
            client.trace("client", f"ignored {msg.kind} for a {handle.operation.op}",
                         peer=src, req=msg.req)
            return
        value = msg.value if isinstance(msg, GetOk) else None
        client.finish(handle, "ok", value=value, node=src)

    def on_finish(self, client, handle) -> None:
        pass


class RegisterService(System):
    """N student nodes on a world, with clients that talk to them.

    Args:
        node_class: the student's :class:`RegisterNode` subclass.
        nodes: how many nodes (``n1``..).
        seed: the one seed of the run.
        latency: one-way latency (a model, or ms bounds); wide, so messages overtake each other.
        op_timeout_ms: a request with no answer by then is ``info``.
    """

    mode = "register"
    primary = None

    def __init__(self, node_class, *, nodes: int = 5, seed: int = 0, latency=Uniform(1, 30),
                 op_timeout_ms: int = 400) -> None:
        check_node_class(node_class)
        self.world = World(seed=seed, latency=latency, op_timeout_ms=op_timeout_ms)
        self.node_class = node_class
        self.driver = RegisterDriver(self)
        names = [f"n{i}" for i in range(1, nodes + 1)]
        self.servers = {}
        for name in names:
            node = node_class(name, names)
            self.servers[name] = node
            self.world.add_node(node)

    @property
    def nodes(self) -> list[str]:
        return list(self.servers)

    def roles(self) -> dict:
        """``replica`` for a node that is up, ``down`` for a crashed one (cluster graph)."""
        return {n: "replica" if e.up else "down" for n, e in self.servers.items()}

    def replica_records(self) -> list[dict]:
        return []

    def client(self, name: str, *, near: str) -> Client:
        """A client placed near (and talking to) node ``near``."""
        client = Client(name, self)
        self.world.add_client(client, near=near)
        return client


@dataclass
class RegisterRun:
    """One run: the service, its history, the checker's verdict and what the grader needs.

    ``error`` is the exception a node raised (the run stopped there), ``quiet_ms`` the time
    from which every node is up and the network whole.
    """

    service: RegisterService
    seed: int
    until_ms: int
    quiet_ms: int
    schedule: list
    result: Any = None
    error: BaseException | None = None

    @property
    def world(self) -> World:
        return self.service.world

    @property
    def history(self):
        return self.service.world.history

    def stuck_after_quiet(self) -> list:
        """Operations invoked once the network was whole and every node up (plus time to
        settle) that got no answer: a node that must answer did not."""
        return [op for op in self.history if op.invoke_ms >= self.quiet_ms and op.outcome != "ok"]


def _schedule(rng, names, *, start_ms, end_ms, crashes: bool, partitions: bool) -> list:
    """Faults one at a time: re-partition (a random minority cut off, no heal in between, so a
    node that fell behind can land in the majority) or crash a node for 150-600 ms."""
    t, schedule, down_until = start_ms, [], 0
    while True:
        t += rng.randint(*FAULT_GAP_MS)
        if t >= end_ms:
            break
        kinds = (["partition"] * 2 if partitions else []) + (["crash"] if crashes else [])
        kind = kinds[rng.randrange(len(kinds))]
        if kind == "partition":
            shuffled = sorted(names)
            rng.shuffle(shuffled)
            k = rng.randint(1, (len(names) - 1) // 2)
            schedule.append((t, "partition", sorted(shuffled[:k]), sorted(shuffled[k:])))
        elif t >= down_until:
            victim = names[rng.randrange(len(names))]
            down_until = min(t + rng.randint(*CRASH_MS), end_ms)
            schedule.append((t, "crash", victim))
            schedule.append((down_until, "restart", victim))
    schedule.append((end_ms, "heal"))
    return schedule


def _start_workload(service, clients, *, end_ms: int, read_fraction: float = 0.5,
                    mean_think_ms: int = 15) -> None:
    """Closed-loop clients (one operation at a time, as Jepsen's processes) writing unique
    integers and reading :data:`KEYS` until ``end_ms``."""
    rng = service.sim.rng("lab05.workload")
    counter = [0]

    def issue(client):
        if service.now >= end_ms:
            return
        key = KEYS[rng.randrange(len(KEYS))]
        if rng.random() < read_fraction:
            handle = client.invoke("get", key, None, {})
        else:
            counter[0] += 1
            handle = client.invoke("put", key, counter[0], {})
        handle.on_done(lambda _result: think(client))

    def think(client):
        client.set_timer(int(rng.expovariate(1.0 / mean_think_ms)), issue, client)

    for client in clients:
        think(client)


def build_run(node_class, seed: int, *, nodes: int = 5, clients: int | None = None,
              duration_ms: int = 3000, nemesis: bool = True, quiet_ms: int = 800,
              read_fraction: float = 0.5, **options) -> RegisterRun:
    """Set up a run (nodes, clients, workload and nemesis all scheduled) without running it:
    :func:`run_register` runs it to the end, a step-through runs it one event at a time.

    Args:
        node_class: a :class:`RegisterNode` subclass.
        seed: the run's seed (same seed, same run).
        nodes: how many nodes; one client per node, near it.
        duration_ms: how long the nemesis acts (the network is whole and every node up after).
        nemesis: False for a run without faults.
        quiet_ms: how long the workload goes on after the faults end.
        **options: passed to :class:`RegisterService` (``latency``, ``op_timeout_ms``).

    Raises:
        ConfigError: ``node_class`` is not a usable :class:`RegisterNode` subclass.
    """
    service = RegisterService(node_class, nodes=nodes, seed=seed, **options)
    names = service.nodes
    clients = [service.client(f"c{i}", near=names[(i - 1) % len(names)])
               for i in range(1, (clients or nodes) + 1)]
    end_ms = 100 + duration_ms
    schedule = []
    if nemesis:
        schedule = _schedule(service.sim.rng("lab05.nemesis"), names, start_ms=100,
                             end_ms=end_ms, crashes=True, partitions=len(names) >= 3)
        service.nemesis(schedule)
    stop_ms = end_ms + quiet_ms
    _start_workload(service, clients, end_ms=stop_ms, read_fraction=read_fraction)
    until = stop_ms + service.world.op_timeout_ms + 50
    return RegisterRun(service, seed, until, end_ms + 200, schedule)


def run_register(node_class, seed: int = 1, **options) -> RegisterRun:
    """Run ``node_class`` as a register service under the nemesis and check the history.

    Args:
        node_class, seed, **options: as in :func:`build_run`.

    Returns:
        The finished :class:`RegisterRun`: ``.history``, ``.result`` (a
        :class:`~caplab.check.LinearizabilityResult`; ``.result.explain()`` says why), and
        ``.error`` if a node raised (the run stops there; ``NotImplementedError`` propagates).

    Example:
        >>> run = run_register(MyNode, seed=3)          # doctest: +SKIP
        >>> print(run.result.explain())                 # doctest: +SKIP
    """
    run = build_run(node_class, seed, **options)
    try:
        run.service.run(until=run.until_ms)
    except NotImplementedError:
        raise
    except Exception as exc:   # the student's handler raised: report it with the seed
        run.error = exc
    run.result = check_linearizability(run.history)
    return run
