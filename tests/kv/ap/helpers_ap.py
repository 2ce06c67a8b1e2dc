"""Shared helpers for the AP-mode tests."""

from caplab.kv import Cluster


def ap(**options):
    """A seeded AP cluster (5 nodes unless told otherwise)."""
    options.setdefault("seed", 1)
    nodes = options.pop("nodes", 5)
    return Cluster(mode="ap", nodes=nodes, **options)


def key_where(c, pred, prefix="k"):
    """The first key k0, k1, ... whose preference list satisfies ``pred``."""
    for i in range(10_000):
        key = f"{prefix}{i}"
        if pred(c.replicas_for(key)):
            return key
    raise AssertionError("no such key")


def holders(c, key):
    """node -> value for every node storing ``key``."""
    return {r["node"]: r["value"] for r in c.replica_records() if r["key"] == key}
