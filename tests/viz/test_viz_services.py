"""Views of services: the operator's dashboard with spike and fault bands, and the options
comparison."""

from __future__ import annotations

from helpers_viz import trace_named, valid

from caplab.services import compare_options, sale_spike, time_series
from caplab.viz.services import PANELS, dashboard, options_comparison


def test_dashboard_draws_every_series_with_spike_and_fault_bands():
    """Six rows sharing time; the spike band and the crash band are shaded rectangles."""
    d = sale_spike("memory-then-replicas", seed=1, crash_at_ms=25_000)["deployment"]
    s = time_series(d)
    fig = valid(dashboard(s))
    assert len(fig.data) == sum(len(lines) for _, lines in PANELS)
    p99 = trace_named(fig, "p99")
    assert list(p99.x) == [t / 1000 for t in s["t_ms"]] and p99.yaxis == "y3"
    assert list(trace_named(fig, "error rate").y) == [e * 100 for e in s["error_rate"]]
    bands = [(sh.x0, sh.x1) for sh in fig.layout.shapes]
    assert bands[:2] == [(20.0, 40.0), (25.0, 35.0)]
    (down, up), = bands[2:]                         # the balancer's view of the same crash
    assert 25.0 < down <= 26.5 and 35.0 < up <= 36.5
    assert [a.text for a in fig.layout.annotations] == ["sale spike", "sale-1 crashed"]


def test_options_comparison_has_a_bar_per_option():
    """p50 and p99 bars and the hourly cost for each option, in order."""
    rows = compare_options(seed=1, options=("scale-up", "memory-then-replicas"))
    fig = valid(options_comparison(rows))
    assert list(trace_named(fig, "p99 ms").x) == ["scale-up", "memory-then-replicas"]
    assert list(trace_named(fig, "$ per hour").y) == [r["cost_per_hour"] for r in rows]


def test_options_comparison_writes_cost_and_availability_under_each_option():
    """Cost and availability are in each option's tick label (next to the diamonds they ran
    over the bars and off the top), and the cost axis reads in dollars from 0."""
    rows = compare_options(seed=1, options=("scale-up", "memory-then-replicas"))
    fig = valid(options_comparison(rows))
    for tick, r in zip(fig.layout.xaxis.ticktext, rows):
        assert tick.startswith(r["option"]) and f"${r['cost_per_hour']:.2f}/h" in tick
        assert f"{r['availability']:.1%} served" in tick
    assert trace_named(fig, "$ per hour").text is None
    assert fig.layout.yaxis2.range[0] == 0 and fig.layout.yaxis2.tickprefix == "$"
