"""One key's value on each of its replicas over time, read from the trace: a lane per replica,
a bar per value it held, and a marker where a new version arrived, by how it arrived (the
write itself, a replayed hint, a read repair, an anti-entropy exchange). Faults are shaded
behind (:mod:`caplab.viz.bands`), and the moments a story names (the heal, the repair) marked.

This is the picture behind Dynamo's and Cassandra's repair mechanisms: a replica that missed a
write is stale until one of them brings it the newer version.
"""

from __future__ import annotations

from ._common import FONT_SIZE, NODE_COLOURS, OKABE_ITO, base_layout, make_figure, short
from .bands import band_annotations, band_shapes, clip, events_of, fault_bands, stack_labels

__all__ = ["replica_story", "replica_story_data", "ARRIVALS"]

#: message kind -> (how the version arrived, marker symbol, colour)
ARRIVALS = {
    "Mutation": ("write", "circle", OKABE_ITO["black"]),
    "HintReplay": ("hint replayed", "diamond", OKABE_ITO["orange"]),
    "ReadRepair": ("read repair", "star", OKABE_ITO["reddish purple"]),
    "AntiEntropyPush": ("anti-entropy", "square", OKABE_ITO["bluish green"]),
}


def _incoming(e, key):
    """The versions of ``key`` that a delivered message brings its receiver, or None."""
    msg = e.msg
    kind = type(msg).__name__
    if kind not in ARRIVALS or e.peer is None:
        return None
    if kind == "AntiEntropyPush":
        found = [vs for k, vs in msg.entries if k == key]
        return tuple(found[0]) if found else None
    if getattr(msg, "key", None) != key:
        return None
    if kind == "Mutation" and msg.intended is not None and msg.intended != e.peer:
        return None   # a sloppy stand-in keeps it as a hint, not as its own replica
    return tuple(msg.versions) if kind == "ReadRepair" else (msg.version,)


def replica_story_data(cluster, key, *, nodes=None, until_ms=None) -> dict:
    """What each replica of ``key`` held over time, from the cluster's trace.

    Args:
        cluster: an AP Cluster (its trace holds the messages with their versions).
        key: the key to follow.
        nodes: the lanes (default the key's replicas, ``cluster.replicas_for(key)``).
        until_ms: the end of the story (default ``cluster.now``).

    Returns:
        A dict: ``key``, ``nodes``, ``segments`` (dicts ``node, start_ms, end_ms, value``: the
        value the node held, ``None`` for nothing, a tuple for siblings), ``arrivals`` (dicts
        ``time_ms, node, how, value`` where a version arrived and changed what the node held;
        ``how`` from :data:`ARRIVALS`), ``bands`` (faults), ``until_ms``.

    Example:
        >>> from caplab.course import ap
        >>> h = ap.hinted_handoff(seed=1)
        >>> [a["how"] for a in replica_story_data(h.cluster, h.key)["arrivals"]
        ...  if a["node"] == h.target]
        ['hint replayed']
    """
    from ..kv.ap.versions import reconcile, values_of
    events = events_of(cluster)
    until = cluster.now if until_ms is None else until_ms
    lanes = list(nodes) if nodes is not None else list(cluster.replicas_for(key))
    conflict = cluster.network.endpoints[lanes[0]].store.conflict if lanes else "lww"
    held = {n: () for n in lanes}
    since = {n: 0 for n in lanes}
    segments, arrivals = [], []
    for e in events:
        if e.kind != "deliver" or e.peer not in held or e.time_ms > until:
            continue
        incoming = _incoming(e, key)
        if incoming is None:
            continue
        node = e.peer
        # The replica keeps what survives reconciliation (LWW winner or siblings), as its
        # store does (caplab.kv.ap.versions.reconcile).
        merged = reconcile(held[node] + incoming, conflict)
        if values_of(merged) == values_of(held[node]):
            held[node] = merged
            continue
        segments.append(_segment(node, since[node], e.time_ms, values_of(held[node])))
        held[node], since[node] = merged, e.time_ms
        arrivals.append({"time_ms": e.time_ms, "node": node, "value": values_of(merged),
                         "how": ARRIVALS[type(e.msg).__name__][0]})
    segments += [_segment(n, since[n], until, values_of(held[n])) for n in lanes]
    bands = clip(fault_bands(events, until_ms=until), 0, until)
    return {"key": key, "nodes": lanes, "segments": [s for s in segments if s["value"]
                                                     is not None],
            "arrivals": arrivals, "bands": bands, "until_ms": until}


def _segment(node, start, end, value) -> dict:
    return {"node": node, "start_ms": start, "end_ms": end, "value": value}


def _label(value) -> str:
    if isinstance(value, tuple):
        return f"{len(value)} siblings: " + " | ".join(short(v, 12) for v in value)
    return short(value, 16)


def replica_story(cluster=None, key=None, *, marks=None, nodes=None, until_ms=None, data=None,
                  since_ms=None, title=None, height=None):
    """Draw each replica's value of ``key`` over time, with the arrivals and the story's marks.

    Args:
        cluster, key, nodes, until_ms: as in :func:`replica_story_data`.
        marks: ``(time_ms, label)`` moments to mark with a vertical line (e.g. the heal);
            a None time is left out.
        data: a dict from :func:`replica_story_data`.
        since_ms: where the time axis starts (default a little before the first arrival).
        title: the figure's title (default names the key).
        height: px (default grows with the lanes).

    Returns:
        A ``go.Figure``: one bar trace per distinct value (named by it, ``meta["value"]``),
        one marker trace per way of arriving (named by it: ``"write"``, ``"hint replayed"``,
        ``"read repair"``, ``"anti-entropy"``; ``customdata`` = ``[node, time_ms]``), the marks
        as shapes named ``"mark"`` with labels, fault bands as in :func:`caplab.viz.timeline`.

    Example:
        >>> from caplab.course import ap
        >>> h = ap.hinted_handoff(seed=1)
        >>> fig = replica_story(h.cluster, h.key, marks=[(h.heal_ms, "heal")])
    """
    d = data if data is not None else replica_story_data(cluster, key, nodes=nodes,
                                                         until_ms=until_ms)
    row = {n: i for i, n in enumerate(d["nodes"])}
    starts = [a["time_ms"] for a in d["arrivals"]]
    lo = since_ms if since_ms is not None else max(0, min(starts, default=0) - 100)
    hi = d["until_ms"]
    traces = _value_bars(d["segments"], row, lo, _shown_labels(d["segments"], lo, hi))
    for how, symbol, colour in ARRIVALS.values():
        mine = [a for a in d["arrivals"] if a["how"] == how]
        traces.append({"type": "scatter", "name": how, "mode": "markers",
                       "x": [a["time_ms"] for a in mine], "y": [row[a["node"]] for a in mine],
                       "marker": {"symbol": symbol, "size": 16, "color": colour,
                                  "line": {"width": 1.5, "color": "#FFFFFF"}},
                       "customdata": [[a["node"], a["time_ms"]] for a in mine],
                       "hovertemplate": f"%{{customdata[0]}} got it by {how} at "
                                        f"%{{x}} ms<extra></extra>",
                       "showlegend": bool(mine)})
    bands = clip(d["bands"], lo, hi)
    span = max(hi - lo, 1)
    shapes = band_shapes(bands, min_width=span / 150)
    notes = band_annotations(bands, span=span, hi=hi)
    marks = sorted((t, label) for t, label in (marks or ()) if t is not None)
    levels = stack_labels([(t, label) for t, label in marks], span=span)
    for (t, label), level in zip(marks, levels):
        shapes.append({"type": "line", "name": "mark", "xref": "x", "yref": "paper",
                       "x0": t, "x1": t, "y0": 0, "y1": 1, "layer": "above",
                       "line": {"color": "#333333", "width": 2, "dash": "dash"}})
        # Inside the plot, below the last lane, stacked so close marks do not collide.
        notes.append({"text": label, "x": t, "xref": "x", "y": 0, "yref": "paper",
                      "xanchor": "left", "yanchor": "bottom", "yshift": 2 + 22 * level,
                      "showarrow": False,
                      "name": "mark",
                      "font": {"size": FONT_SIZE - 2}, "bgcolor": "rgba(255,255,255,0.85)"})
    lanes = d["nodes"]
    layout = base_layout(title or f"{d['key']!r} on each replica over time",
                         height=height or 200 + 70 * len(lanes), shapes=shapes,
                         annotations=notes, hovermode="closest",
                         xaxis={"title": {"text": "simulated time (ms)"}, "range": [lo, hi],
                                "zeroline": False},
                         yaxis={"tickvals": list(range(len(lanes))), "ticktext": lanes,
                                "range": [len(lanes) - 0.4 + 0.35 * (max(levels, default=-1)
                                                                     + 1), -0.9],
                                "zeroline": False},
                         legend={"orientation": "h", "yref": "container", "y": 0.005,
                                 "yanchor": "bottom", "x": 1, "xanchor": "right"},
                         margin={"l": 60, "r": 20, "t": 70, "b": 110})
    return make_figure(traces, layout)


def _shown_labels(segments, lo, hi, width_px=900) -> list[bool]:
    """Per segment, whether its value label fits: on each lane a label that would run into
    the previous one is left out (the legend still names every value)."""
    per_char = 0.6 * (FONT_SIZE - 2) * max(hi - lo, 1) / width_px
    ends: dict = {}
    shown = []
    for s in sorted(range(len(segments)), key=lambda i: segments[i]["start_ms"]):
        seg = segments[s]
        x = max(seg["start_ms"], lo)
        fits = x >= ends.get(seg["node"], float("-inf"))
        if fits:
            ends[seg["node"]] = x + (len(_label(seg["value"])) + 1) * per_char
        shown.append((s, fits))
    return [fits for _, fits in sorted(shown)]


def _value_bars(segments, row, lo, shown) -> list[dict]:
    """One trace per distinct value: a thick bar for each stretch a replica held it, labelled
    at its start where the label fits (``shown``)."""
    values = []
    for s in segments:
        if repr(s["value"]) not in values:
            values.append(repr(s["value"]))
    traces = []
    for i, ident in enumerate(values):
        mine = [i for i, s in enumerate(segments) if repr(s["value"]) == ident]
        xs, ys, text = [], [], []
        for i in mine:
            s = segments[i]
            xs += [max(s["start_ms"], lo), s["end_ms"], None]
            ys += [row[s["node"]], row[s["node"]], None]
            text += [_label(s["value"]) if shown[i] else "", "", ""]
        value = segments[mine[0]]["value"]
        traces.append({"type": "scatter", "name": _label(value), "mode": "lines+text",
                       "x": xs, "y": ys, "meta": {"value": value},
                       "line": {"width": 16, "color": NODE_COLOURS[(i + 4) % len(NODE_COLOURS)]},
                       "text": text,
                       "textposition": "top right",
                       "textfont": {"size": FONT_SIZE - 2},
                       "hoverinfo": "skip", "opacity": 0.75})
    return traces
