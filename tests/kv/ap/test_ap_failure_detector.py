"""AP failure detection: Cassandra's phi accrual detector (the default), or a fixed timeout.

Cassandra documentation, "Failure detection and recovery" (DataStax, docs.datastax.com
/en/cassandra/2.1/cassandra/architecture/architectureDataDistributeFailDetect_c.html): the
gossip failure detector is Hayashibara's phi accrual detector over a sliding window of
inter-arrival times, and "use the default value [of phi_convict_threshold] for most
situations"; the default is 8 (cassandra.yaml, ``phi_convict_threshold: 8``). With heartbeats
every interval T that is about 8 x ln(10) x T ~ 18 T of silence. Until then coordinators keep
sending the node requests (and their writes wait out the request timeout).
"""

import math

import pytest

from caplab import ConfigError, UnknownNameError
from caplab.kv import Cluster
from caplab.kv.probes import events, holders, wait_seen_down


def _conviction_after_crash(detector, seed=1):
    c = Cluster(mode="ap", nodes=3, seed=seed, failure_detector=detector)
    c.run_for(2000)                      # heartbeats fill the phi detector's window
    crash_ms = c.now
    c.crash("n3")
    c.run_for(4000)
    seen_down = [e.time_ms for e in events(c, "detector", node="n1", action="down")
                 if e.data.get("target") == "n3"]
    return seen_down[0] - crash_ms, c


@pytest.mark.parametrize("seed", [1, 2])
def test_phi_8_convicts_after_about_18_heartbeat_intervals(seed):
    """At a 100 ms gossip interval: phi 8 convicts a crashed node after about 1.8 s of silence,
    the fixed timeout after about 400 ms."""
    phi_ms, _ = _conviction_after_crash("phi", seed)
    timeout_ms, _ = _conviction_after_crash("timeout", seed)
    assert 1600 <= phi_ms <= 2100
    assert 380 <= timeout_ms <= 520


def test_a_crashed_node_keeps_receiving_requests_until_it_is_convicted():
    """Under the default options (phi 8, as Cassandra): writes at ONE go on being sent to the
    crashed replica (and hinted only after a request timeout) for about 18 mean heartbeat
    intervals, until the detector convicts it; afterwards coordinators hint at once."""
    c = Cluster(mode="ap", nodes=3, seed=1)
    alice = c.client("alice", near="n1")
    c.run_for(2000)
    crash_ms = c.now
    assert c.backend.options["failure_detector"] == "phi"
    patience = c.failure_detector_info("n1")["n3"]["convicts_after_ms"]
    c.crash("n3")
    while c.now < crash_ms + 3000:
        alice.put("k", str(c.now), consistency="one")
        c.run_for(100)
    down_ms = next(e.time_ms for e in events(c, "detector", node="n1", action="down")
                   if e.data.get("target") == "n3")
    sent = [e.time_ms for e in c.sim.trace.of_kind("send")
            if e.node == "n1" and e.peer == "n3" and e.msg.kind == "Mutation"]
    assert any(crash_ms < t < down_ms for t in sent)       # sent to a dead node
    assert not any(t > down_ms for t in sent)               # never after conviction
    # how long: 8 x ln 10 x n1's mean interval for n3 (about 105 ms after 2 s) of silence,
    # counted from n3's last heartbeat (at most one gossip interval before the crash) and
    # noticed at n1's next gossip tick
    assert 18 * 100 <= patience <= 8 * math.log(10) * 110
    assert patience - 100 <= down_ms - crash_ms <= patience + 100
    assert len([t for t in sent if t > crash_ms]) >= 15     # one write every 100 ms, ~1.9 s


def test_bad_detector_options_are_refused():
    """An unknown detector and a threshold outside Cassandra's range name the value."""
    with pytest.raises(UnknownNameError, match="'timeout', 'phi'"):
        Cluster(mode="ap", nodes=3, failure_detector="gossip")
    with pytest.raises(ConfigError, match="phi_convict_threshold"):
        Cluster(mode="ap", nodes=3, failure_detector="phi", phi_convict_threshold=0)


@pytest.mark.parametrize("detector", [None, "timeout"])   # None: the default, phi
def test_liveness_is_relayed_by_gossip_so_a_one_way_cut_gives_a_timeout(detector):
    """n3's messages to n1 are cut (n1 -/- n3 one way), n2 still hears both. Cassandra's gossip:
    "nodes exchange information about themselves and about the other nodes that they have
    gossiped about", and a newer heartbeat version of n3 from any peer counts as hearing n3
    (DataStax docs, "Internode communications (gossip)"; Gossiper reports the endpoint to the
    failure detector when a remote heartbeat version is higher). So n1 keeps n3 alive, sends it
    a write at ALL and gets a timeout (the write may have been applied: n3 applied it), not a
    definite "unavailable"."""
    options = {} if detector is None else {"failure_detector": detector}
    c = Cluster(mode="ap", nodes=3, seed=1, replication_factor=3, latency=2, **options)
    alice = c.client("alice", near="n1")
    c.run_for(2000)
    c.cut("n3", "n1")
    c.run_for(3000)                       # far longer than either detector's patience
    assert not [e for e in events(c, "detector", node="n1", action="down")
                if e.data.get("target") == "n3"]
    r = alice.put("x", "1", consistency="all")
    assert r.outcome == "info" and "timeout" in r.error, r
    assert holders(c, "x") == {"n1": "1", "n2": "1", "n3": "1"}
    g = alice.get("x", consistency="all")
    assert g.outcome == "fail" and "timeout" in g.error, g


def test_a_symmetric_partition_still_convicts():
    """Relay cannot cross a partition: with n3 cut off both ways, n1 and n2 convict it and a
    write at ALL is refused at once as unavailable."""
    c = Cluster(mode="ap", nodes=3, seed=1, replication_factor=3, latency=2)
    alice = c.client("alice", near="n1")
    c.run_for(2000)
    c.partition(["n1", "n2", "alice"], ["n3"])
    c.run_for(3000)
    r = alice.put("x", "1", consistency="all")
    assert r.outcome == "fail" and "unavailable" in r.error, r


def test_phi_does_not_convict_a_healthy_peer_at_start_up():
    """The first heartbeat after the start-up grace period seeds phi's window with the initial
    interval (Cassandra's ArrivalWindow), not with the few ms since start: no false conviction."""
    c = Cluster(mode="ap", nodes=3, seed=1, latency=2, failure_detector="phi")
    c.run_for(2000)
    assert events(c, "detector", action="down") == []


@pytest.mark.parametrize("detector", ["timeout", "phi"])
def test_wait_seen_down_runs_until_the_coordinator_convicts(detector):
    """wait_seen_down returns the simulated ms the observer's detector needed, and by then
    the observer's failure_detector_info shows the peer silent past its conviction point."""
    c = Cluster(mode="ap", nodes=3, seed=1, failure_detector=detector)
    c.run_for(2000)
    c.crash("n3")
    took = wait_seen_down(c, "n3", by="n1")
    info = c.failure_detector_info("n1")
    assert took is not None and not info["n3"]["alive"] and info["n2"]["alive"]
    assert info["n3"]["silent_ms"] >= info["n3"]["convicts_after_ms"]
    assert took <= info["n3"]["convicts_after_ms"] <= took + 100   # last beat <= 1 gossip before
    assert wait_seen_down(c, "n3", by="n1") == 0                   # already seen down


def test_wait_seen_down_and_detector_info_refuse_bad_observers():
    """A crashed or unknown observer is named with the nodes that can observe; a node that never
    becomes suspect makes wait_seen_down give up with None after timeout_ms."""
    c = Cluster(mode="ap", nodes=3, seed=1)
    c.crash("n3")
    with pytest.raises(ConfigError, match=r"observer 'n3'.*choose among \['n1'\]"):
        wait_seen_down(c, "n2", by="n3")
    with pytest.raises(ConfigError, match="'n3' is down"):
        c.failure_detector_info("n3")
    with pytest.raises(UnknownNameError, match="n9"):
        c.failure_detector_info("n9")
    assert wait_seen_down(c, "n2", by="n1", timeout_ms=3000) is None
    assert c.now == 3000


def test_a_young_phi_detector_waits_longer():
    """Cassandra seeds a new arrival window with fd_initial_value_ms (2 s at a 1 s gossip; the
    lab's 200 ms, two gossip intervals): a node crashed right at start-up is convicted after
    about 8 x ln 10 x 200 ms = 3.7 s of silence, one crashed after 2 s of 100 ms heartbeats
    after about 8 x ln 10 x 105 ms = 1.9 s. Both under the default options."""
    fresh = Cluster(mode="ap", nodes=3, seed=1)
    fresh.crash("n3")
    young_ms = wait_seen_down(fresh, "n3", by="n1")
    warm = Cluster(mode="ap", nodes=3, seed=1)
    warm.run_for(2000)
    warm.crash("n3")
    warm_ms = wait_seen_down(warm, "n3", by="n1")
    assert 8 * math.log(10) * 200 - 100 <= young_ms <= 8 * math.log(10) * 200 + 100
    assert 8 * math.log(10) * 100 <= warm_ms <= 8 * math.log(10) * 110
