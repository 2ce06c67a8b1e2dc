"""``ClusterPanel``: one cluster you can crash, partition, write to, read from, run and rewind.

The panel holds no protocol logic and draws nothing itself: buttons call the panel's public
methods (``crash``, ``partition``, ``put``, ``run_for`` ...), which act on a
:class:`~caplab.kv.Cluster` and log the action; ``refresh`` redraws the views of
:mod:`caplab.viz` in place. Faults covered: crashes and restarts, partitions (presets and free
sides), and heal. Scrubbing the time slider rebuilds the state at an earlier time by replaying
the action log on a fresh cluster with the same seed (see :mod:`caplab.widgets.replay`).
"""

from __future__ import annotations

from ..errors import ConfigError
from ._cluster_drawing import ClusterPanelDrawing
from ._cluster_form import NO_VALUE, result_error_html, result_html
from ._cluster_widgets import PAST_NOTE, ClusterPanelWidgets
from ._common import Panel, Status, event_log_html, redraw, summary_html
from .replay import ActionLog, replay

__all__ = ["ClusterPanel", "NO_VALUE"]

#: The actions a description's preset may name, and how the panel carries each out.
_PRESET_ACTIONS = ("isolate", "crash", "partition", "heal")


class ClusterPanel(ClusterPanelDrawing, ClusterPanelWidgets, Panel):
    """A live panel for one cluster: faults, writes and reads, time, and every view.

    Args:
        cluster: an existing :class:`~caplab.kv.Cluster` to drive (it cannot be rewound: the
            panel does not know how it was built), or None to build one from the options below.
        mode: a key of :data:`caplab.kv.MODES` (``"cp"``, ``"ap"`` ...).
        nodes: how many nodes.
        seed: the seed (same seed and same actions, same history).
        key: the key whose values the cluster graph shows (and the form's default key).
        warmup_ms: simulated time to run a new cluster first (e.g. until a primary is
            elected); None for what the system's ``describe()`` says (``warmup_ms``).
        window_ms: how much recent time the message sequence diagram shows.
        timeline_ops: how many of the latest operations the timeline draws (the checkers
            always judge the whole history).
        log_lines: how many trace events the event log shows.
        graph_height: height of the cluster graph in px (it takes the width it is given);
            default 300, or 560 in projector mode.
        projector: projector mode: text at least 24 px, the graph beside the views so it uses
            the width, taller figures (for 1920x1080).
        **options: mode options (see ``Cluster.options_for(mode)``).

    The controls come from the system's ``describe()``: role colours, symbols and labels, the
    partition presets, the form's per-call options and the warm-up; nothing here asks which
    system it drives.

    Raises:
        ConfigError: a bad mode, node count, seed or option (the library's message).

    Example:
        >>> panel = ClusterPanel(mode="cp", nodes=5, seed=1)   # doctest: +SKIP
        >>> panel                                              # doctest: +SKIP
        >>> panel.partition_preset("isolate primary"); panel.run_for(2000)   # doctest: +SKIP
    """

    def __init__(self, cluster=None, *, mode: str = "cp", nodes: int = 5, seed: int = 1,
                 key: str = "x", warmup_ms: int | None = None, window_ms: int = 400,
                 timeline_ops: int = 100, log_lines: int = 14, graph_height: int | None = None,
                 projector: bool = False, **options) -> None:
        self.status = Status()
        self.projector = bool(projector)
        self.graph_height = graph_height or (600 if self.projector else 340)
        self.view_height = 560 if self.projector else 250
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
        warmup = (self.warmup_ms if self.warmup_ms is not None
                  else cluster.backend.describe().warmup_ms)
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
        if not options and self.recipe_args.get("mode") == mode:
            options = dict(self.recipe_args.get("options") or {})
        built = self._build(mode, nodes, seed, options)
        self._set_header(mode, len(built[0].nodes), seed)
        self._install(*built)
        self.result_box.value = ""      # the last put/get was on the old cluster
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

    @property
    def description(self):
        """What the live cluster's system says about itself (a
        :class:`caplab.world.describe.Description`, from its current state)."""
        return self.cluster.backend.describe()

    def presets(self) -> dict[str, tuple]:
        """The fault presets of the current cluster, as its system describes them: label ->
        ``(action, args)`` (e.g. ``"isolate primary"``, ``"split 2|3"``, ``"heal"``)."""
        return dict(self.description.presets)

    def partition_preset(self, label: str) -> None:
        """Apply a preset of :meth:`presets`: e.g. ``"isolate primary"`` (a system with a
        leader), ``"isolate n1"`` (one without), ``"split 2|3"`` (minority | majority; the
        minority holds the leader) or ``"heal"``.

        Raises:
            ConfigError: an unknown label, or a preset with no node to act on right now (no
                primary during an election); nothing is changed.
        """
        presets = self.presets()
        if label not in presets:
            raise ConfigError(f"unknown partition preset {label!r}; allowed: "
                              + ", ".join(repr(p) for p in presets))
        action, args = presets[label]
        if action not in _PRESET_ACTIONS:
            raise ConfigError(f"preset {label!r} asks for {action!r}, which the panel cannot "
                              f"do; it does {', '.join(_PRESET_ACTIONS)}")
        if action == "heal":
            self.heal()
        elif action == "partition":
            self.partition(*args)
        elif args is None:
            leader = self.description.leader_text or "node"
            raise ConfigError(f"there is no {leader} to {action} right now (an election may be "
                              "under way); run a little and try again")
        else:
            getattr(self, action)(args)

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
        :class:`~caplab.kv.Result`. Options are the system's put options
        (``description.options_for("put")``; e.g. CP: w, wtimeout_ms; AP: consistency).

        A client stays near the node it was created at: if ``client`` already stands near
        another node, the write goes from a client named ``f"{client}@{near}"`` (created near
        ``near``), and the result box says so. ``near=None`` keeps the client's own node.
        """
        return self._operate("put", key, (value,), client, near, options)

    def get(self, key: str, *, client: str = "alice", near: str | None = None, **options):
        """Read ``key`` from ``client``; returns the :class:`~caplab.kv.Result`. Options are
        the system's get options (``description.options_for("get")``; e.g. CP:
        read_preference, read_concern; AP: consistency). ``client`` and ``near`` as for
        :meth:`put`."""
        return self._operate("get", key, (), client, near, options)

    def _operate(self, op, key, args, client, near, options):
        """Run a put/get; the result box is cleared first and shows the result or the error."""
        self.result_box.value = ""
        self.client_note = ""
        try:
            client, near, self.client_note = self._client_near(client, near)
            result = self._act(op, client, near, key, *args, **options)
        except Exception as exc:
            self.result_box.value = result_error_html(op, key, exc)
            raise
        self.result_box.value = result_html(result, self.client_note)
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

    def run_until_stable(self) -> None:
        """Run until nothing is pending and the cluster has settled (CP: a primary that
        accepts writes), at most 5 s of simulated time."""
        self._act("run_until_stable")
        settled = self.cluster.stable()
        self.status.info(f"{'stable' if settled else 'not stable after 5 s'} at "
                         f"{self.cluster.now} ms")

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
                         f"{self.recipe_args['seed']}); live is at {now} ms. {PAST_NOTE}")

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

    def refresh(self) -> None:
        """Redraw every view in place from the cluster (or the scrubbed-to replay)."""
        built = self.figures_built(hidden=self._hidden_views())
        for name, widget in self.figures.items():
            if built[name] is not None:
                redraw(widget, self._sized(built[name]))
        self.summary = built["summary"]
        self.summary_box.value = summary_html(self.summary)
        c = self.view
        self.log_box.value = event_log_html(c.sim.trace.events, last=self.log_lines,
                                            messages=self.show_messages.value)
        self._sync_nodes()
        self._sync_slider()
        self._sync_presets()

    # -- display -----------------------------------------------------------------------------

    def __repr__(self) -> str:
        return f"<ClusterPanel {self.cluster!r} view={self.view_time or 'live'}>"
