"""Notebook 07 (transactions across services): every claim it prints, for its seed and others,
and its exercise."""

import pytest

from caplab.course import txn
from caplab.labkit.course import nb07
from caplab.txn import PHASES


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_crashed_coordinator_blocks_its_participants_and_the_queue_grows(seed):
    """"The happy order commits everywhere. With the coordinator crashed after the votes,
    every participant holds t1 prepared, t1 holds alice's account lock, and other charges
    queue up behind it: 1, 2, 3, 4. The coordinator restarts with no decision logged: presumed
    abort, and the queue drains." (PostgreSQL: a prepared transaction keeps its locks.)"""
    f = txn.twopc_blocking(seed=seed)
    assert set(f.happy_states.values()) == {"committed"}
    assert f.blocked == {"order": ["t1"], "payment": ["t1"], "inventory": ["t1"]}
    assert f.lock_holder == "t1" and f.queue == [1, 2, 3, 4]
    assert set(f.states_after_restart.values()) == {"aborted"}
    assert f.waiting_after_restart == [] and f.atomic is True and f.invariants is True


@pytest.mark.parametrize("seed", [1, 2])
def test_a_failed_saga_step_is_compensated_in_reverse_order(seed):
    """"Steps 0 and 1 ran; step 2 (reserve) failed; the refund (1) runs before the order's
    cancellation (0); alice has her 1000 back." (Garcia-Molina & Salem.)"""
    f = txn.saga_compensation(seed=seed)
    assert f.outcome == "fail" and "insufficient stock" in f.error
    assert f.steps_done == [0, 1] and f.compensated == [1, 0]
    assert f.state == "compensated" and f.balance_after == 1000
    assert f.order_after == "cancelled" and f.atomic is True


def test_only_the_seed_manager_produces_three_kinds_of_violation():
    """"Same 20 random failures: the correct manager has no violation; the seed manager lets a
    step run after an earlier one failed, compensates in forward order, and ships orders that
    no longer exist.\""""
    table = txn.managers_compared(seed=1)
    assert table["correct"]["violations"] == {}
    assert table["only_seed"] == ["a shipment without an active, stocked order",
                                  "a step ran after an earlier one failed",
                                  "compensations not in reverse order"]
    assert table["seed"]["violations"]["compensations not in reverse order"] == 20


def test_forward_recovery_offers_another_hotel_and_declining_compensates():
    """"Accepting H2 completes the trip with the flight kept; declining cancels the flight.\""""
    yes = txn.forward_recovery(seed=1, accept=True)
    no = txn.forward_recovery(seed=1, accept=False)
    assert yes.outcome == "ok" and yes.offered_room_holder == "alice"
    assert yes.flight_seat_holder == "alice" and yes.compensated == []
    assert no.outcome == "fail" and no.flight_seat_holder is None
    assert no.compensated == [1, 0] and no.atomic is True and yes.atomic is True


def test_exercise_passes_the_reference_and_fails_wrong_sets():
    """The coordinator crashed after the votes or after logging its decision leaves the
    participants blocked; before prepare (nobody voted) and during commit (a committed peer
    tells the others) do not. Wrong sets are Incorrect and name what happened."""
    assert {p for p in PHASES if nb07.blocked_after_crash(p)} == {"after_votes",
                                                                   "after_decision"}
    assert nb07.exercise.check({"after_votes", "after_decision"}).correct
    wrong = nb07.exercise.check({"after_votes"})
    assert wrong.status == "Incorrect" and "prepared" in wrong.text()
    assert nb07.exercise.check({"after_votes", "after_decision", "during_commit"}).status \
        == "Incorrect"
    assert nb07.exercise.check(...).status == "Not attempted"
    assert "not a crash point" in nb07.exercise.check({"lunch"}).text()


@pytest.mark.parametrize("seed", [1, 2])
def test_choreography_loses_an_event_by_direct_message_and_absorbs_a_redelivery_on_the_bus(seed):
    """"By direct messages the lost event leaves the order charged, not reserved, and unknown
    to the checker; on the log, inventory's event comes twice after its consumer's crash and
    the stock is reserved once: same rows as without the crash." (microservices.io, Saga:
    choreography; Kafka, Message Delivery Semantics: commit after processing is
    at-least-once.)"""
    f = txn.choreography_on_bus(seed=seed)
    assert f.clean_bus_ms > f.clean_direct_ms           # the consumers poll the log
    assert f.direct_outcome == "info" and f.direct_charged == 10
    assert f.direct_reserved is None and f.direct_atomic is None
    assert f.bus_outcome == "ok" and f.redelivered == 1 and f.duplicates == {"inventory": 1}
    assert f.reserve_commits == 1 and f.bus_same_rows
    assert f.bus_atomic is True and f.bus_invariants is True


@pytest.mark.parametrize("seed", [1, 2])
def test_two_phase_commit_costs_two_latencies_of_lock_per_order(seed):
    """"The shop's account stays locked for two one-way latencies per order, whatever the
    number of participants; throughput falls tenfold from 1 to 10 ms, drops about four times
    once payment takes part, and not further with a third or fourth participant."
    (PostgreSQL: a prepared transaction keeps its locks until COMMIT PREPARED.)"""
    f = txn.twopc_cost(seed=seed)
    assert len(f.rows) == 12 and all(r["committed"] == 100 for r in f.rows)
    assert f.held_is_two_latencies and f.same_throughput_from_two
    assert 3 <= f.hot_row_factor <= 5 and 9 <= f.latency_factor <= 11
