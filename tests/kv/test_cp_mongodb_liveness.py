"""MongoDB's liveness and chaining together: ``liveness="heartbeat"`` and
``chaining_allowed=True`` (caplab's defaults are still ``"oplog"`` and ``False``, because
the course's seeded stories change with them; see the module docstrings of
``caplab.kv.cp.heartbeats`` and ``caplab.kv.cp.chaining``).

MongoDB manual, "Replica Set Elections" (www.mongodb.com/docs/manual/core/replica-set-elections):
secondaries call an election when they lose contact with the primary for longer than
``settings.electionTimeoutMillis`` (10 s); members heartbeat each other every 2 s
(``heartbeatIntervalMillis``). "Manage Chained Replication"
(www.mongodb.com/docs/manual/tutorial/manage-chained-replication): "MongoDB enables chained
replication by default"; a secondary may replicate from another secondary chosen by ping time.
"""

import pytest

from caplab.kv import Cluster

MONGODB = {"liveness": "heartbeat", "chaining_allowed": True}


@pytest.mark.parametrize("seed", [1, 2, 3, 5])
def test_with_mongodb_settings_a_one_way_cut_into_the_primary_costs_one_timeout(seed):
    """Cut every secondary -> primary link: a new primary about one election timeout later."""
    c = Cluster(mode="cp", nodes=3, seed=seed, **MONGODB)
    c.run_until(lambda: c.backend.writable_primary is not None, timeout_ms=5000)
    old, cut_at = c.primary, c.now
    for node in c.nodes:
        if node != old:
            c.cut(node, old)
    c.run_until(lambda: c.primary not in (None, old), timeout_ms=6000)
    assert c.primary not in (None, old)
    assert 900 <= c.now - cut_at <= 1400


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_with_mongodb_settings_a_cut_secondary_replicates_through_another(seed):
    """A secondary cut from the primary (both ways) but not from the other secondary holds
    the primary's latest write, fetched through that secondary, before any election."""
    c = Cluster(mode="cp", nodes=3, seed=seed, priorities={"n1": 2}, **MONGODB)
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
    c = Cluster(mode="cp", nodes=3, seed=1, priorities={"n1": 2}, liveness="heartbeat")
    c.run_until(lambda: c.primary == "n1" and c.backend.writable_primary, timeout_ms=8000)
    alice = c.client("alice", near="n1")
    c.cut("n1", "n3")
    c.cut("n3", "n1")
    for i in range(3):
        assert alice.put("x", str(i), w=1).ok
        c.run_for(100)
    c.run_for(300)
    assert "2" not in [e.value for e in c.backend.oplog("n3") if e.op == "put"]
