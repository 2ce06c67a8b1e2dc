"""Benchmark: the step-through views at 1x and 10x the work.

Run: .venv/bin/python benchmarks/bench_replay_views.py

For a 5-member replica set under a random nemesis with a workload (1x: 4 s of faults, 10x:
40 s): how long the trace replay (``Timeline.of`` and ``moments`` for 500 evenly spaced
frames) takes, and one RaftScope frame (data, figure and the in-place copy into a
FigureWidget, as ``MessageAnimation`` redraws). For the counterexample: the walk the
linearizability result now carries (one model step per operation of the prefix) and one
stepper frame. Wall-clock time is measured here only; medians of a few repeats, in ms. The
trace replay should grow about linearly with the trace; a frame should not grow at all.
"""

from __future__ import annotations

import statistics
import time

import plotly.graph_objects as go

from caplab.check import check_linearizability
from caplab.kv import Cluster
from caplab.kv.timeline_state import Timeline
from caplab.kv.workload import Workload
from caplab.viz import update_figure
from caplab.viz.counterexample import counterexample, counterexample_data
from caplab.viz.raftscope import raftscope, raftscope_data

REPEATS = 5


def _median_ms(fn, repeats=REPEATS) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append(1000 * (time.perf_counter() - started))
    return statistics.median(times)


def _run(scale: int) -> Cluster:
    c = Cluster(mode="cp", nodes=5, seed=3)
    c.run_for(1500)
    c.nemesis(duration_ms=4000 * scale, faults=("partition", "isolate", "crash"),
              fault_ms=(400, 1200), mean_gap_ms=400)
    Workload(c, clients=4, keys=2, read_fraction=0.5, mean_think_ms=20,
             put_options={"w": 1}).run(duration_ms=4000 * scale)
    c.heal()
    c.run_for(1000)
    return c


def main() -> None:
    for scale in (1, 10):
        c = _run(scale)
        times = list(range(0, c.now, max(1, c.now // 500)))[:500]
        replay = _median_ms(lambda: Timeline.of(c).moments(times), repeats=3)
        tl = Timeline.of(c)
        moment = tl.at(c.now // 2)
        widget = go.FigureWidget(raftscope(tl, 0))
        frame = _median_ms(lambda: update_figure(widget, raftscope(
            None, data=raftscope_data(moment, tl.nodes), faults=[])))
        result = check_linearizability(c.history)
        check = _median_ms(lambda: check_linearizability(c.history), repeats=3)
        history = c.history.records()
        stepper = _median_ms(lambda: counterexample(None, result, data=counterexample_data(
            history, result)))
        print(f"{scale:>2}x: {len(c.sim.trace):>7,} trace events, {len(c.history):>5} ops | "
              f"replay 500 frames {replay:7.1f} ms | one RaftScope frame {frame:5.1f} ms | "
              f"check {check:7.1f} ms ({result.verdict}, prefix {len(result.prefix)}) | "
              f"one stepper frame {stepper:5.1f} ms")


if __name__ == "__main__":
    main()
