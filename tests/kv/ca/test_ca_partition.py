"""A partition splits the clients: the source's side carries on, the other side cannot write
and reads stale data from its replica. Nothing heals the topology but the network."""

from helpers_ca import topology, values


def test_partition_splits_clients_between_the_two_sides():
    """Clients with the source read and write; clients cut off from it get definite write
    errors, definite errors for source reads, and stale answers from their replica."""
    c = topology()
    alice = c.client("alice", near="n1")
    bob = c.client("bob", near="n3")
    assert alice.put("x", "1").ok
    c.run_for(100)
    c.partition(["n1", "n2"], ["n3"])
    assert alice.put("x", "2").ok and alice.get("x").value == "2"
    write = bob.put("x", "bob")
    assert write.outcome == "fail" and "can't connect to n1" in write.error
    assert "definite: nothing was sent" in write.error
    source_read = bob.get("x")
    assert source_read.outcome == "fail" and "definite" in source_read.error
    stale = bob.get("x", read_from="replica")
    assert stale.ok and stale.node == "n3" and stale.value == "1"
    assert c.replication_lag()["n3"] > 0 and c.replication_lag()["n2"] == 0
    assert c.roles() == {"n1": "primary", "n2": "replica", "n3": "replica"}
    c.heal()
    c.run_for(500)
    assert values(c, "x") == {"n1": "2", "n2": "2", "n3": "2"}
    assert bob.put("x", "3").ok


def test_cut_off_source_keeps_its_side_writing_and_the_majority_waits():
    """No quorum here: isolating the source leaves the two-node majority without writes, and
    the isolated source with its client keeps acknowledging them (the opposite of CP)."""
    c = topology()
    alice = c.client("alice", near="n1")
    bob = c.client("bob", near="n2")
    carol = c.client("carol", near="n3")
    for client in (alice, bob, carol):
        client.put("x", "0")
    c.isolate("n1")
    assert alice.put("x", "1").ok
    assert bob.put("x", "2").outcome == "info"      # sent on an open connection: unknown
    assert bob.put("x", "3").outcome == "fail"      # a new connection: definite
    assert carol.get("x", read_from="replica").value == "0"
    c.run_for(5000)
    assert c.roles()["n1"] == "primary" and c.promotions() == []


def test_replica_reads_fall_back_to_the_next_replica_then_the_source():
    """Router's read-only routing (round-robin-with-fallback): a read whose replica cannot be
    reached tries the next replica, then the source, each within the connect timeout."""
    c = topology()
    alice = c.client("alice", near="n1")          # near the source: reads go to n2 first
    alice.put("x", "1")
    c.run_for(100)
    c.crash("n2")
    r = alice.get("x", read_from="replica")
    assert r.ok and r.node == "n3" and 500 <= r.latency_ms < 600
    c.crash("n3")
    bob = c.client("bob", near="n1")            # no open connection: tries n2, n3, then n1
    r = bob.get("x", read_from="replica")
    assert r.ok and r.node == "n1" and r.value == "1" and r.latency_ms >= 1000
