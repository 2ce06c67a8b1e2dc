"""Every failing check of labs 1-4 says how to see the failure, and that call draws the failing
run (timeline, message sequence, cluster graph) and steps through it event by event, as DSLabs'
visual debugger does (https://github.com/emichael/dslabs#visual-debugger)."""

from __future__ import annotations

import re

import pytest

from caplab.labkit import INCORRECT
from caplab.labkit.labs import lab01, lab02, lab03, lab04
from caplab.labkit.replay import replay as replay_outcome
from caplab.labkit.script_replay import ScriptedReplay


def _intersection(siblings):
    out = set(siblings[0])
    for cart in siblings[1:]:
        out &= set(cart)
    return out


def _by_index(b):
    return (b.candidate_term >= b.voter_term and b.voted_for in (None, b.candidate)
            and b.candidate_last_optime[1] >= b.voter_last_optime[1], "index")


CASES = [
    ("lab01", lab01.q1, {"N": 3, "R": 1, "W": 1}, "stale read"),
    ("lab01", lab01.q3, {"w": 1}, "lost write"),
    ("lab02", lab02.q1, _intersection, "lost add"),
    ("lab03", lab03.q1, _by_index, "lost write"),
    ("lab04", lab04.q1, lambda key, replies: {}, "diverged"),
]


@pytest.mark.parametrize("lab, q, answer, verdict", CASES, ids=[c[0] + "-" + c[3] for c in CASES])
def test_failing_check_names_its_replay_and_the_replay_draws_it(lab, q, answer, verdict):
    """The message ends with the replay call; the call rebuilds the same run, draws three
    figures and highlights the failing operations."""
    outcome = q.check(answer)
    assert outcome.status == INCORRECT and outcome.seed is not None, outcome.text()
    call = re.search(rf"replay: ({lab}\.replay\(seed={outcome.seed}[^)]*\))", outcome.message)
    assert call, outcome.message
    rp = replay_outcome(outcome)
    assert isinstance(rp, ScriptedReplay) and rp.seed == outcome.seed
    assert rp.result.verdict == verdict and rp.result.bad_ops
    figures = rp.figures()
    assert set(figures) == {"timeline", "sequence", "cluster"}
    assert all(len(f.data) > 0 for f in figures.values())


def test_step_through_is_the_recorded_run():
    """Stepping rebuilds the scripted run and stops after each event: the events match the
    recorded ones, back() goes back, and state() shows each member's role and term."""
    outcome = lab01.q3.check({"w": 1})
    rp = lab01.replay(seed=outcome.seed)
    steps = rp.steps
    assert steps.position >= 0 and steps.event.time_ms <= rp.finding_ms   # starts at the finding
    start = steps.position
    after = steps.step(3)
    assert steps.position == start + 3
    assert after.describe() == rp.events[start + 3].describe()
    state = steps.state()
    assert set(state) == set(rp.system.nodes)
    assert any(v.get("role") == "primary" for v in state.values())
    steps.back()
    assert steps.position == start + 2
    steps.goto(5)
    assert steps.event.describe() == rp.events[5].describe()


def test_lab03_replay_shows_the_late_older_term_vote():
    """A rule without the term guard: the replay starts at the vote it granted to a late
    request of an older term, with the vote in the step-through text."""
    def no_term_guard(b):
        if b.voted_for is not None and b.voted_for != b.candidate:
            return False, "already voted"
        if b.candidate_last_optime < b.voter_last_optime:
            return False, "behind"
        return True, "ok"
    outcome = lab03.q1.check(no_term_guard)
    rp = lab03.replay(seed=outcome.seed)
    assert rp.result.verdict == "wrong vote" and "older term" in rp.explain()
    text = rp.steps.text(around=4)
    assert "grant vote" in text and rp.steps.event.time_ms <= rp.finding_ms
    assert rp.steps.state()


def test_replay_before_any_failure_says_what_to_do():
    """With nothing failed yet, replay() names the check to run first."""
    from caplab.errors import ConfigError
    from caplab.labkit.labs._common import LastFailure
    with pytest.raises(ConfigError, match="must fail in a simulated run first"):
        LastFailure("lab09").replay(1)


def test_a_failure_without_a_run_does_not_replay_an_older_one():
    """After an invalid answer (no simulated run), replay() refuses instead of replaying the
    previous failing answer's run."""
    from caplab.errors import ConfigError
    assert lab01.q1.check({"N": 3, "R": 1, "W": 1}).seed is not None
    invalid = lab01.q1.check({"N": 9, "R": 1, "W": 1})
    assert invalid.status == INCORRECT and invalid.seed is None
    with pytest.raises(ConfigError, match="nothing to replay yet"):
        lab01.replay(seed=1)
