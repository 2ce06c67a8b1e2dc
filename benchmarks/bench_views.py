"""Benchmark: how long each view takes to redraw, for 5 and 9 nodes with a few hundred ops.

Run: .venv/bin/python benchmarks/bench_views.py

A panel redraw is "compute the data, build the figure, copy it into the FigureWidget"; the
target is well under 100 ms per figure. Each scenario: a seeded cluster, a workload of 300
operations across 4 clients and 6 keys, a partition in the middle, then a heal. Wall-clock
time is measured here only (never inside caplab). Reported: median of REPEATS, in ms.
"""

from __future__ import annotations

import statistics
import time

import plotly.graph_objects as go

from caplab.check import check_linearizability
from caplab.kv import Cluster
from caplab.kv.workload import Workload
from caplab.analyses.staleness import t_visibility
from caplab.viz import (availability_consistency_bars, cluster_graph, divergence_curve,
                        replica_heatmap, replica_table, ring_view, sequence_diagram,
                        summary_dict, t_visibility_curve, timeline, update_figure)
from caplab.frames import history_frame, snapshots_frame

REPEATS = 15
OPS = 300


def scenario(mode: str, nodes: int, seed: int = 1):
    """A cluster after a workload with a partition and a heal (and a crashed node)."""
    c = Cluster(mode=mode, nodes=nodes, seed=seed)
    c.run_for(600)
    c.watch(every_ms=25)
    w = Workload(c, clients=4, keys=6).start(ops=OPS)
    c.run_for(800)
    half = c.nodes[: nodes // 2]
    c.partition(half, c.nodes[nodes // 2:])
    c.run_for(800)
    c.heal()
    heal = c.now
    c.run_for(600)
    c.crash(c.nodes[-1])
    c.sim.run_until(lambda: w.issued >= OPS, timeout_ms=120_000)
    c.run_for(2500)   # let the last operations finish
    return c, heal


def timed(fn) -> float:
    samples = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000


def main() -> None:
    go.Figure()   # plotly's first-figure import cost is not a redraw
    curves = [("R=W=1", t_visibility(3, 1, 1, trials=20_000, seed=1)),
              ("R=2,W=1", t_visibility(3, 2, 1, trials=20_000, seed=1))]
    print(f"median ms per figure over {REPEATS} runs ({OPS}-op workload, partition, heal)")
    header = f"{'view':<34}" + "".join(f"{m + str(n):>9}" for m in ("cp", "ap")
                                       for n in (5, 9))
    print(header)
    results: dict[str, list[str]] = {}
    for mode in ("cp", "ap"):
        for nodes in (5, 9):
            c, heal = scenario(mode, nodes)
            frame = history_frame(c.history)
            print(f"  {mode}{nodes}: {len(frame)} ops, {len(c.sim.trace)} trace events")
            lin = check_linearizability(frame, max_steps=200_000)
            snaps = snapshots_frame(c)
            trace = c.sim.trace
            existing = go.Figure(cluster_graph(c, key="k1"))
            summary = summary_dict(frame)
            rows = {
                "cluster_graph(key=)": lambda: cluster_graph(c, key="k1"),
                "cluster_graph + update_figure": lambda: update_figure(
                    existing, cluster_graph(c, key="k1")),
                "replica_heatmap": lambda: replica_heatmap(c),
                "replica_table": lambda: replica_table(c),
                f"timeline ({len(frame)} ops)": lambda: timeline(frame, check_result=lin),
                "sequence_diagram (last 500 ms)": lambda: sequence_diagram(
                    trace, since_ms=c.now - 500),
                "divergence_curve": lambda: divergence_curve(snaps, heal_ms=heal,
                                                             nodes=c.nodes),
                "t_visibility_curve (2 curves)": lambda: t_visibility_curve(curves, p=0.99),
                "availability_consistency_bars": lambda: availability_consistency_bars(
                    summary, summary),
            }
            if mode == "ap":
                rows["ring_view(key=)"] = lambda: ring_view(c, key="k1")
            for name, fn in rows.items():
                label = name.split(" (")[0] if name.startswith("timeline") else name
                results.setdefault(label, []).append(f"{timed(fn):>9.1f}")
    for name, cells in results.items():
        cells = cells if len(cells) == 4 else ["        -"] * (4 - len(cells)) + cells
        print(f"{name:<34}" + "".join(cells))


if __name__ == "__main__":
    main()
