"""Benchmark: 10,000 three-participant two-phase commit transactions and 10,000 four-step
sagas (the shop's order: order, payment, inventory, shipping), trace off, 8 closed-loop clients,
5 ms one-way latency; the checkers run on the result. Wall-clock and CPU seconds are both
reported (CPU time is the fair figure on a shared machine).
Run: ``.venv/bin/python benchmarks/bench_txn.py [--n N]``.
"""

from __future__ import annotations

import argparse
import time   # wall clock: benchmarks only, never the model

from caplab.txn.check import check_atomicity, check_invariants
from caplab.txn.measure import saga_throughput, twopc_throughput


def _timed(fn, **kwargs) -> tuple[dict, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn(**kwargs)
    return result, time.perf_counter() - wall, time.process_time() - cpu


def _check(system) -> tuple[float, bool]:
    system.run_for(100)               # the last decisions reach every participant
    wall = time.perf_counter()
    ok = check_atomicity(system).valid is True and check_invariants(system).valid is True
    return time.perf_counter() - wall, ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=10_000)
    args = parser.parse_args()
    r, wall, cpu = _timed(twopc_throughput, participants=3, latency_ms=5,
                          transactions=args.n, keep=True)
    check_s, ok = _check(r.pop("system"))
    print(f"2pc   {r['committed']:,} committed of {args.n:,} in {wall:.2f} s wall, "
          f"{cpu:.2f} s CPU ({args.n / cpu:,.0f} txn/s CPU); simulated {r['sim_ms']:,} ms "
          f"= {r['per_second']:.0f} txn/s, lock held {r['lock_held_mean_ms']:.1f} ms, "
          f"blocked {r['blocked_mean_ms']:.1f} ms; checkers {check_s:.2f} s, valid={ok}")
    r, wall, cpu = _timed(saga_throughput, latency_ms=5, sagas=args.n, keep=True)
    check_s, ok = _check(r.pop("system"))
    print(f"saga  {r['completed']:,} completed of {args.n:,} in {wall:.2f} s wall, "
          f"{cpu:.2f} s CPU ({args.n / cpu:,.0f} sagas/s CPU); simulated {r['sim_ms']:,} ms "
          f"= {r['per_second']:.0f} sagas/s; checkers {check_s:.2f} s, valid={ok}")


if __name__ == "__main__":
    main()
