"""Lab 3's grader also asks the rule fixed ballots (a rule without the older-term guard passes
the simulated runs but is Incorrect), and every lab's solution() text, pasted into its lab
notebook, defines the function or value that notebook checks."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from caplab.kv.cp import mongodb_vote_rule
from caplab.labkit import CORRECT, INCORRECT
from caplab.labkit.labs import lab01, lab02, lab03, lab04

LABS = Path(__file__).resolve().parents[2] / "labs"


def no_term_guard(ballot):
    """The reference rule without "candidate_term < voter_term -> refuse"."""
    if ballot.voted_for is not None and ballot.voted_for != ballot.candidate:
        return False, f"already voted for {ballot.voted_for}"
    if ballot.candidate_last_optime < ballot.voter_last_optime:
        return False, "candidate is behind"
    return True, "ok"


def test_rule_without_the_term_guard_is_caught_by_a_run():
    """It does no harm a run can show (the candidate steps down on the voter's newer term), but
    the slow-vote-requests runs show it granting a late request of an older term: Incorrect with
    that seed and its replay call (Raft: a server rejects a RequestVote whose term is older
    than its own, https://raft.github.io/raft.pdf figure 2)."""
    assert all(not run["two_primaries"] and not run["lost_acknowledged"]
               for run in (lab03.run_election_scenario(no_term_guard, 1, s)
                           for s in lab03.SCENARIOS))
    outcome = lab03.q1.check(no_term_guard)
    assert outcome.status == INCORRECT, outcome.text()
    assert "older term" in outcome.message and "[slow vote requests]" in outcome.message
    assert outcome.seed is not None
    assert f"lab03.replay(seed={outcome.seed}, scenario='slow vote requests')" in outcome.message


def test_comparing_indexes_only_loses_a_write_in_the_deposed_primary_run():
    """A rule comparing optimes by index only lets a deposed primary with a longer, older oplog
    win: the deposed-primary run rolls back a majority-acknowledged write (MongoDB compares
    optimes term first, https://www.mongodb.com/docs/manual/core/replica-set-elections/)."""
    def by_index(b):
        return (b.candidate_term >= b.voter_term and b.voted_for in (None, b.candidate)
                and b.candidate_last_optime[1] >= b.voter_last_optime[1], "index")
    outcome = lab03.q1.check(by_index)
    assert outcome.status == INCORRECT and outcome.seed == 1, outcome.text()
    assert "[deposed primary]" in outcome.message and "rolled back" in outcome.message
    assert "lab03.replay(seed=1, scenario='deposed primary')" in outcome.message


def test_the_voting_rule_has_one_copy():
    """Lab 3's reference, its solution() text and labs/lab03-voting/solution.py are all the
    replica set's own rule (kv.cp.voting.mongodb_vote_rule), not copies of it."""
    import inspect
    import runpy
    assert lab03.q1.reference is mongodb_vote_rule
    assert runpy.run_path(str(LABS / "lab03-voting" / "solution.py"))["vote_rule"] \
        is mongodb_vote_rule
    source = inspect.getsource(mongodb_vote_rule)
    assert lab03.q1.solution_text == source.strip().replace("mongodb_vote_rule", "vote_rule")
    for path in [*(LABS / "lab03-voting").glob("*.py"), Path(lab03.__file__)]:
        tree = ast.parse(path.read_text())
        assert not [n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)
                    and "vote_rule" in n.name and "probe" not in n.name], path


@pytest.mark.parametrize("rule", [lab03.q1.reference, mongodb_vote_rule],
                         ids=["reference", "mongodb"])
def test_reference_rules_pass_every_probe_and_the_grader(rule):
    """The reference solution (and the library's MongoDB rule) answers every probe as
    expected and is graded Correct."""
    lab03.probe_vote_rule(rule)
    for _, ballot, expected, _ in lab03.PROBES:
        assert rule(ballot)[0] is expected, ballot
    assert lab03.q1.check(rule).status == CORRECT


@pytest.mark.parametrize("name, rule", [
    ("refuses equal optimes", lambda b: (
        b.candidate_term >= b.voter_term and b.voted_for in (None, b.candidate)
        and b.candidate_last_optime > b.voter_last_optime, "strict")),
    ("compares indexes only", lambda b: (
        b.candidate_term >= b.voter_term and b.voted_for in (None, b.candidate)
        and b.candidate_last_optime[1] >= b.voter_last_optime[1], "index")),
])
def test_probes_catch_other_wrong_guards(name, rule):
    """Other wrong guards are Incorrect too (by the runs or by the probes)."""
    outcome = lab03.q1.check(rule)
    assert outcome.status == INCORRECT, (name, outcome.text())


def test_refusing_equal_optimes_is_explained():
    """A rule with <= instead of < (refuses a candidate exactly as up to date) elects nobody:
    the message says no candidate won a majority and points at an equal optime, not "your
    rule refuses every candidate"."""
    def strict(b):
        if b.candidate_term < b.voter_term:
            return False, "old term"
        if b.voted_for not in (None, b.candidate):
            return False, "already voted"
        if b.candidate_last_optime <= b.voter_last_optime:
            return False, "not ahead of me"
        return True, "ok"
    outcome = lab03.q1.check(strict)
    assert outcome.status == INCORRECT and outcome.seed is not None
    assert "no candidate won a majority" in outcome.message
    assert "both oplogs end at" in outcome.message and "equal" in outcome.message
    assert "refuses every candidate" not in outcome.message


def test_probe_failure_names_the_situation():
    """probe_vote_rule alone: a rule granting everything fails on the first probe."""
    from caplab.labkit import Incorrect
    with pytest.raises(Incorrect, match="older term"):
        lab03.probe_vote_rule(lambda b: (True, "ok"))


# -- solution() texts, pasted into the lab notebooks -------------------------------------------
LAB_EXERCISES = [
    ("lab01-quorums", lab01.q1), ("lab01-quorums", lab01.q2), ("lab01-quorums", lab01.q3),
    ("lab02-cart-merge", lab02.q1),
    ("lab03-voting", lab03.q1),
    ("lab04-read-repair", lab04.q1), ("lab04-read-repair", lab04.q2),
]


def _lab_namespace(lab: str) -> dict:
    nb = json.loads((LABS / lab / f"{lab}.ipynb").read_text())
    ns: dict = {"__name__": "__main__"}
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            for node in ast.parse("".join(cell["source"])).body:
                if isinstance(node, (ast.Import, ast.ImportFrom)):
                    exec(compile(ast.Module([node], []), lab, "exec"), ns)
    return ns


@pytest.mark.parametrize("lab, q", LAB_EXERCISES, ids=lambda x: getattr(x, "name", x)[:12])
def test_lab_solution_defines_what_the_notebook_checks(lab, q, capsys):
    """solution() defines the notebook's answer name (``vote_rule``, not
    ``reference_vote_rule``), and that answer is Correct."""
    assert q.solution() is None   # printed once, not also returned
    text = q.solution_text
    assert capsys.readouterr().out == text + "\n"
    notebook = (LABS / lab / f"{lab}.ipynb").read_text()
    assert f"check({q.answer_name})" in notebook
    ns = _lab_namespace(lab)
    exec(text, ns)
    assert q.answer_name in ns
    outcome = q.check(ns[q.answer_name])
    assert outcome.status == CORRECT, outcome.text()
