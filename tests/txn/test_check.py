"""The checkers on known answers: a participant that decided alone, broken invariants, a seat
sold twice; the result shape; blocked time and the measured figures."""

from __future__ import annotations

from caplab.txn import CheckResult, Sagas, TwoPhaseCommit
from caplab.txn.check import check_atomicity, check_invariants, lock_statistics
from caplab.txn.measure import saga_throughput, twopc_throughput


def test_a_participant_that_decides_alone_breaks_atomicity_and_is_named():
    """A yes voter that commits on its own while the coordinator presumes abort: the checker
    names the transaction, both services and the log events (a yes voter may not decide
    alone)."""
    tpc = TwoPhaseCommit(seed=1, cooperative=False)
    tpc.crash_at("after_votes")
    tpc.transaction_async(tpc.place_order("o1"))
    tpc.run_for(100)
    tpc.service("payment").store.commit_prepared("t1", tpc.now)      # the wrong rule
    tpc.restart("tm")
    tpc.run_for(1000)
    result = check_atomicity(tpc)
    assert result.valid is False and result.offending == ("t1",)
    [reason] = result.reasons
    assert "committed at payment" in reason and "aborted at inventory, order" in reason
    assert "commit_prepared at 100 ms" in reason
    money = check_invariants(tpc)
    assert money.valid is True           # one service's own rows stay consistent


def test_invariants_find_negative_stock_and_money_created():
    """Stock below zero and accounts that no longer sum to the start are both reported."""
    s = Sagas(seed=1)
    s.service("inventory").store.data["stock:apple"] = -1
    s.service("payment").store.data["acct:bob"] = 1500
    result = check_invariants(s)
    assert result.valid is False
    assert any("stock of apple is negative" in r for r in result.reasons)
    assert any("money not conserved" in r and "3500" in r for r in result.reasons)


def test_a_seat_sold_twice_is_found_in_the_commit_logs():
    """Two commits give the same seat to two customers: a double sale naming the second."""
    s = Sagas("travel", seed=1)
    store = s.service("flight").store
    store.commit_writes("x1", {"seat:F1:1A": "alice"}, 1)
    store.commit_writes("x2", {"seat:F1:1A": "bob"}, 2)
    result = check_invariants(s)
    assert result.valid is False and result.offending == ("x2",)
    assert "seat:F1:1A sold twice: to alice, then to bob by x2" in result.reasons[0]


def test_a_running_saga_is_unknown_not_valid():
    """Before quiescence a saga's atomicity is not settled: the verdict is unknown."""
    s = Sagas(seed=1)
    s.saga_async(s.order_steps("o1"))
    s.run_for(5)
    result = check_atomicity(s)
    assert result.valid is None and "still running: s1" in result.reasons


def test_check_result_has_the_shared_shape_and_explains_itself():
    """checker, valid, offending, reasons, details and explain()."""
    r = CheckResult("x", False, ["t1"], ["t1 broke"], {"n": 1})
    assert (r.checker, r.valid, r.offending, r.reasons, r.details) == \
        ("x", False, ("t1",), ("t1 broke",), {"n": 1})
    assert r.explain() == "x: VIOLATED\n  - t1 broke"


def test_lock_statistics_measure_hold_time_and_waits():
    """Each committed transaction holds its rows for the two phases; a transaction on the
    same rows waits for them."""
    tpc = TwoPhaseCommit(seed=1, latency=5)
    tpc.transaction_async(tpc.place_order("o1"))
    tpc.local("payment", "charge", {"order": "x", "customer": "alice", "amount": 1})
    tpc.run_for(100)
    result = lock_statistics(tpc)
    assert result.valid is True
    payment = result.details["services"]["payment"]
    assert payment["held"]["max_ms"] == 10              # prepare arrives at 10, decision at 20
    assert payment["waited"]["count"] == 0
    tpc.crash_at("after_votes")
    tpc.transaction_async(tpc.place_order("o2"))
    tpc.run_for(20)
    tpc.local("payment", "charge", {"order": "y", "customer": "alice", "amount": 1})
    tpc.run_for(100)
    result = lock_statistics(tpc)
    assert result.details["services"]["payment"]["waiting_now"] == 1
    assert result.valid is False and result.offending == ("t2",)


def test_two_phase_commit_throughput_falls_with_latency_on_a_hot_row():
    """Every order locks the shop's account from prepare to decision (two round trips), so
    throughput is about one over that hold time and falls as latency grows."""
    fast = twopc_throughput(participants=3, latency_ms=1, transactions=200, seed=1)
    slow = twopc_throughput(participants=3, latency_ms=10, transactions=200, seed=1)
    assert fast["committed"] == slow["committed"] == 200
    assert slow["lock_held_mean_ms"] >= 2 * 10
    assert fast["per_second"] > 5 * slow["per_second"]
    one = twopc_throughput(participants=1, latency_ms=10, transactions=200, seed=1)
    assert one["blocked_mean_ms"] <= slow["blocked_mean_ms"]


def test_a_saga_holds_local_locks_only_for_its_local_transaction():
    """The same orders as sagas: no lock is held across services, and they go faster."""
    saga = saga_throughput(latency_ms=10, sagas=200, seed=1)
    tpc = twopc_throughput(participants=4, latency_ms=10, transactions=200, seed=1)
    assert saga["completed"] == 200
    assert saga["lock_held_mean_ms"] == 0
    assert saga["per_second"] > tpc["per_second"]


def test_two_hot_rows_at_two_services_deadlock_and_only_the_vote_timeout_breaks_it():
    """With jittered latency, prepares reach payment and inventory in different orders: each
    transaction holds one hot row and waits for the other (a distributed deadlock no single
    database can see); the vote timeout aborts one and the rest go on, atomically."""
    r = twopc_throughput(participants=3, latency_ms=5, jitter_ms=5, transactions=300, seed=1,
                         vote_timeout_ms=200, keep=True)
    tpc = r["system"]
    tpc.run_for(100)                  # the last decisions reach every participant
    assert r["aborted"] > 0 and r["committed"] + r["aborted"] == 300
    aborted = [op for op in tpc.history.ops if op.outcome == "fail"]
    assert all("vote timeout" in op.error for op in aborted)
    assert check_atomicity(tpc).valid is True and check_invariants(tpc).valid is True
    calm = twopc_throughput(participants=3, latency_ms=5, transactions=300, seed=1)
    assert calm["aborted"] == 0       # constant latency: every prepare arrives in order


def test_throughput_is_measured_against_participants_and_latency():
    """One row per (participants, latency); more participants with one hot row do not slow a
    round (the prepares go out in parallel), more latency does; a bad grid is refused."""
    import pytest

    from caplab.errors import ConfigError
    from caplab.txn.measure import twopc_grid
    rows = twopc_grid(participants=(2, 4), latencies=(2, 8), transactions=50, seed=1)
    assert [(r["participants"], r["latency_ms"]) for r in rows] == [(2, 2), (2, 8), (4, 2),
                                                                    (4, 8)]
    assert [r["lock_held_mean_ms"] for r in rows] == [4, 16, 4, 16]
    assert rows[0]["per_second"] == rows[2]["per_second"] > 3 * rows[1]["per_second"]
    with pytest.raises(ConfigError, match="participants must be a non-empty list"):
        twopc_grid(participants=())


def test_saga_violations_name_the_saga_the_services_and_the_event():
    """A step after a failure, compensations out of order, a step run twice: each reason names
    the saga, the step's service and action, and where it happened."""
    s = Sagas(seed=1, manager="seed")
    s.refuse("payment", "charge")
    s.saga(s.order_steps("o1"))
    s.run_for(500)
    result = check_atomicity(s)
    assert result.offending == ("s1",)
    assert result.reasons == (
        "s1: step 2 (inventory.reserve) ran after step 1 (payment.charge) failed at payment",
        "s1: compensations ran in the order [0, 2, 3], not the reverse of the steps [3, 2, 0]: "
        "it undid order.create_order first, at order")
    twice = Sagas(seed=1)
    twice.saga(twice.order_steps("o1"))
    twice.service("payment").store.commit_writes("s1.1", {"paid:o1": 10}, twice.now)
    assert check_atomicity(twice).reasons == (
        "s1 step 1 ran 2 times at payment (key s1.1): not idempotent",)


def test_broken_stock_and_money_name_the_commit_that_broke_them():
    """A logged commit that takes stock below zero, or creates money, is named with its
    service and time (the first one after which the invariant no longer held); the lost
    update of two concurrent sagas is pinned on the overwriting step."""
    from caplab.txn.isolation import lost_update_experiment
    s = Sagas(seed=1)
    s.service("inventory").store.commit_writes("t9", {"stock:apple": -1}, 7)
    s.service("payment").store.commit_writes("t8", {"acct:bob": 1500}, 9)
    result = check_invariants(s)
    assert result.valid is False and result.offending == ("t8", "t9")
    assert "stock of apple is negative (-1) at inventory (first broken by t9 at inventory, " \
           "7 ms)" in result.reasons
    assert any(r.startswith("money not conserved") and r.endswith("(first broken by t8 at "
                                                                  "payment, 9 ms)")
               for r in result.reasons)
    lost = lost_update_experiment(sagas=5)["system"]
    [reason] = check_invariants(lost).reasons
    assert "not conserved" in reason and "first broken by s" in reason
