"""Liveness of the replica set: heartbeats run both ways, apart from replication.

MongoDB: every member sends heartbeats to every other member every heartbeat interval
(``settings.heartbeatIntervalMillis``), and a member resets its election timer when the primary
*answers its heartbeat* (``_handleHeartbeatResponse``), not when oplog entries arrive. So a
one-way cut into the primary (the secondaries' messages to it are lost) costs one election
timeout: the primary cannot see a majority and steps down while the secondaries, whose
heartbeats go unanswered, run for election at the same time. That is the default,
``liveness="heartbeat"``; ``"oplog"`` (caplab's first model) lets the primary's oplog push double
as its heartbeat, which keeps the secondaries waiting until it has stepped down: two election
timeouts. MongoDB manual, "Replica Set Elections"
(www.mongodb.com/docs/manual/core/replica-set-elections): members heartbeat each other every
2 s, and a secondary calls an election when the primary has not answered for
``electionTimeoutMillis`` (10 s).
"""

import pytest

from caplab import UnknownNameError
from caplab.kv import Cluster


@pytest.mark.parametrize("seed", [1, 2, 3, 5])
def test_a_one_way_cut_into_the_primary_costs_one_election_timeout(seed):
    """MongoDB's defaults: cut every secondary -> primary link, and a new primary is elected
    within about one election timeout (1000 ms plus the random offset and the vote), not two."""
    c = Cluster(mode="cp", nodes=3, seed=seed)
    c.run_until(lambda: c.backend.writable_primary is not None, timeout_ms=5000)
    old, cut_at = c.primary, c.now
    for node in c.nodes:
        if node != old:
            c.cut(node, old)
    c.run_until(lambda: c.primary not in (None, old), timeout_ms=6000)
    assert c.primary not in (None, old)
    assert 900 <= c.now - cut_at <= 1400


def test_a_one_way_cut_out_of_the_primary_also_costs_one_election_timeout():
    """Cut every primary -> secondary link: the secondaries hear no answer and elect a new
    primary after one election timeout; the old one steps down when it hears the new term."""
    c = Cluster(mode="cp", nodes=3, seed=1)
    c.run_until(lambda: c.backend.writable_primary is not None, timeout_ms=5000)
    old, cut_at = c.primary, c.now
    for node in c.nodes:
        if node != old:
            c.cut(old, node)
    c.run_until(lambda: c.primary not in (None, old), timeout_ms=6000)
    assert 900 <= c.now - cut_at <= 1400
    c.run_for(500)
    assert c.roles()[old] == "secondary"


def test_the_primary_heartbeats_every_member_and_is_answered():
    """Heartbeats both ways: the primary sends heartbeats (not only its oplog) every interval,
    and every member answers them."""
    c = Cluster(mode="cp", nodes=3, seed=1)
    c.run_until(lambda: c.backend.writable_primary is not None, timeout_ms=5000)
    primary, start = c.primary, c.now
    c.run_for(1000)
    sent = [e for e in c.sim.trace.of_kind("send") if e.time_ms >= start and e.node == primary
            and type(e.msg).__name__ == "Heartbeat"]
    assert {e.peer for e in sent} == set(c.nodes) - {primary}
    assert len(sent) >= 2 * 4


@pytest.mark.parametrize("seed", [1, 2, 3, 5])
def test_with_oplog_liveness_the_same_cut_costs_two_election_timeouts(seed):
    """liveness="oplog": the secondaries, still fed by the primary's push, wait for it to step
    down (one timeout) and then for their own (another)."""
    c = Cluster(mode="cp", nodes=3, seed=seed, liveness="oplog")
    c.run_until(lambda: c.backend.writable_primary is not None, timeout_ms=5000)
    old, cut_at = c.primary, c.now
    for node in c.nodes:
        if node != old:
            c.cut(node, old)
    c.run_until(lambda: c.primary not in (None, old), timeout_ms=6000)
    assert 2000 <= c.now - cut_at <= 2600


def test_an_unknown_liveness_is_refused():
    """A bad liveness names itself and the allowed ones."""
    with pytest.raises(UnknownNameError, match="'pings'.*heartbeat"):
        Cluster(mode="cp", nodes=3, seed=1, liveness="pings")
