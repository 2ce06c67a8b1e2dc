"""AP: datacenters as Cassandra's NetworkTopologyStrategy and the per-datacenter consistency
levels (Cassandra documentation, "How is the consistency level configured?" and "Data
replication"; DataStax CQL read and write consistency tables)."""

import pytest

from caplab import ConfigError, UnknownNameError
from caplab.kv import Cluster
from caplab.kv.probes import wait_seen_down


def _two_dcs(**options):
    options.setdefault("seed", 1)
    options.setdefault("latency", 2)
    options.setdefault("wan_latency_ms", 40)
    return Cluster(mode="ap", nodes=6, datacenters={"dc1": 3, "dc2": 3}, **options)


def test_network_topology_strategy_places_rf_replicas_in_each_datacenter():
    """Cassandra NetworkTopologyStrategy: "places replicas in the same datacenter by walking
    the ring clockwise until reaching the first node in another rack"; each datacenter holds
    its own replication factor of copies (racks are not modelled)."""
    c = _two_dcs()
    assert [c.datacenter_of(n) for n in c.nodes] == ["dc1"] * 3 + ["dc2"] * 3
    for key in ("a", "b", "user:42", "x"):
        owners = c.replicas_for(key)
        assert len(owners) == 6
        assert sorted(c.datacenter_of(n) for n in owners) == ["dc1"] * 3 + ["dc2"] * 3
    c2 = Cluster(mode="ap", nodes=8, seed=1, datacenters={"dc1": 2, "dc2": 1})
    for key in ("a", "b", "c"):
        dcs = [c2.datacenter_of(n) for n in c2.replicas_for(key)]
        assert sorted(dcs) == ["dc1", "dc1", "dc2"]


def test_quorum_counts_the_sum_of_replication_factors_and_local_levels_stay_local():
    """Cassandra: QUORUM is (sum of the replication factors) / 2 + 1 across datacenters (4 of
    3+3), so it waits for a remote replica; LOCAL_ONE and LOCAL_QUORUM count only the
    coordinator's datacenter ("avoids latency of inter-datacenter communication")."""
    c = _two_dcs()
    alice = c.client("alice", near="n1")
    lat = {lvl: alice.put("k", lvl, consistency=lvl).latency_ms
           for lvl in ("local_one", "local_quorum", "quorum", "each_quorum")}
    assert lat["local_one"] == lat["local_quorum"] == 4 * 2          # no WAN hop
    assert lat["quorum"] == lat["each_quorum"] == 2 * 2 + 2 * 40     # one WAN round trip
    assert alice.get("k", consistency="local_quorum").latency_ms == 8


def test_a_wan_partition_local_quorum_works_on_both_sides_and_diverges_until_heal():
    """Cassandra: LOCAL_QUORUM keeps each datacenter available when the other is unreachable;
    EACH_QUORUM ("fail when a datacenter is down and QUORUM cannot be reached on that
    datacenter") and QUORUM (4 of 6) fail. The two sides diverge; after the heal the hints
    are replayed and both see the last write."""
    c = _two_dcs()
    alice, bob = c.client("alice", near="n1"), c.client("bob", near="n4")
    assert alice.put("cart", "empty", consistency="each_quorum").ok
    c.partition(["n1", "n2", "n3", "alice"], ["n4", "n5", "n6", "bob"])
    # each side's detector convicts the other (phi: about 18 heartbeat intervals or more)
    assert wait_seen_down(c, ["n4", "n5", "n6"], by=["n1", "n2", "n3"]) is not None
    assert wait_seen_down(c, ["n1", "n2", "n3"], by=["n4", "n5", "n6"]) is not None
    for level in ("quorum", "each_quorum"):
        r = alice.put("cart", "x", consistency=level)
        assert r.outcome == "fail" and "unavailable" in r.error, level
        assert bob.get("cart", consistency=level).outcome == "fail", level
    assert alice.put("cart", "alice's", consistency="local_quorum").ok
    c.run_for(5)
    assert bob.put("cart", "bob's", consistency="local_quorum").ok
    assert alice.get("cart", consistency="local_quorum").value == "alice's"
    assert bob.get("cart", consistency="local_quorum").value == "bob's"
    c.heal()
    c.run_for(2000)
    assert alice.get("cart", consistency="local_one").value == "bob's"
    assert bob.get("cart", consistency="local_one").value == "bob's"
    assert c.stats()["hints_replayed"] > 0


def test_local_serial_runs_paxos_in_the_local_datacenter_only():
    """Cassandra: LOCAL_SERIAL confines the Paxos phase to the local datacenter, so a
    lightweight transaction still works on each side of a WAN partition, and SERIAL does not."""
    c = _two_dcs()
    alice = c.client("alice", near="n1")
    c.partition(["n1", "n2", "n3", "alice"], ["n4", "n5", "n6"])
    c.run_for(1000)
    assert alice.cas("u", None, 1, serial_consistency="serial").outcome == "fail"
    r = alice.cas("u", None, 1, serial_consistency="local_serial", consistency="local_quorum")
    assert r.ok and r.latency_ms == 2 * 2 + 4 * 2 * 2
    assert alice.get("u", consistency="local_serial").value == 1


def test_datacenter_bad_input_names_the_value_and_what_is_allowed():
    """Bad input: an unknown level lists the allowed ones; LOCAL_* and EACH_QUORUM without
    datacenters; RF above a datacenter's node count; a node in an unknown datacenter; WAN
    latency without datacenters."""
    plain = Cluster(mode="ap", nodes=3, seed=1)
    with pytest.raises(UnknownNameError, match="local_quorum"):
        plain.client("a").put("k", 1, consistency="local_quorom")
    for level in ("local_one", "local_quorum", "each_quorum"):
        with pytest.raises(ConfigError, match="datacenters"):
            plain.client("a").put("k", 1, consistency=level)
    with pytest.raises(ConfigError, match="datacenters"):
        Cluster(mode="ap", nodes=3, read_consistency="local_quorum")
    with pytest.raises(ConfigError, match=r"datacenters\['dc2'\]=4 exceeds the 3 nodes"):
        Cluster(mode="ap", nodes=6, datacenters={"dc1": 3, "dc2": 4})
    with pytest.raises(UnknownNameError, match="dc3"):
        Cluster(mode="ap", nodes=2, datacenters={"dc1": 1, "dc2": 1},
                node_datacenters={"n1": "dc1", "n2": "dc3"})
    with pytest.raises(ConfigError, match="need datacenters"):
        Cluster(mode="ap", nodes=3, wan_latency_ms=50)
    with pytest.raises(ConfigError, match="replication factor"):
        Cluster(mode="ap", nodes=3, datacenters={"dc1": 0})
    with pytest.raises(ConfigError, match="not modelled with datacenters"):
        _two_dcs().add_node()
    assert len(plain.history) == 0
