"""Lab 5 (write a replicated register): the grader passes the references, fails known-wrong
nodes with a seed and the checker's explanation, answers Not attempted for the skeleton, and a
failing seed replays to the same run, drawn and stepped through event by event.

The quorum register is ABD (Attiya, Bar-Noy, Dolev 1995, "Sharing memory robustly in
message-passing systems"); the harness has Maelstrom's shape (nodes, clients, a workload and a
nemesis, graded by a linearizability checker)."""

from __future__ import annotations

import ast
import json
import os
import runpy
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from caplab.errors import ConfigError, UnknownNameError
from caplab.labkit import CORRECT, INCORRECT, NOT_ATTEMPTED
from caplab.labkit.labs import lab05
from caplab.labkit.labs.lab05 import Put, QuorumRegister, RegisterNode, SingleRegister
from caplab.labkit.labs.lab05_harness import build_run
from caplab.labkit.replay import Replay, StepThrough, replay
from caplab.viz import timeline_data

LAB = Path(__file__).resolve().parents[2] / "labs" / "lab05-register"


# -- known-wrong nodes ---------------------------------------------------------------------------
class LocalRead(QuorumRegister):
    """Writes go to a majority, but a read answers from this node's own store."""

    def handle_get(self, msg, src):
        self.reply(src, msg, self.store.get(msg.key, self.NOTHING)[1])


class NoVersionBump(QuorumRegister):
    """A write reuses the highest version it saw instead of a higher one."""

    def handle_version(self, msg, src):
        op = self.ops.get(msg.op)
        if op is not None and op["phase"] == "query" and isinstance(op["request"], Put) \
                and len(op["replies"]) + 1 == self.majority:
            op["replies"].append((msg.version, msg.value))
            version = max(v for v, _ in op["replies"])
            op.update(phase="store", value=op["request"].value)
            self.broadcast(lab05.Store(msg.key, msg.op, version, op["request"].value))
            return
        super().handle_version(msg, src)


class NoWriteBack(QuorumRegister):
    """A read answers with the newest value a majority reported, without storing it back."""

    def handle_version(self, msg, src):
        op = self.ops.get(msg.op)
        if op is not None and op["phase"] == "query" and not isinstance(op["request"], Put) \
                and len(op["replies"]) + 1 == self.majority:
            op["replies"].append((msg.version, msg.value))
            del self.ops[msg.op]
            self.reply(op["client"], op["request"], max(op["replies"], key=lambda r: r[0])[1])
            return
        super().handle_version(msg, src)


class VersionTie(QuorumRegister):
    """Versions are (counter, node): two concurrent writes through one node tie."""

    def handle_store(self, msg, src):
        super().handle_store(lab05.Store(msg.key, msg.op, msg.version[:2] + (0,), msg.value),
                             src)


class ForgetsStore(QuorumRegister):
    """The store is not durable: a crash wipes it."""

    durable = ("next_op",)


class ForgetfulSingle(SingleRegister):
    """q1 without durable: a crash of the one node loses every value."""

    durable = ()


class Silent(SingleRegister):
    """Never answers a get."""

    def handle_get(self, msg, src):
        pass


class Skeleton(RegisterNode):
    def handle_put(self, msg, src):
        raise NotImplementedError

    def handle_get(self, msg, src):
        raise NotImplementedError


# -- grading ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("q", [lab05.q1, lab05.q2], ids=["q1", "q2"])
def test_reference_is_correct(q):
    """The grader passes the reference kept in the exercise."""
    outcome = q.check(q.reference)
    assert outcome.status == CORRECT, outcome.text()


@pytest.mark.parametrize("answer", [None, ..., Skeleton], ids=["None", "ellipsis", "skeleton"])
def test_skeleton_is_not_attempted(answer):
    """None, ... and the skeleton class (handlers raising NotImplementedError) are Not attempted."""
    assert lab05.q2.check(answer).status == NOT_ATTEMPTED
    assert lab05.q1.check(answer).status == NOT_ATTEMPTED


@pytest.mark.parametrize("wrong, words", [
    (LocalRead, ["not linearizable on key"]),
    (NoVersionBump, ["not linearizable on key"]),
    (NoWriteBack, ["not linearizable on key"]),
    (VersionTie, ["not linearizable on key"]),
    (ForgetsStore, ["not linearizable on key", "crashes"]),
], ids=lambda x: getattr(x, "__name__", "words"))
def test_wrong_quorum_registers_are_incorrect(wrong, words):
    """Each known-wrong node fails with the seed, the checker's explanation (the key, the
    longest linearizable prefix, the operations that cannot be placed) and the replay call."""
    outcome = lab05.q2.check(wrong)
    assert outcome.status == INCORRECT, outcome.text()
    assert outcome.seed in lab05.SEEDS
    for word in words + ["longest valid prefix", "can take effect next",
                         f"replay: lab05.replay(seed={outcome.seed})"]:
        assert word in outcome.message, outcome.message


def test_missing_write_back_is_caught_only_by_the_simulated_runs():
    """A read without write-back is linearizable in every fault-free run and with one client
    at a time: only concurrent clients under the nemesis expose it (ABD's second phase)."""
    for seed in lab05.SEEDS:
        assert lab05.run(NoWriteBack, seed, nemesis=False).result.ok
        assert lab05.run(NoWriteBack, seed, clients=1).result.ok
    assert lab05.q2.check(NoWriteBack).status == INCORRECT


def test_version_tie_needs_two_clients_on_one_node():
    """(counter, node) versions tie only when one node coordinates two concurrent writes: one
    client per node never shows it; two per node (the grader's setting) do."""
    assert all(lab05.run(VersionTie, seed, clients=3).result.ok for seed in lab05.SEEDS)
    assert lab05.q2.check(VersionTie).status == INCORRECT


@pytest.mark.parametrize("wrong, words", [
    (ForgetfulSingle, ["not linearizable", "crashes"]),
    (Silent, ["got no answer", "self.reply"]),
])
def test_wrong_single_registers_are_incorrect(wrong, words):
    """q1 fails a node that forgets its store in a crash, and one that never answers."""
    outcome = lab05.q1.check(wrong)
    assert outcome.status == INCORRECT, outcome.text()
    for word in words:
        assert word in outcome.message, outcome.message


def test_a_second_stale_node_breaks_the_single_register():
    """The same single-node class on two nodes: reads at the node that never saw the writes
    are stale, and the checker says so."""
    r = lab05.run(SingleRegister, 1, question=1, nodes=2, nemesis=False)
    assert r.result.verdict == "not linearizable"


def test_code_errors_are_reported_with_the_seed():
    """A handler that raises, a missing handler and a durable name setup() never creates are
    Incorrect, naming what to fix."""
    class Raises(SingleRegister):
        def handle_get(self, msg, src):
            raise KeyError(msg.key)

    class NoHandler(QuorumRegister):
        handle_stored = None

    class BadDurable(SingleRegister):
        durable = ("disk",)

    outcome = lab05.q1.check(Raises)
    assert outcome.status == INCORRECT and outcome.seed == 1 and "KeyError" in outcome.message
    outcome = lab05.q2.check(NoHandler)
    assert outcome.status == INCORRECT and "def handle_stored(self, msg, src)" in outcome.message
    outcome = lab05.q1.check(BadDurable)
    assert outcome.status == INCORRECT and "'disk'" in outcome.message and "store" in \
        outcome.message
    assert lab05.q1.check(42).status == INCORRECT


def test_a_crash_keeps_only_what_is_durable():
    """After a crash and a restart, durable attributes are back and the rest is fresh."""
    r = build_run(QuorumRegister, 1, nodes=3, nemesis=False)
    n1 = r.service.servers["n1"]
    n1.store["x"] = ((1, "n1", 1), 5)
    n1.next_op, n1.ops[9] = 7, {"pending": True}
    r.service.crash("n1")
    assert "store" not in vars(n1)
    r.service.restart("n1")
    assert n1.store == {"x": ((1, "n1", 1), 5)} and n1.next_op == 7 and n1.ops == {}


# -- hints and solution ------------------------------------------------------------------------
def test_hints_are_tiered(capsys):
    """hint() nudges, hint(2) names the idea, hint(3) gives the algorithm; each printed once."""
    for level in (1, 2, 3):
        assert lab05.q2.hint(level) is None
        out = capsys.readouterr().out
        assert out.startswith(f"Hint {level}/3: ") and out.count("Hint") == 1
    assert "ABD" in lab05.q2.hints[2] and "ABD" not in lab05.q2.hints[0]
    lab05.q2.hint(4)
    assert "from 1 to 3" in capsys.readouterr().out


@pytest.mark.parametrize("q", [lab05.q1, lab05.q2], ids=["q1", "q2"])
def test_solution_defines_what_the_notebook_checks(q, capsys):
    """solution() prints code that defines the notebook's class name, which is Correct."""
    assert q.solution() is None
    assert capsys.readouterr().out == q.solution_text + "\n"
    notebook = (LAB / "lab05-register.ipynb").read_text()
    assert f"check({q.answer_name})" in notebook
    ns: dict = {"__name__": "__main__"}
    exec(q.solution_text, ns)
    assert q.check(ns[q.answer_name]).status == CORRECT


def test_solution_file_is_correct():
    """labs/lab05-register/solution.py's classes pass both questions."""
    ns = runpy.run_path(str(LAB / "solution.py"))
    assert lab05.q1.check(ns["SingleNode"]).status == CORRECT
    assert lab05.q2.check(ns["QuorumNode"]).status == CORRECT


# -- replay -------------------------------------------------------------------------------------
def test_replay_reproduces_the_failing_run():
    """lab05.replay(seed) rebuilds the same history and the same verdict as the check saw."""
    outcome = lab05.q2.check(NoWriteBack)
    rp = lab05.replay(seed=outcome.seed)
    assert isinstance(rp, Replay) and rp.result.verdict == "not linearizable"
    again = lab05.run(NoWriteBack, outcome.seed)
    assert rp.history.text() == again.history.text()
    assert rp.result.bad_ops == again.result.bad_ops
    assert replay(outcome).history.text() == rp.history.text()


def test_a_failing_seed_replays_identically_in_fresh_processes():
    """Same seed, same run: two fresh interpreters with different hash seeds rebuild a failing
    seed to the same history, trace and verdict."""
    code = textwrap.dedent("""
        import hashlib
        from caplab.labkit.labs import lab05
        class LocalRead(lab05.QuorumRegister):
            def handle_get(self, msg, src):
                self.reply(src, msg, self.store.get(msg.key, self.NOTHING)[1])
        rp = lab05.replay(seed=3, node_class=LocalRead)
        text = rp.history.text() + rp.system.sim.trace.text()
        print(hashlib.sha256(text.encode()).hexdigest(), rp.result.verdict, rp.result.bad_ops)
    """)
    outs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True, env={**os.environ, "PYTHONHASHSEED": str(h)}).stdout
            for h in (1, 2)}
    assert len(outs) == 1 and "not linearizable" in outs.pop()


def test_replay_draws_the_three_figures():
    """figures() gives the timeline (violation highlighted), the sequence diagram of the
    window around it and the cluster graph."""
    rp = lab05.replay(seed=1, node_class=LocalRead)
    figs = rp.figures()
    assert set(figs) == {"timeline", "sequence", "cluster"}
    lo, hi = rp.window()
    assert 0 <= lo < hi <= lo + 600
    rows = [r for r in rp.history.records() if r["key"] == rp.result.key]
    assert any(op["bad"] for op in timeline_data(rows, check_result=rp.result)["ops"])
    assert figs["sequence"].data and figs["cluster"].data


def test_step_through_walks_the_recorded_events():
    """steps.step() walks the recorded trace one event at a time on a live copy whose nodes'
    state can be read; back() rebuilds and lands on the same event."""
    rp = lab05.replay(seed=1, node_class=LocalRead)
    steps = rp.steps
    assert isinstance(steps, StepThrough) and len(steps) == len(rp.events)
    first = steps.step()
    assert first == rp.events[0] and steps.position == 0
    while steps.event.kind != "deliver" or steps.event.msg.kind != "Store":
        steps.step()
    node, msg = steps.event.peer, steps.event.msg
    assert steps.state()[node]["store"][msg.key][0] >= msg.version
    here = steps.position
    steps.step(3)
    assert steps.back(3) == rp.events[here] and steps.position == here
    assert steps.goto(-1) == rp.events[-1]
    assert steps.find("deliver", after=0) is not None and "> " in steps.text()


def test_replay_refuses_what_it_cannot_replay():
    """replay() of an outcome without a seed, or of an exercise without a replay, says why."""
    with pytest.raises(ConfigError, match="carries no seed"):
        replay(lab05.q1.check(SingleRegister))
    from caplab.labkit import Outcome
    outcome = Outcome("An exercise without a replay", "Incorrect", "wrong", seed=1)
    with pytest.raises(UnknownNameError, match="Lab 5, question 2"):
        replay(outcome)


def test_notebook_leaves_the_answers_to_the_student():
    """The notebook's exercise classes are skeletons (NotImplementedError), it does not hold the
    quorum algorithm, and it imports only caplab."""
    nb = json.loads((LAB / "lab05-register.ipynb").read_text())
    code = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    assert code.count("raise NotImplementedError") >= 4
    assert "def handle_store" not in code and "majority" not in code
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            assert (getattr(node, "module", None) or node.names[0].name).startswith("caplab")
