"""The course notebooks' exercise graders (caplab.labkit.course): each passes its reference
solution and fails a known-wrong answer."""

from __future__ import annotations

import pytest

from caplab.check import check_linearizability
from caplab.course import checking
from caplab.labkit.course import nb01, nb02, nb03, nb04, nb05, nb06


def test_nb01_majority_split_grades():
    """Notebook 01's exercise is graded by splitting five members: no group of three or more
    passes (MongoDB elects a primary with a majority of the voting members,
    https://www.mongodb.com/docs/manual/core/replica-set-elections/)."""
    q = nb01.exercise
    assert q.check(q.reference).correct
    assert q.check([["n5"], ["n1", "n3"], ["n2", "n4"]]).correct
    wrong = q.check([["n1"], ["n2"], ["n3", "n4", "n5"]])
    assert wrong.status == "Incorrect" and wrong.seed == nb01.SEED
    assert "['n3', 'n4', 'n5'] (3 of 5 members, a majority)" in wrong.message
    assert q.check(None).status == "Not attempted"


def test_nb01_split_writes_is_simulated():
    """The majority side of a two-way split acknowledges a majority write; the minority does
    not."""
    out = nb01.split_writes([["n1", "n2", "n3"], ["n4", "n5"]])
    assert out[("n1", "n2", "n3")][0] == "ok" and out[("n4", "n5")][0] != "ok"


def test_nb02_levels_grade():
    """Notebook 02's exercise passes a write level needing two replicas with reads at ONE, and
    fails writes at ONE (acknowledged by the cut-off replica) and reads at QUORUM (refused):
    Cassandra's consistency levels,
    https://cassandra.apache.org/doc/latest/cassandra/architecture/dynamo.html."""
    q = nb02.exercise
    assert q.check(q.reference).correct and q.check(("all", "one")).correct
    writes = q.check(("one", "one"))
    assert writes.status == "Incorrect" and "acknowledged" in writes.message and writes.seed == 1
    reads = q.check(("quorum", "quorum"))
    assert reads.status == "Incorrect" and "refused" in reads.message


def test_nb03_write_concern_grades():
    """Notebook 03's exercise (five members) passes w="majority" and w=3, and fails w=1 and
    w=2: two copies are not a majority of five (MongoDB: only a majority-acknowledged write
    cannot be rolled back, https://www.mongodb.com/docs/manual/core/replica-set-rollbacks/)."""
    q = nb03.exercise
    assert q.check(q.reference).correct and q.check(3).correct
    assert q.check(1).status == "Incorrect"
    two = q.check(2)
    assert two.status == "Incorrect" and two.seed == 1 and "not a majority of 5" in two.message


def test_nb03_hints_are_tiered(capsys):
    """Notebook 03's hint comes in three tiers, each printed on request."""
    q = nb03.exercise
    assert len(q.hints) == 3
    q.hint(3)
    assert "majority" in capsys.readouterr().out


def test_nb04_passes_the_reference_and_fails_wrong_answers():
    """The exercise grader accepts ('one', 'all') and refuses ONE/ONE and QUORUM/QUORUM."""
    q = nb04.exercise
    assert q.check(q.reference).correct
    wrong = q.check(("one", "one"))
    assert wrong.status == "Incorrect" and wrong.seed == 1
    assert q.check(("quorum", "quorum")).status == "Incorrect"
    assert q.check(...).status == "Not attempted"


def test_nb05_passes_the_solution_and_fails_wrong_answers():
    """The grader accepts t_at_probability's answer and refuses 5 ms and 100 ms."""
    from caplab.analyses.staleness import t_at_probability
    truth = t_at_probability(0.99, 3, 1, 1, latency="lnkd-disk", seed=1)
    q = nb05.exercise
    assert q.check(truth).correct
    assert q.check(5).status == "Incorrect"
    assert q.check(100).status == "Incorrect"
    assert q.check(...).status == "Not attempted"


def test_nb06_correct_message_names_the_blamed_read():
    """The Correct message includes the operation the checker cannot place."""
    outcome = nb06.exercise.check(checking.tiny_history("inversion"))
    assert outcome.correct
    assert "carol" in outcome.message and not outcome.message.rstrip().endswith(":")


_op = checking._op


@pytest.mark.parametrize("name, history, bad", [
    # a put of 1 with an overlapping read of 7, a value nobody wrote
    ("value nobody wrote", [_op(0, "alice", "put", 1, 0, 10), _op(1, "bob", "get", 7, 2, 4)], 1),
    # a read of 1 overlapping a put of 1 that failed (never took effect)
    ("failed write", [_op(0, "alice", "put", 1, 0, 10, "fail"), _op(1, "bob", "get", 1, 2, 4)],
     1),
    # the inversion plus a read of a value nobody wrote: together not linearizable, but op 3
    # is wrong on its own
    ("inversion plus a bogus read", checking.tiny_history("inversion")
     + [_op(3, "dave", "get", 99, 3, 6)], 3),
])
def test_nb06_refuses_reads_that_are_wrong_alone(name, history, bad):
    """Non-linearizable histories whose every read overlaps a write, but where some read is
    wrong even without the other reads: Incorrect, naming that read."""
    assert not check_linearizability(history).ok
    outcome = nb06.exercise.check(history)
    assert outcome.status == "Incorrect", (name, outcome.text())
    assert f"op {bad} (get by" in outcome.message and "wrong on its own" in outcome.message
    assert "other reads removed" in outcome.message


def test_nb06_passes_the_reference_and_fails_wrong_answers():
    """The grader accepts the new/old inversion and refuses the linearizable overlap and a
    read that overlaps no write."""
    q = nb06.exercise
    assert q.check(q.reference).correct
    assert q.check(checking.tiny_history("overlap")).status == "Incorrect"
    assert q.check(checking.tiny_history("stale")).status == "Incorrect"
    assert q.check(...).status == "Not attempted"


def test_course_scenarios_import_no_grader():
    """caplab.course holds scenarios only: importing it loads no caplab.labkit module."""
    import subprocess
    import sys
    code = ("import sys, caplab.course.cap, caplab.course.cp, caplab.course.ap, "
            "caplab.course.eventual, caplab.course.checking;"
            "print(sorted(m for m in sys.modules if m.startswith('caplab.labkit')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
