"""Divergence curve, t-visibility curve, CP-vs-AP bars."""

from __future__ import annotations

from helpers_viz import trace_named, valid

from caplab.check import check_convergence
from caplab.staleness import t_visibility
from caplab.viz import (availability_consistency_bars, divergence_curve, divergence_data,
                        summary_dict, t_visibility_curve)

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
    d = divergence_data(cp.snapshots_frame(), heal_ms=heal, nodes=cp.nodes)
    assert max(d["divergent_keys"]) >= 1
    assert d["converged_ms"] is not None and d["converged_ms"] >= heal
    for nodes in (None, cp.nodes):
        ref = check_convergence(cp.snapshots_frame(), heal_ms=heal, nodes=nodes)
        mine = divergence_data(cp.snapshots_frame(), heal_ms=heal, nodes=nodes)
        assert mine["divergent_keys"] == list(ref.divergent_keys)
        assert mine["converged_ms"] == ref.converged_ms


def test_t_visibility_curves_monotone_with_p_marked():
    """Each curve rises with t; the t at which p is reached is marked on the p line."""
    a = t_visibility(3, 1, 1, latency="lnkd-disk", trials=3000, seed=1)
    b = t_visibility(3, 2, 1, latency="lnkd-disk", trials=3000, seed=1)
    fig = valid(t_visibility_curve([("R=1,W=1", a), ("R=2,W=1", b)], p=0.9))
    for name in ("R=1,W=1", "R=2,W=1"):
        y = list(trace_named(fig, name).y)
        assert all(q1 <= q2 for q1, q2 in zip(y, y[1:]))
    assert list(trace_named(fig, "p target").y) == [0.9, 0.9]
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
