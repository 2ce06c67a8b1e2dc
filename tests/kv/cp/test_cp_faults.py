"""Crashes, restarts and the unavailability window of an election."""

from helpers_cp import cluster, secondaries, wait_primary
from caplab.frames import history_frame


def test_crash_restart_keeps_durable_state():
    """A crash keeps term, vote and oplog; the member restarts as secondary and catches up."""
    c = cluster()
    a = c.client("a", near=c.primary)
    assert a.put("x", "1").ok
    victim = secondaries(c)[0]
    node = c.backend.nodes[victim]
    before = (node.term, node.voted_for, list(node.oplog.entries))
    c.crash(victim)
    assert c.roles()[victim] == "down" and node.waiters == [] and node.primary_name is None
    assert (node.term, node.voted_for, list(node.oplog.entries)) == before
    assert a.put("x", "2").ok                       # majority without the crashed member
    c.restart(victim)
    assert c.roles()[victim] == "secondary"
    c.run_for(500)
    assert node.oplog.get("x")[0] == "2"


def test_restarted_old_primary_comes_back_as_secondary():
    """A crashed primary restarts as a secondary of the new primary."""
    c = cluster()
    old = c.primary
    c.crash(old)
    new = wait_primary(c, exclude=(old,))
    c.restart(old)
    c.run_for(500)
    assert c.roles()[old] == "secondary" and c.primary == new
    assert c.backend.nodes[old].term == c.backend.nodes[new].term


def test_unavailability_window_is_measurable():
    """After the primary crashes, writes fail until an election completes (about 1 s)."""
    c = cluster(seed=3)
    old = c.primary
    w = c.client("w", near=secondaries(c)[0])
    assert w.put("k", 0).ok
    crash_ms = c.now
    c.crash(old)
    i = 1
    while c.now < crash_ms + 3000:
        w.put("k", i, timeout_ms=300)
        i += 1
        c.run_for(20)
    frame = history_frame(c.history)
    after = frame[(frame.invoke_ms >= crash_ms) & (frame.op == "put")]
    assert (after.outcome != "ok").any()
    first_ok = after[after.outcome == "ok"].complete_ms.min()
    window = first_ok - crash_ms
    start_ms, end_ms, winner, term = c.elections[-1]
    assert winner != old and term == 2
    assert 1000 <= end_ms - crash_ms <= window <= 1800
