"""Panel latency: wall time from a widget action (a button click) to every figure redrawn in
place, in-process, for 5 and 9 nodes with a history of a few hundred operations.

Target: well under 100 ms per action (issue 6; ../shared/DESIGN.md asks for panels "fast enough to feel live").
Run: ``.venv/bin/python benchmarks/bench_panels.py``
"""

from __future__ import annotations

import statistics
import time

from caplab.kv.workload import Workload
from caplab.widgets import ClusterPanel

REPEATS = 7


def panel_with_history(nodes: int) -> ClusterPanel:
    panel = ClusterPanel(mode="cp", nodes=nodes, seed=1)
    Workload(panel.cluster, clients=4, keys=3).run(duration_ms=3000)
    panel.refresh()
    return panel


def timed(action) -> float:
    start = time.perf_counter()
    action()
    return (time.perf_counter() - start) * 1000


def measure(nodes: int) -> dict[str, list[float]]:
    """Each action on a fresh panel (same seed, same history), repeated."""
    results: dict[str, list[float]] = {}
    actions = {
        "crash button": lambda p: p.node_buttons[p.cluster.nodes[1]].click(),
        "isolate primary": lambda p: p.preset_buttons[0].click(),
        "split preset": lambda p: p.preset_buttons[1].click(),
        "put (form)": lambda p: p.put_button.click(),
        "get (form)": lambda p: p.get_button.click(),
        "run for 500 ms": lambda p: p.run_button.click(),
        "scrub slider": lambda p: setattr(p.time_slider, "value", p.cluster.now // 2),
    }
    for _ in range(REPEATS):
        for name, action in actions.items():
            panel = panel_with_history(nodes)
            ms = timed(lambda: action(panel))
            assert panel.status.error is None, panel.status.text
            results.setdefault(name, []).append(ms)
    return results, len(panel.cluster.history)


def main() -> None:
    panel_with_history(5)   # warm up: first FigureWidget pays plotly's import cost
    print(f"{'nodes':>5}  {'ops':>4}  {'action':<17} {'median ms':>9} {'max ms':>7}")
    for nodes in (5, 9):
        results, ops = measure(nodes)
        for name, times in results.items():
            print(f"{nodes:>5}  {ops:>4}  {name:<17} {statistics.median(times):>9.1f} "
                  f"{max(times):>7.1f}")


if __name__ == "__main__":
    main()
