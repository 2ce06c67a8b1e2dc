"""Two-phase commit scenarios: each behaviour of the coordinator and participants, and how it
breaks (blocking, recovery, cooperative termination, late commit behind a partition)."""

from __future__ import annotations

import pytest

from caplab.txn import TwoPhaseCommit
from caplab.txn.check import blocked_times, check_atomicity, check_invariants, lock_statistics


def _system(**kw):
    kw.setdefault("seed", 1)
    return TwoPhaseCommit(participants=3, **kw)


def _states(tpc, txid):
    return tpc.participant_states()[txid]


def test_all_yes_votes_commit_everywhere():
    """All participants vote yes: the transaction commits at every one (dslabs 2PC happy path)."""
    tpc = _system()
    r = tpc.transaction(tpc.place_order("o1", amount=30))
    assert r.ok and r.value is not None
    assert set(_states(tpc, "t1").values()) == {"committed"}
    assert tpc.service("payment").store.get("acct:alice") == 970
    assert check_atomicity(tpc).valid is True and check_invariants(tpc).valid is True


def test_a_no_vote_aborts_everywhere_and_leaves_no_trace():
    """One participant refuses (insufficient stock): it votes no and every participant aborts;
    PostgreSQL: a failed PREPARE TRANSACTION becomes a ROLLBACK."""
    tpc = _system(initial={"inventory": {"stock:apple": 0}})
    r = tpc.transaction(tpc.place_order("o1"))
    assert r.outcome == "fail" and "insufficient stock" in r.error and r.definite
    assert set(_states(tpc, "t1").values()) == {"aborted"}
    assert tpc.service("payment").store.get("acct:alice") == 1000
    assert tpc.service("order").store.get("order:o1") is None
    assert check_atomicity(tpc).valid is True


def test_presumed_abort_logs_nothing_and_abort_notices_are_not_acknowledged():
    """Presumed abort (JBoss transactions, "About the Presumed-Abort Optimization"): an abort
    is not logged and the notice to the participants is only a courtesy, so it needs no
    acknowledgement; a commit is logged and acknowledged by every participant."""
    tpc = _system()
    tpc.refuse("inventory", "reserve")
    assert tpc.transaction(tpc.place_order("o1")).outcome == "fail"
    tpc.run_for(100)
    assert tpc.coordinator.decisions == {} and tpc.coordinator.active == {}
    acks = [e for e in tpc.sim.trace.events if e.kind == "send" and "Ack(" in e.describe()]
    assert acks == []
    assert tpc.transaction(tpc.place_order("o2")).ok
    tpc.run_for(100)
    acks = [e.node for e in tpc.sim.trace.events if e.kind == "send" and "Ack(" in e.describe()]
    assert sorted(acks) == ["inventory", "order", "payment"]
    assert "t2" in tpc.coordinator.decisions and "t2" in tpc.coordinator.ended


def test_a_missing_vote_times_out_and_aborts():
    """A participant cut off from the coordinator never votes: the vote timeout aborts the
    transaction (dslabs/dsviz: any NO or a vote timeout means ABORT)."""
    tpc = _system(vote_timeout_ms=100)
    tpc.isolate("inventory")
    r = tpc.transaction(tpc.place_order("o1"))
    assert r.outcome == "fail" and "vote timeout" in r.error and "inventory" in r.error
    tpc.heal()
    tpc.run_for(1000)
    states = _states(tpc, "t1")
    assert states["order"] == "aborted" and states["payment"] == "aborted"
    assert states["inventory"] in ("aborted", "unknown")
    assert check_atomicity(tpc).valid is True


def test_coordinator_crash_after_votes_blocks_participants_and_the_queue_grows():
    """Coordinator dies after all YES votes, before deciding: participants stay prepared and
    keep their locks (PostgreSQL: a prepared transaction "continues to hold whatever locks it
    held"), and other transactions on those rows queue up behind them."""
    tpc = _system()
    tpc.crash_at("after_votes")
    tpc.transaction_async(tpc.place_order("o1"))
    tpc.run_for(50)
    assert not tpc.coordinator.up
    assert tpc.blocked() == {"order": ["t1"], "payment": ["t1"], "inventory": ["t1"]}
    assert tpc.service("payment").store.lock_holder("acct:alice") == "t1"
    queue = []
    for _ in range(4):
        tpc.local("payment", "charge", {"order": "x", "customer": "alice", "amount": 1})
        tpc.run_for(500)
        queue.append(len(tpc.waiting("payment")))
    assert queue == [1, 2, 3, 4]
    stats = lock_statistics(tpc)
    assert stats.valid is False and stats.offending == ("t1",)
    assert all(b["blocked_ms"] >= 2000 for b in blocked_times(tpc))


def test_coordinator_restart_presumes_abort_when_no_decision_was_logged():
    """The restarted coordinator has no decision record: presumed abort answers "abort" to the
    participants' questions, and the queued transactions run (presumed-abort recovery: no
    record means abort)."""
    tpc = _system()
    tpc.crash_at("after_votes")
    tpc.transaction_async(tpc.place_order("o1"))
    tpc.run_for(50)
    tpc.local("payment", "charge", {"order": "x", "customer": "alice", "amount": 1})
    tpc.run_for(1000)
    assert tpc.waiting("payment") == ["payment.local1"]
    tpc.restart("tm")
    tpc.run_for(1000)
    assert set(_states(tpc, "t1").values()) == {"aborted"}
    assert tpc.waiting("payment") == []
    assert tpc.service("payment").store.get("acct:alice") == 999
    assert check_atomicity(tpc).valid is True and check_invariants(tpc).valid is True


def test_coordinator_restart_resends_a_logged_commit():
    """The coordinator crashed right after logging commit: on restart it reads its log and
    resends the decision, and every participant commits (logged decision => resend)."""
    tpc = _system()
    tpc.crash_at("after_decision")
    tpc.transaction_async(tpc.place_order("o1"))
    tpc.run_for(1000)
    assert tpc.blocked()["payment"] == ["t1"]
    tpc.restart("tm")
    tpc.run_for(500)
    assert set(_states(tpc, "t1").values()) == {"committed"}
    assert "t1" in tpc.coordinator.ended
    assert check_atomicity(tpc).valid is True and check_invariants(tpc).valid is True


def test_participant_crash_after_yes_is_still_prepared_and_asks_for_the_outcome():
    """A participant that voted yes and crashed is still prepared after restart, with its
    locks, and asks for the outcome (PostgreSQL keeps prepared transactions across a crash;
    pg_prepared_xacts lists them)."""
    tpc = _system()
    svc = tpc.service("inventory")
    tpc.transaction_async(tpc.place_order("o1"))
    tpc.world.run_until(lambda: "t1" in svc.store.prepared)
    tpc.crash("inventory")
    tpc.run_for(300)
    assert _states(tpc, "t1")["payment"] == "committed"
    tpc.coordinator.retry_ms = 10_000          # leave it to the participant to ask
    tpc.restart("inventory")
    assert "t1" in svc.store.prepared and svc.store.lock_holder("stock:apple") == "t1"
    tpc.run_for(100)
    assert _states(tpc, "t1")["inventory"] == "committed"
    asked = [e for e in tpc.world.sim.trace.of_kind("txn") if "still prepared" in e.detail]
    assert asked and asked[0].node == "inventory"


def test_cooperative_termination_learns_commit_from_a_peer():
    """The coordinator crashes during phase two after telling one participant: the others, in
    doubt, ask their peers and adopt the decision the first one knows (cooperative
    termination: a peer that decided answers)."""
    tpc = _system()
    tpc.crash_at("during_commit")
    tpc.transaction_async(tpc.place_order("o1"))
    tpc.run_for(1000)
    assert not tpc.coordinator.up
    assert set(_states(tpc, "t1").values()) == {"committed"}
    learned = [e for e in tpc.world.sim.trace.of_kind("txn") if "learned from peer" in e.detail]
    assert {e.node for e in learned} == {"payment", "inventory"}


def test_cooperative_termination_blocks_when_every_peer_is_uncertain():
    """All participants voted yes and the coordinator died before deciding: every peer is
    uncertain, so cooperative termination cannot help and they stay blocked."""
    tpc = _system()
    tpc.crash_at("after_votes")
    tpc.transaction_async(tpc.place_order("o1"))
    tpc.run_for(3000)
    assert set(_states(tpc, "t1").values()) == {"prepared"}
    assert check_atomicity(tpc).valid is True


def test_cooperative_termination_aborts_with_a_peer_that_has_not_voted():
    """A peer that never got the prepare answers by aborting, so the in-doubt participants
    abort too (cooperative termination: a peer not yet voted aborts, both abort)."""
    tpc = _system()
    tpc.cut("tm", "inventory")
    tpc.transaction_async(tpc.place_order("o1"))
    tpc.world.run_until(lambda: "t1" in tpc.service("payment").store.prepared
                        and "t1" in tpc.service("order").store.prepared)
    tpc.crash("tm")
    tpc.run_for(1000)
    assert set(_states(tpc, "t1").values()) == {"aborted"}


def test_without_cooperative_termination_a_decided_peer_does_not_help():
    """With cooperative termination off, the in-doubt participants only ask the coordinator,
    so they stay blocked although one peer already committed."""
    tpc = _system(cooperative=False)
    tpc.crash_at("during_commit")
    tpc.transaction_async(tpc.place_order("o1"))
    tpc.run_for(2000)
    states = _states(tpc, "t1")
    assert states["order"] == "committed"
    assert states["payment"] == states["inventory"] == "prepared"
    assert check_atomicity(tpc).valid is None


def test_partition_after_commit_decision_commits_late_atomic_not_simultaneous():
    """A partition between the coordinator and one participant right after the commit
    decision: the others commit at once, the cut-off one commits when the partition heals
    (atomic, not simultaneous)."""
    tpc = _system(cooperative=False)
    tpc.transaction_async(tpc.place_order("o1"))
    tpc.world.run_until(lambda: "t1" in tpc.coordinator.decisions)
    tpc.isolate("inventory")
    tpc.run_for(800)
    assert _states(tpc, "t1") == {"order": "committed", "payment": "committed",
                                  "inventory": "prepared"}
    tpc.heal()
    tpc.run_for(500)
    assert set(_states(tpc, "t1").values()) == {"committed"}
    times = {b["service"]: b["decided_ms"] for b in blocked_times(tpc)}
    assert times["inventory"] - times["payment"] >= 800
    assert check_atomicity(tpc).valid is True


def test_crash_before_prepare_leaves_nothing_behind():
    """The coordinator crashes before sending any prepare: no participant ever hears of the
    transaction and the client's outcome is unknown (indefinite)."""
    tpc = _system()
    tpc.crash_at("before_prepare")
    r = tpc.transaction(tpc.place_order("o1"))
    assert r.outcome == "info"
    assert set(_states(tpc, "t1").values()) == {"unknown"}
    assert check_atomicity(tpc).valid is True


def test_two_customers_racing_for_one_seat_never_both_get_it():
    """Two trips want seat 1A on F1 at once: the first to lock the seat prepares, the other
    waits behind its lock, then refuses (already sold) and votes no; the seat is sold once."""
    tpc = TwoPhaseCommit(participants=3, domain="travel", seed=1, latency=3)
    a = tpc.transaction_async(tpc.place_order("trip1", customer="alice"))
    b = tpc.transaction_async(tpc.place_order("trip2", customer="bob"))
    tpc.run_for(1000)
    assert (a.result.outcome, b.result.outcome) == ("ok", "fail")
    assert "already sold" in b.result.error
    assert tpc.service("flight").store.get("seat:F1:1A") == "alice"
    assert tpc.service("hotel").store.get("room:H1:101") == "alice"
    assert check_atomicity(tpc).valid is True and check_invariants(tpc).valid is True


def test_racing_prepares_in_different_orders_deadlock_until_the_vote_timeout():
    """With jittered latency alice's prepare locks the seat first and bob's the room first:
    each waits for the other's lock at another service (a distributed deadlock no single
    database sees). The vote timeout aborts both: safe (nothing sold twice), not live."""
    tpc = TwoPhaseCommit(participants=3, domain="travel", seed=1, latency=("uniform", 1, 9),
                         vote_timeout_ms=200)
    a = tpc.transaction_async(tpc.place_order("trip1", customer="alice"))
    b = tpc.transaction_async(tpc.place_order("trip2", customer="bob"))
    tpc.run_for(1000)
    assert a.result.outcome == b.result.outcome == "fail"
    assert "vote timeout" in a.result.error and "vote timeout" in b.result.error
    assert a.result.latency_ms >= 200
    assert tpc.service("flight").store.get("seat:F1:1A") is None
    assert check_atomicity(tpc).valid is True and check_invariants(tpc).valid is True


def test_the_participant_class_must_be_a_participant():
    """TwoPhaseCommit(participant=...) takes Participant or a subclass (lab 8's rules); any
    other value is refused, named, and nothing is built."""
    from caplab.errors import ConfigError
    from caplab.txn.twopc import Participant

    class Mine(Participant):
        pass
    tpc = TwoPhaseCommit(seed=1, participant=Mine)
    assert all(type(s) is Mine for s in tpc.services.values())
    assert tpc.transaction(tpc.place_order("o1")).ok
    with pytest.raises(ConfigError, match="participant must be .* got <class 'dict'>"):
        TwoPhaseCommit(seed=1, participant=dict)
