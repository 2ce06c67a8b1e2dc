"""Views of the event-driven shop: the event flow between services (drawn by
:mod:`caplab.viz.flow`, re-exported here), the event log as a table, and the lag from a
command's acknowledgement to its effect in a read model.

Pure functions from the plain data of :mod:`caplab.events.report` to plotly figures; nothing
here runs or changes a simulation.
"""

from __future__ import annotations

import json
import math

from ._common import OKABE_ITO, base_layout, make_figure
from .flow import FLOW_ORDER, event_flow

__all__ = ["event_flow", "event_table", "lag_plot", "FLOW_ORDER"]

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
