"""The world every system stands on: faults, time, clients and history written once; systems
plug in by describing themselves; a rejected call leaves everything as it was."""

import pytest

from caplab import ConfigError, UnknownNameError
from caplab.frames import history_frame
from caplab.history.record import History
from caplab.kv import Cluster
from caplab.kv.backend import Backend
from caplab.world import Description, System, World


def test_two_systems_share_one_world_clock_and_network():
    """Two clusters on one world run on one clock, and one partition cuts both."""
    w = World(seed=3)
    a = Cluster(mode="ap", nodes=["a1", "a2", "a3"], world=w)
    b = Cluster(mode="cp", nodes=["b1", "b2", "b3"], world=w)
    assert w.nodes == ["a1", "a2", "a3", "b1", "b2", "b3"]
    b.run_for(1500)
    assert a.now == b.now == w.now == 1500
    alice = a.client("alice", near="a1")
    bob = b.client("bob", near=b.primary)
    assert alice.put("x", "1").ok and bob.put("y", "2").ok
    assert [op.client for op in w.history] == ["alice", "bob"]
    w.partition(["a1", "alice", b.primary, "bob"], ["a2", "a3"] + [n for n in b.nodes
                                                                   if n != b.primary])
    assert not w.network.reachable("a1", "a2")


def test_clashing_node_names_are_refused_and_the_world_is_unchanged():
    """A second system whose node names are taken is refused before anything is built."""
    w = World(seed=1)
    Cluster(mode="ap", nodes=3, world=w)
    before = (w.nodes, dict(w.network.endpoints))
    with pytest.raises(ConfigError, match="already in use"):
        Cluster(mode="cp", nodes=3, world=w)
    assert (w.nodes, dict(w.network.endpoints)) == before


def test_facade_faults_name_the_systems_own_nodes():
    """c.crash on an unknown node lists the cluster's nodes, not the whole world's."""
    w = World(seed=1)
    Cluster(mode="ap", nodes=["a1", "a2", "a3"], world=w)
    c = Cluster(mode="ap", nodes=["b1", "b2", "b3"], world=w)
    with pytest.raises(UnknownNameError) as e:
        c.crash("a1")
    assert e.value.allowed == ["b1", "b2", "b3"]
    assert all(w.network.endpoints[n].up for n in w.nodes)


@pytest.mark.parametrize("bad", [0, -5, 2.5, "10"])
def test_bad_op_timeout_is_refused(bad):
    """op_timeout_ms must be a whole number of ms > 0; the error names the value."""
    with pytest.raises(ConfigError, match=repr(bad) if not isinstance(bad, int) else str(bad)):
        World(op_timeout_ms=bad)


def test_switch_mode_with_bad_options_leaves_the_cluster_as_it_was():
    """switch_mode("cp", write_concern=7) used to tear the ring down before failing (issue 11):
    now the cluster keeps its nodes, mode and data, and operations still work."""
    c = Cluster(mode="ap", nodes=3, seed=1)
    alice = c.client("alice", near="n1")
    assert alice.put("x", "1").ok
    with pytest.raises(ConfigError, match="write_concern=7"):
        c.switch_mode("cp", write_concern=7)
    assert c.mode == "ap" and c.nodes == ["n1", "n2", "n3"]
    assert alice.get("x").value == "1"


@pytest.mark.parametrize("mode", ["cp", "ap"])
def test_bad_options_at_construction_build_nothing(mode):
    """Bad options are refused before a world is made (no half-built cluster)."""
    with pytest.raises(ConfigError):
        Cluster(mode=mode, nodes=3, **({"write_concern": 0} if mode == "cp"
                                       else {"replication_factor": 4}))


def test_a_mode_without_describe_or_check_options_does_not_load():
    """Option checking and self-description are required of every mode."""
    with pytest.raises(TypeError, match="describe"):
        class Forgetful(Backend):   # noqa: F841 - the class statement itself must fail
            @classmethod
            def check_options(cls, options, node_names):
                return options
    with pytest.raises(TypeError, match="check_options"):
        class Careless(Backend):   # noqa: F841
            def describe(self):
                return None


@pytest.mark.parametrize("mode", ["cp", "ap"])
def test_every_mode_describes_its_roles_options_and_presets(mode):
    """describe() gives roles with colours, per-operation options and fault presets."""
    c = Cluster(mode=mode, nodes=5, seed=1)
    c.run_for(1500)
    d = c.describe()
    assert isinstance(d, Description) and d.mode == mode and d.system == "kv"
    assert {"down", "replica"} <= set(d.roles)
    assert d.options_for("put") and d.options_for("get")
    assert "heal" in d.presets and any(a == "partition" for a, _ in d.presets.values())
    for role in c.roles().values():
        assert d.role(role).colour.startswith("#")
    if d.leader_roles:
        assert c.primary in d.presets["isolate primary"][1]


def test_history_records_any_operation_with_opaque_input_and_output():
    """Any system's operation names are recorded; bad names are refused."""
    h = History()
    op = h.invoke("p1", "produce", "orders", {"id": 7}, 0, options={"acks": "all"})
    h.complete(op, "ok", 5, output={"offset": 0})
    assert (op.input, op.output, op.options) == ({"id": 7}, {"offset": 0}, {"acks": "all"})
    with pytest.raises(ConfigError, match="identifier"):
        h.invoke("p1", "not an op", "k", None, 0)


def test_history_frame_has_an_options_column():
    """The history frame says what each operation asked for ("this write was w:1")."""
    c = Cluster(mode="cp", nodes=3, seed=1)
    c.run_for(1500)
    alice = c.client("alice", near=c.primary)
    alice.put("x", "1", w=1)
    frame = history_frame(c.history)
    assert frame.loc[0, "options"]["w"] == 1


def test_a_system_exposes_the_worlds_faults_and_time():
    """Cluster is a System: the world's methods are its own, documented once."""
    assert issubclass(Cluster, System)
    for name in ("partition", "isolate", "cut", "heal", "crash", "restart", "run_for", "now"):
        assert hasattr(Cluster, name)
    assert Cluster.partition.__doc__ == World.partition.__doc__
