"""Who holds which version: a node x key heatmap of replica state, with stale cells marked (a
replica holding an older version than the newest any replica holds), and the same as a table.
"""

from __future__ import annotations

import re

import pandas as pd

from ._common import FONT_SIZE, base_layout, make_figure, natural_key, short

__all__ = ["replica_heatmap", "replica_heatmap_data", "replica_table"]

_NUM = re.compile(r"^-?\d+(\.\d+)?$")


def _order_key(version):
    """A sortable form of a version, or None when versions cannot be ordered.

    CP versions are numbers or (term, index) optimes; AP's are a timestamp ("1712") or, with
    siblings / vector clocks, text like ``"12,15"`` or ``"{n1:2}"`` that has no total order.
    """
    if version is None or isinstance(version, bool):
        return None
    if isinstance(version, (int, float)):
        return (version,)
    if isinstance(version, tuple) and all(isinstance(v, (int, float)) for v in version):
        return version
    if isinstance(version, str) and _NUM.match(version.strip()):
        return (float(version),)
    return None


def _records(source) -> tuple[list[dict], list[str], object]:
    """(records, node order, cluster or None) from a cluster, records, or a DataFrame."""
    if hasattr(source, "replica_records"):
        return list(source.replica_records()), list(source.nodes), source
    if isinstance(source, pd.DataFrame):
        if "node" in source.columns:
            return source.to_dict("records"), [], None
        versions = source.attrs.get("version")      # replica_state_frame (node x key)
        recs = []
        for node in source.index:
            for key in source.columns:
                value = source.at[node, key]
                if value is None or (isinstance(value, float) and pd.isna(value)):
                    continue
                ver = versions.at[node, key] if versions is not None else None
                recs.append({"node": node, "key": key, "value": value, "version": ver})
        return recs, list(source.index), None
    return list(source), [], None


def _replica_sets(cluster):
    """key -> the nodes meant to hold it, as the system says, or None when unknown.

    A backend that places keys on some nodes lists ``replicas_for`` among its public methods;
    one that does not (a replica set, a primary with replicas) keeps every key on every node.
    """
    backend = getattr(cluster, "backend", None)
    if backend is None:
        return None
    if "replicas_for" in getattr(backend, "PUBLIC", ()):
        return backend.replicas_for
    everyone = tuple(cluster.nodes)
    return lambda _key: everyone


def replica_heatmap_data(source, *, keys=None, missing="auto") -> dict:
    """The cells of :func:`replica_heatmap` as plain data.

    Args:
        source: a :class:`~caplab.kv.Cluster`, replica records (dicts ``node, key, value,
            version``), or a DataFrame (long records, or ``replica_state_frame``'s node x key).
        keys: which keys (columns) to show, default all, in natural order.
        missing: whether a node holding *nothing* for a key counts as stale: ``"auto"`` (a
            cluster whose system places each key on some nodes says which through its public
            ``replicas_for(key)``, e.g. a Dynamo ring's preference list; a cluster without it
            replicates every key on every node; plain records say nothing), True, or False.

    Returns:
        A dict: ``nodes``, ``keys``, ``cells`` (dict ``(node, key)`` -> dict ``value``,
        ``version``, ``rank`` (0..1, 1 = newest), ``stale``, ``held``, ``replica``: whether
        the node is one of the key's replicas, None when unknown), ``stale`` (list of ``(node,
        key)``), ``divergent_keys`` (keys whose replicas hold different values),
        ``orderable`` (key -> whether its versions have an order).
    """
    records, nodes, cluster = _records(source)
    for r in records:
        if r["node"] not in nodes:
            nodes.append(r["node"])
    all_keys = sorted({r["key"] for r in records}, key=natural_key)
    keys = all_keys if keys is None else list(keys)
    wanted = set(keys)
    by_key: dict = {}
    for r in records:
        if r["key"] in wanted:
            by_key.setdefault(r["key"], {})[r["node"]] = r
    replicas_of = _replica_sets(cluster) if missing == "auto" else None
    cells, stale, divergent, orderable = {}, [], [], {}
    for k in keys:
        held = by_key.get(k, {})
        order = {n: _order_key(r.get("version")) for n, r in held.items()}
        can_order = bool(held) and all(v is not None for v in order.values())
        orderable[k] = can_order
        ranks = {}
        if can_order:
            distinct = sorted(set(order.values()))
            for n, v in order.items():
                ranks[n] = (distinct.index(v) + 1) / len(distinct)
        if len({repr(r.get("value")) for r in held.values()}) > 1:
            divergent.append(k)
        expected = set()
        known = False    # whether ``expected`` says which nodes are the key's replicas
        if missing is True:
            expected = set(nodes)
        elif replicas_of is not None:
            expected = set(replicas_of(k))
            known = True
        for n in nodes:
            r = held.get(n)
            if r is None:
                is_stale = n in expected and bool(held)
                cells[(n, k)] = {"value": None, "version": None, "rank": 0.0 if is_stale
                                 else None, "stale": is_stale, "held": False,
                                 "replica": (n in expected) if known else None}
            else:
                is_stale = can_order and ranks[n] < 1.0
                cells[(n, k)] = {"value": r.get("value"), "version": r.get("version"),
                                 "rank": ranks.get(n, 0.5), "stale": is_stale, "held": True,
                                 "replica": (n in expected) if known else None}
            if cells[(n, k)]["stale"]:
                stale.append((n, k))
    return {"nodes": nodes, "keys": keys, "cells": cells, "stale": stale,
            "divergent_keys": divergent, "orderable": orderable}


def replica_heatmap(source=None, *, keys=None, missing="auto", data=None, height=None):
    """Draw node x key: colour = how recent the version a replica holds is, text = the value.

    Args:
        source, keys, missing: as in :func:`replica_heatmap_data`.
        data: a dict from :func:`replica_heatmap_data`.
        height: figure height in px (default grows with the number of nodes).

    Returns:
        A ``go.Figure`` with traces ``"versions"`` (a heatmap; ``z`` = recency rank, 1 =
        newest, ``text`` = value, followed by ``✗`` on a stale cell, empty on a node that is
        not one of the key's replicas (AP); ``customdata`` = ``[value, version]``) and
        ``"stale"`` (hover targets on the stale cells, drawn as small markers in the cell's
        corner so the value stays readable; ``customdata`` = ``[node, key]``;
        ``meta["cells"]``). Each stale cell is also framed (layout shapes named ``"stale"``).
        Rows are nodes (``y``), columns keys (``x``).

    Example:
        >>> c.partition(["n1"], ["n2", "n3"]); ...           # doctest: +SKIP
        >>> replica_heatmap(c).show()                        # doctest: +SKIP
    """
    d = data if data is not None else replica_heatmap_data(source, keys=keys, missing=missing)
    traces = [_versions_trace(d), _stale_trace(d)]
    return make_figure(traces, _heatmap_layout(d, height))


def _cell_texts(d, n, k) -> tuple:
    """The text, customdata and hover text of the cell of node ``n`` and key ``k``."""
    c = d["cells"].get((n, k)) or {"value": None, "version": None, "rank": None,
                                   "stale": False, "held": False}
    not_replica = c.get("replica") is False and not c["held"]
    cell = short(c["value"], 10) if c["held"] else ("" if not_replica else "—")
    # The stale mark goes after the value, not over it.
    text = f"{cell} ✗" if c["stale"] else cell
    custom = [None if c["value"] is None else repr(c["value"]),
              None if c["version"] is None else str(c["version"])]
    state = "STALE" if c["stale"] else ("newest" if c["rank"] == 1.0 else "")
    if c["held"]:
        hover = f"{n} · {k}<br>value {c['value']!r}<br>version {c['version']}<br>{state}"
    elif not_replica:
        hover = f"{n} · {k}<br>not a replica of this key"
    else:
        hover = f"{n} · {k}<br>holds nothing" + (" (STALE: a replica that missed the write)"
                                                 if c["stale"] else "")
    return c["rank"], text, custom, hover


def _versions_trace(d) -> dict:
    """The heatmap: a row per node, a column per key, colour = recency, text = value."""
    nodes, keys = d["nodes"], d["keys"]
    rows = [[_cell_texts(d, n, k) for k in keys] for n in nodes]
    z, text, custom, hover = ([[cell[i] for cell in row] for row in rows] for i in range(4))
    return {"type": "heatmap", "name": "versions", "x": keys, "y": nodes, "z": z,
            "zmin": 0, "zmax": 1, "text": text, "texttemplate": "%{text}",
            "textfont": {"size": FONT_SIZE}, "customdata": custom, "hovertext": hover,
            "hoverinfo": "text", "xgap": 3, "ygap": 3,
            # cividis: designed to read the same for colour-blind viewers.
            "colorscale": "Cividis", "reversescale": True,
            "colorbar": {"title": {"text": "recency"}, "tickvals": [0, 1],
                         "ticktext": ["older", "newest"]}}


def _stale_trace(d) -> dict:
    st = d["stale"]
    return {"type": "scatter", "name": "stale", "mode": "markers",
            "x": [k for _, k in st], "y": [n for n, _ in st],
            # Small, and the cell is framed: a big X hid the value.
            "marker": {"symbol": "x-thin-open", "size": 9, "opacity": 0,
                       "line": {"width": 2, "color": "#D55E00"}, "color": "#D55E00"},
            "customdata": [[n, k] for n, k in st],
            "hovertext": [f"{n} holds an older version of {k!r} than the newest replica"
                          for n, k in st], "hoverinfo": "text",
            "showlegend": False, "meta": {"cells": [[n, k] for n, k in st],
                                         "divergent_keys": d["divergent_keys"]}}


def _heatmap_layout(d, height) -> dict:
    nodes, keys, st = d["nodes"], d["keys"], d["stale"]
    height = height or max(320, 150 + 52 * len(nodes))
    title = f"Replica state · {len(st)} stale cell{'s' if len(st) != 1 else ''}"
    if st:
        title += " (✗)"
    col = {k: i for i, k in enumerate(keys)}
    row = {n: i for i, n in enumerate(nodes)}
    # A frame around each stale cell (category axes: shapes use the category index).
    shapes = [{"type": "rect", "name": "stale", "xref": "x", "yref": "y",
               "x0": col[k] - 0.47, "x1": col[k] + 0.47, "y0": row[n] - 0.45,
               "y1": row[n] + 0.45, "line": {"color": "#D55E00", "width": 3},
               "fillcolor": "rgba(0,0,0,0)", "layer": "above"}
              for n, k in st if k in col and n in row]
    if d["divergent_keys"]:
        title += f" · divergent: {', '.join(map(str, d['divergent_keys'][:6]))}"
    layout = base_layout(title, height=height, shapes=shapes,
                         # The figure title at the very top, the key axis (title, ticks) under
                         # it: they used to overlap.
                         margin={"l": 60, "r": 20, "t": 120, "b": 40},
                         xaxis={"type": "category", "side": "top",
                                "title": {"text": "key", "standoff": 6}},
                         yaxis={"type": "category", "autorange": "reversed",
                                "title": {"text": "node"}},
                         legend={"orientation": "h", "y": -0.05},
                         meta={"stale": [[n, k] for n, k in st]})
    layout["title"] = dict(layout["title"], yref="container", y=1, yanchor="top",
                           pad={"t": 14})
    if not keys:
        # Say why the grid is empty instead of showing bare axes.
        layout["annotations"] = [{"text": "no key written yet: put a value to see the replicas",
                                  "xref": "paper", "yref": "paper", "x": 0.5, "y": 0.5,
                                  "showarrow": False, "font": {"size": FONT_SIZE + 2,
                                                                "color": "#555555"}}]
    return layout




def replica_table(source=None, *, keys=None, missing="auto", data=None, styled=False,
                  max_chars: int = 12):
    """A small node x key table of values (``value @ version``, stale cells suffixed ``✗``).

    Args:
        source, keys, missing, data: as in :func:`replica_heatmap`.
        styled: return a pandas ``Styler`` with stale cells shaded (for notebooks) instead of
            the plain DataFrame.
        max_chars: values longer than this are cut with an ellipsis (the version is kept).

    Returns:
        A DataFrame indexed by node with one column per key (strings), and
        ``attrs["stale"]`` = list of ``(node, key)``; or its ``Styler``.

    Example:
        >>> replica_table(c)                                  # doctest: +SKIP
    """
    d = data if data is not None else replica_heatmap_data(source, keys=keys, missing=missing)
    rows = {}
    for n in d["nodes"]:
        row = {}
        for k in d["keys"]:
            c = d["cells"].get((n, k))
            if c is None or not c["held"]:
                text = "—"
            else:
                text = short(c["value"], max_chars)
                if c["version"] not in (None, ""):
                    text += f" @ {c['version']}"
            if c is not None and c["stale"]:
                text += " ✗"
            row[k] = text
        rows[n] = row
    frame = pd.DataFrame.from_dict(rows, orient="index", columns=d["keys"])
    frame.index.name = "node"
    frame.columns.name = "key"
    frame.attrs["stale"] = list(d["stale"])
    if not styled:
        return frame
    stale = set(d["stale"])

    def shade(col):
        return ["background-color: #F6C9A8" if (n, col.name) in stale else "" for n in col.index]

    return frame.style.apply(shade, axis=0)
