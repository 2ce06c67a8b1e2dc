"""The choreographed saga, and the missing isolation of sagas with its countermeasure."""

from __future__ import annotations

from caplab.txn import Choreography, check_atomicity, check_invariants
from caplab.txn.isolation import lost_update_experiment
from caplab.txn import Sagas


def test_choreography_completes_the_order_by_events():
    """Each service's local transaction triggers the next by an event, and the order service
    approves at the end (microservices.io Saga: choreography, no central manager)."""
    c = Choreography(seed=1)
    r = c.place_order("o1")
    assert r.ok
    assert c.service("order").store.get("order:o1") == "approved"
    assert c.service("shipping").store.get("shipment:o1") == "scheduled"
    assert check_atomicity(c).valid is True and check_invariants(c).valid is True


def test_choreography_compensates_back_along_the_chain():
    """Shipping refuses: inventory releases, payment refunds, the order is cancelled, each
    service undoing its own step when the event comes back (Garcia-Molina & Salem order)."""
    c = Choreography(seed=1)
    c.refuse("shipping", "schedule")
    r = c.place_order("o1")
    assert r.outcome == "fail" and "shipping.schedule" in r.error
    assert c.service("order").store.get("order:o1") == "cancelled"
    assert c.service("payment").store.get("acct:alice") == 1000
    assert c.service("inventory").store.get("stock:apple") == 100
    assert check_atomicity(c).valid is True and check_invariants(c).valid is True


def test_choreography_publishes_compensation_failed():
    """A refund that keeps failing ends in a CompensationFailed event, and the order is still
    cancelled (Azure Compensating Transaction: alert a person)."""
    c = Choreography(seed=1)
    c.refuse("inventory", "reserve")
    c.refuse("payment", "refund", times=None)
    r = c.place_order("o1")
    assert r.outcome == "info"
    assert [(e.saga, e.service) for e in c.dead_letters] == [("o1", "payment")]
    assert check_atomicity(c).valid is True


def test_concurrent_sagas_see_a_reservation_that_is_later_released():
    """Saga A reserves the last apple and later fails and releases it; saga B, running
    between, is refused for lack of stock although the apple is back at the end (Azure Saga:
    dirty reads between sagas)."""
    s = Sagas(seed=1, initial={"inventory": {"stock:apple": 1}}, latency=5)
    s.refuse("shipping", "schedule")
    a = s.saga_async(s.order_steps("oA"))
    s.run_for(16)
    b = s.saga_async(s.order_steps("oB", customer="bob"))
    s.run_until_idle()
    assert a.result.outcome == "fail" and b.result.outcome == "fail"
    assert "insufficient stock" in b.result.error
    assert s.service("inventory").store.get("stock:apple") == 1


def test_concurrent_sagas_lose_updates_and_a_semantic_lock_prevents_it_at_a_cost():
    """Read-then-write sagas run concurrently overwrite each other (lost update); a semantic
    lock (Azure Saga countermeasure) prevents it, paid for with retries and time."""
    plain = lost_update_experiment(sagas=5, semantic_lock=False, seed=1)
    locked = lost_update_experiment(sagas=5, semantic_lock=True, seed=1)
    assert plain["lost_updates"] > 0 and plain["valid"] is False
    assert locked["lost_updates"] == 0 and locked["valid"] is True
    assert locked["completed"] == plain["completed"] == 5
    assert locked["attempts"] > plain["attempts"] and locked["sim_ms"] > plain["sim_ms"]


def test_a_lost_event_stalls_a_choreographed_order_and_nobody_notices():
    """Events go by direct messages, at most once: the one from payment to inventory is lost,
    the order stays half done (charged, not reserved) and the checker can only say unknown."""
    c = Choreography(seed=1)
    c.world.network.set_loss(1.0, src="payment", dst="inventory")
    r = c.place_order("o1")
    assert r.outcome == "info"
    c.run_for(5000)
    assert c.service("payment").store.get("paid:o1") == 10
    assert c.service("inventory").store.get("reserved:o1:apple") is None
    result = check_atomicity(c)
    assert result.valid is None and "still running: o1" in result.reasons
