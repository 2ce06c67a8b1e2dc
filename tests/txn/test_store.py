"""The local store: atomic local transactions, row locks with a waiting queue, prepared
transactions that survive a crash with their locks."""

from __future__ import annotations

from caplab.txn.store import LocalStore


def test_commit_applies_the_whole_write_set_and_releases_the_locks():
    """A local transaction commits its write set atomically and frees its rows."""
    s = LocalStore({"a": 1, "b": 2})
    assert s.lock("t1", ["a", "b"], 0)
    s.commit_writes("t1", {"a": 10, "b": 20}, 5)
    assert s.data == {"a": 10, "b": 20} and s.locks() == {}
    assert s.spans[0].held_ms == 5


def test_a_second_transaction_waits_in_the_row_queue_first_come_first_served():
    """A writer blocks on a held row lock and is granted it, in order, on release
    (PostgreSQL row locks: a conflicting writer waits)."""
    s = LocalStore({"a": 1})
    granted = []
    s.lock("t1", ["a"], 0)
    assert not s.lock("t2", ["a"], 1, on_granted=lambda: granted.append("t2"))
    assert not s.lock("t3", ["a"], 2, on_granted=lambda: granted.append("t3"))
    assert s.waiting == ["t2", "t3"]
    s.rollback("t1", 10)
    assert granted == ["t2"] and s.lock_holder("a") == "t2" and s.waiting == ["t3"]
    assert s.waits[0][2:] == (1, 10)


def test_a_newcomer_does_not_overtake_a_queued_waiter():
    """A free row with a queued waiter is not handed to a later arrival (no starvation)."""
    s = LocalStore()
    s.lock("t1", ["a", "b"], 0)
    s.lock("t2", ["a"], 1, on_granted=lambda: None)
    s.release("t1", 2)
    assert not s.lock("t3", ["a"], 3)
    assert s.lock("t4", ["b"], 3)


def test_nowait_refuses_without_changing_anything():
    """Without a callback a conflicting lock request returns False and queues nothing."""
    s = LocalStore()
    s.lock("t1", ["a"], 0)
    assert not s.lock("t2", ["a"], 1)
    assert s.waiting == [] and s.locks() == {"a": "t1"}


def test_prepared_transaction_survives_a_crash_with_its_locks():
    """After PREPARE TRANSACTION the write set and locks are durable: a crash loses the
    unprepared transaction and the waiters, restart re-takes the prepared locks (PostgreSQL)."""
    s = LocalStore({"a": 1, "c": 0})
    s.lock("t1", ["a"], 0)
    s.prepare("t1", {"a": 5}, 1)
    s.lock("t2", ["c"], 2)
    s.lock("t3", ["a"], 3, on_granted=lambda: None)
    s.crash(4)
    assert s.waiting == [] and s.lock_holder("c") is None
    assert s.recover(9) == ["t1"] and s.lock_holder("a") == "t1"
    assert s.get("a") == 1                      # invisible until COMMIT PREPARED
    assert s.commit_prepared("t1", 12)
    assert s.get("a") == 5 and s.outcomes["t1"] == "committed" and s.locks() == {}


def test_rollback_prepared_discards_the_write_set():
    """ROLLBACK PREPARED forgets the writes and frees the rows; a second finish is refused."""
    s = LocalStore({"a": 1})
    s.lock("t1", ["a"], 0)
    s.prepare("t1", {"a": 5}, 1)
    assert s.rollback_prepared("t1", 2)
    assert not s.commit_prepared("t1", 3)
    assert s.get("a") == 1 and s.outcomes["t1"] == "aborted"
