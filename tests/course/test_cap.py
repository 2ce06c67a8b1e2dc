"""Every claim of notebooks 01 (start here) and 02 (CAP in practice), with the seeds they use,
and on more seeds where the claim holds in general."""

from __future__ import annotations

import pytest

from caplab.check import check_linearizability, check_stale_reads
from caplab.course.cap import cap_side_by_side, first_partition
from caplab.kv.probes import events, step_down_ms

SEEDS = [1, 2, 3, 4, 5]


@pytest.fixture(scope="module")
def first():
    return first_partition(seed=1)


@pytest.fixture(scope="module")
def cmp():
    return cap_side_by_side(seed=1)


# -- notebook 01 -----------------------------------------------------------------------------
def test_first_write_is_acknowledged_by_the_primary(first):
    """'Alice's first write is acknowledged by the primary.'"""
    assert first.write.ok and first.write.node == first.first_primary


def test_cut_off_write_is_not_acknowledged(first):
    """'On the cut-off side, Alice's write is never acknowledged: the answer is indefinite.'"""
    r = first.cut_off_write
    assert not r.ok and r.outcome == "info" and "indefinite" in r.error


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
    assert 800 <= f.election_after_cut_ms <= 1400
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
    """'CP rolled back the cut-off primary's write, which had never been acknowledged.'"""
    rb = cmp.cp.cluster.rollbacks()
    assert cmp.cp.rolled_back == len(rb) >= 1
    frame = cmp.cp.history.to_frame()
    acked = set(zip(frame[(frame.op == "put") & (frame.outcome == "ok")].key,
                    frame[(frame.op == "put") & (frame.outcome == "ok")].value))
    assert not {(r["key"], r["value"]) for r in rb} & acked


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


# -- exercises ---------------------------------------------------------------------------------
def test_exercise_new_primary_grades():
    """Notebook 01's exercise passes the reference and fails the old primary."""
    from caplab.course.cap import exercise_new_primary
    q = exercise_new_primary()
    assert q.check(q.reference).correct
    assert q.check(first_partition(seed=1).first_primary).status == "Incorrect"
    assert q.check(None).status == "Not attempted"


def test_exercise_which_side_grades():
    """Notebook 02's exercise passes "ap" and fails "cp"."""
    from caplab.course.cap import exercise_which_side
    q = exercise_which_side()
    assert q.check("ap").correct and q.check("cp").status == "Incorrect"


def test_ap_with_quorums_refuses_on_the_minority_side():
    """'AP with QUORUM reads and writes refuses the cut-off client too.'"""
    s = cap_side_by_side(seed=1, ap_options={"write_consistency": "quorum",
                                             "read_consistency": "quorum"}).ap
    assert s.minority_ops > 0 and s.minority_ok == 0


def test_cp_with_linearizable_reads_answers_the_cut_off_client_nothing(cmp):
    """'It answered no read either: a linearizable read must be confirmed by a majority.'"""
    assert cmp.cp.minority_ops > 0 and cmp.cp.minority_ok == 0
    assert all(op.options.get("read_concern") == "linearizable"
               for op in cmp.cp.history if op.op == "get")


@pytest.fixture(scope="module")
def local_reads():
    return cap_side_by_side(seed=1, cp_options={"read_concern": "local"})


def test_cp_local_reads_are_dirty_and_not_linearizable(local_reads):
    """'Break it': with read concern local the deposed primary answers reads before it steps
    down, one of them returns a write later rolled back, and the history is not linearizable."""
    s = local_reads
    frame = s.cp.history.to_frame()
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
