"""Shared helpers for the AP-mode tests (key_where and holders come from caplab.kv.probes)."""

from caplab.kv import Cluster
from caplab.kv.probes import holders, key_where

__all__ = ["ap", "key_where", "holders"]


def ap(**options):
    """A seeded AP cluster (5 nodes unless told otherwise)."""
    options.setdefault("seed", 1)
    nodes = options.pop("nodes", 5)
    return Cluster(mode="ap", nodes=nodes, **options)
