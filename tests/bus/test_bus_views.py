"""The bus comparison view: a pure function of the comparison's rows."""

import plotly.graph_objects as go

from caplab.course.bus import compare_buses
from caplab.viz.bus import bus_comparison_bars


def test_comparison_bars_draw_each_verdict_per_bus_with_the_balance():
    """Three bar groups (lost, duplicated, reordered), one bar per bus, labelled by balance."""
    rows = compare_buses(seed=1, orders=4).rows
    fig = bus_comparison_bars(rows)
    go.Figure(fig.to_dict())                 # valid plotly
    assert [t.name for t in fig.data] == ["lost", "duplicated", "reordered"]
    lost = fig.data[0]
    assert list(lost.y) == [r["lost"] for r in rows]
    assert all(f"balance {r['balance']} / {r['expected']}" in x for r, x in zip(rows, lost.x))
    assert {t.marker.pattern.shape for t in fig.data} == {"", "/", "."}   # not colour alone
