"""The ``Cluster`` facade: the replicated key-value store as a system on a world.

``mode="cp"`` is a MongoDB-style replica set (:mod:`caplab.kv.cp`); ``mode="ap"`` is a
Cassandra/Dynamo-style ring (:mod:`caplab.kv.ap`); ``mode="ca"`` a MySQL-style source with
replicas and no automatic failover (:mod:`caplab.kv.ca`). The world underneath
(:class:`~caplab.world.World`: simulation, network, faults, time, history) is the one every
system shares; the cluster adds its nodes, its clients' ``put``/``get`` and its state.
"""

from __future__ import annotations

import importlib

from ..errors import ConfigError, UnknownNameError, check_non_negative_int
from ..net.latency import Uniform
from ..world.system import System
from ..world.world import World
from .backend import validate_options
from .client import Client

__all__ = ["Cluster", "MODES"]

#: mode -> (module, backend class name)
MODES = {"cp": ("caplab.kv.cp", "ReplicaSet"), "ap": ("caplab.kv.ap", "Ring"),
         "ca": ("caplab.kv.ca", "SourceReplicas")}


def _backend_class(mode):
    if mode not in MODES:
        raise UnknownNameError("mode", mode, sorted(MODES))
    module, name = MODES[mode]
    return getattr(importlib.import_module(module), name)


class Cluster(System):
    """A replicated key-value store on a deterministic simulated network.

    Args:
        mode: ``"cp"`` (replica set), ``"ap"`` (ring) or ``"ca"`` (source and replicas).
        nodes: how many nodes (named ``n1`` .. ``nN``) or a list of names.
        seed: the one seed of all randomness (same seed, same history).
        latency: default one-way network latency (model, ms, or spec tuple).
        loss: default message loss probability.
        op_timeout_ms: how long a client waits before an operation is ``info`` (unknown).
        trace: keep a trace of every event (switch off for long benchmarks).
        world: stand on this :class:`~caplab.world.World` (shared with other systems) instead
            of a new one; ``seed``, ``latency``, ``loss``, ``op_timeout_ms`` and ``trace`` are
            then the world's.
        **mode_options: options of the mode (see ``Cluster.options_for(mode)``).

    Example:
        >>> c = Cluster(mode="cp", nodes=3, seed=1)       # doctest: +SKIP
        >>> alice = c.client("alice", near="n1")           # doctest: +SKIP
        >>> alice.put("x", "1").ok                         # doctest: +SKIP
        True
    """

    def __init__(self, mode: str = "cp", nodes=3, *, seed: int = 0, latency=Uniform(1, 5),
                 loss: float = 0.0, op_timeout_ms: int = 2000, trace: bool = True,
                 world: World | None = None, **mode_options) -> None:
        backend_cls = _backend_class(mode)
        names = self._node_names(nodes)
        options = self._mode_options(backend_cls, mode, mode_options)
        options = backend_cls.check_options(options, names)   # every value, before building
        self.world = world = self.world_for(world, names, seed=seed, latency=latency, loss=loss,
                                            op_timeout_ms=op_timeout_ms, trace=trace)
        self.mode = mode
        self.snapshots: list[tuple[int, str, str, object]] = []
        self._watch_timer = None
        self._led = None            # (backend, has a leader role), see stable()
        self.backend = backend_cls(self, names, options)
        self.world.note(f"cluster mode={mode} nodes={','.join(names)} seed={world.seed}",
                        system="kv", mode=mode, nodes=tuple(names))

    # -- construction helpers ----------------------------------------------------------------
    @staticmethod
    def _node_names(nodes) -> list[str]:
        if isinstance(nodes, bool):
            raise ConfigError(f"nodes must be a count >= 1 or a list of names, got {nodes!r}")
        if isinstance(nodes, int):
            if nodes < 1 or nodes > 50:
                raise ConfigError(f"nodes must be between 1 and 50, got {nodes}")
            return [f"n{i}" for i in range(1, nodes + 1)]
        try:
            names = list(nodes)
        except TypeError:
            raise ConfigError(f"nodes must be a count or a list of names, got {nodes!r}") from None
        if not names or not all(isinstance(n, str) and n for n in names):
            raise ConfigError(f"node names must be non-empty strings, got {nodes!r}")
        if len(set(names)) != len(names):
            raise ConfigError(f"node names must be distinct, got {names!r}")
        return names

    @staticmethod
    def _mode_options(backend_cls, mode, given) -> dict:
        return validate_options(f"option for mode {mode!r}", given, backend_cls.OPTIONS)

    @staticmethod
    def options_for(mode: str) -> dict:
        """The options a mode accepts, with their defaults."""
        return dict(_backend_class(mode).OPTIONS)

    # -- membership ----------------------------------------------------------------------------
    @property
    def nodes(self) -> list[str]:
        """Node names, in order."""
        return list(self.backend.nodes)

    def _own_nodes(self) -> list[str]:
        return self.nodes

    @property
    def driver(self):
        """The client library of the current mode (its clients' operations go through it)."""
        return self.backend.driver

    def stable(self) -> bool:
        """Whether the store has settled: a mode with a leader role has a leader that accepts
        writes (CP: a writable primary, after its election and catch-up; CA: a primary)."""
        # Called after every event by run_until_stable: read what the mode said of its roles
        # once per backend, not a fresh description each time.
        if self._led is None or self._led[0] is not self.backend:
            self._led = (self.backend, bool(self.backend.describe().leader_roles))
        if not self._led[1]:
            return True
        leader = (self.backend.writable_primary if "writable_primary" in self.backend.PUBLIC
                  else self.primary)
        return leader is not None

    def describe(self):
        """What the current mode tells views and panels: roles, options, presets."""
        return self.backend.describe()

    def client(self, name: str, near: str | None = None) -> Client:
        """The client called ``name``, created near node ``near`` (default: the first node).

        Asking again for an existing client returns it (``near`` must then match or be None).
        """
        if not isinstance(name, str) or not name:
            raise ConfigError(f"client name must be a non-empty string, got {name!r}")
        existing = self.clients.get(name)
        if existing is not None:
            if near is not None and near != existing.near:
                raise ConfigError(f"client {name!r} already exists near {existing.near!r}, not "
                                  f"{near!r}")
            return existing
        if name in self.network.endpoints:
            raise ConfigError(f"{name!r} is a node name; choose another name for the client")
        near = self.nodes[0] if near is None else near
        self._require_node(near)
        client = Client(name, self)
        self.world.add_client(client, near=near)
        return client

    # -- state ------------------------------------------------------------------------------
    @property
    def primary(self) -> str | None:
        """The node that is primary (CP mode), or None."""
        return self.backend.primary

    def roles(self) -> dict[str, str]:
        """node -> role (``primary``, ``secondary``, ``candidate``, ``replica``, ``down``)."""
        return self.backend.roles()

    def node_records(self) -> list[dict]:
        """One dict per node (role, term, ... depending on the mode).

        ``caplab.frames.node_frame(c)`` shows them as a table.
        """
        return self.backend.node_info()

    def replica_records(self) -> list[dict]:
        """What every node holds: dicts with node, key, value, version.

        ``caplab.frames.replica_state_frame(c)`` shows them as a node x key table.
        """
        return self.backend.replica_records()

    def watch(self, every_ms: int = 50) -> None:
        """Sample replica state every ``every_ms`` into ``snapshots`` (for convergence curves)."""
        every_ms = check_non_negative_int("every_ms", every_ms)
        if every_ms == 0:
            raise ConfigError("every_ms must be > 0")
        if self._watch_timer is not None:
            self._watch_timer.cancel()
        self._sample(every_ms)

    def _sample(self, every_ms: int) -> None:
        now = self.sim.now
        for rec in self.backend.replica_records():
            self.snapshots.append((now, rec["node"], rec["key"], rec["value"]))
        self._watch_timer = self.sim.schedule(every_ms, self._sample, every_ms, daemon=True)

    # -- mode switching ---------------------------------------------------------------------
    def switch_mode(self, mode: str, **mode_options) -> None:
        """Switch to ``mode`` keeping the nodes, clients, network state and current data.

        Operations still in flight end as ``info`` (unknown); the history goes on.
        """
        backend_cls = _backend_class(mode)
        options = self._mode_options(backend_cls, mode, mode_options)
        names = self.nodes
        options = backend_cls.check_options(options, names)   # refuse before anything changes
        data = self.backend.export_data()
        down = [n for n in names if not self.backend.nodes[n].up]
        for client in self.clients.values():
            for handle in sorted(client.pending.values(), key=lambda h: h.id):
                client.finish(handle, "info", error="cluster switched mode: outcome unknown "
                                                    "(indefinite)")
        self.backend.close()
        for name in names:
            self.world.remove_node(name)
        self.mode = mode
        self.backend = backend_cls(self, names, options)   # clients keep their 'near' node
        self.backend.import_data(data)
        for name in down:
            self.network.crash(name)
        self.world.note(f"switched to mode={mode} carrying {len(data)} keys",
                        system="kv", mode=mode, keys=len(data))

    # -- mode-specific features -----------------------------------------------------------
    def __getattr__(self, name):
        # Called only for attributes not found normally: mode-specific features such as
        # rollbacks() (CP) or replicas_for() (AP) live on the backend.
        if name.startswith("_") or "backend" not in self.__dict__:
            raise AttributeError(name)
        backend = self.__dict__["backend"]
        if name in backend.PUBLIC:
            return getattr(backend, name)
        for other, (module, cls_name) in MODES.items():
            if other != self.mode:
                try:
                    other_public = _backend_class(other).PUBLIC
                except ImportError:
                    continue
                if name in other_public:
                    raise ConfigError(f"{name}() is a {other.upper()}-mode feature; this cluster "
                                      f"is in {self.mode!r} mode (switch_mode({other!r}) to use it)")
        raise AttributeError(f"'Cluster' object has no attribute {name!r}")

    def __repr__(self) -> str:
        return (f"<Cluster mode={self.mode} nodes={len(self.nodes)} now={self.now} ms "
                f"ops={len(self.history)}>")
