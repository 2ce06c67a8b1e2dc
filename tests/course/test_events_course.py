"""Notebook 09 (events and CQRS): every claim it prints, for its seeds, and its exercise."""

import pytest

from caplab.course import events as ev
from caplab.events import decode
from caplab.events.service import PUBLISH_MODES
from caplab.labkit.course import nb09


def test_an_event_has_a_header_and_a_body_and_a_bad_one_is_dead_lettered():
    """"An unknown schema version is refused naming the version; payments dead-letters it with
    the reason and the next order is delivered." (RabbitMQ, dead-letter exchanges.)"""
    a = ev.event_anatomy(seed=1)
    assert set(a.header) == {"event_id", "type", "source", "timestamp_ms", "correlation_id",
                             "causation_id", "schema_version", "aggregate", "version"}
    assert a.header["type"] == "OrderPlaced" and a.body["amount"] == 30
    assert a.schema_error == "event 'bad-1': unknown schema_version 2; known: [1]"
    assert a.dead_letters == (a.schema_error,) and a.delivered_after == "delivered"


def test_query_right_after_command_is_stale_and_the_version_fixes_it():
    """"The query right after the command returns nothing; with min_version it waits a few ms
    and reads the order placed." (Azure Architecture Center, CQRS: eventually consistent.)"""
    s = ev.stale_read(seed=2)
    assert s.version == 1 and s.right_after is None and s.stale
    assert 0 < s.waited_ms < 50
    assert s.with_version == {"status": "placed", "amount": 10, "customer": "ann", "version": 1}


def test_every_command_becomes_visible_within_a_few_poll_intervals():
    """"Every order appears in the summary, after a lag mostly made of the consumers' poll
    interval.\""""
    lag = ev.lag_run(seed=1)
    assert len(lag.lags) == 8 and all(v is not None for _o, v in lag.lags)
    assert 0 < lag.min_ms <= lag.max_ms < 5 * lag.poll_ms


def test_the_saga_delivers_one_order_and_compensates_the_other():
    """"o1 is delivered; o2's address does not match after its payment was authorised, so the
    payment is refunded and the order cancelled." (microservices.io, Saga: compensating
    transactions.)"""
    saga = ev.saga_failure(seed=1)
    assert saga.happy_chain[0] == "OrderPlaced" and saga.happy_chain[-1] == "OrderDelivered"
    assert {"PaymentAuthorised", "AddressMatched", "ShipmentScheduled", "Delivered"} <= set(
        saga.happy_chain)
    assert "AddressUnmatched" in saga.failed_chain and "PaymentRefunded" in saga.failed_chain
    assert (saga.happy_status, saga.failed_status, saga.payment_after) == (
        "delivered", "cancelled", "refunded")
    assert saga.saga_ok and set(saga.time_to_consistency) == {"o1", "o2"}


def test_the_flow_runs_in_order_and_the_orders_service_translates_foreign_events():
    """"Placed -> payment authorised -> address matched -> shipment scheduled -> delivered; the
    orders service turns PaymentAuthorised into its own OrderPaid (an anti-corruption layer)."
    (microservices.io, Saga: choreography.)"""
    chain = ev.saga_failure(seed=1).happy_chain
    steps = ["OrderPlaced", "PaymentAuthorised", "AddressMatched", "ShipmentScheduled",
             "Delivered"]
    assert [k for k in chain if k in steps] == steps
    assert chain.index("PaymentAuthorised") < chain.index("OrderPaid")


def test_each_service_publishes_on_its_own_topic_keyed_by_the_order_id():
    """"Each service publishes on its own topic; the key of every record is the order id."
    (Kafka: records with the same key go to the same partition.)"""
    shop = ev.saga_failure(seed=1).shop
    records = {t: [(k, decode(p)) for _o, k, p in shop.transport.records(t)]
               for t in shop.transport.topics()}
    assert set(records) == {"orders", "payments", "addresses", "shipping"}
    assert all(k == e.aggregate and e.source == t
               for t, rs in records.items() for k, e in rs)


@pytest.mark.parametrize("mode, verdict, status", [
    ("after_commit", "lost event", "placed"),
    ("before_commit", "phantom event", "delivered"),
    ("outbox", "consistent", "delivered")])
def test_dual_write_both_ways_and_the_outbox(mode, verdict, status):
    """"Commit then publish loses the event (the order is stuck); publish then commit publishes a
    phantom; the outbox is consistent." (microservices.io, Transactional outbox.)"""
    r = ev.dual_write(seed=1, publish=mode)
    assert r.verdict == verdict and r.order_status == status
    assert r.delivery_ok == (mode == "outbox")


def test_replay_rebuilds_the_same_read_model_under_disorder():
    """"Dropped and replayed through a transport duplicating and reordering 30%, the summary is
    the same and equals the fold over the log.\""""
    r = ev.rebuild_by_replay(seed=4)
    assert r.emptied == {} and r.equal and r.fold_ok and r.replayed > 16
    assert {o["status"] for o in r.after.values()} == {"delivered", "cancelled"}


def test_replay_drops_duplicates_and_holds_back_an_early_event():
    """"The projection drops an event at or below its version and holds back one that comes
    early": both happen in the notebook's replay (seed 1), and the model is still the same."""
    r = ev.rebuild_by_replay(seed=1)
    assert r.duplicates > 0 and r.held_back > 0
    assert r.emptied == {} and r.equal and r.fold_ok
    assert {o["status"] for o in r.after.values()} == {"delivered", "cancelled"}


def test_nb09_exercise_passes_the_reference_and_names_a_wrong_verdict():
    """The reference is correct; a wrong verdict is named with the seed; bad values are
    refused naming them."""
    assert nb09.exercise.check(nb09.exercise.reference).correct
    wrong = dict(nb09.exercise.reference, outbox="lost event")
    out = nb09.exercise.check(wrong)
    assert not out.correct and out.seed == nb09.SEED and "'consistent'" in out.text()
    assert nb09.exercise.check(...).status == "Not attempted"
    assert "'lunch' is not a verdict" in nb09.exercise.check(
        dict.fromkeys(PUBLISH_MODES, "lunch")).text()
    assert "no verdict for 'outbox'" in nb09.exercise.check(
        {"after_commit": "lost event", "before_commit": "phantom event"}).text()
