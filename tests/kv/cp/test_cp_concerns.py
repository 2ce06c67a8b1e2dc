"""Write concerns and read concerns / preferences."""

from helpers_cp import cluster, primary_intervals, secondaries, wait_primary


def test_wtimeout_is_info_and_not_undone():
    """A write whose write concern times out is 'info', and the write stays applied."""
    c = cluster()
    p = c.primary
    down = secondaries(c)[0]
    c.crash(down)
    a = c.client("a", near=p)
    r = a.put("x", "kept", w=3, wtimeout_ms=100)
    assert r.outcome == "info" and not r.definite and "not undone" in r.error
    assert 100 <= r.latency_ms <= 120
    assert a.get("x").value == "kept"
    c.restart(down)
    c.run_for(1000)
    assert {rec["value"] for rec in c.replica_records() if rec["key"] == "x"} == {"kept"}


def test_w_k_counts_members():
    """w=2 is acknowledged with one secondary down; w=1 is acknowledged by the primary alone."""
    c = cluster()
    c.crash(secondaries(c)[0])
    a = c.client("a", near=c.primary)
    assert a.put("x", "1", w=2).ok
    assert a.put("x", "2", w=1).ok


def test_default_write_concern_is_majority_and_configurable():
    """The default w is MongoDB 5.0's 'majority'; write_concern=1 changes the cluster default."""
    c = cluster()
    a = c.client("a", near=c.primary)
    a.put("x", "1")
    assert c.history[-1].options["w"] == "majority"
    c1 = cluster(write_concern=1)
    c1.client("a").put("x", "1")
    assert c1.history[-1].options["w"] == 1


def test_write_to_isolated_secondary_side_fails_definitely():
    """A write that only reaches a non-primary member fails definitely (not applied)."""
    c = cluster(seed=5)
    p = c.primary
    s = secondaries(c)[0]
    c.cut(s, p)
    c.cut(p, s)
    r = c.client("a", near=s).put("x", "1", timeout_ms=500)
    assert r.outcome in ("fail", "info")
    if r.outcome == "fail":
        assert "definite" in r.error or "no primary" in r.error


def test_stale_secondary_read():
    """A secondary that misses replication serves an older value (read_preference secondary)."""
    c = cluster()
    p = c.primary
    lag, fresh = secondaries(c)
    a = c.client("a", near=p)
    assert a.put("x", "old").ok
    c.run_for(300)
    c.cut(p, lag)
    assert a.put("x", "new").ok                     # majority = primary + fresh
    r = c.client("reader", near=lag).get("x", read_preference="secondary")
    assert r.ok and r.node == lag and r.value == "old"
    assert c.client("r2", near=fresh).get("x", read_preference="secondary").value == "new"


def test_majority_read_concern_returns_committed_snapshot():
    """read_concern majority never shows a w=1 write that has not reached a majority."""
    c = cluster()
    p = c.primary
    a = c.client("a", near=p)
    assert a.put("x", "committed").ok
    c.isolate(p)
    assert a.put("x", "local-only", w=1).ok
    assert a.get("x", read_concern="local").value == "local-only"
    assert a.get("x", read_concern="majority").value == "committed"


def test_nearest_reads_near_node():
    """read_preference nearest is served by the client's near node, whatever its role."""
    c = cluster()
    s = secondaries(c)[0]
    r = c.client("a", near=s).get("x", read_preference="nearest")
    assert r.ok and r.node == s and r.value is None


def test_linearizable_read_fails_on_deposed_primary():
    """A linearizable read on a primary cut off from the majority cannot confirm and fails."""
    c = cluster(seed=6)
    old = c.primary
    a = c.client("a", near=old)
    assert a.put("x", "1").ok
    c.isolate(old)
    r = a.get("x", read_concern="linearizable")
    assert not r.ok and r.node == old
    assert r.outcome == "fail" and "linearizable" in r.error
    new = wait_primary(c, exclude=(old,))
    other = [n for n in c.nodes if n != old][0]
    b = c.client("b", near=other)
    assert b.put("x", "2").ok
    assert b.get("x", read_concern="linearizable").value == "2"
    assert new != old


def test_two_primaries_only_majority_side_completes_majority_writes():
    """While two members believe they are primary, only the majority side's w:majority completes."""
    c = cluster(seed=1)
    old = c.primary
    rest = [n for n in c.nodes if n != old]
    alice = c.client("alice", near=old)
    bob = c.client("bob", near=rest[0])
    c.partition([old, "alice"], rest + ["bob"])
    h_old = alice.put_async("x", "minority", w="majority")
    new = wait_primary(c, exclude=(old,), writable=False)
    assert new in rest
    overlap = c.roles()[old] == "primary"          # the old one has not noticed yet
    r_new = bob.put("x", "majority", w="majority")
    c.sim.run_until(lambda: h_old.done)
    assert r_new.ok
    assert not h_old.result.ok and h_old.result.outcome == "info"
    intervals = primary_intervals(c)
    (o_start, o_end), = intervals[old]
    (n_start, n_end), = intervals[new]
    assert overlap == (n_start < o_end)
    assert overlap, "seed 1 shows two primaries at once"


def test_primary_preferred_reads_the_primary_and_falls_back_to_a_secondary():
    """primaryPreferred: the primary answers while there is one; a client cut off with a
    secondary, once that secondary no longer knows a primary, still reads (from it), where
    read_preference='primary' cannot."""
    c = cluster(nodes=5)
    p = c.primary
    s = secondaries(c)[0]
    writer = c.client("w", near=p)
    assert writer.put("x", "1").ok
    reader = c.client("r", near=s)
    r = reader.get("x", read_preference="primaryPreferred")
    assert r.ok and r.node == p and r.value == "1"
    c.partition([s, "r"], [n for n in c.nodes if n != s])
    c.run_for(3000)   # s stops believing in a primary it cannot hear
    strict = c.client("r2", near=s).get("x", read_preference="primary")
    assert not strict.ok
    r = reader.get("x", read_preference="primaryPreferred")
    assert r.ok and r.node == s and r.value == "1"


def test_secondary_preferred_reads_a_secondary_even_from_a_client_near_the_primary():
    """secondaryPreferred is served by a secondary when one answers, also for a client whose
    first contact is the primary (MongoDB: the primary only when no secondary is available)."""
    c = cluster()
    p = c.primary
    assert c.client("w", near=p).put("x", "1").ok
    c.run_for(500)
    r = c.client("fresh", near=p).get("x", read_preference="secondaryPreferred")
    assert r.ok and r.node != p and r.node in secondaries(c) and r.value == "1"
