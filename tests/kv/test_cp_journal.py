"""The ``j`` option and the in-memory acknowledgement of ``w: 1`` writes.

MongoDB manual, "Write Concern": ``j: true`` requests acknowledgement that the write has been
written to the on-disk journal; without it a ``w: 1`` write is acknowledged once applied in
memory. "Journaling": WiredTiger commits the journal every ``storage.journal.commitIntervalMs``
(default 100 ms; 10 ms at lab scale), so a crash before that commit loses the write; with
``writeConcernMajorityJournalDefault`` (default true) ``w: "majority"`` implies ``j: true``.
"""

import pytest

from caplab import ConfigError
from caplab.kv import Cluster


def _single(seed=1):
    """A one-member replica set with 1 ms links, at the start of a journal commit interval."""
    c = Cluster(mode="cp", nodes=1, seed=seed, latency=1)
    c.run_until(lambda: c.backend.writable_primary is not None, timeout_ms=5000)
    c.run_for(10 - c.now % 10)
    return c


def _crash_and_read(c, alice):
    c.crash("n1")
    c.restart("n1")
    c.run_until(lambda: c.backend.writable_primary is not None, timeout_ms=5000)
    return alice.get("x").value


def test_a_w1_write_acknowledged_before_the_journal_commit_is_lost_on_a_crash():
    """w:1 without j: acknowledged 2 ms after it was sent, gone after a crash 8 ms before the
    next journal commit."""
    c = _single()
    alice = c.client("alice", near="n1")
    assert alice.put("x", "1", w=1).ok
    assert _crash_and_read(c, alice) is None
    lost = c.sim.trace.of_kind("journal")
    assert len(lost) == 1 and lost[0].data["keys"] == ("x",)


@pytest.mark.parametrize("options", [{"w": 1, "j": True}, {"w": "majority"}])
def test_j_true_and_majority_writes_survive_the_same_crash(options):
    """j:true (and w:'majority', which implies it) acknowledges only a journaled write."""
    c = _single()
    alice = c.client("alice", near="n1")
    assert alice.put("x", "1", **options).ok
    assert _crash_and_read(c, alice) == "1"


def test_a_w1_write_survives_once_the_journal_has_committed():
    """After the next journal commit (10 ms at lab scale) the w:1 write is durable."""
    c = _single()
    alice = c.client("alice", near="n1")
    assert alice.put("x", "1", w=1).ok
    c.run_for(10)
    assert _crash_and_read(c, alice) == "1"


def test_a_later_journaled_write_makes_the_earlier_one_durable():
    """The journal is sequential: a j:true write commits every entry before it."""
    c = _single()
    alice = c.client("alice", near="n1")
    assert alice.put("x", "1", w=1).ok
    assert alice.put("y", "2", w=1, j=True).ok
    assert _crash_and_read(c, alice) == "1"


def test_j_must_be_a_bool_and_the_interval_positive():
    """Bad values name themselves and what is allowed."""
    c = _single()
    with pytest.raises(ConfigError, match="j must be True or False.*'yes'"):
        c.client("alice", near="n1").put("x", "1", j="yes")
    with pytest.raises(ConfigError, match="journal_commit_ms.*0"):
        Cluster(mode="cp", nodes=1, seed=1, journal_commit_ms=0)
