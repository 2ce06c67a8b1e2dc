"""The cluster graph: nodes and clients, who is primary, which links a partition cut (both ways
or one way), which nodes are down, the messages on the wire right now, and what each node holds
for one key.

Reads the cluster (``roles()``, ``primary``, ``network``, ``replica_records()``) and what the
system says about itself (``backend.describe()``: role colours and symbols, the leader, a star
or ring layout); it never asks which system it draws. Changes nothing.
"""

from __future__ import annotations

import math

from ._common import (CUT_COLOUR, FONT_SIZE, LINK_COLOUR, MESSAGE_COLOUR, ROLE_COLOURS,
                      base_layout, make_figure, short)
from .positions import away as _away
from .positions import node_positions

__all__ = ["cluster_graph", "cluster_graph_data", "node_positions", "ROLE_ORDER"]

#: Roles drawn (one trace each, always present, so a live figure keeps its trace count).
ROLE_ORDER = ("primary", "secondary", "candidate", "replica", "arbiter", "down", "other")

_CLIENT_COLOUR = "#FFFFFF"
_NODE_SIZE = 56          # px: a node's circle
_LEADER_SIZE = 74        # px: the leader's marker (a star holds less text than a circle)
_IN_CIRCLE = 5           # characters of a value shown inside a node's circle
#: Half the width of the (square) data range: the unit circle of nodes plus its clients.
AXIS_HALF_RANGE = 1.4


def cluster_graph_data(cluster, *, key=None, layout=None) -> dict:
    """Everything :func:`cluster_graph` draws, as plain data (cheap; for live redraws and tests).

    Args:
        cluster: a :class:`caplab.kv.Cluster` (or anything with ``nodes``, ``mode``, ``now``,
            ``primary``, ``roles()``, ``network`` and ``replica_records()``).
        key: if given, each node's value and version of this key.
        layout: ``{name: (x, y)}`` to override positions (e.g. to keep them fixed across
            elections), or None for :func:`node_positions`.

    Returns:
        A dict: ``mode``, ``now``, ``primary``, ``nodes``, ``clients`` (client -> near node),
        ``roles`` (node -> role), ``positions``, ``links`` (open pairs), ``cut_pairs`` (pairs
        cut both ways), ``one_way_cuts`` (``(src, dst)``: src cannot reach dst, dst reaches src),
        ``in_flight`` (dicts ``msg_id, src, dst, kind, sent_ms, arrive_ms, fraction, x, y``),
        ``key``, ``values`` (node -> ``(value, version)``, missing nodes hold nothing).

    Example:
        >>> data = cluster_graph_data(c)           # doctest: +SKIP
        >>> data["cut_pairs"]                      # doctest: +SKIP
        [('n1', 'n2'), ('n1', 'n3')]
    """
    net = cluster.network
    nodes = list(cluster.nodes)
    roles = dict(cluster.roles())
    primary = cluster.primary
    mode = getattr(cluster, "mode", "")
    now = cluster.now
    desc = describe_of(cluster)
    shape = desc.layout if desc is not None else "ring"
    clients = {c: net.near(c) for c in net.client_names}
    if layout is None:
        positions = node_positions(nodes, primary=primary, layout=shape, clients=clients)
    else:
        positions = dict(node_positions(nodes, primary=None, layout=shape, clients=clients))
        positions.update({k: tuple(v) for k, v in layout.items()})
    # Links: every pair of nodes, and each client to its node. A link is cut when a message
    # sent now would be lost (network.reachable), checked in each direction.
    pairs = [(a, b) for i, a in enumerate(nodes) for b in nodes[i + 1:]]
    pairs += [(c, near) for c, near in clients.items() if near in roles]
    links, cut_pairs, one_way = [], [], []
    partitioned = net.partitioned
    for a, b in pairs:
        ab = (not partitioned) or net.reachable(a, b)
        ba = (not partitioned) or net.reachable(b, a)
        if ab and ba:
            links.append((a, b))
        elif not ab and not ba:
            cut_pairs.append((a, b))
        elif not ab:
            one_way.append((a, b))
        else:
            one_way.append((b, a))
    flights = []
    for f in net.in_flight:
        if f.src not in positions or f.dst not in positions:
            continue
        span = f.arrive_ms - f.sent_ms
        frac = 1.0 if span <= 0 else min(1.0, max(0.0, (now - f.sent_ms) / span))
        (x0, y0), (x1, y1) = positions[f.src], positions[f.dst]
        flights.append({"msg_id": f.msg_id, "src": f.src, "dst": f.dst,
                        "kind": getattr(f.msg, "kind", type(f.msg).__name__),
                        "sent_ms": f.sent_ms, "arrive_ms": f.arrive_ms, "fraction": frac,
                        "x": x0 + frac * (x1 - x0), "y": y0 + frac * (y1 - y0),
                        "angle": _angle(x0, y0, x1, y1)})
    values = {}
    if key is not None:
        for rec in cluster.replica_records():
            if rec.get("key") == key:
                values[rec["node"]] = (rec.get("value"), rec.get("version"))
    return {"mode": mode, "now": now, "primary": primary, "nodes": nodes, "clients": clients,
            "roles": roles, "positions": positions, "links": links, "cut_pairs": cut_pairs,
            "one_way_cuts": one_way, "in_flight": flights, "key": key, "values": values,
            "styles": role_styles(desc), "leader": desc.leader_text if desc else None}


def describe_of(cluster):
    """The system's :class:`~caplab.world.describe.Description` (``cluster.backend.describe()``),
    or None for a stand-in that describes nothing."""
    describe = getattr(getattr(cluster, "backend", None), "describe", None)
    return describe() if callable(describe) else None


def role_styles(desc) -> dict:
    """role -> ``(colour, symbol, label, leader)`` for every trace of :data:`ROLE_ORDER`: as the
    system describes the role, else the shared palette (:data:`ROLE_COLOURS`)."""
    styles = {}
    for role in ROLE_ORDER:
        r = desc.roles.get(role) if desc is not None else None
        if r is None:
            styles[role] = (ROLE_COLOURS[role], "circle", role, False)
        else:
            styles[role] = (r.colour, r.symbol, r.text, r.leader)
    return styles


def _angle(x0, y0, x1, y1) -> float:
    """Marker angle (degrees clockwise from 12 o'clock) pointing from (x0,y0) to (x1,y1)."""
    return round(math.degrees(math.atan2(x1 - x0, y1 - y0)), 2)


def _segments(pairs, pos):
    xs, ys = [], []
    for a, b in pairs:
        xs += [pos[a][0], pos[b][0], None]
        ys += [pos[a][1], pos[b][1], None]
    return xs, ys


def cluster_graph(cluster=None, *, key=None, layout=None, data=None, height=560):
    """Draw the cluster: roles, partitions, crashed nodes, messages in flight, a key's values.

    Args:
        cluster: the cluster (see :func:`cluster_graph_data`); not needed if ``data`` is given.
        key: show each node's value of this key in its label and hover text.
        layout: fixed positions ``{name: (x, y)}``.
        data: a dict from :func:`cluster_graph_data` (to draw without re-reading the cluster).
        height: figure height in px.

    Returns:
        A ``go.Figure`` whose traces are, in this order and always all present:
        ``"link"`` (open links), ``"cut link"`` (dashed red; ``meta["pairs"]``), ``"one-way
        cut"`` (the blocked direction; ``meta["cuts"]`` lists ``[src, dst]``), ``"cut marker"``
        (red X on each cut; ``customdata`` = ``[src, dst, "both"|"one-way"]``), ``"messages in
        flight"`` (``customdata`` = ``[msg_id, src, dst, kind, sent_ms, arrive_ms]``), one
        trace per role in :data:`ROLE_ORDER` (name = role; colour and symbol as the system's
        ``describe()`` gives them, else ``ROLE_COLOURS[role]``; the leader's marker is larger
        and its label names the role; ``customdata`` = ``[node, role, value, version]``), and
        ``"clients"``. ``layout.meta`` holds ``mode``, ``now``, ``primary``.

    Example:
        >>> from caplab.kv import Cluster                         # doctest: +SKIP
        >>> c = Cluster(mode="cp", nodes=5, seed=1); c.run_for(500)  # doctest: +SKIP
        >>> c.isolate("n1"); cluster_graph(c, key="x").show()       # doctest: +SKIP
    """
    d = data if data is not None else cluster_graph_data(cluster, key=key, layout=layout)
    traces = _link_traces(d)
    traces.append(_cut_marker_trace(d))
    traces.append(_flight_trace(d))
    traces += _role_traces(d)
    traces.append(_client_trace(d))
    return make_figure(traces, _graph_layout(d, height))


def _link_traces(d) -> list[dict]:
    """Open links, links cut both ways (dashed), and one-way cuts (dotted)."""
    pos = d["positions"]
    traces = []
    xs, ys = _segments(d["links"], pos)
    traces.append({"type": "scatter", "name": "link", "x": xs, "y": ys, "mode": "lines",
                   "line": {"color": LINK_COLOUR, "width": 2}, "hoverinfo": "skip",
                   "showlegend": False})
    xs, ys = _segments(d["cut_pairs"], pos)
    traces.append({"type": "scatter", "name": "cut link", "x": xs, "y": ys, "mode": "lines",
                   "line": {"color": CUT_COLOUR, "width": 3, "dash": "dash"},
                   "hoverinfo": "skip", "showlegend": bool(d["cut_pairs"]),
                   "meta": {"pairs": [list(p) for p in d["cut_pairs"]]}})
    xs, ys = _segments(d["one_way_cuts"], pos)
    traces.append({"type": "scatter", "name": "one-way cut", "x": xs, "y": ys, "mode": "lines",
                   "line": {"color": CUT_COLOUR, "width": 3, "dash": "dot"},
                   "hoverinfo": "skip", "showlegend": bool(d["one_way_cuts"]),
                   "meta": {"cuts": [list(p) for p in d["one_way_cuts"]]}})
    return traces


def _cut_marker_trace(d) -> dict:
    """An X at the middle of a two-way cut; for a one-way cut an X a third of the way from the
    sender (the blocked direction) and an arrow near the receiver end showing the direction
    that still works."""
    pos = d["positions"]
    mx, my, mtext, mdata, msym, mangle = [], [], [], [], [], []
    for a, b in d["cut_pairs"]:
        (x0, y0), (x1, y1) = pos[a], pos[b]
        mx.append((x0 + x1) / 2)
        my.append((y0 + y1) / 2)
        mtext.append(f"{a} ✕ {b}: cut both ways")
        mdata.append([a, b, "both"])
        msym.append("x")
        mangle.append(0)
    for src, dst in d["one_way_cuts"]:
        (x0, y0), (x1, y1) = pos[src], pos[dst]
        mx += [x0 + (x1 - x0) / 3, x0 + 2 * (x1 - x0) / 3]
        my += [y0 + (y1 - y0) / 3, y0 + 2 * (y1 - y0) / 3]
        mtext += [f"{src} → {dst}: cut (lost)", f"{dst} → {src}: still delivered"]
        mdata += [[src, dst, "one-way"], [dst, src, "open"]]
        msym += ["x", "arrow"]
        mangle += [0, _angle(x1, y1, x0, y0)]
    return {"type": "scatter", "name": "cut marker", "x": mx, "y": my, "mode": "markers",
            "marker": {"symbol": msym, "size": 18, "color": CUT_COLOUR,
                       "angle": mangle, "line": {"width": 1, "color": CUT_COLOUR}},
            "hovertext": mtext, "hoverinfo": "text", "customdata": mdata,
            "showlegend": False}


def _flight_trace(d) -> dict:
    fl = d["in_flight"]
    return {"type": "scatter", "name": "messages in flight",
            "x": [f["x"] for f in fl], "y": [f["y"] for f in fl], "mode": "markers",
            "marker": {"symbol": "arrow", "size": 14, "color": MESSAGE_COLOUR,
                       "angle": [f["angle"] for f in fl]},
            "customdata": [[f["msg_id"], f["src"], f["dst"], f["kind"], f["sent_ms"],
                            f["arrive_ms"]] for f in fl],
            "hovertext": [f"#{f['msg_id']} {f['kind']} {f['src']}→{f['dst']}<br>sent "
                          f"{f['sent_ms']} ms, arrives {f['arrive_ms']} ms" for f in fl],
            "hoverinfo": "text", "showlegend": bool(fl)}


#: Marker symbols that cannot carry a label inside are drawn on a circle (plotly's "x" alone
#: would leave the node's name floating on two thin strokes).
_ON_A_CIRCLE = {"x": "circle-x", "cross": "circle-cross"}


def _text_colour(colour: str) -> str:
    """Black or white, whichever contrasts more with ``colour`` (WCAG 2 relative luminance)."""
    try:
        rgb = [int(colour.lstrip("#")[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    except ValueError:
        return "#000000"
    r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb)
    return "#000000" if 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.179 else "#FFFFFF"


def _node_text(d, n) -> tuple[str, str, list]:
    """A node's label, hover text and customdata row."""
    key, values, role = d["key"], d["values"], d["roles"].get(n)
    label = f"<b>{n}</b>"
    style = d.get("styles", {}).get(role)
    if style is not None and style[3]:
        label += f"<br>{style[2]}"     # the leader is named, not only coloured and shaped
    hv = f"{n}: {role}"
    value = version = None
    if key is not None:
        value, version = values.get(n, (None, None))
        # Short enough to stay inside the marker; the full value is in the hover.
        held = short(value, _IN_CIRCLE) if n in values else "—"
        label += f"<br>{short(key, 3)}={held}"
        hv += f"<br>{key} = {value!r}" + (f" (version {version})" if n in values
                                          else " (holds nothing)")
    return label, hv, [n, role, None if value is None else repr(value),
                       None if version is None else str(version)]


def _role_traces(d) -> list[dict]:
    """One trace per role of :data:`ROLE_ORDER` (always all present, so a live figure keeps
    its trace count), coloured, shaped and named as the system describes the role."""
    pos, roles = d["positions"], d["roles"]
    styles = d.get("styles") or role_styles(None)
    traces = []
    for role in ROLE_ORDER:
        colour, symbol, _label, leader = styles[role]
        members = [n for n in d["nodes"]
                   if (roles.get(n) if roles.get(n) in styles else "other") == role]
        rows = [_node_text(d, n) for n in members]
        down = role == "down"
        traces.append({"type": "scatter", "name": role, "mode": "markers+text",
                       "x": [pos[n][0] for n in members], "y": [pos[n][1] for n in members],
                       "marker": {"size": _LEADER_SIZE if leader else _NODE_SIZE,
                                  "color": colour, "symbol": _ON_A_CIRCLE.get(symbol, symbol),
                                  # A crashed node's cross is drawn light, so the black label
                                  # over it stays legible.
                                  "line": {"width": 2,
                                           "color": "#DDDDDD" if down else "#333333"}},
                       "text": [r[0] for r in rows], "textposition": "middle center",
                       "cliponaxis": False,
                       "textfont": {"size": FONT_SIZE - 2, "color": _text_colour(colour)},
                       "hovertext": [r[1] for r in rows], "hoverinfo": "text",
                       "customdata": [r[2] for r in rows],
                       "showlegend": bool(members), "legendgroup": "roles"})
    return traces


def _client_trace(d) -> dict:
    pos, clients = d["positions"], d["clients"]
    cl = [c for c in clients if c in pos]
    return {"type": "scatter", "name": "clients", "mode": "markers+text",
            "x": [pos[c][0] for c in cl], "y": [pos[c][1] for c in cl],
            "marker": {"size": 22, "color": _CLIENT_COLOUR, "symbol": "square",
                       "line": {"width": 2, "color": "#333333"}},
            "text": cl, "cliponaxis": False,
            # On the far side of the client from its node, never over the node.
            "textposition": [_away(pos.get(clients[c]), pos[c]) for c in cl],
            "customdata": [[c, clients[c]] for c in cl],
            "hovertext": [f"client {c} (near {clients[c]})" for c in cl],
            "hoverinfo": "text", "showlegend": bool(cl)}


def _graph_layout(d, height) -> dict:
    key = d["key"]
    title = f"{(d['mode'] or '').upper()} cluster · t = {d['now']} ms"
    if d.get("leader"):     # a system with a leader names it (or says there is none)
        title += f" · {d['leader']}: {d['primary'] or 'none'}"
    if key is not None:
        title += f" · key {key!r}"
    # Nodes sit on the unit circle, clients 0.38 outside; markers and labels may reach past
    # the axis range (cliponaxis off), into the margins.
    axis = {"visible": False, "range": [-AXIS_HALF_RANGE, AXIS_HALF_RANGE], "fixedrange": True}
    return base_layout(title, height=height, xaxis=dict(axis),
                       yaxis=dict(axis, scaleanchor="x", scaleratio=1),
                       meta={"mode": d["mode"], "now": d["now"], "primary": d["primary"],
                             "key": key},
                       # Below the plot, in one row: the graph keeps the full width.
                       legend={"font": {"size": FONT_SIZE - 2}, "itemsizing": "constant",
                               "orientation": "h", "traceorder": "normal", "x": 0.5,
                               "xanchor": "center",
                               "y": -0.08, "yanchor": "top"},
                       margin={"l": 10, "r": 10, "t": 80, "b": 75},
                       hovermode="closest")
