"""Benchmark: simulated calls per wall second through the resilience pipeline.

Ten callers, each with a timeout, retries with full jitter, a circuit breaker and a bulkhead,
call ten dependencies at 1,000 calls per simulated second in all (``--per-caller`` makes it
1,000 each) for 60 simulated seconds; 5 % of requests fail, so retries and the breaker work.
Run: ``.venv/bin/python benchmarks/bench_resilience.py``. Times are wall clock (a benchmark).
"""

from __future__ import annotations

import argparse
import time


def run(*, callers: int, rate_per_s: float, seconds: int, history: bool) -> dict:
    from caplab.resilience import (Backoff, BreakerConfig, Bulkhead, Dependency, Retry,
                                   add_caller, open_loop)
    from caplab.world import World

    world = World(seed=1, trace=False)
    made = []
    for i in range(callers):
        world.add_node(Dependency(f"dep{i}", workers=16, latency=("uniform", 2, 8), fail_p=0.05))
        c = add_caller(world, f"app{i}", f"dep{i}", timeout_ms=200,
                       retry=Retry(3, Backoff("full", base_ms=20, cap_ms=500)),
                       breaker=BreakerConfig(minimum_number_of_calls=20, sliding_window_size=50),
                       bulkhead=Bulkhead(max_concurrent_calls=50), record_history=history)
        open_loop(c, rate_per_s=rate_per_s, duration_ms=seconds * 1000)
        made.append(c)
    t0 = time.perf_counter()
    world.run(until=seconds * 1000 + 2000)
    wall = time.perf_counter() - t0
    calls = sum(len(c.records) for c in made)
    attempts = sum(c.dependency_calls for c in made)
    ok = sum(r["outcome"] == "ok" for c in made for r in c.records)
    return {"calls": calls, "attempts": attempts, "ok": ok, "wall_s": wall,
            "calls_per_wall_s": calls / wall, "events": world.sim.events_run}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--callers", type=int, default=10)
    parser.add_argument("--rate", type=float, default=1000.0, help="calls per simulated s")
    parser.add_argument("--per-caller", action="store_true", help="the rate is per caller")
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--no-history", action="store_true", help="skip world.history")
    args = parser.parse_args()
    rate = args.rate if args.per_caller else args.rate / args.callers
    r = run(callers=args.callers, rate_per_s=rate, seconds=args.seconds,
            history=not args.no_history)
    print(f"{args.callers} callers x {rate:g} calls/simulated s x {args.seconds} s: "
          f"{r['calls']} calls ({r['attempts']} attempts, {r['ok']} ok), {r['events']} events "
          f"in {r['wall_s']:.2f} s wall = {r['calls_per_wall_s']:,.0f} simulated calls per "
          f"wall second")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
