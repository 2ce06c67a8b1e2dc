"""Who stamps a write for last-write-wins: the coordinator's clock, the client's, or the
statement's (CQL ``USING TIMESTAMP``).

Cassandra documentation (CQL, "Update parameters"): "TIMESTAMP: sets the timestamp for the
operation. If not specified, the coordinator will use the current time (in microseconds) at the
start of statement execution"; the DataStax drivers generate client-side timestamps by default
(protocol v3+), so the writer's clock decides instead of the coordinator's.
"""

import pytest

from caplab import ConfigError, UnknownNameError
from caplab.kv import Cluster


def _final(c, key="x"):
    return c.client("reader", near="n1").get(key, consistency="all").value


def test_using_timestamp_orders_writes_by_the_given_timestamps():
    """A later write with an older USING TIMESTAMP loses: LWW follows the timestamps given."""
    c = Cluster(mode="ap", nodes=3, seed=1)
    alice = c.client("alice", near="n1")
    assert alice.put("x", "new", timestamp=2_000).ok
    assert alice.put("x", "old", timestamp=1_000).ok     # acknowledged, then shadowed
    assert _final(c) == "new"


def test_client_timestamps_follow_the_writers_clock_not_the_coordinators():
    """With coordinator n1 running 1 s fast, coordinator timestamps let an earlier write (via
    n1) win over a later one (via n2); with client-side timestamps (the clients' clocks are
    right) the later write wins."""
    results = {}
    for source in ("coordinator", "client"):
        c = Cluster(mode="ap", nodes=3, seed=1, timestamps=source)
        c.skew_clock("n1", offset_ms=1_000)
        c.client("alice", near="n1").put("x", "early", consistency="all")
        c.run_for(100)
        c.client("bob", near="n2").put("x", "late", consistency="all")
        results[source] = _final(c)
    assert results == {"coordinator": "early", "client": "late"}


@pytest.mark.parametrize("bad", [1.5, "now", True])
def test_a_bad_timestamp_is_refused(bad):
    """USING TIMESTAMP takes a whole number; the error names the value."""
    c = Cluster(mode="ap", nodes=3, seed=1)
    with pytest.raises(ConfigError, match="timestamp must be a whole number"):
        c.client("alice").put("x", "1", timestamp=bad)
    assert len(c.history) == 0


def test_an_unknown_timestamp_source_is_refused():
    """timestamps is 'coordinator' or 'client'; the error lists them."""
    with pytest.raises(UnknownNameError, match="'coordinator', 'client'"):
        Cluster(mode="ap", nodes=3, timestamps="server")
