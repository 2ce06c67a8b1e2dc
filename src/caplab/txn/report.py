"""Plain data for views of transactions: lock timelines, waiting queues over time, and the
protocol's own events (decisions, in-doubt questions, saga steps) to mark on a sequence diagram.

Nothing here draws or changes a simulation; :mod:`caplab.viz.txn` draws what it returns.

Example:
    >>> from caplab.txn import TwoPhaseCommit
    >>> tpc = TwoPhaseCommit(seed=1, latency=5)
    >>> _ = tpc.transaction(tpc.place_order("o1"))
    >>> [(h["service"], h["txid"], h["start_ms"], h["end_ms"])
    ...  for h in lock_timeline_data(tpc)["held"]][:1]
    [('order', 't1', 10, 20)]
"""

from __future__ import annotations

__all__ = ["lock_timeline_data", "queue_data", "protocol_marks", "FAILURE_WORDS"]

#: words in a protocol event that mark it as the failure point
FAILURE_WORDS = ("abort", "crashes", "step_failed", "compensation_failed", "in doubt",
                 "offer_declined")


def lock_timeline_data(system, *, services=None) -> dict:
    """Locks held and lock waits per service, finished and still open.

    Returns:
        dict with ``lanes`` (services, in order), ``held`` and ``waits`` (dicts ``service,
        txid, start_ms, end_ms, open`` where an open span ends now) and ``now_ms``.
    """
    now = system.now
    lanes = list(services or system.services)
    held, waits = [], []
    for name in lanes:
        store = system.service(name).store
        for span in store.spans:
            held.append({"service": name, "txid": span.txid, "start_ms": span.acquired_ms,
                         "end_ms": span.released_ms, "open": False})
        for txid, (rows, since) in sorted(store._held.items()):
            held.append({"service": name, "txid": txid, "start_ms": since, "end_ms": now,
                         "open": True})
        for txid, _, since, granted in store.waits:
            waits.append({"service": name, "txid": txid, "start_ms": since,
                          "end_ms": granted, "open": False})
        for waiter in store._waiting:
            waits.append({"service": name, "txid": waiter.txid, "start_ms": waiter.since_ms,
                          "end_ms": now, "open": True})
    return {"lanes": lanes, "held": held, "waits": waits, "now_ms": now}


def queue_data(system) -> dict:
    """service -> ``[(time_ms, waiting transactions)]``, each series ending at now."""
    out = {}
    for name, svc in system.services.items():
        samples = list(svc.store.queue_samples)
        if samples:
            samples.append((system.now, samples[-1][1]))
        out[name] = samples
    return out


def protocol_marks(trace, *, since_ms=None, until_ms=None) -> list[dict]:
    """The ``txn`` and ``saga`` trace events (and crashes) as marks for a sequence diagram.

    Returns:
        dicts ``time_ms, node, detail, failure`` (True where the run went wrong there).
    """
    events = trace.events if hasattr(trace, "events") else list(trace)
    marks = []
    for e in events:
        if e.kind not in ("txn", "saga", "crash"):
            continue
        if (since_ms is not None and e.time_ms < since_ms) or \
                (until_ms is not None and e.time_ms > until_ms):
            continue
        detail = e.detail or e.kind
        marks.append({"time_ms": e.time_ms, "node": e.node, "detail": detail,
                      "failure": e.kind == "crash" or any(w in detail for w in FAILURE_WORDS)})
    return marks
