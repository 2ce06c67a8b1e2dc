"""Lab 8's grader: the reference in-doubt rule passes; rules that decide alone, presume commit
or presume abort while prepared, ignore the peers or the coordinator fail with the reason and
a seed (or the situation and the right answer); skeletons are Not attempted."""

import runpy
from pathlib import Path

import pytest

from caplab.errors import ConfigError
from caplab.labkit.labs import lab08
from labreplay import run_named_replay

LAB = Path(__file__).resolve().parents[2] / "labs" / "lab08-in-doubt-participant"
ref = lab08.reference_in_doubt_rule


def decide_alone_commit(record, coordinator, peers):
    return "abort" if record in ("aborted", "none") else "commit"


def presume_abort(record, coordinator, peers):
    if record == "committed" or coordinator == "commit" or "committed" in peers.values():
        return "commit"
    return "abort"


def presume_commit(record, coordinator, peers):
    if record in ("aborted", "none") or coordinator == "abort" or "aborted" in peers.values():
        return "abort"
    return "commit"


def ignore_peers(record, coordinator, peers):
    return ref(record, coordinator, {p: None for p in peers})


def ignore_coordinator(record, coordinator, peers):
    return ref(record, None, peers)


def test_the_reference_is_correct_and_the_runs_put_participants_in_doubt():
    """Correct, and the runs really leave participants in doubt, some with everyone uncertain
    (the rule waits) and some where a peer knows (the rule follows it)."""
    assert lab08.q1.check(ref).correct
    verdicts = [v for s in lab08.SEEDS for svc in lab08.run(ref, s).system.services.values()
                for v in svc.verdicts]
    assert sum(v[4] == "wait" for v in verdicts) >= 20
    assert any(v[4] == "commit" and v[2] is None for v in verdicts)   # learned from a peer


@pytest.mark.parametrize("rule, words", [
    (decide_alone_commit, ("committed at", "never logged a commit decision")),
    (presume_abort, ("although the coordinator had logged its commit decision",)),
    (presume_commit, ("committed at", "never logged a commit decision")),
    (ignore_peers, ("still prepared (blocked", "its peer")),
    (ignore_coordinator, ("still prepared at", "the coordinator answers abort")),
], ids=["decide-alone", "presume-abort", "presume-commit", "ignore-peers",
        "ignore-coordinator"])
def test_known_wrong_rules_fail_in_the_runs(rule, words):
    """Each wrong rule breaks a run: the message says how, with a seed to replay."""
    outcome = lab08.q1.check(rule)
    assert outcome.status == "Incorrect", outcome.text()
    assert outcome.seed in lab08.SEEDS
    for word in words + (f"seed={outcome.seed}",):
        assert word in outcome.message, outcome.message


def test_a_failing_run_names_a_replay_call_that_works_once():
    """The message names its replay call once (no generic '(replay with seed=N)' as well), and
    that call, run as written, finds the same finding again."""
    in_doubt_rule = presume_abort
    outcome = lab08.q1.check(in_doubt_rule)
    call = f"lab08.run(in_doubt_rule, seed={outcome.seed}).findings"
    findings = run_named_replay(outcome, call, {"lab08": lab08, "in_doubt_rule": in_doubt_rule})
    assert findings and findings[0] in outcome.message


def test_a_rule_that_waits_without_a_prepare_record_fails_a_situation():
    """A participant that never voted yes may abort alone: waiting is refused by the probe,
    which names the situation and the right answer (no seed: nothing to replay)."""
    def waits(record, coordinator, peers):
        return "wait" if record == "none" else ref(record, coordinator, peers)
    outcome = lab08.q1.check(waits)
    assert outcome.status == "Incorrect" and outcome.seed is None
    assert "in_doubt_rule('none'" in outcome.message and "'abort'" in outcome.message


def test_every_situation_has_one_right_answer_that_the_reference_gives():
    """The situations cover every record and both outcomes, and include all-uncertain ones."""
    table = lab08.situations()
    assert {s[0] for s in table} == {"prepared", "none", "committed", "aborted"}
    assert {s[3] for s in table} == {"commit", "abort", "wait"}
    assert all(ref(r, c, dict(p)) == right for r, c, p, right in table)


def test_a_bad_verdict_or_an_exception_is_incorrect():
    """Returning something else than commit/abort/wait, or raising, is Incorrect with a seed."""
    outcome = lab08.q1.check(lambda record, coordinator, peers: "yes")
    assert "must return one of" in outcome.message and outcome.seed == 1
    assert "raised KeyError" in lab08.q1.check(lambda r, c, p: p["nobody"]).message


def test_skeletons_are_not_attempted(capsys):
    """The notebook's skeleton and ... are Not attempted; hints come in three tiers."""
    def skeleton(record, coordinator, peers):
        raise NotImplementedError
    assert lab08.q1.check(skeleton).status == "Not attempted"
    assert lab08.q1.check(...).status == "Not attempted"
    lab08.q1.hint(3)
    assert "otherwise 'wait'" in capsys.readouterr().out


def test_the_solution_file_and_text_pass():
    """labs/lab08-in-doubt-participant/solution.py, and solution() pasted, pass."""
    ns = runpy.run_path(str(LAB / "solution.py"))
    assert lab08.q1.check(ns["in_doubt_rule"]).correct
    pasted: dict = {}
    exec(lab08.q1.solution_text, pasted)
    assert lab08.q1.check(pasted["in_doubt_rule"]).correct


def test_docstring_examples_run():
    """The examples in lab08's docstrings give the output they show."""
    import doctest
    assert doctest.testmod(lab08).failed == 0


def test_a_failing_run_explains_itself_and_draws_the_transaction_at_fault():
    """run(...).explain() lists each transaction's fault and every finding; figures() draws
    the first transaction a finding names (its messages) and the lock timeline."""
    run = lab08.run(lambda record, coordinator, peers: "abort", seed=1)
    text = run.explain()
    assert text.startswith("lab 8 run, seed 1:") and all(f in text for f in run.findings)
    first = next(t for t in run.windows if any(f.startswith(f"{t} ") for f in run.findings))
    figs = run.figures()
    lo, hi = run.windows[first]
    assert f"{lo}–{hi} ms" in figs["sequence"].layout.title.text
    assert figs["locks"].layout.title.text.startswith("Locks")
    assert "no finding" in lab08.run(lab08.reference_in_doubt_rule, seed=1).explain()


def test_figures_name_the_transactions_they_can_draw():
    """figures('t99') is refused, naming t1..t6; nothing else changes."""
    run = lab08.run(lab08.reference_in_doubt_rule, seed=1)
    with pytest.raises(ConfigError, match=r"txid must be one of \['t1', .*'t6'\], got 't99'"):
        run.figures("t99")
