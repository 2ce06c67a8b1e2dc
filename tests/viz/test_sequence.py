"""Sequence diagram: lifelines, arrows, drops marked with their reason, faults."""

from __future__ import annotations

from helpers_viz import trace_named, valid

from caplab.frames import messages_frame
from caplab.viz import sequence_diagram, sequence_diagram_data


def test_dropped_message_marked_with_reason(cp):
    """A message lost to a partition gets an X with 'partition' as its reason."""
    start = cp.now
    p = cp.primary
    cp.isolate(p)
    cp.run_for(200)
    fig = valid(sequence_diagram(cp.sim.trace, since_ms=start))
    drops = trace_named(fig, "drop").customdata
    assert drops and all(row[4] == "partition" for row in drops)
    assert any(row[1] == p or row[2] == p for row in drops)
    assert [s.name for s in fig.layout.shapes] == ["partition"]


def test_crash_shown_on_the_lifeline(cp):
    """A crash greys the node's lifeline from the crash on and is listed as a fault."""
    victim = next(n for n in cp.nodes if n != cp.primary)
    cp.crash(victim)
    t0 = cp.now
    cp.run_for(100)
    fig = sequence_diagram(cp.sim.trace, since_ms=t0 - 10)
    down = trace_named(fig, "down")
    assert down.customdata[0][0] == victim and down.customdata[0][1] == t0
    assert ["crash", victim, None] in [list(r) for r in trace_named(fig, "faults").customdata]


def test_window_kinds_and_nodes_filter(cp):
    """since/until, kinds and nodes keep only the matching messages."""
    frame = messages_frame(cp.sim.trace)
    kind = frame["kind"].iloc[0]
    a, b = cp.nodes[:2]
    d = sequence_diagram_data(frame, since_ms=100, until_ms=400, kinds=[kind], nodes=[a, b])
    assert d["lifelines"] == [a, b]
    assert all(m["kind"] == kind and {m["src"], m["dst"]} <= {a, b} for m in d["messages"])
    assert all(m["sent_ms"] <= 400 for m in d["messages"])


def test_delivered_arrow_from_send_to_delivery(cp):
    """A delivered message is a segment from (src, sent) to (dst, delivered)."""
    d = sequence_diagram_data(cp.sim.trace, until_ms=300)
    fig = sequence_diagram(data=d)
    first = next(m for m in d["messages"] if m["outcome"] == "delivered")
    t = trace_named(fig, first["kind"])
    x = {n: i for i, n in enumerate(d["lifelines"])}
    assert (t.x[0], t.y[0], t.x[1], t.y[1]) == (x[first["src"]], first["sent_ms"],
                                                x[first["dst"]], first["end_ms"])


def test_time_axis_is_the_window_even_with_an_earlier_partition(cp):
    """A partition that began before the window is clipped to it, and the time axis shows
    exactly the window of the title (reversed: time grows downwards)."""
    cp.isolate(cp.primary)
    start = cp.now
    cp.run_for(1000)
    since, until = start + 600, start + 900
    fig = valid(sequence_diagram(cp.sim.trace, since_ms=since, until_ms=until))
    band = next(s for s in fig.layout.shapes if s.name == "partition")
    assert band.y0 == since and band.y1 <= until
    top, bottom = fig.layout.yaxis.range[1], fig.layout.yaxis.range[0]
    assert since - 10 <= top < since and until < bottom <= until + 10
    assert f"{since}–{until} ms" in fig.layout.title.text


def test_message_kinds_coloured_with_a_legend(cp):
    """Delivered messages are drawn one trace per kind, each its own colour in the legend."""
    assert cp.clients["alice"].put("x", "1").ok
    fig = valid(sequence_diagram(cp.sim.trace, since_ms=0, until_ms=cp.now))
    kinds = {t.meta["kind"]: t.line.color for t in fig.data
             if t.meta and "kind" in t.meta}
    assert {"WriteRequest", "Replicate"} <= set(kinds)
    assert len(set(kinds.values())) == len(kinds)
    assert all(trace_named(fig, k).showlegend for k in kinds)


def test_empty_window_says_so_with_a_sane_axis(cp):
    """A window without messages says so, over a real time axis (not -1..1)."""
    fig = valid(sequence_diagram(cp.sim.trace, since_ms=cp.now + 10_000,
                                 until_ms=cp.now + 10_000))
    empty = [a for a in fig.layout.annotations if a.name == "empty"]
    assert empty and "no messages" in empty[0].text
    lo, hi = sorted(fig.layout.yaxis.range)
    assert hi - lo >= 100 and lo > 0
