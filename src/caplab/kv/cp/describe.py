"""How the replica set describes itself to views and panels (roles, options, presets)."""

from __future__ import annotations

from ...world.describe import Description, Option, Role, partition_presets
from .options import DEFAULTS, READ_CONCERNS, READ_PREFERENCES

__all__ = ["describe_replica_set", "ROLES"]

ROLES = {
    "primary": Role("primary", "#0072B2", symbol="star", label="primary", leader=True),
    "secondary": Role("secondary", "#56B4E9", label="secondary"),
    "candidate": Role("candidate", "#E69F00", symbol="diamond", label="candidate"),
    # An arbiter votes but holds no data and is never primary: a hollow shape, not a colour.
    "arbiter": Role("arbiter", "#999999", symbol="triangle-up-open", label="arbiter"),
}

_SYSTEM_DOCS = {
    "heartbeat_ms": "heartbeat interval (MongoDB: 2 s)",
    "election_timeout_ms": "electionTimeoutMillis (MongoDB: 10 s)",
    "election_jitter_ms": "random offset added to the election timeout",
    "priorities": "member priorities, e.g. {'n3': 0} (0 = never primary)",
    "write_concern": "default write concern",
    "wtimeout_ms": "default wtimeout (None: wait forever)",
    "read_preference": "default read preference",
    "read_concern": "default read concern",
    "catch_up_timeout_ms": "catchUpTimeoutMillis (None: no limit, 0: off)",
    "retry_backoff_ms": "driver wait before asking again during an election",
    "vote_rule": "the voting rule (None: MongoDB's)",
    "retry_writes": "retry a write once after a network error or a step-down (retryWrites)",
    "election_handoff": "rs.stepDown() asks a caught-up secondary to stand at once",
    "causal_consistency": "sessions send afterClusterTime: read your writes, monotonic reads",
    "dry_run_rule": "'mongodb' (only arbiters refuse while they see a primary) or "
                    "'raft_prevote' (every voter does)",
    "members": "member options, e.g. {'n4': {'votes': 0, 'priority': 0}}: arbiter, votes, "
               "priority, hidden, delay_ms",
    "arbiters": "how many of the last nodes are arbiters (vote, hold no data)",
    "journal_commit_ms": "journal group commit interval (MongoDB: 100 ms)",
    "local_threshold_ms": "nearest: a random member within this round trip of the fastest "
                          "(localThresholdMS; None: the near node)",
    "liveness": "'heartbeat' (MongoDB: the primary's heartbeat answers) or 'oplog' (its "
                "oplog push doubles as its heartbeat)",
    "chaining_allowed": "a secondary the primary's oplog does not reach syncs from another",
}


def describe_replica_set(rs) -> Description:
    """The :class:`Description` of replica set ``rs`` in its current state."""
    n = len(rs.data_bearing)      # arbiters cannot acknowledge writes
    w_choices = ("majority", *range(1, n + 1))
    options = [Option(name, rs.config.get(name, default), "system", _SYSTEM_DOCS.get(name, ""))
               for name, default in DEFAULTS.items()]
    options += [
        Option("w", rs.config["write_concern"], "put", "write concern", choices=w_choices,
               allowed=f"'majority' or 1..{n}"),
        Option("wtimeout_ms", rs.config["wtimeout_ms"], "put", "write concern timeout (ms)",
               allowed="a whole number of ms > 0, or None"),
        Option("j", False, "put", "acknowledge only after the on-disk journal",
               choices=(False, True)),
        Option("retry_writes", rs.config["retry_writes"], "put",
               "retry once after a network error or a step-down", choices=(True, False)),
        Option("read_preference", rs.config["read_preference"], "get", "read preference",
               choices=READ_PREFERENCES),
        Option("read_concern", rs.config["read_concern"], "get", "read concern",
               choices=READ_CONCERNS),
        Option("max_staleness_ms", None, "get",
               "maxStalenessSeconds: skip secondaries estimated further behind",
               allowed="None, or a whole number of ms >= 9000 (90 s at lab scale)"),
        Option("causal", rs.config["causal_consistency"], "get",
               "causally consistent session (afterClusterTime)", choices=(True, False)),
    ]
    return Description(system="kv", mode="cp", title="CP: a MongoDB-style replica set",
                       roles=ROLES, options=tuple(options), presets=_presets(rs),
                       warmup_ms=1500, layout="star",
                       # A majority-committed read: what survives every failover (MongoDB
                       # "readConcern majority").
                       strong_read={"read_concern": "majority"})


def _presets(rs) -> dict:
    """The partition presets; "isolate primary" stays offered during an election (with no node
    to isolate, so a panel says there is no primary right now instead of losing the button)."""
    presets = partition_presets(list(rs.nodes), rs.primary)
    if rs.primary is None:
        presets = {"isolate primary": ("isolate", None),
                   **{label: act for label, act in presets.items() if act[0] != "isolate"}}
    return presets
