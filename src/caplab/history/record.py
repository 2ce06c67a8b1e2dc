"""Histories: every client operation with its invocation, completion, outcome and node.

An operation's ``outcome`` is ``ok`` (it happened, and for a read ``value`` is what it read),
``fail`` (it definitely did not happen) or ``info`` (unknown: it timed out or the connection was
lost, so it may take effect at any time after its invocation, or never). While an operation is in
flight its outcome is ``None``; :meth:`History.records` reports such operations as ``info``.

This module is plain data, importable by the simulator; :meth:`History.to_frame` converts lazily.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import ConfigError

__all__ = ["Operation", "History", "OPS", "OUTCOMES", "COLUMNS"]

OPS = ("get", "put", "append", "cas")
OUTCOMES = ("ok", "fail", "info")
COLUMNS = ("id", "client", "op", "key", "value", "invoke_ms", "complete_ms", "outcome", "node",
           "error")


@dataclass
class Operation:
    """One client operation.

    ``value``: for ``put``/``append`` the value written; for ``get`` the value read (``None``
    for a missing key; a tuple of values when the store returned concurrent siblings); for
    ``cas`` the pair ``(expected, new)``.
    """

    id: int
    client: str
    op: str
    key: str
    value: Any
    invoke_ms: int
    complete_ms: int | None = None
    outcome: str | None = None
    node: str | None = None
    error: str | None = None
    options: dict = field(default_factory=dict)

    @property
    def done(self) -> bool:
        return self.outcome is not None

    def record(self) -> dict:
        return {"id": self.id, "client": self.client, "op": self.op, "key": self.key,
                "value": self.value, "invoke_ms": self.invoke_ms,
                "complete_ms": self.complete_ms,
                "outcome": self.outcome if self.outcome is not None else "info",
                "node": self.node, "error": self.error}


class History:
    """An append-only list of :class:`Operation`, in invocation order."""

    def __init__(self) -> None:
        self.ops: list[Operation] = []

    def invoke(self, client: str, op: str, key: str, value: Any, time_ms: int,
               options: dict | None = None) -> Operation:
        if op not in OPS:
            raise ConfigError(f"unknown operation {op!r}; allowed: {', '.join(OPS)}")
        operation = Operation(len(self.ops), client, op, key, value, time_ms,
                              options=dict(options or {}))
        self.ops.append(operation)
        return operation

    @staticmethod
    def complete(operation: Operation, outcome: str, time_ms: int, *, value: Any = None,
                 node: str | None = None, error: str | None = None,
                 keep_value: bool = False) -> None:
        """Complete ``operation``. Reads take ``value``; writes keep theirs (``keep_value``)."""
        if outcome not in OUTCOMES:
            raise ConfigError(f"unknown outcome {outcome!r}; allowed: {', '.join(OUTCOMES)}")
        if operation.outcome is not None:
            raise ConfigError(f"operation {operation.id} already completed "
                              f"({operation.outcome})")
        operation.outcome = outcome
        operation.complete_ms = time_ms
        if not keep_value:
            operation.value = value
        if node is not None:
            operation.node = node
        operation.error = error

    def __len__(self) -> int:
        return len(self.ops)

    def __iter__(self):
        return iter(self.ops)

    def __getitem__(self, index):
        return self.ops[index]

    def records(self) -> list[dict]:
        """Plain dicts with the :data:`COLUMNS` (in-flight operations as ``info``)."""
        return [op.record() for op in self.ops]

    def to_frame(self):
        """The history as a pandas DataFrame with the :data:`COLUMNS`."""
        from ..frames import history_frame
        return history_frame(self)

    def text(self) -> str:
        """Deterministic text, one operation a line (for golden files and determinism tests)."""
        lines = []
        for op in self.ops:
            lines.append(f"{op.id} {op.client} {op.op} {op.key}={op.value!r} "
                         f"[{op.invoke_ms},{op.complete_ms}] {op.outcome} {op.node} "
                         f"{op.error or ''}".rstrip())
        return "\n".join(lines)
