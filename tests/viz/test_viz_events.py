"""Views of the event shop: the flow diagram, the event log table, the lag plot."""

from __future__ import annotations

import json

import pytest
from helpers_viz import trace_named, valid

from caplab.events import EventShop
from caplab.events.report import command_lags, event_rows, flow_edges
from caplab.viz.events import FLOW_ORDER, event_flow, event_table, lag_plot
from caplab.viz.flow import event_flow_data


def _shop():
    shop = EventShop(seed=1)
    shop.command("place", "o1", customer="ann", amount=30, address="1 Main St", items=["hat"])
    shop.command("place", "o2", customer="bob", amount=30, address="nowhere")
    shop.settle()
    return shop


def test_flow_edges_count_events_with_their_lag():
    """Each edge names source, target and event type with a count and a positive lag; the
    diagram labels the pair with its one type and count."""
    edges = flow_edges(_shop())
    by = {(e["source"], e["target"], e["type"]): e for e in edges}
    assert by[("orders", "payments", "OrderPlaced")]["count"] == 2
    assert by[("addresses", "payments", "AddressUnmatched")]["count"] == 1
    assert all(e["mean_lag_ms"] > 0 for e in edges)
    fig = valid(event_flow([e for e in edges if e["type"] == "OrderPlaced"]))
    labels = {n.text for n in fig.layout.annotations if n.name == "pair label"}
    assert "OrderPlaced ×2" in labels
    assert set(trace_named(fig, "services").text) >= {"orders", "payments", "summary", "search"}


def _story():
    """Notebook 09's saga (one order delivered, one compensated): nine busy pairs."""
    from caplab.course import events as ev
    return flow_edges(ev.saga_failure(seed=1).shop)


def test_one_arrow_per_sender_receiver_pair():
    """However many event types a pair carries, the diagram draws one line, one head and one
    label for it (the old view drew one per type, and the labels piled up)."""
    edges = _story()
    pairs = {(e["source"], e["target"]) for e in edges}
    assert len(pairs) < len(edges)
    fig = valid(event_flow(edges))
    lines = [t.name for t in fig.data if t.mode == "lines" and t.name != "label leader"]
    assert sorted(lines) == sorted(f"{a} → {b}" for a, b in pairs)
    notes = fig.layout.annotations
    assert len([n for n in notes if n.name == "arrowhead"]) == len(pairs)
    assert len([n for n in notes if n.name == "pair label"]) == len(pairs)


def test_hover_lists_every_type_with_its_count_and_lag():
    """Each pair's hover text (on its arrow and its label) names every event type it carried,
    with the count and the mean lag; a busy pair's label counts instead of listing."""
    edges = _story()
    data = event_flow_data(edges)
    for p in data["pairs"]:
        mine = [e for e in edges if (e["source"], e["target"]) == (p["source"], p["target"])]
        for e in mine:
            assert f"{e['type']} ×{e['count']} (lag mean {e['mean_lag_ms']:.0f} ms" in p["hover"]
        assert p["count"] == sum(e["count"] for e in mine)
    busy = next(p for p in data["pairs"] if (p["source"], p["target"]) == ("orders", "summary"))
    assert busy["label"] == "7 events, 5 types"
    back = next(p for p in data["pairs"] if (p["source"], p["target"]) == ("payments", "orders"))
    assert back["label"] == "Authorised ×2, Refunded"
    fig = event_flow(edges, data=data)
    hover = trace_named(fig, "event types")
    assert set(hover.text) == {p["hover"] for p in data["pairs"]}
    assert {n.hovertext for n in fig.layout.annotations if n.name == "pair label"} == set(hover.text)


def _boxes(fig, name):
    """(x0, y0, x1, y1) in px of each annotation called ``name``: its text width as set, plus
    pad and border, at the figure's fixed size and axis ranges."""
    from caplab.viz.flow import BOX_PAD_PX
    lay = fig.layout
    plot_w = lay.width - lay.margin.l - lay.margin.r
    plot_h = lay.height - lay.margin.t - lay.margin.b
    sx = plot_w / (lay.xaxis.range[1] - lay.xaxis.range[0])
    sy = plot_h / (lay.yaxis.range[1] - lay.yaxis.range[0])
    out = []
    for n in lay.annotations:
        if n.name == name:
            w, h = n.width + 2 * BOX_PAD_PX, 1.25 * n.font.size + 2 * BOX_PAD_PX
            x, y = (n.x - lay.xaxis.range[0]) * sx, (n.y - lay.yaxis.range[0]) * sy
            out.append((x - w / 2, y - h / 2, x + w / 2, y + h / 2))
    return out


def _overlap(a, b):
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


@pytest.mark.parametrize("story", ["saga", "lost event", "outbox"])
def test_no_label_overlaps_another_or_a_service(story):
    """In notebook 09's saga and the panel's stories, no two arrow labels overlap and no label
    covers a service's box (boxes from positions and text widths, at the figure's size)."""
    if story == "saga":
        edges = _story()
    else:
        from caplab.widgets import EventsPanel
        panel = EventsPanel(seed=1, publish="after_commit" if story == "lost event" else "outbox")
        panel.scenario()
        edges = flow_edges(panel.shop)
    fig = event_flow(edges)
    labels, nodes = _boxes(fig, "pair label"), _boxes(fig, "node")
    assert len(labels) == len({(e["source"], e["target"]) for e in edges}) and nodes
    for i, a in enumerate(labels):
        assert not any(_overlap(a, b) for b in labels[i + 1:] + nodes), (i, a)
    assert not any(_overlap(a, b) for i, a in enumerate(nodes) for b in nodes[i + 1:])


def test_layers_follow_the_flow_and_both_directions_stay_apart():
    """Services sit left to right in FLOW_ORDER with the read models in the rightmost column;
    orders -> payments bends above the row and payments -> orders below, so they never share a
    line."""
    data = event_flow_data(_story())
    x = {n["name"]: n["x"] for n in data["nodes"]}
    services = [n for n in FLOW_ORDER if n in x and n not in ("summary", "search")]
    assert [x[n] for n in services] == sorted(x[n] for n in services)
    assert x["summary"] == x["search"] > max(x[n] for n in services)
    assert {n["role"] for n in data["nodes"] if n["name"] in ("summary", "search")} == {"read model"}
    path = {(p["source"], p["target"]): p["path"] for p in data["pairs"]}
    there, back = path[("orders", "payments")], path[("payments", "orders")]
    assert min(y for _, y in there[3:-3]) > 0 > max(y for _, y in back[3:-3])


def test_an_empty_flow_draws_an_empty_figure():
    """Before any event, the diagram has no arrow, no label and still builds."""
    fig = valid(event_flow([]))
    assert not fig.layout.annotations and not trace_named(fig, "event types").x


def test_event_table_shows_headers_and_bodies():
    """The table has one row per logged event and the body as JSON."""
    shop = _shop()
    rows = event_rows(shop)
    fig = event_table(rows)
    cells = fig.data[0].cells.values
    assert len(cells[0]) == len(rows) == len(shop.log_events())
    assert json.loads(cells[-1][0]) == rows[0]["body"]


def test_event_table_fits_its_content_and_every_row():
    """Columns are weighted by their content (an id column wider than the version column), ids
    wrap at their '-', and the figure is tall enough that the table needs no inner scrolling
    for a short log (the notebook's 16 records were shown 3 at a time, ids and headers cut)."""
    rows = event_rows(_shop())
    fig = event_table(rows)
    widths = dict(zip(fig.data[0].header.values, fig.data[0].columnwidth))
    assert widths["event_<br>id"] > widths["version"]
    assert all("-<br>" in v for v in fig.data[0].cells.values[1])
    assert fig.layout.height >= 130 + 24 * len(rows)


def test_lag_plot_shows_every_command():
    """Every command appears with its lag to visibility in the order summary."""
    lags = command_lags(_shop())
    assert [r["order_id"] for r in lags] == ["o1", "o2"]
    assert all(r["lag_ms"] is not None and r["lag_ms"] > 0 for r in lags)
    fig = lag_plot(lags)
    assert list(fig.data[0].y) == [r["lag_ms"] for r in lags]


def test_other_names_fill_columns_from_the_left_and_sinks_are_read_models():
    """A flow of names the shop does not use: senders take columns from the left in name
    order, a node that only receives goes to the rightmost column as a read model."""
    def edge(a, b, kind, count=1):
        return {"source": a, "target": b, "type": kind, "count": count, "mean_lag_ms": 5.0,
                "max_lag_ms": 6}
    edges = [edge("a", "b", "X"), edge("b", "a", "Y", 3), edge("a", "view", "Z"),
             edge("c", "a", "W")]
    data = event_flow_data(edges)
    assert [(n["name"], n["x"], n["role"]) for n in data["nodes"]] == [
        ("a", 0, "service"), ("b", 1, "service"), ("c", 2, "service"), ("view", 3, "read model")]
    assert {p["label"] for p in data["pairs"]} == {"X", "Y ×3", "Z", "W"}
    valid(event_flow(edges, data=data))
