"""Retryable writes after a failover: the driver retries once and the server applies the write
once, so an outcome that would be ``info`` becomes ``ok``; without them, an application that
retries by hand applies the write twice.

MongoDB, "Retryable Writes": drivers (retryWrites=true by default since 4.2) "can
automatically retry certain write operations a single time if they encounter network errors,
or if they cannot find a healthy primary"; the server keeps the executed statement ids of the
session in the replicated state, so a retry that reaches a new primary after a failover returns
the earlier result instead of writing again. Without retryable writes the client cannot know
whether its write was applied.
"""

import pytest

from caplab.kv import Cluster


def _reply_lost_then_primary_crashes(seed, **options):
    """A w:majority write is committed by a majority, its reply is lost, and the primary then
    crashes: the client saw nothing. Returns (cluster, handle, old primary)."""
    c = Cluster(mode="cp", nodes=3, seed=seed, **options)
    c.run_for(1500)
    old = c.primary
    alice = c.client("alice", near=old)
    assert alice.put("x", "0").ok
    c.network.set_loss(1.0, src=old, dst="alice", kind="WriteReply")
    handle = alice.put_async("x", "1", timeout_ms=5000)
    c.run_for(50)                       # replicated to a majority (latency 1-5 ms)
    c.crash(old)
    c.network.set_loss(0.0, src=old, dst="alice", kind="WriteReply")
    c.run_for(5000)
    return c, handle, old


def _puts(c):
    return [e.value for e in c.backend.nodes[c.primary].oplog.entries if e.op == "put"]


@pytest.mark.parametrize("seed", range(1, 6))
def test_a_retryable_write_after_a_failover_is_ok_and_applied_once(seed):
    """Default (retry_writes=True): the driver's one retry reaches the new primary, which
    recognises the session's statement and answers ok without writing it again."""
    c, handle, old = _reply_lost_then_primary_crashes(seed)
    assert c.primary not in (None, old)
    assert handle.result.outcome == "ok", handle.result
    assert handle.result.node == c.primary
    assert _puts(c) == ["0", "1"]


@pytest.mark.parametrize("seed", range(1, 6))
def test_without_retryable_writes_the_outcome_is_unknown_and_a_manual_retry_applies_twice(seed):
    """retry_writes=False (drivers before 4.2): the write ends ``info`` although a majority
    holds it; the application, not knowing, writes again and the oplog holds it twice."""
    c, handle, old = _reply_lost_then_primary_crashes(seed, retry_writes=False)
    assert handle.result.outcome == "info", handle.result
    assert _puts(c) == ["0", "1"]          # it was applied: the client could not know
    again = c.client("alice-again", near=c.primary).put("x", "1")
    assert again.ok
    assert _puts(c) == ["0", "1", "1"]
