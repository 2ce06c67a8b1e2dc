"""Benchmark: events per wall second through the 4-service pipeline with two projections.

Run: ``.venv/bin/python benchmarks/bench_events.py [--orders 2000] [--repeat 3]
[--bus log|kafka]``. Places
``--orders`` orders (every fifth one with an address that does not match, so the compensations
run too) on an :class:`~caplab.events.EventShop` with the trace off, runs it to quiescence, and
prints the events committed (services), the events applied (services and projection nodes),
the wall time (median of ``--repeat`` runs) and events per wall second. The checkers run after
the timing, so a fast wrong run cannot pass.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

from caplab.events import EventShop
from caplab.events.check import check_delivery, check_read_models, check_saga


def run(orders: int, seed: int, bus: str = "log") -> tuple[float, EventShop]:
    shop = EventShop(seed=seed, trace=False, bus=bus)
    start = time.perf_counter()
    for i in range(orders):
        shop.command("place", f"o{i}", customer=f"c{i % 50}", amount=10 + i % 90,
                     address="nowhere" if i % 5 == 4 else f"{i} Main St",
                     items=[f"item {i % 17}"])
        if i % 20 == 19:
            shop.run_for(5)
    shop.settle(max_ms=600_000)
    return time.perf_counter() - start, shop


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--bus", choices=("log", "kafka"), default="log",
                        help="the single log node (default) or the replicated Kafka-like log")
    args = parser.parse_args()
    times = []
    for r in range(args.repeat):
        wall, shop = run(args.orders, seed=r, bus=args.bus)
        times.append(wall)
    committed = sum(len(s.emitted) for s in shop.services.values())
    applied = (sum(len(s.applied) for s in shop.services.values())
               + sum(len(n.seen) for n in shop.readers.values()))
    wall = statistics.median(times)
    print(f"bus: {args.bus}; orders: {args.orders}; simulated {shop.now} ms")
    print(f"events committed: {committed}; deliveries applied (services + projections): "
          f"{applied}")
    print(f"wall (median of {args.repeat}): {wall:.2f} s")
    print(f"events committed per wall second: {committed / wall:,.0f}")
    print(f"deliveries per wall second: {applied / wall:,.0f}")
    results = [check(shop) for check in (check_saga, check_delivery, check_read_models)]
    for res in results:
        print(res.explain().splitlines()[0])
    return 0 if all(res.ok for res in results) else 1


if __name__ == "__main__":
    sys.exit(main())
