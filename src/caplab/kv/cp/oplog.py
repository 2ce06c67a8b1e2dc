"""The oplog of one replica-set member and the data it implies (durable: MongoDB journals both).

Each entry has an *optime* ``(term, index)``; ``index`` counts from 1 with no gaps, so entry ``i``
is ``entries[i - 1]``. Optimes compare as tuples, which is how MongoDB orders them (term first).
The data is kept as per-key version lists ``[(index, term, value), ...]`` so that a majority read
can look up the value at the commit point, and a rollback can restore the data to the state at
the common point by popping the versions written after it.

An optional *observer* hears every appended entry and every move of the commit point, so the
member can put them in the trace (``oplog`` events, which the step-through views of
:mod:`caplab.kv.timeline_state` replay); the log itself knows nothing of tracing.
"""

from __future__ import annotations

from bisect import bisect_right
from typing import Any, NamedTuple

__all__ = ["OplogEntry", "Oplog", "NO_OPTIME"]

NO_OPTIME = (0, 0)


class OplogEntry(NamedTuple):
    """One oplog entry. ``op`` is ``"put"`` or ``"noop"`` (a new primary's or a read's no-op).

    ``session`` identifies the client write that produced it, ``(client, op_id)``: MongoDB's
    logical session id and transaction number, kept with the write so that every member (and a
    future primary) recognises a retry of it (retryable writes).
    """

    term: int
    index: int
    op: str
    key: str | None
    value: Any
    wall_ms: int
    session: tuple | None = None

    @property
    def optime(self) -> tuple[int, int]:
        return (self.term, self.index)


class Oplog:
    """An append-only log with truncation (rollback) and the key-value data it implies."""

    __slots__ = ("entries", "versions", "_commit_index", "sessions", "observer")

    def __init__(self, observer=None) -> None:
        """Args:
            observer: ``observer(action, entry_or_index)``, called with ``("append", entry)``
                after an entry is appended and ``("commit", index)`` after the commit point
                moves; None for no observer.
        """
        self.entries: list[OplogEntry] = []
        self.versions: dict[str, list[tuple[int, int, Any]]] = {}
        self.observer = observer
        self._commit_index = 0  # majority commit point (index); committed entries never roll back
        # session -> index of the entry that applied it (MongoDB's config.transactions table,
        # updated with the write itself, so it replicates and rolls back with the oplog)
        self.sessions: dict[tuple, int] = {}

    # -- the commit point ------------------------------------------------------------------
    @property
    def commit_index(self) -> int:
        """The majority commit point (an index); entries up to it never roll back."""
        return self._commit_index

    @commit_index.setter
    def commit_index(self, index: int) -> None:
        if index != self._commit_index:
            self._commit_index = index
            if self.observer is not None:
                self.observer("commit", index)

    # -- reading the log -------------------------------------------------------------------
    @property
    def last_index(self) -> int:
        return len(self.entries)

    @property
    def last_optime(self) -> tuple[int, int]:
        entries = self.entries
        return (entries[-1].term, entries[-1].index) if entries else NO_OPTIME

    @property
    def commit_optime(self) -> tuple[int, int]:
        return (self.term_at(self.commit_index), self.commit_index)

    def term_at(self, index: int) -> int:
        """Term of entry ``index`` (0 for index 0, the empty prefix)."""
        return self.entries[index - 1].term if index > 0 else 0

    def first_index_of_term(self, term: int, upto: int) -> int:
        """The first index of the run of ``term`` entries that ends at or before ``upto``."""
        index = upto
        while index > 1 and self.entries[index - 2].term == term:
            index -= 1
        return index

    def last_index_of_term(self, term: int) -> int:
        """The last index holding an entry of ``term`` (0 if none)."""
        for entry in reversed(self.entries):
            if entry.term == term:
                return entry.index
            if entry.term < term:
                break
        return 0

    def applied(self, session: tuple) -> OplogEntry | None:
        """The entry that already applied the write ``session``, if this log holds it."""
        index = self.sessions.get(session)
        return self.entries[index - 1] if index is not None else None

    def since(self, after_index: int, limit: int) -> tuple[OplogEntry, ...]:
        return tuple(self.entries[after_index:after_index + limit])

    # -- the data --------------------------------------------------------------------------
    def get(self, key: str) -> tuple[Any, tuple[int, int] | None]:
        """The latest applied value of ``key`` and its optime (``(None, None)`` if absent)."""
        versions = self.versions.get(key)
        if not versions:
            return None, None
        index, term, value = versions[-1]
        return value, (term, index)

    def get_committed(self, key: str) -> tuple[Any, tuple[int, int] | None]:
        """The value of ``key`` in the majority-committed snapshot (read concern majority)."""
        versions = self.versions.get(key)
        if not versions:
            return None, None
        pos = bisect_right(versions, self.commit_index, key=lambda v: v[0])
        if pos == 0:
            return None, None
        index, term, value = versions[pos - 1]
        return value, (term, index)

    def keys(self) -> list[str]:
        return sorted(k for k, v in self.versions.items() if v)

    # -- changing the log ------------------------------------------------------------------
    def append(self, entry: OplogEntry) -> None:
        """Append (and apply) ``entry``, which must be the next index."""
        self.entries.append(entry)
        if entry.session is not None:
            self.sessions[entry.session] = entry.index
        if entry.op == "put":
            versions = self.versions.get(entry.key)
            if versions is None:
                self.versions[entry.key] = [(entry.index, entry.term, entry.value)]
            else:
                versions.append((entry.index, entry.term, entry.value))
        if self.observer is not None:
            self.observer("append", entry)

    def append_new(self, term: int, op: str, key, value, wall_ms: int,
                   session: tuple | None = None) -> OplogEntry:
        entry = OplogEntry(term, len(self.entries) + 1, op, key, value, wall_ms, session)
        self.append(entry)
        return entry

    def truncate_after(self, index: int) -> list[OplogEntry]:
        """Remove the entries after ``index`` and undo their effect on the data.

        Returns the removed entries, oldest first (what a rollback writes to its record).
        """
        removed = self.entries[index:]
        del self.entries[index:]
        for entry in reversed(removed):
            if entry.session is not None:
                self.sessions.pop(entry.session, None)
            if entry.op == "put":
                versions = self.versions[entry.key]
                versions.pop()
                if not versions:
                    del self.versions[entry.key]
        return removed
