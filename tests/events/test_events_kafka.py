"""The event shop on the Kafka-like replicated log of caplab.bus.kafka (``bus="kafka"``)."""

from __future__ import annotations

import pytest

from caplab.errors import ConfigError, UnknownNameError
from caplab.events import EventShop
from caplab.events.check import check_delivery, check_read_models, check_saga


def _place(shop, oid, amount=30, address="1 Main St"):
    return shop.command("place", oid, customer=f"c-{oid}", amount=amount, address=address,
                        items=["red shoes"])


def _statuses(shop):
    return {k: v["status"] for k, v in shop.services["orders"].tables["orders"].items()}


def test_the_flow_runs_on_the_kafka_log():
    """On three brokers with acks=all the saga completes, nothing is lost or applied twice, and
    the read models equal the fold over the log."""
    shop = EventShop(seed=1, bus="kafka")
    for i in range(4):
        _place(shop, f"o{i}", amount=30 * i + 10, address="nowhere" if i == 2 else "1 Main St")
    shop.settle()
    assert _statuses(shop) == {"o0": "delivered", "o1": "delivered", "o2": "cancelled",
                               "o3": "delivered"}
    assert {"b1", "b2", "b3", "controller"} <= set(shop.node_names)
    for check in (check_saga, check_delivery, check_read_models):
        assert check(shop).ok, check(shop).explain()


def test_order_per_aggregate_holds_in_each_partition():
    """Every record is keyed by its order id, so one order's events sit in one partition in
    the order they were produced (Kafka docs, Guarantees: "appended in the order they are
    sent"); the projections never see an early event or a duplicate."""
    shop = EventShop(seed=2, bus="kafka", transport={"partitions": 3})
    for i in range(8):
        _place(shop, f"o{i}", amount=10 + i)
        shop.run_for(7)
    shop.settle()
    log = shop.transport.log
    for topic in shop.transport.topics():
        by_order: dict[str, list] = {}
        for _t, e in shop.log_events(topic):
            by_order.setdefault(e.aggregate, []).append(e.version)
        for oid, versions in by_order.items():
            assert versions == sorted(versions), (topic, oid, versions)
            assert log.partition_of(topic, oid) in range(3)
    summary = shop.projection("order_summary")
    assert summary.early == 0 and summary.duplicates == 0
    assert set(_statuses(shop).values()) == {"delivered"}


def test_consumer_crash_before_commit_redelivers_and_the_projection_absorbs_it():
    """The summary node applies records, then crashes before committing its offsets: after its
    restart the group resumes from the committed offset and the records come again (Kafka:
    commit after processing = at-least-once); the projection drops them by version."""
    shop = EventShop(seed=3, bus="kafka")
    node = shop.readers["summary"]
    node.crash_after_apply = 3
    for i in range(3):
        _place(shop, f"o{i}")
    shop.run_for(200)
    assert not node.up
    shop.restart("summary")
    shop.settle()
    seen = [eid for _t, eid, _a, _v in node.seen]
    again = len(seen) - len(set(seen))
    assert again >= 1 and shop.projection("order_summary").duplicates == again
    assert check_read_models(shop).ok and check_delivery(shop).ok


def test_service_consumer_crash_before_commit_is_absorbed_by_processed_messages():
    """A service that committed its transaction and crashed before the offset commit gets the
    record again; PROCESSED_MESSAGES makes it harmless (microservices.io, Idempotent
    consumer)."""
    shop = EventShop(seed=1, bus="kafka")
    shop.crash_at("addresses", "consumer_after_apply")
    _place(shop, "o1")
    shop.run_for(100)
    shop.restart("addresses")
    shop.settle()
    assert _statuses(shop) == {"o1": "delivered"} and check_delivery(shop).ok


def _leader_cut_off_then_crashed(acks):
    """The leader of o1's partition of the orders topic is cut off from the other brokers when
    the outbox relay publishes o1's OrderPlaced; then it crashes and the cut heals."""
    shop = EventShop(seed=1, bus="kafka", transport={"acks": acks})
    log = shop.transport.log
    _place(shop, "o0")
    shop.settle()
    leader = log.leader("orders", log.partition_of("orders", "o1"))
    for b in log.brokers:
        if b != leader:
            log.cut(leader, b)
            log.cut(b, leader)
    _place(shop, "o1")
    shop.run_for(30)
    marked = [row[3] for row in shop.services["orders"].outbox if row[1] == "o1"]
    log.crash(leader)
    shop.world.heal()
    shop.run_for(500)
    log.restart(leader)
    shop.settle()
    return shop, marked


def test_outbox_relay_with_acks_1_marks_a_row_sent_that_the_log_then_loses():
    """acks=1: the cut-off leader acknowledges alone, the relay marks the row sent, the leader
    dies and the new one never had the record (Kafka docs, acks=1: "the record will be
    lost"): the delivery checker finds the committed event missing."""
    shop, marked = _leader_cut_off_then_crashed(1)
    assert marked == [True]
    delivery = check_delivery(shop)
    assert delivery.details["lost"] == 1 and _statuses(shop)["o1"] == "placed"


def test_outbox_relay_with_acks_all_publishes_every_row_despite_the_leader_loss():
    """acks=all with min.insync.replicas=2: the cut-off leader cannot acknowledge, the row stays
    unsent until a new leader has it (Kafka docs, acks=all: "the record will not be lost as
    long as at least one in-sync replica remains alive")."""
    shop, marked = _leader_cut_off_then_crashed("all")
    assert marked == [False]
    assert _statuses(shop) == {"o0": "delivered", "o1": "delivered"}
    for check in (check_saga, check_delivery, check_read_models):
        assert check(shop).ok, check(shop).explain()


def test_rebuild_replays_the_kafka_log_as_a_new_group():
    """Dropping the summary and replaying the orders topic as a new consumer group rebuilds the
    same read model."""
    shop = EventShop(seed=4, bus="kafka")
    for i in range(3):
        _place(shop, f"o{i}")
    shop.settle()
    before = shop.projection("order_summary").model()
    shop.readers["summary"].rebuild()
    shop.settle()
    assert shop.projection("order_summary").model() == before and before


def test_bad_bus_and_kafka_options_are_named():
    """An unknown bus names the allowed ones; a bad acks or poll interval is named."""
    with pytest.raises(UnknownNameError, match="'rabbit'"):
        EventShop(seed=1, bus="rabbit")
    with pytest.raises(ConfigError, match="acks must be one of"):
        EventShop(seed=1, bus="kafka", transport={"acks": 2})
    with pytest.raises(ConfigError, match="poll_ms"):
        EventShop(seed=1, bus="kafka", transport={"poll_ms": 0})


def test_same_seed_same_kafka_log():
    """Same seed, same events on the Kafka log, same times."""
    def run():
        shop = EventShop(seed=9, bus="kafka")
        for i in range(3):
            _place(shop, f"o{i}", amount=40 * i + 10)
        shop.settle()
        return [(t, e) for t, e in shop.log_events()], shop.now
    assert run() == run()
