"""AP mode: a Cassandra/Dynamo-style ring of equal nodes (no primary), tolerating partitions,
crashes, clock skew and message loss by trading consistency for availability.

Constants are options with Cassandra's defaults scaled to the lab (1 lab-ms stands for roughly
3.6 real seconds where it matters):

=======================  =========  ===========================================================
option                   default    meaning (source)
=======================  =========  ===========================================================
replication_factor       3          copies of every key (Cassandra RF, Dynamo N)
vnodes                   8          tokens per node (Cassandra num_tokens; 16 in 4.0, 256 before)
write_consistency        "quorum"   acks a write waits for (Cassandra CL; Dynamo W); "any":
                                    with every replica down a stored hint acknowledges it
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
timestamps               coordinator  who stamps a write for LWW: "coordinator" (Cassandra with no
                                    client timestamp) or "client" (drivers' client-side
                                    timestamps); per put: ``timestamp=`` (USING TIMESTAMP)
sloppy_quorum            False      stand-ins past the preference list count to W and serve
                                    reads: the first N healthy nodes (Dynamo 4.6)
gossip_interval_ms       100        heartbeat period (Cassandra gossips every second)
failure_detector         "phi"      "phi": Cassandra's phi accrual detector; "timeout": a fixed
                                    silence (failure_timeout_ms)
phi_convict_threshold    8          with "phi": Cassandra's phi_convict_threshold, default 8:
                                    about 18 mean heartbeat intervals of silence (1.8 s at a
                                    100 ms gossip; more on a young detector, whose window still
                                    holds the initial 2-interval sample)
failure_timeout_ms       400        with "timeout": silence before a peer is thought down
request_timeout_ms       400        coordinator waits for replicas (write_request_timeout 2 s)
coordinator_timeout_ms   600        driver waits for a coordinator before trying the next
cas_contention_timeout_ms 200      a cas losing to other proposers retries until this long
                                    after it began (Cassandra cas_contention_timeout 1 s, half
                                    of write_request_timeout)
cas_backoff_ms           20         a contended proposer waits a random 1..this before retrying
                                    (Cassandra: a random sleep up to 100 ms)
datacenters              None       {dc: rf, ...}: Cassandra's NetworkTopologyStrategy (rf per
                                    datacenter; replication_factor becomes the sum); levels
                                    local_one, local_quorum, each_quorum (see topology.py)
node_datacenters         None       {node: dc}; None splits the nodes in order into equal groups
wan_latency_ms           None       one-way latency between nodes of different datacenters
speculative_retry        "99p"      Cassandra's table default: a read whose replica has not
                                    answered within the 99th percentile of recent read latency
                                    asks one more; "Np", "Xms", "always", or "none" (also
                                    "never") to turn it off (see speculation.py)
read_repair_fn           None       a function deciding read repairs instead of the built-in
                                    rule, in "blocking" and "async" modes (labs; LWW only; see
                                    caplab.kv.ap.repair_hook)
=======================  =========  ===========================================================

Lightweight transactions (``client.cas(key, expected, new)``; expected None is ``IF NOT
EXISTS``) and reads at ``consistency="serial"`` / ``"local_serial"`` run Paxos among the key's
replicas in Cassandra's four round trips: see :mod:`caplab.kv.ap.paxos`.

Counters (``c.stats()``): ``hints_stored``, ``hints_not_stored`` (the target had been down
longer than ``hint_window_ms``), ``hints_replayed``, ``hints_expired`` (past ``hint_ttl_ms``),
``read_repairs`` (repair messages sent), ``speculative_retries``, ``sloppy_writes``,
``lww_losses``, and ``ae_*`` for anti-entropy.

Deviations from Cassandra/Dynamo, chosen for a small deterministic lab:

* Failure detection is Cassandra's phi accrual detector (convicting at phi 8: about 18 mean
  heartbeat intervals of silence; ``failure_timeout_ms`` with ``failure_detector="timeout"``
  instead), but every node heartbeats every peer directly instead of gossiping with up to
  three random peers a second; each heartbeat carries the newest heartbeat versions its sender
  knows (relayed liveness, as in Cassandra), so a one-way cut leaves the peer alive through a
  third node and requests to it time out. Until a crashed node is convicted, coordinators keep
  sending it requests: writes to it wait out the request timeout, and a read that asks it is
  answered by the speculative retry to another replica (with ``speculative_retry="none"`` a
  read at ONE that asks it times out).
* Bootstrap and decommission stream data instantaneously (``add_node``/``remove_node``); real
  streaming takes time, during which the joining node takes writes but serves no reads.
* With ``sloppy_quorum`` stand-ins count towards W, and reads, like Dynamo's, go to the first
  N *healthy* nodes of the walk, where a stand-in answers with the hints it holds for the key
  (Dynamo keeps them in a separate local database). A stand-in always keeps its hint (Dynamo
  has no hint window). Without it (Cassandra) reads and writes count only the preference list.
* One ``request_timeout_ms`` for reads and writes (Cassandra: ``write_request_timeout`` 2 s,
  ``read_request_timeout`` 5 s). Speculative retry (default ``99p``, as Cassandra's) takes its
  percentile from the coordinator's last 100 replica answers, not the table's whole read
  latency histogram; before 10 answers it waits half of ``request_timeout_ms`` (Cassandra:
  half of ``read_request_timeout``).
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
* The failure detector's view is the only membership: there is no seed list, no schema and no
  per-table options.

Example:
    >>> from caplab.kv import Cluster
    >>> c = Cluster(mode="ap", nodes=5, seed=1, replication_factor=3)
    >>> c.client("alice", near="n1").put("x", 1).ok
    True
    >>> len(c.replicas_for("x"))
    3
"""

from __future__ import annotations

import math

from ...errors import ConfigError, UnknownNameError
from ...net.latency import latency_model
from .describe import describe_ring
from .driver import RingDriver
from .hashring import HashRing
from .membership import MembershipMixin
from .messages import LEG_KINDS
from .node import RingNode
from .options import DEFAULTS, validate_ring_options
from .speculation import parse_speculative_retry
from .versions import Version, reconcile, values_of, version_label
from ..backend import Backend

__all__ = ["Ring"]

class Ring(MembershipMixin, Backend):
    """The AP backend: nodes on a consistent-hashing ring. See the module docstring."""

    mode = "ap"
    OPTIONS = dict(DEFAULTS)
    PUBLIC = ("replicas_for", "ring", "add_node", "remove_node", "load", "ownership", "hints",
              "stats", "anti_entropy_stats", "lww_losses", "context", "set_leg_latency",
              "detector_view", "failure_detector_info", "datacenter_of")

    @classmethod
    def check_options(cls, options: dict, node_names) -> dict:
        """Validate ``options`` for a ring of ``node_names``; return them normalised.

        Raises:
            ConfigError / UnknownNameError naming the value and what is allowed.
        """
        return validate_ring_options(options, node_names)

    def describe(self):
        """Roles, options and fault presets of this ring (for views and panels)."""
        return describe_ring(self)

    def __init__(self, cluster, node_names: list[str], options: dict) -> None:
        options = self.check_options(options, node_names)
        super().__init__(cluster, node_names, options)
        self.rf = options["replication_factor"]
        self.speculation = parse_speculative_retry(options["speculative_retry"])
        #: node -> datacenter ({} without datacenters)
        self.dc_of = dict(options["node_datacenters"] or {})
        self.hashring = HashRing(node_names, options["vnodes"], dc_of=self.dc_of or None,
                                 dc_rf=options["datacenters"])
        self.counters = {"hints_stored": 0, "hints_not_stored": 0, "hints_replayed": 0,
                         "hints_expired": 0, "read_repairs": 0, "sloppy_writes": 0, "lww_losses": 0,
                         "tombstones_purged": 0, "speculative_retries": 0}
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
        wan = options["wan_latency_ms"]
        if wan is not None:      # every link between two datacenters, both ways
            for a in node_names:
                for b in node_names:
                    if a < b and self.dc_of[a] != self.dc_of[b]:
                        cluster.network.set_latency(wan, src=a, dst=b)


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

    def datacenter_of(self, node: str) -> str | None:
        """The datacenter of ``node`` (None without datacenters).

        Example:
            >>> c.datacenter_of("n4")       # doctest: +SKIP
            'dc2'
        """
        if node not in self.nodes:
            raise UnknownNameError("node", node, list(self.nodes))
        return self.dc_of.get(node)

    def ring(self) -> list[dict]:
        """Every token in ring order: token, node, vnode, angle_deg, share (of the ring)."""
        return self.hashring.entries()

    def ownership(self) -> dict[str, float]:
        """Fraction of the token ring each node owns as first replica."""
        return self.hashring.ownership()

    def load(self) -> dict[str, int]:
        """node -> number of keys it stores."""
        return {name: len(node.store.data) for name, node in self.nodes.items()}

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

    def failure_detector_info(self, node: str) -> dict[str, dict]:
        """What ``node``'s failure detector thinks of each peer now (Cassandra's ``nodetool
        failuredetector`` prints the phi of every endpoint).

        Returns:
            peer -> ``alive`` (what coordinators act on), ``silent_ms`` (since a new heartbeat
            version of the peer was last heard, directly or relayed), ``phi`` and
            ``mean_interval_ms`` (None with the "timeout" detector) and ``convicts_after_ms``:
            the silence that convicts the peer at its current mean, ``phi_convict_threshold
            x ln 10 x mean_interval_ms`` (about 18.4 means at 8), or ``failure_timeout_ms +
            1`` (a silence of *more than* the timeout).

        Raises:
            UnknownNameError: ``node`` is not a node of the ring.
            ConfigError: ``node`` is down (its detector is volatile and starts afresh).

        Example:
            >>> c.failure_detector_info("n1")["n2"]["convicts_after_ms"]   # doctest: +SKIP
            1934.2
        """
        if node not in self.nodes:
            raise UnknownNameError("node", node, list(self.nodes))
        owner = self.nodes[node]
        if not owner.up:
            up = sorted(n for n, other in self.nodes.items() if other.up)
            raise ConfigError(f"{node!r} is down: its failure detector is lost with the crash; "
                              f"ask a node that is up: {up}")
        det, now = owner.detector, self.cluster.sim.now
        phi = self.options["failure_detector"] == "phi"
        info = {}
        for peer in self.nodes:
            if peer == node:
                continue
            last = det.last_heard(peer)
            mean = det.mean_interval_ms(peer) if phi else None
            convicts = det.threshold * math.log(10) * mean if phi else det.timeout_ms
            info[peer] = {"alive": owner.is_alive(peer),
                          "silent_ms": None if last is None else now - last,
                          "phi": round(det.phi(peer, now), 3) if phi else None,
                          "mean_interval_ms": None if mean is None else round(mean, 1),
                          "convicts_after_ms": round(convicts, 1)}
        return info

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
