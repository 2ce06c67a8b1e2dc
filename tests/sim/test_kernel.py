"""The kernel: ordering, cancellation, running modes, named streams, errors."""

import re

import pytest

from caplab.errors import ConfigError, SimulationError
from caplab.sim import Simulation, derive_seed


def test_ties_run_in_the_order_scheduled():
    """Events at the same time run first-in first-out."""
    sim = Simulation(1)
    out = []
    for label in "abcde":
        sim.schedule(10, out.append, label)
    sim.schedule(5, out.append, "first")
    sim.run()
    assert out == ["first", "a", "b", "c", "d", "e"]
    assert sim.now == 10


def test_events_scheduled_during_a_run_are_ordered_by_time():
    """An event scheduled from a handler runs at its own time, after earlier ones."""
    sim = Simulation(1)
    out = []

    def chain(n):
        out.append((sim.now, n))
        if n < 3:
            sim.schedule(7, chain, n + 1)
    sim.schedule(0, chain, 0)
    sim.schedule(15, out.append, "mid")
    sim.run()
    assert out == [(0, 0), (7, 1), (14, 2), "mid", (21, 3)]


def test_cancelled_timer_never_fires_and_cancel_is_idempotent():
    """A cancelled timer does not run; cancelling twice is harmless."""
    sim = Simulation(1)
    out = []
    t = sim.schedule(5, out.append, "x")
    sim.schedule(6, out.append, "y")
    t.cancel()
    t.cancel()
    sim.run()
    assert out == ["y"]
    assert sim.idle


def test_run_until_stops_at_the_bound_and_advances_time():
    """run(until=t) runs events at t inclusive and leaves now == t."""
    sim = Simulation(1)
    out = []
    for t in (5, 10, 15):
        sim.schedule(t, out.append, t)
    sim.run(until=10)
    assert out == [5, 10] and sim.now == 10
    sim.run_for(100)
    assert out == [5, 10, 15] and sim.now == 110


def test_step_runs_one_event():
    """step() runs exactly one event and reports whether there was one."""
    sim = Simulation(1)
    out = []
    sim.schedule(3, out.append, 1)
    sim.schedule(4, out.append, 2)
    assert sim.step() and out == [1] and sim.now == 3
    assert sim.step() and out == [1, 2]
    assert not sim.step()


def test_run_until_idle_ignores_daemon_timers():
    """Periodic daemon timers (heartbeats) do not keep the simulation busy."""
    sim = Simulation(1)
    beats = []

    def heartbeat():
        beats.append(sim.now)
        sim.schedule(10, heartbeat, daemon=True)
    sim.schedule(0, heartbeat, daemon=True)
    done = []
    sim.schedule(35, done.append, True)
    sim.run_until_idle()
    assert done == [True]
    assert sim.now == 35
    assert beats == [0, 10, 20, 30]


def test_run_until_idle_guards_against_endless_work():
    """A non-daemon timer that reschedules itself forever raises instead of hanging."""
    sim = Simulation(1)

    def forever():
        sim.schedule(1, forever)
    sim.schedule(0, forever)
    with pytest.raises(SimulationError, match="still busy"):
        sim.run_until_idle(max_events=500)


def test_run_until_predicate_and_timeout():
    """run_until stops when the predicate holds, or at the timeout."""
    sim = Simulation(1)
    box = []
    sim.schedule(50, box.append, 1)
    assert sim.run_until(lambda: bool(box)) and sim.now == 50
    assert not sim.run_until(lambda: False, timeout_ms=20) and sim.now == 70


@pytest.mark.parametrize("bad", [-1, 1.5, "3", None, True])
def test_bad_delay_is_refused_and_nothing_is_scheduled(bad):
    """A negative or non-integer delay raises ConfigError naming it; the queue is unchanged."""
    sim = Simulation(1)
    with pytest.raises(ConfigError, match=re.escape(f"got {bad!r}")):
        sim.schedule(bad, print)
    assert sim.pending == 0 and sim.idle


def test_run_until_in_the_past_is_refused():
    """run(until=t) with t < now raises and leaves now unchanged."""
    sim = Simulation(1)
    sim.run_for(10)
    with pytest.raises(ConfigError, match="in the past"):
        sim.run(until=5)
    assert sim.now == 10


def test_named_streams_are_independent_and_reproducible():
    """A new consumer does not shift other streams; the same seed gives the same numbers."""
    a = Simulation(7)
    xs = [a.rng("net.latency").random() for _ in range(3)]
    b = Simulation(7)
    b.rng("something.new").random()  # a new consumer first
    ys = [b.rng("net.latency").random() for _ in range(3)]
    assert xs == ys
    assert Simulation(8).rng("net.latency").random() != xs[0]
    assert derive_seed(7, "x") == derive_seed(7, "x") != derive_seed(7, "y")


def test_seed_must_be_an_integer():
    """Seeds are integers: a string seed is refused with the value named."""
    with pytest.raises(ConfigError, match="'abc'"):
        Simulation("abc")
