"""Sequential models of the other families of objects a history talks to: a FIFO queue, a
partitioned log, and multi-key transactions, with the same interface as the key-value models
(:class:`~caplab.history.models.Model`), so one linearizability checker judges all of them.

A history row names its operation, its key (the queue, the topic-partition, or for
transactions the database) and carries the operation's input in ``value`` and what it returned
in ``output``, as the world's :class:`~caplab.history.History` records them.

- :func:`queue_model`: ``enqueue(item)`` and ``dequeue() -> item`` (None when empty), first in,
  first out, per key. The sequential specification of a RabbitMQ queue or a plain message queue
  (Knossos's ``fifo-queue``).
- :func:`log_model`: ``produce(message) -> offset`` appends at the next offset and
  ``fetch(offset) -> message`` (None past the end), per key (a topic-partition): Kafka's
  partition as a sequential object.
- :func:`txn_model`: ``txn([(f, key, value), ...]) -> [...]``: micro-operations ``"r"`` (read:
  its output is the value read) and ``"w"`` (write) applied atomically, in order, to one map.
  Linearizability over this model is strict serializability (the "rw-register" workload of
  Jepsen's Elle, checked here by search rather than by cycles).

Outcomes mean what they mean for the key-value models: ``fail`` did not happen (dropped),
``info`` may have happened with an unknown output.

Example:
    >>> from caplab.check import check_linearizability
    >>> h = [dict(client="p", op="enqueue", key="q", value="a", invoke_ms=0, complete_ms=5,
    ...           outcome="ok"),
    ...      dict(client="c", op="dequeue", key="q", value=None, output="a", invoke_ms=10,
    ...           complete_ms=15, outcome="ok")]
    >>> check_linearizability(h, queue_model()).verdict
    'linearizable'
"""

from __future__ import annotations

from typing import Any

from .models import UNKNOWN, Model

__all__ = ["queue_model", "log_model", "txn_model", "QUEUE_OPS", "LOG_OPS", "TXN_OPS"]

QUEUE_OPS = ("enqueue", "dequeue")
LOG_OPS = ("produce", "fetch")
TXN_OPS = ("txn",)


def _key_of(record: dict):
    return record.get("key")


def _hashable(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_hashable(v) for v in value)
    return value


def _encode_io(record: dict):
    """``(input, output)`` for a row: ``fail`` drops it, ``info`` has an unknown output."""
    outcome = record["outcome"]
    if outcome == "fail":
        return None
    inp = (record["op"], _hashable(record.get("value")))
    out = UNKNOWN if outcome == "info" else _hashable(record.get("output"))
    return inp, out


def _describe(inp, out) -> str:
    op, arg = inp
    shown = "?" if out is UNKNOWN else repr(out)
    return f"{op}({'' if arg is None else repr(arg)}) -> {shown}"


# -- a FIFO queue ------------------------------------------------------------------------------
def _queue_step(state: tuple, inp, out):
    op, arg = inp
    if op == "enqueue":
        return True, state + (arg,)
    if out is UNKNOWN:            # a dequeue whose result was lost: it may have taken the head
        return True, state[1:]
    if not state:
        return out is None, state
    return out == state[0], state[1:]


def _queue_read_only(inp, out) -> bool:
    return inp[0] == "dequeue" and out is None      # an empty dequeue changes nothing


def queue_model() -> Model:
    """A FIFO queue per key: ``enqueue(item)``; ``dequeue() -> item`` (None when empty).

    An ``info`` dequeue may have removed the head or not (its item may be lost); an ``info``
    enqueue may have happened.

    Example:
        >>> m = queue_model()
        >>> m.step(("a",), ("dequeue", None), "a")
        (True, ())
    """
    def encode(record):
        enc = _encode_io(record)
        if enc is not None and enc[0][0] == "dequeue" and record["outcome"] == "info":
            return None   # Knossos: an unknown dequeue constrains nothing (it may never happen)
        return enc
    return Model("queue", tuple, _queue_step, encode, _describe, partition=_key_of,
                 read_only=_queue_read_only, ops=QUEUE_OPS)


# -- a partitioned log -------------------------------------------------------------------------
def _log_step(state: tuple, inp, out):
    op, arg = inp
    if op == "produce":
        return (out is UNKNOWN or out == len(state)), state + (arg,)
    if out is UNKNOWN:
        return True, state
    if not isinstance(arg, int) or arg < 0:
        return False, state
    return (out == (state[arg] if arg < len(state) else None)), state


def log_model() -> Model:
    """An append-only log per key (a topic-partition): ``produce(message) -> offset``, the next
    offset; ``fetch(offset) -> message`` (None past the end).

    Example:
        >>> m = log_model()
        >>> m.step((), ("produce", "m0"), 0)
        (True, ('m0',))
        >>> m.step(("m0",), ("fetch", 0), "m0")
        (True, ('m0',))
    """
    return Model("log", tuple, _log_step, _encode_io, _describe, partition=_key_of,
                 read_only=lambda inp, out: inp[0] == "fetch", ops=LOG_OPS)


# -- transactions ------------------------------------------------------------------------------
def _txn_step(state: tuple, inp, out):
    _, micro_ops = inp
    data = dict(state)
    results = []
    for f, key, value in micro_ops:
        if f == "r":
            results.append(data.get(key))
        elif f == "w":
            data[key] = value
            results.append(None)
        else:
            return False, state
    if out is not UNKNOWN:
        expected = tuple(r for (f, _, _), r in zip(micro_ops, results) if f == "r")
        got = tuple(r for (f, _, _), r in zip(micro_ops, out) if f == "r") \
            if len(out) == len(micro_ops) else None
        if got != expected:
            return False, state
    return True, tuple(sorted(data.items(), key=lambda kv: repr(kv[0])))


def _txn_encode(record: dict):
    enc = _encode_io(record)
    if enc is None:
        return None
    (op, micro_ops), out = enc
    micro_ops = tuple(tuple(m) for m in micro_ops)
    if record["outcome"] == "info" and all(f == "r" for f, _, _ in micro_ops):
        return None      # an unknown read-only transaction constrains nothing
    return (op, micro_ops), out


def _txn_describe(inp, out) -> str:
    parts = []
    for i, (f, key, value) in enumerate(inp[1]):
        if f == "w":
            parts.append(f"w {key}={value!r}")
        else:
            got = "?" if out is UNKNOWN else repr(out[i])
            parts.append(f"r {key}->{got}")
    return "txn[" + ", ".join(parts) + "]"


def txn_model() -> Model:
    """Multi-key transactions on one map: ``txn([("r", k, None), ("w", k, v), ...])`` returns
    one result per micro-operation (the value read, or None for a write), applied atomically.

    Example:
        >>> m = txn_model()
        >>> m.step((), ("txn", (("w", "x", 1), ("r", "x", None))), (None, 1))
        (True, (('x', 1),))
    """
    return Model("transactions", tuple, _txn_step, _txn_encode, _txn_describe,
                 read_only=lambda inp, out: all(f == "r" for f, _, _ in inp[1]), ops=TXN_OPS)
