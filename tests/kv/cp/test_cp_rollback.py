"""Rollback and durability of majority-acknowledged writes."""

from helpers_cp import cluster, secondaries, wait_primary


def _isolated_w1_write(seed=1):
    c = cluster(seed=seed)
    old = c.primary
    rest = [n for n in c.nodes if n != old]
    alice = c.client("alice", near=old)
    bob = c.client("bob", near=rest[0])
    assert alice.put("x", "base").ok
    c.isolate(old)
    r = alice.put("x", "lost", w=1)
    read = alice.get("x", read_concern="local")
    wait_primary(c, exclude=(old,))
    assert bob.put("x", "won").ok
    c.heal()
    c.run_for(1500)
    return c, old, r, read


def test_w1_write_on_isolated_primary_is_acknowledged_then_rolled_back():
    """A w:1 write acknowledged by an isolated primary is rolled back when it rejoins."""
    c, old, r, _ = _isolated_w1_write()
    assert r.ok and r.node == old
    rb = c.rollbacks()
    assert [(d["node"], d["key"], d["value"]) for d in rb] == [(old, "x", "lost")]
    assert set(rb[0]) == {"node", "time_ms", "key", "value", "optime", "term"}
    assert rb[0]["optime"][0] == rb[0]["term"] == 1
    assert any(e.node == old for e in c.sim.trace.of_kind("rollback"))
    assert {rec["value"] for rec in c.replica_records() if rec["key"] == "x"} == {"won"}


def test_local_read_sees_write_later_rolled_back():
    """A local read on the isolated primary returns a write that is later rolled back."""
    c, old, r, read = _isolated_w1_write()
    assert read.ok and read.value == "lost" and read.node == old
    assert "lost" in [d["value"] for d in c.rollbacks()]
    assert c.client("alice").get("x").value == "won"


def test_majority_acknowledged_writes_survive_failover():
    """Writes acknowledged with w:majority are still there after the primary crashes."""
    c = cluster(seed=2)
    old = c.primary
    a = c.client("a", near=secondaries(c)[0])
    for i in range(5):
        assert a.put(f"k{i}", i, w="majority").ok
    c.crash(old)
    new = wait_primary(c, exclude=(old,))
    assert new and new != old
    for i in range(5):
        assert a.get(f"k{i}", read_concern="linearizable").value == i
    c.restart(old)
    c.run_for(1000)
    assert c.rollbacks() == []
