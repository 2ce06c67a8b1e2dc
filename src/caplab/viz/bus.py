"""Views of message buses: a Kafka log as lanes of offsets, consumer lag over time, and the
checkers' verdicts on the same workload side by side.

Pure functions from plain data (``KafkaLog.snapshot()``, ``caplab.bus.check.lag_over_time``)
to plotly figures; nothing here touches a simulation. Each view has a ``*_data`` half (plain
rows, testable) and a drawing half. Leaders are marked by a star and a label, out-of-sync
replicas by a dotted bar, consumer positions by triangles and committed offsets by diamonds,
so nothing depends on colour alone.

Example:
    >>> from caplab.bus.kafka import KafkaLog
    >>> log = KafkaLog(brokers=3, seed=1); log.create_topic("t", partitions=2)
    >>> fig = kafka_view(log.snapshot(), "t")
"""

from __future__ import annotations

from ._common import GREY, OKABE_ITO, base_layout, make_figure

__all__ = ["kafka_view", "kafka_view_data", "lag_curve", "bus_comparison_bars"]

REPLICA_STATES = {"leader": OKABE_ITO["blue"], "in sync": OKABE_ITO["sky blue"],
                  "out of sync": OKABE_ITO["orange"], "down": GREY}


def kafka_view_data(snapshot: dict, topic: str) -> dict:
    """Rows for :func:`kafka_view`: one per replica, one per consumer mark, one per partition.

    Returns:
        ``{"replicas": [...], "consumers": [...], "partitions": [...]}`` where a replica row
        has partition, broker, state, lane (y), start, end; a consumer row partition, group,
        member, position, committed; a partition row partition, high_watermark, lag per group.

    Raises:
        KeyError: ``topic`` is not in the snapshot.
    """
    rows = snapshot["topics"][topic]
    replicas, partitions, consumers = [], [], []
    for row in rows:
        p = row["partition"]
        n = len(row["replicas"])
        for i, b in enumerate(row["replicas"]):
            state = ("down" if not row["up"][b] else "leader" if b == row["leader"]
                     else "in sync" if b in row["isr"] else "out of sync")
            start, end, _ = row["logs"][b]
            replicas.append({"partition": p, "broker": b, "state": state,
                             "lane": p + (i - (n - 1) / 2) * 0.22, "start": start, "end": end})
        partitions.append({"partition": p, "high_watermark": row["high_watermark"],
                           "leader": row["leader"], "lag": {}})
    by_p = {r["partition"]: r for r in partitions}
    for group, g in snapshot["groups"].items():
        if g["topic"] != topic:
            continue
        for p, off in g["committed"].items():
            if p in by_p:
                by_p[p]["lag"][group] = by_p[p]["high_watermark"] - off
        for member, m in g["members"].items():
            for p in m["partitions"]:
                consumers.append({"partition": p, "group": group, "member": member,
                                  "position": m["positions"].get(p),
                                  "committed": g["committed"].get(p, 0)})
        for p in by_p:
            by_p[p]["lag"].setdefault(group, by_p[p]["high_watermark"] - g["committed"].get(p, 0))
    return {"replicas": replicas, "consumers": consumers, "partitions": partitions}


def kafka_view(snapshot: dict, topic: str, *, data: dict | None = None):
    """Partitions as lanes of offsets: each replica's log as a bar, the high watermark as a
    tick, the leader starred, consumer positions (triangles) and committed offsets (diamonds).
    """
    data = data or kafka_view_data(snapshot, topic)
    traces = []
    for state, colour in REPLICA_STATES.items():
        rows = [r for r in data["replicas"] if r["state"] == state]
        if not rows:
            continue
        traces.append({"type": "bar", "orientation": "h", "name": state,
                       "y": [r["lane"] for r in rows], "base": [r["start"] for r in rows],
                       "x": [max(r["end"] - r["start"], 0.05) for r in rows], "width": 0.18,
                       "marker": {"color": colour,
                                  "pattern": {"shape": "." if state == "out of sync" else ""}},
                       "text": [f"{r['broker']}" + (" ★" if state == "leader" else "")
                                for r in rows], "textposition": "inside",
                       "hovertemplate": [f"{r['broker']} p{r['partition']} {state}: offsets "
                                         f"{r['start']}..{r['end']}<extra></extra>"
                                         for r in rows]})
    parts = data["partitions"]
    traces.append({"type": "scatter", "mode": "markers", "name": "high watermark",
                   "x": [r["high_watermark"] for r in parts],
                   "y": [r["partition"] for r in parts],
                   "marker": {"symbol": "line-ns-open", "size": 34, "color": OKABE_ITO["black"],
                              "line": {"width": 3}},
                   "hovertemplate": [f"p{r['partition']} high watermark {r['high_watermark']}, "
                                     f"lag {r['lag']}<extra></extra>" for r in parts]})
    for what, symbol, colour in (("position", "triangle-right", OKABE_ITO["bluish green"]),
                                 ("committed", "diamond", OKABE_ITO["reddish purple"])):
        rows = [c for c in data["consumers"] if c[what] is not None]
        traces.append({"type": "scatter", "mode": "markers+text", "name": what,
                       "x": [c[what] for c in rows], "y": [c["partition"] + 0.42 for c in rows],
                       "text": [c["member"] if what == "position" else "" for c in rows],
                       "textposition": "top center",
                       "marker": {"symbol": symbol, "size": 14, "color": colour},
                       "hovertemplate": [f"{c['member']} ({c['group']}) p{c['partition']} "
                                         f"{what} {c[what]}<extra></extra>" for c in rows]})
    layout = base_layout(
        f"topic {topic!r} at {snapshot['time_ms']} ms", barmode="overlay",
        xaxis={"title": {"text": "offset"}, "rangemode": "tozero"},
        yaxis={"title": {"text": "partition"}, "tickvals": [r["partition"] for r in parts],
               "ticktext": [f"p{r['partition']} (leader {r['leader'] or 'none'})"
                            for r in parts], "autorange": "reversed"})
    return make_figure(traces, layout)


def lag_curve(samples: list, *, title: str = "consumer lag"):
    """Lag over time, one line per partition, from :func:`caplab.bus.check.lag_over_time`."""
    by_p: dict = {}
    for s in samples:
        by_p.setdefault(s["partition"], []).append(s)
    dashes = ("solid", "dash", "dot", "dashdot", "longdash")
    traces = [{"type": "scatter", "mode": "lines", "line": {"shape": "hv",
                                                             "dash": dashes[i % len(dashes)]},
               "name": f"p{p}", "x": [s["time_ms"] for s in rows], "y": [s["lag"] for s in rows]}
              for i, (p, rows) in enumerate(sorted(by_p.items(), key=lambda kv: repr(kv[0])))]
    layout = base_layout(title, xaxis={"title": {"text": "simulated time (ms)"}},
                         yaxis={"title": {"text": "lag (messages)"}, "rangemode": "tozero"})
    return make_figure(traces, layout)


#: verdict -> (colour, bar pattern): the pattern tells them apart without colour
VERDICT_STYLE = {"lost": (OKABE_ITO["vermilion"], ""), "duplicated": (OKABE_ITO["orange"], "/"),
                 "reordered": (OKABE_ITO["reddish purple"], ".")}


def bus_comparison_bars(rows, *, title: str = "the same order events on every bus"):
    """Grouped bars: lost, duplicated and reordered messages per bus, with the end-to-end
    balance against the exactly-once expectation written under each bus.

    Args:
        rows: dicts with ``bus``, ``lost``, ``duplicated``, ``reordered``, ``balance``,
            ``expected`` (e.g. ``caplab.course.bus.compare_buses(...).rows``).

    Example:
        >>> fig = bus_comparison_bars([{"bus": "kafka", "lost": 0, "duplicated": 2,
        ...                             "reordered": 0, "balance": 212, "expected": 198}])
    """
    labels = [f"{r['bus']}<br>balance {r['balance']} / {r['expected']}" for r in rows]
    traces = []
    for verdict, (colour, pattern) in VERDICT_STYLE.items():
        traces.append({"type": "bar", "name": verdict, "x": labels,
                       "y": [r[verdict] for r in rows], "text": [r[verdict] for r in rows],
                       "textposition": "outside",
                       "marker": {"color": colour, "pattern": {"shape": pattern}},
                       "hovertemplate": [f"{r['bus']}: {r[verdict]} {verdict}<extra></extra>"
                                         for r in rows]})
    layout = base_layout(title, barmode="group",
                         yaxis={"title": {"text": "messages"}, "rangemode": "tozero"},
                         xaxis={"title": {"text": "bus (revenue balance / exactly-once)"}})
    return make_figure(traces, layout)
