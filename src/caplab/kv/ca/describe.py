"""How the source/replica topology describes itself to views and panels."""

from __future__ import annotations

from ...world.describe import Description, Option, Role, partition_presets
from .options import DEFAULTS, READ_FROM

__all__ = ["describe_topology", "ROLES"]

ROLES = {
    "primary": Role("primary", "#D55E00", symbol="star", label="primary (source)", leader=True),
    "replica": Role("replica", "#E69F00", label="replica"),
}

_DOCS = {
    "primary": "the initial source (default: the first node)",
    "semi_sync": "rpl_semi_sync_source_enabled (default off: asynchronous)",
    "wait_for_replica_count": "rpl_semi_sync_source_wait_for_replica_count (default 1)",
    "semi_sync_timeout_ms": "rpl_semi_sync_source_timeout (MySQL: 10 s; None: never fall back)",
    "heartbeat_ms": "how often the source ships its binlog to each replica",
    "source_delay_ms": "SOURCE_DELAY: replicas apply events this long after the source",
    "read_from": "where reads go: the source, or a replica (read/write split)",
    "connect_timeout_ms": "how long a client tries to connect before a definite error",
}


def describe_topology(topology) -> Description:
    """The :class:`Description` of ``topology`` (a ``SourceReplicas``) in its current state."""
    names = list(topology.node_names)
    replicas = len(names) - 1
    options = [Option(name, topology.options.get(name, default), "system", _DOCS.get(name, ""))
               for name, default in DEFAULTS.items()]
    for option in options:
        if option.name == "wait_for_replica_count":
            options[options.index(option)] = Option(
                option.name, option.default, "system", option.doc,
                choices=tuple(range(0, replicas + 1)),
                allowed=f"0 (asynchronous) or 1..{replicas}")
        elif option.name == "read_from":
            options[options.index(option)] = Option(option.name, option.default, "system",
                                                    option.doc, choices=READ_FROM)
    options.append(Option("read_from", topology.options["read_from"], "get",
                          "read the source, or a replica (may be stale)", choices=READ_FROM))
    presets = partition_presets(names, topology.source)
    presets["crash primary"] = ("crash", topology.source)
    return Description(system="kv", mode="ca",
                       title="CA: a MySQL-style source with replicas (no automatic failover)",
                       roles=ROLES, options=tuple(options), presets=presets, warmup_ms=0,
                       layout="star", strong_read={"read_from": "primary"})
