"""A seeded workload generator: closed-loop clients issuing reads and writes of unique values.

Each client runs one operation at a time (as Jepsen's processes do), thinks for an exponential
time, and issues the next. Written values are unique integers, so checkers can tell which write a
read observed.
"""

from __future__ import annotations

from ..errors import ConfigError, check_non_negative_int, check_probability

__all__ = ["Workload"]


class Workload:
    """Clients reading and writing a few keys.

    Args:
        cluster: the :class:`~caplab.kv.Cluster`.
        clients: a count (clients ``c1``.. placed round-robin near the nodes) or client names
            (existing clients, or new ones placed round-robin).
        keys: a count (keys ``k1``..) or a list of key names.
        read_fraction: share of operations that are reads.
        mean_think_ms: mean pause between a client's operations.
        put_options / get_options: per-operation options (e.g. ``{"w": "majority"}``).
        stream: the name of the random stream (same seed, same workload).

    Example:
        >>> w = Workload(cluster, clients=4, keys=2)     # doctest: +SKIP
        >>> w.run(duration_ms=2000)                      # doctest: +SKIP
    """

    def __init__(self, cluster, *, clients=3, keys=2, read_fraction: float = 0.5,
                 mean_think_ms: int = 20, put_options: dict | None = None,
                 get_options: dict | None = None, stream: str = "workload") -> None:
        self.cluster = cluster
        self.read_fraction = check_probability("read_fraction", read_fraction)
        self.mean_think_ms = check_non_negative_int("mean_think_ms", mean_think_ms)
        if isinstance(keys, int) and not isinstance(keys, bool):
            if keys < 1:
                raise ConfigError(f"keys must be >= 1, got {keys}")
            self.keys = [f"k{i}" for i in range(1, keys + 1)]
        else:
            self.keys = list(keys)
            if not self.keys:
                raise ConfigError("keys must name at least one key")
        self.put_options = dict(put_options or {})
        self.get_options = dict(get_options or {})
        # Validate the options once, up front, so a bad option fails before anything runs.
        driver = cluster.backend.driver
        driver.validate_options("put", dict(self.put_options))
        driver.validate_options("get", dict(self.get_options))
        if isinstance(clients, int) and not isinstance(clients, bool):
            if clients < 1:
                raise ConfigError(f"clients must be >= 1, got {clients}")
            names = [f"c{i}" for i in range(1, clients + 1)]
        else:
            names = list(clients)
        nodes = cluster.nodes
        self.clients = []
        for i, name in enumerate(names):
            near = None if name in cluster.clients else nodes[i % len(nodes)]
            self.clients.append(cluster.client(name, near=near))
        self.rng = cluster.sim.rng(stream)
        self._next_value = 0
        self.issued = 0
        self.limit: int | None = None
        self.running = False
        self.handles = []

    def start(self, *, ops: int | None = None) -> "Workload":
        """Start every client; stop issuing after ``ops`` operations in total (None: never)."""
        self.limit = None if ops is None else check_non_negative_int("ops", ops)
        self.running = True
        for client in self.clients:
            self._schedule_next(client, first=True)
        return self

    def stop(self) -> None:
        """Issue no new operations (those in flight complete normally)."""
        self.running = False

    def run(self, *, duration_ms: int | None = None, ops: int | None = None) -> "Workload":
        """Run for ``duration_ms`` (or until ``ops`` were issued), then let pending ops finish."""
        if duration_ms is None and ops is None:
            raise ConfigError("give duration_ms or ops (or both)")
        self.start(ops=ops)
        sim = self.cluster.sim
        if duration_ms is not None:
            sim.run_for(check_non_negative_int("duration_ms", duration_ms))
        else:
            sim.run_until(lambda: not self.running)
        self.stop()
        sim.run_until(lambda: all(not c.pending for c in self.clients))
        return self

    def _schedule_next(self, client, first: bool = False) -> None:
        if not self.running:
            return
        think = self.rng.expovariate(1.0 / self.mean_think_ms) if self.mean_think_ms else 0
        client.set_timer(int(think), self._issue, client)

    def _issue(self, client) -> None:
        if not self.running:
            return
        if self.limit is not None and self.issued >= self.limit:
            self.running = False
            return
        self.issued += 1
        key = self.keys[self.rng.randrange(len(self.keys))]
        if self.rng.random() < self.read_fraction:
            handle = client.get_async(key, **self.get_options)
        else:
            self._next_value += 1
            handle = client.put_async(key, self._next_value, **self.put_options)
        self.handles.append(handle)
        handle.on_done(lambda result, c=client: self._schedule_next(c))
