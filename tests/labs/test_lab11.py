"""Lab 11's grader: the reference policy keeps the objective on every seed; no breaker, retries
without jitter, a timeout longer than the objective, no retries and resilience4j's untouched
defaults fail with the measured number and the seed; values resilience4j refuses are reported
as not valid; placeholders are Not attempted."""

import copy
import runpy
from pathlib import Path

import pytest

from caplab.labkit.labs import lab11
from caplab.resilience.flapping import flap_schedule
from labreplay import run_named_replay

LAB = Path(__file__).resolve().parents[2] / "labs" / "lab11-breaker-and-retries"


def changed(**changes):
    answer = copy.deepcopy(lab11.REFERENCE)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(answer.get(key), dict):
            answer[key].update(value)
        else:
            answer[key] = value
    return answer


def test_the_reference_keeps_the_objective_on_every_seed():
    """Correct, and the message reports the worst measured numbers."""
    outcome = lab11.q1.check(lab11.REFERENCE)
    assert outcome.correct, outcome.text()
    assert "worst p99" in outcome.message


def test_the_dependency_really_flaps_in_every_way():
    """Every seed's schedule has failing, slow and down periods (else the lab tests nothing)."""
    for seed in lab11.SEEDS:
        assert {kind for _, _, kind in flap_schedule(seed)} == {"failing", "slow", "down"}


def test_the_solution_file_and_text_pass():
    """solution.py passes, and solution() prints the reference."""
    ns = runpy.run_path(str(LAB / "solution.py"))
    assert lab11.q1.check(ns["policy"]).correct
    exec_ns = {}
    exec(lab11.q1.solution_text, exec_ns)
    assert exec_ns["policy"] == lab11.REFERENCE


@pytest.mark.parametrize("answer, words", [
    # Release It!: without a breaker, calls keep waiting on (and loading) a sick dependency
    (changed(breaker=None), ("p99 latency", "1014 ms", "no circuit breaker")),
    # AWS "Exponential Backoff and Jitter": clients that failed together retry together
    (changed(retry={"jitter": "none"}), ("2.5 times", "retry wave", "without jitter")),
    (changed(timeout_ms=500), ("p99 latency", "longer than the p99 objective")),
    (changed(retry={"max_attempts": 1}), ("success rate", "68.6%")),
    # resilience4j's defaults: 60 s in OPEN, far longer than these outages
    (changed(breaker={}), ()),
], ids=["no-breaker", "no-jitter", "long-timeout", "no-retries", "same"])
def test_known_wrong_policies_fail_with_the_number_and_the_seed(answer, words):
    """Each known-wrong policy is Incorrect, naming what was measured, and a seed to replay."""
    outcome = lab11.q1.check(answer)
    if not words:                         # the control: an unchanged reference still passes
        assert outcome.correct
        return
    assert outcome.status == "Incorrect", outcome.text()
    assert outcome.seed in lab11.SEEDS
    for word in words:
        assert word in outcome.message, outcome.message


def test_resilience4j_defaults_are_too_slow_to_close():
    """An all-defaults breaker (60 s wait, 100 calls) opens once and stays open: success falls."""
    answer = changed(breaker=None)
    answer["breaker"] = {}
    outcome = lab11.q1.check(answer)
    assert outcome.status == "Incorrect" and "success rate" in outcome.message
    assert "opened 1 time)" in outcome.message


@pytest.mark.parametrize("breaker, words", [
    ({"failure_rate_threshold": 0}, "(0, 100], got 0"),
    ({"failure_rate_threshold": 150}, "(0, 100], got 150"),
    ({"sliding_window_size": 0}, "sliding_window_size must be a whole number >= 1, got 0"),
    ({"sliding_window_type": "SESSION"}, "SESSION"),
    ({"bogus": 1}, "bogus"),
])
def test_values_resilience4j_refuses_are_not_valid(breaker, words):
    """A bad breaker option is reported as not valid, naming the value."""
    outcome = lab11.q1.check(changed(breaker=breaker))
    assert outcome.status == "Incorrect" and "is not valid" in outcome.message
    assert words in outcome.message, outcome.message


def test_bad_retry_and_timeout_values_are_not_valid():
    """An unknown jitter kind, zero attempts and a negative timeout are named."""
    assert "'fancy'" in lab11.q1.check(changed(retry={"jitter": "fancy"})).message
    assert "max_attempts" in lab11.q1.check(changed(retry={"max_attempts": 0})).message
    assert "got -5" in lab11.q1.check(changed(timeout_ms=-5)).message
    assert "keys" in lab11.q1.check({"timeout_ms": 100}).message


def test_placeholders_are_not_attempted():
    """The notebook's skeleton (... values, nested too) is Not attempted."""
    assert lab11.q1.check(...).status == "Not attempted"
    skeleton = {"timeout_ms": ..., "retry": {"max_attempts": ...}, "breaker": ...}
    assert lab11.q1.check(skeleton).status == "Not attempted"
    nested = changed(breaker={"failure_rate_threshold": ...})
    outcome = lab11.q1.check(nested)
    assert outcome.status == "Not attempted" and "failure_rate_threshold" in outcome.message


def test_hints_come_in_tiers(capsys):
    """hint() nudges, hint(3) gives numbers; an out-of-range level says which exist."""
    lab11.q1.hint()
    assert capsys.readouterr().out.startswith("Hint 1/3")
    lab11.q1.hint(3)
    assert "100 ms" in capsys.readouterr().out
    lab11.q1.hint(7)
    assert "from 1 to 3" in capsys.readouterr().out


def test_a_failure_names_a_replay_call_that_measures_the_same_number():
    """The Incorrect names, once, lab11.measure(policy, seed=N) (the skeleton's name); run as
    written it measures the p99 the message quotes."""
    policy = changed(breaker=None)
    outcome = lab11.q1.check(policy)
    call = f"lab11.measure(policy, seed={outcome.seed})"
    run = run_named_replay(outcome, call, {"lab11": lab11, "policy": policy})
    assert f"{run['flapping']['p99_ms']} ms" in outcome.message


def test_retries_that_run_out_before_a_failover_ends_are_incorrect():
    """Two attempts 20 ms apart pass the flapping dependency but not a 300 ms failover: every
    reconnecting client gives up, and the objective (none may) is named with the count."""
    outcome = lab11.q1.check(changed(retry={"max_attempts": 2}))
    assert outcome.status == "Incorrect"
    assert "100 of 100 reconnecting clients gave up (objective: none)" in outcome.message
    assert lab11.OBJECTIVE["reconnect_gave_up_max"] == 0
