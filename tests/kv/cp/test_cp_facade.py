"""The facade surface of CP mode: views, exports and mode switching."""

from caplab.kv import Cluster

from helpers_cp import cluster
from caplab.frames import history_frame, node_frame, replica_state_frame


def test_views_and_records():
    """roles, primary, node_info, replica_records/state and history frames are filled."""
    c = cluster()
    a = c.client("alice", near="n1")
    a.put("x", "1")
    c.run_for(300)
    assert c.roles()[c.primary] == "primary"
    info = node_frame(c)
    assert {"node", "role", "term", "last_optime", "commit_optime", "priority", "up"} <= set(info)
    recs = c.replica_records()
    assert {(r["node"], r["value"]) for r in recs} == {(n, "1") for n in c.nodes}
    assert all(isinstance(r["version"], tuple) for r in recs)
    assert replica_state_frame(c).loc["n1", "x"] == "1"
    assert list(history_frame(c.history).outcome) == ["ok"]


def test_switch_mode_carries_data():
    """export_data / import_data carry the keys into a fresh replica set."""
    c = cluster(write_concern=1)
    a = c.client("alice", near="n1")
    a.put("x", "1", w="majority")
    a.put("y", "2", w="majority")
    c.switch_mode("cp", write_concern="majority")
    assert a.get("x").value == "1" and a.get("y").value == "2"
    assert c.backend.config["write_concern"] == "majority"


def test_step_down_hands_over():
    """step_down() on the primary leads to another election."""
    c = cluster()
    old = c.primary
    c.step_down(old)
    c.run_for(3000)
    assert c.primary is not None and len(c.elections) == 2
