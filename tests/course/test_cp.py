"""Every claim of notebook 03 (CP in depth), with the seeds it uses, and on more seeds where
the claim holds in general."""

from __future__ import annotations

import pytest

from caplab.check import check_linearizability, check_lost_writes, check_stale_reads
from caplab.course.cp import election_window, failover, stale_secondary_read, write_concern
from caplab.frames import history_frame

SEEDS = [1, 2, 3, 4, 5]


@pytest.fixture(scope="module")
def window():
    return election_window(seed=3)


@pytest.fixture(scope="module")
def wc():
    return write_concern(seed=1)


@pytest.fixture(scope="module")
def stale():
    return stale_secondary_read(seed=1)


@pytest.fixture(scope="module")
def w1():
    return failover(seed=1, w=1)


@pytest.fixture(scope="module")
def wmaj():
    return failover(seed=1, w="majority")


# -- elections and the unavailability window -------------------------------------------------
def test_a_new_primary_is_elected_after_the_crash(window):
    """'A secondary becomes primary in term 2.'"""
    assert window.new_primary != window.old_primary and window.term == 2


def test_election_starts_after_the_election_timeout(window):
    """'The election starts about one election timeout after the crash; it takes a few ms.'"""
    assert 800 <= window.detection_ms <= 1400
    assert window.election_ms < 50


def test_writes_are_refused_during_the_window(window):
    """'Writes were refused from the crash until the first acknowledged write, > 1 s later.'"""
    assert window.refused >= 1
    assert window.window_ms >= window.elected_ms - window.fault_ms >= 800
    frame = history_frame(window.cluster.history)
    during = frame[(frame.invoke_ms >= window.fault_ms) & (frame.complete_ms < window.first_ok_ms)
                   & (frame.op == "put")]
    assert (during.outcome != "ok").all()


def test_refused_writes_are_indefinite_timeouts(window):
    """'The writer's requests to the dead primary time out: indefinite, not definite.'"""
    assert window.refused_indefinite == window.refused and window.refused_definite == 0
    assert all("indefinite" in e for e in window.first_errors)


def test_window_writes_give_up_before_the_driver_retries(window):
    """Notebook 03 §1: caplab's driver retries a write (MongoDB retryable writes) after a
    redirect, a step-down, or no answer for the election timeout plus two heartbeats, but "each
    write gives up after 300 ms, before that retry starts, so the window is visible": every
    refused write was sent once, plus once per "not primary" reply it got, and then timed out."""
    config = window.cluster.backend.config
    assert config["retry_writes"]                         # the default, not switched off here
    assert 300 < config["election_timeout_ms"] + 2 * config["heartbeat_ms"]
    refused = {o.id for o in window.cluster.history.ops if o.op == "put" and o.outcome != "ok"
               and o.invoke_ms >= window.fault_ms}
    assert refused
    sent = {i: 0 for i in refused}
    redirects = {i: 0 for i in refused}
    for e in window.cluster.sim.trace.events:
        op_id = getattr(e.msg, "op_id", None)
        if op_id not in refused:
            continue
        name = type(e.msg).__name__
        if e.kind == "send" and name == "WriteRequest":
            sent[op_id] += 1
        elif e.kind == "deliver" and name == "WriteReply" and e.msg.status == "not_primary":
            redirects[op_id] += 1
    assert all(sent[i] == 1 + redirects[i] for i in refused), (sent, redirects)
    assert all("timeout" in o.error and o.complete_ms - o.invoke_ms <= 300
               for o in window.cluster.history.ops if o.id in refused)


@pytest.mark.parametrize("seed", SEEDS)
def test_unavailability_window_on_other_seeds(seed):
    """The window is at least one election timeout, and at most one election timeout (plus its
    random offset) per election round (a split vote, term 3, costs another round), plus the
    writer's 300 ms timeout on the dead primary and ~100 ms of voting and catch-up."""
    w = election_window(seed=seed)
    config = w.cluster.backend.config
    rounds = w.term - 1
    assert w.refused >= 1 and rounds >= 1
    assert 1000 <= w.window_ms <= rounds * (config["election_timeout_ms"]
                                            + config["election_jitter_ms"]) + 400


# -- write concern ------------------------------------------------------------------------------
def test_majority_writes_cost_a_round_trip_more(wc):
    """'w=1 is answered after the primary applies the write; w="majority" waits for a
    secondary too, so it is slower.'"""
    lat = wc.median_latency_ms
    assert lat[1] < lat["majority"] and lat[1] < lat[2] <= lat[3]


def test_wtimeout_is_an_indefinite_error(wc):
    """'The w:"majority" write with wtimeout returns an error that says it may have happened.'"""
    r = wc.timed_out
    assert r.outcome == "info" and "wtimeout" in r.error and "indefinite" in r.error
    assert "not undone" in r.error


def test_wtimeout_does_not_undo_the_write(wc):
    """'During the cut the primary holds the value; after the heal every node does and it is
    majority-committed; a majority read returns it.'"""
    assert wc.held_by_during == [wc.primary]
    assert wc.held_by_after == sorted(wc.cluster.nodes)
    assert wc.committed_after
    assert wc.read_after_heal.ok and wc.read_after_heal.value == "maybe"


def test_a_cut_shorter_than_the_election_timeout_elects_nobody(wc):
    """'The primary is cut off for 500 ms (less than the election timeout: no election)': the
    start-up election is the only one, and the primary keeps its role (MongoDB: members call an
    election only after electionTimeoutMillis without hearing the primary)."""
    assert len(wc.cluster.backend.elections) == 1
    assert wc.cluster.primary == wc.primary


@pytest.mark.parametrize("seed", SEEDS)
def test_wtimeout_then_commit_on_other_seeds(seed):
    """A wtimeout followed by a short heal commits the write, for every seed."""
    f = write_concern(seed=seed, writes=5)
    assert f.timed_out.outcome == "info" and f.committed_after


# -- stale secondary reads ---------------------------------------------------------------------
def test_majority_write_succeeds_without_the_lagging_secondary(stale):
    """'The write of "new" is majority-acknowledged by the primary and the fresh secondary.'"""
    assert stale.write.ok


def test_lagging_secondary_serves_the_old_value(stale):
    """'A secondary read at the lagging node returns "old"; at the fresh one, "new".'"""
    assert stale.lagging_read.ok and stale.lagging_read.node == stale.lagging
    assert stale.lagging_read.value == "old"
    assert stale.fresh_read.value == "new" and stale.fresh_read.node == stale.fresh
    assert stale.primary_read.value == "new" and stale.primary_read.node == stale.primary


def test_stale_secondary_read_is_not_linearizable(stale):
    """'The checker: the secondary read is stale and the history is not linearizable.'"""
    assert check_linearizability(stale.cluster.history).verdict == "not linearizable"
    assert [r.value for r in check_stale_reads(stale.cluster.history).stale] == ["old"]


@pytest.mark.parametrize("seed", SEEDS)
def test_stale_secondary_read_on_other_seeds(seed):
    """The lagging secondary serves "old" for every seed."""
    s = stale_secondary_read(seed=seed)
    assert s.lagging_read.value == "old" and s.primary_read.value == "new"


@pytest.mark.parametrize("seed", SEEDS)
def test_the_lagging_secondary_catches_up_through_the_other(seed):
    """'With chained replication (MongoDB's default) the lagging secondary syncs from the
    other one and holds "new" while the cut is still there' (MongoDB manual, "Manage Chained
    Replication": chaining is enabled by default)."""
    s = stale_secondary_read(seed=seed)
    assert s.synced_from == s.fresh and s.caught_up
    assert (s.primary, s.lagging) in s.cluster.network.cuts()


# -- rollback of a w:1 write ---------------------------------------------------------------------
def test_w1_write_is_acknowledged_by_the_cut_off_primary(w1):
    """'The cut-off primary acknowledges Alice's w:1 write of "lost".'"""
    assert w1.base.ok and w1.write.ok and w1.write.node == w1.old_primary


def test_read_concerns_on_the_cut_off_primary(w1):
    """'local returns "lost"; majority returns "base"; linearizable fails (definite).'"""
    assert w1.local_read.ok and w1.local_read.value == "lost"
    assert w1.majority_read.ok and w1.majority_read.value == "base"
    assert w1.linearizable_read.outcome == "fail"
    assert "stepped down" in w1.linearizable_read.error


def test_state_before_heal_diverges(w1):
    """'Before the heal the old primary holds "lost"; the two others hold "base".'"""
    x = {r["node"]: r["value"] for r in w1.state_before_heal if r["key"] == "x"}
    assert x[w1.old_primary] == "lost"
    assert {v for n, v in x.items() if n != w1.old_primary} == {"base"}


def test_w1_write_is_rolled_back(w1):
    """'After the heal the old primary rolls back "lost"; every node holds "base".'"""
    assert [(r["node"], r["key"], r["value"]) for r in w1.rollbacks] == \
        [(w1.old_primary, "x", "lost")]
    assert w1.rollbacks[0]["time_ms"] >= w1.heal_ms
    assert {r["value"] for r in w1.state_after_heal if r["key"] == "x"} == {"base"}
    assert w1.read_after.value == "base"


def test_checkers_catch_the_lost_w1_write(w1):
    """'check_lost_writes finds the acknowledged write lost; the history is not linearizable.'"""
    assert w1.lost_writes.verdict == "violated"
    assert [x.value for x in w1.lost_writes.lost] == ["lost"]
    assert w1.linearizability.verdict == "not linearizable"


@pytest.mark.parametrize("seed", SEEDS)
def test_w1_rollback_on_other_seeds(seed):
    """An acknowledged w:1 write on a cut-off primary is rolled back for every seed."""
    f = failover(seed=seed, w=1)
    assert f.write.ok and f.rolled_back_values == ["lost"] and f.read_after.value == "base"
    assert not check_lost_writes(f.cluster.history,
                                 final_state={"x": [f.read_after.value]}).ok


# -- w:"majority" survives -------------------------------------------------------------------------
def test_majority_write_on_cut_off_primary_is_never_acknowledged(wmaj):
    """'With w:"majority" the cut-off primary cannot acknowledge: the answer is indefinite.'"""
    assert wmaj.write.outcome == "info" and "indefinite" in wmaj.write.error


def test_majority_rollback_breaks_no_promise(wmaj):
    """'The unacknowledged write is rolled back too, but no acknowledged write is lost and the
    history is linearizable.'"""
    assert wmaj.rolled_back_values == ["lost"]
    assert wmaj.lost_writes.ok
    assert wmaj.linearizability.verdict == "linearizable"
    assert wmaj.read_after.value == "base"


@pytest.mark.parametrize("seed", SEEDS)
def test_majority_acknowledged_writes_survive_on_other_seeds(seed):
    """No w:"majority"-acknowledged write is rolled back, for every seed."""
    f = failover(seed=seed, w="majority")
    frame = history_frame(f.cluster.history)
    acked = set(frame[(frame.op == "put") & (frame.outcome == "ok")].value)
    assert not acked & set(f.rolled_back_values)
    assert f.lost_writes.ok and f.linearizability.ok


# -- the catch-up phase (notebook 03, "In between: w: 2 of five") -------------------------------
def test_with_chaining_the_w2_write_spreads_before_the_election():
    """'With MongoDB's defaults the other members fetch the w: 2 write from the fresh secondary
    (chained replication) before the election: nothing to catch up, nothing rolled back.'"""
    from caplab.course.cp import catch_up
    for seed in SEEDS:
        cu = catch_up(seed=seed)
        assert cu.write.ok and cu.synced_from is None and cu.rolled_back_values == []
        assert set(cu.chained) == set(cu.values) - {cu.fresh}, f"seed {seed}"
        assert set(cu.values.values()) == {"two"}


def test_catch_up_rescues_a_w2_write_a_reachable_member_holds():
    """'A member without the write can win ... Not here: the new primary catches up' (seed 1,
    chaining off: chained replication would have spread the write before the election)."""
    from caplab.course.cp import catch_up
    cu = catch_up(seed=1, chaining_allowed=False)
    assert cu.chained == ()
    assert cu.write.ok and cu.new_primary != cu.fresh
    assert cu.synced_from == cu.fresh and cu.catch_up_log    # the log: text, for people
    assert cu.rolled_back_values == [] and set(cu.values.values()) == {"two"}
    assert len(cu.values) == 4      # every member that is up


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_catch_up_is_best_effort(seed):
    """'Crash the fresh secondary together with the primary': the acknowledged w:2 write is
    rolled back when it returns; with it reachable, nothing is rolled back (every seed)."""
    from caplab.course.cp import catch_up
    reachable = catch_up(seed=seed)
    assert reachable.write.ok and reachable.rolled_back_values == []
    gone = catch_up(seed=seed, fresh_reachable=False)
    assert gone.write.ok and gone.rolled_back_values == ["two"]
    assert set(gone.values.values()) == {"base"}


# -- partial partitions (notebook 03, section 1) ------------------------------------------------
def test_partial_partition_flaps_with_chaining():
    """'It does, and then it changes back': with MongoDB's defaults the cut secondary wins
    term 2 and the deposed primary, synced through the third member, wins term 3 (seed 1)."""
    from caplab.course.cp import partial_partition
    pp = partial_partition(seed=1)
    assert pp.new_primary == pp.cut_secondary != pp.old_primary
    assert pp.primaries[:3] == ((1, pp.old_primary), (2, pp.cut_secondary), (3, pp.old_primary))


def test_partial_partition_without_chaining_sticks():
    """'Turn chaining off ... the first change sticks' (seed 1); with Raft's pre-vote nothing
    changes at all."""
    from caplab.course.cp import partial_partition
    no_chain = partial_partition(seed=1, chaining_allowed=False)
    assert no_chain.terms == (1, 2) and no_chain.new_primary == no_chain.cut_secondary
    raft = partial_partition(seed=1, dry_run_rule="raft_prevote")
    assert raft.terms == (1,) and raft.new_primary is None
