"""MongoDB's liveness and chaining together, caplab's defaults: ``liveness="heartbeat"`` and
``chaining_allowed=True`` (the old model stays reachable as ``liveness="oplog"`` and
``chaining_allowed=False``; see ``caplab.kv.cp.heartbeats`` and ``caplab.kv.cp.chaining``).

MongoDB manual, "Replica Set Elections" (www.mongodb.com/docs/manual/core/replica-set-elections):
secondaries call an election when they lose contact with the primary for longer than
``settings.electionTimeoutMillis`` (10 s); members heartbeat each other every 2 s
(``heartbeatIntervalMillis``). "Manage Chained Replication"
(www.mongodb.com/docs/manual/tutorial/manage-chained-replication): "MongoDB enables chained
replication by default"; a secondary may replicate from another secondary chosen by ping time.
The one-way cut into the primary under the defaults: ``test_cp_chaining.py``.
"""

import pytest

from caplab.kv import Cluster


def test_the_defaults_are_mongodb_s():
    """Without options a replica set uses heartbeat liveness and allows chaining."""
    config = Cluster(mode="cp", nodes=3, seed=1).backend.config
    assert (config["liveness"], config["chaining_allowed"]) == ("heartbeat", True)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_by_default_a_cut_secondary_replicates_through_another(seed):
    """A secondary cut from the primary (both ways) but not from the other secondary holds
    the primary's latest write, fetched through that secondary, before any election."""
    c = Cluster(mode="cp", nodes=3, seed=seed, priorities={"n1": 2})
    c.run_until(lambda: c.primary == "n1" and c.backend.writable_primary, timeout_ms=8000)
    alice = c.client("alice", near="n1")
    cut_at = c.now
    c.cut("n1", "n3")
    c.cut("n3", "n1")
    for i in range(3):
        assert alice.put("x", str(i), w=1).ok
        c.run_for(100)
    c.run_for(300)
    assert c.primary == "n1" and c.now - cut_at < 900   # no election yet
    assert [e.value for e in c.backend.oplog("n3") if e.op == "put"][-1] == "2"
    sources = [e for e in c.sim.trace.of_kind("replication")
               if e.node == "n3" and e.data.get("action") == "sync_source"]
    assert sources and sources[0].data["source"] == "n2"


def test_without_chaining_the_cut_secondary_stays_behind():
    """The same cut with chaining_allowed=False: n3 never receives the writes."""
    c = Cluster(mode="cp", nodes=3, seed=1, priorities={"n1": 2}, chaining_allowed=False)
    c.run_until(lambda: c.primary == "n1" and c.backend.writable_primary, timeout_ms=8000)
    alice = c.client("alice", near="n1")
    c.cut("n1", "n3")
    c.cut("n3", "n1")
    for i in range(3):
        assert alice.put("x", str(i), w=1).ok
        c.run_for(100)
    c.run_for(300)
    assert "2" not in [e.value for e in c.backend.oplog("n3") if e.op == "put"]
