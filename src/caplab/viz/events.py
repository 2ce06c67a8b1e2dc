"""Views of the event-driven shop: the event flow between services, the event log as a table,
and the lag from a command's acknowledgement to its effect in a read model.

Pure functions from the plain data of :mod:`caplab.events.report` to plotly figures; nothing
here runs or changes a simulation.
"""

from __future__ import annotations

import json
import math

from ._common import GREY, OKABE_ITO, base_layout, make_figure

__all__ = ["event_flow", "event_table", "lag_plot", "FLOW_ORDER"]

#: where each node sits in the flow diagram, left to right
FLOW_ORDER = ("orders", "payments", "addresses", "shipping", "summary", "search")


def _positions(names) -> dict:
    names = [n for n in FLOW_ORDER if n in names] + sorted(set(names) - set(FLOW_ORDER))
    n = max(len(names), 1)
    return {name: (math.cos(2 * math.pi * i / n), math.sin(2 * math.pi * i / n))
            for i, name in enumerate(names)}


def event_flow(edges: list[dict], *, title: str = "Event flow"):
    """Services as nodes, event types as arrows labelled with their count and mean lag.

    Args:
        edges: :func:`caplab.events.report.flow_edges` output.
        title: the figure's title.
    Returns:
        A plotly ``Figure``.
    Example:
        >>> from caplab.events import EventShop                 # doctest: +SKIP
        >>> from caplab.events.report import flow_edges          # doctest: +SKIP
        >>> event_flow(flow_edges(shop)).show()                 # doctest: +SKIP
    """
    names = sorted({e["source"] for e in edges} | {e["target"] for e in edges})
    pos = _positions(names)
    annotations, mids = [], {"x": [], "y": [], "text": []}
    for i, e in enumerate(edges):
        (x0, y0), (x1, y1) = pos[e["source"]], pos[e["target"]]
        bend = 0.04 * (i % 3)
        annotations.append({"x": x1, "y": y1 + bend, "ax": x0, "ay": y0 + bend, "xref": "x",
                            "yref": "y", "axref": "x", "ayref": "y", "showarrow": True,
                            "arrowhead": 2, "arrowwidth": 1 + math.log1p(e["count"]),
                            "arrowcolor": GREY, "standoff": 18, "startstandoff": 18,
                            "text": ""})
        mids["x"].append(0.55 * x1 + 0.45 * x0)
        mids["y"].append(0.55 * y1 + 0.45 * y0 + bend)
        mids["text"].append(f"{e['type']} ×{e['count']} ({e['mean_lag_ms']:.0f} ms)")
    data = [
        {"type": "scatter", "mode": "text", "x": mids["x"], "y": mids["y"],
         "text": mids["text"], "textfont": {"size": 10}, "hoverinfo": "text",
         "name": "event types", "showlegend": False},
        {"type": "scatter", "mode": "markers+text", "x": [pos[n][0] for n in names],
         "y": [pos[n][1] for n in names], "text": names, "textposition": "top center",
         "marker": {"size": 28, "color": OKABE_ITO["sky blue"]}, "name": "services",
         "hoverinfo": "text", "showlegend": False},
    ]
    layout = base_layout(title, annotations=annotations,
                         xaxis={"visible": False, "range": [-1.4, 1.4]},
                         yaxis={"visible": False, "range": [-1.3, 1.45]})
    return make_figure(data, layout)


COLUMNS = ("topic", "event_id", "type", "source", "timestamp_ms", "aggregate", "version",
           "correlation_id", "causation_id", "schema_version", "body")


def event_table(rows: list[dict], *, title: str = "Event log"):
    """The event log as a table: one row per record, header fields then the body as JSON.

    Columns are as wide as their content (the body wraps), ids and header names break at
    their ``-`` and ``_``, and the figure is tall enough for every row (up to 40; beyond, the
    table scrolls), so nothing is cut off at a notebook's width.

    Args:
        rows: :func:`caplab.events.report.event_rows` output.
    Returns:
        A plotly ``Figure`` with one table trace.
    """
    cells = [[json.dumps(r[c], sort_keys=True) if c == "body" else r[c] for r in rows]
             for c in COLUMNS]
    shown = [[_breakable(v) if c.endswith("_id") else v for v in col]
             for c, col in zip(COLUMNS, cells)]
    # in characters, plus two for the cell's padding (plotly shares the width in proportion)
    widths = [2 + max([len(w) for w in c.split("_")]
                      + [min(max(len(p) for p in str(v).split("<br>")), 20) for v in col])
              for c, col in zip(COLUMNS, shown)]
    # each row as tall as its longest wrapped cell (the body, at about its column's width)
    lines = [max([str(v).count("<br>") + 1 for v in row[:-1]]
                 + [math.ceil(len(str(row[-1])) / widths[-1])]) for row in zip(*shown)]
    data = [{"type": "table", "columnwidth": widths,
             "header": {"values": [c.replace("_", "_<br>") for c in COLUMNS], "align": "left",
                        "font": {"size": 11}, "height": 36},
             "cells": {"values": shown, "align": "left", "font": {"size": 11}, "height": 20}}]
    height = 70 + 20 + 40 + sum(18 * n + 6 for n in lines[:40])
    layout = base_layout(title, height=max(height, 250),
                         margin={"l": 10, "r": 10, "t": 60, "b": 10})
    return make_figure(data, layout)


def _breakable(value):
    """An id (``payments-6a956c9c2daa``) broken after its ``-``, so it wraps in a narrow column."""
    return value.replace("-", "-<br>", 1) if isinstance(value, str) else value


def lag_plot(lags: list[dict], *, title: str = "Command acknowledged → visible in the read model"):
    """The lag of each command (ms), against its acknowledgement time; never visible: a cross
    on the axis.

    Args:
        lags: :func:`caplab.events.report.command_lags` output.
    Returns:
        A plotly ``Figure``.
    """
    seen = [r for r in lags if r["lag_ms"] is not None]
    unseen = [r for r in lags if r["lag_ms"] is None]
    data = [{"type": "scatter", "mode": "markers", "name": "visible after",
             "x": [r["ack_ms"] for r in seen], "y": [r["lag_ms"] for r in seen],
             "text": [f"{r['order_id']} v{r['version']}" for r in seen],
             "marker": {"color": OKABE_ITO["blue"], "size": 9}},
            {"type": "scatter", "mode": "markers", "name": "not visible",
             "x": [r["ack_ms"] for r in unseen], "y": [0] * len(unseen),
             "text": [f"{r['order_id']} v{r['version']}" for r in unseen],
             "marker": {"color": OKABE_ITO["vermilion"], "symbol": "x", "size": 11}}]
    layout = base_layout(title, xaxis={"title": {"text": "acknowledged at (ms)"}},
                         yaxis={"title": {"text": "lag (ms)"}, "rangemode": "tozero"})
    return make_figure(data, layout)
