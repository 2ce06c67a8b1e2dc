"""The consistent-hashing ring (AP mode): every token (vnode) on a circle coloured by its owner,
where keys land, one key's preference list, and what moved when a node joined or left.

Tokens and owners come from the ring's own records (``Cluster.ring()`` /
``HashRing.entries()``); keys are placed with the ring's own token function and ring size
(imported from :mod:`caplab.kv.ap.hashring`, never copied), so the view needs no access to the
simulation. Reads only.
"""

from __future__ import annotations

import math
from bisect import bisect_left

from ..kv.ap.hashring import RING_SIZE, HashRing, token_of
from ._common import FONT_SIZE, base_layout, make_figure, natural_key, node_colour, short

__all__ = ["ring_view", "ring_view_data"]

_ARC_STEPS = 90   # points per full turn when drawing arcs


def _angle_of(token: int) -> float:
    return token * 360.0 / RING_SIZE


def _xy(angle_deg: float, r: float = 1.0) -> tuple[float, float]:
    """Clockwise from 12 o'clock, like a clock face (and like Cassandra's ring diagrams)."""
    a = math.radians(angle_deg)
    return r * math.sin(a), r * math.cos(a)


def _arc(a0: float, a1: float, r: float) -> tuple[list, list]:
    """Points of the clockwise arc from angle a0 to a1 (degrees) at radius r."""
    span = (a1 - a0) % 360.0
    steps = max(2, int(span / 360.0 * _ARC_STEPS) + 2)
    xs, ys = [], []
    for i in range(steps):
        x, y = _xy(a0 + span * i / (steps - 1), r)
        xs.append(x)
        ys.append(y)
    return xs, ys


def _entries(source) -> list[dict]:
    """Ring records (token, node, vnode) sorted by token, from any accepted source."""
    if hasattr(source, "entries") and callable(source.entries):          # HashRing
        rows = source.entries()
    elif hasattr(source, "ring") and callable(source.ring):              # Cluster / Ring
        rows = source.ring()
    elif hasattr(source, "to_dict"):                                     # DataFrame
        rows = source.to_dict("records")
    else:
        rows = list(source)
    out = [{"token": int(r["token"]), "node": r["node"], "vnode": r.get("vnode")}
           for r in rows]
    out.sort(key=lambda r: r["token"])
    return out


def _walk(tokens, owners, key, rf) -> list[tuple[str, int]]:
    """Distinct owners clockwise from the key's token, with the index of the token that added
    each (Dynamo 4.3: the preference list skips further vnodes of a node already in it)."""
    n = len(tokens)
    if n == 0:
        return []
    start = bisect_left(tokens, token_of(key)) % n
    seen, out = set(), []
    for i in range(n):
        j = (start + i) % n
        if owners[j] not in seen:
            seen.add(owners[j])
            out.append((owners[j], j))
            if len(out) == rf:
                break
    return out


def _rf_of(source, default) -> int:
    backend = getattr(source, "backend", source)
    rf = getattr(backend, "rf", None)
    if rf is None:
        rf = getattr(backend, "options", {}).get("replication_factor") if hasattr(
            backend, "options") else None
    return int(rf) if rf else default


def _moved_arcs(before: list[dict], after: list[dict]) -> list[tuple[float, float, str, str]]:
    """Ring ranges whose first replica changed: ``(start_angle, end_angle, old, new)``."""
    if not before or not after:
        return []
    bt = [e["token"] for e in before]
    at = [e["token"] for e in after]
    bounds = sorted(set(bt) | set(at))
    arcs = []
    for i, t in enumerate(bounds):
        prev = bounds[i - 1]
        old = before[bisect_left(bt, t) % len(bt)]["node"]
        new = after[bisect_left(at, t) % len(at)]["node"]
        if old != new:
            arcs.append((_angle_of(prev), _angle_of(t), old, new))
    return arcs


def ring_view_data(source, *, key=None, keys=None, highlight_changes=None, rf=None) -> dict:
    """What :func:`ring_view` draws, as plain data.

    Args:
        source: an AP :class:`~caplab.kv.Cluster` (or its backend), a
            :class:`~caplab.kv.ap.HashRing`, or ring records (dicts / DataFrame with ``token``,
            ``node``, ``vnode``).
        key: highlight this key's preference list.
        keys: keys to place on the ring (default: the keys a cluster stores, up to 60).
        highlight_changes: a report from ``c.add_node()`` / ``c.remove_node()`` (needs
            ``node``; ``moved_keys`` and ``fraction_moved`` are shown), or a pair
            ``(before, after)`` of ring records.
        rf: replication factor (default: the cluster's, else 3).

    Returns:
        A dict: ``entries`` (token, node, vnode, angle), ``nodes`` (in order), ``colours``
        (node -> colour), ``key``, ``preference_list`` (node names), ``preference_tokens``
        (entries that put each replica in the list), ``keys`` (dicts key, angle, replicas),
        ``changes`` (None or dict ``node``, ``action``, ``tokens``, ``arcs``, ``moved_keys``,
        ``fraction_moved``).
    """
    rf = rf or _rf_of(source, 3)
    before_override = None
    if isinstance(highlight_changes, (tuple, list)) and len(highlight_changes) == 2:
        before_override = _entries(highlight_changes[0])
        entries = _entries(highlight_changes[1])
    else:
        entries = _entries(source)
    for e in entries:
        e["angle"] = _angle_of(e["token"])
    nodes = list(getattr(source, "nodes", None) or []) if not isinstance(source, list) else []
    for e in entries:
        if e["node"] not in nodes:
            nodes.append(e["node"])
    nodes = [n for n in nodes if any(e["node"] == n for e in entries)] or sorted(
        {e["node"] for e in entries}, key=natural_key)
    colours = {n: node_colour(i) for i, n in enumerate(nodes)}
    tokens = [e["token"] for e in entries]
    owners = [e["node"] for e in entries]
    if keys is None:
        keys = []
        if hasattr(source, "replica_records"):
            keys = sorted({r["key"] for r in source.replica_records()}, key=natural_key)[:60]
    placed = [{"key": k, "angle": _angle_of(token_of(str(k))),
               "replicas": [o for o, _ in _walk(tokens, owners, str(k), rf)]} for k in keys]
    pref, pref_entries = [], []
    if key is not None:
        walk = _walk(tokens, owners, str(key), rf)
        pref = [o for o, _ in walk]
        pref_entries = [entries[j] for _, j in walk]
    changes = None
    if highlight_changes is not None:
        changes = _changes(entries, nodes, placed, rf, highlight_changes, before_override)
        node = changes["node"]
        if node is not None and node not in colours:
            colours[node] = node_colour(len(colours))
    return {"entries": entries, "nodes": nodes, "colours": colours, "rf": rf, "key": key,
            "preference_list": pref, "preference_tokens": pref_entries, "keys": placed,
            "changes": changes}


def _changes(entries, nodes, placed, rf, highlight_changes, before_override) -> dict:
    """What a join or a leave changed: the node, its tokens, the ranges and keys that moved
    (from the ring before, given as records, or rebuilt from a membership report)."""
    owners = [e["node"] for e in entries]
    if before_override is not None:
        before = before_override
        changed_nodes = sorted({e["node"] for e in entries} ^ {e["node"] for e in before})
        node = changed_nodes[0] if changed_nodes else None
        action = "join" if node in owners else "leave"
        moved_keys = [p["key"] for p in placed
                      if set(p["replicas"]) != {o for o, _ in _walk(
                          [e["token"] for e in before], [e["node"] for e in before],
                          str(p["key"]), rf)}]
        fraction = None
    else:
        report = dict(highlight_changes)
        node = report.get("node")
        action = "join" if node in owners else "leave"
        vnodes = max(1, len(entries) // max(1, len(nodes)))
        # The leaving node's tokens, placed by the ring's own hashing (HashRing).
        mine = [(e["token"], e["node"], e["vnode"])
                for e in HashRing([node], vnodes).entries()]
        if action == "join":
            before = [e for e in entries if e["node"] != node]
        else:
            before = sorted(entries + [{"token": t, "node": n, "vnode": i}
                                       for t, n, i in mine], key=lambda e: e["token"])
        moved_keys = list(report.get("moved_keys", []))
        fraction = report.get("fraction_moved")
    node_tokens = [{"token": e["token"], "node": e["node"], "vnode": e.get("vnode"),
                    "angle": _angle_of(e["token"])}
                   for e in (entries if action == "join" else before) if e["node"] == node]
    return {"node": node, "action": action, "tokens": node_tokens,
            "arcs": _moved_arcs(before, entries), "moved_keys": moved_keys,
            "fraction_moved": fraction}


def ring_view(source=None, *, key=None, keys=None, highlight_changes=None, rf=None, data=None,
              height=600):
    """Draw the ring: tokens by owner, keys, a key's preference list, and moved ranges.

    Args:
        source, key, keys, highlight_changes, rf: as in :func:`ring_view_data`.
        data: a dict from :func:`ring_view_data` (draw without recomputing).
        height: figure height in px.

    Returns:
        A ``go.Figure`` with traces ``"ring"``; one trace per node named after it
        (``meta = {"kind": "tokens", "node": n}``, one marker per token, ``customdata`` =
        ``[node, vnode, token]``); ``"keys"`` (``customdata`` = ``[key, "n1,n2,n3"]``);
        ``"moved ranges"`` and ``"changed tokens"`` and ``"moved keys"`` (``meta`` with
        ``node``, ``action``, ``fraction_moved``); ``"preference walk"``, ``"preference list"``
        (``meta = {"key": k, "nodes": [...]}``, one numbered marker per replica) and ``"key"``.

    Example:
        >>> c = Cluster(mode="ap", nodes=5, seed=1)        # doctest: +SKIP
        >>> ring_view(c, key="x").show()                    # doctest: +SKIP
        >>> report = c.add_node()                           # doctest: +SKIP
        >>> ring_view(c, highlight_changes=report).show()   # doctest: +SKIP
    """
    d = data if data is not None else ring_view_data(source, key=key, keys=keys,
                                                     highlight_changes=highlight_changes, rf=rf)
    traces = []
    cx, cy = _arc(0.0, 359.999, 1.0)
    traces.append({"type": "scatter", "name": "ring", "x": cx, "y": cy, "mode": "lines",
                   "line": {"color": "#B0B0B0", "width": 2}, "hoverinfo": "skip",
                   "showlegend": False})
    ch = d["changes"]
    meta = ({"node": ch["node"], "action": ch["action"], "fraction_moved": ch["fraction_moved"],
             "ranges": len(ch["arcs"])} if ch else {})
    traces.append(_moved_ranges_trace(ch, meta))
    traces += _token_traces(d)
    traces.append(_changed_tokens_trace(ch, meta))
    traces += _key_traces(d, meta)
    traces += _preference_traces(d)
    return make_figure(traces, _ring_layout(d, height))


def _moved_ranges_trace(ch, meta) -> dict:
    """The ring ranges whose first replica changed (a join or a leave), drawn thick."""
    mx, my = [], []
    for a0, a1, _, _ in (ch["arcs"] if ch else []):
        xs, ys = _arc(a0, a1, 1.0)
        mx += xs + [None]
        my += ys + [None]
    return {"type": "scatter", "name": "moved ranges", "x": mx, "y": my, "mode": "lines",
            "line": {"color": "rgba(0,0,0,0.35)", "width": 14}, "hoverinfo": "skip",
            "showlegend": bool(mx), "meta": meta}


def _token_traces(d) -> list[dict]:
    """One trace per node: a marker per token (vnode), in the node's colour."""
    traces = []
    for n in d["nodes"]:
        mine = [e for e in d["entries"] if e["node"] == n]
        pts = [_xy(e["angle"]) for e in mine]
        traces.append({"type": "scatter", "name": n, "mode": "markers",
                       "x": [p[0] for p in pts], "y": [p[1] for p in pts],
                       "marker": {"size": 14, "color": d["colours"][n],
                                  "line": {"width": 1, "color": "#333333"}},
                       "customdata": [[n, e.get("vnode"), str(e["token"])] for e in mine],
                       "hovertext": [f"{n} vnode {e.get('vnode')}<br>token at "
                                     f"{e['angle']:.1f}°" for e in mine],
                       "hoverinfo": "text", "meta": {"kind": "tokens", "node": n},
                       "legendgroup": "nodes"})
    return traces


def _changed_tokens_trace(ch, meta) -> dict:
    """The tokens of the node that joined (open circles) or left (open crosses)."""
    tok = ch["tokens"] if ch else []
    pts = [_xy(t["angle"], 1.0) for t in tok]
    return {"type": "scatter", "name": "changed tokens", "mode": "markers",
            "x": [p[0] for p in pts], "y": [p[1] for p in pts],
            "marker": {"size": 24, "symbol": "circle-open" if (ch and ch["action"] ==
                                                               "join") else "x-open",
                       "color": "#000000", "line": {"width": 3}},
            "hovertext": [f"{t['node']} vnode {t['vnode']} "
                          f"({'joined' if ch['action'] == 'join' else 'left'})"
                          for t in tok],
            "hoverinfo": "text", "showlegend": bool(tok), "meta": meta}


def _key_traces(d, meta) -> list[dict]:
    """Where keys land inside the ring, and which of them moved."""
    ch = d["changes"]
    traces = []
    ks = d["keys"]
    pts = [_xy(k["angle"], 0.82) for k in ks]
    traces.append({"type": "scatter", "name": "keys", "mode": "markers+text",
                   "x": [p[0] for p in pts], "y": [p[1] for p in pts],
                   "marker": {"size": 8, "color": "#555555", "symbol": "diamond"},
                   "text": [short(k["key"], 8) for k in ks], "textposition": "middle left",
                   "textfont": {"size": FONT_SIZE - 4, "color": "#555555"},
                   "customdata": [[k["key"], ",".join(k["replicas"])] for k in ks],
                   "hovertext": [f"key {k['key']!r} → {', '.join(k['replicas'])}" for k in ks],
                   "hoverinfo": "text", "showlegend": False})
    moved = set(map(str, ch["moved_keys"])) if ch else set()
    mk = [k for k in ks if str(k["key"]) in moved]
    pts = [_xy(k["angle"], 0.82) for k in mk]
    traces.append({"type": "scatter", "name": "moved keys", "mode": "markers",
                   "x": [p[0] for p in pts], "y": [p[1] for p in pts],
                   # Open symbols draw their outline in marker.color.
                   "marker": {"size": 16, "color": "#D55E00", "symbol": "diamond-open",
                              "line": {"width": 3, "color": "#D55E00"}},
                   "customdata": [[k["key"]] for k in mk],
                   "hovertext": [f"key {k['key']!r} moved" for k in mk], "hoverinfo": "text",
                   "showlegend": bool(mk), "meta": dict(meta, keys=sorted(moved))})
    return traces


def _preference_traces(d) -> list[dict]:
    """One key's preference list: the clockwise walk, the numbered replicas, the key."""
    traces = []
    pref, pref_tok = d["preference_list"], d["preference_tokens"]
    wx, wy = [], []
    if d["key"] is not None and pref_tok:
        ka = _angle_of(token_of(str(d["key"])))
        wx, wy = _arc(ka, pref_tok[-1]["angle"], 1.12)
    traces.append({"type": "scatter", "name": "preference walk", "x": wx, "y": wy,
                   "mode": "lines", "line": {"color": "#000000", "width": 3, "dash": "dot"},
                   "hoverinfo": "skip", "showlegend": False})
    pts = [_xy(e["angle"], 1.0) for e in pref_tok]
    traces.append({"type": "scatter", "name": "preference list", "mode": "markers+text",
                   "x": [p[0] for p in pts], "y": [p[1] for p in pts],
                   "marker": {"size": 30, "color": "#000000", "symbol": "circle-open",
                              "line": {"width": 4, "color": "#000000"}},
                   "text": [f"{i + 1}. {e['node']}" for i, e in enumerate(pref_tok)],
                   "textposition": [_text_pos(e["angle"]) for e in pref_tok],
                   "textfont": {"size": FONT_SIZE, "color": "#000000"},
                   "hovertext": [f"replica {i + 1} of {d['key']!r}: {e['node']}"
                                 for i, e in enumerate(pref_tok)], "hoverinfo": "text",
                   "meta": {"key": d["key"], "nodes": list(pref)},
                   "showlegend": bool(pref_tok)})
    kx, ky = ([], [])
    if d["key"] is not None:
        x, y = _xy(_angle_of(token_of(str(d["key"]))), 1.12)
        kx, ky = [x], [y]
    traces.append({"type": "scatter", "name": "key", "mode": "markers+text", "x": kx, "y": ky,
                   "marker": {"size": 22, "symbol": "star", "color": "#000000"},
                   "text": [f"{d['key']}"] if kx else [], "textposition": "top center",
                   "textfont": {"size": FONT_SIZE + 2},
                   "hovertext": [f"key {d['key']!r} → {', '.join(pref)}"] if kx else [],
                   "hoverinfo": "text", "meta": {"key": d["key"], "nodes": list(pref)},
                   "showlegend": False})
    return traces


def _ring_layout(d, height) -> dict:
    pref, ch = d["preference_list"], d["changes"]
    title = f"Token ring · {len(d['nodes'])} nodes · {len(d['entries'])} tokens · RF={d['rf']}"
    if d["key"] is not None:
        title += f" · {d['key']!r} → {', '.join(pref)}"
    annotations = []
    if ch:
        verb = "joined" if ch["action"] == "join" else "left"
        text = f"{ch['node']} {verb}: {len(ch['arcs'])} ranges changed owner"
        if ch["fraction_moved"] is not None:
            text += f", {ch['fraction_moved']:.0%} of replica copies moved"
        annotations.append({"text": text, "x": 0.5, "y": -0.04, "xref": "paper",
                            "yref": "paper", "showarrow": False,
                            "font": {"size": FONT_SIZE}})
    axis = {"visible": False, "range": [-1.45, 1.45], "fixedrange": True}
    return base_layout(title, height=height, xaxis=dict(axis),
                       yaxis=dict(axis, scaleanchor="x", scaleratio=1),
                       annotations=annotations, hovermode="closest",
                       meta={"key": d["key"], "preference_list": list(pref), "rf": d["rf"]})


def _text_pos(angle: float) -> str:
    """Put a label outside the ring."""
    a = angle % 360
    vert = "top" if (a < 60 or a > 300) else ("bottom" if 120 < a < 240 else "middle")
    horiz = "right" if 0 < a < 180 else "left"
    return f"{vert} {horiz}"
