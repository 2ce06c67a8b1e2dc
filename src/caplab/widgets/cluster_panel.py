"""``ClusterPanel``: one cluster you can crash, partition, write to, read from, run and rewind.

The panel holds no protocol logic and draws nothing itself: buttons call the panel's public
methods (``crash``, ``partition``, ``put``, ``run_for`` ...), which act on a
:class:`~caplab.kv.Cluster` and log the action; ``refresh`` redraws the views of
:mod:`caplab.viz` in place. Faults covered: crashes and restarts, partitions (presets and free
sides), and heal. Scrubbing the time slider rebuilds the state at an earlier time by replaying
the action log on a fresh cluster with the same seed (see :mod:`caplab.widgets.replay`).
"""

from __future__ import annotations

import html

import ipywidgets as w

from ..errors import ConfigError
from ._common import (Panel, Status, event_log_html, figure_widget, panel_style, redraw,
                      summary_html)
from .replay import ActionLog, replay

__all__ = ["ClusterPanel"]


def _plural(n: int, word: str, count: bool = False) -> str:
    """``word`` for one, ``word + "s"`` otherwise (with the number first if ``count``)."""
    text = word if n == 1 else word + "s"
    return f"{n} {text}" if count else text


_ROLE_COLOURS = {"primary": "#0072B2", "secondary": "#444444", "candidate": "#B36B00",
                 "replica": "#444444", "down": "#C0392B"}
_NONE = "default"
#: What the actions do while the panel shows the past (see ``_act``: back to live, then act).
_PAST_NOTE = ("Any action (crash, partition, put, get, run) jumps back to live and acts on "
              "the live cluster; press live to return.")
#: How a missing value is written (the cluster graph's labels should use the same sign).
NO_VALUE = "∅ (no value)"


def _parse_option(text):
    """A form field: '' or 'default' -> None (the cluster's default), digits -> int, else the
    text itself (the library then names what is allowed)."""
    if text is None:
        return None
    text = str(text).strip()
    if text in ("", _NONE):
        return None
    if text.lstrip("-").isdigit():
        return int(text)
    return text


class ClusterPanel(Panel):
    """A live panel for one cluster: faults, writes and reads, time, and every view.

    Args:
        cluster: an existing :class:`~caplab.kv.Cluster` to drive (it cannot be rewound: the
            panel does not know how it was built), or None to build one from the options below.
        mode: ``"cp"`` or ``"ap"``.
        nodes: how many nodes.
        seed: the seed (same seed and same actions, same history).
        key: the key whose values the cluster graph shows (and the form's default key).
        warmup_ms: simulated time to run a new cluster first (CP: until a primary is elected);
            None for 1500 ms in CP and 0 in AP.
        window_ms: how much recent time the message sequence diagram shows.
        timeline_ops: how many of the latest operations the timeline draws (the checkers
            always judge the whole history).
        log_lines: how many trace events the event log shows.
        graph_height: height of the cluster graph in px (it takes the width it is given).
        **options: mode options (see ``Cluster.options_for(mode)``).

    Raises:
        ConfigError: a bad mode, node count, seed or option (the library's message).

    Example:
        >>> panel = ClusterPanel(mode="cp", nodes=5, seed=1)   # doctest: +SKIP
        >>> panel                                              # doctest: +SKIP
        >>> panel.partition_preset("isolate primary"); panel.run_for(2000)   # doctest: +SKIP
    """

    def __init__(self, cluster=None, *, mode: str = "cp", nodes: int = 5, seed: int = 1,
                 key: str = "x", warmup_ms: int | None = None, window_ms: int = 400,
                 timeline_ops: int = 100, log_lines: int = 14, graph_height: int = 500,
                 **options) -> None:
        self.status = Status()
        self.graph_height = graph_height
        self.client_note = ""
        self.key = key
        self.window_ms = window_ms
        self.timeline_ops = timeline_ops
        self.log_lines = log_lines
        self.warmup_ms = warmup_ms
        self.view_time: int | None = None     # None: live; else the scrubbed-to time
        self._view = None
        self._syncing = False
        self._epoch = 0        # bumped whenever the viewed cluster object changes
        self._build_static_widgets()
        if cluster is None:
            built = self._build(mode, nodes, seed, options)
            self._set_header(mode, len(built[0].nodes), seed)
            self._install(*built)
        else:
            self._set_header(cluster.mode, len(cluster.nodes), None)
            self._install(cluster, ActionLog(None), dict(mode=cluster.mode, nodes=cluster.nodes,
                                                         seed=None, options={}))
        self._root = self._layout()

    # -- construction -------------------------------------------------------------------------
    def _build(self, mode, nodes, seed, options):
        from ..kv import Cluster
        recipe_args = dict(mode=mode, nodes=nodes, seed=seed, options=dict(options))

        def recipe():
            return Cluster(mode=mode, nodes=nodes, seed=seed, **options)

        cluster = recipe()   # raises ConfigError before the panel changes
        log = ActionLog(recipe)
        warmup = self.warmup_ms if self.warmup_ms is not None else (1500 if mode == "cp" else 0)
        if warmup:
            log.do(cluster, "run_for", warmup)
        return cluster, log, recipe_args

    def _set_header(self, mode, nodes: int, seed) -> None:
        """Show the cluster's mode, size and seed in the header (what "New cluster" rebuilds)."""
        self._syncing = True
        try:
            self.mode_box.value, self.nodes_box.value = mode, nodes
            if seed is not None:
                self.seed_box.value = seed
        finally:
            self._syncing = False

    def _install(self, cluster, log, recipe_args) -> None:
        self.cluster = cluster
        self.log = log
        self.recipe_args = recipe_args
        self.view_time = None
        self._view = None
        self._epoch += 1
        self._build_cluster_widgets()
        self.refresh()

    def new_cluster(self, mode: str | None = None, nodes: int | None = None,
                    seed: int | None = None, **options) -> None:
        """Replace the cluster with a fresh one (default: the header's mode, nodes and seed).

        Mode options given when the panel was created are kept while the mode stays the same.

        Raises:
            ConfigError: bad mode, nodes, seed or options; the current cluster is kept.
        """
        mode = self.mode_box.value if mode is None else mode
        nodes = self.nodes_box.value if nodes is None else nodes
        seed = self.seed_box.value if seed is None else seed
        if not options and mode == self.recipe_args.get("mode"):
            options = dict(self.recipe_args.get("options") or {})
        built = self._build(mode, nodes, seed, options)
        self._set_header(mode, len(built[0].nodes), seed)
        self._install(*built)
        self.status.info(f"new {mode.upper()} cluster: {len(self.cluster.nodes)} nodes, "
                         f"seed {seed}")

    # -- public actions (the buttons call these) ------------------------------------------------
    def _act(self, name, *args, **kwargs):
        self._go_live()
        try:
            return self.log.do(self.cluster, name, *args, **kwargs)
        finally:
            self.refresh()

    def crash(self, node: str) -> None:
        """Crash ``node`` (volatile state lost, durable state kept)."""
        self._act("crash", node)
        self.status.info(f"crashed {node} at {self.cluster.now} ms")

    def restart(self, node: str) -> None:
        """Restart a crashed ``node``."""
        self._act("restart", node)
        self.status.info(f"restarted {node} at {self.cluster.now} ms")

    def toggle(self, node: str) -> None:
        """Crash ``node`` if it is up, restart it if it is down (what its button does)."""
        if self.cluster.network.is_up(node) if node in self.cluster.nodes else True:
            self.crash(node)
        else:
            self.restart(node)

    def partition(self, *groups) -> None:
        """Split the network: ``panel.partition(["n1", "n2"], ["n3", "n4", "n5"])``."""
        groups = tuple(list(g) for g in groups)
        self._act("partition", *groups)
        self.status.info("partitioned " + " | ".join(",".join(g) for g in groups))

    def isolate(self, node: str) -> None:
        """Cut ``node`` (and the clients near it) off from everyone else."""
        self._act("isolate", node)
        self.status.info(f"isolated {node}")

    def heal(self) -> None:
        """Remove every partition and cut."""
        self._act("heal")
        self.status.info("healed the network")

    def presets(self) -> dict[str, tuple]:
        """The partition presets of the current cluster: label -> (action, args)."""
        nodes = self.cluster.nodes
        m = (len(nodes) - 1) // 2
        presets = {}
        primary = self.cluster.primary if self.cluster.mode == "cp" else None
        if self.cluster.mode == "cp":
            presets["isolate primary"] = ("isolate", None)
        else:
            presets[f"isolate {nodes[0]}"] = ("isolate", nodes[0])
        if m >= 1:
            # The minority holds the CP primary (the interesting case: it must step down).
            start = nodes.index(primary) if primary in nodes else 0
            order = nodes[start:] + nodes[:start]
            minority = [n for n in nodes if n in order[:m]]
            majority = [n for n in nodes if n not in minority]
            presets[f"split {m}|{len(nodes) - m}"] = ("partition", (minority, majority))
        presets["heal"] = ("heal", None)
        return presets

    def partition_preset(self, label: str) -> None:
        """Apply a preset: ``"isolate primary"`` (CP), ``"isolate n1"`` (AP), ``"split 2|3"``
        (minority | majority; in CP the minority holds the primary), or ``"heal"``."""
        presets = self.presets()
        if label not in presets:
            raise ConfigError(f"unknown partition preset {label!r}; allowed: "
                              + ", ".join(repr(p) for p in presets))
        action, args = presets[label]
        if action == "heal":
            self.heal()
        elif action == "isolate":
            node = args if args is not None else self.cluster.primary
            if node is None:
                raise ConfigError("there is no primary to isolate right now (an election is "
                                  "under way); run a little and try again")
            self.isolate(node)
        else:
            self.partition(*args)

    def apply_sides(self) -> None:
        """Partition by the A/B side chosen for each node in the panel."""
        a = [n for n, t in self.side_buttons.items() if t.value == "A"]
        b = [n for n, t in self.side_buttons.items() if t.value == "B"]
        if not a or not b:
            raise ConfigError("put at least one node on each side (A and B) to partition; "
                              f"now A: {', '.join(a) or 'none'}; B: {', '.join(b) or 'none'}")
        self.partition(a, b)

    def put(self, key: str, value, *, client: str = "alice", near: str | None = None,
            **options):
        """Write ``value`` under ``key`` from ``client`` (created near ``near``); returns the
        :class:`~caplab.kv.Result`. Options are the mode's (CP: w, wtimeout_ms; AP:
        consistency).

        A client stays near the node it was created at: if ``client`` already stands near
        another node, the write goes from a client named ``f"{client}@{near}"`` (created near
        ``near``), and the result box says so. ``near=None`` keeps the client's own node.
        """
        return self._operate("put", key, (value,), client, near, options)

    def get(self, key: str, *, client: str = "alice", near: str | None = None, **options):
        """Read ``key`` from ``client``; returns the :class:`~caplab.kv.Result`. Options are
        the mode's (CP: read_preference, read_concern; AP: consistency). ``client`` and
        ``near`` as for :meth:`put`."""
        return self._operate("get", key, (), client, near, options)

    def _operate(self, op, key, args, client, near, options):
        """Run a put/get; the result box is cleared first and shows the result or the error."""
        self.result_box.value = ""
        self.client_note = ""
        try:
            client, near, self.client_note = self._client_near(client, near)
            result = self._act(op, client, near, key, *args, **options)
        except Exception as exc:
            self._show_result_error(op, key, exc)
            raise
        self._show_result(result, self.client_note)
        return result

    def _client_near(self, client, near):
        """The client to use and its node, and a note when another client had to be used."""
        existing = self.cluster.clients.get(client) if isinstance(client, str) else None
        if near is None:
            return client, existing.near if existing is not None else self.cluster.nodes[0], ""
        if existing is None or existing.near == near:
            return client, near, ""
        alias = f"{client}@{near}"
        return alias, near, (f"{client} stands near {existing.near}; using client {alias} "
                             f"near {near}")

    def step(self) -> None:
        """Run one simulation event."""
        self._act("step")
        self.status.info(f"one step: now {self.cluster.now} ms")

    def run_for(self, ms: int) -> None:
        """Let ``ms`` simulated milliseconds pass."""
        self._act("run_for", ms)
        self.status.info(f"ran {ms} ms: now {self.cluster.now} ms")

    def run_until_idle(self) -> None:
        """Run until no operation or message is pending (heartbeats do not count)."""
        self._act("run_until_idle")
        self.status.info(f"idle at {self.cluster.now} ms")

    # -- scrubbing -------------------------------------------------------------------------
    def scrub_to(self, t_ms: int) -> None:
        """Show the state at simulated time ``t_ms`` (rebuilt by replay; actions still act on
        the live cluster). ``t_ms`` >= now goes back to live.

        Raises:
            ConfigError: a time outside [0, now], or a panel given a ready-made cluster.
        """
        now = self.cluster.now
        if isinstance(t_ms, bool) or not isinstance(t_ms, int) or not 0 <= t_ms <= now:
            raise ConfigError(f"scrub time must be a whole number of ms in [0, {now}], got "
                              f"{t_ms!r}")
        if t_ms >= now:
            self.live()
            return
        self._view = replay(self.log, t_ms)
        self.view_time = t_ms
        self._epoch += 1
        self.refresh()
        self.status.info(f"viewing the past: t = {t_ms} ms (replayed from seed "
                         f"{self.recipe_args['seed']}); live is at {now} ms. {_PAST_NOTE}")

    def live(self) -> None:
        """Show the live cluster again."""
        self._go_live()
        self.refresh()
        self.status.info(f"live at {self.cluster.now} ms")

    def _go_live(self) -> None:
        if self._view is not None:
            self._epoch += 1
        self.view_time = None
        self._view = None

    @property
    def view(self):
        """The cluster the views show: the live one, or a replay at ``view_time``."""
        return self._view if self._view is not None else self.cluster

    # -- drawing ---------------------------------------------------------------------------
    def figures_built(self) -> dict:
        """Fresh figures of what the views show (``graph``, ``heatmap``, ``timeline``,
        ``sequence``), and the checker summary as ``summary``.

        The timeline and the checkers depend only on the history, the heatmap only on the
        replicas' data and roles: while those are unchanged (a crash, a cut) they are not
        rebuilt and their entry is None (nothing to redraw).
        """
        from ..viz import cluster_graph, replica_heatmap, sequence_diagram
        c = self.view
        now = c.now
        built = {
            "graph": cluster_graph(c, key=self.key, layout=self._node_layout(c),
                                   height=self.graph_height),
            "sequence": sequence_diagram(c.sim.trace, since_ms=max(0, now - self.window_ms),
                                         until_ms=now, height=420),
        }
        # The heatmap changes only when some replica's data does (not on a crash or a cut).
        records = c.replica_records()
        heat_signature = (self._epoch, repr(records), repr(sorted(c.roles().items())))
        if heat_signature != getattr(self, "_heat_signature", None):
            built["heatmap"] = replica_heatmap(c)
            self._heat_signature = heat_signature
        else:
            built["heatmap"] = None
        ops = c.history.ops
        signature = (self._epoch, len(ops), sum(1 for op in ops if op.outcome is not None))
        if signature != getattr(self, "_history_signature", None):
            built.update(self._history_views(c))
            self._history_signature = signature
            self._summary_cache = built["summary"]
        else:
            built.update(timeline=None, summary=self._summary_cache)
        return built

    def _node_layout(self, c) -> dict:
        """Node positions fixed per cluster (a circle in node order), so a node keeps its place
        when the primary changes or there is none; recomputed only when the nodes or the mode
        change (an AP ring's add_node / remove_node, or a new cluster)."""
        from ..viz import node_positions
        signature = (c.mode, tuple(c.nodes))
        if signature != getattr(self, "_layout_signature", None):
            self._fixed_positions = node_positions(c.nodes, primary=None, mode=c.mode)
            self._layout_signature = signature
        return self._fixed_positions

    def _history_views(self, c) -> dict:
        from ..check import check_linearizability, normalize_history, summarize
        from ..viz import timeline
        records = normalize_history(c.history)
        lin = check_linearizability(records)
        # The checkers judge the whole history; the timeline draws only the latest operations
        # (readable on a projector, and fast to redraw), violations still highlighted.
        recent = records[-self.timeline_ops:] if self.timeline_ops else []
        return {"timeline": timeline(recent, check_result=lin),
                "summary": summarize(records, linearizability=lin)}

    def refresh(self) -> None:
        """Redraw every view in place from the cluster (or the scrubbed-to replay)."""
        built = self.figures_built()
        for name, widget in self.figures.items():
            if built[name] is not None:
                redraw(widget, built[name])
        self.summary = built["summary"]
        self.summary_box.value = summary_html(self.summary)
        c = self.view
        self.log_box.value = event_log_html(c.sim.trace.events, last=self.log_lines,
                                            messages=self.show_messages.value)
        self._sync_nodes()
        self._sync_slider()
        self._sync_presets()

    def _sync_nodes(self) -> None:
        roles = self.view.roles()
        live = self.cluster
        for node, label in self.node_labels.items():
            role = roles.get(node, "?")
            colour = _ROLE_COLOURS.get(role, "#444444")
            label.value = (f"<span style='font-weight:600'>{node}</span> "
                           f"<span style='color:{colour}'>{html.escape(role)}</span>")
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
                    t=self.view_time, now=now, note=html.escape(_PAST_NOTE))
            self.past_banner.layout.display = None

    def _sync_presets(self) -> None:
        labels = list(self.presets())
        if [b.description for b in self.preset_buttons] == labels:
            return
        self.preset_buttons = [self._button(label, f"partition preset: {label}",
                                            lambda lb=label: self.partition_preset(lb))
                               for label in labels]
        self.preset_box.children = tuple(self.preset_buttons)

    def _show_result(self, result, note: str = "") -> None:
        ok = result.ok
        colour = "#007a4d" if ok else ("#b36b00" if result.outcome == "info" else "#c0392b")
        if result.op == "get" and ok:
            held = NO_VALUE if result.value is None else repr(result.value)
            shown = f"value={held} "
        else:
            shown = ""
        err = "" if ok else f" — {html.escape(str(result.error))}"
        noted = f"<br><span style='color:#1f4e79'>{html.escape(note)}</span>" if note else ""
        self.result_box.value = (f"<span style='color:{colour}' data-outcome='{result.outcome}'>"
                                 f"<b>{result.outcome}</b>: {result.op} "
                                 f"{html.escape(repr(result.key))} {html.escape(shown)}by "
                                 f"{html.escape(str(result.client))} at node {result.node} in "
                                 f"{result.latency_ms} ms{err}</span>{noted}")

    def _show_result_error(self, op: str, key, exc: BaseException) -> None:
        """A refused put/get in the result box, with the library's message."""
        self.result_box.value = (f"<span style='color:#c0392b' data-outcome='error'>"
                                 f"<b>{html.escape(type(exc).__name__)}</b>: {op} "
                                 f"{html.escape(repr(key))} not sent — "
                                 f"{html.escape(str(exc))}</span>")

    # -- widgets ---------------------------------------------------------------------------
    def _button(self, description, tooltip, action, **kwargs) -> w.Button:
        button = w.Button(description=description, tooltip=tooltip,
                          layout=w.Layout(width="auto"), **kwargs)
        guarded = self.status.guard(action)
        button.on_click(lambda _b: guarded())
        return button

    def _build_static_widgets(self) -> None:
        g = self.status.guard
        self.mode_box = w.Dropdown(options=["cp", "ap"], value="cp", description="mode",
                                   tooltip="cp: replica set; ap: ring",
                                   layout=w.Layout(width="170px"))
        self.nodes_box = w.IntText(value=5, description="nodes", tooltip="number of nodes",
                                   layout=w.Layout(width="170px"))
        self.seed_box = w.IntText(value=1, description="seed", tooltip="the seed",
                                  layout=w.Layout(width="170px"))
        for box in (self.mode_box, self.nodes_box, self.seed_box):
            box.style.description_width = "55px"
        self.new_button = self._button("New cluster", "build a fresh cluster from mode, nodes "
                                       "and seed", lambda: self.new_cluster(),
                                       button_style="primary")
        self.step_button = self._button("step", "run one simulation event", self.step)
        self.run_ms = w.IntText(value=500, description="ms", tooltip="how long to run",
                                layout=w.Layout(width="150px"))
        self.run_ms.style.description_width = "30px"
        self.run_button = self._button("run for", "run for the given simulated ms",
                                       lambda: self.run_for(self.run_ms.value))
        self.idle_button = self._button("run until idle", "run until no operation or message "
                                        "is pending", self.run_until_idle)
        self.time_slider = w.IntSlider(value=0, min=0, max=0, description="time (ms)",
                                       continuous_update=False, tooltip="scrub back in time",
                                       layout=w.Layout(width="340px"))
        self.time_slider.style.description_width = "80px"
        self.time_slider.observe(g(self._on_slider), names="value")
        self.live_button = self._button("live", "show the live cluster again", self.live)
        self.live_button.layout.min_width = "70px"
        self.clock = w.HTML()
        self.past_banner = w.HTML(layout=w.Layout(display="none"))
        self.show_messages = w.Checkbox(value=False, description="show messages in the log",
                                        indent=False)
        self.show_messages.observe(g(lambda _c: self.refresh()), names="value")
        # Form fields shared by both modes.
        self.client_box = w.Text(value="alice", description="client", tooltip="client name",
                                 layout=w.Layout(width="200px"))
        self.key_box = w.Text(value=self.key, description="key", tooltip="key",
                              layout=w.Layout(width="200px"))
        self.value_box = w.Text(value="1", description="value", tooltip="value to write",
                                layout=w.Layout(width="200px"))
        self.put_button = self._button("put", "write value under key", self._put_from_form,
                                       button_style="success")
        self.get_button = self._button("get", "read key", self._get_from_form,
                                       button_style="info")
        self.result_box = w.HTML()
        self.log_box = w.HTML()
        self.summary_box = w.HTML()
        self.figures = {}
        self.preset_buttons = []
        self.preset_box = w.HBox(layout=w.Layout(flex_flow="row wrap"))
        self.nodes_area = w.VBox()
        self.sides_area = w.HBox(layout=w.Layout(flex_flow="row wrap"))
        self.options_area = w.VBox()
        self.near_area = w.HBox()

    def _build_cluster_widgets(self) -> None:
        c = self.cluster
        nodes = c.nodes
        self.node_labels, self.node_buttons, rows = {}, {}, []
        for node in nodes:
            label = w.HTML(layout=w.Layout(width="150px"))
            button = self._button(f"crash {node}", f"crash or restart node {node}",
                                  lambda n=node: self.toggle(n))
            button.layout.width = "140px"
            self.node_labels[node], self.node_buttons[node] = label, button
            rows.append(w.HBox([label, button]))
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
        self.option_boxes = self._option_widgets(c)
        self.options_area.children = self._option_groups(c)
        self.preset_buttons = []
        self._sync_presets()
        if not self.figures:
            self._make_figures()

    def _option_widgets(self, c) -> dict:
        """The per-operation options of the cluster's mode, as form fields."""
        n = len(c.nodes)
        lay = w.Layout(width="340px")
        style = {"description_width": "150px"}
        if c.mode == "cp":
            from ..kv.cp.options import READ_CONCERNS, READ_PREFERENCES
            return {
                "w": w.Combobox(value=_NONE, options=[_NONE, "majority"] +
                                [str(i) for i in range(1, n + 1)], description="w",
                                placeholder="majority or 1..N", ensure_option=False,
                                tooltip="write concern", layout=lay, style=style),
                "wtimeout_ms": w.Text(value="", description="wtimeout_ms", placeholder="none",
                                      tooltip="write concern timeout (ms)", layout=lay,
                                      style=style),
                "read_preference": w.Dropdown(options=[_NONE, *READ_PREFERENCES], value=_NONE,
                                              description="read_preference", layout=lay,
                                              style=style),
                "read_concern": w.Dropdown(options=[_NONE, *READ_CONCERNS], value=_NONE,
                                           description="read_concern", layout=lay, style=style),
            }
        return {"consistency": w.Combobox(value=_NONE, options=[_NONE, "one", "two", "quorum",
                                                                "all"],
                                          description="consistency", ensure_option=False,
                                          placeholder="one, quorum, all or a number",
                                          tooltip="consistency level", layout=lay,
                                          style=style)}

    @staticmethod
    def _option_names(mode: str) -> dict:
        """Which form fields apply to which operation."""
        return ({"put": ("w", "wtimeout_ms"), "get": ("read_preference", "read_concern")}
                if mode == "cp" else {"put": ("consistency",), "get": ("consistency",)})

    def _option_groups(self, c) -> tuple:
        """The option fields under headings saying which operation they apply to."""
        names = self._option_names(c.mode)
        heading = "<span style='font-weight:600;color:#444'>{}</span>".format
        if names["put"] == names["get"]:
            return (w.HTML(heading("put and get options")),
                    *(self.option_boxes[n] for n in names["put"]))
        return (w.HTML(heading("put options")), *(self.option_boxes[n] for n in names["put"]),
                w.HTML(heading("get options")), *(self.option_boxes[n] for n in names["get"]))

    def _form_options(self, op: str) -> dict:
        names = self._option_names(self.cluster.mode)[op]
        opts = {}
        for name in names:
            value = _parse_option(self.option_boxes[name].value)
            if value is not None:
                opts[name] = value
        return opts

    def _put_from_form(self) -> None:
        value = _parse_option(self.value_box.value)
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

    def _make_figures(self) -> None:
        self._history_signature = self._heat_signature = None
        built = self.figures_built()
        self.figures = {name: figure_widget(built[name])
                        for name in ("graph", "heatmap", "timeline", "sequence")}

    def _layout(self) -> w.VBox:
        def section(title, *children, width=None):
            box = w.VBox([w.HTML(f"<h3>{title}</h3>"), *children])
            if width:
                box.layout.width = width
            return box

        header = w.HBox([w.HTML("<h3 style='margin-right:12px'>Cluster</h3>"), self.mode_box,
                         self.nodes_box, self.seed_box, self.new_button],
                        layout=w.Layout(flex_flow="row wrap", align_items="center"))
        form = w.VBox([w.HBox([self.client_box, self.near_area]),
                       w.HBox([self.key_box, self.value_box]),
                       self.options_area, w.HBox([self.put_button, self.get_button]),
                       self.result_box])
        controls = w.VBox([
            section("Nodes", self.nodes_area),
            section("Partition", self.preset_box, w.HTML("free sides (A | B):"),
                    self.sides_area),
            section("Write / read", form),
            section("Time", w.HBox([self.step_button, self.run_ms, self.run_button,
                                    self.idle_button],
                                   layout=w.Layout(flex_flow="row wrap")),
                    w.HBox([self.time_slider, self.live_button]), self.clock),
        ], layout=w.Layout(width="440px", min_width="440px"))
        f = self.figures
        for fig in f.values():
            fig.layout.autosize = True
        graphs = w.VBox([self.past_banner, f["graph"], f["heatmap"]],
                        layout=w.Layout(flex="1 1 0", min_width="420px", width="100%"))
        top = w.HBox([controls, graphs], layout=w.Layout(width="100%"))
        middle = w.HBox([w.VBox([f["timeline"]], layout=w.Layout(flex="1 1 0")),
                         w.VBox([f["sequence"]], layout=w.Layout(flex="1 1 0"))],
                        layout=w.Layout(width="100%"))
        bottom = w.HBox([section("Event log", self.show_messages, self.log_box,
                                 width="50%"),
                         section("Checkers", self.summary_box, width="50%")],
                        layout=w.Layout(width="100%"))
        root = w.VBox([panel_style(), header, self.status.widget, top, middle, bottom])
        root.add_class("caplab-panel")
        return root

    # -- display -----------------------------------------------------------------------------

    def __repr__(self) -> str:
        return f"<ClusterPanel {self.cluster!r} view={self.view_time or 'live'}>"
