"""The order-to-delivery saga, the dual-write problem, the outbox and idempotent consumers."""

from __future__ import annotations

from caplab.events import EventShop
from caplab.events.check import check_delivery, check_read_models, check_saga


def _place(shop, oid="o1", amount=30, address="1 Main St"):
    return shop.command("place", oid, customer="ann", amount=amount, address=address,
                        items=["red shoes"])


def _status(shop, oid="o1"):
    return shop.services["orders"].tables["orders"][oid]["status"]


def test_happy_path_reaches_delivered_across_four_services():
    """Placed -> authorised -> matched -> scheduled -> delivered, each service in its own store
    (microservices.io, Saga: each local transaction publishes domain events)."""
    shop = EventShop(seed=1)
    _place(shop)
    shop.settle()
    assert _status(shop) == "delivered"
    assert shop.services["shipping"].tables["shipments"]["o1"]["status"] == "delivered"
    saga = check_saga(shop)
    assert saga.ok and saga.details["time_to_consistency"]["o1"] > 50


def test_declined_payment_compensates_the_order():
    """A declined payment cancels the order (a compensating event)."""
    shop = EventShop(seed=1, limit=20)
    _place(shop, amount=30)
    shop.settle()
    assert _status(shop) == "cancelled"
    assert check_saga(shop).ok


def test_unmatched_address_refunds_payment_and_cancels_order():
    """An address that does not match midway refunds the authorised payment and cancels the
    order: compensations after a failure (microservices.io, Saga)."""
    shop = EventShop(seed=1)
    _place(shop, address="nowhere 9")
    shop.settle()
    assert _status(shop) == "cancelled"
    assert shop.services["payments"].tables["payments"]["o1"]["status"] == "refunded"
    assert check_saga(shop).ok and check_delivery(shop).ok


def test_dual_write_crash_after_commit_loses_the_event():
    """Commit then publish: a crash in between loses the event and the order is stuck (the
    outbox exists because the broker and the DB cannot share one transaction, Azure CQRS)."""
    shop = EventShop(seed=1, publish="after_commit")
    shop.crash_at("payments", "after_commit")
    _place(shop)
    shop.run_for(100)
    shop.restart("payments")
    shop.settle(max_ms=1000)
    delivery = check_delivery(shop)
    assert delivery.valid is False and delivery.details["lost"] == 1
    assert "never published (lost)" in delivery.reasons[0]
    assert check_saga(shop).valid is False


def test_dual_write_publish_before_commit_publishes_a_phantom():
    """Publish then commit: a crash in between publishes an event for a write that never
    committed."""
    shop = EventShop(seed=1, publish="before_commit")
    shop.crash_at("payments", "before_commit")
    _place(shop)
    shop.run_for(100)
    shop.restart("payments")
    shop.settle(max_ms=1000)
    delivery = check_delivery(shop)
    assert delivery.valid is False
    assert any("never committed" in r for r in delivery.reasons)


def test_outbox_survives_a_crash_between_commit_and_publish():
    """With the outbox the event is "sent if and only if the database transaction commits"
    (microservices.io, Transactional outbox): the relay publishes it after the restart."""
    shop = EventShop(seed=1)
    shop.crash_at("payments", "relay_after_publish")
    _place(shop)
    shop.run_for(100)
    shop.restart("payments")
    shop.settle()
    assert _status(shop) == "delivered"
    for check in (check_saga, check_delivery, check_read_models):
        assert check(shop).ok, check(shop).explain()


def test_relay_publishes_twice_and_idempotent_consumer_absorbs_it():
    """The relay "might publish a message more than once"; the idempotent consumer's
    PROCESSED_MESSAGES row, written in its transaction, makes the duplicate harmless
    (microservices.io, Idempotent consumer)."""
    shop = EventShop(seed=1)
    shop.crash_at("payments", "relay_after_publish")   # published, not marked sent
    _place(shop)
    shop.run_for(60)
    shop.restart("payments")
    shop.settle()
    logged = [e.event_id for _t, e in shop.log_events("payments")]
    assert len(logged) > len(set(logged))                  # a duplicate is in the log
    assert check_delivery(shop).ok


def test_consumer_crash_before_offset_commit_redelivers_and_is_absorbed():
    """A consumer that applied and committed, then crashed before committing its offset, gets
    the record again (commit after processing = at-least-once, Kafka); it is ignored."""
    shop = EventShop(seed=1)
    shop.crash_at("addresses", "consumer_after_apply")
    _place(shop)
    shop.run_for(100)
    shop.restart("addresses")
    shop.settle()
    assert check_delivery(shop).ok and _status(shop) == "delivered"


def test_without_idempotency_a_redelivered_event_is_applied_twice():
    """Without PROCESSED_MESSAGES the redelivered event is applied again: the checker names
    it."""
    shop = EventShop(seed=1, idempotent=False)
    shop.crash_at("addresses", "consumer_after_apply")
    _place(shop)
    shop.run_for(100)
    shop.restart("addresses")
    shop.settle()
    delivery = check_delivery(shop)
    assert delivery.valid is False and delivery.details["applied_twice"] >= 1
    assert any("applied 2 times by addresses" in r for r in delivery.reasons)


def test_log_node_crash_delays_but_loses_nothing():
    """The log keeps its partitions on disk: while it is down nothing moves; after its
    restart the outbox relays catch up and every order is delivered."""
    shop = EventShop(seed=6)
    shop.crash("log")
    _place(shop)
    shop.run_for(200)
    assert _status(shop) == "placed"
    shop.restart("log")
    shop.settle()
    assert _status(shop) == "delivered" and check_delivery(shop).ok


def test_same_seed_same_log():
    """Same seed, same events, same log, same times."""
    def run():
        shop = EventShop(seed=11, transport={"duplicate_p": 0.2, "reorder_p": 0.2})
        for i in range(5):
            _place(shop, f"o{i}", amount=25 * i + 5, address="a" if i != 2 else "nowhere")
        shop.settle()
        return [(t, e) for t, e in shop.log_events()], shop.now
    assert run() == run()
