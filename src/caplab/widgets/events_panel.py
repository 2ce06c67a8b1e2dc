"""``EventsPanel``: crash a service of the event shop between its database write and its
publish, with and without the transactional outbox, and read the result.

Wiring only: the buttons call :class:`caplab.events.EventShop` (``crash_at``, ``command``,
``restart``, ``settle``); the views are :func:`caplab.viz.events.event_flow` and
:func:`caplab.viz.events.event_table` of :mod:`caplab.events.report`'s data; the verdicts are
those of :mod:`caplab.events.check` (lost event / phantom event / consistent).
"""

from __future__ import annotations

import html

import ipywidgets as ipw

from ._common import Panel, Status, figure_widget, panel_style, redraw

__all__ = ["EventsPanel"]

_COLOURS = {"consistent": "#007a4d", "lost event": "#c0392b", "phantom event": "#c0392b",
            "inconsistent": "#c0392b"}


class EventsPanel(Panel):
    """The dual-write problem by hand: a publish mode, a service to crash, a crash point.

    Args:
        seed: the seed of every shop the panel builds.
        publish: the publish mode to start with (see
            :data:`caplab.events.service.PUBLISH_MODES`).
        service: the service to crash (not ``orders``, which takes the commands).

    Raises:
        UnknownNameError: an unknown publish mode or service, named.

    Example:
        >>> p = EventsPanel(seed=1, publish="after_commit")     # doctest: +SKIP
        >>> p.scenario(); p.verdict                              # doctest: +SKIP
        'lost event'
    """

    def __init__(self, *, seed: int = 1, publish: str = "outbox",
                 service: str = "payments") -> None:
        from ..events.flow import SERVICES
        from ..events.service import CRASH_POINTS, PUBLISH_MODES
        from ..errors import UnknownNameError
        crashable = [s for s in SERVICES if s != "orders"]
        if publish not in PUBLISH_MODES:
            raise UnknownNameError("publish mode", publish, list(PUBLISH_MODES))
        if service not in crashable:
            raise UnknownNameError("service", service, crashable)
        self.seed = seed
        self.status = Status()
        self.shop = None
        self.orders = 0
        self.verdict: str | None = None
        self.verdicts: dict[str, str] = {}
        style = {"description_width": "90px"}
        self.publish_box = ipw.Dropdown(options=list(PUBLISH_MODES), value=publish,
                                        description="publish", style=style)
        self.service_box = ipw.Dropdown(options=crashable, value=service,
                                        description="crash", style=style)
        self.point_box = ipw.Dropdown(options=["between write and publish", *CRASH_POINTS],
                                      value="between write and publish", description="at",
                                      style=style, layout=ipw.Layout(width="420px"))
        self.buttons = {}
        for name, fn in (("new shop", self.new_shop), ("arm crash", self.arm),
                         ("place order", self.place), ("restart", self.restart),
                         ("settle", self.settle), ("run the story", self.scenario)):
            b = ipw.Button(description=name, button_style="primary" if name == "run the story"
                           else "")
            b.on_click(self.status.guard(lambda _b, fn=fn: fn()))
            self.buttons[name] = b
        self.publish_box.observe(self.status.guard(lambda _c: self.new_shop()), names="value")
        self.verdict_box = ipw.HTML()
        self.figures = {"flow": None, "table": None}
        self.new_shop()
        root = ipw.VBox([
            panel_style(),
            ipw.HTML("<h3>Events: crash a service between its write and its publish</h3>"),
            ipw.HBox([self.publish_box, self.service_box, self.point_box]),
            ipw.HBox(list(self.buttons.values())),
            self.status.widget, self.verdict_box,
            ipw.VBox([self.figures["flow"]], layout=ipw.Layout(width="100%")),
            ipw.VBox([self.figures["table"]], layout=ipw.Layout(width="100%"))],
            layout=ipw.Layout(width="100%"))
        root.add_class("caplab-panel")
        self._root = root

    # -- actions ---------------------------------------------------------------------------
    def new_shop(self) -> None:
        """A fresh shop with the chosen publish mode (same seed, same story)."""
        from ..events import EventShop
        self.shop = EventShop(seed=self.seed, publish=self.publish_box.value)
        self.orders = 0
        self.status.info(f"new shop, publishing with {self.publish_box.value!r}")
        self.update()

    def point(self) -> str:
        """The crash point chosen (``between write and publish`` follows the publish mode)."""
        from ..events.service import BETWEEN_WRITE_AND_PUBLISH
        if self.point_box.value == "between write and publish":
            return BETWEEN_WRITE_AND_PUBLISH[self.shop.services["orders"].publish_mode]
        return self.point_box.value

    def arm(self) -> None:
        """Crash the chosen service the next time it reaches the chosen point."""
        service, point = self.service_box.value, self.point()
        self.shop.crash_at(service, point)
        self.status.info(f"{service} will crash at {point}")

    def place(self) -> None:
        """Place the next order (``o1``, ``o2`` ...) and run 100 ms."""
        self.orders += 1
        oid = f"o{self.orders}"
        self.shop.command("place", oid, customer="ann", amount=30, address="1 Main St",
                          items=["red shoes"])
        self.shop.run_for(100)
        down = [s for s, svc in self.shop.services.items() if not svc.up]
        self.status.info(f"placed {oid}" + (f"; down: {', '.join(down)}" if down else ""))
        self.update()

    def restart(self) -> None:
        """Restart every crashed service."""
        down = [s for s, svc in self.shop.services.items() if not svc.up]
        for name in down:
            self.shop.restart(name)
        self.status.info(f"restarted {', '.join(down)}" if down else "nothing is down")
        self.update()

    def settle(self) -> None:
        """Run until every outbox is sent and every consumer caught up (at most 1.5 s)."""
        took = self.shop.settle(max_ms=1500)
        self.status.info(f"ran {took} ms; t = {self.shop.now} ms")
        self.update()

    def scenario(self) -> str:
        """The whole story: a new shop, arm the crash, place an order, restart, settle.

        Returns:
            the verdict (``"lost event"``, ``"phantom event"`` or ``"consistent"``).
        """
        self.new_shop()
        self.arm()
        self.place()
        self.restart()
        self.settle()
        return self.verdict

    # -- views -----------------------------------------------------------------------------
    def update(self) -> None:
        """Recompute the verdicts and redraw the flow and the log."""
        from ..events.check import (check_delivery, check_read_models, check_saga,
                                    delivery_verdict)
        from ..events.report import event_rows, flow_edges
        from ..viz.events import event_flow, event_table
        delivery = check_delivery(self.shop)
        self.verdict = delivery_verdict(delivery)[0]
        results = [delivery, check_saga(self.shop), check_read_models(self.shop)]
        self.verdicts = {r.checker: r.explain().splitlines()[0] for r in results}
        colour = _COLOURS.get(self.verdict, "#b36b00")
        lines = "".join(f"<li>{html.escape(line)}</li>" for line in self.verdicts.values())
        reasons = "".join(f"<li>{html.escape(r)}</li>" for r in delivery.reasons[:4])
        self.verdict_box.value = (
            f"<div style='font-size:18px'>verdict: <b data-verdict='{html.escape(self.verdict)}'"
            f" style='color:{colour}'>{html.escape(self.verdict)}</b><ul>{lines}</ul>"
            f"<ul style='color:#5c3700'>{reasons}</ul></div>")
        figs = {"flow": event_flow(flow_edges(self.shop),
                                   title=f"Event flow · publish {self.publish_box.value}"),
                "table": event_table(event_rows(self.shop))}
        for name, fig in figs.items():
            if self.figures[name] is None:
                self.figures[name] = figure_widget(fig)
            else:
                redraw(self.figures[name], fig)
