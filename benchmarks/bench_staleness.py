"""Benchmark: PBS t-visibility Monte Carlo throughput, 100,000 trials per preset (N=3, R=W=1).

Run: .venv/bin/python benchmarks/bench_staleness.py

Measures wall-clock time here only (never inside caplab). A slider redraw needs one
``t_visibility`` call, so "seconds per curve" is what a student waits for.
"""

from __future__ import annotations

import time

from caplab.analyses.staleness import PRESETS, t_at_probability, t_visibility

TRIALS = 100_000
REPEATS = 5


def main() -> None:
    print(f"t_visibility(n=3, r=1, w=1, trials={TRIALS:,}), best of {REPEATS}")
    print(f"{'preset':<10} {'s/curve':>8} {'trials/s':>12} {'p(t=0)':>7} {'t@99.9% ms':>11}")
    for name in PRESETS:
        best = float("inf")
        for seed in range(REPEATS):
            start = time.perf_counter()
            df = t_visibility(3, 1, 1, latency=name, trials=TRIALS, seed=seed)
            best = min(best, time.perf_counter() - start)
        t999 = t_at_probability(0.999, 3, 1, 1, latency=name, trials=TRIALS, seed=0)
        print(f"{name:<10} {best:>8.3f} {TRIALS / best:>12,.0f} "
              f"{df['p_consistent'].iloc[0]:>7.3f} {t999:>11.2f}")


if __name__ == "__main__":
    main()
