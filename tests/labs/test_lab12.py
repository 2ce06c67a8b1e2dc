"""Lab 12's grader: the reference plan survives the sale spike on every seed within the cost
bound; too few replicas, an autoscaler starting from one instance with a 4 s boot, a single big
machine, an oversized monolith and the cheapest monolith that keeps the objective fail with the
measured number and the seed; values the library refuses are not valid; placeholders are Not
attempted."""

import runpy
from pathlib import Path

import pytest

from caplab.labkit.labs import lab12
from labreplay import run_named_replay

LAB = Path(__file__).resolve().parents[2] / "labs" / "lab12-sale-spike"


def plan(architecture="split", cores=2, speed=1.0, memory_gb=4.0, lo=2, hi=6, target=0.6,
         cooldown_ms=2000):
    return {"architecture": architecture,
            "machine": {"cores": cores, "speed": speed, "memory_gb": memory_gb},
            "min_instances": lo, "max_instances": hi, "target_utilisation": target,
            "cooldown_ms": cooldown_ms}


def test_the_reference_survives_the_spike_and_reports_its_cost():
    """Correct, with the cost per hour in the message; the autoscaler really scaled out."""
    outcome = lab12.q1.check(lab12.REFERENCE)
    assert outcome.correct, outcome.text()
    assert "an hour" in outcome.message
    assert lab12.measure(lab12.REFERENCE, 1)["max_instances_used"] > 2


def test_the_solution_file_and_text_pass():
    """solution.py passes, and solution() prints the reference."""
    assert lab12.q1.check(runpy.run_path(str(LAB / "solution.py"))["plan"]).correct
    ns = {}
    exec(lab12.q1.solution_text, ns)
    assert ns["plan"] == lab12.REFERENCE


@pytest.mark.parametrize("answer, words", [
    # a fixed fleet of two: queues grow through the spike
    (plan(lo=2, hi=2), ("p99 latency was 4421 ms", "too few")),
    # Kubernetes HPA / EC2: new instances serve only after booting; one cannot take the spike
    (plan(lo=1, hi=6), ("10.6%", "boot for 4000 ms")),
    # scale-up only: one big machine is lost whole in the crash (and its replacement boots)
    (plan("monolith", 8, 2.5, 16, 1, 1), ("30.4%", "a single instance")),
    # scale-up and copies of it: the objective holds, the bill does not
    (plan("monolith", 8, 2.5, 16, 2, 2), ("$2.262 an hour", "1.2 times")),
    # the cheapest monolith that keeps the objective (a grid search over cores 1-8, speed 1-2,
    # 16 GB, min 1-4, max 2-8, target 0.5/0.7): every copy carries 12 GB the sale never uses
    (plan("monolith", 2, 1.0, 16, 3, 4, target=0.5), ("$0.410 an hour", "split the sale")),
    # the old loophole: monolith copies on 4 GB machines page (16 GB working set)
    (plan("monolith", lo=4, hi=4), ("74.2%", "too few")),
], ids=["too-few", "too-slow", "one-big-machine", "oversized-monolith", "cheapest-monolith",
        "paging-monolith"])
def test_known_wrong_plans_fail_with_the_number_and_the_seed(answer, words):
    """Each known-wrong plan is Incorrect, naming what was measured, and a seed to replay."""
    outcome = lab12.q1.check(answer)
    assert outcome.status == "Incorrect", outcome.text()
    assert outcome.seed in lab12.SEEDS
    for word in words:
        assert word in outcome.message, outcome.message


def test_a_monolith_that_keeps_the_objective_costs_clearly_more_than_the_split_reference():
    """The source: rather than copy the whole 16 GB system, split the sale service (4 GB) out:
    the cheapest passing monolith costs 1.3 times the split reference, which itself is split."""
    reference = lab12.reference_cost_per_hour()
    monolith = max(lab12.measure(plan("monolith", 2, 1.0, 16, 3, 4, target=0.5), s)
                   ["cost_per_hour"] for s in lab12.SEEDS)
    assert lab12.REFERENCE["architecture"] == "split"
    assert monolith / reference > 1.25


@pytest.mark.parametrize("answer, words", [
    (plan(target=0), "target_utilisation must lie in (0, 1], got 0"),
    (plan(lo=5, hi=3), "min_instances=5 exceeds max_instances=3"),
    (plan(cores=0), "cores must be a whole number >= 1, got 0"),
    (plan(speed=-1), "speed must be a finite number > 0, got -1"),
    (plan(architecture="micro"), "unknown architecture 'micro'"),
])
def test_values_the_library_refuses_are_not_valid(answer, words):
    """A bad value is reported as not valid, naming it and what is allowed."""
    outcome = lab12.q1.check(answer)
    assert outcome.status == "Incorrect" and "is not valid" in outcome.message
    assert words in outcome.message, outcome.message


def test_placeholders_and_shapes():
    """Placeholders (nested too) are Not attempted; a dict with other keys is Incorrect."""
    assert lab12.q1.check(...).status == "Not attempted"
    assert lab12.q1.check(plan(memory_gb=...)).status == "Not attempted"
    assert "keys" in lab12.q1.check({"machine": 1}).message


def test_hints_come_in_tiers(capsys):
    """Three hints, each pointing to the next."""
    lab12.q1.hint(2)
    assert capsys.readouterr().out.startswith("Hint 2/3")


def test_a_failure_names_a_replay_call_that_measures_the_same_number():
    """The Incorrect names, once, lab12.measure(plan, seed=N) (the skeleton's name); run as
    written it measures the p99 the message quotes."""
    answer = plan(lo=2, hi=2)
    outcome = lab12.q1.check(answer)
    call = f"lab12.measure(plan, seed={outcome.seed})"
    run = run_named_replay(outcome, call, {"lab12": lab12, "plan": answer})
    assert f"p99 latency was {run['p99_ms']} ms" in outcome.message
