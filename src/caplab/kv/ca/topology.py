"""The backend behind ``Cluster(mode="ca")``: one source, its replicas, and the operator.

The operator's one action is :meth:`SourceReplicas.promote`. The records the lab keeps as an
observer (what each source committed and acknowledged, what was discarded on rejoin, when
semi-sync switched) are here too, not on the servers.
"""

from __future__ import annotations

from typing import Any

from ...errors import ConfigError, UnknownNameError
from ..backend import Backend
from .binlog import Event, gtid_text
from .describe import describe_topology
from .driver import SourceReplicaDriver
from .node import PRIMARY, REPLICA, MySQLNode
from .options import DEFAULTS, validate_options

__all__ = ["SourceReplicas"]


class SourceReplicas(Backend):
    """A MySQL-style source with replicas (see :mod:`caplab.kv.ca` for rules and options).

    Attributes:
        source: the node the topology metadata names as the source (MySQL Router routes
            writes there); it changes only through :meth:`promote`.
        generation: 1, plus one for every promotion.

    Example:
        >>> from caplab.kv import Cluster
        >>> c = Cluster(mode="ca", nodes=3, seed=1)
        >>> c.client("alice", near="n2").put("x", "1").ok, c.primary
        (True, 'n1')
    """

    mode = "ca"
    OPTIONS = dict(DEFAULTS)
    PUBLIC = ("promote", "lost_writes", "errant_transactions", "replication_lag",
              "semi_sync_events", "binlog", "promotions")

    @classmethod
    def check_options(cls, options: dict, node_names) -> dict:
        """Validate the topology's options; return them normalised (see ``options.py``)."""
        return validate_options(options, list(node_names))

    def describe(self):
        """Roles, options and fault presets of this topology (for views and panels)."""
        return describe_topology(self)

    def __init__(self, cluster, node_names: list[str], options: dict) -> None:
        options = self.check_options(options, node_names)   # before any change
        super().__init__(cluster, node_names, options)
        self.node_names = list(node_names)
        self.source = options["primary"]
        self.generation = 1
        self.commit_log: list[dict] = []
        self.errant_log: list[dict] = []
        self.semi_sync_log: list[dict] = []
        self.promotion_log: list[dict] = []
        self.driver = SourceReplicaDriver(self)
        for name in node_names:
            role = PRIMARY if name == self.source else REPLICA
            node = MySQLNode(name, self, role, self.source)
            cluster.world.add_node(node)
            self.nodes[name] = node
        for node in self.nodes.values():
            node.start()

    # -- records the servers write ---------------------------------------------------------
    def record_commit(self, node: str, event: Event, *, acked: bool) -> None:
        self.commit_log.append({"node": node, "time_ms": self.cluster.now, "gtid": event.gtid,
                                "key": event.key, "value": event.value, "acked": acked})

    def record_errant(self, node: str, time_ms: int, source: str, events: list) -> None:
        acked = {r["gtid"] for r in self.commit_log if r["acked"]}
        for e in events:
            self.errant_log.append({"node": node, "time_ms": time_ms, "source": source,
                                    "gtid": gtid_text(e.gtid), "key": e.key, "value": e.value,
                                    "acknowledged": e.gtid in acked})

    def record_semi_sync(self, node: str, time_ms: int, data) -> None:
        self.semi_sync_log.append({"node": node, "time_ms": time_ms, "on": data.on,
                                   "reason": data.reason, "acked_replicas": data.acked_replicas,
                                   "needed": data.needed, "waited_ms": data.waited_ms})

    # -- the operator ----------------------------------------------------------------------
    def promote(self, node: str) -> list[dict]:
        """Make replica ``node`` the source, as an operator does after losing the primary.

        MySQL replication never fails over by itself; an operator runs ``STOP REPLICA; RESET
        REPLICA ALL`` and turns off ``super_read_only`` on the chosen replica, then points the
        others at it (``CHANGE REPLICATION SOURCE TO``), or MySQL Shell's
        ``ReplicaSet.forcePrimaryInstance()`` does it all (MySQL Shell 8.0, 9.8 "Forcing a New
        Primary Instance": "a potentially destructive action"). Here the promoted node applies
        its relay log and accepts writes at once; every node that is up and reachable from it
        (the old source too, if it is) follows it; the others follow it when they restart or
        hear from it. Transactions the old source committed that ``node`` never received are
        lost (:meth:`lost_writes`); unlike MySQL Shell, any up replica may be chosen, even one
        that is not the most up to date.

        Returns:
            the writes lost by this promotion (acknowledged, not on ``node``), as
            :meth:`lost_writes` lists them.

        Raises:
            UnknownNameError: ``node`` is not a node of the topology (nothing changes).
            ConfigError: ``node`` is down, or is already the source (nothing changes).

        Example:
            >>> c.crash("n1"); c.promote("n2"); c.primary          # doctest: +SKIP
            'n2'
        """
        if node not in self.nodes:
            raise UnknownNameError("node to promote", node, self.node_names)
        target = self.nodes[node]
        replicas_up = [n for n in self.node_names if self.nodes[n].up and n != self.source]
        if not target.up:
            raise ConfigError(f"cannot promote {node!r}: it is down; restart({node!r}) first, "
                              f"or promote one of the replicas that are up: {replicas_up}")
        if node == self.source:
            raise ConfigError(f"{node!r} is already the source; promote() takes a replica, one "
                              f"of {[n for n in self.node_names if n != node]}")
        before = {r["gtid"] for r in self.lost_writes()}
        old = self.source
        self.generation += 1
        self.source = node
        target.become_primary(self.generation)
        network = self.cluster.network
        for name in self.node_names:
            other = self.nodes[name]
            if name != node and other.up and network.reachable(node, name):
                other.become_replica(node, self.generation, "the operator pointed it at the "
                                                            "new source")
        lost = [r for r in self.lost_writes() if r["gtid"] not in before]
        self.promotion_log.append({"time_ms": self.cluster.now, "old": old, "new": node,
                                   "generation": self.generation, "lost": len(lost)})
        return lost

    # -- public, mode-specific -------------------------------------------------------------
    def lost_writes(self) -> list[dict]:
        """Acknowledged writes the current source does not hold: dicts ``node`` (the source
        that acknowledged it), ``time_ms``, ``gtid``, ``key``, ``value``.

        Only a promotion loses writes: the old source committed them (MySQL: asynchronously,
        or after a semi-sync fallback) and the promoted replica never received them.

        Example:
            >>> c.lost_writes()                                   # doctest: +SKIP
            [{'node': 'n1', 'time_ms': 412, 'gtid': 'n1:7', 'key': 'x', 'value': 3}]
        """
        held = self.nodes[self.source].binlog.gtids()
        return [{"node": r["node"], "time_ms": r["time_ms"], "gtid": gtid_text(r["gtid"]),
                 "key": r["key"], "value": r["value"]}
                for r in self.commit_log if r["acked"] and r["gtid"] not in held]

    def errant_transactions(self) -> list[dict]:
        """Transactions removed from a node that rejoined a newer source: dicts ``node,
        time_ms, source, gtid, key, value, acknowledged`` (see :mod:`caplab.kv.ca.replica`)."""
        return [dict(r) for r in self.errant_log]

    def semi_sync_events(self) -> list[dict]:
        """Every switch of semi-sync off (timeout) and on (replicas caught up)."""
        return [dict(r) for r in self.semi_sync_log]

    def promotions(self) -> list[dict]:
        """Every :meth:`promote`: ``time_ms, old, new, generation, lost``."""
        return [dict(r) for r in self.promotion_log]

    def replication_lag(self) -> dict[str, int]:
        """node -> how far (ms) each replica's applied data is behind the source's binlog: the
        age of the oldest source event it has not applied, 0 when caught up (what
        pt-heartbeat measures; MySQL's ``Seconds_Behind_Source`` estimates it)."""
        source = self.nodes[self.source].binlog
        now = self.cluster.now
        lag = {}
        for name in self.node_names:
            if name == self.source:
                continue
            mine = self.nodes[name].binlog
            common = 0
            for i in range(min(mine.applied_index, source.last_index), 0, -1):
                if mine.gtid_at(i) == source.gtid_at(i):
                    common = i
                    break
            lag[name] = 0 if common >= source.last_index else now - source.entries[common].time_ms
        return lag

    def binlog(self, node: str) -> list[Event]:
        """The binlog (and relay log) events of ``node``, oldest first."""
        if node not in self.nodes:
            raise UnknownNameError("node", node, self.node_names)
        return list(self.nodes[node].binlog.entries)

    # -- what the facade and views read ----------------------------------------------------
    def roles(self) -> dict[str, str]:
        """Each node's own view of its role: a cut-off old source still says ``primary``."""
        return {name: (node.role if node.up else "down") for name, node in self.nodes.items()}

    @property
    def primary(self) -> str | None:
        """The source named by the topology metadata (even while it is down or cut off)."""
        return self.source

    def node_info(self) -> list[dict]:
        lag = self.replication_lag()
        return [{"node": name, "role": node.role if node.up else "down", "up": node.up,
                 "source": node.source_name, "generation": node.generation,
                 "binlog_len": node.binlog.last_index, "applied": node.binlog.applied_index,
                 "lag_ms": lag.get(name, 0),
                 "semi_sync": node.semi_sync_active if node.role == PRIMARY else None}
                for name, node in self.nodes.items()]

    def replica_records(self) -> list[dict]:
        rows = []
        for name, node in self.nodes.items():
            for key in node.binlog.keys():
                value, version = node.binlog.get(key)
                rows.append({"node": name, "key": key, "value": value, "version": version})
        return rows

    def export_data(self) -> dict[str, Any]:
        binlog = self.nodes[self.source].binlog
        return {key: binlog.get(key)[0] for key in binlog.keys()}

    def import_data(self, data: dict[str, Any]) -> None:
        """Load ``data`` into every node as already-replicated, applied events."""
        now = self.cluster.now
        for node in self.nodes.values():
            for seq, key in enumerate(sorted(data), start=1):
                node.binlog.append(Event(node.binlog.last_index + 1, ("import", seq), key,
                                         data[key], now))
            node.binlog.apply_upto(node.binlog.last_index)
            if node.role == PRIMARY:
                node.next_index = {p: node.binlog.last_index + 1 for p in node.peers}
