"""Replica stories: one key's value on each replica over time, read from the trace (notebook 04's
hinted handoff, read repair, anti-entropy and siblings as figures)."""

from __future__ import annotations

from helpers_viz import trace_named, valid

from caplab.course import ap, conflicts
from caplab.viz.replica_story import replica_story, replica_story_data


def _arrivals(d, node):
    return [(a["how"], a["value"]) for a in d["arrivals"] if a["node"] == node]


def test_hint_replay_brings_the_write_after_the_heal():
    """Cassandra hinted handoff: the cut-off replica gets the write by a replayed hint, after
    the heal, at the time the trace records the replay; before that it holds nothing."""
    h = ap.hinted_handoff(seed=1)
    d = replica_story_data(h.cluster, h.key)
    assert _arrivals(d, h.target) == [("hint replayed", "v1")]
    got = next(a for a in d["arrivals"] if a["node"] == h.target)
    assert h.heal_ms <= got["time_ms"] and abs(got["time_ms"] - h.replayed_ms) <= 5
    held = [s for s in d["segments"] if s["node"] == h.target]
    assert [s["start_ms"] for s in held] == [got["time_ms"]]
    fig = valid(replica_story(h.cluster, h.key, marks=[(h.heal_ms, "heal"),
                                                       (h.replayed_ms, "hint replayed")]))
    assert trace_named(fig, "hint replayed").customdata[0][0] == h.target
    assert sum(s.name == "mark" for s in fig.layout.shapes) == 2
    notes = [a for a in fig.layout.annotations if a.name == "mark"]
    assert len({a.yshift for a in notes}) == 2          # close marks: labels stacked apart
    assert any(s.name == "partition" for s in fig.layout.shapes)


def test_no_hints_leaves_the_replica_empty():
    """Without hints the cut-off replica never gets the write (no bar on its lane)."""
    h = ap.hinted_handoff(seed=1, hinted=False)
    d = replica_story_data(h.cluster, h.key)
    assert _arrivals(d, h.target) == [] and h.target_value_after is None


def test_read_repair_fixes_the_stale_replica():
    """Cassandra blocking read repair: the stale replica goes from 'old' to 'new' by a read
    repair, matching the facts notebook 04 prints."""
    rr = ap.read_repair(seed=1)
    d = replica_story_data(rr.cluster, rr.key)
    assert _arrivals(d, rr.stale_node) == [("write", "old"), ("read repair", "new")]
    assert rr.before[rr.stale_node] == "old" and rr.after[rr.stale_node] == "new"


def test_anti_entropy_brings_the_missed_key():
    """Cassandra repair with Merkle trees: the node that was down gets the changed key from an
    anti-entropy exchange."""
    ae = ap.anti_entropy(seed=1)
    key = ae.changed[0]
    d = replica_story_data(ae.cluster, key)
    assert ("anti-entropy", "new") in _arrivals(d, ae.stale_node)
    assert ae.stale_after[key] == "new"


def test_siblings_show_as_two_values_then_the_merge():
    """Dynamo's shopping cart: after the heal every replica holds 2 siblings, then the merged
    cart written back with the read's context."""
    cart = conflicts.shopping_cart(seed=1, conflict="siblings")
    d = replica_story_data(cart.cluster, "cart")
    for node in d["nodes"]:
        values = [v for _, v in _arrivals(d, node)]
        assert any(isinstance(v, tuple) and len(v) == cart.siblings for v in values)
        assert values[-1] == cart.merged
    fig = valid(replica_story(data=d))
    assert any(t.name.startswith("2 siblings") for t in fig.data)
