"""Placement, quorum arithmetic, vector clocks, Merkle trees and bad input (AP mode)."""

import pytest

from caplab.errors import ConfigError, UnknownNameError
from caplab.kv.ap import HashRing
from caplab.kv.ap import merkle, vclock
from caplab.kv.ap.coordinator import required_replicas
from caplab.kv.ap.hashring import token_of

from helpers_ap import ap


def test_preference_list_is_rf_distinct_nodes_clockwise():
    """Each key's preference list holds RF distinct physical nodes, the first clockwise."""
    ring = HashRing([f"n{i}" for i in range(1, 6)], vnodes=8)
    entries = ring.entries()
    assert len(entries) == 40 and entries == sorted(entries, key=lambda e: e["token"])
    for i in range(200):
        pref = ring.preference_list(f"key{i}", 3)
        assert len(pref) == 3 and len(set(pref)) == 3
        # the first replica owns the first token at or after the key's token
        token = token_of(f"key{i}")
        first = next((e["node"] for e in entries if e["token"] >= token), entries[0]["node"])
        assert pref[0] == first


def test_tokens_are_stable_across_rings():
    """The same names give the same tokens (stable hash, not Python's salted hash())."""
    a = HashRing(["a", "b", "c"], vnodes=4).entries()
    b = HashRing(["a", "b", "c"], vnodes=4).entries()
    assert a == b
    assert a[0]["token"] == HashRing(["a", "b", "c"], vnodes=4).entries()[0]["token"]


def test_cluster_replicas_for_and_ring():
    """c.replicas_for and c.ring expose placement; ownership sums to one."""
    c = ap(vnodes=16)
    assert len(c.replicas_for("x")) == 3
    assert {e["node"] for e in c.ring()} == set(c.nodes)
    assert abs(sum(c.ownership().values()) - 1.0) < 1e-9


@pytest.mark.parametrize("rf,quorum", [(1, 1), (2, 2), (3, 2), (4, 3), (5, 3)])
def test_quorum_is_floor_half_plus_one(rf, quorum):
    """Cassandra: QUORUM = floor(RF/2) + 1; ALL = RF; ONE = 1."""
    assert required_replicas("quorum", rf) == quorum
    assert required_replicas("all", rf) == rf
    assert required_replicas("one", rf) == 1
    assert required_replicas(2, rf) == 2


def test_dynamo_vector_clock_example():
    """Dynamo paper: D3 [(Sx,2),(Sy,1)] and D4 [(Sx,2),(Sz,1)] are concurrent; merged at Sx
    they become [(Sx,3),(Sy,1),(Sz,1)], which descends from both."""
    d2 = (("Sx", 2),)
    d3 = vclock.increment(d2, "Sy")
    d4 = vclock.increment(d2, "Sz")
    assert vclock.show(d3) == "[(Sx,2),(Sy,1)]" and vclock.show(d4) == "[(Sx,2),(Sz,1)]"
    assert vclock.compare(d3, d4) == "concurrent"
    assert vclock.compare(d3, d2) == "after"
    d5 = vclock.increment(vclock.merge(d3, d4), "Sx")
    assert vclock.show(d5) == "[(Sx,3),(Sy,1),(Sz,1)]"
    assert vclock.descends(d5, d3) and vclock.descends(d5, d4)


def test_merkle_descends_only_into_differing_subtrees():
    """Identical trees cost one comparison; one differing key costs one path (2 per level)."""
    data = {f"k{i}": str(i) for i in range(100)}
    a = merkle.build(data, depth=4)
    assert merkle.diff(a, merkle.build(dict(data), depth=4)) == ([], 1)
    changed = dict(data, k7="changed")
    leaves, compared = merkle.diff(a, merkle.build(changed, depth=4))
    assert leaves == [merkle.bucket("k7", 4)]
    assert compared == 1 + 2 * 4


@pytest.mark.parametrize("options,fragment", [
    ({"replication_factor": 6}, "replication_factor=6 exceeds"),
    ({"write_consistency": 4}, "replication_factor=3"),
    ({"read_consistency": "most"}, "unknown read_consistency level 'most'"),
    ({"vnodes": 0}, "vnodes must be"),
    ({"conflict": "crdt"}, "unknown conflict mode 'crdt'"),
    ({"replication_factor": 2, "write_consistency": "three"}, "needs 3 replicas"),
])
def test_bad_options_are_refused(options, fragment):
    """Bad options fail at the boundary with a message naming the value and the bound."""
    with pytest.raises(ConfigError, match=fragment.replace("(", r"\(")):
        ap(**options)


def test_bad_per_operation_level_changes_nothing():
    """A consistency level above RF or unknown is refused before anything is recorded."""
    c = ap()
    alice = c.client("alice", near="n1")
    with pytest.raises(ConfigError, match="needs 4 replicas"):
        alice.put("x", 1, consistency=4)
    with pytest.raises(UnknownNameError):
        alice.get("x", consistency="every")
    assert len(c.history) == 0


def test_remove_unknown_or_last_nodes_is_an_error():
    """remove_node of an unknown node, or below RF nodes, fails naming the bound."""
    c = ap(nodes=3)
    with pytest.raises(UnknownNameError, match="n9"):
        c.remove_node("n9")
    with pytest.raises(ConfigError, match="replication_factor=3"):
        c.remove_node("n3")
    assert c.nodes == ["n1", "n2", "n3"]


def test_bad_switch_mode_options_leave_cluster_intact():
    """switch_mode with a bad AP option is refused before the old backend is closed."""
    c = ap()
    c.client("alice", near="n1").put("x", 1)
    with pytest.raises(ConfigError):
        c.switch_mode("ap", replication_factor=9)
    assert c.client("alice").get("x").value == 1
