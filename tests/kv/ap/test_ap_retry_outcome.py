"""AP: an outcome is definite only when no attempt can have been applied."""

from caplab.kv import Cluster


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
    c.run_for(2000)   # the failure detector convicts them
    alice = c.client("alice", near="n1")
    r = alice.put("x", "1", consistency="all")
    assert r.outcome == "fail" and "unavailable" in r.error
