"""``MonitorPanel``: an operator's live dashboard of the shop (request rate, error rate, p50 and
p99 latency, queue length, instances, the breaker's state) whose series grow as the simulation
runs, with faults injected from the panel (a slow, failing or crashed instance, a partition,
the sale spike) or by a nemesis, drawn as bands behind the series.

Wiring only: :class:`caplab.services.live.LiveShop` runs the shop and returns the series,
:func:`caplab.viz.services.monitor_dashboard` draws them. Every action (run, inject, heal,
nemesis on or off) goes through an :class:`~caplab.widgets.replay.ActionLog` whose recipe
rebuilds the shop from its seed, so ``replay(panel.log, t)`` rebuilds what the panel showed at
``t`` (as :class:`~caplab.widgets.ClusterPanel` does).
"""

from __future__ import annotations

import html

import ipywidgets as ipw

from ._common import Panel, Status, figure_widget, panel_style, redraw
from .replay import ActionLog

__all__ = ["MonitorPanel"]


class MonitorPanel(Panel):
    """Run the shop in steps, inject faults, and watch the dashboard grow.

    Args:
        seed: the seed of the shop (same seed and same clicks, same dashboard).
        nemesis: start with the nemesis on (random faults on a seeded schedule).
        step_s: simulated seconds per "run" click and per tick of "play".
        rate_per_s: the shop's normal traffic.

    Example:
        >>> p = MonitorPanel(seed=1)                      # doctest: +SKIP
        >>> p.inject("crash", "all"); p.run(10)            # doctest: +SKIP
    """

    def __init__(self, *, seed: int = 1, nemesis: bool = False, step_s: int = 5,
                 rate_per_s: float = 20.0) -> None:
        from ..services.live import FAULTS, LiveShop
        from ..viz.services import monitor_dashboard
        self._draw = monitor_dashboard

        def recipe():
            return LiveShop(seed=seed, rate_per_s=rate_per_s, nemesis=nemesis)

        self.shop = recipe()            # raises ConfigError before any widget exists
        self.log = ActionLog(recipe)
        self.step_s = step_s
        self.status = Status()
        style = {"description_width": "70px"}
        self.run_button = ipw.Button(description=f"run {step_s} s", button_style="primary")
        self.play = ipw.Play(value=0, min=0, max=10 ** 6, step=1, interval=800,
                             description="play")
        self.fault_box = ipw.Dropdown(options=list(FAULTS), value="crash",
                                      description="fault", style=style)
        self.target_box = ipw.Dropdown(description="on", style=style)
        self.inject_button = ipw.Button(description="inject", button_style="danger")
        self.heal_button = ipw.Button(description="heal all", button_style="success")
        self.nemesis_box = ipw.Checkbox(value=nemesis, description="nemesis", indent=False)
        self.readout = ipw.HTML()
        guard = self.status.guard
        self.run_button.on_click(guard(lambda _: self.run()))
        self.play.observe(guard(lambda change: self.run()), names="value")
        self.inject_button.on_click(guard(lambda _: self.inject(self.fault_box.value,
                                                                self.target_box.value)))
        self.heal_button.on_click(guard(lambda _: self.heal()))
        self.nemesis_box.observe(guard(lambda change: self.set_nemesis(change["new"])),
                                 names="value")
        self.series = self.shop.series()
        self.figure = figure_widget(self._draw(self.series))
        self._refresh()
        controls = ipw.HBox([self.run_button, self.play, self.fault_box, self.target_box,
                             self.inject_button, self.heal_button, self.nemesis_box],
                            layout=ipw.Layout(flex_flow="row wrap"))
        root = ipw.VBox([panel_style(), ipw.HTML("<h3>Live monitoring: the shop</h3>"),
                         controls, self.readout, self.status.widget,
                         ipw.VBox([self.figure], layout=ipw.Layout(width="100%"))],
                        layout=ipw.Layout(width="100%"))
        root.add_class("caplab-panel")
        self._root = root

    # -- actions (the buttons call these; so can a notebook) -------------------------------
    def run(self, seconds: int | None = None) -> dict:
        """Advance ``seconds`` (default ``step_s``) of simulated time and redraw; returns the
        series."""
        seconds = self.step_s if seconds is None else seconds
        self.series = self.log.do(self.shop, "run_for", int(seconds * 1000))
        redraw(self.figure, self._draw(self.series))
        self._refresh()
        self.status.info(f"ran to {self.shop.now / 1000:g} s")
        return self.series

    def inject(self, fault: str, target: str | None = None) -> str:
        """Inject ``fault`` on ``target`` (a sale instance, ``"all"``, or None: the first);
        its band starts now. Returns its label."""
        label = self.log.do(self.shop, "inject", fault, target)
        self._refresh()
        self.status.info(f"injected at {self.shop.now / 1000:g} s: {label}")
        return label

    def heal(self) -> None:
        """End every fault (restart, heal the network, make instances healthy)."""
        self.log.do(self.shop, "heal")
        self._refresh()
        self.status.info(f"healed at {self.shop.now / 1000:g} s")

    def set_nemesis(self, on: bool) -> None:
        """Turn the nemesis on or off."""
        on = bool(on)
        if self.shop.nemesis_on != on:      # the checkbox echoes a call: log it once
            self.log.do(self.shop, "set_nemesis", on)
        if self.nemesis_box.value != on:
            self.nemesis_box.value = on
        self.status.info(f"nemesis {'on' if on else 'off'}")

    # -- display ---------------------------------------------------------------------------
    def _refresh(self) -> None:
        targets = [*self.shop.targets(), "all"]
        if list(self.target_box.options) != targets:
            keep = self.target_box.value if self.target_box.value in targets else targets[0]
            self.target_box.options = targets
            self.target_box.value = keep
        s = self.series
        last = (lambda key: s[key][-1] if s[key] else None)
        faults = [label for _, end, label in self.shop.deployment.faults if end is None]
        now = self.shop.now
        cells = [("time", f"{now / 1000:g} s"), ("requests/s", last("request_rate")),
                 ("errors", None if last("error_rate") is None
                  else f"{100 * last('error_rate'):.0f}%"),
                 ("p99", None if last("p99_ms") is None else f"{last('p99_ms')} ms"),
                 ("instances", last("instances")), ("breaker", last("breaker")),
                 ("faults", ", ".join(faults) or "none")]
        body = " · ".join(f"{name} <b>{html.escape(str('-' if v is None else v))}</b>"
                          for name, v in cells)
        self.readout.value = (f"<div class='caplab-monitor' data-now-ms='{now}' "
                              f"data-windows='{len(s['t_ms'])}' "
                              f"data-breaker='{html.escape(str(last('breaker')))}' "
                              f"style='font-size:16px;padding:4px 0'>{body}</div>")

    def _figure_widgets(self):
        return [self.figure]
