"""One entry point that turns any history the checkers accept into validated plain records.

Checkers take histories as data: a :class:`caplab.history.History`, a list of dicts, or a
pandas DataFrame with the columns of :data:`caplab.history.COLUMNS`. :func:`normalize_history`
accepts all three, fills optional columns, turns pandas' ``NaN`` back into ``None``, and rejects
malformed histories with a :class:`~caplab.errors.HistoryError` that names the row.
"""

from __future__ import annotations

import math
from typing import Any, Iterable

from ..errors import HistoryError
from ..history.record import COLUMNS, OPS, OUTCOMES, History

__all__ = ["normalize_history"]

_REQUIRED = ("client", "op", "key", "invoke_ms", "outcome")


def _is_nan(value: Any) -> bool:
    return isinstance(value, float) and math.isnan(value)


def _clean(value: Any) -> Any:
    """pandas stores missing values as NaN (and numbers as numpy scalars): undo both."""
    if value is None or _is_nan(value):
        return None
    item = getattr(value, "item", None)  # numpy scalar -> Python scalar
    if item is not None and type(value).__module__ == "numpy":
        return item()
    return value


def _rows(history) -> list[dict]:
    if isinstance(history, History):
        return history.records()
    if hasattr(history, "to_dict") and hasattr(history, "columns"):  # a pandas DataFrame
        missing = [c for c in _REQUIRED if c not in history.columns]
        if missing:
            raise HistoryError(f"history frame lacks column(s) {', '.join(missing)}; "
                               f"expected columns: {', '.join(COLUMNS)}")
        return history.to_dict("records")
    if isinstance(history, (str, bytes)) or not isinstance(history, Iterable):
        raise HistoryError(f"a history must be a History, a list of dicts or a DataFrame, "
                           f"got {type(history).__name__}")
    rows = list(history)
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            if hasattr(row, "record"):  # an Operation
                rows[i] = row.record()
                continue
            raise HistoryError(f"row {i}: expected a dict with columns {', '.join(COLUMNS)}, "
                               f"got {type(row).__name__}")
    return rows


def _time(value: Any, row: int, rid: Any, column: str) -> int | float | None:
    value = _clean(value)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise HistoryError(f"row {row} (id={rid!r}): {column} must be a number of ms, "
                           f"got {value!r}")
    return int(value) if float(value).is_integer() else value


class NormalizedHistory(list):
    """What :func:`normalize_history` returns: a list of validated record dicts. Passing it to
    a checker again skips the validation (``summarize`` validates once for all checkers).
    Treat it as read-only."""

    ops: tuple = OPS


def normalize_history(history, *, ops: tuple = OPS) -> list[dict]:
    """Validate a history and return it as a list of plain dicts with all :data:`COLUMNS`.

    Args:
        history: a :class:`~caplab.history.History`, a list of dicts (or ``Operation``), or a
            pandas DataFrame. ``id`` defaults to the row number; ``value``, ``complete_ms``,
            ``node`` and ``error`` default to ``None``.

    Returns:
        A new list of dicts, in the given order, each with the columns of :data:`COLUMNS`
        plus ``row`` (its position in the input, for error messages).

    ``ops`` are the operation names allowed: the key-value ones by default; a model of another
    family (a queue, a log, transactions) passes its own.

    Raises:
        HistoryError: a missing column, an unknown ``op`` or ``outcome``, a completion without
            an invocation, completion before invocation, an ``ok``/``fail`` operation without
            ``complete_ms``, a duplicate id, or a client with two operations in flight at once.
            An ``info`` operation without ``complete_ms`` was abandoned by its client, which
            may go on with new operations.

    Example:
        >>> normalize_history([{"client": "c0", "op": "put", "key": "x", "value": 1,
        ...                     "invoke_ms": 0, "complete_ms": 5, "outcome": "ok"}])[0]["id"]
        0
    """
    if isinstance(history, NormalizedHistory) and history.ops == tuple(ops):
        return history
    out: list[dict] = NormalizedHistory()
    out.ops = tuple(ops)
    seen_ids: dict[Any, int] = {}
    for i, raw in enumerate(_rows(history)):
        rid = _clean(raw.get("id", i))
        if rid is None:
            rid = i
        for column in _REQUIRED:
            if column not in raw:
                raise HistoryError(f"row {i} (id={rid!r}): missing column {column!r}; "
                                   f"expected columns: {', '.join(COLUMNS)}")
        op, outcome = raw["op"], raw["outcome"]
        if op not in ops:
            raise HistoryError(f"row {i} (id={rid!r}): unknown op {op!r}; allowed: "
                               f"{', '.join(ops)}")
        if outcome not in OUTCOMES:
            raise HistoryError(f"row {i} (id={rid!r}): unknown outcome {outcome!r}; allowed: "
                               f"{', '.join(OUTCOMES)} (ok: happened, fail: did not happen, "
                               f"info: unknown)")
        invoke = _time(raw["invoke_ms"], i, rid, "invoke_ms")
        complete = _time(raw.get("complete_ms"), i, rid, "complete_ms")
        if invoke is None:
            raise HistoryError(f"row {i} (id={rid!r}): completion without an invocation "
                               f"(invoke_ms is missing)")
        if complete is not None and complete < invoke:
            raise HistoryError(f"row {i} (id={rid!r}): completes at {complete} ms before it "
                               f"was invoked at {invoke} ms")
        if complete is None and outcome != "info":
            raise HistoryError(f"row {i} (id={rid!r}): outcome {outcome!r} needs complete_ms; "
                               f"an operation that never completed has outcome 'info'")
        if rid in seen_ids:
            raise HistoryError(f"row {i}: duplicate id {rid!r} (also row {seen_ids[rid]})")
        seen_ids[rid] = i
        value = raw.get("value")
        value = None if _is_nan(value) else value
        if op == "cas":
            if isinstance(value, list):
                value = tuple(value)
            if not (isinstance(value, tuple) and len(value) == 2):
                raise HistoryError(f"row {i} (id={rid!r}): cas value must be a pair "
                                   f"(expected, new), got {value!r}")
        elif isinstance(value, list):
            value = tuple(value)
        out.append({"id": rid, "client": _clean(raw["client"]), "op": op,
                    "key": _clean(raw["key"]), "value": _clean(value), "invoke_ms": invoke,
                    "complete_ms": complete, "outcome": outcome,
                    "node": _clean(raw.get("node")), "error": _clean(raw.get("error")),
                    "output": _clean(raw.get("output")), "row": i})
    _check_one_in_flight(out)
    return out


def _check_one_in_flight(records: list[dict]) -> None:
    # A client (a process, in Jepsen's words) is sequential: it invokes its next operation only
    # after the previous one returned. Two overlapping operations from one client mean the
    # history was recorded wrongly, and checking it would give a meaningless verdict.
    by_client: dict[Any, list[dict]] = {}
    for rec in records:
        by_client.setdefault(rec["client"], []).append(rec)
    for client in sorted(by_client, key=repr):
        ops = sorted(by_client[client], key=lambda r: (r["invoke_ms"], r["row"]))
        busy_until, busy_row = None, None
        for rec in ops:
            if busy_until is not None and rec["invoke_ms"] < busy_until:
                raise HistoryError(
                    f"row {rec['row']} (id={rec['id']!r}): client {client!r} invokes "
                    f"{rec['op']} at {rec['invoke_ms']} ms while its operation in row "
                    f"{busy_row} is in flight until {busy_until} ms; a client has one "
                    f"operation in flight at a time")
            if rec["complete_ms"] is not None:
                busy_until, busy_row = rec["complete_ms"], rec["row"]
