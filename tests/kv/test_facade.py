"""The Cluster facade, the same for both modes: construction, clients, bad input, frames,
switch_mode, workloads, nemesis, determinism."""

import os
import subprocess
import sys

import pytest

from caplab import Cluster, ConfigError, UnknownNameError, Workload
from caplab.frames import history_frame, replica_state_frame, snapshots_frame

MODES = ["cp", "ap", "ca"]


@pytest.mark.parametrize("mode", MODES)
def test_put_then_get_returns_the_value(mode):
    """With no faults, a read after a write returns the written value."""
    c = Cluster(mode=mode, nodes=3, seed=1)
    alice = c.client("alice", near="n2")
    w = alice.put("x", "1")
    r = alice.get("x")
    assert w.ok and r.ok and r.value == "1"
    assert w.latency_ms > 0 and r.node in c.nodes
    frame = history_frame(c.history)
    assert list(frame["outcome"]) == ["ok", "ok"]
    assert list(frame["op"]) == ["put", "get"]


@pytest.mark.parametrize("kwargs, match", [
    ({"mode": "ac"}, "unknown mode 'ac'; allowed: 'ap', 'ca', 'cp'"),
    ({"nodes": 0}, "between 1 and 50, got 0"),
    ({"nodes": ["a", "a"]}, "distinct"),
    ({"mode": "cp", "replication_factor": 3}, "unknown option for mode 'cp' 'replication_factor'"),
    ({"mode": "ap", "write_concern": 1}, "unknown option for mode 'ap' 'write_concern'"),
    ({"op_timeout_ms": 0}, "op_timeout_ms must be > 0"),
    ({"loss": 2}, "got 2"),
])
def test_bad_construction_names_the_value_and_the_allowed_ones(kwargs, match):
    """Bad modes, node counts and options raise ConfigError with the value and allowed ones."""
    with pytest.raises(ConfigError, match=match):
        Cluster(**{"nodes": 3, "seed": 1, **kwargs})


@pytest.mark.parametrize("mode", MODES)
def test_bad_calls_leave_the_cluster_unchanged(mode):
    """Unknown names and options are refused and change nothing (no history row, no fault)."""
    c = Cluster(mode=mode, nodes=3, seed=1)
    alice = c.client("alice", near="n1")
    alice.put("x", "1")
    before = (len(c.history), c.network.groups(), c.roles(), c.now)
    with pytest.raises(UnknownNameError, match="'n9'"):
        c.crash("n9")
    with pytest.raises(UnknownNameError, match="'n7'"):
        c.client("bob", near="n7")
    with pytest.raises(UnknownNameError, match="'colour'"):
        alice.put("x", "2", colour="red")
    with pytest.raises(ConfigError, match="key must be a non-empty string"):
        alice.get("")
    with pytest.raises(ConfigError, match="is a node name"):
        c.client("n1")
    with pytest.raises(ConfigError, match="give either a schedule or random options"):
        c.nemesis([(c.now + 10, "heal")], duration_ms=100)
    assert (len(c.history), c.network.groups(), c.roles(), c.now) == before
    assert "bob" not in c.clients


def test_mode_specific_features_say_which_mode_they_belong_to():
    """c.rollbacks() on an AP cluster, or c.ring() on a CP one, names the right mode."""
    ap = Cluster(mode="ap", nodes=3, seed=1)
    cp = Cluster(mode="cp", nodes=3, seed=1)
    with pytest.raises(ConfigError, match="rollbacks\\(\\) is a CP-mode feature"):
        ap.rollbacks()
    with pytest.raises(ConfigError, match="ring\\(\\) is a AP-mode feature|ring\\(\\) is an? AP"):
        cp.ring()


@pytest.mark.parametrize("src, dst", [("cp", "ap"), ("ap", "cp"), ("cp", "ca"), ("ca", "cp"),
                                      ("ap", "ca"), ("ca", "ap")])
def test_switch_mode_keeps_nodes_clients_and_data(src, dst):
    """After switch_mode the same clients read the data written before the switch."""
    c = Cluster(mode=src, nodes=3, seed=3)
    alice = c.client("alice", near="n1")
    for i in range(3):
        assert alice.put(f"k{i}", i).ok
    c.run_for(500)
    c.switch_mode(dst)
    assert c.mode == dst and c.nodes == ["n1", "n2", "n3"]
    assert c.clients["alice"] is alice
    values = [alice.get(f"k{i}").value for i in range(3)]
    assert values == [0, 1, 2]


def test_switch_mode_with_a_bad_option_changes_nothing():
    """A bad option value for the new mode is refused before the old mode is torn down."""
    c = Cluster(mode="cp", nodes=3, seed=3)
    alice = c.client("alice")
    alice.put("x", 1)
    with pytest.raises(ConfigError):
        c.switch_mode("ap", replication_factor=9)
    assert c.mode == "cp" and alice.get("x").value == 1


@pytest.mark.parametrize("mode", MODES)
def test_workload_produces_a_complete_history(mode):
    """A seeded workload issues the requested number of operations, all completed."""
    c = Cluster(mode=mode, nodes=5, seed=4)
    w = Workload(c, clients=3, keys=2, read_fraction=0.5).run(ops=60)
    frame = history_frame(c.history)
    assert len(frame) == w.issued == 60
    assert set(frame["outcome"]) <= {"ok", "fail", "info"}
    assert frame["complete_ms"].notna().all()
    writes = frame[frame["op"] == "put"]["value"]
    assert writes.is_unique   # unique values, so checkers can tell writes apart


def test_workload_refuses_bad_options_up_front():
    """A bad per-operation option in a workload fails before any operation runs."""
    c = Cluster(mode="ap", nodes=3, seed=1)
    with pytest.raises(UnknownNameError, match="'w'"):
        Workload(c, put_options={"w": 1})
    assert len(c.history) == 0


@pytest.mark.parametrize("mode", MODES)
def test_replica_state_and_watch(mode):
    """replica_state() is node x key; watch() samples snapshots over time."""
    c = Cluster(mode=mode, nodes=3, seed=2)
    c.watch(every_ms=100)
    c.client("a").put("x", "v")
    c.run_for(1000)
    state = replica_state_frame(c)
    assert list(state.index) == ["n1", "n2", "n3"] and "x" in state.columns
    snaps = snapshots_frame(c)
    assert list(snaps.columns) == ["time_ms", "node", "key", "value"]
    assert snaps["time_ms"].nunique() >= 10


SCRIPT = """
import sys
from caplab import Cluster, Workload
c = Cluster(mode=sys.argv[1], nodes=5, seed=11)
c.nemesis(duration_ms=3000, faults=("partition", "isolate", "crash"))
Workload(c, clients=3, keys=3).run(duration_ms=3500)
import hashlib
print(hashlib.sha256((c.sim.trace.text() + c.history.text()).encode()).hexdigest())
"""


@pytest.mark.parametrize("mode", MODES)
def test_same_seed_same_history_in_fresh_processes(mode):
    """A random nemesis and workload give byte-identical trace + history in 3 processes."""
    outs = {subprocess.run([sys.executable, "-c", SCRIPT, mode], capture_output=True, text=True,
                           check=True, env={"PYTHONHASHSEED": str(i), "PATH": "/usr/bin:/bin",
                                            # the code under test, not an installed copy
                                            "PYTHONPATH": os.pathsep.join(sys.path)}
                           ).stdout for i in range(3)}
    assert len(outs) == 1
