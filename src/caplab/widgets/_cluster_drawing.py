"""The cluster panel's figures: which views it builds and how they follow the cluster (a mixin
of :class:`~caplab.widgets.cluster_panel.ClusterPanel`)."""

from __future__ import annotations

__all__ = ["ClusterPanelDrawing", "PROJECTOR_FONT_PX"]

#: Smallest text in projector mode (readable from the back of a lecture hall).
PROJECTOR_FONT_PX = 24


class ClusterPanelDrawing:
    """How :class:`~caplab.widgets.cluster_panel.ClusterPanel` draws (no state of its own)."""

    def figures_built(self, hidden=()) -> dict:
        """Fresh figures of what the views show (``graph``, ``heatmap``, ``timeline``,
        ``sequence``), and the checker summary as ``summary``.

        The timeline and the checkers depend only on the history, the heatmap only on the
        replicas' data and roles: while those are unchanged (a crash, a cut) they are not
        rebuilt and their entry is None (nothing to redraw). Views named in ``hidden`` (in a
        tab not shown) are not built either (None); they are drawn when their tab opens.
        """
        from ..viz import cluster_graph, replica_heatmap, sequence_diagram
        c = self.view
        now = c.now
        built = {
            "graph": cluster_graph(c, key=self.key, layout=self._node_layout(c),
                                   height=self.graph_height),
            "sequence": None if "sequence" in hidden else sequence_diagram(
                c.sim.trace, since_ms=max(0, now - self.window_ms), until_ms=now,
                height=self.view_height + 140),
        }
        # The heatmap changes only when some replica's data does (not on a crash or a cut).
        records = c.replica_records()
        heat_signature = (self._epoch, repr(records), repr(sorted(c.roles().items())))
        if "heatmap" in hidden:
            built["heatmap"] = None
            self._heat_signature = None      # rebuilt when its tab opens
        elif heat_signature != getattr(self, "_heat_signature", None):
            built["heatmap"] = replica_heatmap(c)
            self._heat_signature = heat_signature
        else:
            built["heatmap"] = None
        ops = c.history.ops
        # A fault (a cut, a crash, an election) changes the timeline's bands, not the history.
        signature = (self._epoch, len(ops), sum(1 for op in ops if op.outcome is not None),
                     heat_signature[2], repr(getattr(c.network, "partitioned", None)))
        if signature != getattr(self, "_history_signature", None):
            built.update(self._history_views(c))
            self._history_signature = signature
            self._summary_cache = built["summary"]
        else:
            built.update(timeline=None, summary=self._summary_cache)
        return built

    def _sized(self, fig):
        """Tighter margins for the cluster graph (its ring gets the height: a 300 px graph
        with the default margins drew 5 overlapping nodes); in projector mode, text of at
        least 24 px in every figure."""
        if str(fig.layout.title.text or "").find(" cluster · ") > 0:
            fig.layout.margin = {"l": 10, "r": 10, "t": 45, "b": 40}
            fig.layout.legend.y = -0.02
        if self.projector:
            fig.layout.font.size = PROJECTOR_FONT_PX
            fig.layout.title.font.size = PROJECTOR_FONT_PX + 4
            fig.layout.legend.font.size = PROJECTOR_FONT_PX
            fig.layout.hoverlabel.font.size = PROJECTOR_FONT_PX
        return fig

    def _node_layout(self, c) -> dict:
        """Node positions fixed per cluster (a circle in node order), so a node keeps its place
        when the primary changes or there is none; recomputed only when the nodes or the system
        change (a ring's add_node / remove_node, or a new cluster)."""
        from ..viz import node_positions
        signature = tuple(c.nodes)   # positions without a centre: the nodes alone decide
        if signature != getattr(self, "_layout_signature", None):
            self._fixed_positions = node_positions(c.nodes, primary=None)
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
        return {"timeline": timeline(recent, check_result=lin, faults=c,
                                     height=self.view_height),
                "summary": summarize(records, linearizability=lin)}

    #: view tab index -> the figure it shows (see ``ClusterPanelWidgets._layout``)
    _TAB_VIEWS = ("timeline", "sequence", "heatmap")

    def _hidden_views(self) -> tuple:
        """The views in tabs not shown: not rebuilt on each click (fewer figures to build and
        for the browser to redraw), drawn when their tab opens."""
        tabs = getattr(self, "view_tabs", None)
        if tabs is None:
            return ()
        shown = self._TAB_VIEWS[tabs.selected_index or 0]
        return tuple(v for v in ("sequence", "heatmap") if v != shown)

    def _on_view_tab(self, _change=None) -> None:
        self.refresh()

