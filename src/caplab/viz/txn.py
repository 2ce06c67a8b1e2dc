"""Views of transactions across services: a sequence diagram of a 2PC round or a saga with the
failure point marked, a timeline of locks held and transactions waiting, the waiting queue
growing behind a blocked transaction, and throughput against latency and participants.

Pure functions from plain data (see :mod:`caplab.txn.report` and :mod:`caplab.txn.measure`)
to plotly figures; nothing here changes a simulation.

Example:
    >>> from caplab.txn import TwoPhaseCommit                          # doctest: +SKIP
    >>> from caplab.txn.report import lock_timeline_data               # doctest: +SKIP
    >>> tpc = TwoPhaseCommit(seed=1); tpc.crash_at("after_votes")      # doctest: +SKIP
    >>> lock_timeline(lock_timeline_data(tpc)).show()                  # doctest: +SKIP
"""

from __future__ import annotations

import html

from ._common import CUT_COLOUR, OKABE_ITO, base_layout, make_figure
from .sequence import sequence_diagram, sequence_diagram_data

__all__ = ["txn_sequence", "lock_timeline", "queue_growth", "throughput_lines",
           "outcome_html"]

HELD_COLOUR = OKABE_ITO["blue"]
WAIT_COLOUR = OKABE_ITO["orange"]


def txn_sequence(trace, marks: list[dict], *, since_ms=None, until_ms=None, nodes=None,
                 height: int = 650):
    """The message sequence of a 2PC round or a saga, with the protocol's events marked.

    Args:
        trace: the world's trace (``system.sim.trace``).
        marks: from :func:`caplab.txn.report.protocol_marks`; ``failure`` marks are drawn
            in vermilion with a star (the failure point), the others in blue.
        since_ms, until_ms, nodes: the window and lifelines (see ``sequence_diagram``).

    Returns:
        The sequence diagram with two more traces, ``"protocol"`` and ``"failure point"``
        (``customdata`` = ``[node, time_ms, detail]``).
    """
    data = sequence_diagram_data(trace, since_ms=since_ms, until_ms=until_ms, nodes=nodes)
    fig = sequence_diagram(data=data, height=height)
    x_of = {n: i for i, n in enumerate(data["lifelines"])}
    for name, failure, colour, symbol in (("protocol", False, HELD_COLOUR, "circle"),
                                          ("failure point", True, CUT_COLOUR, "star")):
        chosen = [m for m in marks if m["failure"] == failure and m["node"] in x_of
                  and data["since_ms"] <= m["time_ms"] <= data["until_ms"]]
        fig.add_scatter(name=name, mode="markers", x=[x_of[m["node"]] + 0.08 for m in chosen],
                        y=[m["time_ms"] for m in chosen],
                        marker={"symbol": symbol, "size": 15 if failure else 9,
                                "color": colour},
                        customdata=[[m["node"], m["time_ms"], m["detail"]] for m in chosen],
                        hovertemplate="%{customdata[1]} ms %{customdata[0]}: "
                                      "%{customdata[2]}<extra></extra>",
                        showlegend=bool(chosen))
    return fig


def _bars(spans, lanes, name, colour, pattern):
    y_of = {lane: i for i, lane in enumerate(lanes)}
    spans = [s for s in spans if s["service"] in y_of]
    return {"type": "bar", "orientation": "h", "name": name,
            "y": [y_of[s["service"]] for s in spans],
            "x": [max(s["end_ms"] - s["start_ms"], 0.5) for s in spans],
            "base": [s["start_ms"] for s in spans],
            "width": 0.35 if name == "waiting" else 0.7,
            "offset": 0.0 if name == "waiting" else -0.35,
            "marker": {"color": colour, "opacity": 0.85,
                       "pattern": {"shape": ["/" if s["open"] else "" for s in spans]}
                       if pattern else {},
                       "line": {"width": 1, "color": "#333333"}},
            "customdata": [[s["txid"], s["service"], s["start_ms"], s["end_ms"],
                            "still open" if s["open"] else ""] for s in spans],
            "hovertemplate": "%{customdata[0]} at %{customdata[1]}: %{customdata[2]}–"
                             "%{customdata[3]} ms %{customdata[4]}<extra>" + name + "</extra>",
            "showlegend": True}


def lock_timeline(data: dict, *, height: int = 420):
    """Locks held (blue) and transactions waiting for them (orange), one lane per service.

    Args:
        data: from :func:`caplab.txn.report.lock_timeline_data`. Spans still open at
            ``now_ms`` are hatched (a blocked, prepared transaction holding its locks).

    Returns:
        A figure with traces ``"locks held"`` and ``"waiting"`` (``customdata`` =
        ``[txid, service, start_ms, end_ms, "still open" or ""]``).
    """
    lanes = data["lanes"]
    traces = [_bars(data["held"], lanes, "locks held", HELD_COLOUR, True),
              _bars(data["waits"], lanes, "waiting", WAIT_COLOUR, True)]
    still = sum(1 for s in data["held"] if s["open"])
    waiting = sum(1 for s in data["waits"] if s["open"])
    title = f"Locks held and waits · now {data['now_ms']} ms"
    if still or waiting:
        title += f" · {still} held, {waiting} waiting now"
    layout = base_layout(title, height=height, barmode="overlay",
                         xaxis={"title": {"text": "time (ms)"}},
                         yaxis={"tickvals": list(range(len(lanes))), "ticktext": lanes,
                                "autorange": "reversed"},
                         legend={"orientation": "h", "y": -0.2})
    return make_figure(traces, layout)


def queue_growth(data: dict, *, height: int = 380):
    """Transactions waiting for a lock, over time, one line per service.

    Args:
        data: ``{service: [(time_ms, waiting)]}`` from :func:`caplab.txn.report.queue_data`.
    """
    colours = list(OKABE_ITO.values())[1:]
    traces = []
    for i, (service, samples) in enumerate(sorted(data.items())):
        if not samples:
            continue
        traces.append({"type": "scatter", "name": service, "mode": "lines",
                       "line": {"shape": "hv", "width": 3, "color": colours[i % len(colours)],
                                "dash": ["solid", "dash", "dot", "dashdot"][i % 4]},
                       "x": [t for t, _ in samples], "y": [n for _, n in samples]})
    peak = max((n for s in data.values() for _, n in s), default=0)
    layout = base_layout(f"Transactions waiting for a lock · peak {peak}", height=height,
                         xaxis={"title": {"text": "time (ms)"}},
                         yaxis={"title": {"text": "waiting"}, "rangemode": "tozero",
                                "dtick": 1 if peak <= 10 else None})
    return make_figure(traces, layout)


def throughput_lines(rows: list[dict], *, height: int = 420):
    """Committed transactions per simulated second against latency, one line per number of
    participants.

    Args:
        rows: dicts with ``participants``, ``latency_ms`` and ``per_second`` (from
            :func:`caplab.txn.measure.twopc_throughput`).
    """
    by_count: dict = {}
    for row in rows:
        by_count.setdefault(row["participants"], []).append(row)
    traces = []
    symbols = ["circle", "square", "diamond", "triangle-up", "x"]
    for i, (count, group) in enumerate(sorted(by_count.items())):
        group = sorted(group, key=lambda r: r["latency_ms"])
        traces.append({"type": "scatter", "mode": "lines+markers",
                       "name": f"{count} participant{'s' if count != 1 else ''}",
                       "x": [r["latency_ms"] for r in group],
                       "y": [r["per_second"] for r in group],
                       "marker": {"symbol": symbols[i % len(symbols)], "size": 10},
                       "line": {"width": 3}})
    layout = base_layout("Two-phase commit throughput on a hot row", height=height,
                         xaxis={"title": {"text": "one-way latency (ms)"}, "type": "log"},
                         yaxis={"title": {"text": "committed per simulated second"},
                                "type": "log"})
    return make_figure(traces, layout)


_OUTCOME_WORDS = {"unknown": "never started (no participant heard of it)"}


def outcome_html(title: str, outcome: str, failure: str, failure_ms, checks) -> str:
    """The outcome of one transaction or saga and its checks, as a small HTML table.

    Args:
        title: what ran; outcome: its end state (``"committed"``, ``"compensated"`` ...);
        failure, failure_ms: the injected failure and when it happened (None: none).
        checks: :class:`~caplab.txn.CheckResult` objects; each row shows the verdict in colour
            (green holds, red violated, amber unknown) and its first reason.

    Returns:
        HTML text (``data-outcome`` and ``data-valid`` attributes for tests).
    """
    colours = {True: "#007a4d", False: "#c0392b", None: "#b36b00"}
    words = {True: "holds", False: "VIOLATED", None: "unknown"}
    when = f" at {failure_ms} ms" if failure_ms is not None else ""
    rows = []
    for c in checks:
        reason = c.reasons[0] if c.reasons else ""
        more = f" (+{len(c.reasons) - 1} more)" if len(c.reasons) > 1 else ""
        rows.append(f"<tr data-valid='{str(c.valid).lower()}'><td>{html.escape(c.checker)}</td>"
                    f"<td style='color:{colours[c.valid]};font-weight:600'>{words[c.valid]}"
                    f"</td><td>{html.escape(reason + more)}</td></tr>")
    shown = _OUTCOME_WORDS.get(outcome, outcome)
    return (f"<div><b>{html.escape(title)}</b><br>failure: {html.escape(failure)}{when}<br>"
            f"outcome: <b data-outcome='{html.escape(outcome)}'>{html.escape(shown)}</b></div>"
            f"<table class='caplab-table'><tr><th>check</th><th>verdict</th><th>first reason"
            f"</th></tr>{''.join(rows)}</table>")
