"""The primary-elect's catch-up phase, primaryPreferred fallback, priority takeover delay and
writes during rs.stepDown(): MongoDB behaviours checked scenario by scenario."""

import pytest

from caplab import Cluster, ConfigError
from caplab.kv.probes import events
from caplab.net.latency import Uniform

from helpers_cp import cluster, secondaries, wait_primary


def _w2_write_then_crash(seed: int, **options):
    """5 members; a w:2 write reaches the primary and exactly one secondary ("fresh"); then the
    primary crashes. Returns (cluster, old primary, fresh member, write result).

    Chaining is off (``chaining_allowed=False``) unless given: with MongoDB's default chained
    replication the members the primary's push no longer reaches fetch the write from the fresh
    one before the election, so no winner lacks it and there is nothing to catch up (that case
    is :func:`test_with_chaining_the_write_spreads_before_the_election`)."""
    options.setdefault("chaining_allowed", False)
    c = cluster(nodes=5, seed=seed, **options)
    p = c.primary
    fresh, *others = [n for n in c.nodes if n != p]
    a = c.client("a", near=p)
    assert a.put("x", "base").ok
    c.run_for(100)
    for o in others:
        c.network.set_loss(1.0, src=p, dst=o, kind="Replicate")
    r = a.put("x", "only-on-two", w=2)
    c.crash(p)
    c.network.set_loss(0.0)
    return c, p, fresh, r


@pytest.mark.parametrize("seed", range(1, 9))
def test_new_primary_catches_up_so_an_acknowledged_w2_write_survives(seed):
    """MongoDB's catch-up phase: the winner syncs from the fresher member before it accepts
    writes, so a write that a reachable secondary holds is not rolled back."""
    c, old, fresh, r = _w2_write_then_crash(seed)
    assert r.ok
    new = wait_primary(c, exclude=(old,))
    assert new is not None
    c.run_for(500)
    assert c.rollbacks() == []
    values = {rec["node"]: rec["value"] for rec in c.replica_records() if rec["key"] == "x"}
    assert values[new] == "only-on-two" and values[fresh] == "only-on-two"
    assert events(c, "catch-up", node=new, action="done"), \
        "the new primary never finished its catch-up phase"


def test_with_chaining_the_write_spreads_before_the_election():
    """MongoDB's defaults (chained replication): the members the push missed sync from the
    fresh one, so every member holds the acknowledged w:2 write, whoever wins."""
    for seed in range(1, 4):
        c, old, fresh, r = _w2_write_then_crash(seed, chaining_allowed=True)
        new = wait_primary(c, exclude=(old,))
        assert r.ok and new is not None and c.rollbacks() == []
        sources = events(c, "replication", action="sync_source", source=fresh)
        assert sources and sources[0].time_ms < c.elections[-1][0]   # before the election
        holders = [n for n in c.nodes if n != old and any(
            e.value == "only-on-two" for e in c.backend.oplog(n))]
        assert sorted(holders) == sorted(n for n in c.nodes if n != old), f"seed {seed}"


def test_catch_up_happens_when_the_winner_lacks_the_write():
    """Over seeds, at least one election is won by a member without the w:2 write, and that
    winner fetches it from the fresher member (the case catch-up exists for)."""
    fetched = 0
    for seed in range(1, 9):
        c, old, fresh, _ = _w2_write_then_crash(seed)
        new = wait_primary(c, exclude=(old,))
        if new != fresh:
            assert events(c, "catch-up", node=new, action="syncing", source=fresh)
            (done,) = events(c, "catch-up", node=new, action="done")
            assert done.data["caught_up"] and done.data["source"] == fresh, done.data
            assert done.data["fetched"] >= 1
            fetched += 1
    assert fetched >= 1


def _slow_catch_up(seed: int = 1, **options):
    """Like _w2_write_then_crash, but the fresher member answers catch-up requests slowly;
    returns the cluster once a member without the write has been elected, or None."""
    c, old, fresh, r = _w2_write_then_crash(seed, **options)
    c.network.set_latency(Uniform(600, 600), src=fresh, kind="CatchUpBatch", symmetric=False)
    wait_primary(c, exclude=(old,), writable=False)
    new = c.primary
    return (c, old, fresh, new) if new != fresh else None


def _first_slow_case(**options):
    for seed in range(1, 20):
        case = _slow_catch_up(seed, **options)
        if case is not None:
            return case
    pytest.fail("no seed elected a member lacking the write")


def test_no_writes_are_accepted_while_catching_up():
    """During catch-up the primary-elect answers NotWritablePrimary; a client's write is
    retried and lands only after the catch-up, behind the fetched entry."""
    c, old, fresh, new = _first_slow_case()
    assert c.primary == new and c.writable_primary is None
    bob = c.client("bob", near=new)
    r = bob.put("y", "1")
    assert r.ok and r.node == new
    done = events(c, "catch-up", node=new, action="done")
    assert done and r.latency_ms > 0
    entries = c.backend.nodes[new].oplog.since(0, 10_000)
    keys = [(e.key, e.value) for e in entries if e.op == "put"]
    assert keys.index(("x", "only-on-two")) < keys.index(("y", "1"))
    assert c.rollbacks() == []


def test_catch_up_timeout_gives_up_and_the_fresher_write_is_rolled_back():
    """With catch_up_timeout_ms (MongoDB's catchUpTimeoutMillis) shorter than the sync, the
    new primary stops catching up and the fresher member's extra write is rolled back."""
    c, old, fresh, new = _first_slow_case(catch_up_timeout_ms=100)
    c.run_for(2000)
    assert c.primary == new
    (done,) = events(c, "catch-up", node=new, action="done")
    assert not done.data["caught_up"] and done.data["source"] == fresh, done.data
    assert done.data["elapsed_ms"] == 100 and done.data["given_up"] == (), done.data
    assert [(rb["node"], rb["value"]) for rb in c.rollbacks()] == [(fresh, "only-on-two")]


def test_catch_up_ends_when_the_source_goes_down():
    """MongoDB recomputes the target from the members that are up: if the sync source dies,
    the primary-elect stops waiting for it (after the election timeout) and accepts writes."""
    c, old, fresh, new = _first_slow_case()
    member = c.backend.nodes[new]
    c.sim.run_until(lambda: (member.catch_up or {}).get("source") == fresh, timeout_ms=1000)
    assert member.catch_up["source"] == fresh       # syncing from it (its answer is slow)
    c.crash(fresh)
    start = c.now
    c.sim.run_until(lambda: c.writable_primary is not None, timeout_ms=3000)
    assert c.writable_primary == new
    assert c.now - start <= c.backend.config["election_timeout_ms"] + 2 * \
        c.backend.config["heartbeat_ms"]
    (done,) = events(c, "catch-up", node=new, action="done")
    assert done.data["given_up"] == (fresh,) and not done.data["caught_up"], done.data


def test_catch_up_timeout_option_is_validated():
    with pytest.raises(ConfigError, match="catch_up_timeout_ms.*-5"):
        Cluster(mode="cp", nodes=3, catch_up_timeout_ms=-5)
    assert Cluster(mode="cp", nodes=3, catch_up_timeout_ms=0).backend.config[
        "catch_up_timeout_ms"] == 0


def _primary_crashed_reader_near_a_secondary():
    """x="1" replicated; then the primary crashes. Returns (cluster, old primary, secondary,
    a client near that secondary)."""
    c = cluster(seed=1)
    p = c.primary
    c.client("a", near=p).put("x", "1")
    c.run_for(300)
    s = secondaries(c)[0]
    b = c.client("b", near=s)
    c.crash(p)
    return c, p, s, b


def test_primary_preferred_reads_a_secondary_when_the_primary_is_down():
    """MongoDB: primaryPreferred reads from a secondary if the primary is unavailable."""
    c, p, s, b = _primary_crashed_reader_near_a_secondary()
    r = b.get("x", read_preference="primaryPreferred")
    assert r.ok and r.value == "1" and r.node != p
    # With the primary up, primaryPreferred reads the primary.
    c2 = cluster(seed=1)
    c2.client("a", near=c2.primary).put("x", "1")
    r2 = c2.client("b", near=secondaries(c2)[0]).get("x", read_preference="primaryPreferred")
    assert r2.ok and r2.node == c2.primary


def test_primary_preferred_during_an_election_reads_a_secondary_at_once():
    """While no member knows a primary, primaryPreferred does not wait for the election."""
    c, p, s, b = _primary_crashed_reader_near_a_secondary()
    c.sim.run_until(lambda: c.backend.nodes[s].primary_name is None, timeout_ms=3000)
    assert c.primary is None
    r = b.get("x", read_preference="primaryPreferred")
    assert r.ok and r.node == s and r.latency_ms < 50


def test_priority_takeover_waits_its_delay():
    """MongoDB: a higher-priority member takes over after (rank + 1) x electionTimeoutMillis
    plus its random offset, not on its next heartbeat."""
    c = Cluster(mode="cp", nodes=3, seed=1, priorities={"n1": 5})
    c.crash("n1")
    first = wait_primary(c)
    c.restart("n1")
    restarted = c.now
    c.sim.run_until(lambda: c.primary == "n1", timeout_ms=5000)
    assert c.primary == "n1"
    (start_ms, _, winner, _) = c.elections[-1]
    assert winner == "n1" and first != "n1"
    timeout = c.backend.config["election_timeout_ms"]
    assert start_ms - restarted >= timeout          # rank 0: one election timeout at least
    assert start_ms - restarted <= timeout + c.backend.config["election_jitter_ms"] + 800


def test_writes_fail_during_step_down():
    """MongoDB: all writes to the primary fail from replSetStepDown until a new primary is
    elected; a write sent meanwhile is not applied by the stepping-down member."""
    c = cluster(seed=1)
    p = c.primary
    for s in c.nodes:
        if s != p:
            c.network.set_latency(Uniform(300, 300), src=p, dst=s, kind="Replicate")
    a = c.client("a", near=p)
    a.put("x", "0", w=1)
    h = a.put_async("x", "during", w=1)
    c.step_down(p, catch_up_ms=1000)
    c.sim.run_until(lambda: h.done, timeout_ms=5000)
    term = max(t for (_, _, winner, t) in c.elections if winner == p)
    applied_by_old = [e for e in c.backend.nodes[p].oplog.since(0, 100)
                      if e.value == "during" and e.term == term]
    assert applied_by_old == []
    # Either retried at the new primary, or a definite failure (never applied anywhere).
    assert (h.result.ok and h.result.node != p) or (h.result.outcome == "fail"
                                                     and h.result.definite), h.result


def test_a_source_that_stops_answering_is_given_up():
    """A one-way cut from the primary-elect to its source (the source still heartbeats it, but
    never gets the requests): after an election timeout without an answer, catch-up gives the
    source up and the primary accepts writes (it used to wait forever)."""
    c, old, fresh, new = _first_slow_case()
    member = c.backend.nodes[new]
    c.sim.run_until(lambda: (member.catch_up or {}).get("source") == fresh, timeout_ms=1000)
    c.cut(new, fresh)
    c.sim.run_until(lambda: c.writable_primary is not None, timeout_ms=5000)
    assert c.writable_primary == new
    (done,) = events(c, "catch-up", node=new, action="done")
    assert done.data["given_up"] == (fresh,) and not done.data["caught_up"], done.data
    assert c.client("b", near=new).put("y", "1").ok


def test_freshness_scan_does_not_wait_for_a_crashed_member():
    """Members not heard from within the election timeout are not asked: after the primary
    crashed, the new primary accepts writes a round trip after its election, not a heartbeat."""
    c = cluster(nodes=3, seed=1)
    old = c.primary
    c.client("a", near=old).put("x", "1")
    c.run_for(300)
    c.crash(old)
    wait_primary(c, exclude=(old,), writable=False)
    elected = c.now
    c.sim.run_until(lambda: c.writable_primary is not None, timeout_ms=3000)
    assert c.now - elected < c.backend.config["heartbeat_ms"] / 2
    asked = events(c, "catch-up", node=c.primary, action="asking")[0]
    assert old not in asked.data["asking"] and asked.data["asking"], asked.data


def test_priority_takeover_delay_restarts_for_a_new_primary():
    """A takeover delay counted against one primary does not carry over to its successor:
    the higher-priority member waits a full delay after each new primary."""
    checked = 0
    for seed in range(1, 120):
        c = Cluster(mode="cp", nodes=3, seed=seed, priorities={"n1": 2})
        wait_primary(c)
        c.crash("n1")
        first = wait_primary(c)
        c.restart("n1")
        n1 = c.backend.nodes["n1"]
        c.sim.run_until(lambda: n1.pending_takeover is not None, timeout_ms=3000)
        if n1.pending_takeover is None:
            continue
        c.run_for(c.sim.rng("test").randint(0, 900))
        c.crash(first)
        c.sim.run_until(lambda: c.writable_primary not in (None, first), timeout_ms=5000)
        if c.primary == "n1":
            continue
        elected = c.elections[-1][1]
        c.sim.run_until(lambda: c.primary == "n1", timeout_ms=6000)
        dry_runs = [e.time_ms for e in events(c, "election", node="n1", since_ms=elected + 1,
                                              action="dry_run", takeover=True)]
        assert dry_runs and dry_runs[0] - elected >= c.backend.config["election_timeout_ms"], \
            f"seed {seed}"
        checked += 1
    assert checked >= 5


def test_primary_preferred_during_catch_up_reads_a_secondary_quickly():
    """While the new primary catches up it answers no reads; primaryPreferred goes to a
    secondary at once instead of bouncing off the primary-elect or waiting on a dead member."""
    c, old, fresh, new = _first_slow_case()
    assert c.writable_primary is None
    s = next(n for n in c.nodes if n not in (old, new) and c.backend.nodes[n].up)
    c.sim.run_until(lambda: c.backend.nodes[s].primary_name == new, timeout_ms=500)
    r = c.client("b", near=s).get("x", read_preference="primaryPreferred")
    assert r.ok and r.node != new and r.latency_ms < 100, r
