"""A service's local database: transactional on its own, with row locks and a durable log.

Models what one service's relational database gives it (PostgreSQL stands in): a transaction
takes exclusive row locks, computes its write set, and either commits it atomically or aborts;
a transaction may instead be *prepared* (PostgreSQL ``PREPARE TRANSACTION``): its write set and
its locks are made durable, it survives a crash, and it is finished later by ``COMMIT PREPARED``
or ``ROLLBACK PREPARED``. Faults covered: a crash loses volatile state (locks of transactions
that were not prepared, the queue of waiters) and keeps the durable part (committed rows, the
prepared transactions with their locks, which PostgreSQL re-acquires at restart).

Example:
    >>> s = LocalStore({"stock:apple": 3})
    >>> s.lock("t1", ["stock:apple"], now_ms=0)
    True
    >>> s.commit_writes("t1", {"stock:apple": 2}, now_ms=5)
    >>> s.data["stock:apple"], s.lock_holder("stock:apple")
    (2, None)
"""

from __future__ import annotations

from collections import deque

__all__ = ["LocalStore", "LockSpan", "Waiter"]


def _counter():
    count = iter(range(1, 1 << 62))
    return count.__next__


class LockSpan(tuple):
    """How long a transaction held its locks here: ``(txid, rows, acquired_ms, released_ms)``."""

    __slots__ = ()

    def __new__(cls, txid, rows, acquired_ms, released_ms):
        return tuple.__new__(cls, (txid, tuple(rows), acquired_ms, released_ms))

    txid = property(lambda self: self[0])
    rows = property(lambda self: self[1])
    acquired_ms = property(lambda self: self[2])
    released_ms = property(lambda self: self[3])

    @property
    def held_ms(self) -> int:
        return self[3] - self[2]


class Waiter:
    """A transaction queued for a row lock (``callback()`` runs when it gets all its rows)."""

    __slots__ = ("txid", "rows", "since_ms", "callback")

    def __init__(self, txid, rows, since_ms, callback) -> None:
        self.txid = txid
        self.rows = tuple(rows)
        self.since_ms = since_ms
        self.callback = callback


class LocalStore:
    """One service's database: rows, exclusive row locks with waiting queues, prepared txns.

    Durable (kept across a crash): ``data`` (committed rows), ``prepared`` (txid -> write set,
    with its locks), ``outcomes`` (txid -> ``"committed"`` / ``"aborted"`` for transactions that
    went through prepare, so a peer's question can be answered), ``log`` (what happened, in
    order: ``(time_ms, seq, kind, txid, writes)``). Volatile (lost): the lock table of
    unprepared transactions and the waiters.

    Args:
        data: the initial committed rows (row name -> value).
    """

    def __init__(self, data: dict | None = None, sequencer=None) -> None:
        self.data: dict = dict(data or {})
        # A world-wide counter orders log entries of different services at the same ms.
        self._seq = sequencer if sequencer is not None else _counter()
        self.prepared: dict[str, dict] = {}
        self.outcomes: dict[str, str] = {}
        self.log: list[tuple] = []
        self.spans: list[LockSpan] = []          # lock hold times (kept for statistics)
        self.waits: list[tuple] = []             # (txid, rows, since_ms, granted_ms)
        self.queue_samples: list[tuple] = []     # (time_ms, waiting transactions)
        self._locks: dict[str, str] = {}         # row -> holder txid
        self._held: dict[str, tuple] = {}        # txid -> (rows, acquired_ms)
        self._waiting: deque[Waiter] = deque()

    # -- reads --------------------------------------------------------------------------
    def get(self, row: str, default=None):
        """The committed value of ``row`` (a prepared write is invisible until committed)."""
        return self.data.get(row, default)

    def lock_holder(self, row: str) -> str | None:
        """The transaction holding ``row``'s lock, or None."""
        return self._locks.get(row)

    @property
    def waiting(self) -> list[str]:
        """Transactions queued for a lock, oldest first (PostgreSQL's ``pg_locks`` waiters)."""
        return [w.txid for w in self._waiting]

    def locks(self) -> dict[str, str]:
        """row -> holder, for every row locked now."""
        return dict(sorted(self._locks.items()))

    # -- locking ------------------------------------------------------------------------
    def lock(self, txid: str, rows, now_ms: int, on_granted=None) -> bool:
        """Take exclusive locks on every row of ``rows`` for ``txid``, all or none.

        Returns True when granted now. Otherwise, with ``on_granted``, ``txid`` joins the
        waiting queue (first come, first served) and ``on_granted()`` runs when the rows are
        free; without it, nothing changes and False is returned (``NOWAIT``).
        """
        rows = tuple(sorted(set(rows)))
        if self._free(txid, rows) and not self._queued_before(rows):
            self._grant(txid, rows, now_ms)
            return True
        if on_granted is not None:
            self._waiting.append(Waiter(txid, rows, now_ms, on_granted))
            self.queue_samples.append((now_ms, len(self._waiting)))
        return False

    def _free(self, txid, rows) -> bool:
        locks = self._locks
        return all(locks.get(r, txid) == txid for r in rows)

    def _queued_before(self, rows) -> bool:
        # A newcomer does not overtake a queued waiter on the same rows (no starvation).
        if not self._waiting:
            return False
        mine = set(rows)
        for w in self._waiting:
            if not mine.isdisjoint(w.rows):
                return True
        return False

    def _grant(self, txid, rows, now_ms) -> None:
        locks = self._locks
        for r in rows:
            locks[r] = txid
        held = self._held.get(txid)
        if held is None:
            self._held[txid] = (rows, now_ms)        # rows: sorted, no repeats (see lock)
        else:
            self._held[txid] = (tuple(sorted(set(held[0]) | set(rows))), held[1])

    def release(self, txid: str, now_ms: int) -> None:
        """Release every lock ``txid`` holds and wake the waiters that can now proceed."""
        held = self._held.pop(txid, None)
        if held is not None:
            rows, since = held
            for r in rows:
                if self._locks.get(r) == txid:
                    del self._locks[r]
            self.spans.append(LockSpan(txid, rows, since, now_ms))
        self._wake(now_ms)

    def _wake(self, now_ms) -> None:
        if not self._waiting:
            return
        granted = []
        blocked: set = set()
        for w in list(self._waiting):
            if blocked.isdisjoint(w.rows) and self._free(w.txid, w.rows):
                self._waiting.remove(w)
                self._grant(w.txid, w.rows, now_ms)
                self.waits.append((w.txid, w.rows, w.since_ms, now_ms))
                granted.append(w)
            blocked.update(w.rows)
        if granted:
            self.queue_samples.append((now_ms, len(self._waiting)))
        for w in granted:
            w.callback()

    def cancel_wait(self, txid: str, now_ms: int) -> bool:
        """Take ``txid`` out of the waiting queue (a lock timeout); True if it was queued."""
        for w in list(self._waiting):
            if w.txid == txid:
                self._waiting.remove(w)
                self.queue_samples.append((now_ms, len(self._waiting)))
                self._wake(now_ms)
                return True
        return False

    # -- local transactions ---------------------------------------------------------------
    def commit_writes(self, txid: str, writes: dict, now_ms: int) -> None:
        """Commit ``writes`` atomically (one local transaction) and release ``txid``'s locks."""
        self.data.update(writes)
        self.log.append((now_ms, self._seq(), "commit", txid, tuple(sorted(writes.items()))))
        self.release(txid, now_ms)

    def rollback(self, txid: str, now_ms: int) -> None:
        """Abort an unprepared transaction: nothing is written, its locks are released."""
        self.log.append((now_ms, self._seq(), "rollback", txid, ()))
        self.release(txid, now_ms)

    # -- two-phase commit (PREPARE TRANSACTION / COMMIT PREPARED / ROLLBACK PREPARED) --------
    def prepare(self, txid: str, writes: dict, now_ms: int) -> None:
        """Make ``txid``'s write set and its locks durable: it now survives a crash.

        PostgreSQL: after ``PREPARE TRANSACTION`` the transaction "continues to hold whatever
        locks it held" and is listed in ``pg_prepared_xacts``.
        """
        rows = self._held.get(txid, ((), now_ms))[0]
        self.prepared[txid] = {"writes": dict(writes), "rows": tuple(rows)}
        self.log.append((now_ms, self._seq(), "prepare", txid, tuple(sorted(writes.items()))))

    def commit_prepared(self, txid: str, now_ms: int) -> bool:
        """``COMMIT PREPARED``: apply the prepared write set; False if ``txid`` is not prepared."""
        entry = self.prepared.pop(txid, None)
        if entry is None:
            return False
        self.data.update(entry["writes"])
        self.outcomes[txid] = "committed"
        self.log.append((now_ms, self._seq(), "commit_prepared", txid,
                         tuple(sorted(entry["writes"].items()))))
        self.release(txid, now_ms)
        return True

    def rollback_prepared(self, txid: str, now_ms: int) -> bool:
        """``ROLLBACK PREPARED``: discard the write set; False if ``txid`` is not prepared."""
        entry = self.prepared.pop(txid, None)
        if entry is None:
            return False
        self.outcomes[txid] = "aborted"
        self.log.append((now_ms, self._seq(), "rollback_prepared", txid, ()))
        self.release(txid, now_ms)
        return True

    def record_abort(self, txid: str, now_ms: int) -> None:
        """Remember that ``txid`` aborted here before it prepared (a no vote, a timeout)."""
        if txid not in self.outcomes:
            self.outcomes[txid] = "aborted"
            self.log.append((now_ms, self._seq(), "abort", txid, ()))

    # -- crash and recovery ---------------------------------------------------------------
    def crash(self, now_ms: int) -> None:
        """Lose volatile state: unprepared transactions' locks and the waiting queue."""
        for txid in list(self._held):
            if txid not in self.prepared:
                rows, since = self._held.pop(txid)
                self.spans.append(LockSpan(txid, rows, since, now_ms))
        self._locks = {r: t for r, t in self._locks.items() if t in self.prepared}
        if self._waiting:
            self._waiting.clear()
            self.queue_samples.append((now_ms, 0))

    def recover(self, now_ms: int) -> list[str]:
        """Re-acquire the locks of every prepared transaction; return their ids, in order.

        PostgreSQL restores prepared transactions at startup with their locks.
        """
        for txid, entry in sorted(self.prepared.items()):
            if txid not in self._held:
                self._grant(txid, entry["rows"], now_ms)
        return sorted(self.prepared)
