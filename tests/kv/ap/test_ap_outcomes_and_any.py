"""AP: an outcome is definite only when no attempt can have been applied; writes at ANY."""

import pytest

from caplab import ConfigError
from caplab.kv import Cluster
from caplab.kv.probes import wait_seen_down


def test_a_write_retried_at_a_second_coordinator_is_not_reported_as_definitely_failed():
    """Issue 12's scenario: 3 nodes, RF 3, 2 ms latency; alice near n1 starts a put; 3 ms later
    n1 crashes and a partition puts n1 and n2 against n3; the driver retries at n2, which
    answers "unavailable". The first coordinator had already sent the write to the replicas,
    and after heal and restart the key holds the value, so the outcome must be ``info``, not
    a definite ``fail`` (Cassandra's drivers report a write timeout the same way: the write may
    or may not have been applied)."""
    c = Cluster(mode="ap", nodes=3, seed=1, replication_factor=3, latency=2)
    alice = c.client("alice", near="n1")
    handle = alice.put_async("x", "1")
    c.run_for(3)
    c.crash("n1")
    c.partition(["n1", "n2", "alice"], ["n3"])
    c.run_until(lambda: handle.done, timeout_ms=5000)
    assert handle.done
    assert handle.result.outcome == "info", handle.result
    assert "may" in handle.result.error
    c.heal()
    c.restart("n1")
    c.run_for(3000)
    assert alice.get("x", consistency="all").value == "1"


def test_a_write_refused_by_its_only_coordinator_is_a_definite_failure():
    """With one attempt and an "unavailable" answer, nothing was applied: ``fail`` stays."""
    c = Cluster(mode="ap", nodes=3, seed=1, replication_factor=3, latency=2)
    c.crash("n2")
    c.crash("n3")
    assert wait_seen_down(c, ["n2", "n3"], by="n1") is not None   # n1's detector convicts them
    alice = c.client("alice", near="n1")
    r = alice.put("x", "1", consistency="all")
    assert r.outcome == "fail" and "unavailable" in r.error


def test_a_write_at_any_with_every_replica_down_is_acknowledged_by_a_hint():
    """Cassandra, consistency level ANY: "a write must be written to at least one node; if all
    replica nodes for the given partition key are down, the write can still succeed after a
    hinted handoff has been written"; nobody can read it until the hint is replayed."""
    c = Cluster(mode="ap", nodes=4, seed=1, replication_factor=2, latency=2)
    key = next(f"k{i}" for i in range(100) if "n1" not in c.replicas_for(f"k{i}"))
    for node in c.replicas_for(key):
        c.crash(node)
    assert wait_seen_down(c, c.replicas_for(key), by="n1") is not None
    alice = c.client("alice", near="n1")
    assert alice.put(key, "v", consistency="one").outcome == "fail"
    r = alice.put(key, "v", consistency="any")
    assert r.ok and r.node == "n1"
    assert {h["target"] for h in c.hints()} == set(c.replicas_for(key))
    assert all(rec["key"] != key for rec in c.replica_records())   # on no replica yet
    for node in c.replicas_for(key):
        c.restart(node)
    c.run_for(1500)                      # the hints are replayed
    assert alice.get(key, consistency="all").value == "v"


def test_any_is_refused_for_reads():
    """ANY is a write level only; a read at ANY names the value and the levels allowed."""
    c = Cluster(mode="ap", nodes=3, seed=1)
    with pytest.raises(ConfigError, match="ANY is a write level only"):
        c.client("alice").get("x", consistency="any")
    with pytest.raises(ConfigError, match="read_consistency='any'"):
        Cluster(mode="ap", nodes=3, read_consistency="any")
