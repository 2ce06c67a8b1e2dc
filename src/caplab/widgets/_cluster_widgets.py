"""The controls of :class:`~caplab.widgets.ClusterPanel` (header, node buttons, partition
presets and free sides, the write/read form, time controls) and how they follow the cluster.

The controls come from what the system describes about itself (``backend.describe()``): the
mode dropdown lists :data:`caplab.kv.MODES`, node labels show each role's symbol, colour and
label, preset buttons are the description's presets and the form its per-call options. A
button only calls the panel's public methods (``crash``, ``partition_preset``, ``put`` ...).
"""

from __future__ import annotations

import html

import ipywidgets as w

from ._cluster_form import (form_options, option_groups, option_widgets, parse_option,
                            role_html)
from ._common import figure_widget, panel_style

__all__ = ["ClusterPanelWidgets", "PAST_NOTE"]

#: What the actions do while the panel shows the past (see ``_act``: back to live, then act).
PAST_NOTE = ("Any action (crash, partition, put, get, run) jumps back to live and acts on "
             "the live cluster; press live to return.")


def _plural(n: int, word: str, count: bool = False) -> str:
    """``word`` for one, ``word + "s"`` otherwise (with the number first if ``count``)."""
    text = word if n == 1 else word + "s"
    return f"{n} {text}" if count else text


def _small(widget, width: str, label_width: str):
    widget.layout.width = width
    widget.style.description_width = label_width
    return widget


class ClusterPanelWidgets:
    """The widget half of :class:`~caplab.widgets.ClusterPanel` (a mixin: it reads the panel's
    ``cluster``, ``log``, ``view_time``, ``status`` and calls its public methods)."""

    def _button(self, description, tooltip, action, **kwargs) -> w.Button:
        button = w.Button(description=description, tooltip=tooltip,
                          layout=w.Layout(width="auto"), **kwargs)
        guarded = self.status.guard(action)
        button.on_click(lambda _b: guarded())
        return button

    def _build_static_widgets(self) -> None:
        from ..kv import MODES
        g = self.status.guard
        modes = list(MODES)
        self.mode_box = _small(w.Dropdown(options=modes, value=modes[0], description="mode",
                                          tooltip="the system to build: " + ", ".join(modes)),
                               "150px", "48px")
        self.nodes_box = _small(w.IntText(value=5, description="nodes",
                                          tooltip="number of nodes"), "130px", "58px")
        self.seed_box = _small(w.IntText(value=1, description="seed", tooltip="the seed"),
                               "115px", "42px")
        self.new_button = self._button("New cluster", "build a fresh cluster from mode, nodes "
                                       "and seed", lambda: self.new_cluster(),
                                       button_style="primary")
        self.step_button = self._button("step", "run one simulation event", self.step)
        self.run_ms = _small(w.IntText(value=500, description="ms", tooltip="how long to run"),
                             "150px", "30px")
        self.run_button = self._button("run for", "run for the given simulated ms",
                                       lambda: self.run_for(self.run_ms.value))
        self.idle_button = self._button("run until stable", "run until nothing is pending "
                                        "and the cluster has settled (an election over)",
                                        self.run_until_stable)
        self.time_slider = _small(w.IntSlider(value=0, min=0, max=0, description="time (ms)",
                                              continuous_update=False,
                                              tooltip="scrub back in time"), "340px", "80px")
        self.time_slider.observe(g(self._on_slider), names="value")
        self.live_button = self._button("live", "show the live cluster again", self.live)
        self.live_button.layout.min_width = "70px"
        self.clock = w.HTML()
        self.past_banner = w.HTML(layout=w.Layout(display="none"))
        self.show_messages = w.Checkbox(value=False, description="show messages in the log",
                                        indent=False)
        self.show_messages.observe(g(lambda _c: self.refresh()), names="value")
        self._build_form_widgets()
        if getattr(self, "projector", False):
            self._scale_for_projector()
        self.log_box = w.HTML()
        self.summary_box = w.HTML()
        self.figures = {}
        self.preset_buttons = []
        self.preset_box = w.HBox(layout=w.Layout(flex_flow="row wrap"))
        self.nodes_area = w.HBox(layout=w.Layout(flex_flow="row wrap"))
        self.sides_area = w.VBox()

    def _scale_for_projector(self, factor: float = 1.6) -> None:
        """Widths and label widths for 24 px text, so no label is cut to "m..."."""
        def grow(size):
            return f"{int(int(size.rstrip('px')) * factor)}px" if size and size.endswith(
                "px") else size
        for box in (self.mode_box, self.nodes_box, self.seed_box, self.run_ms,
                    self.time_slider, self.client_box, self.key_box, self.value_box):
            box.layout.width = grow(box.layout.width)
            if getattr(box.style, "description_width", ""):
                box.style.description_width = grow(box.style.description_width)
        self.show_messages.layout.width = "auto"

    def _build_form_widgets(self) -> None:
        """The fields every system's form has (its own options come from ``describe()``)."""
        lay = dict(layout=w.Layout(width="200px"))
        self.client_box = w.Text(value="alice", description="client", tooltip="client name",
                                 **lay)
        self.key_box = w.Text(value=self.key, description="key", tooltip="key", **lay)
        self.value_box = w.Text(value="1", description="value", tooltip="value to write", **lay)
        self.put_button = self._button("put", "write value under key", self._put_from_form,
                                       button_style="success")
        self.get_button = self._button("get", "read key", self._get_from_form,
                                       button_style="info")
        self.result_box = w.HTML()
        self.options_area = w.VBox()
        self.near_area = w.HBox()

    def _build_cluster_widgets(self) -> None:
        """The controls that depend on the cluster: its nodes and its system's options."""
        nodes = self.cluster.nodes
        self.node_labels, self.node_buttons, rows = {}, {}, []
        for node in nodes:
            # A small card per node (its role above its button), three to a row: five nodes
            # take two rows, not five.
            card = 186 if self.projector else 126
            label = w.HTML(layout=w.Layout(width=f"{card - 2}px"))
            button = self._button(f"crash {node}", f"crash or restart node {node}",
                                  lambda n=node: self.toggle(n))
            button.layout.width = f"{card - 10}px"
            self.node_labels[node], self.node_buttons[node] = label, button
            rows.append(w.VBox([label, button], layout=w.Layout(width=f"{card}px")))
        self.nodes_area.children = tuple(rows)
        self.side_buttons = {}
        for i, node in enumerate(nodes):
            t = w.ToggleButtons(options=["A", "B"], value="A" if i < (len(nodes) - 1) // 2 + 1
                                else "B", description=node, tooltips=[f"{node} on side A",
                                                                      f"{node} on side B"],
                                style={"button_width": "34px", "description_width": "30px"})
            t.add_class("caplab-sides")    # the chosen side is drawn dark (PANEL_CSS)
            self.side_buttons[node] = t
        self.sides_apply = self._button("apply sides", "partition: side A | side B",
                                        self.apply_sides, button_style="warning")
        self.sides_area.children = tuple(self.side_buttons.values()) + (self.sides_apply,)
        self.near_box = w.Dropdown(options=nodes, value=nodes[0], description="near",
                                   tooltip="the node the client sits next to",
                                   layout=w.Layout(width="200px"))
        self.near_area.children = (self.near_box,)
        desc = self.description
        self.option_boxes = option_widgets(desc)
        self.options_area.children = option_groups(self.option_boxes, desc)
        self.preset_buttons = []
        self._sync_presets()
        if not self.figures:
            self._make_figures()

    # -- following the cluster -----------------------------------------------------------
    def _sync_nodes(self) -> None:
        roles = self.view.roles()
        desc = self.description
        live = self.cluster
        for node, label in self.node_labels.items():
            label.value = role_html(node, desc.role(roles.get(node, "?")))
            up = live.network.is_up(node)
            button = self.node_buttons[node]
            button.description = f"crash {node}" if up else f"restart {node}"
            button.button_style = "" if up else "danger"

    def _sync_slider(self) -> None:
        now = self.cluster.now
        self._syncing = True
        try:
            slider = self.time_slider
            if now > slider.max:
                slider.max = now
            slider.value = now if self.view_time is None else self.view_time
            if now < slider.max:
                slider.max = now
            slider.disabled = not self.log.can_replay
        finally:
            self._syncing = False
        where = "live" if self.view_time is None else f"viewing the past: {self.view_time} ms"
        self.clock.value = (f"<b>now {now} ms</b> · {where} · {len(self.log)} "
                            f"{_plural(len(self.log), 'action')} · "
                            f"{_plural(len(self.cluster.history), 'op', count=True)}")
        if self.view_time is None:
            self.past_banner.value = ""
            self.past_banner.layout.display = "none"
        else:
            self.past_banner.value = (
                "<div class='caplab-past' data-view-time='{t}'>⏪ <b>viewing the past: t = {t} ms"
                "</b> (live is at {now} ms). {note}</div>").format(
                    t=self.view_time, now=now, note=html.escape(PAST_NOTE))
            self.past_banner.layout.display = None

    def _sync_presets(self) -> None:
        labels = list(self.presets())
        if [b.description for b in self.preset_buttons] == labels:
            return
        self.preset_buttons = [self._button(label, f"partition preset: {label}",
                                            lambda lb=label: self.partition_preset(lb))
                               for label in labels]
        self.preset_box.children = tuple(self.preset_buttons)

    # -- form and slider callbacks ---------------------------------------------------------
    def _form_options(self, op: str) -> dict:
        return form_options(self.option_boxes, self.description, op)

    def _put_from_form(self) -> None:
        value = parse_option(self.value_box.value)
        value = self.value_box.value if value is None else value
        result = self.put(self.key_box.value, value, client=self.client_box.value,
                          near=self.near_box.value, **self._form_options("put"))
        if isinstance(value, int) and result.ok:
            self.value_box.value = str(value + 1)   # the next write is a new value
        self._status_after(result)

    def _get_from_form(self) -> None:
        result = self.get(self.key_box.value, client=self.client_box.value,
                          near=self.near_box.value, **self._form_options("get"))
        self._status_after(result)

    def _status_after(self, result) -> None:
        note = f" ({self.client_note})" if self.client_note else ""
        self.status.info(f"{result.op} {result.key!r} → {result.outcome}{note}")

    def _on_slider(self, change) -> None:
        if self._syncing:
            return
        t = change["new"]
        if t >= self.cluster.now:
            self.live()
        else:
            self.scrub_to(t)

    # -- layout ----------------------------------------------------------------------------
    def _make_figures(self) -> None:
        self._history_signature = self._heat_signature = None
        built = self.figures_built()
        self.figures = {name: figure_widget(self._sized(built[name]))
                        for name in ("graph", "heatmap", "timeline", "sequence")}

    def _time_controls(self) -> w.VBox:
        """Run, step and scrub: always visible, at the top of the controls."""
        return w.VBox([w.HBox([self.step_button, self.run_ms, self.run_button,
                               self.idle_button], layout=w.Layout(flex_flow="row wrap")),
                       w.HBox([self.time_slider, self.live_button]), self.clock])

    def _controls(self) -> w.VBox:
        """The left column: header, status, time, then the faults and the write/read form
        as tabs (one screen at 1366x768 instead of 2.6)."""
        header = w.HBox([self.mode_box, self.nodes_box, self.seed_box, self.new_button],
                        layout=w.Layout(flex_flow="row wrap", align_items="center"))
        header.add_class("caplab-header")
        faults = w.VBox([self.nodes_area, self.preset_box])
        form = w.VBox([w.HBox([self.client_box, self.near_area]),
                       w.HBox([self.key_box, self.value_box]),
                       self.options_area, w.HBox([self.put_button, self.get_button]),
                       self.result_box])
        # Free sides are a second tab: the presets cover the common splits.
        self.control_tabs = w.Tab(children=[faults, self.sides_area, form],
                                  titles=["Faults", "Free sides", "Write / read"])
        width = "620px" if self.projector else "440px"
        box = w.VBox([header, self.status.widget, self._time_controls(), self.control_tabs],
                     layout=w.Layout(width=width, min_width=width))
        box.add_class("caplab-controls")
        return box

    def _layout(self) -> w.VBox:
        def section(title, *children):
            return w.VBox([w.HTML(f"<h3>{title}</h3>"), *children],
                          layout=w.Layout(width="50%"))

        f = self.figures
        for fig in f.values():
            fig.layout.autosize = True
        f["graph"].add_class("caplab-graph")
        # The timeline is the first tab: the graph and the timeline show together, beside the
        # controls; messages and replicas are a click away.
        self.view_tabs = w.Tab(children=[f["timeline"], f["sequence"], f["heatmap"]],
                               titles=["Timeline", "Messages", "Replicas"])
        self.view_tabs.add_class("caplab-views")
        self.view_tabs.observe(self.status.guard(self._on_view_tab), names="selected_index")
        if self.projector:
            # Projector: graph and views side by side, so the ring uses the width.
            views = w.HBox([w.VBox([f["graph"]], layout=w.Layout(flex="1 1 0")),
                            w.VBox([self.view_tabs], layout=w.Layout(flex="1 1 0"))],
                           layout=w.Layout(width="100%"))
        else:
            views = w.VBox([f["graph"], self.view_tabs])
        graphs = w.VBox([self.past_banner, views],
                        layout=w.Layout(flex="1 1 0", min_width="420px", width="100%"))
        top = w.HBox([self._controls(), graphs], layout=w.Layout(width="100%"))
        bottom = w.HBox([section("Event log", self.show_messages, self.log_box),
                         section("Checkers", self.summary_box)],
                        layout=w.Layout(width="100%"))
        root = w.VBox([panel_style(), top, bottom])
        root.add_class("caplab-panel")
        if self.projector:
            root.add_class("caplab-projector")
        return root
