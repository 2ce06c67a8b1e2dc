"""Lab 7's grader: the reference fix passes; the seed manager and each of its plausible wrong
fixes (forward-order compensation, carrying on after a failure, compensating the refused step,
not compensating) fail with the checker's reason and a seed; skeletons are Not attempted."""

import runpy
from pathlib import Path

import pytest

from caplab.labkit.labs import lab07
from caplab.txn.saga import Orchestrator

LAB = Path(__file__).resolve().parents[2] / "labs" / "lab07-saga-manager"


class ForwardOrder(lab07.ReferenceManager):
    def begin_compensation(self, rec):
        rec.state = "compensating"
        rec.to_compensate = list(rec.done)
        self.compensate_next(rec)


class CarryOn(ForwardOrder):
    def step_failed(self, rec, index, reason, *, maybe=False):
        rec.failed.append((index, reason))
        rec.index = index + 1
        self.run_step(rec)

    def run_step(self, rec):
        if rec.index >= len(rec.steps) and rec.failed and rec.state == "running":
            lab07.ReferenceManager.begin_compensation(self, rec)    # reverse order, late
            return
        super().run_step(rec)


class CompensatesTheFailedStep(lab07.ReferenceManager):
    def begin_compensation(self, rec):
        rec.state = "compensating"
        rec.to_compensate = list(reversed(rec.done + [i for i, _ in rec.failed]))
        self.compensate_next(rec)


class NeverCompensates(lab07.SagaManager):
    def step_failed(self, rec, index, reason, *, maybe=False):
        rec.failed.append((index, reason))
        self.begin_compensation(rec)

    def begin_compensation(self, rec):
        rec.state = "compensating"
        self.finish(rec)


class IgnoresMaybe(lab07.ReferenceManager):
    def step_failed(self, rec, index, reason, *, maybe=False):
        rec.failed.append((index, reason))
        self.log(rec, "step_failed", index, reason)
        self.begin_compensation(rec)        # a step that may have run is never undone


class ForgetsTheState(lab07.ReferenceManager):
    def begin_compensation(self, rec):
        rec.to_compensate = list(reversed(rec.done))
        self.compensate_next(rec)        # state still "running": compensate_next does nothing


def test_the_reference_is_correct_and_the_runs_fail_and_crash():
    """Correct, and the graded runs really refuse steps and crash the orchestrator (else the
    lab would test nothing): sagas rolled back, and sagas resumed from the log."""
    assert lab07.q1.check(lab07.ReferenceManager).correct
    runs = [lab07.run(lab07.ReferenceManager, s) for s in lab07.SEEDS]
    states = [rec.state for r in runs for rec in r.system.records.values()]
    resumed = [e for r in runs for rec in r.system.records.values() for e in rec.events
               if e[1] == "resume"]
    assert states.count("compensated") >= 10 and states.count("completed") >= 5
    assert len(resumed) >= 6
    lost = [r for r in runs if r.lost]
    assert len(lost) == len(runs)           # each run has a step whose answers are lost
    maybe = [e for r in runs for rec in r.system.records.values() for e in rec.events
             if e[1] == "step_failed" and "may have run" in e[3]]
    assert len(maybe) >= len(runs)


def test_the_library_orchestrator_is_correct_too():
    """The correct manager of caplab.txn passes the same grader (one definition of right)."""
    assert lab07.q1.check(Orchestrator).correct


@pytest.mark.parametrize("answer, words", [
    (lab07.SeedOrchestrator, ("ran after step",)),
    (ForwardOrder, ("not the reverse",)),
    (CarryOn, ("ran after step",)),
    (CompensatesTheFailedStep, ("was refused at", "compensated it anyway")),
    (NeverCompensates, ("never compensated",)),
    (ForgetsTheState, ("never finished", "rec.state = 'compensating'")),
    (IgnoresMaybe, ("done and never compensated",)),
], ids=["seed", "forward-order", "carry-on", "compensate-failed", "no-compensation",
        "stuck", "ignores-maybe"])
def test_known_wrong_managers_are_incorrect(answer, words):
    """Each wrong manager fails with the finding in words, a seed and the replay call."""
    outcome = lab07.q1.check(answer)
    assert outcome.status == "Incorrect", outcome.text()
    assert outcome.seed in lab07.SEEDS
    for word in words + (f"lab07.replay(seed={outcome.seed})",):
        assert word in outcome.message, outcome.message


def test_replay_rebuilds_the_failing_run_and_draws_it():
    """replay(seed) after a failing check runs the same class again: same verdict, a sequence
    diagram with the failure points and a lock timeline."""
    outcome = lab07.q1.check(ForwardOrder)
    run = lab07.replay(seed=outcome.seed)
    assert run.manager == "ForwardOrder" and not run.ok
    assert "not the reverse" in run.explain()
    figures = run.figures()
    assert "failure point" in {t.name for t in figures["sequence"].data}
    assert {t.name for t in figures["locks"].data} == {"locks held", "waiting"}


def test_same_seed_same_run():
    """Two runs of one seed inject the same faults and end in the same saga logs."""
    a, b = (lab07.run(lab07.SeedOrchestrator, 3) for _ in range(2))
    assert a.injected == b.injected
    assert [r.events for r in a.system.records.values()] == \
        [r.events for r in b.system.records.values()]


def test_skeletons_are_not_attempted_and_hints_come_in_tiers(capsys):
    """The notebook's skeleton and ... are Not attempted; a non-class is Incorrect; hint(3)
    says the most."""
    assert lab07.q1.check(lab07.SagaManager).status == "Not attempted"
    assert lab07.q1.check(...).status == "Not attempted"
    assert lab07.q1.check(42).status == "Incorrect"
    lab07.q1.hint(3)
    assert "reversed(rec.done)" in capsys.readouterr().out


def test_the_solution_file_and_text_pass():
    """labs/lab07-saga-manager/solution.py, and solution() pasted in a notebook, pass."""
    ns = runpy.run_path(str(LAB / "solution.py"))
    assert lab07.q1.check(ns["MyManager"]).correct
    pasted: dict = {}
    exec(lab07.q1.solution_text, pasted)
    assert lab07.q1.check(pasted["MyManager"]).correct


def test_docstring_examples_run():
    """The examples in lab07's docstrings give the output they show."""
    import doctest
    assert doctest.testmod(lab07).failed == 0


def test_the_skeletons_figure_saga_shows_both_bugs():
    """The skeleton draws o4 of seed 1 and says: its payment is refused, the manager still
    reserves stock and schedules shipping, then compensates oldest first."""
    run = lab07.run(lab07.SeedOrchestrator, seed=1)
    text = run.explain()
    assert "o4: payment.charge refused" in text
    assert "o4: step 2 (inventory.reserve) ran after step 1 (payment.charge) failed" in text
    assert "o4: compensations ran in the order [0, 2, 3]" in text
    fig = run.figures("o4")["sequence"]
    assert "failure point" in {t.name for t in fig.data}
    do_steps = next(t for t in fig.data if t.name == "DoStep")
    assert len([x for x in do_steps.x if x is not None]) == 8      # all four steps were sent
