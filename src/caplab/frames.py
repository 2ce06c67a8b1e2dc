"""History, trace and replica state as pandas DataFrames: the stable bridge from the model to
everything that draws (views, tables, notebooks). Column names are part of the public API.

* :func:`history_frame`: ``id, client, op, key, value, invoke_ms, complete_ms, outcome, node,
  error, options, output`` (one row per operation; in-flight operations are ``info`` with no
  ``complete_ms``; ``options`` is what the operation asked for, e.g. ``{"w": 1}``; ``output``
  what it returned, for operations of any system: a produce's offset, a transaction's reads).
* :func:`node_frame`: one row per node of a system (role, term, ... as the system reports).
* :func:`trace_frame`: ``time_ms, kind, node, peer, msg_id, msg_kind, msg, detail, data``
  (``data``: a dict of the event's fields per row, e.g. ``{"role": "primary", "term": 3}``).
* :func:`messages_frame`: one row per message: ``msg_id, src, dst, kind, sent_ms, outcome
  (delivered|dropped|in flight), end_ms, reason, msg``.
* :func:`replica_state_frame`: node x key -> value, with versions in ``.attrs["version"]``.
* :func:`snapshots_frame`: ``time_ms, node, key, value`` samples from ``Cluster.watch``.

The simulator never builds DataFrames itself: it hands out plain records, and this module (above
it) turns them into tables. Example::

    from caplab.frames import history_frame, replica_state_frame
    history_frame(c.history); replica_state_frame(c)
"""

from __future__ import annotations

import pandas as pd

from .history.record import COLUMNS

__all__ = ["history_frame", "trace_frame", "messages_frame", "replica_state_frame",
           "replica_long_frame", "snapshots_frame", "records_frame", "node_frame"]


def records_frame(records, columns=None) -> pd.DataFrame:
    """A DataFrame from a list of dicts (keeps column order; empty lists keep ``columns``)."""
    frame = pd.DataFrame.from_records(list(records), columns=columns)
    return frame


def node_frame(system) -> pd.DataFrame:
    """One row per node of ``system`` (a ``Cluster``): role, term, ... as the mode reports."""
    return records_frame(system.node_records())


def history_frame(history) -> pd.DataFrame:
    """A history (``History``, a system with one, or list of dicts) as a DataFrame."""
    history = getattr(history, "history", history)
    records = history.records() if hasattr(history, "records") else list(history)
    records = [r if "options" in r and "output" in r
               else {"options": {}, "output": None, **r} for r in records]
    frame = pd.DataFrame.from_records(records, columns=list(COLUMNS))
    for col in ("invoke_ms", "complete_ms"):
        frame[col] = frame[col].astype("Int64")
    # Keep values as the Python objects they are: an all-None column would otherwise become
    # float NaN, and integer values 1.0.
    for col in ("value", "node", "error", "options", "output"):
        frame[col] = pd.Series([r.get(col) for r in records], index=frame.index, dtype=object)
    return frame


def trace_frame(trace, *, kinds=None, since_ms=None, until_ms=None) -> pd.DataFrame:
    """A trace (``Trace`` or list of ``TraceEvent``) as a DataFrame, optionally filtered.

    The ``data`` column holds each event's fields as a plain dict (empty when it has none), so
    a table can select on facts: ``f[f.data.map(lambda d: d.get("role") == "primary")]``.
    """
    rows = []
    wanted = set(kinds) if kinds else None
    for e in trace:
        if wanted is not None and e.kind not in wanted:
            continue
        if since_ms is not None and e.time_ms < since_ms:
            continue
        if until_ms is not None and e.time_ms > until_ms:
            continue
        rows.append((e.time_ms, e.kind, e.node, e.peer, e.msg_id,
                     e.msg.kind if e.msg is not None else None,
                     repr(e.msg) if e.msg is not None else None, e.detail,
                     dict(e.data)))
    frame = pd.DataFrame(rows, columns=["time_ms", "kind", "node", "peer", "msg_id", "msg_kind",
                                        "msg", "detail", "data"])
    frame["msg_id"] = frame["msg_id"].astype("Int64")
    return frame


def messages_frame(trace, *, since_ms=None, until_ms=None) -> pd.DataFrame:
    """One row per message sent, with what became of it (for sequence diagrams)."""
    rows: dict[int, dict] = {}
    for e in trace:
        if e.msg_id is None:
            continue
        if e.kind == "send":
            rows[e.msg_id] = {"msg_id": e.msg_id, "src": e.node, "dst": e.peer,
                              "kind": e.msg.kind if e.msg is not None else None,
                              "sent_ms": e.time_ms, "outcome": "in flight", "end_ms": None,
                              "reason": None, "msg": e.msg}
        elif e.msg_id in rows:
            row = rows[e.msg_id]
            if e.kind == "deliver" and row["outcome"] != "delivered":
                row.update(outcome="delivered", end_ms=e.time_ms)
            elif e.kind == "drop":
                row.update(outcome="dropped", end_ms=e.time_ms, reason=e.detail)
    out = [r for r in rows.values()
           if (since_ms is None or (r["end_ms"] if r["end_ms"] is not None else r["sent_ms"])
               >= since_ms)
           and (until_ms is None or r["sent_ms"] <= until_ms)]
    for r in out:   # repr only the rows kept: a dataclass repr is the slowest part
        r["msg"] = repr(r["msg"])
    frame = pd.DataFrame.from_records(out, columns=["msg_id", "src", "dst", "kind", "sent_ms",
                                                    "outcome", "end_ms", "reason", "msg"])
    frame["end_ms"] = frame["end_ms"].astype("Int64")
    return frame


def replica_long_frame(records) -> pd.DataFrame:
    """Replica records (node, key, value, version, ...) as a long DataFrame."""
    return pd.DataFrame.from_records(list(records), columns=None if records else
                                     ["node", "key", "value", "version"])


def replica_state_frame(records, nodes=None) -> pd.DataFrame:
    """node x key -> value. ``frame.attrs["version"]`` holds node x key -> version.

    ``records`` are replica records (node, key, value, version), or a system that has them
    (``replica_state_frame(c)``: every node of cluster ``c``, in order).
    """
    if hasattr(records, "replica_records"):
        nodes = records.nodes if nodes is None else nodes
        records = records.replica_records()
    records = list(records)
    nodes = list(nodes) if nodes is not None else sorted({r["node"] for r in records})
    keys = sorted({r["key"] for r in records})
    values = pd.DataFrame(index=pd.Index(nodes, name="node"), columns=keys, dtype=object)
    versions = pd.DataFrame(index=pd.Index(nodes, name="node"), columns=keys, dtype=object)
    for r in records:
        values.at[r["node"], r["key"]] = r["value"]
        versions.at[r["node"], r["key"]] = r.get("version")
    values.columns.name = "key"
    values.attrs["version"] = versions
    return values


def snapshots_frame(snapshots) -> pd.DataFrame:
    """Samples ``(time_ms, node, key, value)`` (or a cluster's ``snapshots``) as a DataFrame."""
    snapshots = getattr(snapshots, "snapshots", snapshots)
    return pd.DataFrame(list(snapshots), columns=["time_ms", "node", "key", "value"])
