"""The event flow of the event-driven shop as a layered diagram: services left to right in the
order the saga runs them, the read models (projections) in a column on the right, and ONE arrow
per sender -> receiver pair, labelled briefly, with every event type, its count and lag in the
arrow's hover text.

Pure functions from :func:`caplab.events.report.flow_edges` data to plain layout data
(:func:`event_flow_data`) and to a plotly figure (:func:`event_flow`); nothing here runs or
changes a simulation.

Layout rules (why): an arrow bends above the row when it runs with the flow and below when it
runs against it, so the two directions of a pair never share a line; a long arrow bends more,
so it clears the services it passes over; arrows at one side of a box nest like a rainbow, so
they do not cross there. Labels are placed greedily, just outside their arrow's bend where that
is free and pushed further out (with a dotted leader) where it is not, so no two labels and no
label and service box overlap. That holds in the browser because the figure has a fixed size
(:data:`PLOT_WIDTH_PX` wide, as tall as its content at :data:`PX_PER_Y`) and every box a fixed
text width: the px geometry computed here is the one drawn.
"""

from __future__ import annotations

import math

from ._common import FONT_SIZE, GREY, NODE_COLOURS, OKABE_ITO, base_layout, make_figure

__all__ = ["event_flow", "event_flow_data", "FLOW_ORDER", "READ_MODELS", "FEW_TYPES",
           "PLOT_WIDTH_PX", "PX_PER_Y", "LABEL_FONT", "NAME_FONT", "CHAR_EM", "BOX_PAD_PX"]

#: the shop's nodes in saga order: services left to right, then the read models
FLOW_ORDER = ("orders", "payments", "addresses", "shipping", "summary", "search")
#: the projections, drawn in the rightmost column (so are unknown nodes that only receive)
READ_MODELS = ("summary", "search")
#: up to this many event types a label names them; beyond, it counts them
FEW_TYPES = 2
#: the plot area's width (px); the figure is this wide plus its margins, never resized, so the
#: layout computed here (label boxes, arrowheads at box edges) is the one drawn. 900 px fits a
#: notebook at 1366 px with JupyterLab's file browser open.
PLOT_WIDTH_PX = 860
#: vertical scale: the figure's height follows its content at this many px per unit
PX_PER_Y = 150
LABEL_FONT = FONT_SIZE - 3
NAME_FONT = FONT_SIZE
#: width of an average character, in em (Liberation Sans measured ~0.5 on these labels; the
#: names of the nodes, in a larger font and all lower case, get a little more)
CHAR_EM = 0.55
#: padding around an annotation's text, px (plotly's borderpad plus its border)
BOX_PAD_PX = 5
_MARGIN = {"l": 20, "r": 20, "t": 70, "b": 40}
_SINK_GAP = 0.6          # data units between read models in their column
_BEND_PX, _BEND_PER_PX = 40, 0.3   # control-point offset: base + share of the chord length
_ARROW_PX = 28           # length of the straight arrowhead segment outside the target box
_SOURCE_COLOURS = {"orders": OKABE_ITO["blue"], "payments": OKABE_ITO["orange"],
                   "addresses": OKABE_ITO["bluish green"], "shipping": OKABE_ITO["reddish purple"]}


def _text_px(text: str, font: int) -> int:
    """The width (px) given to an annotation's text: enough for ``text`` at ``font`` px."""
    return math.ceil(len(text) * (CHAR_EM + 0.05 * (font == NAME_FONT)) * font)


def _box_px(text: str, font: int) -> tuple[float, float]:
    """(width, height) in px of an annotation showing ``text`` at ``font`` px, with its pad
    and border (the figure sets the text's width, so this is the box drawn)."""
    return _text_px(text, font) + 2 * BOX_PAD_PX, 1.25 * font + 2 * BOX_PAD_PX


def _columns(names, sources) -> tuple[dict, int]:
    """Node -> (column, row in the read models' column or None), and how many read models."""
    # The shop's services keep their columns while some are still silent (a panel's figure
    # does not jump as arrows appear); a flow of other names starts at the left edge.
    services = [n for n in FLOW_ORDER if n not in READ_MODELS]
    services = services if set(services) & set(names) else []
    extra = sorted(n for n in names if n not in FLOW_ORDER and n in sources)
    col = {n: i for i, n in enumerate(services + extra)}
    sinks = ([n for n in READ_MODELS if n in names]
             + sorted(n for n in names if n not in FLOW_ORDER and n not in sources))
    last = len(col)
    out = {n: (col[n], None) for n in names if n in col}
    out.update({n: (last, i) for i, n in enumerate(sinks)})
    return out, len(sinks)


def _abbreviate(types: list[str]) -> list[str]:
    """Drop a leading CamelCase word every type shares (``AddressMatched`` -> ``Matched``)."""
    words = [t[:next((i for i in range(1, len(t)) if t[i].isupper()), len(t))] for t in types]
    if len(types) > 1 and len(set(words)) == 1 and all(len(t) > len(words[0]) for t in types):
        return [t[len(words[0]):] for t in types]
    return list(types)


def _label(types: list[dict]) -> str:
    total = sum(t["count"] for t in types)
    if len(types) > FEW_TYPES:
        return f"{total} events, {len(types)} types"
    names = _abbreviate([t["type"] for t in types])
    return ", ".join(n + (f" ×{t['count']}" if t["count"] > 1 else "")
                     for n, t in zip(names, types))


def _hover(source, target, types) -> str:
    total = sum(t["count"] for t in types)
    lines = [f"<b>{source} → {target}</b>: {total} event{'s' * (total != 1)}"]
    lines += [f"{t['type']} ×{t['count']} (lag mean {t['mean_lag_ms']:.0f} ms, "
              f"max {t['max_lag_ms']:.0f} ms)" for t in types]
    return "<br>".join(lines)


def _bezier(p0, c, p1, t):
    return tuple((1 - t) ** 2 * a + 2 * (1 - t) * t * b + t * t * d for a, b, d in zip(p0, c, p1))


def _overlaps(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _box_at(xy, size):
    return (xy[0] - size[0] / 2, xy[1] - size[1] / 2, xy[0] + size[0] / 2, xy[1] + size[1] / 2)


def _exit_px(p, u, box) -> float:
    """Distance from ``p`` (inside ``box``) to the box's edge along unit vector ``u``."""
    ds = [((box[2] if u[0] > 0 else box[0]) - p[0]) / u[0]] if u[0] else []
    ds += [((box[3] if u[1] > 0 else box[1]) - p[1]) / u[1]] if u[1] else []
    return min(ds, default=0.0)


def _curve(p0, p1, box1, sign):
    """Control point and the parameter where the arrowhead's straight segment starts."""
    dx, dy = p1[0] - p0[0], p1[1] - p0[1]
    length = math.hypot(dx, dy) or 1.0
    normal = (-dy / length, dx / length) if dx >= 0 else (dy / length, -dx / length)
    bend = sign * (_BEND_PX + _BEND_PER_PX * length)
    c = ((p0[0] + p1[0]) / 2 + normal[0] * bend, (p0[1] + p1[1]) / 2 + normal[1] * bend)
    clear = (box1[0] - _ARROW_PX, box1[1] - _ARROW_PX, box1[2] + _ARROW_PX, box1[3] + _ARROW_PX)
    for i in range(100, 50, -1):     # walk back from the target until clear of its box
        x, y = _bezier(p0, c, p1, i / 100)
        if not (clear[0] < x < clear[2] and clear[1] < y < clear[3]):
            return c, i / 100
    return c, 0.5


def _place_label(path, size, sign, taken, lines):
    """The free spot nearest the middle of its arrow, just outside its bend (so the label
    hides none of it), else pushed further out, half a label height at a time. A spot that
    would hide another arrow (a point of ``lines``) is taken only if no nearby one is free."""
    middle = path[len(path) // 2]
    spots = sorted(path[len(path) // 5: len(path) - len(path) // 5],
                   key=lambda q: math.dist(q, middle))
    for strict in (True, False):
        for n in range(1, 3 if strict else 400):
            for x, y in (spots if n == 1 else spots[:5]):
                box = _box_at((x, y + sign * n * (size[1] / 2 + 2)), size)
                if not any(_overlaps(box, b) for b in taken) and not (strict and any(
                        box[0] < qx < box[2] and box[1] < qy < box[3] for qx, qy in lines)):
                    return (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    raise AssertionError("no free spot for a label")   # unreachable: finitely many boxes


def _layout(edges):
    """Node columns and positions: data units, px (at :data:`PLOT_WIDTH_PX`), boxes in px."""
    names = {e["source"] for e in edges} | {e["target"] for e in edges}
    cols, n_sinks = _columns(names, {e["source"] for e in edges})
    last = max([c for c, _ in cols.values()], default=0)
    x_range = (-0.75, last + 0.75)
    sx = PLOT_WIDTH_PX / (x_range[1] - x_range[0])
    # Read models rise from the row, the first on top: every arrow into one runs with the
    # flow and bends above the row, so none crosses the arrows coming back below it.
    xy = {n: (c, 0.0 if r is None else (n_sinks - 1 - r) * _SINK_GAP) for n, (c, r) in cols.items()}
    rank = {n: (c, -1 if r is None else r) for n, (c, r) in cols.items()}
    order = sorted(names, key=lambda n: (rank[n], n))
    boxes = {n: _box_at((xy[n][0] * sx, xy[n][1] * PX_PER_Y), _box_px(n, NAME_FONT))
             for n in order}
    return {"cols": cols, "xy": xy, "rank": rank, "order": order, "boxes": boxes, "sx": sx,
            "x_range": x_range}


def _arrows(grouped, g):
    """Per pair: its bend's side, where it starts and the point it aims at (px)."""
    cols, xy, sx, boxes = g["cols"], g["xy"], g["sx"], g["boxes"]
    out = {}
    for a, b in grouped:   # with the flow: above the row; against it: below
        forward = cols[b][0] > cols[a][0]
        out[(a, b)] = {"sign": 1 if forward else -1}
    # Arrows leaving or entering one side of a box start or end apart along it.
    for end, key in (("start", 0), ("aim", 1)):
        sides: dict[tuple, list] = {}
        for pair, arrow in out.items():
            sides.setdefault((pair[key], arrow["sign"]), []).append(pair)
        for (n, _sign), group in sides.items():
            # Nested like a rainbow, so they do not cross: the arrow whose other end is
            # further right starts (or ends) further left, on either side of the row.
            group.sort(key=lambda pair: (-xy[pair[1 - key]][0], -xy[pair[1 - key]][1]))
            box = boxes[n]
            gap = (box[2] - box[0] - 16) / max(len(group), 1)
            for i, pair in enumerate(group):
                shift = (i - (len(group) - 1) / 2) * gap
                out[pair][end] = (xy[n][0] * sx + shift, xy[n][1] * PX_PER_Y)
    return out


def event_flow_data(edges: list[dict]) -> dict:
    """Where the flow diagram puts each node, arrow and label (plain data, no figure).

    Args:
        edges: :func:`caplab.events.report.flow_edges` output (one row per source, target and
            event type).
    Returns:
        ``{"nodes": [...], "pairs": [...], "x_range", "y_range", "height"}``. A node:
        ``name, x, y, role ("service" | "read model"), sent, received, colour``. A pair, one
        per sender -> receiver: ``source, target, count, types`` (the edges' rows), ``label``,
        ``hover``, ``path`` (the arrow's points, data units), ``head`` (``x, y, ax, ay`` data
        units, ``standoff`` px), ``label_xy``, ``leader`` (label to arrow, or None when the
        label sits on its arrow), ``colour``, ``width``.
    Example:
        >>> d = event_flow_data([{"source": "orders", "target": "summary", "type": "OrderPlaced",
        ...                       "count": 2, "mean_lag_ms": 17.0, "max_lag_ms": 17}])
        >>> d["pairs"][0]["label"], [n["role"] for n in d["nodes"]]
        ('OrderPlaced ×2', ['service', 'read model'])
    """
    g = _layout(edges)
    xy, sx, rank, order = g["xy"], g["sx"], g["rank"], g["order"]
    grouped: dict[tuple, list] = {}
    for e in edges:
        grouped.setdefault((e["source"], e["target"]), []).append(e)
    arrows = _arrows(grouped, g)
    for pair, arrow in arrows.items():
        arrow["c"], arrow["t_head"] = _curve(arrow["start"], arrow["aim"], g["boxes"][pair[1]],
                                             arrow["sign"])
        arrow["points"] = [_bezier(arrow["start"], arrow["c"], arrow["aim"],
                                   arrow["t_head"] * i / 24) for i in range(26)]
        arrow["fine"] = [_bezier(arrow["start"], arrow["c"], arrow["aim"], i / 120)
                         for i in range(12, 109)]
    taken = list(g["boxes"].values())
    pairs = []
    # Short arrows first: they have the least room for a label on them.
    for (a, b), types in sorted(grouped.items(), key=lambda kv: (
            abs(rank[kv[0][1]][0] - rank[kv[0][0]][0]), rank[kv[0][0]], rank[kv[0][1]])):
        arrow, types = arrows[(a, b)], sorted(types, key=lambda e: e["type"])
        points, p1, label = arrow["points"], arrow["aim"], _label(types)
        size = _box_px(label, LABEL_FONT)
        others = [q for pair, o in arrows.items() if pair != (a, b) for q in o["fine"]]
        lx, ly = _place_label(points[:25], size, arrow["sign"], taken, others)
        taken.append(_box_at((lx, ly), size))
        near = min(points[:25], key=lambda q: math.dist(q, (lx, ly)))
        hx, hy = points[24]
        u = (p1[0] - hx, p1[1] - hy)
        u = (u[0] / (math.hypot(*u) or 1.0), u[1] / (math.hypot(*u) or 1.0))
        count = sum(t["count"] for t in types)
        pairs.append({
            "source": a, "target": b, "count": count, "types": types, "label": label,
            "hover": _hover(a, b, types), "path": [(x / sx, y / PX_PER_Y) for x, y in points],
            "head": {"x": p1[0] / sx, "y": p1[1] / PX_PER_Y, "ax": hx / sx, "ay": hy / PX_PER_Y,
                     "standoff": _exit_px(p1, (-u[0], -u[1]), g["boxes"][b]) + 1},
            "label_xy": (lx / sx, ly / PX_PER_Y), "colour": _colour(a, order),
            "leader": None if abs(near[1] - ly) < size[1] / 2 + 4 else
            [(lx / sx, ly / PX_PER_Y), (near[0] / sx, near[1] / PX_PER_Y)],
            "width": 1.2 + 0.8 * math.log2(count)})
    pairs.sort(key=lambda p: (rank[p["source"]], rank[p["target"]]))
    ys = [y for box in taken for y in (box[1], box[3])]
    ys += [y * PX_PER_Y for p in pairs for _, y in p["path"]]
    y_range = ((min(ys, default=-40) - 12) / PX_PER_Y, (max(ys, default=40) + 12) / PX_PER_Y)
    height = round(_MARGIN["t"] + _MARGIN["b"] + (y_range[1] - y_range[0]) * PX_PER_Y)
    nodes = [{"name": n, "x": xy[n][0], "y": xy[n][1], "colour": _colour(n, order),
              "role": "service" if g["cols"][n][1] is None else "read model",
              "sent": sum(e["count"] for e in edges if e["source"] == n),
              "received": sum(e["count"] for e in edges if e["target"] == n)} for n in order]
    return {"nodes": nodes, "pairs": pairs, "x_range": g["x_range"], "y_range": y_range,
            "height": height}


def _colour(name, order) -> str:
    if name in _SOURCE_COLOURS:
        return _SOURCE_COLOURS[name]
    return NODE_COLOURS[order.index(name) % len(NODE_COLOURS)]


def event_flow(edges: list[dict], *, title: str = "Event flow", data: dict | None = None):
    """Services left to right in flow order, read models on the right, one arrow per sender ->
    receiver pair labelled with its event types (or their number); hover an arrow or a label
    for every type with its count and lag.

    Args:
        edges: :func:`caplab.events.report.flow_edges` output.
        title: the figure's title.
        data: :func:`event_flow_data` output, if already computed.
    Returns:
        A plotly ``Figure``: trace 0 carries the hover text along every arrow, then one line
        per pair, then the (invisible) node markers; labels, heads and boxes are annotations
        named ``"pair label"``, ``"arrowhead"`` and ``"node"``.
    Example:
        >>> from caplab.events import EventShop                 # doctest: +SKIP
        >>> from caplab.events.report import flow_edges          # doctest: +SKIP
        >>> event_flow(flow_edges(shop)).show()                 # doctest: +SKIP
    """
    d = event_flow_data(edges) if data is None else data
    hover = {"x": [], "y": [], "text": []}
    for p in d["pairs"]:
        for x, y in p["path"][2:-2] + [p["label_xy"]]:
            hover["x"].append(x)
            hover["y"].append(y)
            hover["text"].append(p["hover"])
    traces = [{"type": "scatter", "mode": "markers", "name": "event types", **hover,
               "hoverinfo": "text", "showlegend": False,
               "marker": {"size": 16, "color": "rgba(0,0,0,0)"}}]
    traces += [{"type": "scatter", "mode": "lines", "name": f"{p['source']} → {p['target']}",
                "x": [x for x, _ in p["path"]], "y": [y for _, y in p["path"]],
                "line": {"color": p["colour"], "width": p["width"]}, "hoverinfo": "skip",
                "showlegend": False} for p in d["pairs"]]
    leaders = [p for p in d["pairs"] if p["leader"]]
    traces += [{"type": "scatter", "mode": "lines", "name": "label leader",
                "x": [x for x, _ in p["leader"]], "y": [y for _, y in p["leader"]],
                "line": {"color": p["colour"], "width": 1, "dash": "dot"}, "hoverinfo": "skip",
                "showlegend": False} for p in leaders]
    traces.append({"type": "scatter", "mode": "markers", "name": "services",
                   "x": [n["x"] for n in d["nodes"]], "y": [n["y"] for n in d["nodes"]],
                   "text": [n["name"] for n in d["nodes"]], "hoverinfo": "skip",
                   "marker": {"size": 1, "color": "rgba(0,0,0,0)"}, "showlegend": False})
    # Boxes first: an arrowhead ending on a box's edge is drawn over it, never under it.
    notes = [_node_box(n) for n in d["nodes"]]
    notes += [_arrowhead(p) for p in d["pairs"]]
    notes += [{"name": "pair label", "x": p["label_xy"][0], "y": p["label_xy"][1], "xref": "x",
               "yref": "y", "text": p["label"], "showarrow": False, "hovertext": p["hover"],
               "font": {"size": LABEL_FONT, "color": "#222222"},
               "width": _text_px(p["label"], LABEL_FONT),
               "bgcolor": "rgba(255,255,255,0.92)", "bordercolor": p["colour"],
               "borderwidth": 1, "borderpad": BOX_PAD_PX - 1} for p in d["pairs"]]
    if d["nodes"]:
        notes.append({"name": "caption", "x": 0, "y": 0, "xref": "paper", "yref": "paper",
                      "xanchor": "left", "yanchor": "top", "yshift": -8, "showarrow": False,
                      "text": "services in flow order → read models (right). Hover an arrow "
                              "for its event types, counts and lags.",
                      "font": {"size": LABEL_FONT, "color": "#555555"}})
    layout = base_layout(title, annotations=notes, height=d["height"], margin=dict(_MARGIN),
                         width=PLOT_WIDTH_PX + _MARGIN["l"] + _MARGIN["r"], autosize=False,
                         hovermode="closest",
                         xaxis={"visible": False, "range": list(d["x_range"]), "fixedrange": True},
                         yaxis={"visible": False, "range": list(d["y_range"]), "fixedrange": True})
    return make_figure(traces, layout)


def _arrowhead(p) -> dict:
    a = p["head"]
    return {"name": "arrowhead", "x": a["x"], "y": a["y"], "ax": a["ax"], "ay": a["ay"],
            "xref": "x", "yref": "y", "axref": "x", "ayref": "y", "text": "", "showarrow": True,
            "arrowhead": 2, "arrowsize": max(1.0, 3.2 / p["width"]), "arrowwidth": p["width"],
            "arrowcolor": p["colour"], "standoff": a["standoff"]}


def _node_box(n) -> dict:
    service = n["role"] == "service"
    return {"name": "node", "x": n["x"], "y": n["y"], "xref": "x", "yref": "y",
            "text": n["name"], "showarrow": False,
            "hovertext": f"{n['name']} ({n['role']}): sent {n['sent']}, received "
                         f"{n['received']} events",
            "font": {"size": NAME_FONT, "color": "#000000"},
            "width": _text_px(n["name"], NAME_FONT),
            "bgcolor": "#FFFFFF" if service else "#EEEEEE",
            "bordercolor": n["colour"] if service else GREY, "borderwidth": 2,
            "borderpad": BOX_PAD_PX - 2}
