"""Options of the ring, validated at the public boundary before anything is built.

Every check raises :class:`~caplab.errors.ConfigError` (or ``UnknownNameError``) naming the value
given and what is allowed. The defaults and what they stand for are listed in
:mod:`caplab.kv.ap.ring`.
"""

from __future__ import annotations

from ...errors import ConfigError, UnknownNameError, check_flag
from .levels import check_level
from .repair_hook import check_repair_hook
from .speculation import parse_speculative_retry
from .topology import check_datacenters

__all__ = ["DEFAULTS", "CONFLICT_MODES", "READ_REPAIR_MODES", "check_read_repair",
           "validate_ring_options"]

DEFAULTS = {"replication_factor": 3, "vnodes": 8, "write_consistency": "quorum",
            "read_consistency": "quorum", "hinted_handoff": True, "hint_window_ms": 3000,
            "hint_ttl_ms": 240_000, "gc_grace_ms": 240_000, "read_repair": "blocking",
            "anti_entropy_ms": None, "merkle_depth": 4, "conflict": "lww",
            "sloppy_quorum": False, "gossip_interval_ms": 100, "failure_timeout_ms": 400,
            "request_timeout_ms": 400, "coordinator_timeout_ms": 600, "read_repair_fn": None,
            "timestamps": "coordinator", "failure_detector": "phi",
            "phi_convict_threshold": 8, "cas_contention_timeout_ms": 200,
            "cas_backoff_ms": 20, "datacenters": None, "node_datacenters": None,
            "wan_latency_ms": None, "speculative_retry": "99p"}

CONFLICT_MODES = ("lww", "siblings")
#: who stamps a write for last-write-wins: the coordinator's clock (Cassandra when the client
#: gives no timestamp) or the client's (drivers' client-side timestamp generators, the default
#: of the DataStax drivers since protocol v3)
TIMESTAMP_SOURCES = ("coordinator", "client")
#: "phi" (the default): Cassandra's phi accrual detector, convicting at phi_convict_threshold
#: (Cassandra's default 8; cassandra.yaml and DataStax, "Failure detection and recovery");
#: "timeout": a peer silent longer than failure_timeout_ms is down
DETECTORS = ("timeout", "phi")
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


def validate_ring_options(options: dict, node_names) -> dict:
    """Validate ``options`` for a ring of ``node_names``; return them normalised.

    Raises:
        ConfigError / UnknownNameError naming the value and what is allowed.
    """
    opts = dict(options)
    _positive_int("replication_factor", opts["replication_factor"])
    opts = check_datacenters(opts, list(node_names))    # with datacenters rf is their sum
    rf = opts["replication_factor"]
    if rf > len(node_names):
        raise ConfigError(f"replication_factor={rf} exceeds the number of nodes "
                          f"({len(node_names)}); choose 1 <= replication_factor <= "
                          f"{len(node_names)} or add nodes")
    _positive_int("vnodes", opts["vnodes"])
    if opts["conflict"] not in CONFLICT_MODES:
        raise UnknownNameError("conflict mode", opts["conflict"], CONFLICT_MODES)
    if opts["failure_detector"] not in DETECTORS:
        raise UnknownNameError("failure_detector", opts["failure_detector"], DETECTORS)
    phi = opts["phi_convict_threshold"]
    if isinstance(phi, bool) or not isinstance(phi, (int, float)) or not 5 <= phi <= 16:
        raise ConfigError(f"phi_convict_threshold must be a number in 5..16 (Cassandra's range; "
                          f"default 8), got {phi!r}")
    if opts["timestamps"] not in TIMESTAMP_SOURCES:
        raise UnknownNameError("timestamps source", opts["timestamps"], TIMESTAMP_SOURCES)
    for name in ("write_consistency", "read_consistency"):
        opts[name] = check_level(name, opts[name], rf, for_read=name == "read_consistency",
                                 datacenters=opts["datacenters"])
    for name in ("hint_window_ms", "gossip_interval_ms", "failure_timeout_ms",
                 "request_timeout_ms", "coordinator_timeout_ms", "cas_contention_timeout_ms",
                 "cas_backoff_ms"):
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
    parse_speculative_retry(opts["speculative_retry"])
    for name in ("hinted_handoff", "sloppy_quorum"):
        check_flag(name, opts[name])
    check_repair_hook(opts["read_repair_fn"], opts["read_repair"], opts["conflict"])
    if opts["sloppy_quorum"] and not opts["hinted_handoff"]:
        raise ConfigError("sloppy_quorum=True needs hinted_handoff=True (stand-ins hand "
                          "the write back to its owner with a hint)")
    return opts
