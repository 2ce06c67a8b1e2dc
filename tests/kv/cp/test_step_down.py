"""c.step_down(): MongoDB's rs.stepDown() at lab scale (stepDownSecs 60 s -> 6000 ms,
secondaryCatchUpPeriodSecs 10 s -> 1000 ms)."""

import pytest

from caplab import Cluster, ConfigError, SimulationError


def _cluster(**kw):
    c = Cluster(mode="cp", nodes=3, seed=2, **kw)
    c.client("a", near="n1").put("x", "1")
    return c


def test_step_down_hands_over_and_old_primary_cannot_stand_again_at_once():
    """A caught-up secondary wins; the stepped-down member stays out for step_down_ms."""
    c = _cluster()
    old = c.primary
    c.step_down(old)
    c.run_for(2500)
    assert c.primary not in (None, old)
    # The new primary steps down with a short ineligibility; the old one (still ineligible)
    # must not win before its 6000 ms are up.
    stepped = c.now
    winners = [e for e in c.elections if e[0] >= stepped - 2500]
    assert all(w[2] != old for w in winners)


def test_step_down_fails_when_no_electable_secondary_is_caught_up():
    """With both secondaries cut off, stepDown times out and the primary stays primary."""
    c = _cluster()
    p = c.primary
    others = [n for n in c.nodes if n != p]
    for o in others:
        c.cut(p, o)          # the secondaries stop receiving the oplog
    c.client("a").put("y", "2", w=1)
    with pytest.raises(SimulationError, match="no electable secondary caught up"):
        c.step_down(p, catch_up_ms=300)
    assert c.roles()[p] == "primary"


def test_priority_zero_secondaries_are_not_electable_for_step_down():
    """If every caught-up secondary has priority 0, stepDown cannot find a successor."""
    c = Cluster(mode="cp", nodes=3, seed=2, priorities={"n1": 0, "n2": 0, "n3": 1})
    c.client("a", near="n1").put("x", "1")
    assert c.primary == "n3"
    with pytest.raises(SimulationError):
        c.step_down("n3", catch_up_ms=400)


def test_step_down_bad_input_changes_nothing():
    """A negative duration or a secondary is refused before anything runs."""
    c = _cluster()
    now, p = c.now, c.primary
    with pytest.raises(ConfigError, match="-5"):
        c.step_down(p, step_down_ms=-5)
    assert c.now == now and c.primary == p


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_election_handoff_elects_the_successor_at_once(seed):
    """MongoDB's election handoff (enableElectionHandoff, default true): after rs.stepDown()
    the old primary sends replSetStepUp to a caught-up electable secondary, which stands at
    once, so the new primary is elected within a few message delays instead of an election
    timeout; with handoff off, the secondaries wait out their election timeout."""
    times = {}
    for handoff in (True, False):
        c = Cluster(mode="cp", nodes=3, seed=seed, election_handoff=handoff)
        c.run_for(1500)
        old = c.primary
        c.step_down(old)
        start = c.now
        c.run_until(lambda: c.primary not in (None, old), timeout_ms=5000)
        times[handoff] = c.now - start
    assert times[True] < 100 <= 900 < times[False]


def test_a_bad_election_handoff_value_is_refused():
    """election_handoff must be a bool; the error names the value."""
    with pytest.raises(ConfigError, match="election_handoff"):
        Cluster(mode="cp", nodes=3, election_handoff="yes")
