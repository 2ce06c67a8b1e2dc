"""Curves and comparisons: replica divergence over time (with the heal and the time to
converge), PBS t-visibility (probability of a consistent read vs time since the write), and a
small CP-vs-AP comparison of availability and consistency.
"""

from __future__ import annotations

import math

import pandas as pd

from ._common import FONT_SIZE, NODE_COLOURS, OKABE_ITO, base_layout, make_figure

__all__ = ["divergence_curve", "divergence_data", "t_visibility_curve"]


# -- divergence ----------------------------------------------------------------------------
def divergence_data(snapshots, *, heal_ms=None, replicas=None, nodes=None) -> dict:
    """Divergent keys over time, and when the replicas agree again after ``heal_ms``.

    Args:
        snapshots: ``snapshots_frame(cluster)`` (``time_ms, node, key, value``), a list of
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
                     height=380, faults=None):
    """Draw divergent keys over time, the heal as a vertical line, the time to converge.

    Args:
        snapshots, heal_ms, replicas, nodes: as in :func:`divergence_data`.
        data: a dict from :func:`divergence_data`.
        height: figure height in px.
        faults: a Cluster, trace or list of trace events: its faults are shaded behind the
            curve (see :func:`caplab.viz.bands.fault_bands`).

    Returns:
        A ``go.Figure`` with traces ``"divergent keys"`` (a step line), ``"heal"`` (a vertical
        line at ``heal_ms``; ``meta["heal_ms"]``) and ``"converged"`` (a marker where the
        replicas agree for good; ``meta`` with ``converged_ms`` and ``time_to_converge_ms``).
        The time to converge is also a layout annotation. With ``faults``, the fault bands
        are layout shapes named by kind with stacked labels (``layout.meta["bands"]``).

    Example:
        >>> c.watch(every_ms=20); ...; c.heal(); heal = c.now; c.run_for(2000)  # doctest: +SKIP
        >>> divergence_curve(snapshots_frame(c), heal_ms=heal).show()            # doctest: +SKIP
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
    shapes, bands = _fault_marks(faults, times, annotations)
    layout = base_layout(title, height=height, annotations=annotations, shapes=shapes,
                         xaxis={"title": {"text": "simulated time (ms)"}},
                         yaxis={"title": {"text": "divergent keys"}, "rangemode": "tozero",
                                "range": [0, max(top, 1) * (1.35 if bands else 1.1)],
                                "dtick": 1 if top <= 10 else None},
                         meta={"heal_ms": heal, "converged_ms": conv,
                               "time_to_converge_ms": ttc, "bands": bands})
    return make_figure(traces, layout)


def _fault_marks(faults, times, annotations) -> tuple[list, list]:
    """Shapes for the fault bands within the sampled times; their labels join
    ``annotations``. Returns (shapes, bands)."""
    if faults is None or not times:
        return [], []
    from .bands import band_annotations, band_shapes, clip, fault_bands
    lo, hi = times[0], times[-1]
    bands = clip(fault_bands(faults, until_ms=hi), lo, hi)
    span = max(hi - lo, 1)
    annotations += band_annotations(bands, span=span, hi=hi)
    return band_shapes(bands, min_width=span / 150), [dict(b) for b in bands]


# -- t-visibility ---------------------------------------------------------------------------
def _curves(curves) -> list[tuple[str, pd.DataFrame]]:
    if isinstance(curves, pd.DataFrame):
        return [("p(consistent)", curves)]
    if isinstance(curves, dict):
        return [(str(k), v) for k, v in curves.items()]
    return [(str(label), frame) for label, frame in curves]


#: x range (ms) of a flat "always consistent" curve drawn alone
FLAT_CURVE_MS = 10.0


#: the smallest 1 - p drawn (p = 99.99%): a curve at p = 1 sits on this floor of the log axis.
MISS_FLOOR = 1e-4
_P_TICKS = [(0.5, "50%"), (0.1, "90%"), (0.01, "99%"), (0.001, "99.9%"), (1e-4, "99.99%")]


def _miss(p: float) -> float:
    """1 - p, floored so p = 1 stays on a log axis."""
    return max(1.0 - p, MISS_FLOOR)


def t_visibility_curve(curves, *, p=None, height=420):
    """Probability of a consistent read vs ms after the write committed, several configs, on
    a log scale of 1 - p so that 99%, 99.9% and 99.99% are far apart (PBS plots staleness
    this way: the interesting part is the last nines).

    Args:
        curves: a DataFrame from :func:`caplab.analyses.staleness.t_visibility` (``t_ms``,
            ``p_consistent``), a list of ``(label, frame)`` or a dict ``label -> frame``.
        p: optional target probability: a dotted horizontal line labelled with it, and each
            curve's ``t`` at ``p`` marked in the curve's colour (the first ``t_ms`` where
            ``p_consistent >= p``), its label stacked so labels never overlap.
        height: figure height in px.

    Returns:
        A ``go.Figure`` whose y values are ``1 - p`` (floored at :data:`MISS_FLOOR`) on a
        reversed log axis ticked in percent (up is more consistent). One trace per curve
        (named by its label; ``meta`` = ``{"t_at_p": t or None, "always_consistent": bool,
        "p": [the probabilities]}``), then ``"p target"`` (horizontal line; ``meta["p"]``) and
        ``"t at p"`` (markers in their curve's colour; ``customdata`` = ``[label, t_ms]``;
        labels are annotations named ``"t at p"``). A curve that is 1 everywhere (a strict
        quorum, R + W > N: ``t_visibility`` returns the single point ``t = 0``) is drawn as a
        flat line on the floor over the other curves' range (or 0..:data:`FLAT_CURVE_MS`
        ms), its name ending in "always consistent (R+W>N)".

    Example:
        >>> from caplab.analyses.staleness import t_visibility
        >>> fig = t_visibility_curve([("R=W=1", t_visibility(3, 1, 1, trials=2000)),
        ...                           ("R=2,W=1", t_visibility(3, 2, 1, trials=2000))], p=0.99)
    """
    data = []
    for label, frame in _curves(curves):
        x = [float(v) for v in frame["t_ms"]]
        y = [float(v) for v in frame["p_consistent"]]
        data.append((label, x, y, bool(y) and min(y) >= 1.0))
    xmax = max((max(x) for _, x, _, flat in data if x and not flat), default=0.0)
    if xmax <= 0:
        xmax = FLAT_CURVE_MS
    traces, marks = [], []
    for i, (label, x, y, flat) in enumerate(data):
        colour = NODE_COLOURS[i % len(NODE_COLOURS)]
        t_at = None if p is None else next((t for t, q in zip(x, y) if q >= p), None)
        if t_at is not None:
            marks.append((t_at, label, colour))
        name = label
        if flat:
            # One point at t = 0 would be a lone dot: a flat line says "always".
            x, y = [0.0, xmax], [1.0, 1.0]
            name = f"{label} · always consistent (R+W>N)"
        traces.append({"type": "scatter", "name": name, "x": x, "y": [_miss(q) for q in y],
                       "mode": "lines", "customdata": y,
                       "line": {"width": 3, "color": colour,
                                "dash": ("solid", "dash", "dot", "dashdot")[i % 4]},
                       "hovertemplate": f"{label}<br>t = %{{x:.1f}} ms: "
                                        f"p = %{{customdata:.4f}}<extra></extra>",
                       "meta": {"t_at_p": t_at, "always_consistent": flat, "p": y}})
    traces += _target_traces(p, xmax, marks)
    layout = base_layout(_visibility_title(p), height=height,
                         annotations=_visibility_notes(p, xmax, marks, data),
                         xaxis={"title": {"text": "ms after the write committed (t)"},
                                "rangemode": "tozero"},
                         yaxis={"title": {"text": "P(consistent read), log scale of 1 − p"},
                                "type": "log", "autorange": "reversed",
                                "tickvals": [v for v, _ in _P_TICKS],
                                "ticktext": [t for _, t in _P_TICKS]},
                         legend={"x": 0.98, "xanchor": "right", "y": 0.05,
                                 "yanchor": "bottom", "bgcolor": "rgba(255,255,255,0.85)"})
    return make_figure(traces, layout)


def _visibility_title(p) -> str:
    title = "Probability of a consistent read vs time since the write"
    return title + (f" · p = {p}" if p is not None else "")


def _target_traces(p, xmax, marks) -> list[dict]:
    """The p line and a marker per curve where it reaches p, in the curve's colour."""
    return [{"type": "scatter", "name": "p target", "mode": "lines",
             "x": [0, xmax] if p is not None else [],
             "y": [_miss(p)] * 2 if p is not None else [],
             "line": {"color": "#555555", "width": 2, "dash": "dot"},
             "hoverinfo": "skip", "meta": {"p": p}, "showlegend": p is not None},
            {"type": "scatter", "name": "t at p", "mode": "markers",
             "x": [t for t, _, _ in marks], "y": [_miss(p)] * len(marks) if marks else [],
             "marker": {"size": 14, "symbol": "circle", "color": [c for _, _, c in marks],
                        "line": {"width": 2, "color": "#000000"}},
             "customdata": [[label, t] for t, label, _ in marks],
             "hovertemplate": "%{customdata[0]}: p reached at %{x:.1f} ms<extra></extra>",
             "showlegend": False}]


def _visibility_notes(p, xmax, marks, data) -> list[dict]:
    """The p line's label, the t of each marker (stacked below the line so none overlap) and
    the 'always consistent' note when every curve is flat."""
    from .bands import stack_labels
    notes = []
    if p is not None:
        # Log axes place annotations at log10 of the value.
        notes.append({"x": xmax, "y": math.log10(_miss(p)), "xref": "x", "yref": "y",
                      "xanchor": "right", "yanchor": "bottom", "yshift": 4, "showarrow": False,
                      "text": f"p = {p:g} ({100 * p:g}% of reads consistent)",
                      "font": {"size": FONT_SIZE - 2, "color": "#333333"},
                      "bgcolor": "rgba(255,255,255,0.8)", "name": "p target"})
        ordered = sorted(marks)
        levels = stack_labels([(t, f"{t:.1f} ms") for t, _, _ in ordered], span=xmax,
                              width_px=800)
        for (t, label, colour), level in zip(ordered, levels):
            notes.append({"x": t, "y": math.log10(_miss(p)), "xref": "x", "yref": "y",
                          "xanchor": "left", "yanchor": "top", "yshift": -10 - 20 * level,
                          "showarrow": False, "text": f"{t:.1f} ms",
                          "font": {"size": FONT_SIZE - 2, "color": colour},
                          "bgcolor": "rgba(255,255,255,0.8)", "name": "t at p"})
    if data and all(flat for *_, flat in data):
        notes.append({"x": xmax / 2, "y": math.log10(0.01), "xref": "x", "yref": "y",
                      "showarrow": False, "name": "always consistent",
                      "text": "always consistent (R+W>N): a read quorum always "
                              "overlaps<br>the write quorum, at any t",
                      "font": {"size": FONT_SIZE}})
    return notes
