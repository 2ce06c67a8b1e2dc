"""Orchestrated saga scenarios: compensation in reverse order, failing compensations, the seed
manager's two bugs, forward recovery, the pivot, and an orchestrator crash mid-saga."""

from __future__ import annotations

import pytest

from caplab.txn import Sagas
from caplab.txn.check import check_atomicity, check_invariants


def _kinds(rec):
    return [(kind, index) for _, kind, index, _ in rec.events]


def test_all_steps_succeed_and_the_saga_completes():
    """Every local transaction commits: the saga is T1..Tn (Garcia-Molina & Salem)."""
    s = Sagas(seed=1)
    r = s.saga(s.order_steps("o1", amount=25))
    assert r.ok and s.records["s1"].state == "completed"
    assert s.service("shipping").store.get("shipment:o1") == "scheduled"
    assert s.service("payment").store.get("acct:shop") == 25
    assert check_atomicity(s).valid is True and check_invariants(s).valid is True


def test_a_failed_step_compensates_completed_steps_in_reverse_order():
    """Reserving stock fails: the charge is refunded, then the order cancelled, in reverse
    order (Garcia-Molina & Salem: T1..Tj, Cj..C1; Camunda and Temporal compensate LIFO)."""
    s = Sagas(seed=1, initial={"inventory": {"stock:apple": 0}})
    r = s.saga(s.order_steps("o1"))
    assert r.outcome == "fail" and "insufficient stock" in r.error
    rec = s.records["s1"]
    assert [k for k in _kinds(rec) if k[0] == "compensated" and k[1] is not None] == \
        [("compensated", 1), ("compensated", 0)]
    assert rec.state == "compensated"
    assert s.service("payment").store.get("acct:alice") == 1000
    assert s.service("order").store.get("order:o1") == "cancelled"
    assert check_atomicity(s).valid is True and check_invariants(s).valid is True


def test_a_compensation_that_keeps_failing_publishes_compensation_failed():
    """A refund that fails every time is retried up to the limit, then a CompensationFailed
    event goes to the dead-letter list for a person (Azure Compensating Transaction: a
    compensation can itself fail; alert an operator)."""
    s = Sagas(seed=1, compensation_retries=3)
    s.refuse("shipping", "schedule")
    s.refuse("payment", "refund", times=None)
    r = s.saga(s.order_steps("o1"))
    assert r.outcome == "info" and "compensation failed" in r.error
    rec = s.records["s1"]
    assert [k for k in _kinds(rec) if k[0] == "compensation_retry"] == \
        [("compensation_retry", 1)] * 2
    [event] = s.dead_letters
    assert (event.saga, event.index, event.service, event.action) == \
        ("s1", 1, "payment", "refund")
    assert s.service("order").store.get("order:o1") == "cancelled"    # carried on after it
    assert rec.state == "compensation_failed"
    assert check_atomicity(s).valid is True          # the published event accounts for it


def test_a_compensation_that_fails_once_succeeds_on_retry():
    """Compensations are retried (idempotent), so a transient failure does not publish
    anything (Azure: compensation steps must be idempotent and resumable)."""
    s = Sagas(seed=1)
    s.refuse("shipping", "schedule")
    s.refuse("payment", "refund", times=1)
    r = s.saga(s.order_steps("o1"))
    assert r.outcome == "fail" and s.dead_letters == []
    assert s.service("payment").store.get("acct:alice") == 1000
    assert check_atomicity(s).valid is True and check_invariants(s).valid is True


@pytest.mark.parametrize("failing", [("payment", "charge"), ("inventory", "reserve"),
                                     ("shipping", "schedule")])
def test_the_seed_manager_breaks_what_the_correct_one_keeps(failing):
    """The seed manager carries on after a failure and compensates in forward order: the
    checker finds it; the correct manager, same failure, has no violation (Garcia-Molina &
    Salem: compensations run Cj..C1)."""
    found = {}
    for manager in ("correct", "seed"):
        s = Sagas(seed=1, manager=manager)
        s.refuse(*failing)
        s.saga(s.order_steps("o1"))
        found[manager] = (check_atomicity(s), check_invariants(s))
    assert found["correct"][0].valid is True and found["correct"][1].valid is True
    atomicity = found["seed"][0]
    assert atomicity.valid is False and atomicity.offending == ("s1",)
    assert any("not the reverse" in r for r in atomicity.reasons)
    if failing[1] != "schedule":
        assert any("ran after step" in r for r in atomicity.reasons)
        assert found["seed"][1].valid is False    # a shipment outlives its order or stock


def test_forward_recovery_offers_another_hotel_in_the_same_city():
    """Flights booked, the hotel fails: the customer is offered another hotel in the same city
    instead of cancelling the flights, and accepts (Azure Compensating Transaction: the
    customer, not the system, decides)."""
    s = Sagas("travel", seed=1)
    s.refuse("hotel", "book_room")
    r = s.saga(s.trip_steps("trip1", hotel="H1"), accept_offer=True)
    assert r.ok
    rec = s.records["s1"]
    assert ("offer", 2) in _kinds(rec) and ("offer_accepted", 2) in _kinds(rec)
    assert s.service("hotel").store.get("room:H2:101") == "alice"       # Paris, like H1
    assert s.service("flight").store.get("seat:F1:1A") == "alice"
    assert check_atomicity(s).valid is True and check_invariants(s).valid is True


def test_declining_the_offer_carries_on_compensating():
    """The customer declines the other hotel: the flights are cancelled in reverse order."""
    s = Sagas("travel", seed=1)
    s.refuse("hotel", "book_room")
    r = s.saga(s.trip_steps("trip1", hotel="H3"), accept_offer=False)
    assert r.outcome == "fail"
    kinds = _kinds(s.records["s1"])
    assert ("offer_declined", 2) in kinds
    assert [k for k in kinds if k[0] == "compensated" and k[1] is not None] == \
        [("compensated", 1), ("compensated", 0)]
    assert s.service("flight").store.get("seat:F1:1A") is None
    assert check_atomicity(s).valid is True


def test_steps_after_the_pivot_are_retried_until_they_succeed():
    """Past the pivot (the charge) the saga cannot go back: a failing shipment is retried until
    it succeeds (Azure Saga: the pivot is the point of no return; later steps are retryable)."""
    s = Sagas(seed=1)
    s.refuse("shipping", "schedule", times=3)
    r = s.saga(s.order_steps("o1", pivot="payment"))
    assert r.ok
    retries = [k for k in _kinds(s.records["s1"]) if k[0] == "retry"]
    assert len(retries) == 3
    assert check_atomicity(s).valid is True and check_invariants(s).valid is True


def test_a_failure_before_the_pivot_still_compensates():
    """The pivot itself fails: the steps before it are compensated as usual."""
    s = Sagas(seed=1)
    s.refuse("payment", "charge")
    r = s.saga(s.order_steps("o1", pivot="payment"))
    assert r.outcome == "fail"
    assert s.service("order").store.get("order:o1") == "cancelled"


@pytest.mark.parametrize("event", ["step_done", "step_failed", "compensated"])
def test_orchestrator_crash_resumes_from_the_saga_log_and_runs_nothing_twice(event):
    """The orchestrator crashes mid-saga; on restart it resumes forward or backward from its
    durable saga log, and idempotency keys make sure no step or compensation runs twice
    (microservices.io idempotent consumer)."""
    s = Sagas(seed=1)
    if event != "step_done":
        s.refuse("shipping", "schedule")
    s.crash_after(event)
    s.saga_async(s.order_steps("o1"))
    s.run_for(300)
    assert not s.orchestrator.up and not s.records["s1"].finished
    s.restart("saga")
    s.run_for(1000)
    rec = s.records["s1"]
    assert rec.finished
    assert any(kind == "resume" for _, kind, _, _ in rec.events)
    result = check_atomicity(s)
    assert result.valid is True, result.explain()
    assert check_invariants(s).valid is True


def test_lost_replies_are_resent_with_the_same_key_and_run_once():
    """Every step's first reply is lost: the orchestrator resends with the same idempotency
    key and the service answers from its record instead of running the step again."""
    s = Sagas(seed=1, step_timeout_ms=50)
    s.world.network.set_loss(1.0, kind="StepDone")
    s.saga_async(s.order_steps("o1"))
    s.run_for(60)
    s.world.network.set_loss(0.0, kind="StepDone")
    s.run_for(1000)
    assert s.records["s1"].state == "completed"
    commits = [e for e in s.service("order").store.log if e[2] == "commit"]
    assert len(commits) == 1
    assert check_atomicity(s).valid is True


def test_a_manager_can_be_an_orchestrator_subclass():
    """Sagas(manager=<an Orchestrator subclass>) runs that class (lab 7's answers); any other
    class is refused, naming the allowed managers."""
    import pytest

    from caplab.errors import UnknownNameError
    from caplab.txn.saga import Orchestrator

    class Mine(Orchestrator):
        pass
    s = Sagas(seed=1, manager=Mine)
    assert type(s.orchestrator) is Mine and s.manager == "Mine"
    assert s.saga(s.order_steps("o1")).ok
    with pytest.raises(UnknownNameError, match="subclass of caplab.txn.saga.Orchestrator"):
        Sagas(seed=1, manager=dict)


def test_a_step_whose_reply_is_cut_off_may_have_run_and_is_compensated():
    """Inventory's replies to the orchestrator are cut (one way): the reservation commits but
    the manager never hears of it. After its retries it counts the step as failed *and
    possibly run*, so it compensates it too: the stock comes back (Azure, Compensating
    Transaction: define the compensating steps as idempotent commands; here that makes undoing
    a step that may not have run safe)."""
    s = Sagas(seed=3, latency=("uniform", 1, 9))
    s.world.nemesis([(5, "cut", "inventory", "saga"), (405, "heal")])
    s.saga_async(s.order_steps("o1"))
    s.run_for(5000)
    rec = s.records["s1"]
    assert rec.state == "compensated"
    assert any(kind == "retry" and index == 2 for _, kind, index, _ in rec.events)
    log = [(kind, txid) for _, _, kind, txid, _ in s.service("inventory").store.log]
    assert log == [("commit", "s1.2"), ("commit", "s1.2:c")]
    assert s.service("inventory").store.get("stock:apple") == 100
    assert check_atomicity(s).valid is True and check_invariants(s).valid is True
