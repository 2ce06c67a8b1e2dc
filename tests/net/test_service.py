"""Service endpoints: FIFO queue, workers, speed, capacity, crashes, metrics, and queueing
theory (M/M/1, M/M/c with Erlang C, and one fast server against two slow ones)."""

import math

import pytest

from caplab.errors import ConfigError
from caplab.net import (Constant, Endpoint, Exponential, Job, Network, PoissonClient,
                        Rejected, Service, message)
from caplab.sim import Simulation


@message
class Ask:
    n: int


@message
class Answer:
    n: int


@message
class Pause:
    on: bool


class Caller(Endpoint):
    """Sends Ask(n) at given times and records what comes back."""

    is_client = True

    def __init__(self, name, target="svc"):
        super().__init__(name)
        self.target = target
        self.got = []

    def ask_at(self, times):
        for n, t in enumerate(times, 1):
            self.sim.schedule_at(t, self.send, self.target, Ask(n))

    def handle_answer(self, msg, src):
        self.got.append((self.now, msg.n))

    def handle_rejected(self, msg, src):
        self.got.append((self.now, "rejected", msg.request.n, msg.definite))


def answer(service, msg, src):
    return Answer(msg.n)


def world(seed=1, **service_args):
    sim = Simulation(seed, trace=False)
    net = Network(sim, latency=0)
    service_args.setdefault("handler", answer)
    svc = net.add(Service("svc", **service_args))
    caller = net.add(Caller("c"))
    return sim, net, svc, caller


def test_requests_are_served_first_in_first_out():
    """One worker, 10 ms each: requests arriving at 0, 1, 2 end at 10, 20, 30 in order."""
    sim, _, svc, caller = world(workers=1, service_time=Constant(10))
    caller.ask_at([0, 1, 2])
    sim.run()
    assert caller.got == [(10, 1), (20, 2), (30, 3)]
    assert [(r.arrival_ms, r.start_ms, r.end_ms) for r in svc.records] == \
        [(0, 0, 10), (1, 10, 20), (2, 20, 30)]
    assert svc.response_times() == [10, 19, 28]


def test_workers_serve_in_parallel():
    """Two workers: two of three simultaneous requests end at 10, the third at 20."""
    sim, _, svc, caller = world(workers=2, service_time=Constant(10))
    caller.ask_at([0, 0, 0])
    sim.run()
    assert caller.got == [(10, 1), (10, 2), (20, 3)]
    assert [r.worker for r in svc.records] == [0, 1, 0]


def test_speed_divides_the_service_time():
    """A machine twice as fast serves a 10 ms request in 5 ms."""
    sim, _, svc, caller = world(service_time=Constant(10), speed=2)
    caller.ask_at([0])
    sim.run()
    assert caller.got == [(5, 1)]


def test_a_full_queue_rejects_at_once_with_a_definite_error():
    """capacity=1: one in service, one waiting, the third is refused at once (definite)."""
    sim, _, svc, caller = world(service_time=Constant(100), capacity=1)
    caller.ask_at([0, 1, 2])
    sim.run()
    assert caller.got == [(2, "rejected", 3, True), (100, 1), (200, 2)]
    assert svc.rejected == 1 and svc.completed == 2
    assert [r.outcome for r in svc.records] == ["done", "done", "rejected"]


def test_capacity_zero_serves_only_when_a_worker_is_free():
    """capacity=0: no waiting room, a request that finds every worker busy is refused."""
    sim, _, svc, caller = world(workers=2, service_time=Constant(10), capacity=0)
    caller.ask_at([0, 0, 0, 10])
    sim.run()
    assert [g[1] for g in caller.got] == ["rejected", 1, 2, 4]


def test_a_crash_drops_the_queue_and_a_restart_starts_empty():
    """Crash at 15: the request in service and the two waiting are lost, no replies; after the
    restart a new request is served from an empty queue."""
    sim, net, svc, caller = world(service_time=Constant(10))
    caller.ask_at([0, 0, 0, 0, 40])
    sim.schedule_at(15, net.crash, "svc")
    sim.schedule_at(30, net.restart, "svc")
    sim.run()
    assert caller.got == [(10, 1), (50, 5)]
    assert svc.dropped == 3 and svc.completed == 2
    assert [r.outcome for r in svc.records] == ["done", "dropped", "dropped", "dropped", "done"]
    assert svc.queue_length == 0 and svc.busy == 0


def test_control_messages_with_a_handler_bypass_the_queue():
    """A message kind the service handles itself is not queued (control traffic)."""
    class Pausable(Service):
        paused = False

        def handle_pause(self, msg, src):
            self.paused = msg.on

    sim = Simulation(1, trace=False)
    net = Network(sim, latency=0)
    svc = net.add(Pausable("svc", service_time=Constant(10)))
    net.add(Caller("c"))
    net.send("c", "svc", Ask(1))
    net.send("c", "svc", Pause(True))
    sim.run(until=1)
    assert svc.paused and svc.busy == 1 and svc.queue_length == 0 and len(svc.records) == 1


def test_subclass_serve_says_what_a_request_does():
    """Overriding serve() decides the effect and the reply, which goes back to the sender."""
    class Doubler(Service):
        def serve(self, msg, src):
            return Answer(2 * msg.n)

    sim = Simulation(1, trace=False)
    net = Network(sim, latency=3)
    net.add(Doubler("svc", service_time=Constant(4)))
    caller = net.add(Caller("c"))
    caller.ask_at([0, 0])
    sim.run()
    assert caller.got == [(10, 2), (14, 4)]


def test_metrics_are_plain_numbers():
    """Utilisation and queue length are time averages; metrics() is a dict of numbers."""
    sim, _, svc, caller = world(service_time=Constant(10))
    caller.ask_at([0, 0])
    sim.run(until=40)
    assert svc.utilisation() == pytest.approx(0.5)
    assert svc.utilisation(0, 20) == 1.0
    assert svc.mean_queue_length(0, 20) == pytest.approx(0.5)
    assert svc.utilisation_series(10) == [(10, 1.0), (20, 1.0), (30, 0.0), (40, 0.0)]
    assert svc.timeline == [(0, 1, 1), (10, 0, 1), (20, 0, 0)]
    m = svc.metrics()
    assert m == {"queue_length": 0, "busy": 0, "workers": 1, "completed": 2, "rejected": 0,
                 "dropped": 0, "utilisation": 0.5, "mean_response_ms": 15.0}


@pytest.mark.parametrize("kwargs, word", [({"workers": 0}, "workers"), ({"speed": 0}, "speed"),
                                          ({"capacity": -1}, "capacity"),
                                          ({"service_time": "fast"}, "fast"),
                                          ({"handler": 3}, "handler")])
def test_bad_parameters_are_refused(kwargs, word):
    """Each parameter is validated at the boundary; the error names the bad value."""
    with pytest.raises(ConfigError, match=word):
        Service("svc", **kwargs)


def _run_open_loop(seed, *, rate_per_ms, mean_service_ms, workers=1, speed=1.0, count):
    sim = Simulation(seed, trace=False)
    net = Network(sim, latency=0)
    svc = net.add(Service("svc", workers=workers, speed=speed,
                          service_time=Exponential(1 / mean_service_ms),
                          handler=lambda s, msg, src: Job(msg.n)))
    client = net.add(PoissonClient("load", "svc", rate_per_ms=rate_per_ms, count=count))
    client.start()
    sim.run()
    return svc, client


def test_same_seed_same_run_and_a_new_seed_differs():
    """Service times come from the service's own seeded stream: same seed, same timestamps."""
    def stamps(seed):
        svc, _ = _run_open_loop(seed, rate_per_ms=0.01, mean_service_ms=50, count=200)
        return [(r.arrival_ms, r.start_ms, r.end_ms) for r in svc.records]
    assert stamps(3) == stamps(3)
    assert stamps(3) != stamps(4)


def erlang_c(c: int, a: float) -> float:
    """Probability that an arrival waits in M/M/c with offered load a = lambda/mu (Erlang C)."""
    rho = a / c
    top = a ** c / math.factorial(c) / (1 - rho)
    return top / (sum(a ** k / math.factorial(k) for k in range(c)) + top)


def mmc_response_ms(c: int, rate_per_ms: float, mean_service_ms: float) -> float:
    """Mean response time of M/M/c: Erlang C / (c mu - lambda) + 1 / mu."""
    mu = 1 / mean_service_ms
    return erlang_c(c, rate_per_ms / mu) / (c * mu - rate_per_ms) + mean_service_ms


N = 20_000


def _mean(xs):
    return sum(xs) / len(xs)


def test_mm1_mean_response_time_matches_theory():
    """M/M/1 at rho=0.5, mean service 100 ms: mean response 1/(mu - lambda) = 200 ms (+-5%)."""
    svc, client = _run_open_loop(1, rate_per_ms=0.005, mean_service_ms=100, count=N)
    assert mmc_response_ms(1, 0.005, 100) == pytest.approx(200)
    assert _mean(svc.response_times()) == pytest.approx(200, rel=0.05)
    assert svc.utilisation() == pytest.approx(0.5, rel=0.05)
    assert len(client.replies) == N


def test_mmc_mean_response_time_matches_erlang_c():
    """M/M/2 at rho=0.5 (a=1): Erlang C = 1/3, mean response 133.3 ms (+-5%)."""
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3)
    expected = mmc_response_ms(2, 0.01, 100)
    svc, _ = _run_open_loop(2, rate_per_ms=0.01, mean_service_ms=100, workers=2, count=N)
    assert _mean(svc.response_times()) == pytest.approx(expected, rel=0.05)


def test_one_fast_server_beats_two_slow_ones_at_low_load():
    """Scale-up vs scale-out (Harchol-Balter, Performance Modeling and Design of Computer
    Systems, ch. 14): at rho=0.25 one server twice as fast answers 2/(1+rho) = 1.6 times
    sooner than two servers sharing one queue."""
    rate, mean = 0.005, 100
    fast, _ = _run_open_loop(5, rate_per_ms=rate, mean_service_ms=mean, speed=2, count=N)
    pair, _ = _run_open_loop(6, rate_per_ms=rate, mean_service_ms=mean, workers=2, count=N)
    t_fast, t_pair = _mean(fast.response_times()), _mean(pair.response_times())
    rho = rate * mean / 2
    assert t_fast == pytest.approx(mmc_response_ms(1, rate, mean / 2), rel=0.05)
    assert t_pair == pytest.approx(mmc_response_ms(2, rate, mean), rel=0.05)
    assert t_pair / t_fast == pytest.approx(2 / (1 + rho), rel=0.05)
