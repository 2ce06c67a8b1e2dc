"""The public face of caplab.viz, and redrawing a figure in place."""

from __future__ import annotations

import plotly.graph_objects as go
from helpers_viz import cp_cluster

import caplab.viz as viz
from caplab.viz import cluster_graph, ring_view, update_figure


def _data(fig):
    """Trace dicts without empty sub-dicts (a reset property reads back as {})."""
    def clean(v):
        if isinstance(v, dict):
            return {k: clean(x) for k, x in v.items() if x != {}}
        return v
    return [clean(t) for t in fig.to_dict()["data"]]


def test_all_names_exist():
    """Every name in __all__ is importable, and the colour maps cover roles and outcomes."""
    for name in viz.__all__:
        assert hasattr(viz, name), name
    assert set(viz.ROLE_COLOURS) >= {"primary", "secondary", "candidate", "replica", "down"}
    assert set(viz.OUTCOME_COLOURS) == {"ok", "fail", "info"}


def test_update_figure_copies_a_new_state_in_place(cp):
    """After update_figure the old figure equals the new one, trace by trace."""
    fig = cluster_graph(cp)
    cp.crash(next(n for n in cp.nodes if n != cp.primary))
    cp.isolate(cp.primary)
    cp.run_for(50)
    new = cluster_graph(cp, key="x")
    same = update_figure(fig, new)
    assert same is fig
    assert _data(fig) == _data(new)
    assert fig.layout.title.text == new.layout.title.text


def test_update_figure_adds_and_removes_traces(ap):
    """When the trace count changes (a node joins the ring) traces are added, then removed."""
    small = ring_view(ap)
    ap.add_node()
    big = ring_view(ap)
    fig = go.Figure(small)
    update_figure(fig, big)
    assert [t.name for t in fig.data] == [t.name for t in big.data]
    update_figure(fig, small)
    assert _data(fig) == _data(small)


def test_same_seed_same_figure():
    """Views are deterministic: the same seeded scenario gives the same figure data."""
    a, b = cp_cluster(seed=3), cp_cluster(seed=3)
    assert cluster_graph(a).to_dict()["data"] == cluster_graph(b).to_dict()["data"]


def test_update_figure_changes_resets_keeps_and_leaves_the_source_alone():
    """A redraw changes the differing properties, resets trace properties the new figure lacks,
    keeps layout keys it lacks (a panel's autosize), leaves an unchanged trace untouched, and
    never modifies the figure it copies from (it reads it without copying)."""
    fig = go.Figure([go.Scatter(x=[0, 1], y=[0, 1], name="a", text=["p", "q"]),
                     go.Bar(x=["u"], y=[3], name="b")],
                    layout={"title": {"text": "before"}, "height": 300})
    fig.layout.autosize = True            # set by a panel, absent from the builders' figures
    new = go.Figure([go.Scatter(x=[0, 1], y=[5, 6], name="a"),
                     go.Bar(x=["u"], y=[3], name="b")],
                    layout={"title": {"text": "after"}, "height": 300,
                            "template": "plotly_white"})
    new_before = new.to_dict()
    changes = []
    fig.data[0].on_change(lambda trace, *values: changes.append(("a", values)), "y", "text",
                          "name")
    fig.data[1].on_change(lambda trace, *values: changes.append(("b", values)), "y")
    update_figure(fig, new)
    assert list(fig.data[0].y) == [5, 6] and fig.data[0].text is None   # changed; reset
    assert fig.layout.title.text == "after" and fig.layout.autosize is True
    assert [who for who, _ in changes] == ["a"]                          # the bar was untouched
    assert new.to_dict() == new_before
