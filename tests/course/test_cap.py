"""Every claim of notebooks 01 (start here) and 02 (CAP in practice), with the seeds they use,
and on more seeds where the claim holds in general."""

from __future__ import annotations

import pytest

from caplab.check import check_linearizability, check_stale_reads
from caplab.errors import ConfigError
from caplab.course.cap import cap_side_by_side, first_partition
from caplab.frames import history_frame
from caplab.kv.probes import events, step_down_ms

SEEDS = [1, 2, 3, 4, 5]
#: notebook 02's seed (``SEED = 5``): its text and its verify() calls describe this run
NB02_SEED = 5


@pytest.fixture(scope="module")
def first():
    return first_partition(seed=1)


@pytest.fixture(scope="module")
def cmp():
    return cap_side_by_side(seed=NB02_SEED)


# -- notebook 01 -----------------------------------------------------------------------------
def test_first_write_is_acknowledged_by_the_primary(first):
    """'Alice's first write is acknowledged by the primary.'"""
    assert first.write.ok and first.write.node == first.first_primary


def test_cut_off_write_is_not_acknowledged(first):
    """'On the cut-off side, Alice's write is never acknowledged: the answer is indefinite.'"""
    r = first.cut_off_write
    assert not r.ok and r.outcome == "info" and "indefinite" in r.error


def test_cut_off_write_is_retried_once_after_the_step_down(first):
    """'Her driver retried the write once at another member, the one the result names, which she
    cannot reach either' (retryable writes: MongoDB drivers retry a write once after a
    step-down, https://www.mongodb.com/docs/manual/core/retryable-writes/)."""
    op = next(o for o in first.cluster.history if o.client == "alice" and o.input == 2)
    retries = events(first.cluster, "client", node="alice", action="retry_write", op_id=op.id)
    assert len(retries) == 1
    assert retries[0].time_ms >= first.old_primary_step_down_ms
    assert retries[0].peer == first.cut_off_write.node != first.first_primary


def test_cut_off_primary_steps_down(first):
    """'The cut-off primary steps down about one election timeout after the cut.'"""
    assert first.old_primary_step_down_ms is not None
    assert 800 <= first.old_primary_step_down_ms - first.isolate_ms <= 1400


def test_majority_elects_a_new_primary(first):
    """'The two nodes of the majority elect a new primary, in term 2, about one election
    timeout (1 s, counted from the last heartbeat heard, plus a random offset) after the cut.'"""
    assert first.new_primary not in (None, first.first_primary)
    assert first.new_primary_term == 2
    assert 800 <= first.election_after_cut_ms <= 1400


def test_majority_side_accepts_writes(first):
    """'Bob, on the majority side, writes x=3 through the new primary.'"""
    assert first.majority_write.ok and first.majority_write.node == first.new_primary


def test_after_heal_one_primary_and_one_value(first):
    """'After the heal there is one primary, the old one is a secondary, every node holds x=3.'"""
    roles = first.roles_after_heal
    assert [n for n, r in roles.items() if r == "primary"] == [first.new_primary]
    assert roles[first.first_primary] == "secondary"
    assert set(first.values_after_heal.values()) == {3} and len(first.values_after_heal) == 3


def test_unacknowledged_write_is_rolled_back(first):
    """'Alice's unacknowledged x=2 was rolled back on the old primary.'"""
    assert [(r["node"], r["key"], r["value"]) for r in first.rolled_back] == \
        [(first.first_primary, "x", 2)]


def test_first_partition_stages_are_snapshots(first):
    """The six pictures of notebook 01 are taken at six moments, with the roles of each."""
    assert len(first.stages) == 6
    roles = [data["roles"] for _, data in first.stages]
    assert roles[0][first.first_primary] == "primary"
    assert roles[3][first.new_primary] == "primary"
    assert first.stages[2][1]["cut_pairs"] and not first.stages[5][1]["cut_pairs"]


@pytest.mark.parametrize("seed", SEEDS)
def test_first_partition_story_holds_for_other_seeds(seed):
    """The story of notebook 01 does not depend on a lucky seed."""
    f = first_partition(seed=seed)
    assert f.write.ok and f.cut_off_write.outcome == "info"
    assert f.new_primary not in (None, f.first_primary) and f.majority_write.ok
    # About one election timeout; two when both secondaries stood at once and split the vote
    # (seed 4, term 2: each voted for itself), as MongoDB's random election offset makes rare,
    # not impossible (manual, "Replica Set Elections": electionTimeoutMillis plus a random offset)
    split = [e for e in f.cluster.sim.trace.of_kind("election")
             if "already voted" in e.detail and e.time_ms > f.isolate_ms]
    if f.new_primary_term == 2:
        assert 800 <= f.election_after_cut_ms <= 1400 and not split
    else:
        assert f.new_primary_term == 3 and split and 1800 <= f.election_after_cut_ms <= 2600
    assert set(f.values_after_heal.values()) == {3}
    assert [r["value"] for r in f.rolled_back] == [2]


# -- notebook 02 -----------------------------------------------------------------------------
def test_same_fault_schedule_on_both(cmp):
    """'Both clusters ran the same schedule: isolate the CP primary, then heal.'"""
    assert cmp.schedule == [(cmp.split_ms, "isolate", cmp.victim), (cmp.heal_ms, "heal")]
    # the node isolated really was the CP cluster's primary when the split came
    splits = events(cmp.cp.cluster, "role", node=cmp.victim, role="primary")
    assert splits and splits[0].time_ms < cmp.split_ms
    assert len(cmp.minority_clients) == 1 and len(cmp.majority_clients) == 2


def test_ca_ran_the_same_schedule_with_its_source_on_the_majority_side(cmp):
    """'The CA topology ran the same schedule; its source sits on the majority side, so the
    cut-off node is one of its replicas; nobody promoted anyone.'"""
    ca = cmp.ca.cluster
    assert cmp.ca_primary != cmp.victim and ca.primary == cmp.ca_primary
    assert ca.promotions() == [] and ca.roles()[cmp.ca_primary] == "primary"
    assert [e.detail for e in ca.sim.trace.of_kind("nemesis")] == \
        [e.detail for e in cmp.cp.cluster.sim.trace.of_kind("nemesis")] == \
        [f"isolate {cmp.victim}", "heal"]


def test_cp_minority_side_refuses_writes(cmp):
    """'On the CP side, no write from the cut-off client is acknowledged during the split.'"""
    assert cmp.cp.minority_writes >= 1 and cmp.cp.minority_writes_ok == 0


def test_ap_minority_side_answers_everything(cmp):
    """'On the AP side, every operation of every client is answered ok (a few invoked just
    before the heal are answered just after it).'"""
    assert cmp.ap.minority_ops > 0 and cmp.ap.minority_ok_share >= 0.9
    assert cmp.ap.majority_ok_share >= 0.9
    assert cmp.ap.ok == cmp.ap.ops and cmp.ap.fail == cmp.ap.info == 0


def test_cp_majority_side_keeps_working(cmp):
    """'On the CP side, the majority clients keep working after the election.'"""
    assert cmp.cp.majority_ok_share > 0.8


def test_cp_is_linearizable_ap_is_not(cmp):
    """'The checker: CP's history is linearizable, AP's is not.'"""
    assert cmp.cp.linearizable == "linearizable"
    assert cmp.ap.linearizable == "not linearizable"
    assert check_linearizability(cmp.ap.history).verdict == "not linearizable"


def test_ap_serves_stale_reads_cp_does_not(cmp):
    """'AP served stale reads; CP served none.'"""
    assert cmp.ap.stale_reads > 0 and cmp.cp.stale_reads == 0
    assert len(check_stale_reads(cmp.ap.history).stale) == cmp.ap.stale_reads


def test_ap_accepts_conflicting_writes(cmp):
    """'Both sides of the AP ring accepted writes to the same keys; at the heal the replicas
    disagreed; afterwards they agree again (last write wins).'"""
    assert cmp.ap.conflicting_keys == ["k1", "k2"]
    assert cmp.ap.divergent_keys_at_heal == ["k1", "k2"]
    assert all(len(set(v.values())) == 1 for v in cmp.ap.values_after.values())
    assert cmp.cp.conflicting_keys == []


def test_ap_replicas_catch_up_by_hinted_handoff(cmp):
    """Notebook 02: "after the heal, hints replay the missed writes": the AP ring stored hints
    for the replicas it could not reach and replayed every one of them."""
    counters = cmp.ap.cluster.backend.counters
    assert counters["hints_stored"] > 0
    assert counters["hints_replayed"] == counters["hints_stored"]


def test_no_acknowledged_write_lost_in_either(cmp):
    """'With synchronised clocks neither cluster lost an acknowledged write (by the checker).'"""
    assert cmp.cp.lost_writes == 0 and cmp.ap.lost_writes == 0


def test_cp_rollbacks_were_never_acknowledged(cmp):
    """'What the cut-off node holds that the majority lacks never reached a majority and is
    rolled back; the driver retried each such write once at the new primary, and a retry that
    landed was acknowledged there and applied once.' (MongoDB, Retryable Writes: the server
    applies a retried statement once.)"""
    c = cmp.cp.cluster
    rb = c.rollbacks()
    assert cmp.cp.rolled_back == len(rb) >= 1
    frame = history_frame(cmp.cp.history)
    puts = frame[frame.op == "put"]
    acked = set(zip(puts[puts.outcome == "ok"].key, puts[puts.outcome == "ok"].value))
    held = [(e.key, e.value) for e in c.backend.nodes[c.primary].oplog.entries if e.op == "put"]
    retried = {e.data["op_id"]: e.peer for e in c.sim.trace.of_kind("client")
               if e.data.get("action") == "retry_write"}
    for r in rb:
        assert r["node"] == cmp.victim
        op = next(o for o in cmp.cp.history if o.op == "put" and o.key == r["key"]
                  and o.input == r["value"])
        assert retried.get(op.id) == c.primary       # retried once, at the new primary
        if (r["key"], r["value"]) in acked:          # acknowledged by the retry, applied once
            assert held.count((r["key"], r["value"])) == 1


def test_cp_overall_share_hides_the_outage(cmp):
    """'Counted over all operations, CP looks almost fully available: the blocked client issued
    few operations.'"""
    assert cmp.cp.ok_share > 0.9
    assert cmp.cp.minority_ops < cmp.ap.minority_ops / 5


@pytest.mark.parametrize("seed", SEEDS)
def test_cap_trade_off_holds_for_other_seeds(seed):
    """CP refuses minority writes and stays linearizable; AP answers all and is not."""
    c = cap_side_by_side(seed=seed)
    assert c.cp.minority_writes_ok == 0 and c.cp.linearizable == "linearizable"
    assert c.cp.stale_reads == 0 and c.cp.lost_writes == 0
    assert c.ap.minority_ok_share >= 0.9 and c.ap.ok == c.ap.ops
    assert c.ap.linearizable == "not linearizable" and c.ap.stale_reads > 0
    assert c.ap.conflicting_keys


# -- notebook 02: the CA column ----------------------------------------------------------------
def test_ca_cut_off_client_cannot_write(cmp):
    """'CA: no write from the cut-off client is acknowledged: it cannot reach the source (a
    connection that cannot be opened is a definite error; one lost mid-statement is not).'"""
    s = cmp.ca
    assert s.minority_writes >= 1 and s.minority_writes_ok == 0
    frame = history_frame(s.history)
    writes = frame[frame.client.isin(cmp.minority_clients) & (frame.op == "put")
                   & (frame.invoke_ms >= cmp.split_ms) & (frame.invoke_ms < cmp.heal_ms)]
    assert set(writes.outcome) <= {"fail", "info"} and (writes.outcome == "fail").any()
    assert all("definite: nothing was sent" in e for e in writes[writes.outcome == "fail"].error)


def test_ca_cut_off_client_reads_stale_data_from_its_replica(cmp):
    """'CA: the cut-off client's reads are answered by its replica, and the checker finds some
    of them stale: the replica is as far behind as the partition is long.'"""
    s = cmp.ca
    assert s.minority_reads_ok > 0 and s.minority_stale_reads >= 1
    assert s.lag_at_heal[cmp.victim] >= 0.9 * (cmp.heal_ms - cmp.split_ms)
    others = [n for n in s.lag_at_heal if n != cmp.victim]
    assert others and all(s.lag_at_heal[n] < 100 for n in others)


def test_ca_majority_side_keeps_working_and_is_not_linearizable(cmp):
    """'CA: the source's side (the majority here) keeps working; the history is not
    linearizable, because of the stale replica reads.'"""
    s = cmp.ca
    assert s.majority_ok_share > 0.9 and s.majority_writes_ok == s.majority_writes > 0
    assert s.linearizable == "not linearizable" and s.stale_reads > 0


def test_ca_after_the_heal_the_replica_catches_up_and_nothing_is_lost(cmp):
    """'After the heal the cut-off replica catches up: every node agrees; no acknowledged write
    is lost and nothing is discarded, because nobody promoted a replica.'"""
    s = cmp.ca
    assert all(len(set(v.values())) == 1 and len(v) == 3 for v in s.values_after.values())
    assert s.divergent_keys_at_heal and s.lost_writes == 0 and s.rolled_back == 0
    assert s.conflicting_keys == []


@pytest.fixture(scope="module")
def ca_source_cut_off():
    return cap_side_by_side(seed=NB02_SEED, ca_source_cut_off=True)


def test_ca_with_its_source_cut_off_the_majority_cannot_write(ca_source_cut_off):
    """'Break it: cut the CA source off instead. The two-node majority cannot write for the
    whole partition, nobody fails over, and whatever the source's side wrote was acknowledged.'"""
    cmp = ca_source_cut_off
    s = cmp.ca
    assert cmp.ca_primary == cmp.victim and s.cluster.promotions() == []
    assert s.majority_writes > 0 and s.majority_writes_ok == 0
    assert s.minority_writes_ok == s.minority_writes
    assert s.cluster.roles() == {n: ("primary" if n == cmp.victim else "replica")
                                 for n in s.cluster.nodes}


@pytest.mark.parametrize("seed", SEEDS)
def test_ca_story_holds_for_other_seeds(seed):
    """CA refuses the cut-off client's writes, serves it stale reads, keeps the source's side
    working, and is not linearizable, on every seed."""
    s = cap_side_by_side(seed=seed).ca
    assert s.minority_writes_ok == 0 and s.minority_stale_reads >= 1
    assert s.majority_ok_share > 0.9 and s.linearizable == "not linearizable"
    assert s.lost_writes == 0 and s.rolled_back == 0


def test_ap_with_quorums_refuses_on_the_minority_side():
    """'AP with QUORUM reads and writes refuses the cut-off client too.'"""
    s = cap_side_by_side(seed=NB02_SEED, ap_options={"write_consistency": "quorum",
                                             "read_consistency": "quorum"}).ap
    assert s.minority_ops > 0 and s.minority_ok == 0


def test_cp_with_linearizable_reads_answers_the_cut_off_client_nothing(cmp):
    """'It answered no read either: a linearizable read must be confirmed by a majority.'"""
    assert cmp.cp.minority_ops > 0 and cmp.cp.minority_ok == 0
    assert all(op.options.get("read_concern") == "linearizable"
               for op in cmp.cp.history if op.op == "get")


@pytest.fixture(scope="module")
def local_reads():
    return cap_side_by_side(seed=NB02_SEED, cp_options={"read_concern": "local",
                                                        "retry_writes": False},
                            cut_off_reader=True)


def test_cp_local_reads_with_retries_are_dirty_but_the_history_is_linearizable():
    """'With retryable writes on, the same dirty read happens; the driver retries the write once,
    and the checker finds the history linearizable: the anomaly is hidden, not prevented.'"""
    s = cap_side_by_side(seed=NB02_SEED, cp_options={"read_concern": "local"},
                         cut_off_reader=True).cp
    assert s.rolled_back_reads and s.linearizable == "linearizable"
    _, key, value, _ = s.rolled_back_reads[0]
    write = next(op for op in s.history if op.op == "put" and op.key == key and op.input == value)
    assert write.outcome in ("ok", "info")                   # never acknowledged by the old primary
    retried = [e for e in s.cluster.sim.trace.of_kind("client")
               if e.data.get("action") == "retry_write" and e.data.get("op_id") == write.id]
    assert retried


def test_cut_off_client_spends_the_split_waiting_on_its_writes(local_reads):
    """'Break it': the cut-off client (not the reader) spends the split waiting on writes the
    cut-off primary cannot get a majority for, so it reads nothing there (MongoDB: a
    w: "majority" write waits for a majority of the voting members)."""
    s = local_reads
    frame = history_frame(s.cp.history)
    ops = frame[frame.client.isin([c for c in s.minority_clients if c != "reader"])
                & (frame.invoke_ms >= s.split_ms) & (frame.invoke_ms < s.heal_ms)]
    assert len(ops) >= 1 and (ops.op == "put").all()
    assert not ((ops.outcome == "ok") & (ops.complete_ms < s.heal_ms)).any()


def test_cp_local_reads_are_dirty_and_not_linearizable(local_reads):
    """'Break it': with read concern local (and no retryable writes) the deposed primary answers
    reads before it steps down, one of them returns a write later rolled back, and the history
    is not linearizable."""
    s = local_reads
    frame = history_frame(s.cp.history)
    reads = frame[frame.client.isin(s.minority_clients) & (frame.op == "get")
                  & (frame.outcome == "ok") & (frame.invoke_ms >= s.split_ms)
                  & (frame.complete_ms < s.heal_ms)]
    step_down = step_down_ms(s.cp.cluster, s.victim, after_ms=s.split_ms)
    assert len(reads) == s.cp.minority_reads_ok > 0
    assert (reads.node == s.victim).all() and (reads.complete_ms <= step_down).all()
    rolled = {(r["key"], r["value"]) for r in s.cp.cluster.rollbacks()}
    assert s.cp.rolled_back_reads
    for client, key, value, node in s.cp.rolled_back_reads:
        assert (key, value) in rolled and node == s.victim
    assert s.cp.linearizable == "not linearizable"
    assert s.cp.lin_result.key in {key for _, key, _, _ in s.cp.rolled_back_reads}


@pytest.mark.parametrize("seed", SEEDS)
def test_a_reader_with_the_cut_off_primary_reads_dirty_data_on_every_seed(seed):
    """MongoDB, Read Concern "local": the data returned "may be rolled back". A client that
    only reads, next to the deposed primary, reads a write that the heal then rolls back,
    whatever the seed (a lone cut-off client stops at its first write)."""
    cmp = cap_side_by_side(seed=seed, cp_options={"read_concern": "local",
                                                  "retry_writes": False}, cut_off_reader=True)
    dirty = cmp.cp.rolled_back_reads
    assert dirty and "reader" in cmp.minority_clients
    assert {node for _, _, _, node in dirty} == {cmp.victim}


def test_cut_off_reader_must_be_a_flag():
    """cut_off_reader=1 is refused with the value named."""
    with pytest.raises(ConfigError, match="cut_off_reader must be True or False, got 1"):
        cap_side_by_side(seed=1, cut_off_reader=1)
