"""A node's binary log and the data it has applied.

MySQL: the source writes every transaction to its binary log; a replica's receiver thread
copies the events into its relay log and the applier thread applies them in order (with
``log_replica_updates=ON``, the 8.0 default, the replica writes them to its own binary log too,
so a promoted replica can serve as a source). Here one list plays binlog and relay log; events
up to ``applied_index`` are visible (on the source: committed to the storage engine).
"""

from __future__ import annotations

from typing import Any, NamedTuple

__all__ = ["Event", "Binlog", "gtid_text"]


class Event(NamedTuple):
    """One transaction: a put of ``value`` under ``key``, written by ``gtid[0]`` at ``time_ms``."""

    index: int
    gtid: tuple          # (origin node, sequence number): MySQL's server_uuid:transaction_id
    key: str
    value: Any
    time_ms: int


def gtid_text(gtid: tuple | None) -> str | None:
    """``("n1", 4)`` -> ``"n1:4"`` (how MySQL prints a GTID)."""
    return None if gtid is None else f"{gtid[0]}:{gtid[1]}"


class Binlog:
    """Events in order (``index`` from 1) and the key -> value view of the applied prefix."""

    def __init__(self) -> None:
        self.entries: list[Event] = []
        self.applied_index = 0
        self._data: dict[str, tuple[Any, str]] = {}

    @property
    def last_index(self) -> int:
        return len(self.entries)

    def gtid_at(self, index: int) -> tuple | None:
        return self.entries[index - 1].gtid if 0 < index <= len(self.entries) else None

    def since(self, index: int, limit: int) -> tuple:
        """The events after ``index`` (at most ``limit``)."""
        return tuple(self.entries[index:index + limit])

    def append(self, event: Event) -> None:
        assert event.index == len(self.entries) + 1, (event.index, len(self.entries))
        self.entries.append(event)

    def apply_upto(self, index: int) -> list[Event]:
        """Apply (make visible) the events up to ``index``; return the newly applied ones."""
        index = min(index, len(self.entries))
        applied = self.entries[self.applied_index:index]
        for e in applied:
            self._data[e.key] = (e.value, gtid_text(e.gtid))
        self.applied_index = max(self.applied_index, index)
        return applied

    def truncate_after(self, index: int) -> list[Event]:
        """Remove the events after ``index`` and undo them in the data; return them."""
        removed = self.entries[index:]
        del self.entries[index:]
        if self.applied_index > index:
            self.applied_index = 0
            self._data = {}
            self.apply_upto(index)
        return removed

    def get(self, key: str) -> tuple[Any, str | None]:
        """``(value, version)`` of ``key`` in the applied data, ``(None, None)`` if absent."""
        return self._data.get(key, (None, None))

    def keys(self) -> list[str]:
        return sorted(self._data)

    def gtids(self) -> set:
        return {e.gtid for e in self.entries}
