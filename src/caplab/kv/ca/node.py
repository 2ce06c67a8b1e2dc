"""A server of the MySQL-style topology: the source (``primary``) or a replica.

Durable (survives a crash; MySQL keeps it in the binary log, InnoDB and the crash-safe
replication metadata tables): the binlog and what is applied, the role, the source it follows,
the generation, the GTID counter. Volatile: connections, semi-sync waiters and status,
replication progress of the replicas, the applier timer.

No rule here ever promotes a node: MySQL replication has no failure detection and no automatic
failover (MySQL Shell 8.0, 9.8 "Forcing a New Primary Instance": an InnoDB ReplicaSet "does not
have automatic failure detection or a consensus-based protocol"; a ReplicaSet that lost its
primary is read-only until an operator chooses a new one). Only the operator's
:meth:`~caplab.kv.ca.SourceReplicas.promote` does.
"""

from __future__ import annotations

from ...net.endpoint import Endpoint
from .binlog import Binlog
from .messages import Connect, Connected, ReadReply, ReadRequest
from .replica import ReplicaRules
from .source import SourceRules

__all__ = ["MySQLNode", "PRIMARY", "REPLICA"]

PRIMARY, REPLICA = "primary", "replica"


class MySQLNode(SourceRules, ReplicaRules, Endpoint):
    """One server of a :class:`~caplab.kv.ca.SourceReplicas` topology."""

    def __init__(self, name: str, topology, role: str, source: str) -> None:
        super().__init__(name)
        self.topology = topology
        self.options = topology.options
        self.peers = [n for n in topology.node_names if n != name]
        # -- durable -----------------------------------------------------------------------
        self.binlog = Binlog()
        self.role = role
        self.source_name: str | None = source if role == REPLICA else None
        self.generation = 1
        self.next_seq = 0
        self._reset_volatile()

    def _reset_volatile(self) -> None:
        self.waiters: list = []
        self.acked: dict[str, int] = {}
        # where shipping to each replica resumes: probe from our end, back up on a refusal
        self.next_index = {p: self.binlog.last_index + 1 for p in self.peers}
        self.semi_sync_active = bool(self.options["semi_sync"])   # rpl_semi_sync_source_enabled
        self.apply_timer_set = False
        self.last_source_contact_ms: int | None = None
        self.source_last_seen = 0       # the longest binlog our source reported (this generation)

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        self.set_timer(self.options["heartbeat_ms"], self.on_heartbeat_timer, daemon=True)

    def on_crash(self) -> None:
        # Waiting writes die with their connections: their clients time out (indefinite).
        self._reset_volatile()

    def on_restart(self) -> None:
        """A restarted source recovers: every transaction in its binlog is committed (MySQL's
        binlog-based crash recovery commits prepared transactions found in the binary log),
        without an answer to the clients, whose connections died. A node deposed while down is
        pointed at the current source by the operator (CHANGE REPLICATION SOURCE TO ...
        SOURCE_AUTO_POSITION=1), as MySQL Shell's ``rejoinInstance()`` does."""
        self._reset_volatile()
        current = self.topology
        if self.generation < current.generation:
            self.role = REPLICA
            self.source_name = current.source
            self.generation = current.generation
            self.source_last_seen = 0
            self.trace("role", f"replica of {current.source} generation={self.generation} "
                               f"(restarted after a promotion: reconfigured by the operator)",
                       role="replica", source=current.source, generation=self.generation,
                       restarted=True)
        elif self.role == PRIMARY:
            for event in self.binlog.apply_upto(self.binlog.last_index):
                current.record_commit(self.name, event, acked=False)
            self.trace("role", f"primary generation={self.generation} (restarted)",
                       role="primary", generation=self.generation, restarted=True)
        else:
            self.trace("role", f"replica of {self.source_name} generation={self.generation} "
                               f"(restarted)", role="replica", source=self.source_name,
                       generation=self.generation, restarted=True)
            self.apply_ready()
        self.start()

    def become_primary(self, generation: int) -> None:
        """The operator promoted us: stop following, apply the relay log, accept writes."""
        self.role = PRIMARY
        self.source_name = None
        self.generation = generation
        self.binlog.apply_upto(self.binlog.last_index)   # STOP REPLICA after the applier drains
        self.acked = {}
        self.next_index = {p: self.binlog.last_index + 1 for p in self.peers}
        self.semi_sync_active = bool(self.options["semi_sync"])
        self.trace("role", f"primary generation={generation} (promoted by the operator)",
                   role="primary", generation=generation, promoted=True)
        self.ship_all()

    def become_replica(self, source: str | None, generation: int, reason: str) -> None:
        """Follow ``source`` (None: not known yet) in ``generation``."""
        was_primary = self.role == PRIMARY
        self.source_last_seen = 0
        self.role = REPLICA
        self.source_name = source
        self.generation = generation
        if was_primary:
            self.fail_waiters(reason)
            self.acked = {}
        self.trace("role", f"replica of {source or '?'} generation={generation} ({reason})",
                   role="replica", source=source, generation=generation, reason=reason)

    # -- timers ----------------------------------------------------------------------------
    def on_heartbeat_timer(self) -> None:
        if self.role == PRIMARY:
            self.ship_all()           # resends what a replica has not acknowledged, or a beat
        self.set_timer(self.options["heartbeat_ms"], self.on_heartbeat_timer, daemon=True)

    # -- clients ---------------------------------------------------------------------------
    def handle_connect(self, msg: Connect, src: str) -> None:
        self.send(src, Connected(msg.op_id, msg.attempt, self.role))

    def handle_read_request(self, msg: ReadRequest, src: str) -> None:
        if msg.read_from == PRIMARY and self.role != PRIMARY:
            self.send(src, ReadReply(msg.op_id, msg.attempt, "not_primary", None, None,
                                     f"{self.name} is a replica, not the source (definite: "
                                     f"nothing was read)"))
            return
        value, version = self.binlog.get(msg.key)
        self.send(src, ReadReply(msg.op_id, msg.attempt, "ok", value, version, None))
