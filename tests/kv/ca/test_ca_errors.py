"""Bad input names the value and what is allowed, and changes nothing."""

import pytest

from caplab.errors import ConfigError, UnknownNameError

from helpers_ca import topology


def _state(c):
    return (c.primary, c.backend.generation, c.roles(), len(c.history), c.now,
            [len(c.binlog(n)) for n in c.nodes])


@pytest.mark.parametrize("options, match", [
    ({"wait_for_replica_count": 3}, "wait_for_replica_count=3 must be between 1 and the 2 "
                                    "replicas"),
    ({"semi_sync": True, "wait_for_replica_count": 0}, "wait_for_replica_count=0 must be"),
    ({"semi_sync": False, "wait_for_replica_count": 1}, "semi_sync=False"),
    ({"semi_sync": "yes"}, "semi_sync must be True, False or None, got 'yes'"),
    ({"semi_sync_timeout_ms": -1}, "semi_sync_timeout_ms must be .* got -1"),
    ({"source_delay_ms": -5}, "source_delay_ms must be .* got -5"),
    ({"heartbeat_ms": 0}, "heartbeat_ms must be .* got 0"),
    ({"connect_timeout_ms": 1.5}, "connect_timeout_ms must be .* got 1.5"),
    ({"primary": "n9"}, "unknown node for primary 'n9'; allowed: 'n1', 'n2', 'n3'"),
    ({"read_from": "nearest"}, "unknown read_from 'nearest'; allowed: 'primary', 'replica'"),
])
def test_bad_options_are_refused_before_anything_is_built(options, match):
    """Each bad option raises ConfigError naming the value (and the allowed ones)."""
    with pytest.raises(ConfigError, match=match):
        topology(**options)


def test_semi_sync_needs_a_replica():
    """A single node has no replica to wait for."""
    with pytest.raises(ConfigError, match="needs at least one replica"):
        topology(nodes=1, semi_sync=True)


def test_bad_promotions_change_nothing():
    """promote() of an unknown node, a down node or the source raises and changes nothing."""
    c = topology()
    c.client("alice", near="n2").put("x", "1")
    c.crash("n3")
    before = _state(c)
    with pytest.raises(UnknownNameError, match="unknown node to promote 'n7'; allowed: 'n1', "
                                               "'n2', 'n3'"):
        c.promote("n7")
    with pytest.raises(ConfigError, match="cannot promote 'n3': it is down.*\\['n2'\\]"):
        c.promote("n3")
    with pytest.raises(ConfigError, match="'n1' is already the source"):
        c.promote("n1")
    assert _state(c) == before and c.promotions() == []


def test_bad_read_from_per_get_changes_nothing():
    """A bad per-read option is refused before the read is recorded."""
    c = topology()
    alice = c.client("alice", near="n2")
    before = _state(c)
    with pytest.raises(UnknownNameError, match="unknown read_from 'secondary'"):
        alice.get("x", read_from="secondary")
    with pytest.raises(UnknownNameError, match="'w'"):
        alice.put("x", "1", w=2)
    assert _state(c) == before


def test_switch_mode_to_ca_with_a_bad_option_changes_nothing():
    """switch_mode("ca", ...) checks the options before tearing the CP replica set down."""
    from caplab.kv import Cluster
    c = Cluster(mode="cp", nodes=3, seed=2)
    c.run_for(1500)
    alice = c.client("alice", near=c.primary)
    alice.put("x", 1)
    with pytest.raises(ConfigError, match="wait_for_replica_count=5"):
        c.switch_mode("ca", wait_for_replica_count=5)
    assert c.mode == "cp" and alice.get("x").value == 1


def test_ca_features_say_which_mode_they_belong_to():
    """c.promote() on a CP cluster names the CA mode."""
    from caplab.kv import Cluster
    with pytest.raises(ConfigError, match="promote\\(\\) is a CA-mode feature"):
        Cluster(mode="cp", nodes=3, seed=1).promote("n2")
