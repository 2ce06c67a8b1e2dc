"""``BusPanel``: a message bus to break by hand. Pick Kafka, RabbitMQ or NATS; start, stop and
crash consumers; crash and restart a broker; change ``acks`` or auto-commit (Kafka) or the
acknowledgement mode (RabbitMQ); produce a burst of order events; run for a while; and watch
the lost, duplicated and reordered counters and the bus's own view.

Only wiring: the actions are :class:`caplab.bus.playground.BusPlayground`'s, the view is
:func:`caplab.viz.bus.bus_view`, the counters come from the bus checkers.
"""

from __future__ import annotations

import html

import ipywidgets as ipw

from ._common import Panel, Status, figure_widget, panel_style, redraw

__all__ = ["BusPanel"]

_BUS_LABELS = {"Kafka": "kafka", "RabbitMQ": "rabbit", "NATS": "nats"}


class BusPanel(Panel):
    """The panel of one bus playground.

    Args:
        bus: ``"kafka"``, ``"rabbit"`` or ``"nats"``. seed: the seed.

    Example:
        >>> BusPanel("kafka", seed=1)   # doctest: +SKIP
    """

    def __init__(self, bus: str = "kafka", *, seed: int = 1) -> None:
        from ..bus.playground import BusPlayground
        self.status = Status()
        self.seed = seed
        self._syncing = False
        self.playground = BusPlayground(bus, seed=seed)
        lay = ipw.Layout(width="auto")
        self.bus_box = ipw.ToggleButtons(options=list(_BUS_LABELS), description="bus",
                                         value=_label(bus))
        self.bus_box.add_class("caplab-sides")
        self.burst_button = ipw.Button(description="produce 10", layout=lay)
        self.run_button = ipw.Button(description="run 300 ms", layout=lay)
        self.start_button = ipw.Button(description="start consumer", layout=lay)
        self.consumer_box = ipw.Dropdown(description="consumer", layout=ipw.Layout(width="220px"))
        self.stop_button = ipw.Button(description="stop", layout=lay)
        self.crash_consumer_button = ipw.Button(description="crash", layout=lay)
        self.restart_consumer_button = ipw.Button(description="restart", layout=lay)
        self.broker_box = ipw.Dropdown(description="broker", layout=ipw.Layout(width="200px"))
        self.crash_broker_button = ipw.Button(description="crash broker", layout=lay)
        self.restart_broker_button = ipw.Button(description="restart broker", layout=lay)
        self.acks_box = ipw.Dropdown(options=[("acks=0", 0), ("acks=1", 1), ("acks=all", "all")],
                                     description="producer", layout=ipw.Layout(width="260px"))
        self.auto_box = ipw.Checkbox(description="", indent=False,
                                     style={"description_width": "initial"},
                                     layout=ipw.Layout(width="auto"))
        self.counters = ipw.HTML()
        self.options_row = ipw.HBox([])
        g = self.status.guard
        self.bus_box.observe(g(self._on_bus), names="value")
        self.burst_button.on_click(g(lambda _: self._act(self.playground.produce_burst, 10)))
        self.run_button.on_click(g(lambda _: self._act(self.playground.run_for, 300)))
        self.start_button.on_click(g(lambda _: self._act(self.playground.start_consumer)))
        for button, action in ((self.stop_button, "stop_consumer"),
                               (self.crash_consumer_button, "crash_consumer"),
                               (self.restart_consumer_button, "restart_consumer")):
            button.on_click(g(lambda _, a=action: self._act(getattr(self.playground, a),
                                                            self.consumer_box.value)))
        for button, action in ((self.crash_broker_button, "crash_broker"),
                               (self.restart_broker_button, "restart_broker")):
            button.on_click(g(lambda _, a=action: self._act(getattr(self.playground, a),
                                                            self.broker_box.value)))
        self.acks_box.observe(g(lambda c: self._set("acks", c["new"])), names="value")
        self.auto_box.observe(g(lambda c: self._set(self._auto_name(), c["new"])),
                              names="value")
        self.figure = None
        self.refresh()
        self._root = ipw.VBox([
            panel_style(), ipw.HTML("<h3>Message bus: lose, duplicate, reorder</h3>"),
            self.bus_box, self.options_row,
            ipw.HBox([self.burst_button, self.run_button, self.start_button]),
            ipw.HBox([self.consumer_box, self.stop_button, self.crash_consumer_button,
                      self.restart_consumer_button]),
            ipw.HBox([self.broker_box, self.crash_broker_button, self.restart_broker_button]),
            self.counters, self.status.widget,
            ipw.VBox([self.figure], layout=ipw.Layout(width="100%"))],
            layout=ipw.Layout(width="100%"))
        self._root.add_class("caplab-panel")

    # -- wiring -----------------------------------------------------------------------------------
    def _act(self, fn, *args) -> None:
        result = fn(*args)
        self.refresh()
        name = fn.__name__.replace("_", " ")
        self.status.info(f"{name} {' '.join(map(str, args))}".strip()
                         + (f": {result}" if isinstance(result, str) else "")
                         + f" (t = {self.playground.now} ms)")

    def _on_bus(self, change) -> None:
        if not self._syncing:
            self.switch(_BUS_LABELS[change["new"]])

    def _set(self, name: str, value) -> None:
        if self._syncing:
            return
        self.playground.set_option(name, value)
        self.status.info(f"{name} = {value!r}" + ("" if name == "acks" else
                                                 " for consumers started from now on"))

    def _auto_name(self) -> str:
        return "auto_commit" if self.playground.bus == "kafka" else "auto_ack"

    def switch(self, bus: str) -> None:
        """Start over with a fresh playground of ``bus`` (same seed)."""
        from ..bus.playground import BusPlayground
        self.playground = BusPlayground(bus, seed=self.seed)
        self.refresh()
        self.status.info(f"a fresh {bus} bus (seed {self.seed})")

    def refresh(self) -> None:
        """Redraw the counters, the choices and the bus view from the playground's state."""
        from ..viz.bus import bus_view
        p = self.playground
        self._syncing = True
        try:
            self.bus_box.value = _label(p.bus)
            consumers = sorted(p.consumers, key=lambda n: int(n[1:]))
            self.consumer_box.options = consumers
            if consumers and self.consumer_box.value not in consumers:
                self.consumer_box.value = consumers[0]
            self.broker_box.options = p.brokers
            if self.broker_box.value not in p.brokers:
                self.broker_box.value = p.brokers[0]
            settings = p.settings
            row = []
            if "acks" in settings:
                self.acks_box.value = settings["acks"]
                row.append(self.acks_box)
            if self._auto_name() in settings:
                self.auto_box.value = settings[self._auto_name()]
                self.auto_box.description = ("auto-commit (commit before processing)"
                                             if p.bus == "kafka" else
                                             "automatic acknowledgement")
                row.append(self.auto_box)
            if not row:
                row.append(ipw.HTML("<i>core NATS: nothing to configure, at-most-once</i>"))
            self.options_row.children = row
        finally:
            self._syncing = False
        c = p.counters()
        roles = p.roles()
        down = [n for n, r in roles.items() if r == "down"]
        cells = "".join(f"<td data-counter='{k}'><b>{v}</b><br>{html.escape(k)}</td>"
                        for k, v in c.items())
        self.counters.value = (f"<table class='caplab-table'><tr>{cells}</tr></table>"
                               f"<div>t = {p.now} ms · down: "
                               f"{html.escape(', '.join(down) or 'nobody')}</div>")
        fig = bus_view(p.snapshot())
        if self.figure is None:
            self.figure = figure_widget(fig)
        else:
            redraw(self.figure, fig)

    def _figure_widgets(self):
        return [self.figure] if self.figure is not None else []


def _label(bus: str) -> str:
    return next(k for k, v in _BUS_LABELS.items() if v == bus)
