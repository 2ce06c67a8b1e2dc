"""The network: endpoints exchanging messages with latency, loss, duplication, partitions,
one-way cuts, crashes and restarts, and per-node clock skew.

Reachability rules (Jepsen-style partitions):

* ``partition(g1, g2, ...)`` splits the cluster into groups; nodes named in no group form one more
  group of their own. A client travels with the node it is ``near`` unless it is named in a group.
* ``cut(a, b)`` is one-way: ``a``'s messages to ``b`` are lost, not the reverse.
* ``heal()`` removes partitions and cuts.
* A message is checked when sent and again when it arrives: one in flight across a new cut is
  dropped on arrival, and one that arrives at a crashed endpoint is dropped.
"""

from __future__ import annotations

import math
from typing import NamedTuple

from ..errors import ConfigError, UnknownNameError, check_probability
from .latency import LatencyModel, Uniform, latency_model

__all__ = ["Network", "InFlight"]


class InFlight(NamedTuple):
    """A message on the wire (for views of messages in flight)."""

    msg_id: int
    src: str
    dst: str
    msg: object
    sent_ms: int
    arrive_ms: int


class _Rules:
    """Values looked up by (src, dst, kind), the most specific rule first, with a cache."""

    def __init__(self, default) -> None:
        self.default = default
        self.rules: dict[tuple, object] = {}
        self._cache: dict[tuple, object] = {}

    def set(self, value, src=None, dst=None, kind=None) -> None:
        self.rules[(src, dst, kind)] = value
        self._cache.clear()

    def set_default(self, value) -> None:
        self.default = value
        self._cache.clear()

    def clear(self) -> None:
        self.rules.clear()
        self._cache.clear()

    def get(self, src, dst, kind):
        if not self.rules:
            return self.default
        key = (src, dst, kind)
        value = self._cache.get(key, _MISSING)
        if value is _MISSING:
            rules = self.rules
            value = self.default
            for candidate in ((src, dst, kind), (src, dst, None), (src, None, kind),
                              (None, dst, kind), (None, None, kind), (src, None, None),
                              (None, dst, None)):
                if candidate in rules:
                    value = rules[candidate]
                    break
            self._cache[key] = value
        return value


_MISSING = object()


class Network:
    """Endpoints and the links between them, on a :class:`~caplab.sim.Simulation`.

    Args:
        sim: the simulation.
        latency: default one-way latency (a model, a number of ms, or a spec tuple).
        loss: default probability that a message is lost.
        duplicate: default probability that a message is delivered twice.
    """

    def __init__(self, sim, *, latency=Uniform(1, 5), loss: float = 0.0,
                 duplicate: float = 0.0) -> None:
        self.sim = sim
        self.endpoints: dict = {}
        self._near: dict[str, str] = {}
        self._latency = _Rules(latency_model(latency))
        self._loss = _Rules(check_probability("loss", loss))
        self._dup = _Rules(check_probability("duplicate", duplicate))
        self._groups: dict[str, int] | None = None   # endpoint -> group index
        self._cuts: set[tuple[str, str]] = set()
        self._offset_ms: dict[str, int] = {}
        self._drift: dict[str, float] = {}
        self._next_msg_id = 0
        self._in_flight: dict[int, tuple] = {}
        self.sent = 0
        self.delivered = 0
        self.dropped = 0
        self._rng_latency = sim.rng("net.latency")
        self._rng_loss = sim.rng("net.loss")

    # -- membership ----------------------------------------------------------------------
    def add(self, endpoint, *, near: str | None = None):
        """Add an endpoint; a client is placed ``near`` a node (it travels with it)."""
        if endpoint.name in self.endpoints:
            raise ConfigError(f"an endpoint named {endpoint.name!r} already exists")
        if near is not None:
            self._require(near, nodes_only=True)
            self._near[endpoint.name] = near
        self.endpoints[endpoint.name] = endpoint
        endpoint.attach(self)
        return endpoint

    def remove(self, name: str) -> None:
        self._require(name)
        del self.endpoints[name]
        self._near.pop(name, None)

    @property
    def node_names(self) -> list[str]:
        return [n for n, e in self.endpoints.items() if not e.is_client]

    @property
    def client_names(self) -> list[str]:
        return [n for n, e in self.endpoints.items() if e.is_client]

    def near(self, name: str) -> str | None:
        return self._near.get(name)

    def _require(self, name, *, nodes_only: bool = False):
        allowed = self.node_names if nodes_only else list(self.endpoints)
        if not isinstance(name, str) or name not in allowed:
            raise UnknownNameError("node" if nodes_only else "node or client", name, allowed)
        return self.endpoints[name]

    def is_up(self, name: str) -> bool:
        return self.endpoints[name].up

    # -- link settings -------------------------------------------------------------------
    def set_latency(self, model, *, src: str | None = None, dst: str | None = None,
                    kind: str | None = None, symmetric: bool = True) -> None:
        """Set the latency model for messages from ``src`` to ``dst`` of ``kind`` (None: any).

        With ``symmetric`` (default) and both ends named, the reverse link gets it too.
        """
        model = latency_model(model)
        for name in (src, dst):
            if name is not None:
                self._require(name)
        if src is None and dst is None and kind is None:
            self._latency.set_default(model)
        else:
            self._latency.set(model, src, dst, kind)
            if symmetric and src is not None and dst is not None:
                self._latency.set(model, dst, src, kind)
        self.sim.trace.record(self.sim.now, "latency", src, dst, None, None,
                              f"{kind or 'any'}: {model!r}")

    def set_loss(self, p: float, *, src=None, dst=None, kind=None) -> None:
        """Probability that a message from ``src`` to ``dst`` of ``kind`` is lost."""
        p = check_probability("loss", p)
        for name in (src, dst):
            if name is not None:
                self._require(name)
        if src is None and dst is None and kind is None:
            self._loss.set_default(p)
        else:
            self._loss.set(p, src, dst, kind)
        self.sim.trace.record(self.sim.now, "loss", src, dst, None, None, f"{kind or 'any'}: {p}")

    def set_duplicate(self, p: float, *, src=None, dst=None, kind=None) -> None:
        """Probability that a message is delivered twice (each copy with its own latency)."""
        p = check_probability("duplicate", p)
        if src is None and dst is None and kind is None:
            self._dup.set_default(p)
        else:
            self._dup.set(p, src, dst, kind)

    def latency_for(self, src: str, dst: str, kind: str | None = None) -> LatencyModel:
        return self._latency.get(src, dst, kind)

    # -- partitions ----------------------------------------------------------------------
    def _location(self, name: str) -> str:
        groups = self._groups
        if groups is not None and name in groups:
            return name
        return self._near.get(name, name)

    def reachable(self, src: str, dst: str) -> bool:
        """Whether a message from ``src`` to ``dst`` would get through the partitions/cuts now."""
        if src == dst or (self._groups is None and not self._cuts):
            return True
        lsrc, ldst = self._location(src), self._location(dst)
        groups = self._groups
        if groups is not None and groups.get(lsrc, -1) != groups.get(ldst, -1):
            return False
        cuts = self._cuts
        if cuts and ((src, dst) in cuts or (lsrc, ldst) in cuts or (lsrc, dst) in cuts
                     or (src, ldst) in cuts):
            return False
        return True

    def partition(self, *groups) -> None:
        """Split the network into ``groups`` (lists of names). Replaces any earlier partition.

        Nodes named in no group form a group of their own; clients go with their node.

        Raises:
            ConfigError: an empty group, an unknown name, or a name in two groups.
        """
        if len(groups) == 1 and groups[0] and isinstance(groups[0][0], (list, tuple, set)):
            groups = tuple(groups[0])  # partition([[...], [...]]) works too
        if len(groups) < 1:
            raise ConfigError("partition needs at least one group, e.g. "
                              "partition(['n1', 'n2'], ['n3', 'n4', 'n5'])")
        seen: dict[str, int] = {}
        for index, group in enumerate(groups):
            if isinstance(group, str):
                raise ConfigError(f"each partition group is a list of names, got the string "
                                  f"{group!r}; write [{group!r}]")
            members = list(group)
            if not members:
                raise ConfigError(f"partition group {index + 1} is empty; every group needs at "
                                  f"least one node or client")
            for name in members:
                self._require(name)
                if name in seen:
                    raise ConfigError(f"{name!r} is in partition groups {seen[name] + 1} and "
                                      f"{index + 1}; a name may be in one group only")
                seen[name] = index
        self._groups = seen
        desc = " | ".join(",".join(sorted(g)) for g in (list(g) for g in groups))
        self.sim.trace.record(self.sim.now, "partition", None, None, None, None, desc)

    def isolate(self, name: str) -> None:
        """Cut ``name`` (and the clients near it) off from everything else."""
        self._require(name)
        self._groups = {name: 0}
        self.sim.trace.record(self.sim.now, "partition", name, None, None, None,
                              f"isolate {name}")

    def cut(self, src: str, dst: str) -> None:
        """One-way cut: ``src``'s messages to ``dst`` are lost; ``dst`` still reaches ``src``."""
        self._require(src)
        self._require(dst)
        if src == dst:
            raise ConfigError(f"cannot cut {src!r} from itself; name two different endpoints")
        self._cuts.add((src, dst))
        self.sim.trace.record(self.sim.now, "cut", src, dst, None, None, f"{src} -/-> {dst}")

    def heal(self) -> None:
        """Remove every partition and cut."""
        self._groups = None
        self._cuts.clear()
        self.sim.trace.record(self.sim.now, "heal")

    @property
    def partitioned(self) -> bool:
        return self._groups is not None or bool(self._cuts)

    def groups(self) -> list[list[str]]:
        """Current partition groups of nodes and clients (one group when not partitioned)."""
        names = list(self.endpoints)
        if self._groups is None:
            return [names]
        by_index: dict[int, list[str]] = {}
        for name in names:
            by_index.setdefault(self._groups.get(self._location(name), -1), []).append(name)
        return [by_index[k] for k in sorted(by_index, key=lambda k: (k < 0, k))]

    def cuts(self) -> list[tuple[str, str]]:
        return sorted(self._cuts)

    # -- crashes -------------------------------------------------------------------------
    def crash(self, name: str) -> None:
        """Crash ``name``: it receives nothing, fires no timers, loses volatile state."""
        endpoint = self._require(name)
        if not endpoint.up:
            raise ConfigError(f"{name!r} is already down; restart({name!r}) brings it back")
        endpoint.up = False
        endpoint.incarnation += 1
        endpoint.on_crash()
        self.sim.trace.record(self.sim.now, "crash", name)

    def restart(self, name: str) -> None:
        """Restart a crashed ``name``: it keeps only what its protocol declares durable."""
        endpoint = self._require(name)
        if endpoint.up:
            raise ConfigError(f"{name!r} is not down; crash({name!r}) first")
        endpoint.up = True
        endpoint.incarnation += 1
        self.sim.trace.record(self.sim.now, "restart", name)
        endpoint.on_restart()

    # -- clocks --------------------------------------------------------------------------
    def skew_clock(self, name: str, *, offset_ms: int = 0, drift: float = 0.0) -> None:
        """Make ``name``'s clock read ``now + offset_ms + drift * now``.

        ``drift=0.01`` runs 1% fast; ``offset_ms=-50`` is 50 ms behind.
        """
        self._require(name)
        if isinstance(offset_ms, bool) or not isinstance(offset_ms, (int, float)):
            raise ConfigError(f"offset_ms must be a number of milliseconds, got {offset_ms!r}")
        try:
            drift = float(drift)
        except (TypeError, ValueError):
            raise ConfigError(f"drift must be a number > -1, got {drift!r}") from None
        if not drift > -1.0 or math.isinf(drift):
            raise ConfigError(f"drift must be a finite number > -1 (a clock cannot run "
                              f"backwards), got {drift!r}")
        self._offset_ms[name] = int(offset_ms)
        self._drift[name] = drift
        self.sim.trace.record(self.sim.now, "skew", name, None, None, None,
                              f"offset {int(offset_ms)} ms, drift {drift}")

    def local_time(self, name: str) -> int:
        now = self.sim._now
        offset = self._offset_ms.get(name)
        if offset is None:
            return now
        return now + offset + int(self._drift.get(name, 0.0) * now)

    @property
    def in_flight(self) -> list[InFlight]:
        """Messages on the wire now, oldest first."""
        return [InFlight(i, *t) for i, t in sorted(self._in_flight.items())]

    # -- messages ------------------------------------------------------------------------
    def send(self, src: str, dst: str, msg) -> None:
        """Send ``msg`` from ``src`` to ``dst`` through the current network conditions."""
        endpoints = self.endpoints
        if dst not in endpoints:
            raise UnknownNameError("destination", dst, list(endpoints))
        sim = self.sim
        now = sim._now
        trace = sim.trace
        tracing = trace.enabled
        self._next_msg_id += 1
        msg_id = self._next_msg_id
        self.sent += 1
        kind = msg.kind
        if tracing:
            trace.record(now, "send", src, dst, msg_id, msg)
        loss = self._loss.get(src, dst, kind)
        if loss and self._rng_loss.random() < loss:
            self.dropped += 1
            if tracing:
                trace.record(now, "drop", src, dst, msg_id, msg, "loss")
            return
        if not self.reachable(src, dst):
            self.dropped += 1
            if tracing:
                trace.record(now, "drop", src, dst, msg_id, msg, "partition")
            return
        model = self._latency.get(src, dst, kind)
        delay = math.ceil(model.sample(self._rng_latency) - 1e-9)
        if delay < 0:
            delay = 0
        self._in_flight[msg_id] = (src, dst, msg, now, now + delay)
        # The receiving endpoint object travels with the message: if the endpoint is replaced
        # before arrival (Cluster.switch_mode), the message is dropped, not handed to a stranger.
        target = endpoints[dst]
        sim._push_event(now + delay, self._deliver, (src, dst, msg_id, msg, target))
        dup = self._dup.get(src, dst, kind)
        if dup and self._rng_loss.random() < dup:
            delay2 = max(0, math.ceil(model.sample(self._rng_latency) - 1e-9))
            trace.record(now, "duplicate", src, dst, msg_id, msg)
            sim._push_event(now + max(0, delay2), self._deliver,
                            (src, dst, msg_id, msg, target))

    def _deliver(self, src, dst, msg_id, msg, target) -> None:
        self._in_flight.pop(msg_id, None)
        sim = self.sim
        endpoint = self.endpoints.get(dst)
        if endpoint is not target:
            self.dropped += 1
            sim.trace.record(sim._now, "drop", src, dst, msg_id, msg, "endpoint replaced")
            return
        if not endpoint.up:
            self.dropped += 1
            sim.trace.record(sim._now, "drop", src, dst, msg_id, msg, "crashed")
            return
        if not self.reachable(src, dst):
            self.dropped += 1
            sim.trace.record(sim._now, "drop", src, dst, msg_id, msg, "partition")
            return
        self.delivered += 1
        trace = sim.trace
        if trace.enabled:
            trace.record(sim._now, "deliver", src, dst, msg_id, msg)
        endpoint.receive(msg, src)
