"""CP under a network that duplicates messages: one attempt at a time, replies matched to their
attempt, and retried or duplicated writes applied once (MongoDB's retryable writes).

MongoDB, "Retryable Writes": the server identifies a write by its logical session id and a
transaction number and, when the same statement arrives again, "returns the result of the
already-executed write" instead of applying it a second time; the record of executed writes is
part of the replicated state, so a new primary also recognises a retry.
"""

import pytest

from caplab.check import check_linearizability
from caplab.kv import Cluster
from caplab.net.latency import Uniform


def _started(seed, **options):
    c = Cluster(mode="cp", nodes=3, seed=seed, **options)
    c.run_for(1500)
    assert c.primary is not None
    return c


@pytest.mark.parametrize("seed", range(1, 9))
def test_a_duplicated_write_request_is_applied_once(seed):
    """Every WriteRequest delivered twice, with a slow copy: each write is one oplog entry,
    and a late copy of an old write never brings back an overwritten value."""
    c = _started(seed)
    c.network.set_duplicate(1.0, kind="WriteRequest")
    c.network.set_latency(Uniform(1, 80), kind="WriteRequest")
    alice = c.client("alice", near=c.primary)
    for i in range(6):
        assert alice.put("x", str(i)).ok
    c.run_for(500)
    primary = c.backend.nodes[c.primary]
    puts = [e for e in primary.oplog.entries if e.op == "put"]
    assert [e.value for e in puts] == [str(i) for i in range(6)]
    assert alice.get("x", read_concern="linearizable").value == "5"


@pytest.mark.parametrize("seed", range(1, 36))
def test_duplicated_not_primary_replies_do_not_turn_a_committed_write_into_a_failure(seed):
    """Issue 12: every write reply duplicated with 1-100 ms latency, a write issued before the
    first election (no primary known: "not primary" replies send the driver into back-off).
    A duplicated reply used to arm a second back-off timer, whose stale attempt ended a
    majority-committed write as a definite failure (5 of the first 35 seeds). One attempt at a
    time: the write is applied once, and never reported "fail" once applied."""
    c = Cluster(mode="cp", nodes=3, seed=seed)
    c.network.set_duplicate(1.0, kind="WriteReply")
    c.network.set_latency(Uniform(1, 100), kind="WriteReply")
    alice = c.client("alice", near="n1")
    r = alice.put("k", "v", timeout_ms=5000)
    c.run_for(2000)
    oplog = c.backend.nodes[c.primary].oplog
    committed = [e.value for e in oplog.entries if e.op == "put" and e.index <= oplog.commit_index]
    assert committed.count("v") <= 1
    if "v" in committed:
        assert r.outcome != "fail", r
    assert check_linearizability(c.history).verdict == "linearizable"
