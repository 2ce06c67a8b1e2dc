"""Views of services with capacity: an operator's dashboard of the monitoring series (request
rate, error rate, p50 and p99 latency, queue length, instances, utilisation) with the sale spike
and the faults drawn as shaded bands, and a comparison of deployment options.

Pure functions from plain data (:func:`caplab.services.monitor.time_series`,
:func:`caplab.services.scenarios.compare_options`) to plotly figures; nothing here runs or
changes a simulation.
"""

from __future__ import annotations

from ._common import GREY, OKABE_ITO, base_layout, make_figure

__all__ = ["dashboard", "monitor_dashboard", "options_comparison", "PANELS", "MONITOR_PANELS"]

#: the dashboard's rows: (title, [(series key, label, colour, dash)])
PANELS = (
    ("requests/s", [("request_rate", "request rate", OKABE_ITO["blue"], "solid")]),
    ("errors %", [("error_rate", "error rate", OKABE_ITO["vermilion"], "solid")]),
    ("latency ms", [("p50_ms", "p50", OKABE_ITO["bluish green"], "solid"),
                    ("p99_ms", "p99", OKABE_ITO["orange"], "dash")]),
    ("queued", [("queue_length", "queue length", OKABE_ITO["reddish purple"], "solid")]),
    ("instances", [("instances", "instances", OKABE_ITO["black"], "solid")]),
    ("utilisation %", [("utilisation", "utilisation", OKABE_ITO["sky blue"], "solid")]),
)
#: the live monitoring panel's rows: the dashboard's, with the breaker's state for utilisation
MONITOR_PANELS = PANELS[:5] + (
    ("breaker", [("breaker_level", "breaker state", OKABE_ITO["vermilion"], "solid")]),)
#: breaker_level -> the state it stands for (the breaker row's ticks)
BREAKER_TICKS = {0: "closed", 1: "half-open", 2: "open"}
_STEPPED = {"instances", "breaker_level"}
SPIKE_COLOUR = OKABE_ITO["yellow"]
FAULT_COLOUR = OKABE_ITO["vermilion"]
_PERCENT = {"error_rate", "utilisation"}


def _band(start_ms, end_ms, colour, label, opacity, y_label):
    shape = {"type": "rect", "xref": "x", "yref": "paper", "x0": start_ms / 1000,
             "x1": end_ms / 1000, "y0": 0, "y1": 1, "fillcolor": colour, "opacity": opacity,
             "line": {"width": 0}, "layer": "below"}
    note = {"x": start_ms / 1000, "y": y_label, "xref": "x", "yref": "paper", "text": label,
            "showarrow": False, "xanchor": "left", "font": {"size": 13}}
    return shape, note


def dashboard(series: dict, *, title: str = "Service dashboard", height: int = 980,
              panels=PANELS):
    """One row per monitoring series, sharing the time axis, with bands for the spike and faults
    (filled: a crash made through the deployment; dotted outline: while a balancer held an
    instance down).

    Args:
        series: :func:`caplab.services.monitor.time_series` output.
        title: the figure's title.
        height: pixels.
        panels: the rows (:data:`PANELS`, or :data:`MONITOR_PANELS` with the breaker).

    Returns:
        A plotly ``Figure``.

    Example:
        >>> from caplab.services import sale_spike, time_series        # doctest: +SKIP
        >>> d = sale_spike("autoscaled")["deployment"]                # doctest: +SKIP
        >>> dashboard(time_series(d)).show()                          # doctest: +SKIP
    """
    xs = [t / 1000 for t in series["t_ms"]]
    rows, gap = len(panels), 0.025
    size = (1 - gap * (rows - 1)) / rows
    traces, axes = [], {}
    for r, (axis_title, lines) in enumerate(panels):
        top = 1 - r * (size + gap)
        suffix = "" if r == 0 else str(r + 1)
        domain = [max(0.0, round(top - size, 6)), min(1.0, round(top, 6))]
        axes[f"yaxis{suffix}"] = {"domain": domain, "rangemode": "tozero",
                                  "title": {"text": axis_title, "font": {"size": 13}}}
        axes[f"xaxis{suffix}"] = {"anchor": f"y{suffix}", "matches": None if r == 0 else "x",
                                  "showticklabels": r == rows - 1}
        for key, label, colour, dash in lines:
            scale = 100 if key in _PERCENT else 1
            ys = [None if v is None else v * scale for v in series[key]]
            traces.append({"type": "scatter", "mode": "lines", "name": label, "x": xs, "y": ys,
                           "xaxis": f"x{suffix}", "yaxis": f"y{suffix}",
                           "line": {"color": colour, "dash": dash, "width": 2,
                                    "shape": "hv" if key in _STEPPED else "linear"}})
            if key == "breaker_level":
                axes[f"yaxis{suffix}"].update(tickvals=list(BREAKER_TICKS),
                                              ticktext=list(BREAKER_TICKS.values()),
                                              range=[-0.2, 2.2])
    axes[f"xaxis{rows}"]["title"] = {"text": "time (s)"}
    shapes, notes = [], []
    for start, end, label in series.get("marks", []):
        shape, note = _band(start, end, SPIKE_COLOUR, label, 0.25, 1.01)
        shapes.append(shape), notes.append(note)
    for start, end, label in series.get("faults", []):
        shape, note = _band(start, end, FAULT_COLOUR, label, 0.18, 1.035)
        shapes.append(shape), notes.append(note)
    for start, end, label in series.get("detected", []):
        # What the balancer saw (also for crashes the nemesis made): an outline, not a fill.
        shape, _ = _band(start, end, FAULT_COLOUR, label, 0.9, 1.0)
        shape.update(fillcolor="rgba(0,0,0,0)", line={"color": FAULT_COLOUR, "width": 1,
                                                       "dash": "dot"})
        shapes.append(shape)
    layout = base_layout(title, height=height, showlegend=True,
                         legend={"orientation": "h", "y": -0.06}, **axes)
    layout["shapes"], layout["annotations"] = shapes, notes
    return make_figure(traces, layout)


def monitor_dashboard(series: dict, *, title: str = "Live monitoring", height: int = 900):
    """The live panel's dashboard: request rate, error rate, p50/p99, queue length, instances
    and the breaker's state, with the spike and fault bands.

    Args:
        series: :meth:`caplab.services.live.LiveShop.series` (``breaker_level`` included).

    Example:
        >>> from caplab.services.live import LiveShop
        >>> fig = monitor_dashboard(LiveShop(seed=1).run_for(2000))
        >>> [t.name for t in fig.data][-1]
        'breaker state'
    """
    return dashboard(series, title=title, height=height, panels=MONITOR_PANELS)


def options_comparison(rows: list[dict], *, height: int = 440):
    """The deployment options side by side: p50, p99 latency (bars) and cost per hour.

    Args:
        rows: :func:`caplab.services.scenarios.compare_options` output.

    Example:
        >>> options_comparison(compare_options()).show()              # doctest: +SKIP
    """
    names = [r["option"] for r in rows]
    traces = [
        {"type": "bar", "name": "p50 ms", "x": names, "y": [r["p50_ms"] for r in rows],
         "marker": {"color": OKABE_ITO["bluish green"]}},
        {"type": "bar", "name": "p99 ms", "x": names, "y": [r["p99_ms"] for r in rows],
         "marker": {"color": OKABE_ITO["orange"], "pattern": {"shape": "/"}}},
        {"type": "scatter", "mode": "markers", "name": "$ per hour", "x": names,
         "y": [r["cost_per_hour"] for r in rows], "yaxis": "y2",
         "hovertemplate": "%{x}: $%{y:.2f} an hour<extra></extra>",
         "marker": {"color": GREY, "symbol": "diamond", "size": 14}},
    ]
    # Cost and availability are written under each option, not next to its diamond, where they
    # ran over the bars and off the top of the plot.
    ticks = [f"{r['option']}<br>${r['cost_per_hour']:.2f}/h<br>{r['availability']:.1%} served"
             for r in rows]
    top = max([r["cost_per_hour"] for r in rows] + [0.01])
    layout = base_layout("Sale spike: latency, availability and cost by option",
                         height=height + 60, barmode="group",
                         xaxis={"tickvals": names, "ticktext": ticks,
                                "tickfont": {"size": 13}},
                         yaxis={"title": {"text": "latency (ms)"}, "type": "log", "dtick": 1},
                         yaxis2={"title": {"text": "$ per hour (◆)"}, "overlaying": "y",
                                 "side": "right", "range": [0, top * 1.1], "showgrid": False,
                                 "tickprefix": "$", "tickformat": ".2f", "tickmode": "linear",
                                 "tick0": 0, "dtick": 0.25 if top > 0.5 else 0.05},
                         legend={"orientation": "h", "y": -0.32},
                         margin={"l": 60, "r": 60, "t": 70, "b": 50})
    return make_figure(traces, layout)
