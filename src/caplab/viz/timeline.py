"""The operation timeline (Porcupine's visualiser, in spirit): one row per client, one bar per
operation from invocation to completion, coloured by outcome, with the operations a checker
flagged highlighted and its reason in the hover text.

``info`` operations (outcome unknown) may take effect at any time after their invocation (the
interval a linearizability checker uses): their bar runs dotted a little past the moment the
client gave up and ends in an arrow, rather than to the right edge, where a run of retries would
make a wall of dotted lines. With ``faults=`` (a cluster or its trace) the faults are shaded
behind the bars (partition, crash, election: Jepsen's nemesis bands, :mod:`caplab.viz.bands`).
"""

from __future__ import annotations

import pandas as pd

from ._common import (FONT_SIZE, OUTCOME_COLOURS, VIOLATION_COLOUR, bad_ops_of, base_layout,
                      make_figure, natural_key, op_label, wrap_hover)
from .bands import band_annotations, band_shapes, clip, fault_bands
from ..frames import history_frame

__all__ = ["timeline", "timeline_data"]

_BAR_WIDTH = 14

#: Up to this many operations each bar gets black end ticks; beyond, they would make a barcode
#: that hides the outcome colours, so the ticks take the bar's colour and height.
END_TICKS_UP_TO = 40

#: At most this many lanes per client row (0.28 apart, so a row never runs into the next);
#: more overlapping operations share the lane that frees first.
MAX_LANES = 3

#: An ``info`` bar runs this share of the time span past the moment its client gave up.
INFO_CAP_SHARE = 0.06

#: The plot width assumed when deciding which labels fit (px).
PLOT_WIDTH_PX = 900


def flagged_by(check_result) -> str | None:
    """What flagged the operations: ``"linearizability"``, ``"stale reads"``, ... the
    ``checker`` name of a :class:`caplab.check.CheckResult`; None for a plain dict or list of
    op ids."""
    return getattr(check_result, "checker", None)


def _frame(history) -> pd.DataFrame:
    if isinstance(history, pd.DataFrame):
        return history
    return history_frame(history)


def _none(v):
    return None if v is None or v is pd.NA or (isinstance(v, float) and v != v) else v


def timeline_data(history, *, check_result=None, highlight=None, end_ms=None,
                  flagged_by_name=None, faults=None) -> dict:
    """The bars of :func:`timeline` as plain data.

    Args:
        history: a history frame (``caplab.frames.history_frame``), a
            :class:`~caplab.history.History`, or a list of history dicts.
        check_result: what to mark as violating: a checker result from :mod:`caplab.check`
            (anything with ``bad_ops``; reasons from ``reasons`` or the per-op records), a dict
            ``{op_id: reason}`` or a list of op ids.
        highlight: op ids to outline (e.g. the operation a student selected).
        end_ms: where open-ended (``info``) bars stop; default a little after the last event.
        flagged_by_name: what flagged the ops, for the title (default from the result's type,
            see :func:`flagged_by`).
        faults: where to read the faults from: a Cluster, a trace or a list of trace events
            (see :func:`caplab.viz.bands.fault_bands`); default none.

    Returns:
        A dict: ``clients`` (row order), ``ops`` (dicts ``id, client, row, y, label, start,
        end, open_ended, capped, outcome, hover, bad, reason``; ``y`` = row + 0.28 * lane, at
        most :data:`MAX_LANES` lanes; an ``info`` bar is ``capped``: its ``end`` is
        :data:`INFO_CAP_SHARE` of the span past its completion, at most ``end_ms``),
        ``end_ms``, ``bad`` (op id -> reason), ``highlight`` (op ids), ``flagged_by`` (str or
        None), ``explicit_end`` (whether ``end_ms`` was given), ``bands`` (fault bands within
        the ops' span, see :func:`caplab.viz.bands.fault_bands`).
    """
    frame = _frame(history)
    bad = bad_ops_of(check_result)
    high = set(highlight or ())
    cols = list(frame.columns)
    rows = [dict(zip(cols, t)) for t in frame.itertuples(index=False, name=None)]
    times = [t for r in rows for t in (_none(r["invoke_ms"]), _none(r.get("complete_ms")))
             if t is not None]
    last = max(times) if times else 0
    first = min(times) if times else 0
    explicit_end = end_ms is not None
    if end_ms is None:
        end_ms = last + max(10, (last - first) // 20)
    clients = sorted({r["client"] for r in rows}, key=natural_key)
    bands = (fault_bands(faults, until_ms=end_ms if explicit_end else None)
             if faults is not None else [])
    if bands and not explicit_end:
        # A fault after the last operation (a crash once the clients stopped) still shows.
        end_ms = max([end_ms] + [b["end_ms"] for b in bands])
    bands = clip(bands, first, end_ms)
    end_ms = int(end_ms)
    cap = max(1, int((end_ms - first) * INFO_CAP_SHARE))
    ops = _ops(rows, clients, bad, end_ms, cap)
    return {"clients": clients, "ops": ops, "end_ms": end_ms, "bad": bad,
            "highlight": sorted(high, key=natural_key),
            "flagged_by": flagged_by_name or flagged_by(check_result),
            "explicit_end": explicit_end, "bands": bands}


def _ops(rows, clients, bad, end_ms, cap) -> list[dict]:
    """The bars, each in the first free lane of its client's row."""
    index = {c: i for i, c in enumerate(clients)}
    lanes_end: dict = {}   # (client, lane) -> end time, to stack overlapping ops of a client
    ops = []
    for r in sorted(rows, key=lambda r: (r["invoke_ms"], r["id"])):
        outcome = r.get("outcome") or "info"
        start = int(r["invoke_ms"])
        complete = _none(r.get("complete_ms"))
        open_ended = outcome == "info" or complete is None
        # An info op may take effect any time later; the bar says so with an arrow a little
        # past the moment the client gave up instead of running to the edge.
        end = min(end_ms, (start if complete is None else int(complete)) + cap) \
            if open_ended else int(complete)
        lane = 0
        while lanes_end.get((r["client"], lane), -1) >= start:
            lane += 1
        if lane >= MAX_LANES:
            # Every lane is busy (open-ended info bars keep theirs to the right edge): share
            # the one that frees first (the last one on a tie), never a new lane that would
            # run into the next client's row.
            lane = min(range(MAX_LANES),
                       key=lambda i: (lanes_end[(r["client"], i)], -i))
        lanes_end[(r["client"], lane)] = max(end, lanes_end.get((r["client"], lane), -1))
        label = op_label(r["op"], r["key"], _none(r.get("value")), outcome)
        reason = bad.get(r["id"])
        hover = (f"op {r['id']} · {r['client']} · {label}<br>{outcome} "
                 f"[{start}, {complete if complete is not None else '…'}] ms"
                 f"{' at ' + str(r['node']) if _none(r.get('node')) else ''}")
        if _none(r.get("error")):
            hover += "<br>" + wrap_hover(f"error: {r['error']}")
        if reason is not None:
            hover += "<br><b>violation</b>: " + wrap_hover(reason)
        if open_ended:
            hover += "<br>may take effect at any time after its invocation"
        ops.append({"id": r["id"], "client": r["client"], "row": index[r["client"]],
                    "y": index[r["client"]] + 0.28 * lane, "label": label, "start": start,
                    "end": end, "open_ended": open_ended, "capped": open_ended,
                    "outcome": outcome, "hover": hover, "bad": reason is not None,
                    "reason": reason})
    return ops


def _bars(ops, ticks=True):
    """Line segments of ``ops`` with an end tick each; an open-ended bar ends in an arrow."""
    xs, ys, sizes, symbols = [], [], [], []
    tick = 18 if ticks else _BAR_WIDTH
    for o in ops:
        xs += [o["start"], o["end"], None]
        ys += [o["y"], o["y"], None]
        sizes += [tick, 12 if o["open_ended"] else tick, 0]
        symbols += ["line-ns-open", "triangle-right" if o["open_ended"] else "line-ns-open",
                    "line-ns-open"]
    return xs, ys, sizes, symbols


#: Up to this many operations every bar is labelled; beyond it only the ones worth reading.
LABEL_ALL_UP_TO = 40


def _visible_labels(ops, high, width_px=PLOT_WIDTH_PX) -> list[str]:
    """Label text per op, never two overlapping on one line. A long history labels only
    flagged and highlighted operations and bars wide enough to hold a label (at least 1/25 of
    the time span); then, line by line, a label that would run into one already placed is left
    out (flagged and highlighted ones are placed first). The rest keep their hover text."""
    if not ops:
        return []
    start = min(o["start"] for o in ops)
    end = max(o["end"] for o in ops)
    span = max(end - start, 1)
    wide = span / 25
    want = [o["label"] if (len(ops) <= LABEL_ALL_UP_TO or o["bad"] or o["id"] in high
                           or o["end"] - o["start"] >= wide) else "" for o in ops]
    per_char = 0.6 * (FONT_SIZE - 3) * span / width_px
    placed: dict = {}    # y -> [(x0, x1)] taken on that line
    order = sorted(range(len(ops)), key=lambda i: (not (ops[i]["bad"] or ops[i]["id"] in high),
                                                   ops[i]["start"], i))
    out = [""] * len(ops)
    for i in order:
        if not want[i]:
            continue
        o = ops[i]
        mid = (o["start"] + o["end"]) / 2
        half = len(want[i]) * per_char / 2
        taken = placed.setdefault(o["y"], [])
        if any(a < mid + half and mid - half < b for a, b in taken):
            continue
        taken.append((mid - half, mid + half))
        out[i] = want[i]
    return out


def _marks(ops, high) -> list[dict]:
    """The halo of flagged bars and the outline of highlighted ones (drawn first, below)."""
    traces = []
    for name, chosen, colour, extra in (
            ("violation", [o for o in ops if o["bad"]], VIOLATION_COLOUR, 14),
            ("highlight", [o for o in ops if o["id"] in high], "#000000", 8)):
        xs, ys, _, _ = _bars(chosen)
        traces.append({"type": "scatter", "name": name, "x": xs, "y": ys, "mode": "lines",
                       "line": {"color": colour, "width": _BAR_WIDTH + extra},
                       "hoverinfo": "skip", "showlegend": bool(chosen),
                       "meta": {"ops": [o["id"] for o in chosen]}})
    return traces


def _outcome_traces(ops) -> list[dict]:
    """One trace of bars per outcome (``ok``, ``fail``, ``info``)."""
    ticks = len(ops) <= END_TICKS_UP_TO
    traces = []
    for outcome in ("ok", "fail", "info"):
        mine = [o for o in ops if o["outcome"] == outcome]
        xs, ys, sizes, symbols = _bars(mine, ticks)
        colour = OUTCOME_COLOURS[outcome]
        traces.append({"type": "scatter", "name": outcome, "x": xs, "y": ys,
                       "mode": "lines+markers",
                       "line": {"color": colour, "width": _BAR_WIDTH,
                                "dash": "dot" if outcome == "info" else "solid"},
                       # Black end ticks for a short history; beyond, they would make a
                       # barcode: ticks in the outcome colour, bar-high, keep a very short
                       # operation visible without hiding the colours. Open-ended bars end
                       # in an arrow of their colour.
                       "marker": {"symbol": symbols, "size": sizes,
                                  "color": _tick_colours(symbols, colour, ticks),
                                  "line": {"width": 2}},
                       "hoverinfo": "skip", "meta": {"ops": [o["id"] for o in mine]},
                       "legendgroup": "outcome", "showlegend": True})
    return traces


def _tick_colours(symbols, colour, ticks):
    """Black ticks (or the outcome colour), arrows always in the outcome colour."""
    tick = "#333333" if ticks else colour
    if tick == colour or "triangle-right" not in symbols:
        return tick
    return [colour if sym == "triangle-right" else tick for sym in symbols]


def _text_traces(ops, high) -> list[dict]:
    """The labels (with the hover text of every bar) and a star per flagged op."""
    flagged = [o for o in ops if o["bad"]]
    mid = [((o["start"] + o["end"]) / 2, o["y"]) for o in ops]
    return [{"type": "scatter", "name": "labels", "mode": "text",
             "x": [m[0] for m in mid], "y": [m[1] - 0.2 for m in mid],
             "text": _visible_labels(ops, high),
             "textfont": {"size": FONT_SIZE - 3, "color": "#000000"},
             "hovertext": [o["hover"] for o in ops], "hoverinfo": "text",
             "customdata": [[o["id"], o["outcome"], o["bad"]] for o in ops],
             "showlegend": False},
            {"type": "scatter", "name": "violating ops", "mode": "markers",
             "x": [(o["start"] + o["end"]) / 2 for o in flagged],
             "y": [o["y"] for o in flagged],
             "marker": {"symbol": "star", "size": 20, "color": VIOLATION_COLOUR,
                        "line": {"width": 1.5, "color": "#000000"}},
             "customdata": [[o["id"], o["reason"]] for o in flagged],
             "hovertext": [o["hover"] for o in flagged], "hoverinfo": "text",
             "showlegend": False}]


def _title(d) -> str:
    ops, clients, n_bad = d["ops"], d["clients"], len(d["bad"])
    title = (f"Operations · {len(ops)} op{'' if len(ops) == 1 else 's'} · {len(clients)} "
             f"client{'' if len(clients) == 1 else 's'}")
    if n_bad:
        title += f" · {n_bad} flagged" + (f" by {d['flagged_by']}" if d.get("flagged_by")
                                          else "")
    return title


def timeline(history=None, *, check_result=None, highlight=None, end_ms=None, data=None,
             height=None, faults=None):
    """Draw the operation timeline.

    Args:
        history, check_result, highlight, end_ms, faults: as in :func:`timeline_data`.
        data: a dict from :func:`timeline_data`.
        height: figure height in px (default grows with the number of clients).

    Returns:
        A ``go.Figure`` with traces ``"violation"`` (a halo behind each flagged bar;
        ``meta["ops"]``), ``"highlight"`` (``meta["ops"]``), ``"ok"``, ``"fail"``, ``"info"``
        (one bar per op, ``meta["ops"]`` lists their ids in order; ``info`` dotted, ending in
        an arrow a little past the client giving up; black end ticks up to
        :data:`END_TICKS_UP_TO` ops, beyond that ticks in the outcome colour), ``"labels"``
        (one point per op; labels never overlap on a line, and beyond ``LABEL_ALL_UP_TO`` ops
        only flagged, highlighted and wide bars show their text; ``customdata`` = ``[op_id,
        outcome, flagged]``, hover text with the reason) and ``"violating ops"`` (a star per
        flagged op, ``customdata`` = ``[op_id, reason]``). The y axis lists clients. The title
        counts the flagged ops and names what flagged them; with no operations an annotation
        says so. Fault bands are layout shapes named by kind (``"partition"``, ``"crash"``,
        ``"election"``), a ``"partition starts"`` line, and stacked labels (annotations named
        ``"band <kind>"``); ``layout.meta["bands"]`` lists them.

    Example:
        >>> from caplab.check import check_linearizability        # doctest: +SKIP
        >>> r = check_linearizability(c.history)                   # doctest: +SKIP
        >>> timeline(c.history, check_result=r, faults=c).show()   # doctest: +SKIP
    """
    d = data if data is not None else timeline_data(history, check_result=check_result,
                                                    highlight=highlight, end_ms=end_ms,
                                                    faults=faults)
    ops, clients = d["ops"], d["clients"]
    high = set(d["highlight"])
    traces = _marks(ops, high) + _outcome_traces(ops) + _text_traces(ops, high)
    height = height or max(280, 175 + 70 * len(clients))
    xaxis = {"title": {"text": "simulated time (ms)"}, "zeroline": False, "autorange": True}
    # Room above the first row for the fault labels.
    top = -0.9 if d.get("bands") else -0.5
    yaxis = {"tickvals": list(range(len(clients))), "ticktext": clients,
             "autorange": False, "range": [len(clients) - 0.3, top], "zeroline": False}
    annotations = []
    if not ops:
        # Nothing to autorange on: a fixed, sane window (and no leftover range of a redraw).
        end = d["end_ms"] if d.get("explicit_end") else 1000
        xaxis.update(autorange=False, range=[max(0, end - 1000), max(end, 1000)])
        yaxis.update(autorange=False, range=[1, -1], showticklabels=False)
        annotations.append({"text": "no operations yet", "x": 0.5, "y": 0.5, "xref": "paper",
                            "yref": "paper", "showarrow": False, "name": "empty",
                            "font": {"size": FONT_SIZE + 2, "color": "#555555"}})
    bands = d.get("bands") or []
    span = max(d["end_ms"] - min(o["start"] for o in ops), 1) if ops else 1
    if ops and bands:
        annotations += band_annotations(bands, span=span, width_px=PLOT_WIDTH_PX,
                                        hi=d["end_ms"])
    layout = base_layout(_title(d), height=height, xaxis=xaxis, yaxis=yaxis,
                         annotations=annotations, shapes=band_shapes(bands, min_width=span / 150) if ops and bands else [],
                         # At the bottom: at the top it ran into a long title.
                         legend={"orientation": "h", "traceorder": "normal",
                                 "yref": "container", "y": 0.005,
                                 "yanchor": "bottom", "x": 1, "xanchor": "right"},
                         margin={"l": 60, "r": 20, "t": 70, "b": 95},
                         hovermode="closest",
                         meta={"bad_ops": sorted(d["bad"], key=natural_key),
                               "bands": [dict(b) for b in bands]})
    return make_figure(traces, layout)
