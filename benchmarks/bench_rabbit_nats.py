"""Benchmark the message buses: simulated messages per wall-clock second through one RabbitMQ-like
broker with 3 competing consumers (manual acks, prefetch 10, confirms on), and through one
NATS-like server with 3 subscribers (a plain subscription each: every message fans out to 3).

A message counts once when published and is done when every consumer that should get it has
processed it; the rate is messages published / wall seconds, with tracing off, the trace of
every event being the main cost a notebook pays otherwise (run with ``--trace`` to see it).

Run: ``.venv/bin/python benchmarks/bench_rabbit_nats.py`` (a few seconds).
"""

from __future__ import annotations

import sys
import time

from caplab.bus.nats import Nats
from caplab.bus.rabbit import Broker

N = 20_000
BATCH = 100           # messages published per simulated millisecond tick


def rabbit(n: int, trace: bool) -> tuple[float, int]:
    b = Broker(nodes=1, seed=1, trace=trace, op_timeout_ms=60_000)
    b.declare_queue("work")
    for i in range(3):
        b.consumer(f"c{i}", "work", prefetch=10)
    p = b.publisher("p")
    b.run_for(20)
    start = time.perf_counter()
    for i in range(0, n, BATCH):
        for j in range(BATCH):
            p.publish_async("", "work", i + j)
        b.run_for(1)
    # the private list: deliveries() copies every record, too slow for a per-event predicate
    # the private list: deliveries() copies every record, too slow for a per-event predicate
    b.run_until(lambda: len(b._deliveries) >= n, timeout_ms=600_000)
    wall = time.perf_counter() - start
    return n / wall, len(b._deliveries)


def nats(n: int, trace: bool) -> tuple[float, int]:
    s = Nats(servers=1, seed=1, trace=trace, op_timeout_ms=60_000)
    for i in range(3):
        s.client(f"sub{i}").subscribe("orders.*")
    p = s.client("pub")
    s.run_for(20)
    start = time.perf_counter()
    for i in range(0, n, BATCH):
        for j in range(BATCH):
            p.publish_async("orders.paid", i + j)
        s.run_for(1)
    s.run_until(lambda: len(s._deliveries) >= 3 * n, timeout_ms=600_000)
    wall = time.perf_counter() - start
    return n / wall, len(s._deliveries)


def main() -> None:
    trace = "--trace" in sys.argv
    rate, got = rabbit(N, trace)
    print(f"rabbit: 1 broker, 3 consumers (prefetch 10, manual acks, confirms): "
          f"{rate:,.0f} messages/s ({got} deliveries, trace={'on' if trace else 'off'})")
    rate, got = nats(N, trace)
    print(f"nats:   1 server, 3 subscribers (fan-out x3):                      "
          f"{rate:,.0f} messages/s ({got} deliveries, trace={'on' if trace else 'off'})")


if __name__ == "__main__":
    main()
