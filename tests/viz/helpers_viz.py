"""Helpers of the view tests: find a trace by name, re-validate a figure, seeded clusters."""

from __future__ import annotations

import plotly.graph_objects as go
from caplab.kv import Cluster
from caplab.kv.probes import wait_for_primary


def trace_named(fig, name):
    """The one trace of ``fig`` called ``name``."""
    found = [t for t in fig.data if t.name == name]
    assert len(found) == 1, f"expected one trace {name!r}, got {[t.name for t in fig.data]}"
    return found[0]


def valid(fig):
    """Re-validate a figure built without validation (raises on any unknown property)."""
    go.Figure(fig.to_dict())
    return fig


def cp_cluster(nodes=5, seed=1):
    """A CP replica set that has elected a primary, with two clients."""
    c = Cluster(mode="cp", nodes=nodes, seed=seed)
    assert wait_for_primary(c) is not None
    c.client("alice", near=c.nodes[0])
    c.client("bob", near=c.nodes[-1])
    return c
