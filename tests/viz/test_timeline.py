"""Operation timeline: a bar per op, outcome colours, the checker's violations highlighted."""

from __future__ import annotations

from helpers_viz import trace_named, valid

from caplab.check import check_linearizability
from caplab.viz import OUTCOME_COLOURS, timeline, timeline_data

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


def test_info_op_is_open_ended():
    """An info op's bar runs to the right edge of the timeline."""
    d = timeline_data(HISTORY)
    op = next(o for o in d["ops"] if o["id"] == 2)
    assert op["open_ended"] and op["end"] == d["end_ms"] > 30


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
    frame = cp.history.to_frame()
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
    # A short history keeps every label.
    few = timeline(ops[:LABEL_ALL_UP_TO])
    assert all(trace_named(few, "labels").text)
