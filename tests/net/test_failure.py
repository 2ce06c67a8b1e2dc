"""Failure detectors: the timeout detector and the phi accrual detector (Cassandra)."""

import math

import pytest

from caplab.errors import ConfigError
from caplab.kv import Cluster
from caplab.net import FailureDetector, PhiAccrualDetector


def test_timeout_detector_suspects_after_the_timeout():
    """Alive while silent for less than timeout_ms, suspected from timeout_ms on."""
    fd = FailureDetector(100, nodes=["n2", "n3"])
    fd.heard("n2", 50)
    assert fd.is_alive("n2", 149) and not fd.is_alive("n2", 150)
    assert fd.alive(149) == ["n2"] and fd.suspects(149) == ["n3"]
    assert fd.suspects(150) == ["n2", "n3"]
    assert fd.last_heard("n2") == 50 and fd.last_heard("n3") is None


def test_a_new_message_clears_suspicion():
    """Any arrival makes a suspected peer alive again (suspicion is not final)."""
    fd = FailureDetector(100, nodes=["n2"])
    fd.heard("n2", 0)
    assert fd.suspects(500) == ["n2"]
    fd.heard("n2", 500)
    assert fd.alive(500) == ["n2"]


def test_assume_heard_at_trusts_peers_never_heard_from():
    """With assume_heard_at, a peer never heard from counts as heard then."""
    fd = FailureDetector(100, nodes=["n2"], assume_heard_at=-1)
    assert fd.is_alive("n2", 98) and not fd.is_alive("n2", 99)
    assert fd.last_heard("n2") == -1


def test_forget_monitor_and_clear():
    """forget() drops a peer, monitor() adds one, clear() forgets what was heard."""
    fd = FailureDetector(10, nodes=["a"])
    fd.monitor("b")
    fd.heard("c", 0)
    assert fd.suspects(20) == ["a", "b", "c"]
    fd.forget("c")
    assert fd.suspects(20) == ["a", "b"]
    fd.heard("a", 15)
    fd.clear()
    assert fd.last_heard("a") is None and fd.suspects(16) == ["a", "b"]


@pytest.mark.parametrize("bad", [0, -5, "10", None, math.nan, math.inf, True])
def test_bad_timeout_is_refused(bad):
    """A timeout that is not a finite positive number is a ConfigError naming the value."""
    with pytest.raises(ConfigError, match="timeout_ms"):
        FailureDetector(bad)


def test_phi_grows_with_silence_and_convicts_past_the_threshold():
    """Cassandra: phi = silence / mean interval * log10(e); convicted when phi > threshold."""
    fd = PhiAccrualDetector(threshold=8, initial_interval_ms=100)
    for t in range(0, 1000, 100):
        fd.heard("n2", t)
    assert fd.mean_interval_ms("n2") == 100
    assert fd.phi("n2", 900) == 0
    assert fd.phi("n2", 1000) == pytest.approx(1 / math.log(10))
    limit = 900 + 8 * math.log(10) * 100        # about 18.4 intervals of silence
    assert fd.is_alive("n2", math.floor(limit)) and not fd.is_alive("n2", math.ceil(limit))


def test_phi_adapts_to_a_slower_heartbeat():
    """A peer that beats every 500 ms is given five times the patience of one at 100 ms."""
    fast = PhiAccrualDetector(initial_interval_ms=100)
    slow = PhiAccrualDetector(initial_interval_ms=500)
    for i in range(20):
        fast.heard("p", i * 100)
        slow.heard("p", i * 500)
    assert fast.phi("p", 1900 + 1000) == pytest.approx(slow.phi("p", 9500 + 5000))
    assert not fast.is_alive("p", 1900 + 2000) and slow.is_alive("p", 9500 + 2000)


def test_phi_leaves_out_long_pauses_and_keeps_a_bounded_window():
    """Intervals over max_interval_ms are not recorded; the window keeps the newest ones."""
    fd = PhiAccrualDetector(window=3, initial_interval_ms=10, max_interval_ms=1000)
    for t in (0, 10, 20, 5000, 5050, 5100):
        fd.heard("p", t)
    assert fd.mean_interval_ms("p") == pytest.approx((10 + 50 + 50) / 3)
    assert fd.phi("never", 0) == math.inf and not fd.is_alive("never", 0)
    fd.forget("p")
    assert fd.mean_interval_ms("p") == 10 and fd.last_heard("p") is None


def test_phi_default_threshold_is_cassandras():
    """The default conviction threshold is Cassandra's phi_convict_threshold, 8."""
    assert PhiAccrualDetector().threshold == 8


@pytest.mark.parametrize("kwargs", [{"threshold": 0}, {"window": 0}, {"window": 2.5},
                                    {"initial_interval_ms": -1}, {"max_interval_ms": 0}])
def test_phi_bad_parameters_are_refused(kwargs):
    """Each parameter is validated and the error names it."""
    with pytest.raises(ConfigError, match=next(iter(kwargs))):
        PhiAccrualDetector(**kwargs)


def test_cp_members_share_the_detector():
    """A replica-set member keeps its liveness in a FailureDetector with the election timeout."""
    c = Cluster(mode="cp", nodes=3, seed=1)
    c.run_for(3000)
    node = c.backend.nodes["n1"]
    assert isinstance(node.detector, FailureDetector)
    assert node.detector.timeout_ms == node.election_timeout_ms
    assert node.detector.suspects(c.now) == []
    c.crash("n2")
    c.run_for(node.election_timeout_ms + 500)
    assert node.detector.suspects(c.now) == ["n2"]


def test_ap_nodes_share_the_detector():
    """With failure_detector="timeout" a ring node sees a crashed peer down after
    failure_timeout_ms of silence."""
    c = Cluster(mode="ap", nodes=3, seed=1, failure_detector="timeout")
    c.run_for(1000)
    node = c.backend.nodes["n1"]
    assert isinstance(node.detector, FailureDetector)
    c.crash("n3")
    c.run_for(1000)
    assert node.detector.suspects(c.now) == ["n3"]
    assert c.detector_view()["n1"] == ["n3"]


def test_ap_nodes_use_phi_accrual_by_default():
    """By default a ring node convicts with the phi accrual detector (Cassandra's default,
    phi_convict_threshold 8): a crashed peer is still trusted after the 400 ms the timeout
    detector would wait, and convicted once phi exceeds 8."""
    c = Cluster(mode="ap", nodes=3, seed=1)
    c.run_for(1000)
    node = c.backend.nodes["n1"]
    assert isinstance(node.detector, PhiAccrualDetector) and node.detector.threshold == 8
    c.crash("n3")
    c.run_for(1000)
    assert node.detector.suspects(c.now) == [] and node.detector.phi("n3", c.now) < 8
    c.run_for(2000)
    assert node.detector.suspects(c.now) == ["n3"] and node.detector.phi("n3", c.now) > 8
