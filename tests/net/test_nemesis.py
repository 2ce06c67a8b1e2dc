"""The nemesis: scripted and random fault schedules, traced, reproducible."""

import pytest

from caplab.errors import ConfigError, UnknownNameError
from caplab.net import Nemesis


def test_scripted_schedule_applies_each_fault_at_its_time(sim, net):
    """isolate at 100, heal at 300, crash at 400, restart at 500: each traced at its time."""
    Nemesis(net, [(300, "heal"), (100, "isolate", "n1"), (400, "crash", "n2"),
                  (500, "restart", "n2")]).start()
    sim.run(until=150)
    assert not net.reachable("n1", "n2")
    sim.run(until=450)
    assert net.reachable("n1", "n2") and not net.is_up("n2")
    sim.run(until=600)
    assert net.is_up("n2")
    nem = [(e.time_ms, e.detail) for e in sim.trace if e.kind == "nemesis"]
    assert nem == [(100, "isolate n1"), (300, "heal"), (400, "crash n2"), (500, "restart n2")]


def test_a_step_that_no_longer_applies_is_skipped_and_traced(sim, net):
    """If a node was already crashed by hand, the nemesis records the skip and goes on."""
    Nemesis(net, [(10, "crash", "n3"), (20, "heal")]).start()
    net.crash("n3")
    sim.run()
    details = [e.detail for e in sim.trace if e.kind == "nemesis"]
    assert details[0].startswith("skipped crash n3") and details[1] == "heal"


def test_random_schedule_is_reproducible_and_ends_healed(net):
    """Same seed, same schedule; at the end everything is healed and up."""
    a = Nemesis.random(net, duration_ms=5000, faults=("partition", "isolate", "crash", "cut"))
    b = Nemesis.random(net,
                       duration_ms=5000, faults=("partition", "isolate", "crash", "cut"),
                       stream="nemesis-b")
    assert a.schedule and a.describe()
    assert a.schedule != b.schedule            # another stream, another schedule
    a.start()
    net.sim.run(until=6000)
    assert not net.partitioned
    assert all(net.is_up(n) for n in net.node_names)
    assert {action for _, action, _ in a.schedule} <= {"partition", "isolate", "crash", "cut",
                                                       "heal", "restart"}


def test_random_schedules_from_equal_seeds_are_equal():
    """Two simulations with the same seed draw the same random schedule."""
    from caplab.net import Network
    from caplab.sim import Simulation
    from netkit import Recorder

    def make():
        net = Network(Simulation(9), latency=1)
        for i in range(1, 4):
            net.add(Recorder(f"n{i}"))
        return Nemesis.random(net, duration_ms=3000).schedule
    assert make() == make()


def test_bad_schedules_are_refused(net):
    """Unknown actions and faults, malformed steps and times in the past raise ConfigError."""
    with pytest.raises(UnknownNameError, match="'explode'"):
        Nemesis(net, [(10, "explode")])
    with pytest.raises(ConfigError, match="time_ms"):
        Nemesis(net, [(-5, "heal")])
    with pytest.raises(ConfigError, match=r"\(time_ms, action"):
        Nemesis(net, ["heal"])
    with pytest.raises(UnknownNameError, match="'meteor'"):
        Nemesis.random(net, faults=("meteor",))
    net.sim.run(until=100)
    with pytest.raises(ConfigError, match="in the past"):
        Nemesis(net, [(50, "heal")]).start()
    assert net.sim.pending == 0
