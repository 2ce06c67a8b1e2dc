"""Views of the event shop: the flow diagram, the event log table, the lag plot."""

from __future__ import annotations

import json

from caplab.events import EventShop
from caplab.events.report import command_lags, event_rows, flow_edges
from caplab.viz.events import event_flow, event_table, lag_plot


def _shop():
    shop = EventShop(seed=1)
    shop.command("place", "o1", customer="ann", amount=30, address="1 Main St", items=["hat"])
    shop.command("place", "o2", customer="bob", amount=30, address="nowhere")
    shop.settle()
    return shop


def test_flow_edges_count_events_with_their_lag():
    """Each edge names source, target and event type with a count and a positive lag."""
    edges = flow_edges(_shop())
    by = {(e["source"], e["target"], e["type"]): e for e in edges}
    assert by[("orders", "payments", "OrderPlaced")]["count"] == 2
    assert by[("addresses", "payments", "AddressUnmatched")]["count"] == 1
    assert all(e["mean_lag_ms"] > 0 for e in edges)
    fig = event_flow(edges)
    labels = fig.data[0].text
    assert any(t.startswith("OrderPlaced ×2") for t in labels)
    assert set(fig.data[1].text) >= {"orders", "payments", "summary", "search"}


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
