"""Operation timeline: a bar per op, outcome colours, the checker's violations highlighted."""

from __future__ import annotations

from helpers_viz import trace_named, valid

from caplab.check import check_linearizability
from caplab.viz import OUTCOME_COLOURS, timeline, timeline_data
from caplab.frames import history_frame

# C0: |-- put(x,1) --|
# C1:                  |-- get(x)→0 --|      (0 was never written: not linearizable)
# C2:      |---- put(x,2) ...  (info: timed out)
HISTORY = [
    dict(id=0, client="c0", op="put", key="x", value=1, invoke_ms=0, complete_ms=10,
         outcome="ok"),
    dict(id=1, client="c1", op="get", key="x", value=0, invoke_ms=20, complete_ms=30,
         outcome="ok"),
    dict(id=2, client="c2", op="put", key="x", value=2, invoke_ms=5, complete_ms=None,
         outcome="info"),
    dict(id=3, client="c0", op="put", key="y", value=3, invoke_ms=12, complete_ms=18,
         outcome="fail", error="not primary (definite)"),
]


def _ids(fig, name):
    return list(trace_named(fig, name).meta["ops"])


def test_one_bar_per_op_coloured_by_outcome():
    """Each op is in exactly one outcome trace, coloured from OUTCOME_COLOURS."""
    fig = valid(timeline(HISTORY))
    assert _ids(fig, "ok") == [0, 1] and _ids(fig, "fail") == [3] and _ids(fig, "info") == [2]
    for outcome in ("ok", "fail", "info"):
        assert trace_named(fig, outcome).line.color == OUTCOME_COLOURS[outcome]
    assert trace_named(fig, "info").line.dash == "dot"
    assert list(trace_named(fig, "labels").text) == ["put(x,1)", "put(x,2)", "put(y,3)",
                                                     "get(x)→0"]


def test_info_op_is_open_ended_but_capped():
    """An info op's bar is open-ended (hover says so) but capped: it ends in an arrow a little
    past the moment its client gave up, not at the right edge."""
    d = timeline_data(HISTORY)
    op = next(o for o in d["ops"] if o["id"] == 2)
    assert op["open_ended"] and op["capped"] and "any time after" in op["hover"]
    assert op["start"] < op["end"] < d["end_ms"]
    info = trace_named(timeline(data=d), "info")
    assert list(info.marker.symbol)[1] == "triangle-right"


def test_linearizability_violation_highlighted_with_reason():
    """The checker's bad ops get a halo and a star, with its reason in the hover text."""
    result = check_linearizability(HISTORY)
    assert not result.ok and result.bad_ops
    fig = valid(timeline(HISTORY, check_result=result))
    assert _ids(fig, "violation") == sorted(result.bad_ops, key=lambda i: [
        o["id"] for o in timeline_data(HISTORY)["ops"]].index(i))
    stars = trace_named(fig, "violating ops")
    assert {row[0] for row in stars.customdata} == set(result.bad_ops)
    assert all(row[1] for row in stars.customdata)
    assert all("violation" in h for h in stars.hovertext)


def test_plain_list_of_ids_and_highlight():
    """A list of op ids marks them; highlight= outlines others."""
    fig = timeline(HISTORY, check_result=[1], highlight=[0])
    assert _ids(fig, "violation") == [1]
    assert _ids(fig, "highlight") == [0]


def test_rows_per_client_from_a_real_history(cp):
    """A real cluster's history frame: one y row per client, one bar per operation."""
    alice, bob = cp.clients["alice"], cp.clients["bob"]
    for i in range(4):
        alice.put("x", str(i))
        bob.get("x")
    frame = history_frame(cp.history)
    fig = timeline(frame)
    assert list(fig.layout.yaxis.ticktext) == ["alice", "bob"]
    assert sorted(_ids(fig, "ok") + _ids(fig, "fail") + _ids(fig, "info")) == list(frame["id"])


def test_long_history_labels_only_flagged_highlighted_and_wide_bars():
    """Beyond LABEL_ALL_UP_TO ops, short unflagged bars lose their text but keep their hover."""
    from caplab.viz.timeline import LABEL_ALL_UP_TO
    n = LABEL_ALL_UP_TO + 10
    ops = [dict(id=i, client=f"c{i % 3}", op="put", key="x", value=i, invoke_ms=10 * i,
                complete_ms=10 * i + 5, outcome="ok") for i in range(n)]
    # One long operation (a third of the span) and one the checker flags.
    ops[3]["complete_ms"] = ops[3]["invoke_ms"] + 10 * n // 3
    fig = timeline(ops, check_result=[7], highlight=[9])
    labels = trace_named(fig, "labels")
    shown = {row[0] for row, text in zip(labels.customdata, labels.text) if text}
    assert shown == {3, 7, 9}
    assert len(labels.hovertext) == n and all(labels.hovertext)
    # A short, sparse history keeps every label.
    few = timeline(ops[:6])
    assert all(trace_named(few, "labels").text)


def _label_boxes(fig):
    """(y, x0, x1) of each shown label, its width from the text length (as the view does)."""
    from caplab.viz._common import FONT_SIZE
    from caplab.viz.timeline import PLOT_WIDTH_PX
    labels = trace_named(fig, "labels")
    xs = [x for t in fig.data if t.name in ("ok", "fail", "info") for x in t.x if x is not None]
    per_char = 0.6 * (FONT_SIZE - 3) * (max(xs) - min(xs)) / PLOT_WIDTH_PX
    return [(y, x - len(t) * per_char / 2, x + len(t) * per_char / 2)
            for x, y, t in zip(labels.x, labels.y, labels.text) if t]


def test_labels_never_collide_and_flagged_ones_win():
    """Crowded bars on one row: no two shown labels overlap, and a flagged op keeps its label."""
    ops = _many(30, clients=1)
    fig = timeline(ops, check_result=[13])
    boxes = _label_boxes(fig)
    assert 1 < len(boxes) < 30
    for i, (y, a0, a1) in enumerate(boxes):
        for y2, b0, b1 in boxes[i + 1:]:
            assert y != y2 or a1 <= b0 or b1 <= a0
    labels = trace_named(fig, "labels")
    assert labels.text[[row[0] for row in labels.customdata].index(13)]


def _many(n, clients=3):
    return [dict(id=i, client=f"c{i % clients}", op="put", key="x", value=i,
                 invoke_ms=10 * i, complete_ms=10 * i + 5, outcome="ok") for i in range(n)]


def test_long_history_has_no_black_end_ticks():
    """Beyond END_TICKS_UP_TO ops the black end ticks (a barcode) give way to ticks in the
    outcome colour; a short history keeps them black."""
    from caplab.viz.timeline import END_TICKS_UP_TO
    long_ok = trace_named(timeline(_many(END_TICKS_UP_TO + 20)), "ok")
    assert long_ok.marker.color == OUTCOME_COLOURS["ok"]
    short_ok = trace_named(timeline(_many(END_TICKS_UP_TO)), "ok")
    assert short_ok.marker.color == "#333333" and max(short_ok.marker.size) == 18


def test_open_ended_retries_never_spill_into_the_next_row():
    """A client whose timed-out (info) bars run to the right edge keeps retrying: its lanes are
    capped so no bar reaches the next client's row."""
    from caplab.viz.timeline import MAX_LANES
    hist = [dict(id=i, client="c0", op="put", key="x", value=i, invoke_ms=100 * i,
                 complete_ms=100 * i + 50, outcome="info") for i in range(8)]
    hist.append(dict(id=99, client="c1", op="get", key="x", value=None, invoke_ms=0,
                     complete_ms=5, outcome="ok"))
    d = timeline_data(hist)
    c0 = [o["y"] for o in d["ops"] if o["client"] == "c0"]
    assert max(c0) <= 0.28 * (MAX_LANES - 1) + 1e-9 < 0.75


def test_flag_count_names_the_checker():
    """The title says what flagged the operations."""
    result = check_linearizability(HISTORY)
    fig = timeline(HISTORY, check_result=result)
    assert f"{len(result.bad_ops)} flagged by linearizability" in fig.layout.title.text
    assert timeline(HISTORY, check_result=[1]).layout.title.text.endswith("1 flagged")


def test_empty_timeline_says_so_with_a_sane_range():
    """No operations: an annotation says so, and the x axis has a fixed range (not an old
    one); with operations the axis autoranges again."""
    fig = valid(timeline([]))
    assert [a.text for a in fig.layout.annotations] == ["no operations yet"]
    assert list(fig.layout.xaxis.range) == [0, 1000] and fig.layout.xaxis.autorange is False
    assert list(timeline([], end_ms=5000).layout.xaxis.range) == [4000, 5000]
    assert timeline(HISTORY).layout.xaxis.autorange is True
    assert not timeline(HISTORY).layout.annotations


def test_title_counts_are_pluralised():
    """'1 op · 1 client', '4 ops · 3 clients'."""
    assert "1 op · 1 client" in timeline(HISTORY[:1]).layout.title.text
    assert "4 ops · 3 clients" in timeline(HISTORY).layout.title.text
