"""The CP-vs-AP comparison view: availability and consistency side by side, per configuration,
from a run's summary (this view runs no checker of its own)."""

from __future__ import annotations

from ._common import FONT_SIZE, OKABE_ITO, base_layout, make_figure

__all__ = ["availability_consistency_bars", "summary_dict"]


# -- CP vs AP --------------------------------------------------------------------------------
def summary_dict(summary, *, final_state=None, window=None) -> dict:
    """The plain dict :func:`availability_consistency_bars` draws: what
    :meth:`caplab.check.Summary.as_dict` returns (this view runs no checker of its own).

    Args:
        summary: a :class:`caplab.check.Summary` (``caplab.check.check_all(history)``); a
            history (History, list of dicts or frame) is passed to ``check_all`` first.
        final_state: key -> final value (for the lost-write check), with a history only.
        window: optional ``(start_ms, end_ms)``: also the worst client's share answered ok
            in the window (see :meth:`caplab.check.Summary.as_dict`).

    Returns:
        ``{"ops", "ok", "fail", "info", "stale_reads", "lost_writes", "linearizable"}``, and
        with ``window`` ``"window"``, ``"worst_client"``, ``"worst_client_ok_share"``,
        ``"client_ok_share"``.

    Example:
        >>> from caplab.check import check_all
        >>> availability_consistency_bars({"CP": summary_dict(check_all(cp.history)),
        ...                                "AP": summary_dict(check_all(ap.history))})
        ...                                                             # doctest: +SKIP
    """
    if not hasattr(summary, "as_dict"):
        from ..check import check_all
        summary = check_all(summary, final_state=final_state)
    return summary.as_dict(window=window)


_METRICS = (("available", "answered ok<br>(% of all ops)"), ("stale_reads", "stale<br>reads"),
            ("lost_writes", "lost<br>writes"))
_WORST = ("worst_client", "worst client<br>in faults: ok (%)")


def availability_consistency_bars(summary_cp, summary_ap=None, *, labels=("CP", "AP"),
                                  height=400):
    """Side-by-side bars: share of operations answered ok, stale reads, lost writes, and
    whether the history was linearizable, for two (or more) configurations.

    Args:
        summary_cp, summary_ap: :class:`caplab.check.Summary` objects, or plain dicts with
            ``ops`` and ``ok`` (or ``ok_share`` in
            [0, 1]), ``stale_reads``, ``lost_writes``, ``linearizable`` (True/False/None);
            missing numbers count as 0; optionally ``worst_client_ok_share`` (in [0, 1]) and
            ``worst_client`` (see :func:`summary_dict` with ``window=``). ``summary_cp`` may
            instead be a dict ``label -> summary`` to compare any number of configurations.
        labels: the two labels when two summaries are given.
        height: figure height in px.

    Returns:
        A ``go.Figure`` with three panels (x axes ``x``, ``x2``, ``x3``) and, per
        configuration, three bar traces named by its label (``meta`` = ``{"metric": m,
        "label": l, "value": v}``, ``m`` in ``available``, ``stale_reads``, ``lost_writes``).
        When some summary has ``worst_client_ok_share``, a fourth panel (``x4``, metric
        ``worst_client``, ``meta["client"]`` names the client): the worst client's share of
        operations answered ok during the faults. ``layout.meta["linearizable"]`` maps label
        -> verdict; it is also printed under the bars.

    Example:
        >>> availability_consistency_bars(
        ...     {"ops": 100, "ok": 62, "stale_reads": 0, "lost_writes": 0, "linearizable": True},
        ...     {"ops": 100, "ok": 100, "stale_reads": 9, "lost_writes": 2,
        ...      "linearizable": False})
        Figure(...)
    """
    if summary_ap is None and isinstance(summary_cp, dict) and all(
            isinstance(v, dict) or hasattr(v, "as_dict") for v in summary_cp.values()):
        items = list(summary_cp.items())
    else:
        items = [(labels[0], summary_cp), (labels[1], summary_ap or {})]
    items = [(label, s.as_dict() if hasattr(s, "as_dict") else s) for label, s in items]
    metrics = list(_METRICS)
    if any(s.get("worst_client_ok_share") is not None for _, s in items):
        metrics.append(_WORST)
    traces, lin = _bar_traces(items, metrics)
    layout = base_layout("Availability vs consistency", height=height, barmode="group",
                         showlegend=False, meta={"linearizable": lin},
                         margin={"l": 50, "r": 20, "t": 110, "b": 80})
    _panel_axes(layout, traces, metrics)
    verdicts = "   ".join(f"{label}: " + {True: "linearizable ✓", False: "NOT linearizable ✗",
                                          None: "linearizable ?"}[lin[label]]
                          for label, _ in items)
    layout["annotations"].append({"text": verdicts, "x": 0.5, "y": -0.17, "xref": "paper",
                                  "yref": "paper", "yanchor": "top", "showarrow": False,
                                  "font": {"size": FONT_SIZE}})
    return make_figure(traces, layout)


_PERCENT = {"available", "worst_client"}
_COLOURS = [OKABE_ITO["blue"], OKABE_ITO["orange"], OKABE_ITO["bluish green"],
            OKABE_ITO["reddish purple"]]
_PATTERNS = ["", "/", ".", "x"]


def _bar_traces(items, metrics) -> tuple[list, dict]:
    """One bar per configuration and metric, and each configuration's verdict."""
    colours, patterns = _COLOURS, _PATTERNS
    traces, lin = [], {}
    for i, (label, s) in enumerate(items):
        ops = s.get("ops") or 0
        share = s.get("ok_share")
        if share is None:
            share = (s.get("ok", 0) / ops) if ops else 0.0
        worst = s.get("worst_client_ok_share")
        values = {"available": round(100 * share, 1), "stale_reads": s.get("stale_reads") or 0,
                  "lost_writes": s.get("lost_writes") or 0,
                  "worst_client": None if worst is None else round(100 * worst, 1)}
        lin[label] = s.get("linearizable")
        for j, (metric, title) in enumerate(metrics):
            axis = "" if j == 0 else str(j + 1)
            value = values[metric]
            plain = title.replace("<br>", " ")
            meta = {"metric": metric, "label": label, "value": value}
            hover = f"{label}: {plain} = %{{y}}"
            if metric == "worst_client":
                meta["client"] = s.get("worst_client")
                if s.get("worst_client") is not None:
                    hover += f" (client {s.get('worst_client')})"
            traces.append({"type": "bar", "name": label, "x": [label],
                           "y": [0 if value is None else value],
                           "xaxis": f"x{axis}", "yaxis": f"y{axis}",
                           "marker": {"color": colours[i % len(colours)],
                                      "pattern": {"shape": patterns[i % len(patterns)]}},
                           "text": ["n/a" if value is None else f"{value:g}"],
                           "textposition": "outside", "cliponaxis": False,
                           "textfont": {"size": FONT_SIZE},
                           "legendgroup": label, "showlegend": j == 0,
                           "meta": meta, "hovertemplate": hover + "<extra></extra>"})
    return traces, lin


def _panel_axes(layout, traces, metrics) -> None:
    """One panel (x and y axes side by side, a title above) per metric."""
    percent = _PERCENT
    n = len(metrics)
    gap = 0.07
    width = (1 - (n - 1) * gap) / n
    ymax = {m: max([t["y"][0] for t in traces if t["meta"]["metric"] == m] + [1]) * 1.3
            for m, _ in metrics}
    annotations = []
    for j, (metric, title) in enumerate(metrics):
        axis = "" if j == 0 else str(j + 1)
        x0 = j * (width + gap)
        layout[f"xaxis{axis}"] = {"domain": [x0, x0 + width], "anchor": f"y{axis}",
                                  "type": "category"}
        # Headroom above 100 % so the value printed over a full bar is not cut off.
        layout[f"yaxis{axis}"] = {"anchor": f"x{axis}", "rangemode": "tozero",
                                  "range": [0, 118 if metric in percent else ymax[metric]]}
        if metric in percent:
            layout[f"yaxis{axis}"]["tickvals"] = [0, 25, 50, 75, 100]
        annotations.append({"text": f"<b>{title}</b>", "x": x0 + width / 2, "y": 1.02,
                            "xref": "paper", "yref": "paper", "showarrow": False,
                            "yanchor": "bottom", "font": {"size": FONT_SIZE - 1},
                            "name": f"panel {metric}"})
    layout["annotations"] = annotations
