"""CA mode: a MySQL-style source (primary) with asynchronous or semi-synchronous replicas, and
no automatic failover, under partitions, crashes and operator promotions.

One source accepts writes, writes them to its binary log and ships the events to the replicas,
which apply them in order. Asynchronous by default: the source commits and answers before any
replica has the write, so replica reads are stale by the replication lag
(:meth:`SourceReplicas.replication_lag`) and a promotion loses what the promoted replica never
received (:meth:`SourceReplicas.lost_writes`). Semi-synchronous replication makes a commit wait
for replica acknowledgements, and silently falls back to asynchronous on a timeout. Nothing
ever promotes a replica but the operator (:meth:`SourceReplicas.promote`): when the source
crashes or is cut off, writes fail until someone does. "CA" is what this design claims: it
offers consistency and availability while the network holds, and does not handle a partition
(it is not partition tolerant; partitions still happen, see notebook 02).

Options (``Cluster(mode="ca", ..., option=value)``), MySQL's timeouts scaled by 1/10:

====================== ========= ============================================================
option                 default   MySQL
====================== ========= ============================================================
primary                None      the initial source (None: the first node)
semi_sync              None      ``rpl_semi_sync_source_enabled`` (0); on if a count is given
wait_for_replica_count None      ``rpl_semi_sync_source_wait_for_replica_count`` (1)
semi_sync_timeout_ms   1000      ``rpl_semi_sync_source_timeout`` = 10 000 ms; None: no fallback
heartbeat_ms           200       ``SOURCE_HEARTBEAT_PERIOD`` (30 s) and ``SOURCE_CONNECT_RETRY``
                                 (60 s): how soon a replica hears from the source again
source_delay_ms        0         ``CHANGE REPLICATION SOURCE TO SOURCE_DELAY`` (0)
read_from              primary   one connection string to the source; ``"replica"``: a
                                 read/write split (reads to Router's read-only port)
connect_timeout_ms     500       the connector's connect timeout
====================== ========= ============================================================

Per operation: ``put(key, value, timeout_ms=...)``, ``delete(key, timeout_ms=...)`` (an event
that writes "no value", replicated like any write) and ``get(key, read_from=..., timeout_ms=...)``.

Example:
    >>> from caplab.kv import Cluster
    >>> c = Cluster(mode="ca", nodes=3, seed=1)
    >>> alice = c.client("alice", near="n2")
    >>> alice.put("x", "1").ok, alice.get("x").value, c.primary
    (True, '1', 'n1')

Sources: MySQL 8.4 Reference Manual, 19.4.10 Semisynchronous Replication (asynchronous by
default; a semi-sync commit waits for replicas to receive and log the events; fallback and
recovery), 19.1.3.3 GTID Auto-Positioning; MySQL Shell 8.0, 9.8 Forcing a New Primary Instance
(no automatic failure detection or failover in an InnoDB ReplicaSet).

Deviations, chosen for a small deterministic lab: the source pushes its binlog (MySQL replicas
pull it over a connection the replica opens); a binlog event is one put, and GTIDs are
``node:seq``; an operator's :meth:`~SourceReplicas.promote` is instantaneous and the clients'
routing (MySQL Router) learns of it at once; a replica holding transactions its new source lacks
is re-provisioned at once, its errant transactions recorded and discarded (MySQL stops
replication with an error and waits for the operator); semi-sync uses the ``AFTER_SYNC`` wait
point only; there is no multi-threaded applier, no binlog purge, no ``read_only`` race and no
fencing of a cut-off old source (it keeps its role until it hears from the new source, but
clients, routed by the metadata, no longer write to it).
"""

from .binlog import Binlog, Event
from .node import MySQLNode
from .options import READ_FROM
from .topology import SourceReplicas

__all__ = ["SourceReplicas", "MySQLNode", "Binlog", "Event", "READ_FROM"]
