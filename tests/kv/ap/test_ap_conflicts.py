"""Last-write-wins under clock skew, and vector-clock siblings with an application merge."""

from caplab.kv.probes import events

from helpers_ap import ap, holders


def test_lww_with_skew_loses_the_later_write():
    """A coordinator whose clock runs 1 s ahead stamps an early write so high that a later
    write (from an accurate clock) loses; the loss is visible in lww_losses() and the trace."""
    c = ap(nodes=3)
    alice = c.client("alice", near="n1")
    bob = c.client("bob", near="n2")
    c.skew_clock("n1", offset_ms=1000)
    assert alice.put("x", "early", consistency="all").ok
    c.run_for(100)
    assert bob.put("x", "late", consistency="all").ok
    assert bob.get("x", consistency="all").value == "early"
    losses = c.lww_losses()
    assert losses and losses[0]["lost_value"] == "late" and losses[0]["later_write_lost"]
    assert losses[0]["lost_at_ms"] > losses[0]["winner_at_ms"]
    assert events(c, "lww", key="x", lost_value="late", winner_value="early",
                  later_write_lost=True)
    assert c.history.ops[1].outcome == "ok"   # the lost write was acknowledged


def test_lww_tie_break_is_deterministic():
    """Equal timestamps: the larger value wins (Cassandra), the same on every replica."""
    c = ap(nodes=3)
    alice = c.client("alice", near="n1")
    bob = c.client("bob", near="n2")
    c.skew_clock("n2", offset_ms=0)
    h1 = alice.put_async("y", "a", consistency="one")
    h2 = bob.put_async("y", "b", consistency="one")
    c.run_for(500)
    assert h1.result.ok and h2.result.ok
    values = set(holders(c, "y").values())
    assert len(values) == 1


def test_siblings_kept_and_merged_by_a_later_put():
    """Vector clocks keep both writes of a partition as siblings; a put after reading them
    (the driver sends the read context) supersedes both."""
    c = ap(nodes=3, conflict="siblings", read_repair=True)
    alice = c.client("alice", near="n1")
    bob = c.client("bob", near="n3")
    assert alice.put("cart", "milk", consistency="all").ok
    c.partition(["n1", "alice"], ["n2", "n3", "bob"])
    c.run_for(600)
    assert alice.get("cart", consistency="one").value == "milk"
    assert bob.get("cart", consistency="one").value == "milk"
    assert alice.put("cart", "milk+eggs", consistency="one").ok
    assert bob.put("cart", "milk+tea", consistency="one").ok
    c.heal()
    c.run_for(1000)
    r = alice.get("cart", consistency="all")
    assert isinstance(r.value, tuple) and sorted(r.value) == ["milk+eggs", "milk+tea"]
    assert c.history.ops[-1].value == r.value
    recs = [x for x in c.replica_records() if x["key"] == "cart"]
    assert all(x["siblings"] == 2 and "|" in x["version"] for x in recs)
    assert alice.put("cart", "milk+eggs+tea", consistency="all").ok
    assert bob.get("cart", consistency="all").value == "milk+eggs+tea"
    assert set(holders(c, "cart").values()) == {"milk+eggs+tea"}


def test_blind_write_with_empty_context_makes_a_sibling():
    """context=() is a blind write: concurrent with what is stored, so both are kept."""
    c = ap(nodes=3, conflict="siblings")
    alice = c.client("alice", near="n1")
    bob = c.client("bob", near="n2")
    assert alice.put("k", 1, consistency="all").ok
    assert bob.put("k", 2, consistency="all", context=()).ok
    assert sorted(alice.get("k", consistency="all").value) == [1, 2]
    assert c.context("alice", "k")   # remembered for alice's next put
