"""``nearest`` reads with ``local_threshold_ms`` (drivers' ``localThresholdMS``, default 15 ms).

MongoDB manual, "Read Preference" / "Server Selection Algorithm": with ``nearest`` the driver
selects, at random, one of the eligible members whose round-trip time is within the latency
window: the smallest round trip plus ``localThresholdMS``.
"""

import pytest

from caplab import ConfigError
from caplab.kv import Cluster


def _far_n3(seed=1):
    """Links of 2 ms, except 40 ms to and from n3; the client sits near n1."""
    c = Cluster(mode="cp", nodes=3, seed=seed, latency=2)
    c.run_until(lambda: c.backend.writable_primary is not None, timeout_ms=5000)
    bob = c.client("bob", near="n1")
    c.world.network.set_latency(40, src="bob", dst="n3")
    return c, bob


def test_nearest_picks_at_random_within_the_window_and_never_the_far_member():
    """Window 15 ms: n1 and n2 (4 ms round trips) are chosen, both of them; n3 (80 ms) never."""
    c, bob = _far_n3()
    nodes = [bob.get("x", read_preference="nearest", local_threshold_ms=15).node
             for _ in range(30)]
    assert set(nodes) == {"n1", "n2"}


def test_a_wide_window_includes_the_far_member():
    """Window 100 ms: n3 (80 ms round trip) is in it too."""
    c, bob = _far_n3()
    nodes = {bob.get("x", read_preference="nearest", local_threshold_ms=100).node
             for _ in range(30)}
    assert nodes == {"n1", "n2", "n3"}


def test_without_a_threshold_nearest_reads_the_near_node():
    """caplab's default (local_threshold_ms=None): the client's near node."""
    c, bob = _far_n3()
    assert {bob.get("x", read_preference="nearest").node for _ in range(10)} == {"n1"}


def test_a_cluster_wide_threshold_and_bad_values():
    """local_threshold_ms is also a cluster option; a bad value names itself."""
    c = Cluster(mode="cp", nodes=3, seed=1, local_threshold_ms=15)
    assert c.backend.config["local_threshold_ms"] == 15
    with pytest.raises(ConfigError, match="local_threshold_ms.*-1"):
        Cluster(mode="cp", nodes=3, seed=1, local_threshold_ms=-1)
