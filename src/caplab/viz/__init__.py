"""Views: pure functions from cluster state, histories, traces and frames to plotly figures.

Each view comes in two parts: ``<view>_data(...)`` computes plain data (cheap, testable), and
``<view>(..., data=None)`` draws it. Nothing here changes a simulation. Panels redraw a
``go.FigureWidget`` in place with :func:`update_figure`.

Example:
    >>> from caplab.kv import Cluster                       # doctest: +SKIP
    >>> from caplab.viz import cluster_graph, timeline       # doctest: +SKIP
    >>> c = Cluster(mode="cp", nodes=5, seed=1)              # doctest: +SKIP
    >>> cluster_graph(c, key="x").show()                     # doctest: +SKIP
"""

from ._common import NODE_COLOURS, OKABE_ITO, OUTCOME_COLOURS, ROLE_COLOURS
from .cluster import ROLE_ORDER, cluster_graph, cluster_graph_data, node_positions
from .bars import availability_consistency_bars, summary_dict
from .curves import divergence_curve, divergence_data, t_visibility_curve
from .replicas import replica_heatmap, replica_heatmap_data, replica_table
from .ring import ring_view, ring_view_data
from .sequence import sequence_diagram, sequence_diagram_data
from .timeline import timeline, timeline_data
from .update import update_figure

__all__ = [
    "cluster_graph", "cluster_graph_data", "node_positions",
    "ring_view", "ring_view_data",
    "replica_heatmap", "replica_heatmap_data", "replica_table",
    "timeline", "timeline_data",
    "sequence_diagram", "sequence_diagram_data",
    "divergence_curve", "divergence_data",
    "t_visibility_curve",
    "availability_consistency_bars", "summary_dict",
    "update_figure",
    "ROLE_COLOURS", "OUTCOME_COLOURS", "NODE_COLOURS", "OKABE_ITO", "ROLE_ORDER",
]
