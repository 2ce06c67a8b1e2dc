"""The action log and replay behind the time slider: same seed, same actions, same state."""

from __future__ import annotations

import pytest

from caplab.errors import ConfigError
from caplab.kv import Cluster
from caplab.widgets import ActionLog, replay


def scenario():
    log = ActionLog(lambda: Cluster(mode="cp", nodes=5, seed=3))
    c = log.recipe()
    log.do(c, "run_for", 1500)
    log.do(c, "put", "alice", "n1", "x", 1)
    log.do(c, "isolate", c.primary)
    log.do(c, "put", "bob", "n5", "x", 2, w=1)
    log.do(c, "run_for", 2000)
    log.do(c, "heal")
    log.do(c, "crash", "n3")
    log.do(c, "get", "alice", "n1", "x")
    log.do(c, "run_until_idle")
    return log, c


def test_replay_to_now_reproduces_the_live_cluster_exactly():
    """Replaying the whole log gives the same history and trace as the live run."""
    log, live = scenario()
    again = replay(log, live.now)
    assert again.now == live.now
    assert again.history.records() == live.history.records()
    assert again.sim.trace.events == live.sim.trace.events


def test_replay_to_an_earlier_time_matches_the_live_trace_up_to_then():
    """At any earlier t, the replayed trace is the live trace's prefix up to t."""
    log, live = scenario()
    for t in (0, 1499, 1500, 1510, 2600, live.now - 1):
        view = replay(log, t)
        assert view.now == t
        mine = [e for e in view.sim.trace.events if e.time_ms <= t]
        assert mine == [e for e in live.sim.trace.events if e.time_ms <= t][:len(mine)]
        assert len(mine) >= len([e for e in live.sim.trace.events if e.time_ms < t])


def test_failed_actions_are_not_logged():
    """An action that raised is not in the log (a replay would raise too)."""
    log = ActionLog(lambda: Cluster(mode="cp", nodes=3, seed=1))
    c = log.recipe()
    with pytest.raises(ConfigError):
        log.do(c, "crash", "n7")
    assert len(log) == 0


def test_replay_without_a_recipe_is_refused():
    """A log without a recipe cannot rebuild anything and says why."""
    with pytest.raises(ConfigError, match="cannot rewind"):
        replay(ActionLog(None), 0)


def test_actions_describe_themselves():
    """The log reads as a list of what the panel did."""
    log, _ = scenario()
    assert log.describe()[0] == "0 ms: run_for 1500"
    assert any("crash n3" in line for line in log.describe())
