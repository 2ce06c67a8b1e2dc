"""Views of message buses: a Kafka log as lanes of offsets, a RabbitMQ broker as a graph of
exchanges, bindings and queues, NATS subscriptions as a subject tree, consumer lag over time,
and the checkers' verdicts on the same workload side by side.

Pure functions from plain data (``KafkaLog.snapshot()``, ``caplab.bus.check.lag_over_time``)
to plotly figures; nothing here touches a simulation. Each view has a ``*_data`` half (plain
rows, testable) and a drawing half. Leaders are marked by a star and a label, out-of-sync
replicas by a dotted bar, consumer positions by triangles and committed offsets by open diamonds,
so nothing depends on colour alone.

Example:
    >>> from caplab.bus.kafka import KafkaLog
    >>> log = KafkaLog(brokers=3, seed=1); log.create_topic("t", partitions=2)
    >>> fig = kafka_view(log.snapshot(), "t")
"""

from __future__ import annotations

from ._common import GREY, OKABE_ITO, base_layout, make_figure

__all__ = ["kafka_view", "kafka_view_data", "lag_curve", "bus_comparison_bars", "rabbit_view",
           "rabbit_view_data", "nats_view", "nats_view_data", "bus_view"]

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
    # The committed offset is an open diamond drawn first and the position a smaller triangle
    # on top, so a consumer that has committed all it read shows both; the name sits below,
    # away from the lane and its high-watermark tick.
    for what, symbol, size, colour in (
            ("committed", "diamond-open", 20, OKABE_ITO["reddish purple"]),
            ("position", "triangle-right", 11, OKABE_ITO["bluish green"])):
        rows = [c for c in data["consumers"] if c[what] is not None]
        traces.append({"type": "scatter", "mode": "markers+text", "name": what,
                       "x": [c[what] for c in rows], "y": [c["partition"] + 0.42 for c in rows],
                       "text": [c["member"] if what == "position" else "" for c in rows],
                       "textposition": "bottom center",
                       "marker": {"symbol": symbol, "size": size, "color": colour,
                                  "line": {"width": 2, "color": colour}},
                       "hovertemplate": [f"{c['member']} ({c['group']}) p{c['partition']} "
                                         f"{what} {c[what]}<extra></extra>" for c in rows]})
    # Offsets are whole numbers, and a consumer's name is centred on its marker: fix the axis
    # to whole offsets with room left of 0, or an empty topic shows offsets 0..0.05 with every
    # log drawn full width, and the name of a consumer at offset 0 is cut in half.
    ends = ([r["end"] for r in data["replicas"]] + [r["high_watermark"] for r in parts]
            + [c[w] or 0 for c in data["consumers"] for w in ("position", "committed")])
    hi = max(ends + [1])
    xaxis = {"title": {"text": "offset"}, "range": [-0.6, hi + 0.6], "tickformat": "d"}
    if hi <= 10:
        xaxis["dtick"] = 1
    layout = base_layout(
        f"topic {topic!r} at {snapshot['time_ms']} ms", barmode="overlay", xaxis=xaxis,
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
    # room above the tallest bar for its count ("outside" labels are clipped at the plot's top)
    top = max([r[v] for r in rows for v in VERDICT_STYLE] + [1])
    layout = base_layout(title, barmode="group",
                         yaxis={"title": {"text": "messages"}, "range": [0, top * 1.15]},
                         xaxis={"title": {"text": "bus (revenue balance / exactly-once)"}})
    return make_figure(traces, layout)


def rabbit_view_data(topology: dict) -> dict:
    """Nodes and edges of the exchange -> queue graph from ``Broker.topology_records()``.

    Exchanges with no binding are left out, except the default exchange, which routes to every
    queue by name (AMQP 0-9-1). Returns ``{"exchanges": [{name, type, y}], "queues": [{queue,
    ready, unacked, dead_lettered, consumers, node, y}], "edges": [{exchange, queue, key}]}``.
    """
    edges = [{"exchange": b["exchange"], "queue": b["queue"], "key": b["key"]}
             for b in topology["bindings"]]
    queues = [dict(q) for q in topology["queues"]]
    edges += [{"exchange": "(default)", "queue": q["queue"], "key": q["queue"]} for q in queues]
    bound = {e["exchange"] for e in edges}
    types = {e["name"]: e["type"] for e in topology["exchanges"]}
    types["(default)"] = "direct"
    exchanges = [{"name": n, "type": types.get(n, "?")} for n in sorted(bound)]
    for i, row in enumerate(exchanges):
        row["y"] = -i
    for i, row in enumerate(queues):
        row["y"] = -i
    return {"exchanges": exchanges, "queues": queues, "edges": edges}


def rabbit_view(topology: dict, *, title: str = "exchanges, bindings and queues",
                data: dict | None = None):
    """Exchanges (left, diamonds) bound to queues (right, squares labelled with their ready,
    unacknowledged and dead-lettered counts and consumers); each binding a line with its key."""
    data = data or rabbit_view_data(topology)
    ey = {e["name"]: e["y"] for e in data["exchanges"]}
    qy = {q["queue"]: q["y"] for q in data["queues"]}
    xs, ys, mids = [], [], []
    for e in data["edges"]:
        xs += [0, 1, None]
        ys += [ey[e["exchange"]], qy[e["queue"]], None]
        mids.append((0.5, (ey[e["exchange"]] + qy[e["queue"]]) / 2, e["key"]))
    traces = [{"type": "scatter", "mode": "lines", "x": xs, "y": ys, "name": "binding",
               "line": {"color": GREY, "width": 2}, "hoverinfo": "skip"},
              {"type": "scatter", "mode": "text", "x": [m[0] for m in mids],
               "y": [m[1] for m in mids], "text": [f"key: {m[2] or '∅'}" for m in mids],
               "textposition": "top center",
               "name": "binding key", "showlegend": False, "hoverinfo": "skip"},
              {"type": "scatter", "mode": "markers+text", "name": "exchange",
               "x": [0] * len(data["exchanges"]), "y": [e["y"] for e in data["exchanges"]],
               "text": [f"{e['name']} ({e['type']})" for e in data["exchanges"]],
               "textposition": "middle left",
               "marker": {"symbol": "diamond", "size": 22, "color": OKABE_ITO["orange"]}}]
    labels = [f"{q['queue']} on {q['node']}<br>ready {_n(q['ready'])}, unacked "
              f"{_n(q['unacked'])}<br>dead-lettered {q['dead_lettered']}, consumers "
              f"{q['consumers']}" for q in data["queues"]]
    traces.append({"type": "scatter", "mode": "markers+text", "name": "queue",
                   "x": [1] * len(data["queues"]), "y": [q["y"] for q in data["queues"]],
                   "text": labels, "textposition": "middle right",
                   "marker": {"symbol": "square", "size": 22, "color": OKABE_ITO["blue"]}})
    low = min([r["y"] for r in data["exchanges"] + data["queues"]], default=0)
    layout = base_layout(title, xaxis={"visible": False, "range": [-1.6, 3.0]},
                         yaxis={"visible": False, "range": [low - 0.8, 0.8]})
    return make_figure(traces, layout)


def _n(value) -> str:
    return "?" if value is None else str(value)


def nats_view_data(subscriptions: list) -> dict:
    """The subject tree from ``Nats.subscription_records()``: one node per pattern prefix
    (``orders``, ``orders.>``), with the subscribers of each full pattern.

    Returns ``{"nodes": [{path, token, depth, y, subscribers}], "edges": [(parent, child)]}``
    where a subscriber is ``"client@server"`` (``"client@server [queue]"`` in a queue group).
    """
    subscribers: dict = {}
    for s in subscriptions:
        if s["pattern"].startswith("_INBOX."):
            continue           # request-reply inboxes are not the application's subjects
        who = f"{s['client']}@{s['server']}" + (f" [{s['queue']}]" if s["queue"] else "")
        subscribers.setdefault(s["pattern"], []).append(who)
    paths = set()
    for pattern in subscribers:
        tokens = pattern.split(".")
        paths.update(".".join(tokens[:i]) for i in range(1, len(tokens) + 1))
    nodes, edges = [], []
    for y, path in enumerate(sorted(paths)):
        depth = path.count(".")
        nodes.append({"path": path, "token": path.rsplit(".", 1)[-1], "depth": depth,
                      "y": -y, "subscribers": sorted(subscribers.get(path, []))})
        if depth:
            edges.append((path.rsplit(".", 1)[0], path))
    return {"nodes": nodes, "edges": edges}


def nats_view(subscriptions: list, *, title: str = "subjects and subscribers",
              data: dict | None = None):
    """The subject tree, one token per level (``*`` and ``>`` are tokens too), each pattern's
    subscribers written beside it (queue group in brackets)."""
    data = data or nats_view_data(subscriptions)
    at = {n["path"]: (n["depth"], n["y"]) for n in data["nodes"]}
    xs, ys = [], []
    for parent, child in data["edges"]:
        xs += [at[parent][0], at[child][0], None]
        ys += [at[parent][1], at[child][1], None]
    nodes = data["nodes"]
    traces = [{"type": "scatter", "mode": "lines", "x": xs, "y": ys, "name": "subject",
               "line": {"color": GREY, "width": 2}, "hoverinfo": "skip"},
              {"type": "scatter", "mode": "markers+text", "name": "token",
               "x": [n["depth"] for n in nodes], "y": [n["y"] for n in nodes],
               "text": [n["token"] + ("   ← " + ", ".join(n["subscribers"])
                                      if n["subscribers"] else "") for n in nodes],
               "textposition": "middle right",
               "marker": {"size": 16, "color": [OKABE_ITO["bluish green"] if n["subscribers"]
                                                else GREY for n in nodes],
                          "symbol": ["circle" if n["subscribers"] else "circle-open"
                                     for n in nodes]}}]
    width = max([n["depth"] for n in nodes], default=0)
    low = min([n["y"] for n in nodes], default=0)
    layout = base_layout(title if nodes else f"{title}: nobody subscribes",
                         xaxis={"visible": False, "range": [-0.5, width + 3.5]},
                         yaxis={"visible": False, "range": [low - 0.8, 0.8]})
    return make_figure(traces, layout)


#: snapshot kind -> the view that draws its data (see ``caplab.bus.playground``)
BUS_VIEWS = {"kafka": lambda s: kafka_view(s["data"], s["topic"]),
             "rabbit": lambda s: rabbit_view(s["data"], title=f"queues at {s['time_ms']} ms"),
             "nats": lambda s: nats_view(s["data"], title=f"subjects at {s['time_ms']} ms")}


def bus_view(snapshot: dict):
    """The view of a bus playground's snapshot (``BusPlayground.snapshot()``): a Kafka log's
    lanes, a broker's exchange/queue graph or a subject tree, by the snapshot's ``kind``.

    Raises:
        UnknownNameError: a kind with no view.
    """
    if snapshot["kind"] not in BUS_VIEWS:
        from ..errors import UnknownNameError
        raise UnknownNameError("bus view", snapshot["kind"], sorted(BUS_VIEWS))
    return BUS_VIEWS[snapshot["kind"]](snapshot)
