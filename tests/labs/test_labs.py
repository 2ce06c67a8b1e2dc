"""Every lab checker passes its reference, fails plausible wrong answers with a reason and a
replay seed, and answers Not attempted for the notebook's placeholder."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

from caplab.labkit import CORRECT, INCORRECT, NOT_ATTEMPTED
from caplab.labkit.labs import lab01, lab02, lab03, lab04

LABS = Path(__file__).resolve().parents[2] / "labs"
EXERCISES = [lab01.q1, lab01.q2, lab01.q3, lab02.q1, lab03.q1, lab04.q1, lab04.q2]


def skeleton(*args):
    raise NotImplementedError


@pytest.mark.parametrize("q", EXERCISES, ids=lambda q: q.name.split(":")[0])
def test_reference_is_correct(q):
    """The grader passes the reference kept in the exercise."""
    outcome = q.check(q.reference)
    assert outcome.status == CORRECT, outcome.text()


@pytest.mark.parametrize("q", EXERCISES, ids=lambda q: q.name.split(":")[0])
def test_placeholder_is_not_attempted(q):
    """The skeleton's placeholders (..., a dict of ..., NotImplementedError) are not attempted."""
    assert q.check(...).status == NOT_ATTEMPTED
    if isinstance(q.reference, dict):
        assert q.check({k: ... for k in q.reference}).status == NOT_ATTEMPTED
    else:
        assert q.check(skeleton).status == NOT_ATTEMPTED


@pytest.mark.parametrize("q", EXERCISES, ids=lambda q: q.name.split(":")[0])
def test_hint_and_solution(q, capsys):
    """hint() and solution() print their text once and return None (a returned string would
    be shown a second time by Jupyter as the cell's value)."""
    assert q.hint() is None
    out = capsys.readouterr().out
    assert out.startswith("Hint") and out.count(q.hint_text) == 1 and q.hint_text
    assert out.count("\n") == 1
    assert q.solution() is None
    out = capsys.readouterr().out
    assert out == f"{q.solution_text}\n" and q.solution_text.strip()


def _incorrect(q, answer, *words):
    outcome = q.check(answer)
    assert outcome.status == INCORRECT, outcome.text()
    assert outcome.seed is not None or not words
    for word in words:
        assert word in outcome.message, outcome.message
    return outcome


# -- lab 1 -------------------------------------------------------------------------------------
def test_lab01_q1_other_right_answers():
    """Any R + W > N with R, W <= N - 1 is right, e.g. N=5, R=W=3."""
    assert lab01.q1.check({"N": 5, "R": 3, "W": 3}).correct


@pytest.mark.parametrize("answer, words", [
    ({"N": 3, "R": 1, "W": 1}, ("returned", "need not overlap")),     # stale reads
    ({"N": 3, "R": 1, "W": 2}, ("returned", "need not overlap")),
    ({"N": 3, "R": 1, "W": 3}, ("refused", "unavailable")),          # W = N: no write
    ({"N": 3, "R": 3, "W": 1}, ("refused", "unavailable")),          # R = N: no read
])
def test_lab01_q1_wrong(answer, words):
    """Stale reads when quorums need not overlap; refusals when a quorum needs every copy."""
    _incorrect(lab01.q1, answer, *words)


@pytest.mark.parametrize("answer, words", [
    ({"N": 3, "R": 2, "W": 1}, ("older value",)),
    ({"N": 3, "R": 2, "W": 2}, ("failed", "unavailable")),
])
def test_lab01_q2_wrong(answer, words):
    """R + W = N reads old values after recovery; W = 2 cannot write with two copies down."""
    _incorrect(lab01.q2, answer, *words)


def test_lab01_q3_answers():
    """w=3 equals a majority of 5; w=1, 2 lose acknowledged writes; w=4 fails with two down."""
    assert lab01.q3.check({"w": 3}).correct
    _incorrect(lab01.q3, {"w": 1}, "rolled back")
    _incorrect(lab01.q3, {"w": 2}, "rolled back")
    _incorrect(lab01.q3, {"w": 4}, "two members down")


def test_lab01_malformed_answer():
    """A malformed dict is Incorrect with a message saying what is expected."""
    assert "N" in lab01.q1.check({"R": 1}).message
    assert "at most 5" in lab01.q1.check({"N": 7, "R": 4, "W": 4}).message


# -- lab 2 -------------------------------------------------------------------------------------
def test_lab02_order_dependent_merges_fail_the_algebra():
    """Keeping one sibling (first, last, largest) is not commutative."""
    for merge in (lambda s: set(s[0]), lambda s: set(max(s, key=len))):
        outcome = lab02.q1.check(merge)
        assert outcome.status == INCORRECT and "not commutative" in outcome.message
        assert outcome.seed is None and "merge([{" in outcome.message   # the carts to try


def test_lab02_intersection_loses_adds():
    """Intersection has the algebra but loses acknowledged adds under partitions."""
    def intersection(siblings):
        out = set(siblings[0])
        for cart in siblings[1:]:
            out &= set(cart)
        return out
    _incorrect(lab02.q1, intersection, "acknowledged add(s) lost")


def test_lab02_scenario_produces_siblings():
    """The graded scenario really makes concurrent siblings to merge."""
    facts = lab02.run_cart_scenario(lab02.q1.reference, 1)
    assert facts["siblings_seen"] > 0 and not facts["lost"]


# -- lab 3 -------------------------------------------------------------------------------------
def test_lab03_staler_candidate_loses_majority_writes():
    """Granting votes to staler candidates rolls back a majority-acknowledged write."""
    def ignores_optime(b):
        if b.candidate_term < b.voter_term:
            return False, "old term"
        if b.voted_for not in (None, b.candidate):
            return False, "already voted"
        return True, "ok"
    _incorrect(lab03.q1, ignores_optime, "majority-acknowledged write", "rolled back")


def test_lab03_double_vote_elects_two_primaries():
    """Voting more than once per term elects two primaries in one term."""
    def votes_twice(b):
        if b.candidate_term < b.voter_term:
            return False, "old term"
        return b.candidate_last_optime >= b.voter_last_optime, "by optime only"
    _incorrect(lab03.q1, votes_twice, "primaries in term")


def test_lab03_refusing_everything_elects_nobody():
    """A rule that never grants leaves the set without a primary."""
    _incorrect(lab03.q1, lambda b: (False, "no"), "no primary")


# -- lab 4 -------------------------------------------------------------------------------------
@pytest.mark.parametrize("name, fn", [
    ("no repair", lambda key, replies: {}),
    ("only missing replicas", lambda key, replies: {
        r.node: max(x.version for x in replies if x.version is not None)
        for r in replies if r.version is None} if any(x.version for x in replies) else {}),
    ("newest by value", lambda key, replies: {
        r.node: max((x for x in replies if x.version is not None), key=lambda x: x.value).version
        for r in replies} if any(x.version for x in replies) else {}),
])
def test_lab04_q1_wrong(name, fn):
    """Repairs that skip stale replicas or pick the wrong version leave replicas diverged."""
    _incorrect(lab04.q1, fn, "still disagree")


def _skips_empty_replicas(key, replies):
    """The reviewer's wrong answer: never repairs a replica that holds nothing."""
    newest = max((r.version for r in replies if r.version is not None), default=None)
    return {r.node: newest for r in replies if r.version is not None and r.version != newest}


def _bare_max(key, replies):
    """max() without default: crashes on a key no replica holds."""
    newest = max(r.version for r in replies if r.version is not None)
    return {r.node: newest for r in replies if r.version != newest}


def _sends_values(key, replies):
    """Returns the newest *value* instead of its version."""
    best = max((r for r in replies if r.version is not None), key=lambda r: r.version,
               default=None)
    return {} if best is None else {r.node: best.value for r in replies
                                    if r.version != best.version}


@pytest.mark.parametrize("seed", lab04.SEEDS[:6])
def test_lab04_scenario_has_an_empty_replica_and_an_unwritten_key(seed):
    """Every graded run asks the function about a replica that holds nothing (version None
    next to real versions) and about a key no replica holds (every version None)."""
    facts = lab04.run_repair_scenario(lab04.q2.reference, seed)
    assert facts["partial_write"].outcome == "ok"
    partial = [replies for key, replies, _ in facts["calls"] if key == lab04.PARTIAL_KEY]
    first = {r.node: r.version for r in partial[0]}
    assert first[facts["empty_replica"]] is None
    assert any(v is not None for v in first.values())
    unwritten = [replies for key, replies, _ in facts["calls"] if key == lab04.UNWRITTEN_KEY]
    assert unwritten and all(r.version is None for replies in unwritten for r in replies)
    assert not facts["diverged"]


@pytest.mark.parametrize("q", [lab04.q1, lab04.q2], ids=["q1", "q2"])
def test_lab04_repair_that_skips_empty_replicas_is_incorrect(q):
    """{r.node: newest for r in replies if r.version is not None and r.version != newest}
    leaves the replica that never got the key empty."""
    outcome = _incorrect(q, _skips_empty_replicas, "still disagree", lab04.PARTIAL_KEY,
                         "holds nothing", "version None")


def test_lab04_probe_catches_skipping_empty_replicas_on_its_own():
    """The fixed replies alone (no simulation) also refuse it, naming the empty replica."""
    from caplab.labkit import Incorrect
    with pytest.raises(Incorrect, match="n2 must get the newest version") as info:
        lab04.probe_repair(_skips_empty_replicas, minimal=True)
    assert "holds nothing" in info.value.reason and "Reply(node='n2', version=None" in \
        info.value.reason
    lab04.probe_repair(lab04.q1.reference, minimal=False)
    lab04.probe_repair(lab04.q2.reference, minimal=True)


@pytest.mark.parametrize("q", [lab04.q1, lab04.q2], ids=["q1", "q2"])
def test_lab04_bare_max_on_a_key_no_replica_holds_is_explained(q):
    """max() without default raises on a key nobody wrote: the message says so, not just
    "your code raised"."""
    outcome = _incorrect(q, _bare_max, "no replica holds", "every reply's version is None",
                         "max() arg is an empty sequence", "return {}", "default=None")
    assert not outcome.message.startswith("your code raised")
    from caplab.labkit import Incorrect
    with pytest.raises(Incorrect, match="no replica holds 'ghost'"):
        lab04.probe_repair(_bare_max, minimal=False)


@pytest.mark.parametrize("name, fn, words", [
    ("values", _sends_values, ("looks like a value", "reply.version")),
    ("unknown node", lambda key, replies: {"n9": r.version for r in replies if r.version},
     ("'n9'", "not a replica that answered", "reply.node")),
    ("None version", lambda key, replies: {r.node: r.version for r in replies},
     ("None means 'holds nothing'",)),
    ("a list of nodes", lambda key, replies: [r.node for r in replies],
     ("return a dict {node: version}",)),
])
def test_lab04_bad_answer_shape_is_named(name, fn, words):
    """A wrong shape is caught before the simulator applies it: the message names the entry and
    what is allowed, never "your code raised"."""
    outcome = _incorrect(lab04.q1, fn, *words)
    assert "your code raised" not in outcome.message, outcome.message


def test_validate_plan_accepts_what_the_hook_accepts():
    """None, {}, a dict of reply versions and (node, version) pairs are valid plans."""
    replies = lab04.PROBES[0][2]
    newest = lab04.PROBES[0][3]
    assert lab04.validate_plan("cart", replies, None) == {}
    assert lab04.validate_plan("cart", replies, {}) == {}
    assert lab04.validate_plan("cart", replies, [("n2", list(newest))]) == {"n2": newest}


def test_lab04_q2_rejects_wasted_repairs():
    """Repairing replicas that already hold the newest version is wasted (q2)."""
    _incorrect(lab04.q2, lab04.q1.reference, "already held the newest version")
    assert lab04.q1.check(lab04.q2.reference).correct


# -- the reference files in labs/ -------------------------------------------------------------
@pytest.mark.parametrize("lab, checks", [
    ("lab01-quorums", [(lab01.q1, "answer_q1"), (lab01.q2, "answer_q2"), (lab01.q3, "answer_q3")]),
    ("lab02-cart-merge", [(lab02.q1, "merge")]),
    ("lab03-voting", [(lab03.q1, "vote_rule")]),
    ("lab04-read-repair", [(lab04.q1, "repair"), (lab04.q2, "minimal_repair")]),
])
def test_solution_files_pass(lab, checks):
    """labs/<lab>/solution.py passes the checker too."""
    ns = runpy.run_path(str(LABS / lab / "solution.py"))
    for q, name in checks:
        assert q.check(ns[name]).correct, q.check(ns[name]).text()


def test_every_lab_has_readme_notebook_and_solution():
    """Each lab folder holds README.md, its notebook and solution.py."""
    for lab in ("lab01-quorums", "lab02-cart-merge", "lab03-voting", "lab04-read-repair"):
        folder = LABS / lab
        for name in ("README.md", f"{lab}.ipynb", "solution.py"):
            assert (folder / name).exists(), folder / name


def test_a_failure_names_its_replay_once():
    """A failing simulated check names the call that replays it, once: the generic
    '(replay with seed=N)' is added only for a lab without a replay function."""
    from caplab.labkit import Exercise, Incorrect

    outcome = lab01.q1.check({"N": 3, "R": 1, "W": 1})
    assert outcome.status == INCORRECT
    assert outcome.replay == f"lab01.replay(seed={outcome.seed})"
    assert outcome.text().count("replay:") == 1 and "replay with" not in outcome.text()

    def grader(answer):
        raise Incorrect("wrong", seed=4)

    plain = Exercise("q", answer_name="answer", grader=grader, hint="h", solution="s").check(1)
    assert plain.text().endswith("(replay with seed=4)")
