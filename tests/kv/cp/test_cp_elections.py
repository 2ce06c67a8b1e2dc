"""Elections: start-up, freshness, one vote per term, priorities, stepping down."""

from caplab.kv import Cluster
from caplab.kv.cp.messages import RequestVote
from caplab.kv.probes import events

from helpers_cp import cluster, primaries_by_term, primary_intervals, secondaries, wait_primary


def test_election_at_start_and_first_put_works():
    """A fresh set elects a primary after one election timeout; a put right away succeeds."""
    c = Cluster(mode="cp", nodes=3, seed=1)
    assert c.primary is None and set(c.roles().values()) == {"secondary"}
    r = c.client("alice", near="n1").put("x", "1")
    assert r.ok and r.node == c.primary
    (start_ms, end_ms, winner, term), = c.elections
    assert winner == c.primary and term == 1
    assert 1000 <= start_ms <= end_ms <= 1000 + 150 + 50


def _lagging_then_crash(seed, **options):
    """The primary's messages to one secondary are cut; a majority write; the primary crashes."""
    c = cluster(seed=seed, **options)
    p = c.primary
    lagging, fresh = secondaries(c)
    writer = c.client("w", near=p)
    c.cut(p, lagging)                        # the lagging member misses the next write
    assert writer.put("x", "new", w="majority").ok
    c.crash(p)
    c.heal()
    return c, p, lagging, fresh


def test_most_up_to_date_secondary_wins():
    """After the primary dies, the secondary holding the newest write becomes primary.

    Chaining off: with MongoDB's default chained replication the lagging member fetches the
    write from the fresh one before the election (the next test), and either may win."""
    for seed in range(1, 6):
        c, p, lagging, fresh = _lagging_then_crash(seed, chaining_allowed=False)
        assert wait_primary(c, exclude=(p,)) == fresh, f"seed {seed}"


def test_with_chaining_the_lagging_secondary_fetches_the_write_before_the_election():
    """MongoDB's default (chainingAllowed): the lagging member syncs from the fresh secondary,
    so whichever wins holds the majority write and nothing is rolled back."""
    for seed in range(1, 6):
        c, p, lagging, fresh = _lagging_then_crash(seed)
        new = wait_primary(c, exclude=(p,))
        (source,) = events(c, "replication", node=lagging, action="sync_source")
        assert source.data["source"] == fresh and source.time_ms < c.elections[-1][0]
        assert any(e.value == "new" for e in c.backend.oplog(new)), f"seed {seed}"
        assert c.rollbacks() == []


def test_vote_refused_to_staler_candidate():
    """A voter refuses a candidate whose last optime is older than its own, and keeps its vote."""
    c = cluster()
    c.client("a", near=c.primary).put("x", "1", w="majority")
    voter = c.backend.nodes[secondaries(c)[0]]
    stale = RequestVote(voter.term + 1, "n9", (0, 0), False, False)
    voter.handle_request_vote(stale, c.primary)
    assert voter.voted_for is None
    refusals = events(c, "election", node=voter.name, action="vote", candidate="n9",
                      granted=False, dry_run=False)
    assert refusals and "older than mine" in refusals[-1].data["reason"]


def test_one_vote_per_term_survives_crash():
    """The vote is durable: after a crash a member still refuses a second candidate in that term."""
    c = cluster()
    voter = c.backend.nodes[secondaries(c)[0]]
    first, second = [n for n in c.nodes if n != voter.name]
    term = voter.term + 5
    voter.handle_request_vote(RequestVote(term, first, (99, 99), False, False), first)
    assert voter.voted_for == first
    c.crash(voter.name)
    c.restart(voter.name)
    assert (voter.term, voter.voted_for) == (term, first)
    granted, reason = voter.vote_verdict(RequestVote(term, second, (99, 99), False, False))
    assert not granted and "already voted" in reason


def test_priority_zero_never_becomes_primary():
    """Members with priority 0 never call an election, even when no one else can be primary."""
    c = cluster(priorities={"n1": 0, "n2": 0})
    assert c.primary == "n3"
    c.crash("n3")
    c.run_for(5000)
    assert c.primary is None
    assert set(primary_intervals(c)) == {"n3"}
    c.restart("n3")
    assert wait_primary(c) == "n3"


def test_priority_takeover():
    """A caught-up member with a higher priority than the primary takes over."""
    c = Cluster(mode="cp", nodes=3, seed=2, priorities={"n3": 2})
    c.crash("n3")
    first = wait_primary(c)
    assert first in ("n1", "n2")
    c.client("a", near=first).put("x", "1")
    c.restart("n3")
    c.run_for(2000)
    assert c.primary == "n3"
    assert c.client("a").get("x").value == "1"
    assert events(c, "election", node="n3", action="takeover_scheduled", primary=first)
    assert events(c, "election", node="n3", action="dry_run", takeover=True)


def test_isolated_primary_steps_down_and_majority_elects():
    """An isolated primary steps down within about an election timeout; the rest elect."""
    c = cluster(seed=3)
    old = c.primary
    t0 = c.now
    c.isolate(old)
    new = wait_primary(c, exclude=(old,))
    assert new is not None
    c.sim.run_until(lambda: c.roles()[old] == "secondary", timeout_ms=3000)
    assert c.roles()[old] == "secondary"
    (start, end), = [iv for iv in primary_intervals(c)[old]]
    assert end - t0 <= 1000 + 200 + 10
    (became,) = events(c, "role", node=old, role="primary")
    stepdown = events(c, "role", node=old, previous="primary")[0]
    # in its own term: it lost sight of a majority, no higher term deposed it
    assert stepdown.time_ms == end and stepdown.data["term"] == became.data["term"]


def test_at_most_one_primary_per_term_after_partitions():
    """Partitions and heals never give two members the same primary term."""
    c = cluster(nodes=5, seed=4)
    for groups in ([["n1", "n2"], ["n3", "n4", "n5"]], [["n1", "n4", "n5"], ["n2", "n3"]]):
        c.partition(*groups)
        c.run_for(2500)
        c.heal()
        c.run_for(1500)
    assert all(len(nodes) == 1 for nodes in primaries_by_term(c).values())
    assert len(primaries_by_term(c)) >= 2
