"""Benchmark: 10 services (each a balancer and two 4-core instances, 20 ms mean service time)
under 1,000 requests per simulated second in all for 60 simulated seconds, trace off; reports
simulated requests per wall second (and per CPU second, the fair figure on a shared machine),
then the monitoring series and the summary computed from the records.
Run: ``.venv/bin/python benchmarks/bench_services.py [--rate 1000] [--seconds 60]
[--per-service]`` (``--per-service``: 1,000 requests per second to *each* service).
"""

from __future__ import annotations

import argparse
import time   # wall clock: benchmarks only, never the model

from caplab.services import LoadProfile, Machine, summary, time_series
from caplab.services.deployment import Deployment


def build(rate_per_s: float, seconds: int, services: int = 10) -> Deployment:
    d = Deployment(seed=1, latency=1)
    per_service = rate_per_s / services
    instances = max(2, round(per_service * 0.02 / 4 / 0.5 + 0.5))   # about 50% utilisation
    for k in range(services):
        d.add_tier(f"svc{k}", machine=Machine("m4", cores=4, memory_gb=8),
                   features={f"f{k}": 1.0}, instances=instances, policy="least_connections")
    d.add_load("load", LoadProfile(rate_per_s, mix=tuple((f"f{k}", 1) for k in range(services)),
                                   duration_ms=seconds * 1000))
    return d


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=float, default=1000.0)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--per-service", action="store_true")
    args = parser.parse_args()
    rate = args.rate * (10 if args.per_service else 1)
    d = build(rate, args.seconds)
    wall, cpu = time.perf_counter(), time.process_time()
    d.run(args.seconds * 1000 + 2_000)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    sent = d.loads[0].sent
    t = time.perf_counter()
    series = time_series(d)
    s = summary(d, to_ms=args.seconds * 1000)
    mon = time.perf_counter() - t
    print(f"services: {sent:,} requests to 10 services ({rate:,.0f}/s simulated for "
          f"{args.seconds} s) in {wall:.2f} s wall, {cpu:.2f} s CPU: {sent / wall:,.0f} "
          f"requests per wall second ({sent / cpu:,.0f} per CPU second); "
          f"{d.sim.events_run:,} events")
    print(f"monitoring: {len(series['t_ms'])} windows + summary in {mon:.2f} s; p50 "
          f"{s['p50_ms']} ms, p99 {s['p99_ms']} ms, errors {s['errors']}, "
          f"{len(d.instances())} instances")


if __name__ == "__main__":
    main()
