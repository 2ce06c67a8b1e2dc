"""check_convergence with explicit replica sets (AP with RF < N) and silent nodes."""

from caplab.check import check_convergence


def _snap(t, node, key, value):
    return {"time_ms": t, "node": node, "key": key, "value": value}


def test_non_replicas_do_not_count_as_divergent():
    """A key held by its 2 replicas only is converged when those agree (RF=2 of 3 nodes)."""
    snaps = [_snap(0, "n1", "x", 1), _snap(0, "n2", "x", 1), _snap(0, "n3", "y", 5)]
    assert check_convergence(snaps).divergent_keys == (2,)   # every node a replica: diverged
    res = check_convergence(snaps, replicas={"x": ["n1", "n2"], "y": ["n3"]})
    assert res.divergent_keys == (0,) and res.ok


def test_a_replica_missing_the_key_disagrees():
    """With replicas given, a replica that lacks the key counts as disagreeing."""
    snaps = [_snap(0, "n1", "x", 1), _snap(0, "n3", "y", 5)]
    res = check_convergence(snaps, replicas=lambda k: ["n1", "n2"] if k == "x" else ["n3"])
    assert res.divergent_keys == (1,) and res.keys_by_time[0] == ["x"]


def test_a_node_holding_nothing_counts_when_nodes_are_named():
    """A node with no keys at all is invisible in snapshots unless nodes= names it."""
    snaps = [_snap(0, "n1", "x", 1), _snap(0, "n2", "x", 1)]
    assert check_convergence(snaps).ok
    assert check_convergence(snaps, nodes=["n1", "n2", "n3"]).divergent_keys == (1,)
