"""The network: delivery, loss, partitions (one-way too), crashes, clocks, bad input."""

import pytest

from caplab.errors import ConfigError, UnknownNameError
from caplab.net import Constant

from netkit import Ping


def _drops(sim, reason):
    return [e for e in sim.trace if e.kind == "drop" and e.detail == reason]


def test_message_is_delivered_after_its_latency(sim, net):
    """With 1 ms latency a message sent at 0 arrives at 1."""
    net.send("n1", "n2", Ping(1))
    sim.run()
    assert net.endpoints["n2"].got == [(1, "n1", 1)]


def test_per_link_and_per_kind_latency(sim, net):
    """A per-link rule beats the default; a per-kind rule applies to that kind only."""
    net.set_latency(Constant(10), src="n1", dst="n2")
    net.set_latency(Constant(30), kind="Ping", src="n3", dst="n4")
    net.send("n1", "n2", Ping(1))
    net.send("n2", "n1", Ping(2))   # symmetric by default
    net.send("n3", "n4", Ping(3))
    net.send("n1", "n5", Ping(4))
    sim.run()
    assert net.endpoints["n2"].got[0][0] == 10
    assert net.endpoints["n1"].got[0][0] == 10
    assert net.endpoints["n4"].got[0][0] == 30
    assert net.endpoints["n5"].got[0][0] == 1


def test_loss_drops_about_the_right_share(sim, net):
    """With loss 0.3 about 30% of 2000 messages are dropped, each traced with reason 'loss'."""
    net.set_loss(0.3)
    for i in range(2000):
        net.send("n1", "n2", Ping(i))
    sim.run()
    lost = len(_drops(sim, "loss"))
    assert 520 <= lost <= 680
    assert len(net.endpoints["n2"].got) == 2000 - lost


def test_duplication_delivers_twice(sim, net):
    """With duplicate=1 every message arrives twice."""
    net.set_duplicate(1.0)
    net.send("n1", "n2", Ping(7))
    sim.run()
    assert [m for _, _, m in net.endpoints["n2"].got] == [7, 7]


def test_partition_blocks_both_directions_and_heal_restores(sim, net):
    """Across groups nothing gets through; after heal everything does."""
    net.partition(["n1", "n2"], ["n3", "n4", "n5"])
    assert not net.reachable("n1", "n3") and not net.reachable("n3", "n1")
    assert net.reachable("n1", "n2") and net.reachable("n4", "n5")
    net.send("n1", "n3", Ping(1))
    sim.run()
    assert net.endpoints["n3"].got == []
    net.heal()
    net.send("n1", "n3", Ping(2))
    sim.run()
    assert [m for _, _, m in net.endpoints["n3"].got] == [2]


def test_unnamed_nodes_form_their_own_group(net):
    """Nodes named in no group are together, apart from every named group."""
    net.partition(["n1"], ["n2"])
    assert net.reachable("n3", "n4")
    assert not net.reachable("n3", "n1") and not net.reachable("n3", "n2")


def test_client_travels_with_its_node_unless_named(net):
    """alice is near n1: isolating n1 takes her along; naming her puts her elsewhere."""
    net.isolate("n1")
    assert net.reachable("alice", "n1") and not net.reachable("alice", "n2")
    net.partition(["n1"], ["alice", "n2", "n3", "n4", "n5"])
    assert not net.reachable("alice", "n1") and net.reachable("alice", "n2")


def test_one_way_cut(sim, net):
    """cut(n1, n2): n1 -> n2 is lost, n2 -> n1 still arrives."""
    net.cut("n1", "n2")
    net.send("n1", "n2", Ping(1))
    net.send("n2", "n1", Ping(2))
    sim.run()
    assert net.endpoints["n2"].got == []
    assert [m for _, _, m in net.endpoints["n1"].got] == [2]


def test_message_in_flight_across_a_new_cut_is_dropped_on_arrival(sim, net):
    """A message sent before a partition but arriving after it is dropped (reason partition)."""
    net.set_latency(Constant(10))
    net.send("n1", "n3", Ping(1))
    sim.run(until=5)
    net.partition(["n1"], ["n3"])
    sim.run()
    assert net.endpoints["n3"].got == []
    drop = _drops(sim, "partition")
    assert len(drop) == 1 and drop[0].time_ms == 10


def test_crashed_node_receives_nothing_and_fires_no_timers(sim, net):
    """After crash: messages to it are dropped and its timers do not fire; restart revives it."""
    n2 = net.endpoints["n2"]
    fired = []
    n2.set_timer(5, fired.append, "early")
    n2.set_timer(50, fired.append, "late")
    sim.run(until=10)
    net.crash("n2")
    net.send("n1", "n2", Ping(1))
    sim.run(until=100)
    assert fired == ["early"]
    assert n2.got == [] and len(_drops(sim, "crashed")) == 1
    net.restart("n2")
    net.send("n1", "n2", Ping(2))
    sim.run()
    assert [m for _, _, m in n2.got] == [2]
    assert fired == ["early"]   # timers from before the crash stay dead


def test_clock_skew(sim, net):
    """A skewed clock reads now + offset + drift * now."""
    net.skew_clock("n2", offset_ms=-50, drift=0.01)
    sim.run(until=1000)
    assert net.local_time("n2") == 1000 - 50 + 10
    assert net.local_time("n1") == 1000


@pytest.mark.parametrize("call, match", [
    (lambda n: n.partition(["n1"], []), "group 2 is empty"),
    (lambda n: n.partition(["n1", "n2"], ["n2"]), "'n2' is in partition groups 1 and 2"),
    (lambda n: n.partition(["n1"], ["zz"]), "unknown node or client 'zz'"),
    (lambda n: n.partition("n1"), "string 'n1'"),
    (lambda n: n.isolate("n9"), "allowed: 'n1'"),
    (lambda n: n.cut("n1", "n1"), "itself"),
    (lambda n: n.set_loss(1.5), "got 1.5"),
    (lambda n: n.set_duplicate(-0.1), "got -0.1"),
    (lambda n: n.set_latency(("normal", 1, 2)), "'normal'"),
    (lambda n: n.restart("n1"), "not down"),
    (lambda n: n.skew_clock("n1", drift=-2), "drift"),
])
def test_bad_input_raises_and_leaves_the_network_unchanged(net, call, match):
    """Each bad call names the bad value; reachability and settings are unchanged after it."""
    net.cut("n3", "n4")
    before = (net.groups(), net.cuts(), net.latency_for("n1", "n2"), net.is_up("n1"))
    with pytest.raises(ConfigError, match=match):
        call(net)
    assert (net.groups(), net.cuts(), net.latency_for("n1", "n2"), net.is_up("n1")) == before


def test_sending_to_an_unknown_endpoint_is_an_error(net):
    """A protocol bug (unknown destination) is reported, not silently dropped."""
    with pytest.raises(UnknownNameError, match="'nope'"):
        net.send("n1", "nope", Ping(1))


def test_message_to_a_replaced_endpoint_is_dropped(sim, net):
    """If an endpoint is replaced while a message to it is in flight, the message is dropped."""
    from netkit import Recorder
    net.set_latency(Constant(10))
    net.send("n1", "n2", Ping(1))
    sim.run(until=5)
    old = net.endpoints.pop("n2")
    new = net.add(Recorder("n2"))
    sim.run()
    assert old.got == [] and new.got == []
    assert [e.detail for e in sim.trace if e.kind == "drop"] == ["endpoint replaced"]
