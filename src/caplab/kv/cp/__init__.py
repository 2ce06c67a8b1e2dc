"""CP mode: a MongoDB-style replica set (elections, oplog replication, write and read concerns,
rollback) under partitions, one-way cuts, crashes and restarts.

One primary accepts writes; secondaries apply its oplog in optime ``(term, index)`` order.
Members heartbeat each other; a secondary that misses the primary for the election timeout
calls an election; a voter grants one vote per term and refuses a candidate whose oplog is
older than its own; a majority of the configured members elects. A primary that cannot see a
majority steps down. When a former primary rejoins, its writes that never reached a majority
are rolled back (:meth:`ReplicaSet.rollbacks`). Majority-committed writes are never lost.

Options (``Cluster(mode="cp", ..., option=value)``), MongoDB's defaults scaled by 1/10:

==================== ========= ===========================================================
option               default   MongoDB
==================== ========= ===========================================================
heartbeat_ms         200       heartbeats every 2 s
election_timeout_ms  1000      ``settings.electionTimeoutMillis`` = 10 000 ms
election_jitter_ms   150       random offset up to 15% of the election timeout
priorities           None      ``members[n].priority`` (default 1; 0 = never primary)
write_concern        implicit  5.0+ implicit default write concern: ``{w: "majority"}``, or
                               ``{w: 1}`` with arbiters when the data-bearing voting members
                               are no more than a voting majority (PSA)
wtimeout_ms          None      no ``wtimeout``: wait for the write concern indefinitely
read_preference      primary   default read preference
read_concern         local     default read concern
catch_up_timeout_ms  None      ``settings.catchUpTimeoutMillis`` = -1 (no limit)
retry_backoff_ms     50        drivers' ``minHeartbeatFrequencyMS`` = 500 ms
retry_writes         True      drivers' ``retryWrites`` (default since 4.2): a write retried
                               once after a network error or a step-down is applied once
dry_run_rule         mongodb   who refuses a dry-run vote while it sees a healthy primary:
                               ``"mongodb"`` (only arbiters) or ``"raft_prevote"`` (all)
election_handoff     True      ``enableElectionHandoff``: after ``step_down()`` a caught-up
                               secondary stands at once (``replSetStepUp``)
causal_consistency   False     causally consistent sessions: reads carry ``afterClusterTime``
                               (the client's ``operationTime``) and wait for it; per read
                               ``causal=``
vote_rule            None      MongoDB's voting rule; or ``fn(ballot) -> (granted, reason)``
                               (:mod:`caplab.kv.cp.voting`; for labs: try a wrong rule)
liveness             heartbeat MongoDB's: the primary's answers to heartbeats (a one-way cut
                               into it costs one election timeout); ``"oplog"``: its oplog
                               push is its heartbeat (two) (:mod:`.heartbeats`)
chaining_allowed     True      ``settings.chainingAllowed`` (true): a secondary the primary's
                               oplog does not reach syncs from another (:mod:`.chaining`);
                               False: it stays behind until it reaches the primary
local_threshold_ms   None      drivers' ``localThresholdMS`` (15 ms) for ``nearest`` reads;
                               None: the client's near node
journal_commit_ms    10        ``storage.journal.commitIntervalMs`` = 100 ms: a ``w: 1``
                               write without ``j`` is acknowledged from memory and lost if
                               the primary crashes before the next journal commit
                               (:mod:`caplab.kv.cp.journal`)
arbiters             0         how many of the last nodes are arbiters (vote, hold no data)
members              None      ``members[n]``: node -> ``arbiter``, ``votes`` (0/1),
                               ``priority``, ``hidden``, ``delay_ms`` (``secondaryDelaySecs``)
                               (:mod:`caplab.kv.cp.members`)
==================== ========= ===========================================================

Per operation: ``put(key, value, w=..., j=..., wtimeout_ms=..., timeout_ms=...)`` and
``get(key, read_preference=..., read_concern=..., causal=..., max_staleness_ms=...,
timeout_ms=...)``; ``max_staleness_ms`` is MongoDB's ``maxStalenessSeconds`` (minimum 90 s,
here 9000 ms): secondaries estimated further behind are not selected.

Example:
    >>> from caplab.kv import Cluster
    >>> c = Cluster(mode="cp", nodes=3, seed=1, write_concern=1)
    >>> alice = c.client("alice", near="n1")
    >>> alice.put("x", "1").ok, alice.get("x").value
    (True, '1')

A newly elected primary catches up before it accepts writes (:mod:`caplab.kv.cp.catchup`):
it learns the members' newest optimes and syncs from the freshest one it can reach, so a write
that a reachable member holds is not rolled back (MongoDB 3.4+). A priority takeover waits
``(priority rank + 1) x election_timeout_ms`` plus the member's random offset.

Deviations from MongoDB, chosen for a small deterministic lab: the primary pushes its oplog
(MongoDB secondaries pull from a sync source, possibly another secondary: chained replication);
a secondary that the push has not reached for two heartbeat intervals pulls from the nearest
member fed by the primary (:mod:`caplab.kv.cp.chaining`; on by default, as in MongoDB), while
MongoDB picks its sync source by ping, possibly a secondary while the primary is reachable,
and changes it when the source stops answering or falls behind; there is no catch-up
takeover; the
freshness scan of a primary-elect waits at most one heartbeat interval for an answer; priority
takeover needs the member to be fully caught up (MongoDB: within
``priorityTakeoverFreshnessWindowSeconds``); the driver learns the primary only from replies
(MongoDB drivers monitor every member, SDAM), so a client that last knew a member now cut off
from the new primary keeps asking it until the operation times out; a delayed member applies
an entry at the primary's first heartbeat after the delay (MongoDB: as soon as it is due);
``nearest`` reads the client's near node unless ``local_threshold_ms`` is given (then, as
MongoDB drivers do with ``localThresholdMS``, default 15 ms, a random member within it of the
smallest round trip, computed from the network's mean latencies); and there is no ``w: 0`` or read
concerns ``available`` / ``snapshot`` (``available`` behaves like ``local`` in a replica set).
"""

from .node import ReplicaNode
from .oplog import Oplog, OplogEntry
from .options import READ_CONCERNS, READ_PREFERENCES
from .replicaset import ReplicaSet
from .voting import Ballot, mongodb_vote_rule

__all__ = ["ReplicaSet", "ReplicaNode", "Oplog", "OplogEntry", "READ_PREFERENCES",
           "READ_CONCERNS", "Ballot", "mongodb_vote_rule"]
