"""Divergence curve, t-visibility curve, CP-vs-AP bars."""

from __future__ import annotations

import pytest

from helpers_viz import trace_named, valid

from caplab.check import check_convergence
from caplab.analyses.staleness import t_visibility
from caplab.viz.curves import MISS_FLOOR
from caplab.viz import (availability_consistency_bars, divergence_curve, divergence_data,
                        summary_dict, t_visibility_curve)
from caplab.frames import snapshots_frame

SNAPS = [dict(time_ms=t, node=n, key="x", value=v) for t, n, v in [
    (0, "n1", 1), (0, "n2", 0), (50, "n1", 1), (50, "n2", 0),
    (100, "n1", 1), (100, "n2", 1), (150, "n1", 1), (150, "n2", 1)]]


def test_heal_line_and_time_to_converge():
    """The heal is a vertical line; convergence is marked with the time since the heal."""
    fig = valid(divergence_curve(SNAPS, heal_ms=60))
    heal = trace_named(fig, "heal")
    assert list(heal.x) == [60, 60]
    conv = trace_named(fig, "converged")
    assert conv.meta["converged_ms"] == 100 and conv.meta["time_to_converge_ms"] == 40
    assert list(trace_named(fig, "divergent keys").y) == [1, 1, 0, 0]
    assert any("40 ms" in a.text for a in fig.layout.annotations)


def test_divergence_with_replica_sets():
    """With replicas= only each key's replicas are compared (AP preference lists)."""
    snaps = SNAPS + [dict(time_ms=t, node="n3", key="x", value=9) for t in (0, 50, 100, 150)]
    d = divergence_data(snaps, heal_ms=60, replicas={"x": ["n1", "n2"]})
    assert d["divergent_keys"] == [1, 1, 0, 0] and d["time_to_converge_ms"] == 40


def test_divergence_curve_from_a_real_heal(cp):
    """A real partition and heal: divergence rises, then the heal line and convergence."""
    assert cp.clients["alice"].put("x", "0").ok
    cp.watch(every_ms=20)
    lagging = next(n for n in cp.nodes if n not in (cp.primary, cp.network.near("alice")))
    cp.isolate(lagging)
    assert cp.clients["alice"].put("x", "1").ok
    cp.run_for(200)
    cp.heal()
    heal = cp.now
    cp.run_for(3000)
    d = divergence_data(snapshots_frame(cp), heal_ms=heal, nodes=cp.nodes)
    assert max(d["divergent_keys"]) >= 1
    assert d["converged_ms"] is not None and d["converged_ms"] >= heal
    for nodes in (None, cp.nodes):
        ref = check_convergence(snapshots_frame(cp), heal_ms=heal, nodes=nodes)
        mine = divergence_data(snapshots_frame(cp), heal_ms=heal, nodes=nodes)
        assert mine["divergent_keys"] == list(ref.divergent_keys)
        assert mine["converged_ms"] == ref.converged_ms
    fig = valid(divergence_curve(snapshots_frame(cp), heal_ms=heal, nodes=cp.nodes,
                                 faults=cp))
    part = next(s for s in fig.layout.shapes if s.name == "partition")
    assert part.x1 == heal and part.x0 < heal
    assert any(s.name == "partition starts" for s in fig.layout.shapes)
    assert any(a.name == "band partition" and lagging in a.text for a in fig.layout.annotations)


def test_t_visibility_curves_monotone_with_p_marked():
    """Each curve rises with t; the t at which p is reached is marked on the p line."""
    a = t_visibility(3, 1, 1, latency="lnkd-disk", trials=3000, seed=1)
    b = t_visibility(3, 2, 1, latency="lnkd-disk", trials=3000, seed=1)
    fig = valid(t_visibility_curve([("R=1,W=1", a), ("R=2,W=1", b)], p=0.9))
    for name in ("R=1,W=1", "R=2,W=1"):
        y = list(trace_named(fig, name).meta["p"])
        assert all(q1 <= q2 for q1, q2 in zip(y, y[1:]))
    assert list(trace_named(fig, "p target").y) == [pytest.approx(0.1)] * 2
    marks = {row[0]: row[1] for row in trace_named(fig, "t at p").customdata}
    assert marks["R=2,W=1"] <= marks["R=1,W=1"]
    assert trace_named(fig, "R=1,W=1").meta["t_at_p"] == marks["R=1,W=1"]


def test_comparison_bars_from_plain_dicts():
    """Two summaries give three bars each (available %, stale reads, lost writes)."""
    cp = {"ops": 100, "ok": 62, "stale_reads": 0, "lost_writes": 0, "linearizable": True}
    ap = {"ops": 100, "ok": 100, "stale_reads": 9, "lost_writes": 2, "linearizable": False}
    fig = valid(availability_consistency_bars(cp, ap))
    values = {(t.meta["label"], t.meta["metric"]): t.meta["value"] for t in fig.data}
    assert values[("CP", "available")] == 62.0 and values[("AP", "available")] == 100.0
    assert values[("AP", "stale_reads")] == 9 and values[("AP", "lost_writes")] == 2
    assert fig.layout.meta["linearizable"] == {"CP": True, "AP": False}


def test_summary_dict_from_a_history(cp):
    """summary_dict counts outcomes and runs the checkers."""
    alice = cp.clients["alice"]
    alice.put("x", "1")
    alice.get("x")
    s = summary_dict(cp.history)
    assert s["ops"] == 2 and s["ok"] == 2 and s["linearizable"] is True
    assert s["stale_reads"] == 0 and s["lost_writes"] == 0


def _op(i, client, invoke, complete, outcome, op="put", value=None):
    return dict(id=i, client=client, op=op, key="x", value=value if value is not None else i,
                invoke_ms=invoke, complete_ms=complete, outcome=outcome)


def test_summary_dict_window_reports_the_worst_client():
    """Overall, a blocked client hides behind the busy ones; per client in the fault window it
    does not: its operations active in the window (even one invoked before it) count."""
    hist = [_op(i, "fast", 10 * i, 10 * i + 5, "ok") for i in range(40)]
    hist += [_op(100, "slow", 90, 400, "info"), _op(101, "slow", 420, 425, "ok")]
    s = summary_dict(hist, window=(100, 300))
    assert s["ok"] / s["ops"] > 0.95
    assert s["worst_client"] == "slow" and s["worst_client_ok_share"] == 0.0
    assert s["client_ok_share"]["fast"] == 1.0 and s["window"] == (100, 300)
    assert "worst_client" not in summary_dict(hist)


def test_comparison_bars_add_a_worst_client_panel_only_when_given():
    """A fourth panel (x4) when the summaries carry worst_client_ok_share; dicts without it
    (notebook 02) still give three panels."""
    cp = {"ops": 100, "ok": 98, "linearizable": True, "worst_client_ok_share": 0.0,
          "worst_client": "c1"}
    ap = {"ops": 100, "ok": 100, "linearizable": True, "worst_client_ok_share": 1.0,
          "worst_client": "c3"}
    fig = valid(availability_consistency_bars({"CP": cp, "AP": ap}))
    worst = {t.meta["label"]: t for t in fig.data if t.meta["metric"] == "worst_client"}
    assert worst["CP"].meta["value"] == 0.0 and worst["AP"].meta["value"] == 100.0
    assert worst["CP"].xaxis == "x4" and worst["CP"].meta["client"] == "c1"
    assert any("worst client" in a.text for a in fig.layout.annotations)
    plain = valid(availability_consistency_bars({"CP": {"ops": 10, "ok": 9},
                                                 "AP": {"ops": 10, "ok": 10}}))
    assert {t.meta["metric"] for t in plain.data} == {"available", "stale_reads",
                                                      "lost_writes"}
    assert "xaxis4" not in plain.layout.to_plotly_json()


def test_comparison_bars_leave_room_for_labels_and_titles():
    """A 100 % bar's label fits under the top of the axis; panel titles are wrapped."""
    fig = availability_consistency_bars({"ops": 10, "ok": 10}, {"ops": 10, "ok": 10})
    assert fig.layout.yaxis.range[1] >= 115
    titles = [a.text for a in fig.layout.annotations if (a.name or "").startswith("panel")]
    assert len(titles) == 3 and all("<br>" in t for t in titles)


def test_strict_quorum_curve_is_a_flat_line_not_a_dot():
    """R + W > N: t_visibility gives one point (t = 0, p = 1); the curve is drawn flat at 1
    over a sensible range, named 'always consistent (R+W>N)'; beside another curve it spans
    that curve's range."""
    strict = t_visibility(3, 2, 2, trials=2000, seed=1)
    assert len(strict) == 1
    fig = valid(t_visibility_curve([("R=W=2", strict)], p=0.999))
    line = fig.data[0]
    assert "always consistent (R+W>N)" in line.name and line.meta["always_consistent"]
    assert list(line.y) == [MISS_FLOOR] * 2 and line.x[0] == 0 and line.x[1] >= 5
    assert any("always consistent" in a.text for a in fig.layout.annotations)
    loose = t_visibility(3, 1, 1, latency="lnkd-disk", trials=2000, seed=1)
    both = t_visibility_curve([("R=W=1", loose), ("R=W=2", strict)], p=0.999)
    assert both.data[1].x[1] == max(loose["t_ms"])


def test_target_line_is_dotted_and_labelled():
    """The p target (near 1, where it is hard to see) is a dotted line with a label."""
    a = t_visibility(3, 1, 1, latency="lnkd-disk", trials=2000, seed=1)
    fig = t_visibility_curve([("R=W=1", a)], p=0.999)
    assert trace_named(fig, "p target").line.dash == "dot"
    label = next(x for x in fig.layout.annotations if x.name == "p target")
    assert "0.999" in label.text and label.y == pytest.approx(-3)   # log10(1 - 0.999)


def test_t_visibility_is_a_log_scale_of_one_minus_p():
    """99% and 99.9% are far apart: y is 1 - p on a reversed log axis ticked in percent."""
    a = t_visibility(3, 1, 1, latency="lnkd-disk", trials=3000, seed=1)
    fig = valid(t_visibility_curve([("R=W=1", a)], p=0.999))
    assert fig.layout.yaxis.type == "log" and fig.layout.yaxis.autorange == "reversed"
    assert "99.9%" in fig.layout.yaxis.ticktext
    line = fig.data[0]
    assert [pytest.approx(1 - q) for q in line.meta["p"] if q < 1] == \
        [y for y, q in zip(line.y, line.meta["p"]) if q < 1]


def test_t_at_p_markers_in_curve_colours_with_labels_apart():
    """Each curve's t-at-p marker has its curve's colour; the labels of close markers are
    stacked (different offsets), so they never overlap."""
    a = t_visibility(3, 1, 1, latency="lnkd-disk", trials=3000, seed=1)
    b = t_visibility(3, 1, 2, latency="lnkd-disk", trials=3000, seed=1)
    fig = valid(t_visibility_curve([("A", a), ("B", a), ("C", b)], p=0.99))
    marks = trace_named(fig, "t at p")
    colours = {t.name: t.line.color for t in fig.data[:3]}
    assert list(marks.marker.color) == [colours[row[0]] for row in marks.customdata]
    notes = [n for n in fig.layout.annotations if n.name == "t at p"]
    same_x = [n.yshift for n in notes if n.x == marks.x[0]]
    assert len(same_x) == 2 and len(set(same_x)) == 2
