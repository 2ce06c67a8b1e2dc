"""The space-time (Lamport) diagram: one vertical lifeline per node or client, time flowing
down, an arrow per message from its send to its delivery, an X where a message was dropped (by a
partition, loss, or a crashed receiver), crashed stretches of a lifeline greyed out, and
partitions shown as shaded bands (Maelstrom's ``net/viz`` in spirit).
"""

from __future__ import annotations

from bisect import bisect_left

import pandas as pd

from ._common import (CUT_COLOUR, FONT_SIZE, GREY, MESSAGE_COLOUR, base_layout, make_figure,
                      natural_key)

__all__ = ["sequence_diagram", "sequence_diagram_data", "FAULT_KINDS"]

#: trace kinds drawn as faults
FAULT_KINDS = ("partition", "cut", "heal", "crash", "restart")


def _none(v):
    return None if v is None or v is pd.NA or (isinstance(v, float) and v != v) else v


def sequence_diagram_data(source, *, since_ms=None, until_ms=None, nodes=None, kinds=None,
                          faults=None, max_messages=1500, lookback_ms=2000) -> dict:
    """Messages and faults of :func:`sequence_diagram`, as plain data.

    Args:
        source: a trace (``cluster.sim.trace`` or a list of ``TraceEvent``) or a
            ``caplab.frames.messages_frame`` DataFrame.
        since_ms, until_ms: the time window (messages overlapping it are kept).
        nodes: lifelines to show, in order (messages between others are left out); default
            every endpoint seen, nodes before clients in natural order.
        kinds: message kinds to keep (e.g. ``["Put", "Replicate"]``); default all.
        faults: fault events when ``source`` is a frame (a trace or list of ``TraceEvent``);
            with a trace source they come from it.
        max_messages: keep at most this many (the latest) so a long run stays fast to draw.
        lookback_ms: with a trace and ``since_ms``, events before ``since_ms - lookback_ms``
            are not read (a message in flight longer than that is left out; faults are
            always read in full).

    Returns:
        A dict: ``lifelines``, ``messages`` (dicts ``msg_id, src, dst, kind, sent_ms,
        outcome, end_ms, reason``), ``faults`` (dicts ``time_ms, kind, node, peer, detail``),
        ``bands`` (partition intervals ``(start_ms, end_ms, detail)``), ``down`` (crash
        intervals ``(node, start_ms, end_ms)``), ``since_ms``, ``until_ms``, ``truncated``.
    """
    frame, events = _read(source, since_ms, until_ms, faults, lookback_ms)
    frame = _filter(frame, since_ms, until_ms, kinds, nodes)
    truncated = max(0, len(frame) - max_messages)
    if truncated:
        frame = frame.iloc[-max_messages:]
    messages = [{"msg_id": _none(m[0]), "src": m[1], "dst": m[2], "kind": m[3],
                 "sent_ms": int(m[4]), "outcome": m[5],
                 "end_ms": None if _none(m[6]) is None else int(m[6]), "reason": _none(m[7])}
                for m in frame[["msg_id", "src", "dst", "kind", "sent_ms", "outcome", "end_ms",
                                "reason"]].itertuples(index=False, name=None)]
    fault_events = [{"time_ms": e.time_ms, "kind": e.kind, "node": e.node, "peer": e.peer,
                     "detail": e.detail} for e in events if e.kind in FAULT_KINDS
                    and (until_ms is None or e.time_ms <= until_ms)]
    times = [m["sent_ms"] for m in messages] + [m["end_ms"] for m in messages
                                                if m["end_ms"] is not None]
    times += [f["time_ms"] for f in fault_events]
    lo = since_ms if since_ms is not None else (min(times) if times else 0)
    hi = until_ms if until_ms is not None else (max(times) if times else 0)
    bands, down = _intervals(fault_events, hi)
    bands = [b for b in bands if b[1] >= lo]
    down = [d for d in down if d[2] >= lo]
    fault_events = [f for f in fault_events if f["time_ms"] >= lo]
    return {"lifelines": _lifelines(nodes, messages, fault_events), "messages": messages,
            "faults": fault_events, "bands": bands, "down": down, "since_ms": lo,
            "until_ms": hi, "truncated": truncated}


def _read(source, since_ms, until_ms, faults, lookback_ms):
    """(messages frame, fault events) from a trace or a frame."""
    from ..frames import messages_frame
    if isinstance(source, pd.DataFrame):
        frame = source
        events = list(faults or [])
    else:
        events = source.events if hasattr(source, "events") else list(source)
        recent = events
        if since_ms is not None:
            # The trace is in time order: skip straight to the window (plus a lookback for
            # messages sent before it and delivered inside it).
            recent = events[bisect_left(events, since_ms - lookback_ms,
                                        key=lambda e: e.time_ms):]
        frame = messages_frame(recent, since_ms=since_ms, until_ms=until_ms)
        if faults is not None:
            events = list(faults)
        else:
            events = [e for e in events if e.kind in FAULT_KINDS]
    return frame, events


def _filter(frame, since_ms, until_ms, kinds, nodes):
    """The messages alive in the window, of the kinds and between the nodes asked for."""
    if since_ms is not None:
        # Keep messages still alive at since_ms (in-flight ones have no end yet).
        end = pd.to_numeric(frame["end_ms"], errors="coerce").astype(float)
        frame = frame[end.fillna(float("inf")).to_numpy() >= since_ms]
    if until_ms is not None:
        frame = frame[frame["sent_ms"] <= until_ms]
    if kinds is not None:
        frame = frame[frame["kind"].isin(list(kinds))]
    if nodes is not None:
        wanted = list(nodes)
        frame = frame[frame["src"].isin(wanted) & frame["dst"].isin(wanted)]
    return frame


def _intervals(fault_events, hi):
    """Partition intervals ``(start, end, detail)`` and crash intervals ``(node, start,
    end)``; one still going on ends at ``hi``."""
    bands, down, open_band, crashed = [], [], None, {}
    for f in fault_events:
        if f["kind"] in ("partition", "cut"):
            label = f["detail"] or f["kind"]
            if open_band is None:
                open_band = [f["time_ms"], label]
            else:
                open_band[1] += f"; {label}"
        elif f["kind"] == "heal" and open_band is not None:
            bands.append((open_band[0], f["time_ms"], open_band[1]))
            open_band = None
        elif f["kind"] == "crash":
            crashed[f["node"]] = f["time_ms"]
        elif f["kind"] == "restart" and f["node"] in crashed:
            down.append((f["node"], crashed.pop(f["node"]), f["time_ms"]))
    if open_band is not None:
        bands.append((open_band[0], max(hi, open_band[0]), open_band[1]))
    for node, start in sorted(crashed.items()):
        down.append((node, start, max(hi, start)))
    return bands, down


def _lifelines(nodes, messages, fault_events) -> list:
    if nodes is not None:
        lifelines = list(nodes)
    else:
        seen = {m["src"] for m in messages} | {m["dst"] for m in messages}
        seen |= {f["node"] for f in fault_events if f["kind"] in ("crash", "restart")}
        seen.discard(None)
        # Nodes (n1, n2, ...) before clients, each in natural order.
        lifelines = sorted(seen, key=lambda n: (not str(n)[:1] == "n" or
                                                not str(n)[1:].isdigit(), natural_key(n)))
    return lifelines


def sequence_diagram(source=None, *, since_ms=None, until_ms=None, nodes=None, kinds=None,
                     faults=None, max_messages=1500, data=None, height=650):
    """Draw the space-time diagram of the messages in a trace.

    Args:
        source, since_ms, until_ms, nodes, kinds, faults, max_messages: as in
            :func:`sequence_diagram_data`.
        data: a dict from :func:`sequence_diagram_data`.
        height: figure height in px.

    Returns:
        A ``go.Figure`` (x: lifelines, y: time in ms, growing downwards) with traces
        ``"lifelines"``, ``"down"`` (crashed stretches; ``customdata`` = ``[node, from, to]``),
        one per message kind of delivered arrows, named by the kind in its colour
        (``meta["kind"]``), ``"in flight"``, ``"dropped"`` (the dashed path of each
        dropped message), ``"drop"`` (an X at each drop; ``customdata`` = ``[msg_id, src, dst,
        kind, reason, time_ms]``) and ``"faults"`` (a marker per partition/cut/heal/crash/
        restart; ``customdata`` = ``[kind, node, detail]``). Arrowheads of in-flight and
        dropped messages take their kind's colour too. Partitions are also layout shapes named ``"partition"``. An empty
        window says so (an annotation named ``"empty"``) over a 0..100 ms axis from its start.

    Example:
        >>> sequence_diagram(c.sim.trace, since_ms=0, until_ms=300,
        ...                  kinds=["Put", "Replicate", "Ack"]).show()   # doctest: +SKIP
    """
    d = data if data is not None else sequence_diagram_data(
        source, since_ms=since_ms, until_ms=until_ms, nodes=nodes, kinds=kinds, faults=faults,
        max_messages=max_messages)
    lanes = d["lifelines"]
    x_of = {n: i for i, n in enumerate(lanes)}
    lo, hi = d["since_ms"], d["until_ms"]
    empty = not d["messages"]
    if empty and hi - lo < 100:
        hi = lo + 100   # a sane axis for "nothing here", not -1..1
    colours = kind_colours(m["kind"] for m in d["messages"])
    traces = _lifeline_traces(lanes, x_of, d["down"], lo, hi)
    traces += _message_traces(d["messages"], x_of, hi, colours)
    traces.append(_fault_trace(d["faults"], x_of))
    # Bands are clipped to the window: one that began earlier must not stretch the time axis.
    shapes = [{"type": "rect", "name": "partition", "xref": "paper", "x0": 0, "x1": 1,
               "yref": "y", "y0": max(b0, lo), "y1": min(b1, hi),
               "fillcolor": "rgba(213,94,0,0.10)", "line": {"width": 0}, "layer": "below"}
              for b0, b1, _ in d["bands"] if b1 >= lo and b0 <= hi]
    # The time axis shows exactly the window of the title (time grows downwards), with a
    # little room so markers at its ends are not cut in half.
    pad = max(1.0, 0.02 * (hi - lo))
    title = f"Messages · {len(d['messages'])} · {lo}–{d['until_ms']} ms"
    if d["truncated"]:
        title += f" (oldest {d['truncated']} not shown)"
    annotations = []
    if empty:
        annotations.append({"text": f"no messages between {lo} and {d['until_ms']} ms",
                            "x": 0.5, "y": 0.5, "xref": "paper", "yref": "paper",
                            "showarrow": False, "name": "empty",
                            "font": {"size": FONT_SIZE + 2, "color": "#555555"}})
    layout = base_layout(title, height=height, shapes=shapes, annotations=annotations,
                         xaxis={"tickvals": list(range(len(lanes))), "ticktext": lanes,
                                "side": "top", "range": [-1.2, max(len(lanes) - 0.5, 0.5)],
                                "showgrid": False, "zeroline": False},
                         yaxis={"range": [hi + pad, lo - pad], "autorange": False,
                                "title": {"text": "time (ms)"}, "zeroline": False},
                         legend={"orientation": "h", "y": -0.02, "yanchor": "top"},
                         hovermode="closest",
                         meta={"bands": [list(b) for b in d["bands"]],
                               "lifelines": lanes, "kinds": colours})
    return make_figure(traces, layout)


#: message kinds get these colours in order of name (vermilion is kept for drops and faults).
KIND_PALETTE = ["#0072B2", "#009E73", "#E69F00", "#CC79A7", "#56B4E9", "#000000", "#9A6A00",
                "#004C7A"]


def kind_colours(kinds) -> dict:
    """Message kind -> colour, by sorted name (the same kinds get the same colours in every
    window); beyond the palette, grey."""
    names = sorted(set(kinds), key=str)
    return {k: KIND_PALETTE[i] if i < len(KIND_PALETTE) else GREY for i, k in enumerate(names)}


def _lifeline_traces(lanes, x_of, down, lo, hi) -> list[dict]:
    lx, ly = [], []
    for i in range(len(lanes)):
        lx += [i, i, None]
        ly += [lo, hi, None]
    dx, dy, dc = [], [], []
    for node, t0, t1 in down:
        if node in x_of:
            dx += [x_of[node], x_of[node], None]
            dy += [max(t0, lo), min(t1, hi), None]   # clipped to the window
            dc += [[node, t0, t1]] * 2 + [None]
    return [{"type": "scatter", "name": "lifelines", "x": lx, "y": ly, "mode": "lines",
             "line": {"color": "#9A9A9A", "width": 2}, "hoverinfo": "skip",
             "showlegend": False},
            {"type": "scatter", "name": "down", "x": dx, "y": dy, "mode": "lines",
             "line": {"color": GREY, "width": 12}, "opacity": 0.6, "customdata": dc,
             "hovertemplate": "%{customdata[0]} down %{customdata[1]}–%{customdata[2]} "
                              "ms<extra></extra>", "showlegend": bool(dx)}]


def _message_traces(messages, x_of, hi, colours) -> list[dict]:
    """The arrows: delivered messages one trace per kind in the kind's colour (its legend
    entry), then ``"in flight"`` (dotted) and ``"dropped"`` (dashed) with arrowheads in the
    kind's colour, and the X of each drop."""
    groups: dict = {}
    drops = []
    for m in messages:
        if m["src"] not in x_of or m["dst"] not in x_of:
            continue
        x0, x1 = x_of[m["src"]], x_of[m["dst"]]
        text = (f"#{m['msg_id']} {m['kind']} {m['src']}→{m['dst']}<br>sent {m['sent_ms']} ms, "
                f"{m['outcome']}" + (f" {m['end_ms']} ms" if m["end_ms"] is not None else ""))
        if m["outcome"] == "delivered":
            end_x, end_y = x1, m["end_ms"]
        elif m["outcome"] == "dropped":
            text += f" ({m['reason']})"
            if m["end_ms"] is None or m["end_ms"] <= m["sent_ms"]:
                # Lost as it was sent: a short stub towards the receiver.
                end_x, end_y = x0 + 0.3 * (x1 - x0), m["sent_ms"]
            else:
                end_x, end_y = x1, m["end_ms"]
            drops.append((end_x, end_y, m, text))
        else:
            end_x, end_y = x0 + 0.5 * (x1 - x0), hi
        outcome = m["outcome"] if m["outcome"] in ("delivered", "dropped") else "in flight"
        group = m["kind"] if outcome == "delivered" else outcome
        xs, ys, hover, cols = groups.setdefault(group, ([], [], [], []))
        xs += [x0, end_x, None]
        ys += [m["sent_ms"], end_y, None]
        hover += [text, text, None]
        cols += [colours[m["kind"]]] * 2 + [MESSAGE_COLOUR]
    traces = [_arrows(kind, groups[kind], "solid", colour, "arrow", {"kind": kind})
              for kind, colour in colours.items() if kind in groups]
    traces.append(_arrows("in flight", groups.get("in flight", ([],) * 4), "dot",
                          MESSAGE_COLOUR, "arrow", {}))
    traces.append(_arrows("dropped", groups.get("dropped", ([],) * 4), "dash", CUT_COLOUR,
                          "circle", {}))
    traces.append({"type": "scatter", "name": "drop", "mode": "markers",
                   "x": [p[0] for p in drops], "y": [p[1] for p in drops],
                   "marker": {"symbol": "x", "size": 14, "color": CUT_COLOUR},
                   "customdata": [[m["msg_id"], m["src"], m["dst"], m["kind"], m["reason"],
                                   m["end_ms"]] for _, _, m, _ in drops],
                   "hovertext": [t for _, _, _, t in drops], "hoverinfo": "text",
                   "showlegend": bool(drops)})
    return traces


def _arrows(name, group, dash, colour, symbol, meta) -> dict:
    """One trace of message segments, an arrowhead (kind-coloured) at each delivery end."""
    xs, ys, hover, cols = group
    return {"type": "scatter", "name": name, "x": xs, "y": ys, "mode": "lines+markers",
            "line": {"color": colour, "width": 1.5, "dash": dash},
            "marker": {"symbol": symbol,
                       "size": [0, 11, 0] * (len(xs) // 3) if symbol == "arrow" else 0,
                       "color": cols, "angleref": "previous"},
            "hovertext": hover, "hoverinfo": "text", "opacity": 0.85,
            "showlegend": bool(xs), "meta": meta}


def _fault_trace(fl, x_of) -> dict:
    return {"type": "scatter", "name": "faults", "mode": "markers+text",
            "x": [x_of.get(f["node"], -0.6) if f["kind"] in ("crash", "restart")
                  else -0.6 for f in fl],
            "y": [f["time_ms"] for f in fl],
            "marker": {"symbol": ["x-thin-open" if f["kind"] == "crash" else
                                  "diamond" if f["kind"] == "restart" else
                                  "triangle-right" for f in fl],
                       "size": 16, "color": CUT_COLOUR,
                       "line": {"width": 3, "color": CUT_COLOUR}},
            "text": [f["kind"] for f in fl], "textposition": "middle left",
            "textfont": {"size": FONT_SIZE - 4, "color": CUT_COLOUR},
            "customdata": [[f["kind"], f["node"], f["detail"]] for f in fl],
            "hovertext": [f"{f['time_ms']} ms {f['kind']} "
                          f"{f['detail'] or f['node'] or ''}" for f in fl],
            "hoverinfo": "text", "showlegend": bool(fl)}
