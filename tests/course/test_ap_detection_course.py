"""Notebook 04's failure-detection cells: how long a crashed node keeps receiving requests."""

import pytest

from caplab import UnknownNameError
from caplab.course.ap_detection import crashed_node_exposure, reads_before_conviction


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_timeout_detector_convicts_a_crashed_node_after_about_four_heartbeats(seed):
    """"With the 400 ms timeout every coordinator convicts n5 within about half a second, after
    sending it a handful of writes." """
    f = crashed_node_exposure(seed=seed, detector="timeout")
    assert f.predicted_ms == 400
    assert all(400 <= ms <= 520 for ms in f.conviction_ms.values()), f.conviction_ms
    assert all(1 <= n <= 12 for n in f.requests_sent.values()), f.requests_sent
    assert f.sent_after_conviction == 0


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_phi_8_keeps_sending_to_a_crashed_node_for_about_18_heartbeat_intervals(seed):
    """"With phi 8 (Cassandra's default phi_convict_threshold: about 8 x ln 10 = 18.4 mean
    heartbeat intervals of silence, 1.84 s at a 100 ms gossip) conviction takes about four
    times longer, and about four times as many writes go to the dead node." (Cassandra docs,
    "Failure detection and recovery".)"""
    phi = crashed_node_exposure(seed=seed)           # the default detector
    timeout = crashed_node_exposure(seed=seed, detector="timeout")
    assert phi.detector == "phi"
    assert round(phi.predicted_ms) == 1842
    assert all(phi.predicted_ms <= ms <= phi.predicted_ms + 2 * phi.gossip_interval_ms
               for ms in phi.conviction_ms.values()), phi.conviction_ms
    # each coordinator convicts when the silence since the last heartbeat (at most one gossip
    # interval before the crash) reaches 8 x ln 10 x its own mean interval, checked every
    # gossip interval
    gossip = phi.gossip_interval_ms
    for n, ms in phi.conviction_ms.items():
        assert 100 <= phi.mean_interval_ms[n] <= 110       # 2 s of 100 ms beats + the seed
        assert phi.convicts_after_ms[n] - gossip <= ms <= phi.convicts_after_ms[n] + gossip
    assert 3.5 <= phi.max_conviction_ms / timeout.max_conviction_ms <= 5
    assert phi.total_requests_sent >= 3 * timeout.total_requests_sent
    assert phi.sent_after_conviction == 0


@pytest.mark.parametrize("detector", ["timeout", "phi"])
def test_writes_at_one_succeed_throughout(detector):
    """"Writes at ONE never fail: two live replicas answer; the cost is lost messages and
    hints." """
    f = crashed_node_exposure(seed=1, detector=detector)
    assert f.writes > 100 and f.writes_ok == f.writes


def test_an_unknown_detector_is_refused():
    """The error names the bad detector and the allowed ones."""
    with pytest.raises(UnknownNameError, match="'timeout', 'phi'"):
        crashed_node_exposure(detector="gossip")


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_speculative_retry_answers_reads_that_ask_a_crashed_replica_before_conviction(seed):
    """"With Cassandra's default speculative_retry='99p' every read at ONE that asks the crashed,
    not yet convicted n5 is answered by a second replica, within tens of ms; with 'none' each
    one times out." (Cassandra CQL table options: speculative_retry, default 99p.)"""
    spec = reads_before_conviction(seed=seed)
    none = reads_before_conviction(seed=seed, speculative_retry="none")
    assert spec.still_alive and none.still_alive          # before the conviction
    assert spec.reads >= 10 and spec.answered == spec.reads == spec.speculated
    assert spec.max_latency_ms < 100
    assert none.reads >= 3 and none.answered == 0 and none.timed_out == none.reads
    assert none.speculated == 0
