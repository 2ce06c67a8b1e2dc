"""A RaftScope-style picture of a replicated log at one moment: the members in a ring, each with
its role (the primary by shape and label), term and vote; the messages in the air between them,
by type; and beside them every member's log as a row of entries (term inside, filled when
committed, hollow when not), with the entries a rollback cut off hanging below the row.

RaftScope (raft.github.io) animates a Raft cluster this way; here the moments come from
:class:`caplab.kv.timeline_state.Timeline`, so the same picture serves a replica set (terms,
votes, oplogs) and, with what it traces, a MySQL-style source (roles by generation, messages).
Two logs diverging show as two rows whose entries at the same index carry different terms; the
rollback as one row losing its tail, which drops below it crossed out.

Example:
    >>> from caplab.kv import Cluster
    >>> from caplab.kv.timeline_state import Timeline
    >>> c = Cluster(mode="cp", nodes=3, seed=1); c.run_for(1500)
    >>> fig = raftscope(Timeline.of(c), 1200)
    >>> fig.layout.title.text.startswith("t = 1200 ms")
    True
"""

from __future__ import annotations

import math

from ._common import (CUT_COLOUR, FONT_SIZE, GREY, OKABE_ITO, ROLE_COLOURS, base_layout,
                      make_figure, short)
from .bands import fault_bands

__all__ = ["raftscope", "raftscope_data", "raftscope_animation", "ROLE_SYMBOLS", "TERM_COLOURS",
           "COLUMNS"]

#: role -> marker symbol (the primary by shape, not only by colour)
ROLE_SYMBOLS = {"primary": "star", "candidate": "diamond", "secondary": "circle",
                "replica": "circle", "arbiter": "triangle-up", "down": "x"}
#: term -> entry colour, cycling (term 0, data loaded before the run, is grey)
TERM_COLOURS = [OKABE_ITO[c] for c in ("blue", "orange", "bluish green", "reddish purple",
                                       "sky blue", "vermilion", "yellow")]
_MESSAGE_COLOURS = [OKABE_ITO[c] for c in ("black", "blue", "vermilion", "bluish green",
                                           "reddish purple", "orange", "sky blue")]
_RING_R = 1.0
#: log columns shown by default (the newest entries), so a frame costs the same late in a run
COLUMNS = 14


def _term_colour(term: int) -> str:
    return GREY if term <= 0 else TERM_COLOURS[(term - 1) % len(TERM_COLOURS)]


def _ring(nodes) -> dict:
    """node -> (x, y) on a circle, the first at the top, clockwise (RaftScope's layout)."""
    k = len(nodes)
    return {n: (_RING_R * math.sin(2 * math.pi * i / k), _RING_R * math.cos(2 * math.pi * i / k))
            for i, n in enumerate(nodes)}


def _entry_text(e) -> str:
    what = "no-op" if e.op == "noop" else f"{e.op} {e.key}={e.value!r}"
    return f"optime ({e.term}, {e.index}): {what}"


def raftscope_data(moment, nodes, *, first_index: int | None = None,
                   last_index: int | None = None, kinds=None) -> dict:
    """What :func:`raftscope` draws, as plain data.

    Args:
        moment: a :class:`caplab.kv.timeline_state.Moment`.
        nodes: the members, in drawing order.
        first_index, last_index: the log columns shown (default: the newest
            :data:`COLUMNS` entries of the longest log, cut entries included).
        kinds: message kinds in legend order (fixes each kind's colour across moments;
            default: the kinds in the air, sorted).

    Returns:
        A dict: ``time_ms``; ``nodes`` (dicts ``node, x, y, role, term, voted_for, up,
        commit_index``); ``entries`` and ``cut`` (dicts ``node, row, index, term, committed,
        text, value``); ``messages`` (dicts ``src, dst, kind, label, x, y, angle, fate,
        progress``: 0 at the sender, 1 at the receiver);
        ``first_index``, ``last_index``, ``kinds``, ``notes`` (the moment's captions).
    """
    pos = _ring(nodes)
    states = moment.nodes
    longest = max([len(states[n].log) for n in nodes]
                  + [s.cut[-1].index for s in states.values() if s.cut] + [1])
    last = longest if last_index is None else last_index
    first_index = max(1, last - COLUMNS + 1) if first_index is None else first_index
    rows = {n: len(nodes) - 1 - i for i, n in enumerate(nodes)}
    out_nodes, entries, cut = [], [], []
    for n in nodes:
        s = states[n]
        x, y = pos[n]
        out_nodes.append({"node": n, "x": x, "y": y, "role": s.role, "term": s.term,
                          "voted_for": s.voted_for, "up": s.up, "commit_index": s.commit_index})
        for e in s.log[first_index - 1:last]:      # entry i sits at position i - 1
            if first_index <= e.index <= last:
                entries.append({"node": n, "row": rows[n], "index": e.index, "term": e.term,
                                "committed": e.committed, "text": _entry_text(e),
                                "value": e.value if e.op != "noop" else None})
        for e in s.cut:
            if first_index <= e.index <= last:
                cut.append({"node": n, "row": rows[n], "index": e.index, "term": e.term,
                            "committed": False, "text": _entry_text(e),
                            "value": e.value if e.op != "noop" else None,
                            "cut_ms": s.cut_ms})
    kinds = list(kinds) if kinds is not None else sorted({f.kind for f in moment.flying})
    messages = []
    for f in moment.flying + moment.dropped:
        (x0, y0), (x1, y1) = pos[f.src], pos[f.dst]
        p = f.progress(moment.time_ms) if f.fate != "dropped" else max(0.15, f.progress(
            f.end_ms))
        messages.append({"src": f.src, "dst": f.dst, "kind": f.kind, "label": f.label,
                         "x": x0 + (x1 - x0) * p, "y": y0 + (y1 - y0) * p,
                         "angle": math.degrees(math.atan2(x1 - x0, y1 - y0)),
                         "fate": "dropped" if f.fate == "dropped" else "flying",
                         "progress": p})
        if f.kind not in kinds and f.fate != "dropped":
            kinds.append(f.kind)
    return {"time_ms": moment.time_ms, "nodes": out_nodes, "entries": entries, "cut": cut,
            "messages": messages, "first_index": first_index, "last_index": last,
            "kinds": kinds, "notes": [e.describe().strip() for e in moment.notes],
            "note_events": list(moment.notes)}


def _caption(d, faults) -> str:
    """The title: the time, the faults going on, and the latest notable event."""
    t = d["time_ms"]
    parts = [f"t = {t} ms"]
    active = [b["label"] for b in faults if b["start_ms"] <= t < b["end_ms"]
              and b["kind"] != "election"]
    if active:
        parts.append("; ".join(active))
    if d["note_events"]:
        e = d["note_events"][-1]
        what = f"{e.kind} {e.detail}" if e.detail and e.kind not in e.detail else (
            e.detail or e.kind)
        parts.append(f"{e.time_ms} ms: {e.node + ' ' if e.node else ''}{short(what, 56)}")
    return " · ".join(parts)


def _node_traces(d) -> list[dict]:
    nodes = d["nodes"]
    symbols = [ROLE_SYMBOLS.get(n["role"], "circle") for n in nodes]
    colours = [ROLE_COLOURS.get(n["role"], ROLE_COLOURS["other"]) for n in nodes]
    labels = [f"<b>{n['node']}</b> {n['role'].upper() if n['role'] == 'primary' else n['role']}"
              f"<br>term {n['term']} · vote {n['voted_for'] or '–'}" for n in nodes]
    hover = [f"{n['node']}: {n['role']}, term {n['term']}, voted for {n['voted_for'] or 'nobody'}"
             f", commit point {n['commit_index']}" for n in nodes]
    return [{"type": "scatter", "name": "members", "mode": "markers+text", "xaxis": "x",
             "yaxis": "y", "x": [n["x"] for n in nodes], "y": [n["y"] for n in nodes],
             "text": labels, "hovertext": hover,
             # labels outside the ring, away from the messages flying inside it
             "textposition": ["top center" if n["y"] > 0.3 else "bottom center" for n in nodes],
             "hoverinfo": "text", "showlegend": False, "customdata": [n["node"] for n in nodes],
             "textfont": {"size": FONT_SIZE - 2},
             "marker": {"size": 44, "symbol": symbols, "color": colours,
                        "line": {"width": 2, "color": "#333333"}}}]


def _message_traces(d) -> list[dict]:
    """One trace per message kind (a fixed list, so animation frames line up), and one for the
    messages dropped lately."""
    traces = []
    for i, kind in enumerate(d["kinds"]):
        ms = [m for m in d["messages"] if m["kind"] == kind and m["fate"] == "flying"]
        colour = _MESSAGE_COLOURS[i % len(_MESSAGE_COLOURS)]
        traces.append({"type": "scatter", "name": kind, "mode": "markers+text", "xaxis": "x",
                       "yaxis": "y", "x": [m["x"] for m in ms], "y": [m["y"] for m in ms],
                       # named only in mid-flight: at its ends a label would sit on the
                       # member's own label (hover names it there)
                       "text": [m["label"] if 0.2 <= m["progress"] <= 0.8 else ""
                                for m in ms], "textposition": "top center",
                       "textfont": {"size": FONT_SIZE - 5, "color": colour},
                       "hovertext": [f"{m['label']}: {m['src']} → {m['dst']}" for m in ms],
                       "hoverinfo": "text", "legendgroup": "messages",
                       "marker": {"size": 14, "symbol": "arrow", "color": colour,
                                  "angle": [m["angle"] for m in ms]}})
    dropped = [m for m in d["messages"] if m["fate"] == "dropped"]
    traces.append({"type": "scatter", "name": "dropped", "mode": "markers", "xaxis": "x",
                   "yaxis": "y", "x": [m["x"] for m in dropped], "y": [m["y"] for m in dropped],
                   "hovertext": [f"{m['label']} {m['src']} → {m['dst']} dropped"
                                 for m in dropped], "hoverinfo": "text",
                   "marker": {"size": 12, "symbol": "x-thin-open", "color": CUT_COLOUR,
                              "line": {"width": 3, "color": CUT_COLOUR}}})
    return traces


def _log_traces(d) -> list[dict]:
    entries, cut = d["entries"], d["cut"]
    log = {"type": "scatter", "name": "log entries", "mode": "markers+text", "xaxis": "x2",
           "yaxis": "y2", "x": [e["index"] for e in entries], "y": [e["row"] for e in entries],
           "text": [str(e["term"]) for e in entries], "textposition": "middle center",
           "textfont": {"size": FONT_SIZE - 3,
                        "color": ["#ffffff" if e["committed"] else "#000000" for e in entries]},
           "hovertext": [f"{e['node']} {e['text']} "
                         f"({'committed' if e['committed'] else 'not committed'})"
                         for e in entries],
           "hoverinfo": "text", "showlegend": False,
           "customdata": [[e["node"], e["index"], e["committed"]] for e in entries],
           "marker": {"size": 30, "symbol": ["square" if e["committed"] else "square-open"
                                             for e in entries],
                      "color": [_term_colour(e["term"]) for e in entries],
                      "line": {"width": 3}}}
    values = {"type": "scatter", "name": "values", "mode": "text", "xaxis": "x2", "yaxis": "y2",
              "x": [e["index"] for e in entries if e["value"] is not None],
              "y": [e["row"] + 0.32 for e in entries if e["value"] is not None],
              "text": [short(e["value"], 7) for e in entries if e["value"] is not None],
              "textfont": {"size": FONT_SIZE - 6, "color": "#444444"}, "hoverinfo": "skip",
              "showlegend": False}
    cut_trace = {"type": "scatter", "name": "rolled back", "mode": "markers+text",
                 "xaxis": "x2", "yaxis": "y2", "x": [e["index"] for e in cut],
                 "y": [e["row"] - 0.42 for e in cut],
                 "text": [f"✂ {short(e['value'], 6)}" if e["value"] is not None else "✂"
                          for e in cut], "textposition": "bottom center",
                 "textfont": {"size": FONT_SIZE - 6, "color": CUT_COLOUR},
                 "hovertext": [f"{e['node']} rolled back {e['text']} at {e['cut_ms']} ms"
                               for e in cut], "hoverinfo": "text",
                 "customdata": [[e["node"], e["index"]] for e in cut],
                 "marker": {"size": 18, "symbol": "square-x-open", "color": CUT_COLOUR,
                            "line": {"width": 2}}}
    return [log, values, cut_trace]


def _layout(d, title: str, faults) -> dict:
    names = [n["node"] for n in d["nodes"]]
    k = len(names)
    commit = {n["node"]: n["commit_index"] for n in d["nodes"]}
    lo, hi = d["first_index"], max(d["last_index"], d["first_index"] + 3)
    shapes = [{"type": "line", "xref": "x", "yref": "y", "x0": a["x"], "y0": a["y"],
               "x1": b["x"], "y1": b["y"], "layer": "below",
               "line": {"color": "#d0d0d0", "width": 1}}
              for i, a in enumerate(d["nodes"]) for b in d["nodes"][i + 1:]]
    # the commit point of each member: a bar after its last committed entry
    for i, n in enumerate(names):
        c = commit[n]
        if lo - 1 <= c <= hi:
            row = k - 1 - i
            shapes.append({"type": "line", "xref": "x2", "yref": "y2", "x0": c + 0.5,
                           "x1": c + 0.5, "y0": row - 0.3, "y1": row + 0.3,
                           "line": {"color": "#333333", "width": 2, "dash": "dot"}})
    return base_layout(
        f"{_caption(d, faults)}" if not title else f"{_caption(d, faults)} · {title}",
        height=440 + 30 * max(0, k - 3), showlegend=True, shapes=shapes,
        title_font_size=FONT_SIZE + 1,
        legend={"orientation": "h", "y": -0.08, "x": 0, "font": {"size": FONT_SIZE - 3}},
        margin={"l": 20, "r": 20, "t": 60, "b": 60},
        xaxis={"domain": [0, 0.4], "range": [-1.55, 1.55], "visible": False},
        yaxis={"domain": [0, 1], "range": [-1.6, 1.75], "visible": False,
               "scaleanchor": "x", "scaleratio": 1},
        xaxis2={"domain": [0.48, 1], "range": [lo - 0.6, hi + 0.6], "dtick": 1,
                "title": {"text": "log index (term inside; hollow: not committed; ┆ commit "
                                  "point)", "font": {"size": FONT_SIZE - 3}},
                "zeroline": False, "showgrid": False},
        yaxis2={"domain": [0.05, 0.95], "range": [-0.9, k - 0.4], "tickvals": list(range(k)),
                "ticktext": [f"<b>{n}</b>" for n in reversed(names)], "zeroline": False,
                "showgrid": False, "anchor": "x2"})


def raftscope(timeline, t_ms: int | None = None, *, data: dict | None = None,
              title: str = "", first_index: int | None = None, last_index: int | None = None,
              kinds=None, faults=None):
    """Draw the cluster at one moment, RaftScope's way.

    Args:
        timeline: a :class:`caplab.kv.timeline_state.Timeline` (or a Cluster: its timeline is
            built), or None with ``data``.
        t_ms: the moment (default: the end of the trace).
        data: :func:`raftscope_data`'s output, to draw without recomputing.
        title: added after the caption.
        first_index, last_index, kinds: see :func:`raftscope_data` (fix them to keep frames
            aligned).
        faults: fault bands (:func:`caplab.viz.bands.fault_bands`) for the caption; default
            read from the timeline's events.

    Returns:
        A ``go.Figure``: traces ``members`` (ring), one per message kind, ``dropped``,
        ``log entries``, ``values``, ``rolled back``.

    Example:
        >>> raftscope(Timeline.of(c), 2805).show()                 # doctest: +SKIP
    """
    if timeline is not None and not hasattr(timeline, "moments"):
        from ..kv.timeline_state import Timeline
        timeline = Timeline.of(timeline)
    if data is None:
        t = timeline.end_ms if t_ms is None else t_ms
        data = raftscope_data(timeline.at(t), timeline.nodes, first_index=first_index,
                              last_index=last_index, kinds=kinds)
    if faults is None:
        faults = fault_bands(timeline.events, until_ms=timeline.end_ms) if timeline else []
    traces = _node_traces(data) + _message_traces(data) + _log_traces(data)
    return make_figure(traces, _layout(data, title, faults))


def raftscope_animation(timeline, times, *, title: str = "", frame_ms: int = 300):
    """A self-playing figure: one plotly frame per time in ``times``, with a slider and
    play/pause buttons (works in a static HTML export, no kernel needed).

    Args:
        timeline: a :class:`caplab.kv.timeline_state.Timeline`.
        times: the moments to show, in order (e.g. ``timeline.event_times(2500, 3000)``).
        frame_ms: how long each frame shows when playing.

    Returns:
        A ``go.Figure`` whose ``frames`` are named by their time in ms.

    Example:
        >>> tl = Timeline.of(c)                                        # doctest: +SKIP
        >>> raftscope_animation(tl, tl.event_times(2700, 2900)).show() # doctest: +SKIP
    """
    times = [int(t) for t in times]
    moments = timeline.moments(times)
    kinds = sorted({f.kind for m in moments for f in m.flying})
    last = max([1] + [len(s.log) for m in moments for s in m.nodes.values()]
               + [s.cut[-1].index for m in moments for s in m.nodes.values() if s.cut])
    faults = fault_bands(timeline.events, until_ms=timeline.end_ms)
    datas = [raftscope_data(m, timeline.nodes, last_index=last, kinds=kinds) for m in moments]
    fig = raftscope(None, data=datas[0], title=title, faults=faults)
    frames = []
    for t, d in zip(times, datas):
        traces = _node_traces(d) + _message_traces(d) + _log_traces(d)
        lay = _layout(d, title, faults)
        frames.append({"name": str(t), "data": traces,
                       "layout": {"title": lay["title"], "shapes": lay["shapes"]}})
    fig.frames = frames
    step_args = {"mode": "immediate", "frame": {"duration": frame_ms, "redraw": True},
                 "transition": {"duration": 0}}
    fig.layout.updatemenus = [{
        "type": "buttons", "direction": "left", "x": 0, "y": -0.12, "xanchor": "left",
        "buttons": [{"label": "▶ play", "method": "animate", "args": [None, step_args]},
                    {"label": "❚❚ pause", "method": "animate",
                     "args": [[None], {"mode": "immediate", "frame": {"duration": 0}}]}]}]
    fig.layout.sliders = [{"active": 0, "x": 0.2, "len": 0.8, "y": -0.1,
                           "currentvalue": {"prefix": "t = ", "suffix": " ms"},
                           "steps": [{"label": str(t), "method": "animate",
                                      "args": [[str(t)], step_args]} for t in times]}]
    return fig
