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


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_same_order_events_on_every_bus(seed):
    """"Same workload, same faults: Kafka (commit after processing) and RabbitMQ (manual ack)
    lose nothing and deliver c1's last message twice; core NATS loses what was sent to the dead
    consumer and through the crashed server, and duplicates nothing; JetStream loses nothing
    but redelivers after the ack wait, out of order." (Kafka docs, "Message Delivery
    Semantics"; RabbitMQ, "Consumer Acknowledgements"; NATS, "Core NATS" and "JetStream
    Consumers": AckWait.)"""
    cmp = bus.compare_buses(seed=seed)
    kafka, rabbit, nats, js = (cmp.row(b) for b in ("kafka", "rabbit", "nats", "jetstream"))
    assert kafka["lost"] == 0 and kafka["duplicated"] > 0 and kafka["reordered"] == 0
    assert kafka["balance"] > kafka["expected"]
    assert rabbit["lost"] == 0 and rabbit["duplicated"] > 0
    assert rabbit["acknowledged"] < rabbit["published"]          # unconfirmed while r1 was down
    assert nats["lost"] > 0 and nats["duplicated"] == 0 and nats["acknowledged"] == 36
    assert nats["balance"] < nats["expected"]
    assert js["lost"] == 0 and js["duplicated"] > 0 and js["reordered"] > 0


def test_the_comparison_of_the_notebook_seed():
    """"With seed 1: Kafka 0 lost and 2 duplicated (balance 212 instead of 198); RabbitMQ 21 of
    36 confirmed, 0 lost, 2 duplicated; NATS 19 lost; JetStream 0 lost, 1 duplicated, 3
    reordered.\""""
    rows = {r["bus"]: r for r in bus.compare_buses(seed=1).rows}
    assert (rows["kafka"]["lost"], rows["kafka"]["duplicated"]) == (0, 2)
    assert (rows["kafka"]["balance"], rows["kafka"]["expected"]) == (212, 198)
    assert (rows["rabbit"]["acknowledged"], rows["rabbit"]["lost"],
            rows["rabbit"]["duplicated"]) == (21, 0, 2)
    assert rows["nats"]["lost"] == 19
    assert (rows["jetstream"]["lost"], rows["jetstream"]["duplicated"],
            rows["jetstream"]["reordered"]) == (0, 1, 3)


def test_section_6_auto_commit_loses_the_batch_and_commit_after_repeats_it():
    """"Auto-commit, crash 60 ms after the burst: the batch is lost. Without auto-commit,
    crashing 40 ms after the burst: the batch comes twice." (Kafka docs, "Message Delivery
    Semantics".)"""
    lost = bus.crash_mid_batch(auto_commit=True, wait_ms=60)
    assert lost["lost"] == 5 and lost["duplicated"] == 0 and lost["acknowledged"] == 10
    dup = bus.crash_mid_batch(auto_commit=False, wait_ms=40)
    assert dup["lost"] == 0 and dup["duplicated"] == 5


def test_kreps_ratio_near_the_published_054_and_what_it_depends_on():
    """"With 2 ms hops acks=all gets about half the throughput of acks=1, near Kreps' 0.54
    (421,823 vs 786,980 records/s, "Benchmarking Apache Kafka", 2014); 10 ms hops (longer than
    the followers' fetch wait) give less, uneven 1-5 ms hops less still; five requests in flight
    do not close the gap.\""""
    assert bus.KREPS_RATIO == 0.536
    rows = bus.kreps_ratio(seed=1)
    assert [r["network"] for r in rows] == ["constant 2 ms", "constant 10 ms", "uniform 1-5 ms"]
    assert abs(rows[0]["ratio"] - bus.KREPS_RATIO) < 0.1
    assert rows[2]["ratio"] < rows[1]["ratio"] < rows[0]["ratio"]
    assert all(r["ratio"] < 0.5 for r in bus.kreps_ratio(seed=1, in_flight=5))
