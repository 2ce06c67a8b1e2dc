"""Histories: every client operation with its invocation, completion, outcome and node.

An operation's ``outcome`` is ``ok`` (it happened, and for a read ``value`` is what it read),
``fail`` (it definitely did not happen) or ``info`` (unknown: it timed out or the connection was
lost, so it may take effect at any time after its invocation, or never). While an operation is in
flight its outcome is ``None``; :meth:`History.records` reports such operations as ``info``.

Operations of any system are recorded the same way, as Porcupine does: an operation name, a
key (the object it acts on: a register, a topic, a transaction), an opaque ``input`` and an
opaque ``output``. Key-value operations keep their familiar ``value`` column: the value written
(``put``, ``append``, ``cas``) or the value read (``get``). Per-operation options (``w=1``,
``consistency="one"``) are kept with each operation, so a timeline can say what was asked for.

This module is plain data, importable by the simulator; :func:`caplab.frames.history_frame` turns
a history into a DataFrame.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import ConfigError

__all__ = ["Operation", "History", "OPS", "READ_OPS", "OUTCOMES", "COLUMNS"]

#: the key-value operations (the register and key-value models check these; a ``delete`` is a
#: write of "no value")
OPS = ("get", "put", "append", "cas", "delete")
#: operations whose ``value`` is their output (what they read), not their input
READ_OPS = frozenset({"get", "read", "poll", "query"})
OUTCOMES = ("ok", "fail", "info")
COLUMNS = ("id", "client", "op", "key", "value", "invoke_ms", "complete_ms", "outcome", "node",
           "error", "options", "output")


@dataclass
class Operation:
    """One client operation of any system.

    ``input`` is what the client gave, ``output`` what it got back (opaque to the history).
    ``value`` is the key-value column: for ``put``/``append`` the value written; for ``get``
    the value read (``None`` for a missing key; a tuple of values when the store returned
    concurrent siblings); for ``cas`` the pair ``(expected, new)``.
    """

    id: int
    client: str
    op: str
    key: str
    input: Any
    invoke_ms: int
    complete_ms: int | None = None
    outcome: str | None = None
    node: str | None = None
    error: str | None = None
    options: dict = field(default_factory=dict)
    output: Any = None

    @property
    def value(self) -> Any:
        return self.output if self.op in READ_OPS else self.input

    @property
    def done(self) -> bool:
        return self.outcome is not None

    def record(self) -> dict:
        """The operation as a dict with the :data:`COLUMNS`."""
        return {"id": self.id, "client": self.client, "op": self.op, "key": self.key,
                "value": self.value, "invoke_ms": self.invoke_ms,
                "complete_ms": self.complete_ms,
                "outcome": self.outcome if self.outcome is not None else "info",
                "node": self.node, "error": self.error, "options": dict(self.options),
                "output": self.output}


class History:
    """An append-only list of :class:`Operation`, in invocation order."""

    def __init__(self) -> None:
        self.ops: list[Operation] = []

    def invoke(self, client: str, op: str, key: str, value: Any, time_ms: int,
               options: dict | None = None) -> Operation:
        """Record the invocation of ``op`` on ``key`` with input ``value``; return it.

        Any system's operation names are accepted (``put``, ``produce``, ``commit`` ...): the
        checkers and models of each family say which they understand.
        """
        if not isinstance(op, str) or not op.isidentifier():
            raise ConfigError(f"an operation name must be an identifier such as 'put', got "
                              f"{op!r}")
        operation = Operation(len(self.ops), client, op, key, value, time_ms,
                              options=dict(options or {}))
        self.ops.append(operation)
        return operation

    @staticmethod
    def complete(operation: Operation, outcome: str, time_ms: int, *, output: Any = None,
                 node: str | None = None, error: str | None = None) -> None:
        """Complete ``operation`` with its ``outcome`` and ``output`` (what it returned)."""
        if outcome not in OUTCOMES:
            raise ConfigError(f"unknown outcome {outcome!r}; allowed: {', '.join(OUTCOMES)}")
        if operation.outcome is not None:
            raise ConfigError(f"operation {operation.id} already completed "
                              f"({operation.outcome})")
        operation.outcome = outcome
        operation.complete_ms = time_ms
        operation.output = output
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

    def text(self) -> str:
        """Deterministic text, one operation a line (for golden files and determinism tests)."""
        lines = []
        for op in self.ops:
            lines.append(f"{op.id} {op.client} {op.op} {op.key}={op.value!r} "
                         f"[{op.invoke_ms},{op.complete_ms}] {op.outcome} {op.node} "
                         f"{op.error or ''}".rstrip())
        return "\n".join(lines)
