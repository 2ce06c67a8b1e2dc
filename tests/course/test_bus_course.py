"""Notebook 08 (message buses and delivery guarantees): every claim it prints, for its seeds."""

import pytest

from caplab.course import bus


def test_acks_1_loses_an_acknowledged_message():
    """"acks=1: p-2 was acknowledged, the leader died before its followers copied it, b2 took
    over, and the group never receives p-2." (Kafka docs, producer acks=1.)"""
    f = bus.kafka_acks_1_loss(seed=1)
    assert f.acknowledged and f.new_leader == "b2" and f.lost == ("p-2",)


def test_acks_all_below_min_insync_fails_with_not_enough_replicas():
    """"acks=all with one in-sync replica and min.insync.replicas=2: NotEnoughReplicas, nothing
    appended." (Kafka docs, min.insync.replicas.)"""
    f = bus.kafka_not_enough_replicas(seed=2)
    assert not f.acknowledged and "NotEnoughReplicas" in f.error


def test_commit_after_processing_duplicates_and_an_idempotent_consumer_fixes_the_balance():
    """"Commit after processing: the six payments c1 processed are delivered again to c2, the
    balance reads 16 instead of 10, nothing is lost; deduplicating by message id gives 10.\""""
    f = bus.kafka_commit_order(seed=5, commit="after")
    assert f.processed_before_crash == 6 and len(f.duplicated) == 6 and f.lost == ()
    assert (f.balance, f.expected, f.balance_idempotent) == (16, 10, 10)


def test_commit_before_processing_loses_the_batch():
    """"Commit before processing (auto-commit): the whole batch is lost, nothing duplicated.\""""
    f = bus.kafka_commit_order(seed=5, commit="before")
    assert len(f.lost) == 10 and f.duplicated == () and f.balance == 0


@pytest.mark.parametrize("seed", [1, 2])
def test_rabbit_auto_ack_loses_and_manual_ack_redelivers(seed):
    """"Auto-ack: four of five confirmed messages die with the consumer. Manual ack: all five
    are delivered, the four requeued ones marked redelivered." (RabbitMQ, Consumer
    Acknowledgements.)"""
    auto = bus.rabbit_consumer_crash(seed=seed, auto_ack=True)
    manual = bus.rabbit_consumer_crash(seed=seed, auto_ack=False)
    assert auto.confirmed == manual.confirmed == 5
    assert len(auto.lost) == 4 and auto.delivered == 1
    assert manual.lost == () and manual.delivered == 5 and len(manual.redelivered) == 4


def test_nats_core_is_at_most_once():
    """"The first publish is ok, but nobody was subscribed: only pub-2 is received. A request
    to a subject nobody listens to fails at once with no responders.\""""
    f = bus.nats_late_subscriber(seed=1)
    assert f["first_publish_ok"] and f["received"] == ["pub-2"]
    assert f["request_outcome"] == "fail" and "no responders" in f["request_error"]
    assert f["request_latency_ms"] < 20
