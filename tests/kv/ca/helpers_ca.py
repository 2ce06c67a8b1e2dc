"""Shared helpers of the CA-mode tests: seeded topologies and slow replication links."""

from __future__ import annotations

from caplab.kv import Cluster
from caplab.kv.ca.messages import SemiSyncSwitch
from caplab.net.latency import Constant


def topology(nodes=3, seed=1, **options) -> Cluster:
    """A seeded MySQL-style topology; the source is ``n1`` unless ``primary=`` says otherwise."""
    return Cluster(mode="ca", nodes=nodes, seed=seed, **options)


def slow_binlog(c, ms: int, *, to=None) -> None:
    """Binlog shipping (and its acknowledgements) take ``ms`` each way, to ``to`` or to all."""
    for kind in ("BinlogEvents", "BinlogAck"):
        for node in (to or [n for n in c.nodes if n != c.primary]):
            c.network.set_latency(Constant(ms), src=c.primary, dst=node, kind=kind)


def values(c, key: str) -> dict:
    """node -> value of ``key`` that the node has applied (missing nodes do not hold it)."""
    return {r["node"]: r["value"] for r in c.replica_records() if r["key"] == key}


def semi_sync_switches(c) -> list:
    """The ``semi_sync`` trace events' fields as SemiSyncSwitch records, in order."""
    return [SemiSyncSwitch(**e.data) for e in c.sim.trace.of_kind("semi_sync")]
