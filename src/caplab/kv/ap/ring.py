"""AP mode: a Cassandra/Dynamo-style ring of equal nodes (no primary), tolerating partitions,
crashes, clock skew and message loss by trading consistency for availability.

Constants are options with Cassandra's defaults scaled to the lab (1 lab-ms stands for roughly
3.6 real seconds where it matters):

=======================  =========  ===========================================================
option                   default    meaning (source)
=======================  =========  ===========================================================
replication_factor       3          copies of every key (Cassandra RF, Dynamo N)
vnodes                   8          tokens per node (Cassandra num_tokens; 16 in 4.0, 256 before)
write_consistency        "quorum"   acks a write waits for (Cassandra CL; Dynamo W)
read_consistency         "quorum"   answers a read waits for (Cassandra CL; Dynamo R)
hinted_handoff           True       keep hints for unreachable replicas (Cassandra)
hint_window_ms           3000       a coordinator stores no new hints for a node its detector
                                    has seen down longer than this; hints already stored are
                                    still replayed (Cassandra max_hint_window: 3 hours -> 3
                                    lab-seconds)
hint_ttl_ms              240000     a stored hint not replayed by then is dropped (Cassandra:
                                    hints live gc_grace_seconds, 10 days); None = never
gc_grace_ms              240000     compaction purges a tombstone this long after the delete
                                    (Cassandra gc_grace_seconds: 10 days); a replica that
                                    missed the delete and returns later resurrects the value
read_repair              blocking   "blocking": read the replicas the level needs, repair the
                                    stale ones among them before answering (Cassandra's
                                    foreground repair above ONE; 4.0: read_repair='BLOCKING');
                                    "async": read every live replica, answer after R, repair
                                    in the background (Dynamo 5; like Cassandra < 4.0's
                                    read_repair_chance=1); "off" (Cassandra 4.0 'NONE').
                                    True means "blocking", False "off". See coordinator.py
anti_entropy_ms          None       Merkle-tree repair period per node; None = off
merkle_depth             4          2**depth leaves per tree (Cassandra repairs at depth 15)
conflict                 "lww"      "lww" (Cassandra) or "siblings" (Dynamo vector clocks)
sloppy_quorum            False      stand-ins past the preference list count to W (Dynamo 4.6)
gossip_interval_ms       100        heartbeat period (Cassandra gossips every second)
failure_timeout_ms       400        silence before a peer is thought down (phi ~8 simplified)
request_timeout_ms       400        coordinator waits for replicas (write_request_timeout 2 s)
coordinator_timeout_ms   600        driver waits for a coordinator before trying the next
read_repair_fn           None       a function deciding read repairs instead of the built-in
                                    rule, in "blocking" and "async" modes (labs; LWW only; see
                                    caplab.kv.ap.repair_hook)
=======================  =========  ===========================================================

Counters (``c.stats()``): ``hints_stored``, ``hints_not_stored`` (the target had been down
longer than ``hint_window_ms``), ``hints_replayed``, ``hints_expired`` (past ``hint_ttl_ms``),
``read_repairs`` (repair messages sent), ``sloppy_writes``, ``lww_losses``, and ``ae_*`` for
anti-entropy.

Deviations from Cassandra/Dynamo, chosen for a small deterministic lab:

* Failure detection is a fixed silence timeout (``failure_timeout_ms``), not Cassandra's phi
  accrual detector (whose threshold adapts to the observed heartbeat intervals); every node
  heartbeats every peer directly instead of gossiping state through a few random peers.
* Bootstrap and decommission stream data instantaneously (``add_node``/``remove_node``); real
  streaming takes time, during which the joining node takes writes but serves no reads.
* With ``sloppy_quorum`` stand-ins count towards W, but reads never consult them: reads go to
  the key's own preference list only (Dynamo reads from the first N *healthy* nodes, so a read
  can find a stand-in's copy). A stand-in always keeps its hint (Dynamo has no hint window).
* One ``request_timeout_ms`` for reads and writes (Cassandra: ``write_request_timeout`` 2 s,
  ``read_request_timeout`` 5 s). No speculative retry: a blocking or "off" read that asked a
  replica which then stays silent times out instead of asking another one.
* Reads fetch full data from every replica asked (no digest requests) and the blocking repair
  writes the whole reconciled value (Cassandra merges per column/cell, and may also send the
  repair to extra replicas when one is slow to acknowledge it).
* Last-write-wins orders by timestamp, then (as Cassandra does for cells) by the larger
  value, compared here as its ``repr`` (Cassandra compares the serialised bytes), then by the
  coordinator's name.
* The coordinator reaches its own replica through the network (a message to itself, with the
  network's latency and faults) instead of a local read or write.
* Vector clocks are keyed by server (Dynamo 4.4): a write based on a stale read, coordinated
  by the node that issued the newer version, can supersede a version its client never saw
  (a lost update the clock cannot flag); dotted version vectors fix this (see
  ``labs/lab02-cart-merge/README.md``). Clocks are never truncated.
* Hints are kept per coordinator with no size limit or delivery throttle; replay is retried
  every ``request_timeout_ms`` while the target is seen up; the hint window is measured on
  the coordinator's own detector (Cassandra uses gossip's downtime of the endpoint).
* The failure detector's view is the only membership: there is no seed list, no schema, no
  tombstones (deletes are not modelled) and no per-table options.

Example:
    >>> from caplab.kv import Cluster
    >>> c = Cluster(mode="ap", nodes=5, seed=1, replication_factor=3)
    >>> c.client("alice", near="n1").put("x", 1).ok
    True
    >>> len(c.replicas_for("x"))
    3
"""

from __future__ import annotations

from ...errors import ConfigError, UnknownNameError
from ...net.latency import latency_model
from .describe import describe_ring
from .driver import RingDriver
from .hashring import HashRing
from .levels import check_level
from .messages import LEG_KINDS
from .node import RingNode
from .repair_hook import check_repair_hook
from .versions import Version, reconcile, values_of, version_label
from ..backend import Backend

__all__ = ["Ring", "check_level", "check_read_repair", "READ_REPAIR_MODES"]

CONFLICT_MODES = ("lww", "siblings")
READ_REPAIR_MODES = ("blocking", "async", "off")


def check_read_repair(value) -> str:
    """Normalise the ``read_repair`` option: a mode name, or True ("blocking") / False ("off").

    Raises:
        ConfigError: any other value, naming it and the allowed ones.
    """
    if value is True:
        return "blocking"
    if value is False:
        return "off"
    if isinstance(value, str) and value in READ_REPAIR_MODES:
        return value
    raise ConfigError(f"read_repair={value!r} is not a read repair mode; choose 'blocking' "
                      f"(Cassandra's foreground repair), 'async' (Dynamo) or 'off' (True means "
                      f"'blocking', False 'off')")


def _positive_int(name, value, *, allow_none=False):
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{name} must be a whole number >= 1"
                          f"{' or None' if allow_none else ''}, got {value!r}")


class Ring(Backend):
    """The AP backend: nodes on a consistent-hashing ring. See the module docstring."""

    mode = "ap"
    OPTIONS = {"replication_factor": 3, "vnodes": 8, "write_consistency": "quorum",
               "read_consistency": "quorum", "hinted_handoff": True, "hint_window_ms": 3000,
               "hint_ttl_ms": 240_000, "gc_grace_ms": 240_000, "read_repair": "blocking",
               "anti_entropy_ms": None, "merkle_depth": 4,
               "conflict": "lww", "sloppy_quorum": False, "gossip_interval_ms": 100,
               "failure_timeout_ms": 400, "request_timeout_ms": 400,
               "coordinator_timeout_ms": 600, "read_repair_fn": None}
    PUBLIC = ("replicas_for", "ring", "add_node", "remove_node", "load", "ownership", "hints",
              "stats", "anti_entropy_stats", "lww_losses", "context", "set_leg_latency",
              "detector_view")

    @classmethod
    def check_options(cls, options: dict, node_names) -> dict:
        """Validate ``options`` for a ring of ``node_names``; return them normalised.

        Raises:
            ConfigError / UnknownNameError naming the value and what is allowed.
        """
        opts = dict(options)
        rf = opts["replication_factor"]
        _positive_int("replication_factor", rf)
        if rf > len(node_names):
            raise ConfigError(f"replication_factor={rf} exceeds the number of nodes "
                              f"({len(node_names)}); choose 1 <= replication_factor <= "
                              f"{len(node_names)} or add nodes")
        _positive_int("vnodes", opts["vnodes"])
        if opts["conflict"] not in CONFLICT_MODES:
            raise UnknownNameError("conflict mode", opts["conflict"], CONFLICT_MODES)
        for name in ("write_consistency", "read_consistency"):
            opts[name] = check_level(name, opts[name], rf)
        for name in ("hint_window_ms", "gossip_interval_ms", "failure_timeout_ms",
                     "request_timeout_ms", "coordinator_timeout_ms"):
            _positive_int(name, opts[name])
        _positive_int("anti_entropy_ms", opts["anti_entropy_ms"], allow_none=True)
        _positive_int("hint_ttl_ms", opts["hint_ttl_ms"], allow_none=True)
        grace = opts["gc_grace_ms"]
        if isinstance(grace, bool) or not isinstance(grace, int) or grace < 0:
            raise ConfigError(f"gc_grace_ms must be a whole number of ms >= 0 (Cassandra's "
                              f"gc_grace_seconds; 0 purges tombstones at the next compaction), "
                              f"got {grace!r}")
        depth = opts["merkle_depth"]
        if isinstance(depth, bool) or not isinstance(depth, int) or not 0 <= depth <= 12:
            raise ConfigError(f"merkle_depth must be a whole number in 0..12, got {depth!r}")
        opts["read_repair"] = check_read_repair(opts["read_repair"])
        for name in ("hinted_handoff", "sloppy_quorum"):
            if not isinstance(opts[name], bool):
                raise ConfigError(f"{name} must be True or False, got {opts[name]!r}")
        check_repair_hook(opts["read_repair_fn"], opts["read_repair"], opts["conflict"])
        if opts["sloppy_quorum"] and not opts["hinted_handoff"]:
            raise ConfigError("sloppy_quorum=True needs hinted_handoff=True (stand-ins hand "
                              "the write back to its owner with a hint)")
        return opts

    def describe(self):
        """Roles, options and fault presets of this ring (for views and panels)."""
        return describe_ring(self)

    def __init__(self, cluster, node_names: list[str], options: dict) -> None:
        options = self.check_options(options, node_names)
        super().__init__(cluster, node_names, options)
        self.rf = options["replication_factor"]
        self.hashring = HashRing(node_names, options["vnodes"])
        self.counters = {"hints_stored": 0, "hints_not_stored": 0, "hints_replayed": 0,
                         "hints_expired": 0, "read_repairs": 0, "sloppy_writes": 0, "lww_losses": 0,
                         "tombstones_purged": 0}
        self.ae_stats = {"rounds": 0, "in_sync": 0, "tree_nodes_compared": 0,
                         "leaves_differing": 0, "keys_exchanged": 0}
        self._lww_losses: list[dict] = []
        self._lww_seen: set = set()
        self.driver = RingDriver(self)
        for name in node_names:
            node = RingNode(name, self)
            cluster.world.add_node(node)
            self.nodes[name] = node
        for index, node in enumerate(self.nodes.values()):
            node.start(index)


    # -- what the facade and the views read ----------------------------------------------------
    def roles(self) -> dict[str, str]:
        return {name: ("replica" if node.up else "down") for name, node in self.nodes.items()}

    def node_info(self) -> list[dict]:
        load = self.load()
        share = self.hashring.ownership()
        return [{"node": n, "role": "replica" if node.up else "down", "up": node.up,
                 "tokens": self.options["vnodes"], "ownership": round(share[n], 4),
                 "keys": load[n], "hints": len(node.hints),
                 "sees_down": ",".join(p for p in self.nodes if p != n and node.up
                                       and not node.is_alive(p))}
                for n, node in self.nodes.items()]

    def replica_records(self) -> list[dict]:
        """node, key, value (the winner, or a tuple of siblings), version (timestamp or
        vector clocks), siblings (how many versions). Down nodes keep their (durable) data."""
        out = []
        for name, node in self.nodes.items():
            for key in node.store.keys():
                versions = node.store.get(key)
                out.append({"node": name, "key": key, "value": values_of(versions),
                            "version": version_label(versions), "siblings": len(versions),
                            "deleted": all(v.tombstone for v in versions)})
        return out

    def export_data(self) -> dict:
        """key -> value reconciled over every node (a tuple when siblings remain)."""
        merged: dict[str, list] = {}
        for node in self.nodes.values():
            for key, versions in node.store.data.items():
                merged.setdefault(key, []).extend(versions)
        conflict = self.options["conflict"]
        return {key: values_of(reconcile(merged[key], conflict)) for key in sorted(merged)}

    def import_data(self, data: dict) -> None:
        """Every replica of every key gets the value as an already-replicated version with
        timestamp 0 and the empty vector clock, so any later write supersedes it."""
        now = self.cluster.sim.now
        for key in sorted(data):
            version = Version(data[key], 0, (), "import", now)
            for owner in self.hashring.preference_list(key, self.rf):
                self.nodes[owner].store.apply(key, (version,))

    # -- placement -----------------------------------------------------------------------------
    def replicas_for(self, key: str) -> list[str]:
        """The preference list of ``key``: ``replication_factor`` distinct nodes clockwise.

        Example:
            >>> c.replicas_for("x")        # doctest: +SKIP
            ['n4', 'n1', 'n3']
        """
        if not isinstance(key, str) or not key:
            raise ConfigError(f"key must be a non-empty string, got {key!r}")
        return self.hashring.preference_list(key, self.rf)

    def ring(self) -> list[dict]:
        """Every token in ring order: token, node, vnode, angle_deg, share (of the ring)."""
        return self.hashring.entries()

    def ownership(self) -> dict[str, float]:
        """Fraction of the token ring each node owns as first replica."""
        return self.hashring.ownership()

    def load(self) -> dict[str, int]:
        """node -> number of keys it stores."""
        return {name: len(node.store.data) for name, node in self.nodes.items()}

    def _all_keys(self) -> list[str]:
        return sorted({k for node in self.nodes.values() for k in node.store.data})

    def _stream(self, old_prefs: dict, removed: RingNode | None = None) -> dict:
        """Copy each key whose preference list changed to its new owners; drop it from nodes
        that no longer own it (Cassandra: bootstrap/decommission streaming, then cleanup).
        Streaming is instantaneous here (a deviation: real streaming takes time)."""
        conflict = self.options["conflict"]
        moved, copies = [], 0
        for key, old in old_prefs.items():
            new = self.hashring.preference_list(key, self.rf)
            if new == old and removed is None:
                continue
            if set(new) == set(old):
                continue
            sources = [self.nodes[n] for n in old if n in self.nodes]
            if removed is not None and removed.name in old:
                sources.append(removed)
            versions = reconcile([v for node in sources for v in node.store.get(key)],
                                 conflict)
            for owner in new:
                if owner not in old:
                    if versions:
                        self.nodes[owner].store.apply(key, versions)
                    copies += 1
            for owner in old:
                if owner not in new and owner in self.nodes:
                    self.nodes[owner].store.drop(key)
            moved.append(key)
        total = len(old_prefs)
        return {"keys": total, "keys_moved": len(moved),
                "key_fraction_moved": len(moved) / total if total else 0.0,
                "copies_moved": copies,
                "fraction_moved": copies / (total * self.rf) if total else 0.0,
                "moved_keys": moved}

    def add_node(self, name: str | None = None) -> dict:
        """Add a node (bootstrap): it takes ``vnodes`` tokens and the data of the ranges it now
        owns is streamed to it from the old replicas.

        Returns:
            a report: ``node``, ``keys``, ``keys_moved``, ``key_fraction_moved``,
            ``copies_moved``, ``fraction_moved`` (of replica copies; ideal ``1/(N+1)``),
            ``optimal_fraction``, ``moved_keys``, ``load`` (keys per node).

        Example:
            >>> c.add_node()["fraction_moved"]      # doctest: +SKIP
            0.171
        """
        network = self.cluster.network
        if name is None:
            i = len(self.nodes) + 1
            while f"n{i}" in network.endpoints:
                i += 1
            name = f"n{i}"
        if not isinstance(name, str) or not name:
            raise ConfigError(f"node name must be a non-empty string, got {name!r}")
        if name in network.endpoints:
            raise ConfigError(f"{name!r} already exists on the network; choose another name")
        keys = self._all_keys()
        old_prefs = {k: self.hashring.preference_list(k, self.rf) for k in keys}
        self.hashring.add(name)
        node = RingNode(name, self)
        self.cluster.world.add_node(node)
        self.nodes[name] = node
        now = self.cluster.sim.now
        for other in self.nodes.values():
            if other is not node and other.up:   # the joining node is announced by gossip
                other.last_heard[name] = now
                other.believed_up.add(name)
        node.start(len(self.nodes) - 1)
        report = self._stream(old_prefs)
        report.update(node=name, optimal_fraction=1 / len(self.nodes), load=self.load())
        self.cluster.sim.trace.record(now, "note", name, None, None, None,
                                      f"add_node {name}: moved {report['copies_moved']} "
                                      f"copies of {report['keys_moved']} keys",
                                      {"action": "add_node", "node": name,
                                       "copies_moved": report["copies_moved"],
                                       "keys_moved": report["keys_moved"]})
        return report

    def remove_node(self, name: str) -> dict:
        """Decommission ``name``: its ranges go to the next nodes clockwise, which receive the
        data by streaming; its hints go to another node; clients near it move to the next node.

        Returns:
            a report like :meth:`add_node`'s (ideal ``fraction_moved`` is ``1/N``).

        Raises:
            UnknownNameError: ``name`` is not a node.
            ConfigError: fewer than ``replication_factor`` nodes would remain.
        """
        if name not in self.nodes:
            raise UnknownNameError("node", name, list(self.nodes))
        if len(self.nodes) - 1 < self.rf:
            raise ConfigError(f"removing {name!r} would leave {len(self.nodes) - 1} nodes, fewer "
                              f"than replication_factor={self.rf}; at least {self.rf} nodes "
                              f"must remain (add a node first)")
        network = self.cluster.network
        optimal = 1 / len(self.nodes)
        keys = self._all_keys()
        old_prefs = {k: self.hashring.preference_list(k, self.rf) for k in keys}
        self.hashring.remove(name)
        node = self.nodes.pop(name)
        report = self._stream(old_prefs, removed=node)
        heir = self.nodes[next(iter(self.hashring.walk(name)))]
        for hint in node.hints:   # Cassandra decommission hands its hints over
            if hint.target != heir.name and hint.target in self.nodes:
                heir.hints.append(hint)
        for other in self.nodes.values():
            other.hints = [h for h in other.hints if h.target != name]
            other.last_heard.pop(name, None)
            other.believed_up.discard(name)
            other.down_since.pop(name, None)
        node.incarnation += 1       # its timers die
        node.up = False
        for client in sorted(network.client_names):
            if network.near(client) == name:
                network._near[client] = heir.name   # clients follow the ring to the heir
        self.cluster.world.remove_node(name)
        report.update(node=name, optimal_fraction=optimal, load=self.load())
        self.cluster.sim.trace.record(self.cluster.sim.now, "note", name, None, None, None,
                                      f"remove_node {name}: moved {report['copies_moved']} "
                                      f"copies of {report['keys_moved']} keys",
                                      {"action": "remove_node", "node": name,
                                       "copies_moved": report["copies_moved"],
                                       "keys_moved": report["keys_moved"]})
        return report

    # -- observability -------------------------------------------------------------------------
    def hints(self) -> list[dict]:
        """Hints held now: holder, target, key, value, ts (original timestamp), created_ms."""
        return [{"holder": n, "target": h.target, "key": h.key, "value": h.version.value,
                 "ts": h.version.ts, "created_ms": h.created_ms}
                for n, node in self.nodes.items() for h in node.hints]

    def stats(self) -> dict:
        """Counters: hints stored / not stored (target down longer than the hint window) /
        replayed / expired (past ``hint_ttl_ms``), read repairs, sloppy writes, LWW losses, and
        the anti-entropy counters (``ae_*``)."""
        out = dict(self.counters)
        out.update({f"ae_{k}": v for k, v in self.ae_stats.items()})
        return out

    def anti_entropy_stats(self) -> dict:
        """rounds, in_sync, tree_nodes_compared, leaves_differing, keys_exchanged."""
        return dict(self.ae_stats)

    def record_lww_loss(self, node, key, lost, winner) -> None:
        for version in lost:
            ident = (key, version._ident)
            if ident in self._lww_seen:
                continue
            self._lww_seen.add(ident)
            self.counters["lww_losses"] += 1
            later = version.at_ms > winner.at_ms
            self._lww_losses.append({
                "time_ms": node.now, "node": node.name, "key": key,
                "lost_value": version.value, "lost_ts": version.ts, "lost_at_ms": version.at_ms,
                "winner_value": winner.value, "winner_ts": winner.ts,
                "winner_at_ms": winner.at_ms, "later_write_lost": later})
            node.trace("lww", f"{key}={version.value!r} (ts={version.ts}, written at "
                              f"{version.at_ms} ms) loses to {winner.value!r} (ts={winner.ts}, "
                              f"written at {winner.at_ms} ms)"
                              + (": a later write lost to clock skew" if later else ""),
                       key=key, lost_value=version.value, lost_ts=version.ts,
                       winner_value=winner.value, winner_ts=winner.ts, later_write_lost=later)

    def lww_losses(self) -> list[dict]:
        """Writes discarded by last-write-wins because a version with a larger timestamp was
        already there; ``later_write_lost`` marks the anomaly (it happened later in true time)."""
        return [dict(r) for r in self._lww_losses]

    def context(self, client: str, key: str) -> tuple:
        """The vector-clock context the driver will send with ``client``'s next put of ``key``."""
        return self.driver.contexts.get((client, key), ())

    def detector_view(self) -> dict[str, list[str]]:
        """node -> peers its failure detector currently believes down."""
        return {n: [p for p in self.nodes if p != n and not node.is_alive(p)]
                for n, node in self.nodes.items() if node.up}

    def set_leg_latency(self, w=None, a=None, r=None, s=None) -> None:
        """Set the latency of the four PBS legs (Bailis et al. 2012): ``w`` Mutation,
        ``a`` MutationAck, ``r`` ReadRequest, ``s`` ReadResponse (models from
        :mod:`caplab.net.latency`, numbers of ms, or spec tuples; None leaves a leg alone).

        Example:
            >>> c.set_leg_latency(w=Exponential(0.2), a=5, r=5, s=5)   # doctest: +SKIP
        """
        models = {leg: latency_model(m) for leg, m in (("w", w), ("a", a), ("r", r), ("s", s))
                  if m is not None}   # all validated before any is set
        for leg, model in models.items():
            self.cluster.network.set_latency(model, kind=LEG_KINDS[leg])
