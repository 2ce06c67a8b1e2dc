"""Benchmark: check every history of the Porcupine corpus and compare with Porcupine's times.

Run: ``.venv/bin/python benchmarks/bench_checker.py`` (``CAPLAB_SHARED`` overrides where the
shared data lives). Prints per-file check times (median of ``--repeat`` runs), parse times,
the totals, the search steps, and Porcupine's reference numbers from the corpus README.
Times are wall clock here (this is a benchmark, not a result); verdicts use step budgets.
Then every checker and ``summarize()`` on seeded generated register histories of 20,000 to
100,000 operations (``caplab.check.synthetic``; ``--sizes`` to choose), so growth shows.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

# Porcupine (Go, 2-core machine), median per check, from data/porcupine/README.md.
PORCUPINE_MS = {"kv/c50-ok.txt": (300, 600), "kv/c50-bad.txt": (45, 120),
                "kv/c10-ok.txt": (1, 1), "jepsen/etcd_002.log": (350, 350)}
PORCUPINE_ETCD_TOTAL_MS = 1000
# Porcupine's corpus total: c50-ok + c50-bad + c10/c01 (~few ms) + the etcd logs.
PORCUPINE_TOTAL_MS = (300 + 45 + 4 + PORCUPINE_ETCD_TOTAL_MS, 600 + 120 + 4 + PORCUPINE_ETCD_TOTAL_MS)


def corpus_dir() -> Path:
    env = os.environ.get("CAPLAB_SHARED")
    shared = Path(env) if env else Path(__file__).resolve().parents[1].parent / "shared"
    return shared / "data" / "porcupine"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per file (median)")
    parser.add_argument("--sizes", type=int, nargs="*", default=[20_000, 50_000, 100_000],
                        help="operations in the generated histories (none: skip them)")
    args = parser.parse_args()
    status = corpus(args)
    if args.sizes:
        scale(args.sizes)
    return status


def scale(sizes) -> None:
    """Each checker and summarize() on generated histories: 10 keys, 8 clients, 1% stale
    reads (so linearizability stops at the first bad key), 2% info and 2% fail writes; and a
    linearizable one, so the search runs over every key."""
    from caplab.check import (check_linearizability, check_lost_writes, check_sessions,
                              check_stale_reads, summarize)
    from caplab.check.records import normalize_history
    from caplab.check.synthetic import register_history
    checkers = (check_linearizability, check_stale_reads, check_lost_writes, check_sessions)
    print(f"\n{'ops':>8} {'stale %':>7} " + " ".join(f"{f.__name__[6:]:>16}" for f in checkers)
          + f" {'summarize':>10}   (seconds)")
    for n in sizes:
        for stale in (0.01, 0.0):
            h = register_history(n, keys=10, seed=1, stale_fraction=stale,
                                 info_fraction=0.02, fail_fraction=0.02)
            records = normalize_history(h)
            times = []
            for f in checkers:
                t0 = time.perf_counter()
                f(records)
                times.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            frame = summarize(h)
            total = time.perf_counter() - t0
            print(f"{n:8d} {stale * 100:7.0f} " + " ".join(f"{t:16.2f}" for t in times)
                  + f" {total:10.2f}   {'/'.join(map(str, frame['verdict']))}")


def corpus(args) -> int:
    root = corpus_dir()
    if not (root / "expected.txt").exists():
        print(f"Porcupine corpus not found at {root}; set CAPLAB_SHARED", file=sys.stderr)
        return 2
    from caplab.check import check_linearizability
    from caplab.history.porcupine import load_porcupine, read_expected

    expected = read_expected(root / "expected.txt")
    rows, parse_total, wrong = [], 0.0, []
    for name in sorted(expected):
        t0 = time.perf_counter()
        records, model = load_porcupine(root / name)
        parse_total += time.perf_counter() - t0
        times = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            result = check_linearizability(records, model)
            times.append(time.perf_counter() - t0)
        if result.ok != expected[name]:
            wrong.append(name)
        rows.append((name, statistics.median(times), result.verdict, result.steps))
    total = sum(r[1] for r in rows)
    etcd = [r for r in rows if r[0].startswith("jepsen/")]
    print(f"{'file':24} {'check ms':>9} {'steps':>9}  verdict            Porcupine ms")
    shown = [r for r in rows if r[0].startswith("kv/")]
    shown += sorted(etcd, key=lambda r: -r[1])[:5]
    for name, secs, verdict, steps in shown:
        ref = PORCUPINE_MS.get(name)
        ref_text = "" if ref is None else (f"{ref[0]}" if ref[0] == ref[1] else f"{ref[0]}-{ref[1]}")
        print(f"{name:24} {secs * 1000:9.1f} {steps:9d}  {verdict:18} {ref_text}")
    etcd_ms = sum(r[1] for r in etcd) * 1000
    print(f"\n{len(etcd)} etcd logs: {etcd_ms:.0f} ms (Porcupine ~{PORCUPINE_ETCD_TOTAL_MS} ms)")
    lo, hi = PORCUPINE_TOTAL_MS
    print(f"all {len(rows)} files: check {total * 1000:.0f} ms, parse {parse_total * 1000:.0f} ms "
          f"(Porcupine ~{lo}-{hi} ms; target: within 3x, i.e. <= {3 * lo} ms at its fastest)")
    print(f"ratio to Porcupine: {total * 1000 / hi:.2f}x-{total * 1000 / lo:.2f}x")
    if wrong:
        print(f"DISAGREES with expected.txt on: {wrong}")
        return 1
    print("verdicts agree with expected.txt on every file")
    return 0


if __name__ == "__main__":
    sys.exit(main())
