"""``SideBySidePanel``: the same seeded workload and the same fault schedule on a CP replica set
and an AP ring, with availability and consistency next to each other.

Faults covered: isolating the (CP) primary, a minority | majority split with the primary in the
minority, crashing the primary, or none. The schedule names nodes, so both clusters get exactly
the same faults at the same simulated times; the node is the one the CP cluster elected.
"""

from __future__ import annotations

import html

import ipywidgets as w

from ..errors import ConfigError
from ._common import Panel, Status, figure_widget, panel_style, redraw
from ..frames import history_frame

__all__ = ["SideBySidePanel", "CompareAndContrast", "FAULT_PRESETS"]

#: Fault presets of the comparison (the dropdown's choices).
FAULT_PRESETS = ("split minority|majority", "isolate primary", "crash primary", "none")


def fault_schedule(fault: str, nodes: list[str], primary: str | None, start_ms: int,
                   end_ms: int) -> list[tuple]:
    """The scripted nemesis steps of a preset: the fault at ``start_ms``, undone at ``end_ms``.

    Raises:
        ConfigError: an unknown preset.
    """
    if fault not in FAULT_PRESETS:
        raise ConfigError(f"unknown fault preset {fault!r}; allowed: "
                          + ", ".join(repr(f) for f in FAULT_PRESETS))
    target = primary or nodes[0]
    if fault == "isolate primary":
        return [(start_ms, "isolate", target), (end_ms, "heal")]
    if fault == "split minority|majority":
        m = max(1, (len(nodes) - 1) // 2)
        start = nodes.index(target)
        order = nodes[start:] + nodes[:start]
        minority = [n for n in nodes if n in order[:m]]
        majority = [n for n in nodes if n not in minority]
        if not majority:
            raise ConfigError(f"a split needs at least 2 nodes, the cluster has {len(nodes)}")
        return [(start_ms, "partition", minority, majority), (end_ms, "heal")]
    if fault == "crash primary":
        return [(start_ms, "crash", target), (end_ms, "restart", target)]
    return []


def fault_window(schedule: list[tuple]) -> tuple[int, int] | None:
    """``(first fault ms, heal ms)`` of a schedule from :func:`fault_schedule`; None when there
    is no fault. Without a heal step the window ends at the last step."""
    faults = [step[0] for step in schedule if step[1] not in ("heal", "restart")]
    if not faults:
        return None
    start = min(faults)
    heals = [step[0] for step in schedule if step[1] in ("heal", "restart") and step[0] > start]
    end = min(heals) if heals else max(step[0] for step in schedule)
    return (start, end) if end > start else None


class SideBySidePanel(Panel):
    """CP and AP under the same workload and faults: who stayed available, who stayed right.

    Args:
        seed: the one seed of both clusters and of the workload.
        nodes: how many nodes each cluster has.
        clients: how many workload clients (placed round-robin near the nodes).
        keys: how many keys they read and write.
        duration_ms: how long the workload runs; the fault covers its middle half (3 s by
            default: long enough for the majority side to elect a primary, about 1 s, and
            then keep working).
        fault: one of :data:`FAULT_PRESETS`.
        ap_consistency: the AP ring's consistency level for every operation (``"one"``,
            ``"quorum"``, ``"all"``); CP uses MongoDB's defaults (w: majority, primary reads).
        run: run once at construction, so the panel shows results at once.
        projector: text of at least 24 px (figures and controls), for a projector.

    Example:
        >>> SideBySidePanel(seed=1, nodes=5, fault="isolate primary")   # doctest: +SKIP
    """

    warmup_ms = 1500
    settle_ms = 1500

    def __init__(self, *, seed: int = 1, nodes: int = 5, clients: int = 4, keys: int = 2,
                 duration_ms: int = 6000, fault: str = "split minority|majority",
                 ap_consistency: str = "one", run: bool = True, projector: bool = False) -> None:
        self.status = Status()
        self.projector = bool(projector)
        self.clients = clients
        self.keys = keys
        self.cp = self.ap = None
        self.summaries: dict = {}
        self.schedule: list = []
        style = {"description_width": "130px"}
        lay = w.Layout(width="280px")
        self.seed_box = w.IntText(value=seed, description="seed", style=style, layout=lay)
        self.nodes_box = w.IntText(value=nodes, description="nodes", style=style, layout=lay)
        self.fault_box = w.Dropdown(options=FAULT_PRESETS, value=fault, description="fault",
                                    style=style, layout=w.Layout(width="380px"))
        self.duration_box = w.IntText(value=duration_ms, description="duration (ms)",
                                      style=style, layout=lay)
        self.level_box = w.Dropdown(options=["one", "quorum", "all"], value=ap_consistency,
                                    description="AP consistency", style=style, layout=lay)
        self.run_button = w.Button(description="run CP vs AP", button_style="primary",
                                   tooltip="run the same workload and faults on both clusters",
                                   layout=w.Layout(width="auto"))
        guarded = self.status.guard(self.run)
        self.run_button.on_click(lambda _b: guarded())
        self.verdicts = w.HTML()
        self.schedule_box = w.HTML()
        from ..viz import availability_consistency_bars, timeline
        self.figures = {"bars": figure_widget(availability_consistency_bars({}, {})),
                        "cp_timeline": figure_widget(timeline([])),
                        "ap_timeline": figure_widget(timeline([]))}
        self._root = self._layout()
        if run:
            self.run()

    def run(self, **settings) -> dict:
        """Run both clusters; ``settings`` (seed, nodes, fault, duration_ms, ap_consistency)
        override the panel's fields and are written back to them.

        Returns:
            ``{"CP": summary, "AP": summary}`` (dicts of :meth:`caplab.check.Summary.as_dict`).

        Raises:
            ConfigError: a bad setting (nothing is changed).
        """
        from ..kv import Cluster
        from ..kv.workload import Workload
        boxes = {"seed": self.seed_box, "nodes": self.nodes_box, "fault": self.fault_box,
                 "duration_ms": self.duration_box, "ap_consistency": self.level_box}
        for name in settings:
            if name not in boxes:
                raise ConfigError(f"unknown setting {name!r}; allowed: {', '.join(boxes)}")
        values = {name: settings.get(name, box.value) for name, box in boxes.items()}
        duration = values["duration_ms"]
        if isinstance(duration, bool) or not isinstance(duration, int) or duration < 100:
            raise ConfigError(f"duration_ms must be a whole number of ms >= 100, got "
                              f"{duration!r}")
        cp = Cluster(mode="cp", nodes=values["nodes"], seed=values["seed"])
        ap = Cluster(mode="ap", nodes=values["nodes"], seed=values["seed"])
        level = values["ap_consistency"]
        # Validate every option before anything runs, so a bad value changes nothing.
        ap.backend.driver.validate_options("put", {"consistency": level})
        for c in (cp, ap):
            c.run_for(self.warmup_ms)
        start = cp.now
        schedule = fault_schedule(values["fault"], cp.nodes, cp.primary,
                                  start + duration // 4, start + 3 * duration // 4)
        for c, opts in ((cp, {}), (ap, {"consistency": level})):
            c.nemesis(schedule)
            Workload(c, clients=self.clients, keys=self.keys, put_options=opts,
                     get_options=opts).run(duration_ms=duration)
            c.heal()
            c.run_for(self.settle_ms)
            # After healing, one strong read of every key: the lost-write check's final state.
            reader = c.client("final-reader", near=c.nodes[-1])
            strong = c.backend.describe().strong_read
            for i in range(1, self.keys + 1):
                reader.get(f"k{i}", **strong)
        self.cp, self.ap, self.schedule = cp, ap, schedule
        for name, box in boxes.items():
            if box.value != values[name]:
                box.value = values[name]
        self.refresh()
        self.status.info(f"ran {duration} ms of workload on both clusters (seed "
                         f"{values['seed']}, fault: {values['fault']})")
        return self.summaries

    def refresh(self) -> None:
        """Redraw the bars and both timelines in place."""
        from ..check import check_all
        from ..viz import availability_consistency_bars, timeline
        if self.cp is None:
            return
        # Per client, during the faults: a blocked CP client issues fewer operations, so the
        # share over all operations alone makes CP look as available as AP.
        window = fault_window(self.schedule)
        checked = {"CP": check_all(self.cp.history), "AP": check_all(self.ap.history)}
        self.summaries = {k: s.as_dict(window=window) for k, s in checked.items()}
        redraw(self.figures["bars"], self._sized(availability_consistency_bars(self.summaries)))
        for label, c in (("cp", self.cp), ("ap", self.ap)):
            frame = history_frame(c.history)
            fig = timeline(frame, check_result=checked[label.upper()]["linearizability"],
                           faults=c)
            fig.layout.title.text = f"{label.upper()}: {fig.layout.title.text}"
            redraw(self.figures[f"{label}_timeline"], self._sized(fig))
        rows = []
        for label, s in self.summaries.items():
            ops = s["ops"] or 1
            lin = {True: "linearizable", False: "NOT linearizable", None: "unknown"}[
                s["linearizable"]]
            worst = s.get("worst_client_ok_share")
            worst = ("–" if worst is None else
                     f"{100 * worst:.0f}% ({html.escape(str(s.get('worst_client')))})")
            rows.append(f"<tr><td><b>{label}</b></td><td>{s['ops']}</td>"
                        f"<td>{100 * s['ok'] / ops:.0f}%</td><td>{worst}</td>"
                        f"<td>{s['fail']}</td><td>{s['info']}</td><td>{s['stale_reads']}</td>"
                        f"<td>{s['lost_writes']}</td><td>{lin}</td></tr>")
        self.verdicts.value = ("<table class='caplab-table'><tr><th></th><th>ops done</th>"
                               "<th>ok</th><th>worst client during faults</th>"
                               "<th>failed</th><th>unknown</th><th>stale reads</th>"
                               "<th>lost writes</th><th>history</th></tr>" + "".join(rows)
                               + "</table>")

        def arg(a):   # a side of a partition is a list of names: "n4, n5", not "['n4', 'n5']"
            return ", ".join(map(str, a)) if isinstance(a, (list, tuple)) else str(a)

        steps = [f"{t} ms: {action} {' | '.join(arg(a) for a in args)}".rstrip()
                 for t, action, *args in self.schedule]
        self.schedule_box.value = ("<b>fault schedule (both clusters):</b> "
                                   + html.escape("; ".join(steps) or "no faults"))

    def _sized(self, fig):
        """In projector mode, text of at least 24 px."""
        if self.projector:
            from ._cluster_drawing import PROJECTOR_FONT_PX
            fig.layout.font.size = PROJECTOR_FONT_PX
            fig.layout.title.font.size = PROJECTOR_FONT_PX + 4
        return fig

    def _layout(self) -> w.VBox:
        f = self.figures
        controls = w.HBox([w.VBox([self.seed_box, self.nodes_box, self.duration_box]),
                           w.VBox([self.fault_box, self.level_box, self.run_button])],
                          layout=w.Layout(flex_flow="row wrap"))
        # Bars and table side by side only where both fit (the table scrolls rather than
        # being cut); at 1366 px they stack, so the bars' panel titles keep their room.
        wide = "1 1 640px"
        results = w.HBox([w.VBox([f["bars"]], layout=w.Layout(flex=wide, min_width="640px")),
                          w.VBox([self.verdicts, self.schedule_box],
                                 layout=w.Layout(flex=wide, min_width="0",
                                                 padding="12px 12px", overflow="auto"))],
                         layout=w.Layout(width="100%", flex_flow="row wrap"))
        self.verdicts.add_class("caplab-verdicts")
        # Each timeline at least 760 px wide (its title is long): side by side on a wide
        # screen, one above the other on a laptop.
        timelines = w.HBox([w.VBox([f["cp_timeline"]], layout=w.Layout(flex="1 1 760px")),
                            w.VBox([f["ap_timeline"]], layout=w.Layout(flex="1 1 760px"))],
                           layout=w.Layout(width="100%", flex_flow="row wrap"))
        root = w.VBox([panel_style(), w.HTML("<h3>CP vs AP: same seed, same faults</h3>"),
                       controls, self.status.widget, results, timelines])
        root.add_class("caplab-panel")
        if self.projector:
            root.add_class("caplab-projector")
        return root



#: Another name for the same panel.
CompareAndContrast = SideBySidePanel
