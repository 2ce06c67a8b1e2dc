"""Notebook 04's section on lightweight transactions and datacenters: every claim it prints,
for its seed and others."""

import pytest

from caplab.course.ap_advanced import cas_timeout, lwt_race, wan_partition


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_check_then_write_loses_a_registration_and_if_not_exists_does_not(seed):
    """"Both read no user and both writes are acknowledged; one registration is silently
    gone. With IF NOT EXISTS exactly one is applied, the other is told [applied]=False and who
    holds the name." (DataStax, "Lightweight transactions".)"""
    f = lwt_race(seed=seed)
    assert f.plain_reads == (None, None) and f.plain_both_acknowledged
    assert f.plain_final in ("alice", "bob") and f.plain_overwritten != f.plain_final
    assert f.lwt_applied_count == 1 and {f.lwt_winner, f.lwt_loser} == {"alice", "bob"}
    assert f.lwt_loser_output == {"applied": False, "current": f.lwt_winner}
    assert f.lwt_final == f.lwt_winner and f.lwt_linearizable == "linearizable"


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_cas_costs_more_than_twice_a_quorum_write(seed):
    """"An uncontended cas takes more than twice as long as a QUORUM write: four round trips
    to the replicas instead of one." (DataStax: four round trips.)"""
    f = lwt_race(seed=seed)
    assert f.cas_latency_ms > 2 * f.put_latency_ms


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_cas_cut_off_after_its_proposal_is_unknown_until_a_serial_read(seed):
    """"Alice learns nothing (info); Bob's QUORUM read sees no user; his SERIAL read finishes
    Alice's proposal and returns 'alice'; from then on every read does, and Bob's own
    IF NOT EXISTS is refused." (DataStax: a SERIAL read commits an in-progress transaction.)"""
    f = cas_timeout(seed=seed)
    assert f.outcome == "info" and "may have been applied" in f.error
    assert f.quorum_read is None and f.serial_read == "alice"
    assert f.repaired_by == ("n3",) and f.quorum_read_after == "alice"
    assert f.bob_cas_output == {"applied": False, "current": "alice"}
    assert f.linearizable == "linearizable"


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_wan_partition_splits_quorum_from_local_quorum(seed):
    """"LOCAL levels answer in a few ms and keep working on both sides of the WAN split;
    QUORUM (4 of 3+3) and EACH_QUORUM wait for the WAN before, and fail during it. Each side
    reads its own write; after the heal both read the later one. LOCAL_SERIAL lightweight
    transactions keep working on each side; SERIAL needs a quorum of all six." (Cassandra
    consistency levels.)"""
    f = wan_partition(seed=seed, wan_ms=40)
    assert all(len(ns) == 3 for ns in f.replicas.values()) and set(f.replicas) == {"dc1", "dc2"}
    assert f.latency_ms["local_one"] < 20 and f.latency_ms["local_quorum"] < 20
    assert f.latency_ms["quorum"] >= 80 and f.latency_ms["each_quorum"] >= 80
    assert f.during == {"local_one": ("ok", "ok"), "local_quorum": ("ok", "ok"),
                        "quorum": ("fail", "fail"), "each_quorum": ("fail", "fail")}
    assert f.values_during == {"alice": "alice's", "bob": "bob's"}
    assert f.values_after == {"alice": "bob's", "bob": "bob's"} and f.hints_replayed > 0
    assert f.cas_during == {"serial": "fail", "local_serial": "ok"}
