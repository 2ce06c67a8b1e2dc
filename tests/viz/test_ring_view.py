"""Ring view: tokens per node, a key's preference list, what moves on join and leave."""

from __future__ import annotations

from helpers_viz import trace_named, valid

from caplab.kv.ap import HashRing
from caplab.viz import ring_view, ring_view_data


def _token_traces(fig):
    return [t for t in fig.data if (t.meta or {}).get("kind") == "tokens"]


def test_token_count_is_nodes_times_vnodes(ap):
    """One marker per token: nodes x vnodes, one trace per node."""
    fig = valid(ring_view(ap))
    traces = _token_traces(fig)
    assert [t.name for t in traces] == ap.nodes
    assert all(len(t.x) == 8 for t in traces)
    assert sum(len(t.x) for t in traces) == 5 * 8


def test_tokens_match_the_ring_records(ap):
    """Each node's markers are exactly its tokens from c.ring()."""
    fig = ring_view(ap)
    for t in _token_traces(fig):
        mine = sorted(str(e["token"]) for e in ap.ring() if e["node"] == t.name)
        assert sorted(row[2] for row in t.customdata) == mine


def test_preference_list_highlighted_for_a_key(ap):
    """The key's replicas are numbered in clockwise order, as replicas_for says."""
    fig = valid(ring_view(ap, key="k3"))
    pref = trace_named(fig, "preference list")
    assert pref.meta["nodes"] == ap.replicas_for("k3")
    assert list(pref.text) == [f"{i + 1}. {n}" for i, n in enumerate(ap.replicas_for("k3"))]
    assert len(trace_named(fig, "key").x) == 1


def test_keys_placed_with_their_replicas(ap):
    """Every stored key is on the ring with its preference list."""
    fig = ring_view(ap)
    rows = {row[0]: row[1] for row in trace_named(fig, "keys").customdata}
    assert set(rows) == {f"k{i}" for i in range(12)}
    assert all(rows[k] == ",".join(ap.replicas_for(k)) for k in rows)


def test_join_highlights_new_tokens_and_moved_ranges(ap):
    """After add_node, the new node's tokens and the ranges it took over are marked."""
    report = ap.add_node()
    fig = valid(ring_view(ap, highlight_changes=report))
    changed = trace_named(fig, "changed tokens")
    assert changed.meta["node"] == report["node"] and changed.meta["action"] == "join"
    assert len(changed.x) == 8
    assert trace_named(fig, "moved ranges").meta["ranges"] >= 1
    moved = {row[0] for row in trace_named(fig, "moved keys").customdata}
    assert moved == set(report["moved_keys"])


def test_leave_from_before_and_after_rings():
    """A (before, after) pair of rings shows the departed node's tokens."""
    before = HashRing(["n1", "n2", "n3", "n4"], vnodes=4)
    after = HashRing(["n1", "n2", "n3"], vnodes=4)
    d = ring_view_data(None, highlight_changes=(before, after), keys=["a", "b", "c"])
    assert d["changes"]["node"] == "n4" and d["changes"]["action"] == "leave"
    assert len(d["changes"]["tokens"]) == 4
    assert all(old == "n4" for _, _, old, _ in d["changes"]["arcs"])


def test_ring_records_alone_are_enough():
    """Plain ring records (no cluster) draw too, with the preference list recomputed."""
    ring = HashRing(["n1", "n2", "n3", "n4"], vnodes=6)
    fig = ring_view(ring.entries(), key="x", rf=3)
    assert trace_named(fig, "preference list").meta["nodes"] == ring.preference_list("x", 3)
