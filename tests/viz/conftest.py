"""Fixtures of the view tests: seeded CP and AP clusters (figures are checked as data)."""

from __future__ import annotations

import pytest
from helpers_viz import cp_cluster

from caplab.kv import Cluster


@pytest.fixture
def cp():
    return cp_cluster()


@pytest.fixture
def ap():
    c = Cluster(mode="ap", nodes=5, seed=1, vnodes=8, replication_factor=3)
    alice = c.client("alice", near="n1")
    for i in range(12):
        assert alice.put(f"k{i}", str(i)).ok
    return c
