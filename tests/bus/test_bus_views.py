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


def test_comparison_bars_leave_room_above_the_tallest_bar_for_its_count():
    """The y axis reaches past the tallest bar, so its count ("outside" the bar) is not cut
    off at the top of the plot (notebook 08's 19 lost NATS events were)."""
    fig = bus_comparison_bars(compare_buses(seed=1).rows)
    tallest = max(max(t.y) for t in fig.data)
    assert fig.layout.yaxis.range[0] == 0 and fig.layout.yaxis.range[1] >= 1.1 * tallest


def test_rabbit_view_draws_the_default_exchange_to_each_queue_with_its_counts():
    """The default exchange routes to every queue by name; a queue's label carries ready,
    unacked and dead-lettered counts."""
    from caplab.bus.rabbit import Broker
    from caplab.viz.bus import rabbit_view, rabbit_view_data
    b = Broker(nodes=1, seed=1)
    b.declare_exchange("orders", "topic")
    b.declare_queue("eu")
    b.bind("eu", "orders", "eu.#")
    b.publisher("p").publish("orders", "eu.paid", 1)
    data = rabbit_view_data(b.topology_records())
    assert {(e["exchange"], e["queue"], e["key"]) for e in data["edges"]} == \
        {("orders", "eu", "eu.#"), ("(default)", "eu", "eu")}
    fig = rabbit_view(b.topology_records())
    go.Figure(fig.to_dict())
    assert "ready 1" in fig.data[-1].text[0]


def test_nats_view_builds_the_subject_tree_and_skips_inboxes():
    """orders.> and orders.*.paid share the orders node; subscribers are listed on their
    pattern's node, queue group in brackets."""
    from caplab.viz.bus import nats_view, nats_view_data
    subs = [{"server": "s1", "client": "a", "sid": 1, "pattern": "orders.>", "queue": "q"},
            {"server": "s1", "client": "b", "sid": 1, "pattern": "orders.*.paid",
             "queue": None},
            {"server": "s1", "client": "c", "sid": 2, "pattern": "_INBOX.c.1", "queue": None}]
    data = nats_view_data(subs)
    paths = [n["path"] for n in data["nodes"]]
    assert paths == ["orders", "orders.*", "orders.*.paid", "orders.>"]
    by = {n["path"]: n["subscribers"] for n in data["nodes"]}
    assert by["orders.>"] == ["a@s1 [q]"] and by["orders.*.paid"] == ["b@s1"]
    go.Figure(nats_view(subs).to_dict())
    assert "nobody subscribes" in nats_view([]).layout.title.text
