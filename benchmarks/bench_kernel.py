"""Kernel throughput: message ping-pong among 5 nodes with random latency, caplab vs simpy.

The same workload in both: 5 nodes, 10 messages circulating; whoever receives a message forwards
it to a random other node after a uniform 1-5 ms latency. We count delivered messages per
wall-clock second (one kernel event per delivery in caplab; simpy needs a timeout, a store put and
a get per message). Run: ``.venv/bin/python benchmarks/bench_kernel.py``.
"""

from __future__ import annotations

import random
import time

import simpy

from caplab.net import Endpoint, Network, Uniform, message
from caplab.sim import Simulation

NODES = [f"n{i}" for i in range(1, 6)]
TOKENS = 10
MESSAGES = 200_000


@message
class Token:
    hops: int


class Forwarder(Endpoint):
    def __init__(self, name, counter):
        super().__init__(name)
        self.counter = counter
        self.pick = None

    def handle_token(self, msg, src):
        self.counter[0] += 1
        if self.counter[0] < MESSAGES:
            self.send(self.pick(self.name), Token(msg.hops + 1))


def run_caplab(trace: bool) -> tuple[float, int]:
    sim = Simulation(1, trace=trace)
    net = Network(sim, latency=Uniform(1, 5))
    counter = [0]
    rng = sim.rng("bench.peer")
    others = {n: [m for m in NODES if m != n] for n in NODES}

    def pick(me):
        choices = others[me]
        return choices[int(rng.random() * 4)]
    for name in NODES:
        node = net.add(Forwarder(name, counter))
        node.pick = pick
    for i in range(TOKENS):
        net.send(NODES[i % 5], pick(NODES[i % 5]), Token(0))
    start = time.perf_counter()
    sim.run()
    return time.perf_counter() - start, counter[0]


def run_simpy() -> tuple[float, int]:
    env = simpy.Environment()
    rng = random.Random(1)
    inbox = {n: simpy.Store(env) for n in NODES}
    others = {n: [m for m in NODES if m != n] for n in NODES}
    counter = [0]

    def send(dst, hops):
        yield env.timeout(rng.uniform(1, 5))
        inbox[dst].put(hops)

    def node(name):
        while True:
            hops = yield inbox[name].get()
            counter[0] += 1
            if counter[0] < MESSAGES:
                env.process(send(others[name][int(rng.random() * 4)], hops + 1))
    for name in NODES:
        env.process(node(name))
    for i in range(TOKENS):
        src = NODES[i % 5]
        env.process(send(others[src][int(rng.random() * 4)], 0))
    start = time.perf_counter()
    env.run()
    return time.perf_counter() - start, counter[0]


def best(fn, *args, repeat=3):
    runs = [fn(*args) for _ in range(repeat)]
    return min(runs)


def main() -> None:
    simpy_s, simpy_n = best(run_simpy)
    ours_s, ours_n = best(run_caplab, False)
    traced_s, traced_n = best(run_caplab, True)
    rate = lambda n, s: n / s
    print(f"{'implementation':<28}{'messages':>10}{'seconds':>10}{'msgs/s':>12}{'vs simpy':>10}")
    for label, n, s in (("simpy 4 (processes+stores)", simpy_n, simpy_s),
                        ("caplab (trace off)", ours_n, ours_s),
                        ("caplab (trace on)", traced_n, traced_s)):
        print(f"{label:<28}{n:>10}{s:>10.3f}{rate(n, s):>12,.0f}"
              f"{rate(n, s) / rate(simpy_n, simpy_s):>9.2f}x")
    print("target: caplab >= 3x simpy's rate")


if __name__ == "__main__":
    main()
