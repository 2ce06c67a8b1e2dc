"""``maxStalenessSeconds`` for secondary reads (here ``max_staleness_ms``, MongoDB's 90 s minimum
scaled to 9 s like the other timings).

MongoDB manual, "Read Preference / maxStalenessSeconds": a driver estimates each secondary's
staleness from the members' last write dates (plus the heartbeat interval) and does not select
a secondary whose estimate exceeds maxStalenessSeconds; the minimum is 90 seconds; it cannot be
combined with read preference ``primary``.
"""

import pytest

from caplab import ConfigError
from caplab.kv import Cluster


@pytest.fixture(scope="module")
def lagging():
    """n1 primary; its messages to n2 are lost for 12.5 s while writes flow: n2 falls behind.

    Chaining off: with MongoDB's default chained replication n2 would fetch the writes from
    n3 and stay current (test_cp_chaining_sync.py); here it stands for a secondary that cannot
    keep up."""
    c = Cluster(mode="cp", nodes=3, seed=1, priorities={"n1": 2}, chaining_allowed=False)
    c.run_until(lambda: c.primary == "n1" and c.backend.writable_primary, timeout_ms=8000)
    alice = c.client("alice", near="n1")
    c.cut("n1", "n2")
    for i in range(25):
        alice.put("x", str(i), w=1)
        c.run_for(500)
    return c, c.client("bob", near="n2")


def test_a_lagging_secondary_is_estimated_stale(lagging):
    """The estimate: the newest member's last write date minus this one's, plus a heartbeat."""
    c, _ = lagging
    staleness = c.backend.staleness_ms()
    assert staleness["n2"] > 9000 and staleness["n3"] <= 200 + 50


def test_without_max_staleness_the_stale_secondary_serves_the_read(lagging):
    """read_preference='secondary' with no limit reads the near secondary, n2: stale."""
    c, bob = lagging
    r = bob.get("x", read_preference="secondary")
    assert r.ok and r.node == "n2" and r.value != "24"


def test_max_staleness_skips_the_stale_secondary(lagging):
    """With max_staleness_ms=9000 the driver skips n2 and reads the fresh secondary, n3."""
    c, bob = lagging
    r = bob.get("x", read_preference="secondary", max_staleness_ms=9000)
    assert r.ok and r.node == "n3" and r.value == "24"


@pytest.mark.parametrize("value, pref, match", [
    (8999, "secondary", "max_staleness_ms.*>= 9000.*8999"),
    (True, "secondary", "max_staleness_ms.*True"),
    (9000, "primary", "max_staleness_ms=9000 needs a read preference other than 'primary'"),
])
def test_bad_max_staleness_names_the_value_and_the_minimum(lagging, value, pref, match):
    """MongoDB refuses less than 90 s (9 s here) and any maxStalenessSeconds with primary."""
    c, bob = lagging
    with pytest.raises(ConfigError, match=match):
        bob.get("x", read_preference=pref, max_staleness_ms=value)
