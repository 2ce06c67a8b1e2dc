"""Delivery checkers for message buses: lost, duplicated, reordered, end-to-end effect, lag.

They read only the world's history, so any bus can use them: a *produce* operation (``produce``
or ``publish``) acknowledged ``ok`` with input ``((key, value, msg_id), ...)`` and output
``(partition, base offset)``; a *delivery* operation (``poll``, ``consume`` or ``deliver``)
completed ``ok`` with output ``((partition, offset, msg_id, key, value), ...)`` and the consumer
group (or queue) in its options as ``group``; a ``commit`` with input ``((partition, next
offset), ...)``. Every checker sorts once, so it costs about n log n in the number of messages.

Result shape: the shared :class:`caplab.history.result.CheckResult` (``checker``, ``valid``,
``offending``, ``reasons``, ``details``, ``explain()``), as every caplab checker returns.

Example:
    >>> from caplab.bus.kafka import KafkaLog
    >>> log = KafkaLog(brokers=3, seed=1)
    >>> log.create_topic("t")
    >>> _ = log.producer("p").produce("t", 5)
    >>> check_lost(log.history, "t", "g").valid      # nothing was consumed by group g
    False
"""

from __future__ import annotations

from ..history.result import CheckResult

__all__ = ["CheckResult", "check_lost", "check_duplicated", "check_reordered", "check_effect",
           "lag_over_time", "check_lag", "check_delivery", "acknowledged", "deliveries"]

PRODUCE_OPS = frozenset({"produce", "publish"})
DELIVERY_OPS = frozenset({"poll", "consume", "deliver"})


# -- reading the history ---------------------------------------------------------------------
def acknowledged(history, topic: str) -> list:
    """Acknowledged messages: ``[(msg_id, op, index in batch, partition, offset, key, value)]``."""
    out = []
    for op in history:
        if op.op in PRODUCE_OPS and op.key == topic and op.outcome == "ok":
            p, base = op.output if op.output is not None else (None, -1)
            for i, (key, value, msg_id) in enumerate(op.input):
                out.append((msg_id, op, i, p, base + i if base >= 0 else None, key, value))
    return out


def deliveries(history, topic: str, group: str) -> list:
    """Deliveries to ``group`` in delivery order (completion time, then operation id):
    ``[(msg_id, op, partition, offset, key, value)]``."""
    ops = [op for op in history if op.op in DELIVERY_OPS and op.key == topic
           and op.outcome == "ok" and op.options.get("group") == group and op.output]
    ops.sort(key=lambda op: (op.complete_ms, op.id))
    return [(r[2], op, r[0], r[1], r[3], r[4]) for op in ops for r in op.output]


def _result(name, bad, details) -> CheckResult:
    """``bad``: [(op id, reason)]; one reason per offending op (joined with "; ")."""
    by_op: dict = {}
    for op_id, reason in bad:
        by_op.setdefault(op_id, []).append(reason)
    ids = tuple(sorted(by_op))
    return CheckResult(checker=name, valid=not ids, offending=ids,
                       reasons=tuple("; ".join(by_op[i]) for i in ids), details=details)


# -- the checkers ----------------------------------------------------------------------------
def check_lost(history, topic: str, group: str) -> CheckResult:
    """Lost: acknowledged to the producer, never delivered to ``group``.

    Returns:
        CheckResult; ``details``: ``lost`` (message ids), ``acknowledged``, ``delivered``.

    Example:
        >>> check_lost([], "t", "g").valid
        True
    """
    delivered = {d[0] for d in deliveries(history, topic, group)}
    acked = acknowledged(history, topic)
    bad, lost = [], []
    for msg_id, op, _, p, offset, _, _ in acked:
        if msg_id not in delivered:
            lost.append(msg_id)
            where = (f"partition {p}, offset {offset}" if offset is not None else
                     f"partition {p}, no offset (acks=0)" if p is not None else
                     "a queue or subject: no offset")
            bad.append((op.id, f"{msg_id} acknowledged at {op.complete_ms} ms ({where}), "
                               f"never delivered to group {group!r}"))
    return _result("lost messages", bad, {"lost": tuple(lost), "acknowledged": len(acked),
                                          "delivered": len(delivered), "count": len(lost)})


def check_duplicated(history, topic: str, group: str) -> CheckResult:
    """Duplicated: a message delivered to ``group`` more than once.

    ``details["redelivered"]``: the same log entry delivered again (a consumer re-read it
    after a rebalance); ``details["appended_twice"]``: the same message at two offsets (a
    producer's retry without idempotence).
    """
    first: dict = {}
    bad, redelivered, twice = [], [], []
    for msg_id, op, p, offset, _, _ in deliveries(history, topic, group):
        seen = first.get(msg_id)
        if seen is None:
            first[msg_id] = (p, offset, op.id)
            continue
        if (p, offset) == seen[:2]:
            redelivered.append(msg_id)
            why = f"redelivered (partition {p}, offset {offset}; first in op {seen[2]})"
        else:
            twice.append(msg_id)
            why = (f"appended twice (offsets {seen[1]} and {offset} of partition {p}: a "
                   f"retried produce)")
        bad.append((op.id, f"{msg_id} {why}"))
    return _result("duplicated messages", bad,
                   {"redelivered": tuple(redelivered), "appended_twice": tuple(twice),
                    "count": len(redelivered) + len(twice)})


def check_reordered(history, topic: str, group: str, *, by: str = "partition") -> CheckResult:
    """Reordered: B was produced after A was acknowledged (by any producer), A and B share a
    partition (``by="partition"``), a key (``by="key"``) or just the topic (``by="topic"``),
    and ``group`` first got B before A.

    Raises:
        ValueError: ``by`` is not one of partition, key, topic.
    """
    if by not in ("partition", "key", "topic"):
        from ..errors import UnknownNameError
        raise UnknownNameError("order scope", by, ["partition", "key", "topic"])
    position: dict = {}
    for i, d in enumerate(deliveries(history, topic, group)):
        position.setdefault(d[0], i)
    scopes: dict = {}
    for msg_id, op, index, p, _, key, _ in acknowledged(history, topic):
        if msg_id in position:
            scope = p if by == "partition" else key if by == "key" else None
            scopes.setdefault(scope, []).append((op.invoke_ms, op.complete_ms, op.id, index,
                                                 msg_id))
    bad = []
    for scope in sorted(scopes, key=repr):
        bad += _inversions(scopes[scope], position, by, scope)
    return _result(f"reordered messages (per {by})", bad, {"count": len(bad), "by": by})


def _inversions(msgs, position, by, scope) -> list:
    """Sweep in invocation order, keeping the latest delivery among acknowledged-before msgs."""
    by_invoke = sorted(msgs)
    by_complete = sorted(msgs, key=lambda m: (m[1], m[2], m[3]))
    bad, j, latest = [], 0, None
    for invoke_ms, _, op_id, index, msg_id in by_invoke:
        while j < len(by_complete) and by_complete[j][1] <= invoke_ms:
            m = by_complete[j]
            if latest is None or position[m[4]] > position[latest[4]]:
                latest = m
            j += 1
        if latest is not None and position[latest[4]] > position[msg_id]:
            where = f"{by} {scope!r}" if by != "topic" else "the topic"
            bad.append((op_id, f"{msg_id} delivered before {latest[4]} in {where}, though "
                               f"{latest[4]} was acknowledged before {msg_id} was produced"))
    return bad


def check_effect(history, topic: str, group: str, *, amount=None,
                 dedupe: bool = False) -> CheckResult:
    """End-to-end effect: a consumer applies every delivered payment to a balance; compare
    with the exactly-once expectation (each acknowledged payment applied once).

    Args:
        amount: value -> number (default: the value itself).
        dedupe: the consumer skips message ids it has applied (an idempotent consumer).

    Returns:
        CheckResult; ``details``: ``balance``, ``expected``, ``lost_amount``, ``extra_amount``.
    """
    amount = amount or (lambda v: v)
    expected = sum(amount(a[6]) for a in acknowledged(history, topic))
    acked = {a[0] for a in acknowledged(history, topic)}
    applied, seen, balance, extra = set(), set(), 0, 0
    for msg_id, op, _, _, _, value in deliveries(history, topic, group):
        if dedupe and msg_id in seen:
            continue
        seen.add(msg_id)
        balance += amount(value)
        if msg_id in applied or msg_id not in acked:
            extra += amount(value)
        applied.add(msg_id)
    lost_amount = expected - (balance - extra)
    # A loss and a duplicate of the same amount cancel in the balance: still wrong.
    valid = lost_amount == 0 and extra == 0
    reasons = () if valid else (f"balance {balance} vs exactly-once expectation {expected}: "
                                f"lost {lost_amount}, applied more than once or "
                                f"unacknowledged {extra}",)
    return CheckResult(checker="end-to-end effect", valid=valid, reasons=reasons,
                       details={"balance": balance, "expected": expected,
                                "lost_amount": lost_amount, "extra_amount": extra})


def lag_over_time(history, topic: str, group: str) -> list:
    """Consumer lag over time: after every acknowledged produce and committed offset, per
    partition, ``{"time_ms", "partition", "end", "committed", "lag"}`` (end = acknowledged
    log end offset; lag = end - committed, Kafka's consumer-group lag)."""
    events = []
    for op in history:
        if op.key != topic or op.outcome != "ok":
            continue
        if op.op in PRODUCE_OPS and op.output and op.output[1] >= 0:
            events.append((op.complete_ms, op.id, "end", op.output[0],
                           op.output[1] + len(op.input)))
        elif op.op == "commit" and op.options.get("group") == group:
            events += [(op.complete_ms, op.id, "committed", p, off) for p, off in op.input]
    events.sort(key=lambda e: (e[0], e[1]))
    end: dict = {}
    committed: dict = {}
    samples = []
    for time_ms, _, what, p, offset in events:
        target = end if what == "end" else committed
        target[p] = max(target.get(p, 0), offset)
        samples.append({"time_ms": time_ms, "partition": p, "end": end.get(p, 0),
                        "committed": committed.get(p, 0),
                        "lag": max(0, end.get(p, 0) - committed.get(p, 0))})
    return samples


def check_lag(history, topic: str, group: str, *, max_lag: int | None = None) -> CheckResult:
    """Consumer lag: valid when it never exceeds ``max_lag`` (None: report only, valid None)."""
    samples = lag_over_time(history, topic, group)
    worst = max((s["lag"] for s in samples), default=0)
    final: dict = {}
    for s in samples:
        final[s["partition"]] = s["lag"]
    valid = None if max_lag is None else worst <= max_lag
    reasons = () if valid is not False else (f"lag reached {worst} > {max_lag}",)
    return CheckResult(checker="consumer lag", valid=valid, reasons=reasons,
                       details={"samples": samples, "max_lag": worst, "final": final})


def check_delivery(history, topic: str, group: str) -> dict:
    """Every checker at once: ``{"lost", "duplicated", "reordered"}`` -> CheckResult."""
    return {"lost": check_lost(history, topic, group),
            "duplicated": check_duplicated(history, topic, group),
            "reordered": check_reordered(history, topic, group)}
