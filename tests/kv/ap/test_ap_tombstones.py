"""AP deletes: tombstones, Cassandra's tie rule, gc_grace and the zombie it guards against.

Cassandra documentation, "Tombstones": a delete is an insertion of a time-stamped deletion
marker; after gc_grace_seconds (default 864000 s, 10 days) compaction may purge it. "If a node
is down for longer than gc_grace_seconds ... deleted data can reappear": a replica that missed
the delete still holds the value, and read repair or repair copies it back. Hence "run repair
on each node within gc_grace_seconds".
"""

import pytest

from caplab import ConfigError
from caplab.kv import Cluster
from caplab.kv.ap.versions import Version, lww_key, reconcile


def _ring(**options):
    opts = dict(replication_factor=3, hinted_handoff=False, latency=2)
    opts.update(options)
    return Cluster(mode="ap", nodes=3, seed=1, **opts)


def _held(c, key):
    return {r["node"]: (r["value"], r["deleted"]) for r in c.replica_records() if r["key"] == key}


def test_a_deleted_key_reads_none_and_every_replica_keeps_a_tombstone():
    """A delete writes a tombstone to the replicas; a read returns None."""
    c = _ring()
    alice = c.client("alice", near="n1")
    assert alice.put("x", "1", consistency="all").ok
    assert alice.delete("x", consistency="all").ok
    assert alice.get("x", consistency="all").value is None
    assert _held(c, "x") == {n: (None, True) for n in c.nodes}
    assert c.history[1].op == "delete"


def test_a_deleted_key_differs_from_one_never_written():
    """Both read None, but the replicas hold a tombstone for the deleted one and nothing for
    the other (Cassandra: a read that meets a tombstone counts it, tracing "1 tombstone")."""
    c = _ring()
    alice = c.client("alice", near="n1")
    alice.put("gone", "v", consistency="all")
    alice.delete("gone", consistency="all")
    assert alice.get("gone").value is None and alice.get("never").value is None
    assert all(deleted for _, deleted in _held(c, "gone").values())
    assert _held(c, "never") == {}


def test_a_tombstone_wins_a_timestamp_tie():
    """Cassandra Cells.reconcile: on equal timestamps a tombstone beats a live value; between
    two live values the greater value (as bytes) wins, whatever the order seen."""
    live, dead = Version("a", 5, origin="n1"), Version(None, 5, origin="n2", tombstone=True)
    assert reconcile([live, dead], "lww") == (dead,)
    assert reconcile([dead, live], "lww") == (dead,)
    b = Version("b", 5, origin="n1")
    a = Version("a", 5, origin="n9")
    assert reconcile([a, b], "lww") == (b,) and lww_key(b) > lww_key(a)
    assert reconcile([Version("z", 4), Version("a", 5)], "lww")[0].value == "a"


def test_compaction_purges_tombstones_after_gc_grace():
    """Tombstones stay for gc_grace_ms, then compaction removes them (and the key)."""
    c = _ring(gc_grace_ms=500)
    alice = c.client("alice", near="n1")
    alice.put("x", "1", consistency="all")
    alice.delete("x", consistency="all")
    c.run_for(300)
    assert len(_held(c, "x")) == 3
    c.run_for(400)
    assert _held(c, "x") == {}
    assert c.stats()["tombstones_purged"] == 3


def _zombie(**options):
    """n3 misses the delete (down, no hints), stays down past gc_grace, then returns."""
    c = _ring(gc_grace_ms=500, **options)
    alice = c.client("alice", near="n1")
    assert alice.put("x", "1", consistency="all").ok
    c.crash("n3")
    c.run_for(1000)                     # the others see n3 down
    assert alice.delete("x", consistency="quorum").ok
    c.run_for(1000)                     # past gc_grace: n1 and n2 purge the tombstone
    assert set(_held(c, "x")) == {"n3"}
    c.restart("n3")
    c.run_for(500)
    return c, alice


def test_a_replica_that_missed_the_delete_brings_the_value_back_through_read_repair():
    """The classic zombie: after the purge, a read at ALL finds n3's old value newest (the
    others hold nothing), answers it, and read repair copies it back to n1 and n2."""
    c, alice = _zombie()
    r = alice.get("x", consistency="all")
    assert r.value == "1"
    c.run_for(100)
    assert {n: v for n, (v, _) in _held(c, "x").items()} == {n: "1" for n in c.nodes}


def test_anti_entropy_after_gc_grace_also_resurrects_the_value():
    """Merkle repair after the purge compares n3's value with nothing and copies it back."""
    c, _ = _zombie(anti_entropy_ms=200)
    c.run_for(1500)
    assert {n: v for n, (v, _) in _held(c, "x").items()} == {n: "1" for n in c.nodes}


def test_repair_within_gc_grace_prevents_the_zombie():
    """With repair running before the tombstones expire, n3 receives the tombstone; after the
    purge nothing comes back."""
    c = _ring(gc_grace_ms=3000, anti_entropy_ms=200)
    alice = c.client("alice", near="n1")
    alice.put("x", "1", consistency="all")
    c.crash("n3")
    c.run_for(1000)
    alice.delete("x", consistency="quorum")
    c.restart("n3")
    c.run_for(1500)                     # repair runs; the tombstones are still there
    assert all(deleted for _, deleted in _held(c, "x").values()) and len(_held(c, "x")) == 3
    c.run_for(3000)                     # past gc_grace everywhere: purged, no zombie
    assert _held(c, "x") == {}
    assert alice.get("x", consistency="all").value is None


@pytest.mark.parametrize("bad", [-1, 1.5, "10", True])
def test_bad_gc_grace_is_refused(bad):
    """gc_grace_ms must be a whole number of ms >= 0; the error names the value."""
    with pytest.raises(ConfigError, match="gc_grace_ms"):
        Cluster(mode="ap", nodes=3, gc_grace_ms=bad)


@pytest.mark.parametrize("mode", ["cp", "ap"])
def test_delete_works_in_every_mode(mode):
    """A delete is a write of "no value" everywhere: a later read returns None."""
    c = Cluster(mode=mode, nodes=3, seed=1)
    c.run_for(1500)
    alice = c.client("alice", near=c.primary or "n1")
    alice.put("x", "1")
    assert alice.delete("x").ok
    assert alice.get("x").value is None
