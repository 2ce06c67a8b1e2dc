"""Options of the replica set and of its operations, validated at the public boundary.

Every check raises :class:`~caplab.errors.ConfigError` (or ``UnknownNameError``) naming the value
given and what is allowed, before anything changes.
"""

from __future__ import annotations

from ...errors import ConfigError, UnknownNameError, check_flag
from .members import check_members, implicit_write_concern
from .voting import check_vote_rule

__all__ = ["DEFAULTS", "READ_PREFERENCES", "READ_CONCERNS", "DRY_RUN_RULES", "check_w",
           "check_wtimeout", "check_j", "check_max_staleness", "check_local_threshold",
           "check_retry_writes", "check_causal",
           "check_read_preference", "check_read_concern", "validate_cluster_options"]

#: MongoDB's defaults scaled by 1/10 for the lab (see the package docstring).
DEFAULTS = {
    "heartbeat_ms": 200,            # MongoDB: heartbeats every 2 s
    "election_timeout_ms": 1000,    # MongoDB: settings.electionTimeoutMillis = 10 000 ms
    "election_jitter_ms": 150,      # MongoDB: random offset up to 15% of the election timeout
    "priorities": None,             # {"n3": 0, ...}; default priority 1 for every member
    "write_concern": "implicit",    # MongoDB 5.0+: the implicit default, w: "majority" (w: 1
                                    # with arbiters, see members.implicit_write_concern)
    "wtimeout_ms": None,            # MongoDB: no wtimeout unless given (wait forever)
    "read_preference": "primary",   # MongoDB default read preference
    "read_concern": "local",        # MongoDB default read concern (reads on the primary)
    "catch_up_timeout_ms": None,    # MongoDB: settings.catchUpTimeoutMillis = -1 (no limit)
    "retry_backoff_ms": 50,         # drivers: minHeartbeatFrequencyMS = 500 ms
    "retry_writes": True,           # drivers: retryWrites=true (default since MongoDB 4.2)
    "vote_rule": None,              # None: MongoDB's rule; a lab may plug in its own function
    "dry_run_rule": "mongodb",      # who refuses a dry-run vote while it sees a healthy primary
    "election_handoff": True,       # MongoDB enableElectionHandoff: stepDown names a successor
    "causal_consistency": False,    # clients' sessions causally consistent (afterClusterTime)
    "members": None,                # node -> member options (MongoDB members[n]; members.py)
    "arbiters": 0,                  # how many of the last nodes are arbiters (PSA: 1 of 3)
    "local_threshold_ms": None,     # drivers' localThresholdMS = 15 ms (None: the near node)
    "journal_commit_ms": 10,        # MongoDB storage.journal.commitIntervalMs = 100 ms
    "liveness": "heartbeat",        # MongoDB; "oplog": the push is the heartbeat (heartbeats.py)
    "chaining_allowed": True,       # MongoDB settings.chainingAllowed (default true): chaining.py
}

READ_PREFERENCES = ("primary", "primaryPreferred", "secondary", "secondaryPreferred", "nearest")
READ_CONCERNS = ("local", "majority", "linearizable")
#: "mongodb": a data-bearing voter grants a dry run whatever primary it sees (MongoDB: only an
#: arbiter refuses while it sees a healthy primary of equal or greater priority); "raft_prevote":
#: every voter refuses while it hears from a healthy primary (Raft's pre-vote with check-quorum)
DRY_RUN_RULES = ("mongodb", "raft_prevote")
#: what tells a secondary that the primary is alive: "heartbeat", the primary's answers to its
#: heartbeats (MongoDB; the primary heartbeats every member too), or "oplog", the primary's
#: oplog push doubling as its heartbeat (caplab's first model: a one-way cut into the primary
#: costs two election timeouts)
LIVENESS = ("oplog", "heartbeat")


def check_w(w, members: int, *, name: str = "w", implicit: bool = False):
    """``"majority"`` or an integer 1..members, ``members`` being the data-bearing members
    (MongoDB refuses w greater than them: arbiters cannot acknowledge writes); with
    ``implicit=True`` also ``"implicit"`` (MongoDB 5.0+'s implicit default)."""
    if isinstance(w, str) and (w == "majority" or (implicit and w == "implicit")):
        return w
    if isinstance(w, int) and not isinstance(w, bool) and 1 <= w <= members:
        return w
    also = ", 'implicit' (MongoDB's implicit default)" if implicit else ""
    raise ConfigError(f"{name}={w!r} is not a write concern this replica set can satisfy; use "
                      f"w='majority'{also} or an integer 1 <= w <= {members} (the set has "
                      f"{members} data-bearing members)")


def check_wtimeout(value, *, name: str = "wtimeout_ms"):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ConfigError(f"{name} must be a whole number of ms > 0 (or None: wait forever), "
                          f"got {value!r}")
    return value


def check_j(value, *, name: str = "j"):
    return check_flag(name, value, "MongoDB's write concern j: acknowledge after the on-disk "
                                   "journal")


def check_retry_writes(value, *, name: str = "retry_writes"):
    return check_flag(name, value, "MongoDB drivers: retryWrites")


def check_causal(value, *, name: str = "causal"):
    return check_flag(name, value, "a causally consistent session sends afterClusterTime "
                                   "with its reads")


#: MongoDB: maxStalenessSeconds is at least 90 s; at lab scale (1/10) 9 s
MIN_MAX_STALENESS_MS = 9000


def check_max_staleness(value, read_preference):
    """None (no limit) or whole ms >= 9000 (MongoDB's 90 s minimum, scaled), and not with
    read preference ``primary``."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < MIN_MAX_STALENESS_MS:
        raise ConfigError(f"max_staleness_ms must be None or a whole number of ms >= "
                          f"{MIN_MAX_STALENESS_MS} (MongoDB's maxStalenessSeconds minimum, 90 s, "
                          f"at lab scale), got {value!r}")
    if read_preference == "primary":
        raise ConfigError(f"max_staleness_ms={value} needs a read preference other than "
                          f"'primary' (MongoDB refuses maxStalenessSeconds with primary)")
    return value


def check_local_threshold(value, *, name: str = "local_threshold_ms"):
    """None (``nearest`` reads the near node) or whole ms >= 0 (drivers' localThresholdMS)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError(f"{name} must be None (the near node) or a whole number of ms >= 0 "
                          f"(drivers' localThresholdMS, default 15), got {value!r}")
    return value


def check_read_preference(value):
    if value not in READ_PREFERENCES:
        raise UnknownNameError("read_preference", value, READ_PREFERENCES)
    return value


def check_read_concern(value):
    if value not in READ_CONCERNS:
        raise UnknownNameError("read_concern", value, READ_CONCERNS)
    return value


def check_linearizable(read_preference, read_concern) -> None:
    # MongoDB: read concern "linearizable" is only available for read operations on the primary.
    if read_concern == "linearizable" and read_preference != "primary":
        raise ConfigError(f"read_concern='linearizable' needs read_preference='primary', got "
                          f"read_preference={read_preference!r}: MongoDB serves linearizable "
                          f"reads on the primary only")


def _positive_ms(options, name) -> int:
    value = options[name]
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ConfigError(f"{name} must be a whole number of ms > 0, got {value!r}")
    return value


def validate_cluster_options(options: dict, names: list[str]) -> dict:
    """Check the replica set's options; return them with ``priorities`` and ``members`` filled
    for every node and ``write_concern`` resolved (the implicit default made explicit)."""
    heartbeat_ms = _positive_ms(options, "heartbeat_ms")
    election_timeout_ms = _positive_ms(options, "election_timeout_ms")
    if election_timeout_ms <= heartbeat_ms:
        raise ConfigError(f"election_timeout_ms={election_timeout_ms} must be greater than "
                          f"heartbeat_ms={heartbeat_ms} (MongoDB: 10 000 ms vs 2 000 ms), or "
                          f"a healthy primary would be voted out between heartbeats")
    jitter = options["election_jitter_ms"]
    if isinstance(jitter, bool) or not isinstance(jitter, int) or jitter < 0:
        raise ConfigError(f"election_jitter_ms must be a whole number of ms >= 0, got {jitter!r}")
    _positive_ms(options, "retry_backoff_ms")
    _positive_ms(options, "journal_commit_ms")
    check_local_threshold(options["local_threshold_ms"])
    check_retry_writes(options["retry_writes"])
    check_causal(options["causal_consistency"], name="causal_consistency")
    check_flag("election_handoff", options["election_handoff"],
               "MongoDB's enableElectionHandoff")
    check_flag("chaining_allowed", options["chaining_allowed"],
               "MongoDB's settings.chainingAllowed")
    if options["liveness"] not in LIVENESS:
        raise UnknownNameError("liveness", options["liveness"], LIVENESS)
    if options["dry_run_rule"] not in DRY_RUN_RULES:
        raise UnknownNameError("dry_run_rule", options["dry_run_rule"], DRY_RUN_RULES)
    catch_up = options["catch_up_timeout_ms"]
    if catch_up is not None and (isinstance(catch_up, bool) or not isinstance(catch_up, int)
                                 or catch_up < 0):
        raise ConfigError(f"catch_up_timeout_ms must be a whole number of ms >= 0, or None (no "
                          f"limit, MongoDB's catchUpTimeoutMillis=-1), got {catch_up!r}")
    check_wtimeout(options["wtimeout_ms"])
    check_read_preference(options["read_preference"])
    check_read_concern(options["read_concern"])
    check_linearizable(options["read_preference"], options["read_concern"])
    given = options["priorities"] or {}
    if not isinstance(given, dict):
        raise ConfigError(f"priorities must be a dict node -> number >= 0, e.g. {{'n3': 0}}, "
                          f"got {given!r}")
    for node in given:
        if node not in names:
            raise UnknownNameError("node in priorities", node, names)
    table = check_members(options["members"], options["arbiters"], given, names)
    data_bearing = sum(1 for m in table.values() if not m["arbiter"])
    write_concern = check_w(options["write_concern"], data_bearing, name="write_concern",
                            implicit=True)
    merged = dict(options)
    merged["members"] = table
    merged["priorities"] = {node: m["priority"] for node, m in table.items()}
    # MongoDB 5.0+: with no default set, the implicit default write concern applies.
    merged["write_concern"] = (implicit_write_concern(table) if write_concern == "implicit"
                               else write_concern)
    merged["vote_rule"] = check_vote_rule(options["vote_rule"])
    return merged
