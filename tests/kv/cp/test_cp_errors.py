"""Bad input fails at the boundary, naming the value, and changes nothing."""

import pytest

from caplab.errors import ConfigError, UnknownNameError
from caplab.kv import Cluster

from helpers_cp import cluster


def _snapshot(c):
    return (c.now, len(c.history), len(c.sim.trace), c.sim.pending, c.roles(),
            c.replica_records())


@pytest.mark.parametrize("options, match", [
    ({"w": 4}, "1 <= w <= 3"),
    ({"w": 0}, "w=0"),
    ({"w": "all"}, "'all'"),
    ({"w": True}, "True"),
    ({"wtimeout_ms": -5}, "wtimeout_ms"),
    ({"j": "yes"}, "j must be True or False"),
    ({"fsync": True}, "unknown put option 'fsync'"),
])
def test_bad_write_options_change_nothing(options, match):
    """A bad write concern raises before the simulation or history changes."""
    c = cluster()
    a = c.client("a")
    before = _snapshot(c)
    with pytest.raises(ConfigError, match=match):
        a.put("x", "1", **options)
    assert _snapshot(c) == before


@pytest.mark.parametrize("options, match", [
    ({"read_preference": "closest"}, "read_preference 'closest'.*'nearest'"),
    ({"read_concern": "snapshot"}, "read_concern 'snapshot'.*'linearizable'"),
    ({"read_preference": "secondary", "read_concern": "linearizable"}, "primary only"),
])
def test_bad_read_options_change_nothing(options, match):
    """An invalid read preference or concern names the value and the allowed ones."""
    c = cluster()
    a = c.client("a")
    before = _snapshot(c)
    with pytest.raises(ConfigError, match=match):
        a.get("x", **options)
    assert _snapshot(c) == before


@pytest.mark.parametrize("options, error, match", [
    ({"priorities": {"n9": 1}}, UnknownNameError, "n9"),
    ({"priorities": {"n1": -1}}, ConfigError, "-1"),
    ({"priorities": {"n1": 0, "n2": 0, "n3": 0}}, ConfigError, "priority 0"),
    ({"write_concern": 5}, ConfigError, "write_concern=5"),
    ({"election_timeout_ms": 100}, ConfigError, "heartbeat_ms"),
    ({"read_concern": "linearizable", "read_preference": "nearest"}, ConfigError, "primary"),
    ({"quorum": 2}, UnknownNameError, "quorum"),
])
def test_bad_cluster_options(options, error, match):
    """Bad replica-set options are refused when the cluster is built."""
    with pytest.raises(error, match=match):
        Cluster(mode="cp", nodes=3, seed=1, **options)


def test_step_down_refuses_non_primary():
    """step_down() on a secondary is refused and changes nothing."""
    c = cluster()
    s = [n for n in c.nodes if n != c.primary][0]
    before = _snapshot(c)
    with pytest.raises(ConfigError, match="not primary"):
        c.step_down(s)
    assert _snapshot(c) == before
