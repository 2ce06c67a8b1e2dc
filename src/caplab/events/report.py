"""Plain data about a run of the event shop, for tables and views (no plotting here).

* :func:`flow_edges`: who sent which event type to whom, how often, with the mean and maximum
  lag from the producer's commit to the consumer's apply (simulated ms).
* :func:`event_rows`: the event log as rows, header fields and body.
* :func:`command_lags`: for each command, the ms from its acknowledgement to its effect being
  visible in a read model.

Example:
    >>> from caplab.events import EventShop
    >>> flow_edges(EventShop(seed=1))
    []
"""

from __future__ import annotations

__all__ = ["flow_edges", "event_rows", "command_lags"]


def flow_edges(shop) -> list[dict]:
    """Edges ``{source, target, type, count, mean_lag_ms, max_lag_ms}``, sorted."""
    committed = {e.event_id: (t, e) for s in shop.services.values() for t, e in s.emitted}
    lags: dict[tuple, list] = {}

    def add(target, event_id, at):
        if event_id in committed:
            t, e = committed[event_id]
            lags.setdefault((e.source, target, e.type), []).append(at - t)

    for s in shop.services.values():
        for _g, eid, at in s.applied:
            add(s.name, eid, at)
    for node in shop.readers.values():
        for at, eid, _agg, _v in node.seen:
            add(node.name, eid, at)
    return [{"source": a, "target": b, "type": k, "count": len(v),
             "mean_lag_ms": sum(v) / len(v), "max_lag_ms": max(v)}
            for (a, b, k), v in sorted(lags.items())]


def event_rows(shop, topic: str | None = None) -> list[dict]:
    """The log, one row per record: topic, header fields, body (a dict)."""
    rows = []
    for t, e in shop.log_events(topic):
        rows.append({"topic": t, "event_id": e.event_id, "type": e.type, "source": e.source,
                     "timestamp_ms": e.timestamp_ms, "aggregate": e.aggregate,
                     "version": e.version, "correlation_id": e.correlation_id,
                     "causation_id": e.causation_id, "schema_version": e.schema_version,
                     "body": dict(e.body)})
    return rows


def command_lags(shop, model: str = "order_summary") -> list[dict]:
    """``{order_id, version, ack_ms, visible_ms, lag_ms}`` per command (None: not visible)."""
    visible = {}
    for node in shop.readers.values():
        visible.update(node.visible)
    out = []
    for oid, version, ack in shop.acks:
        seen = visible.get((model, oid, version))
        out.append({"order_id": oid, "version": version, "ack_ms": ack, "visible_ms": seen,
                    "lag_ms": None if seen is None else seen - ack})
    return out
