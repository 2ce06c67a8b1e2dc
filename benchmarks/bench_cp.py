"""Benchmark: simulated operations per wall-clock second of CP mode (replica set).

A 5-node replica set, 4 closed-loop clients, a mixed workload (half reads, half writes,
w:majority writes and local primary reads, the MongoDB defaults) of 10,000 operations, with the
trace on and off. Run: ``.venv/bin/python benchmarks/bench_cp.py [--ops N]``.
"""

from __future__ import annotations

import argparse
import time   # wall clock: benchmarks only, never the model

from caplab.kv import Cluster
from caplab.kv.workload import Workload


def run(ops: int, *, trace: bool, seed: int = 1) -> dict:
    started = time.perf_counter()
    c = Cluster(mode="cp", nodes=5, seed=seed, trace=trace)
    work = Workload(c, clients=4, keys=8, read_fraction=0.5, mean_think_ms=5)
    work.run(ops=ops)
    wall_s = time.perf_counter() - started
    outcomes = {}
    for op in c.history:
        outcomes[op.outcome] = outcomes.get(op.outcome, 0) + 1
    return {"trace": trace, "ops": len(c.history), "wall_s": wall_s,
            "ops_per_s": len(c.history) / wall_s, "sim_ms": c.now,
            "messages": c.network.sent, "events": c.sim.events_run,
            "trace_events": len(c.sim.trace), "outcomes": outcomes}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ops", type=int, default=10_000)
    args = parser.parse_args()
    for trace in (True, False):
        r = run(args.ops, trace=trace)
        print(f"trace={'on ' if r['trace'] else 'off'}  {r['ops']} ops in {r['wall_s']:.2f} s "
              f"wall = {r['ops_per_s']:,.0f} ops/s  (simulated {r['sim_ms']} ms, "
              f"{r['messages']:,} messages, {r['events']:,} events, "
              f"{r['trace_events']:,} trace events, outcomes {r['outcomes']})")


if __name__ == "__main__":
    main()
