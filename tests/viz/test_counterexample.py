"""The Porcupine-style counterexample: the checker's longest linearizable prefix comes with a
linearization point inside each operation's interval and the model's state after each, and the
view steps through them, ending with the operations that cannot go next."""

from __future__ import annotations

import pytest
from helpers_viz import trace_named, valid

from caplab.check import check_linearizability
from caplab.course.checking import tiny_history
from caplab.data import bundled_porcupine_dir
from caplab.errors import ConfigError
from caplab.history.porcupine import load_porcupine
from caplab.viz.counterexample import counterexample, counterexample_data, step_count


def _walk_is_sound(records, result, model=None):
    """Each placed op's point lies in its interval, points never go back, and replaying the
    model along the prefix ends in the result's final state."""
    ops = {r["id"]: r for r in records}
    order = result.prefix if result.valid is not True else result.order
    assert len(result.points) == len(result.states) == len(order)
    last = float("-inf")
    for op_id, point in zip(order, result.points):
        r = ops[op_id]
        end = r["complete_ms"] if r["outcome"] != "info" and r["complete_ms"] is not None \
            else float("inf")
        assert r["invoke_ms"] <= point <= end and point >= last, (op_id, point)
        last = point
    if result.valid is False and order:
        assert result.states[-1] == result.state


def test_inversion_steps_through_put_then_bobs_read_then_stops_at_carol():
    """Porcupine's illustration: put x=1, Bob reads 1, then Carol's read of None cannot go."""
    h = tiny_history("inversion")
    r = check_linearizability(h)
    assert step_count(r) == 4 and r.prefix == (0, 1) and r.states == ("1", "1")
    d0, d1, d2, d3 = (counterexample_data(h, r, step=s) for s in range(4))
    assert d0["steps"] == [] and d0["state"] == r.details["initial_state"]
    assert [o["status"] for o in d1["ops"]] == ["current", "pending", "pending"]
    assert d1["steps"][0]["point_ms"] == 0 and d1["state"] == "1"
    assert [o["status"] for o in d2["ops"]] == ["placed", "current", "pending"]
    assert d3["final"] and [s["id"] for s in d3["stuck"]] == [2]
    assert "rejects" in d3["stuck"][0]["reason"]
    assert [o["status"] for o in d3["ops"]][2] == "stuck"
    fig = valid(counterexample(h, r, step=3))
    assert trace_named(fig, "cannot go next").x[:2] == (5, 8)
    assert list(trace_named(fig, "linearization point").text) == ["#1", "#2"]
    assert "state 1" in fig.layout.title.text and fig.layout.annotations


def test_linearizable_history_steps_through_its_order_without_a_final_step():
    """A linearizable history: one step per operation of the order the checker found."""
    h = tiny_history("overlap")
    r = check_linearizability(h)
    assert step_count(r) == 1 + len(h)
    d = counterexample_data(h, r)
    assert not d["final"] and [s["id"] for s in d["steps"]] == list(r.order)
    _walk_is_sound(h, r)


@pytest.mark.parametrize("name", ["jepsen/etcd_000.log", "jepsen/etcd_002.log"])
def test_points_lie_inside_the_intervals_on_jepsen_histories(name):
    """On Jepsen's etcd histories (Porcupine corpus) every point fits its operation."""
    records, model = load_porcupine(bundled_porcupine_dir() / name)
    r = check_linearizability(records, model)
    _walk_is_sound(records, r)
    d = counterexample_data(records, r)
    assert d["step"] == step_count(r) - 1
    valid(counterexample(records, r))


def test_points_lie_inside_the_intervals_under_a_nemesis():
    """A nemesis run's violation: the walk is sound and the view draws its window."""
    from caplab.course.checking import counterexample_window, nemesis_run
    one = nemesis_run("AP one", 5)
    window, r = counterexample_window(one)
    assert r.valid is False
    _walk_is_sound(one.cluster.history.records(), r)
    fig = valid(counterexample(window, r))
    assert r.offending[0] in {o["id"] for o in counterexample_data(window, r)["ops"]}
    assert fig.layout.annotations


def test_a_bad_step_is_refused():
    """A step outside 0..count-1 names the range."""
    h = tiny_history("stale")
    r = check_linearizability(h)
    with pytest.raises(ConfigError, match=r"step must be in 0\.\.2"):
        counterexample_data(h, r, step=3)
