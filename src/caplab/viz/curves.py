"""Curves and comparisons: replica divergence over time (with the heal and the time to
converge), PBS t-visibility (probability of a consistent read vs time since the write), and a
small CP-vs-AP comparison of availability and consistency.
"""

from __future__ import annotations

import pandas as pd

from ._common import FONT_SIZE, NODE_COLOURS, OKABE_ITO, base_layout, make_figure

__all__ = ["divergence_curve", "divergence_data", "t_visibility_curve",
           "availability_consistency_bars", "summary_dict"]


# -- divergence ----------------------------------------------------------------------------
def divergence_data(snapshots, *, heal_ms=None, replicas=None, nodes=None) -> dict:
    """Divergent keys over time, and when the replicas agree again after ``heal_ms``.

    Args:
        snapshots: ``cluster.snapshots_frame()`` (``time_ms, node, key, value``), a list of
            such dicts, or a :class:`caplab.check.ConvergenceResult`.
        heal_ms: when the network healed.
        replicas: which nodes should hold each key: a callable ``key -> nodes`` (AP:
            ``c.replicas_for``) or a dict. By default every node sampled is a replica of every
            key (CP), with the rule of :func:`caplab.check.check_convergence` (computed here
            with pandas, for speed; sibling tuples compare as tuples, not sets).
        nodes: the replicas when ``replicas`` is not given (default: the nodes sampled; a
            node that holds no key at all is then not sampled, so pass ``c.nodes``).

    Returns:
        A dict: ``times_ms``, ``divergent_keys`` (lists), ``heal_ms``, ``converged_ms`` (first
        time from which all later samples agree, at or after the heal; None if never),
        ``time_to_converge_ms``.
    """
    if hasattr(snapshots, "divergent_keys") and hasattr(snapshots, "times_ms"):
        result = snapshots
        heal_ms = result.heal_ms if heal_ms is None else heal_ms
        return {"times_ms": list(result.times_ms), "divergent_keys": list(result.divergent_keys),
                "heal_ms": heal_ms, "converged_ms": result.converged_ms,
                "time_to_converge_ms": result.time_to_converge_ms}
    frame = snapshots if isinstance(snapshots, pd.DataFrame) else pd.DataFrame(
        list(snapshots), columns=["time_ms", "node", "key", "value"])
    if replicas is None:
        times, counts = _divergent_counts(frame, nodes)
        return _with_convergence(times, counts, heal_ms)
    lookup = replicas if callable(replicas) else (lambda k: replicas.get(k, ()))
    owners = {k: set(lookup(k)) for k in frame["key"].unique()}
    times, counts = [], []
    for t, group in frame.groupby("time_ms", sort=True):
        held: dict = {}
        for node, key, value in group[["node", "key", "value"]].itertuples(index=False):
            held.setdefault(key, {})[node] = repr(value)
        bad = 0
        for key, by_node in held.items():
            want = owners.get(key) or set(by_node)
            if len({by_node.get(n, "<absent>") for n in want}) > 1:
                bad += 1
        times.append(int(t))
        counts.append(bad)
    return _with_convergence(times, counts, heal_ms)


def _divergent_counts(frame: pd.DataFrame, nodes) -> tuple[list, list]:
    """Per sample time, keys on which the replicas disagree: the rule of
    :func:`caplab.check.check_convergence` (a replica missing a key someone holds disagrees;
    ``None`` is "holds nothing"), vectorised so a live curve over a long run stays fast."""
    if frame.empty:
        return [], []
    all_times = sorted(int(t) for t in frame["time_ms"].unique())
    if nodes is not None:
        frame = frame[frame["node"].isin(list(nodes))]
        n_rep = pd.Series(len(list(nodes)), index=all_times)
    else:
        n_rep = frame.groupby("time_ms")["node"].nunique()
    held = frame[frame["value"].notna()]
    if held.empty:
        return all_times, [0] * len(all_times)
    values = held["value"]
    try:
        codes, _ = pd.factorize(values)
    except TypeError:   # unhashable values (lists): compare their reprs
        codes, _ = pd.factorize(values.map(repr))
    held = held.assign(_code=codes)
    g = held.groupby(["time_ms", "key"]).agg(values=("_code", "nunique"),
                                             holders=("node", "nunique"))
    need = n_rep.reindex(g.index.get_level_values(0)).to_numpy()
    bad = (g["values"].to_numpy() > 1) | (g["holders"].to_numpy() < need)
    per_time = pd.Series(bad, index=g.index).groupby(level=0).sum()
    counts = per_time.reindex(all_times, fill_value=0)
    return all_times, [int(c) for c in counts]


def _with_convergence(times, counts, heal_ms) -> dict:
    converged = None
    for t, c in zip(reversed(times), reversed(counts)):
        if c or (heal_ms is not None and t < heal_ms):
            break
        converged = t
    start = heal_ms if heal_ms is not None else (times[0] if times else None)
    ttc = None if converged is None or start is None else max(0, converged - start)
    return {"times_ms": times, "divergent_keys": counts, "heal_ms": heal_ms,
            "converged_ms": converged, "time_to_converge_ms": ttc}


def divergence_curve(snapshots=None, *, heal_ms=None, replicas=None, nodes=None, data=None,
                     height=380):
    """Draw divergent keys over time, the heal as a vertical line, the time to converge.

    Args:
        snapshots, heal_ms, replicas, nodes: as in :func:`divergence_data`.
        data: a dict from :func:`divergence_data`.
        height: figure height in px.

    Returns:
        A ``go.Figure`` with traces ``"divergent keys"`` (a step line), ``"heal"`` (a vertical
        line at ``heal_ms``; ``meta["heal_ms"]``) and ``"converged"`` (a marker where the
        replicas agree for good; ``meta`` with ``converged_ms`` and ``time_to_converge_ms``).
        The time to converge is also a layout annotation.

    Example:
        >>> c.watch(every_ms=20); ...; c.heal(); heal = c.now; c.run_for(2000)  # doctest: +SKIP
        >>> divergence_curve(c.snapshots_frame(), heal_ms=heal).show()            # doctest: +SKIP
    """
    d = data if data is not None else divergence_data(snapshots, heal_ms=heal_ms,
                                                      replicas=replicas, nodes=nodes)
    times, counts = d["times_ms"], d["divergent_keys"]
    top = max(counts, default=0)
    traces = [{"type": "scatter", "name": "divergent keys", "x": times, "y": counts,
               "mode": "lines", "line": {"shape": "hv", "width": 3,
                                         "color": OKABE_ITO["blue"]},
               "fill": "tozeroy", "fillcolor": "rgba(0,114,178,0.15)",
               "hovertemplate": "%{x} ms: %{y} divergent key(s)<extra></extra>"}]
    heal = d["heal_ms"]
    traces.append({"type": "scatter", "name": "heal", "mode": "lines",
                   "x": [heal, heal] if heal is not None else [],
                   "y": [0, max(top, 1) * 1.08] if heal is not None else [],
                   "line": {"color": OKABE_ITO["vermilion"], "width": 3, "dash": "dash"},
                   "hovertemplate": "heal at %{x} ms<extra></extra>",
                   "meta": {"heal_ms": heal}, "showlegend": heal is not None})
    conv, ttc = d["converged_ms"], d["time_to_converge_ms"]
    traces.append({"type": "scatter", "name": "converged", "mode": "markers",
                   "x": [conv] if conv is not None else [], "y": [0] if conv is not None else [],
                   "marker": {"symbol": "diamond", "size": 16,
                              "color": OKABE_ITO["bluish green"],
                              "line": {"width": 2, "color": "#000000"}},
                   "hovertemplate": "converged at %{x} ms<extra></extra>",
                   "meta": {"converged_ms": conv, "time_to_converge_ms": ttc},
                   "showlegend": conv is not None})
    annotations = []
    if conv is not None and heal is not None:
        annotations.append({"x": conv, "y": max(top, 1) * 0.55, "ax": heal,
                            "ay": max(top, 1) * 0.55, "xref": "x", "yref": "y", "axref": "x",
                            "ayref": "y", "showarrow": True, "arrowhead": 2, "arrowside":
                            "end+start", "arrowwidth": 2, "text": "", "name": "time to converge"})
        annotations.append({"x": (heal + conv) / 2, "y": max(top, 1) * 0.55, "xref": "x",
                            "yref": "y", "yshift": 14, "showarrow": False,
                            "text": f"converged {ttc} ms after heal",
                            "font": {"size": FONT_SIZE}})
    title = "Replica divergence"
    if ttc is not None:
        title += f" · converged {ttc} ms after " + ("heal" if heal is not None else "start")
    elif times:
        title += f" · still {counts[-1]} divergent key(s) at {times[-1]} ms"
    layout = base_layout(title, height=height, annotations=annotations,
                         xaxis={"title": {"text": "simulated time (ms)"}},
                         yaxis={"title": {"text": "divergent keys"}, "rangemode": "tozero",
                                "dtick": 1 if top <= 10 else None},
                         meta={"heal_ms": heal, "converged_ms": conv,
                               "time_to_converge_ms": ttc})
    return make_figure(traces, layout)


# -- t-visibility ---------------------------------------------------------------------------
def _curves(curves) -> list[tuple[str, pd.DataFrame]]:
    if isinstance(curves, pd.DataFrame):
        return [("p(consistent)", curves)]
    if isinstance(curves, dict):
        return [(str(k), v) for k, v in curves.items()]
    return [(str(label), frame) for label, frame in curves]


def t_visibility_curve(curves, *, p=None, height=420):
    """Probability of a consistent read vs ms after the write committed, several configs.

    Args:
        curves: a DataFrame from :func:`caplab.staleness.t_visibility` (``t_ms``,
            ``p_consistent``), a list of ``(label, frame)`` or a dict ``label -> frame``.
        p: optional target probability: a horizontal line, and each curve's ``t`` at ``p``
            marked (the first ``t_ms`` where ``p_consistent >= p``).
        height: figure height in px.

    Returns:
        A ``go.Figure`` with one trace per curve (named by its label; ``meta`` =
        ``{"t_at_p": t or None}``), then ``"p target"`` (horizontal line; ``meta["p"]``) and
        ``"t at p"`` (markers; ``customdata`` = ``[label, t_ms]``).

    Example:
        >>> from caplab.staleness import t_visibility
        >>> fig = t_visibility_curve([("R=W=1", t_visibility(3, 1, 1, trials=2000)),
        ...                           ("R=2,W=1", t_visibility(3, 2, 1, trials=2000))], p=0.99)
    """
    pairs = _curves(curves)
    traces, tx, ty, tc = [], [], [], []
    for i, (label, frame) in enumerate(pairs):
        x = [float(v) for v in frame["t_ms"]]
        y = [float(v) for v in frame["p_consistent"]]
        t_at = None
        if p is not None:
            t_at = next((t for t, q in zip(x, y) if q >= p), None)
            if t_at is not None:
                tx.append(t_at)
                ty.append(p)
                tc.append([label, t_at])
        traces.append({"type": "scatter", "name": label, "x": x, "y": y, "mode": "lines",
                       "line": {"width": 3, "color": NODE_COLOURS[i % len(NODE_COLOURS)],
                                "dash": ("solid", "dash", "dot", "dashdot")[i % 4]},
                       "hovertemplate": f"{label}<br>t = %{{x:.1f}} ms: "
                                        f"p = %{{y:.4f}}<extra></extra>",
                       "meta": {"t_at_p": t_at}})
    xmax = max((float(f["t_ms"].max()) for _, f in pairs if len(f)), default=1.0)
    traces.append({"type": "scatter", "name": "p target", "mode": "lines",
                   "x": [0, xmax] if p is not None else [], "y": [p, p] if p is not None else [],
                   "line": {"color": "#555555", "width": 2, "dash": "dash"},
                   "hoverinfo": "skip", "meta": {"p": p}, "showlegend": p is not None})
    traces.append({"type": "scatter", "name": "t at p", "mode": "markers+text", "x": tx,
                   "y": ty, "marker": {"size": 14, "symbol": "circle",
                                       "color": "#000000"},
                   "text": [f"{t:.1f} ms" for t in tx], "textposition": "bottom right",
                   "customdata": tc, "hovertemplate": "%{customdata[0]}: p reached at "
                                                      "%{x:.1f} ms<extra></extra>",
                   "showlegend": False})
    title = "Probability of a consistent read vs time since the write"
    if p is not None:
        title += f" · p = {p}"
    layout = base_layout(title, height=height,
                         xaxis={"title": {"text": "ms after the write committed (t)"}},
                         yaxis={"title": {"text": "P(consistent read)"},
                                "range": [min([0.0] + [float(f["p_consistent"].min())
                                                       for _, f in pairs if len(f)]) - 0.02,
                                          1.02]},
                         legend={"x": 0.98, "xanchor": "right", "y": 0.05,
                                 "yanchor": "bottom"})
    return make_figure(traces, layout)


# -- CP vs AP --------------------------------------------------------------------------------
def summary_dict(history, *, final_state=None) -> dict:
    """The plain dict :func:`availability_consistency_bars` draws, from a history.

    Args:
        history: a History, list of dicts or history frame.
        final_state: key -> final value (for the lost-write check), optional.

    Returns:
        ``{"ops", "ok", "fail", "info", "stale_reads", "lost_writes", "linearizable"}``
        (``linearizable`` True / False / None for unknown).

    Example:
        >>> availability_consistency_bars({"CP": summary_dict(cp.history),
        ...                                "AP": summary_dict(ap.history)})   # doctest: +SKIP
    """
    from ..check import check_linearizability, check_lost_writes, check_stale_reads
    from ..check.records import normalize_history
    records = normalize_history(history)
    counts = {o: 0 for o in ("ok", "fail", "info")}
    for r in records:
        counts[r.get("outcome") or "info"] += 1
    lin = check_linearizability(records)
    return {"ops": len(records), **counts,
            "stale_reads": len(check_stale_reads(records).stale),
            "lost_writes": len(check_lost_writes(records, final_state=final_state).lost),
            "linearizable": True if lin.verdict == "linearizable" else
            (False if lin.verdict == "not linearizable" else None)}


_METRICS = (("available", "ops answered ok (%)"), ("stale_reads", "stale reads"),
            ("lost_writes", "lost writes"))


def availability_consistency_bars(summary_cp, summary_ap=None, *, labels=("CP", "AP"),
                                  height=380):
    """Side-by-side bars: share of operations answered ok, stale reads, lost writes, and
    whether the history was linearizable, for two (or more) configurations.

    Args:
        summary_cp, summary_ap: plain dicts with ``ops`` and ``ok`` (or ``ok_share`` in
            [0, 1]), ``stale_reads``, ``lost_writes``, ``linearizable`` (True/False/None);
            missing numbers count as 0. ``summary_cp`` may instead be a dict ``label ->
            summary`` to compare any number of configurations. See :func:`summary_dict`.
        labels: the two labels when two summaries are given.
        height: figure height in px.

    Returns:
        A ``go.Figure`` with three panels (x axes ``x``, ``x2``, ``x3``) and, per
        configuration, three bar traces named by its label (``meta`` = ``{"metric": m,
        "label": l, "value": v}``, ``m`` in ``available``, ``stale_reads``, ``lost_writes``).
        ``layout.meta["linearizable"]`` maps label -> verdict; it is also printed under the
        bars.

    Example:
        >>> availability_consistency_bars(
        ...     {"ops": 100, "ok": 62, "stale_reads": 0, "lost_writes": 0, "linearizable": True},
        ...     {"ops": 100, "ok": 100, "stale_reads": 9, "lost_writes": 2,
        ...      "linearizable": False})
        Figure(...)
    """
    if summary_ap is None and isinstance(summary_cp, dict) and all(
            isinstance(v, dict) for v in summary_cp.values()):
        items = list(summary_cp.items())
    else:
        items = [(labels[0], summary_cp), (labels[1], summary_ap or {})]
    colours = [OKABE_ITO["blue"], OKABE_ITO["orange"], OKABE_ITO["bluish green"],
               OKABE_ITO["reddish purple"]]
    patterns = ["", "/", ".", "x"]
    traces, lin = [], {}
    for i, (label, s) in enumerate(items):
        ops = s.get("ops") or 0
        share = s.get("ok_share")
        if share is None:
            share = (s.get("ok", 0) / ops) if ops else 0.0
        values = {"available": round(100 * share, 1), "stale_reads": s.get("stale_reads") or 0,
                  "lost_writes": s.get("lost_writes") or 0}
        lin[label] = s.get("linearizable")
        for j, (metric, title) in enumerate(_METRICS):
            axis = "" if j == 0 else str(j + 1)
            traces.append({"type": "bar", "name": label, "x": [label],
                           "y": [values[metric]], "xaxis": f"x{axis}", "yaxis": f"y{axis}",
                           "marker": {"color": colours[i % len(colours)],
                                      "pattern": {"shape": patterns[i % len(patterns)]}},
                           "text": [f"{values[metric]}"], "textposition": "outside",
                           "textfont": {"size": FONT_SIZE},
                           "legendgroup": label, "showlegend": j == 0,
                           "meta": {"metric": metric, "label": label,
                                    "value": values[metric]},
                           "hovertemplate": f"{label}: {title} = %{{y}}<extra></extra>"})
    layout = base_layout("Availability vs consistency", height=height, barmode="group",
                         showlegend=False, meta={"linearizable": lin},
                         margin={"l": 50, "r": 20, "t": 90, "b": 80})
    gap = 0.06
    width = (1 - 2 * gap) / 3
    ymax = {m: max([t["y"][0] for t in traces if t["meta"]["metric"] == m] + [1]) * 1.25
            for m, _ in _METRICS}
    annotations = []
    for j, (metric, title) in enumerate(_METRICS):
        axis = "" if j == 0 else str(j + 1)
        x0 = j * (width + gap)
        layout[f"xaxis{axis}"] = {"domain": [x0, x0 + width], "anchor": f"y{axis}",
                                  "type": "category"}
        layout[f"yaxis{axis}"] = {"anchor": f"x{axis}", "rangemode": "tozero",
                                  "range": [0, 105 if metric == "available" else ymax[metric]]}
        annotations.append({"text": f"<b>{title}</b>", "x": x0 + width / 2, "y": 1.02,
                            "xref": "paper", "yref": "paper", "showarrow": False,
                            "yanchor": "bottom", "font": {"size": FONT_SIZE}})
    verdicts = "   ".join(f"{label}: " + {True: "linearizable ✓", False: "NOT linearizable ✗",
                                          None: "linearizable ?"}[lin[label]]
                          for label, _ in items)
    annotations.append({"text": verdicts, "x": 0.5, "y": -0.18, "xref": "paper",
                        "yref": "paper", "showarrow": False, "font": {"size": FONT_SIZE}})
    layout["annotations"] = annotations
    return make_figure(traces, layout)

