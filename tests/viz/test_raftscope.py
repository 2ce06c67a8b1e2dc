"""The RaftScope-style view and the state it is drawn from: every member's role, term, vote
and log rebuilt from the trace agree with the live members, and the frames show a rollback (the
cut-back entries in the log before, hanging below it after)."""

from __future__ import annotations

import pytest
from helpers_viz import trace_named, valid

from caplab.course import cp as cp_course
from caplab.kv import Cluster
from caplab.kv.timeline_state import Timeline
from caplab.viz.raftscope import raftscope, raftscope_animation, raftscope_data


@pytest.fixture(scope="module")
def failover():
    return cp_course.failover(seed=1, w=1)


def _live(c) -> dict:
    """Each member's role, term, vote, commit point and log entries, read from the nodes."""
    out = {}
    for name, node in c.backend.nodes.items():
        out[name] = (c.roles()[name], node.term, node.voted_for, node.oplog.commit_index,
                     [(e.term, e.index, e.op, e.key, e.value) for e in node.oplog.entries])
    return out


def _rebuilt(moment) -> dict:
    return {n: (s.role, s.term, s.voted_for, s.commit_index,
                [(e.term, e.index, e.op, e.key, e.value) for e in s.log])
            for n, s in moment.nodes.items()}


def test_rebuilt_state_matches_the_live_members_throughout_a_nemesis_run():
    """At every checkpoint of a run under a random nemesis, the trace replay equals the nodes."""
    from caplab.kv.workload import Workload
    c = Cluster(mode="cp", nodes=5, seed=7)
    c.run_for(1500)
    c.nemesis(duration_ms=4000, faults=("partition", "isolate", "crash"), fault_ms=(500, 1500),
              mean_gap_ms=400)
    work = Workload(c, clients=3, keys=2, read_fraction=0.3, mean_think_ms=40,
                    put_options={"w": 1})
    checkpoints = {}
    for _ in range(8):
        work.run(duration_ms=500)
        checkpoints[c.now] = _live(c)
    moments = Timeline.of(c).moments(list(checkpoints))
    assert len(checkpoints) == 8
    for m in moments:
        assert _rebuilt(m) == checkpoints[m.time_ms], m.time_ms


def test_rollback_frames_show_the_entry_before_and_cut_off_after(failover):
    """The old primary holds x='lost' uncommitted before the rollback; after it, the entry has
    left its log and hangs below the row as rolled back (MongoDB: Rollbacks During Replica Set
    Failover)."""
    tl = Timeline.of(failover.cluster)
    cut = [e for e in tl.events if e.kind == "rollback" and e.data["action"] == "truncate"]
    assert [e.node for e in cut] == [failover.old_primary]
    t = cut[0].time_ms
    before, after = tl.moments([t - 1, t])
    old = failover.old_primary
    held = {e.value: e.committed for e in before.nodes[old].log}
    assert held["lost"] is False and held["base"] is True
    assert "lost" not in {e.value for e in after.nodes[old].log}
    assert [e.value for e in after.nodes[old].cut if e.op == "put"] == ["lost"]
    fig_before, fig_after = valid(raftscope(tl, t - 1)), valid(raftscope(tl, t))
    assert trace_named(fig_before, "rolled back").x == ()
    assert any("lost" in h for h in trace_named(fig_before, "log entries").hovertext)
    assert not any("lost" in h for h in trace_named(fig_after, "log entries").hovertext)
    assert any("lost" in h for h in trace_named(fig_after, "rolled back").hovertext)
    assert f"t = {t} ms" in fig_after.layout.title.text and "rollback" in \
        fig_after.layout.title.text


def test_diverging_logs_show_different_terms_at_one_index(failover):
    """Just before the rollback the new primary's entry 3 is of term 2, the old one's of term 1."""
    tl = Timeline.of(failover.cluster)
    t = next(e.time_ms for e in tl.events if e.kind == "rollback")
    d = raftscope_data(tl.at(t - 1), tl.nodes)
    at3 = {e["node"]: e["term"] for e in d["entries"] if e["index"] == 3}
    assert at3[failover.old_primary] == 1 and at3[failover.new_primary] == 2


def test_primary_is_drawn_by_shape_and_label_and_messages_fly_between_members(failover):
    """The primary is a star labelled PRIMARY; a message in flight lies between its ends."""
    tl = Timeline.of(failover.cluster)
    t = 2000
    fig = valid(raftscope(tl, t))
    members = trace_named(fig, "members")
    i = list(members.customdata).index(failover.old_primary)   # still primary at 2000 ms
    assert members.marker.symbol[i] == "star" and "PRIMARY" in members.text[i]
    d = raftscope_data(tl.at(1105), tl.nodes)
    flying = [m for m in d["messages"] if m["fate"] == "flying"]
    assert flying
    pos = {n["node"]: (n["x"], n["y"]) for n in d["nodes"]}
    for m in flying:
        (x0, y0), (x1, y1) = pos[m["src"]], pos[m["dst"]]
        assert min(x0, x1) - 1e-9 <= m["x"] <= max(x0, x1) + 1e-9
        assert min(y0, y1) - 1e-9 <= m["y"] <= max(y0, y1) + 1e-9


def test_partition_drops_show_as_dropped_messages(failover):
    """While the old primary is cut off, its heartbeats are drawn as dropped."""
    tl = Timeline.of(failover.cluster)
    times = tl.event_times(failover.isolate_ms + 1, failover.heal_ms - 1, kinds=("drop",))
    assert times
    d = raftscope_data(tl.at(times[0]), tl.nodes)
    assert any(m["fate"] == "dropped" for m in d["messages"])


def test_animation_has_one_frame_per_time_with_the_same_traces(failover):
    """Every plotly frame carries the same traces as the figure, in the same order."""
    tl = Timeline.of(failover.cluster)
    times = tl.event_times(2795, 2815)
    fig = valid(raftscope_animation(tl, times))
    assert [f.name for f in fig.frames] == [str(t) for t in times]
    names = [t.name for t in fig.data]
    assert all([t.name for t in f.data] == names for f in fig.frames)
    assert len(fig.layout.sliders[0].steps) == len(times)


def test_a_mysql_style_source_shows_roles_by_generation():
    """CA: the source is primary (generation 1) from the start, the replicas follow it."""
    c = Cluster(mode="ca", nodes=3, seed=1)
    c.client("a", near="n1").put("x", "1")
    c.run_for(300)
    tl = Timeline.of(c)
    m = tl.at(c.now)
    assert {n: s.role for n, s in m.nodes.items()} == c.roles()
    fig = valid(raftscope(tl, 9))
    assert "BinlogEvents" in {t.name for t in fig.data}


def test_timeline_is_pure():
    """Building and reading a timeline changes nothing in the cluster."""
    c = Cluster(mode="cp", nodes=3, seed=1)
    c.run_for(1500)
    before = (c.now, len(c.sim.trace), c.roles())
    raftscope(Timeline.of(c), 1200)
    assert (c.now, len(c.sim.trace), c.roles()) == before
