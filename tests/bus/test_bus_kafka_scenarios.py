"""Scenario tests of the Kafka-like log: each documented behaviour, made to happen."""

from __future__ import annotations

from caplab.bus.check import check_duplicated, check_effect, check_lost, check_reordered
from caplab.bus.kafka import KafkaLog


def drain(log, group, topic, consumers=("c1",), rounds=6):
    """Let the group's consumers poll and commit until nothing new arrives."""
    clients = [log.consumer(name, group, topic) for name in consumers]
    log.run_for(100)
    for _ in range(rounds):
        for c in clients:
            if c.up:
                c.poll()
                c.commit()
    return clients


def test_acks_1_loses_an_acknowledged_message_when_the_leader_dies_first():
    """Kafka docs (producer config, acks=1): "should the leader fail immediately after
    acknowledging the record but before the followers have replicated it then the record will
    be lost"."""
    log = KafkaLog(brokers=3, seed=1)
    log.create_topic("t", partitions=1)
    p = log.producer("p", near="b1")
    assert p.produce("t", "before", acks=1).ok
    log.run_for(50)
    log.cut("b1", "b2")
    log.cut("b1", "b3")                       # followers never get the next record
    r = p.produce("t", "doomed", acks=1)
    assert r.ok                               # acknowledged by the leader alone
    log.crash("b1")
    log.heal()
    log.run_for(300)                          # fenced; b2 (in the ISR) leads
    assert log.leader("t", 0) == "b2"
    log.restart("b1")
    log.run_for(300)
    assert "p-2" not in log.log_of("b1", "t", 0)   # truncated to the new leader's log (KIP-101)
    drain(log, "g", "t")
    lost = check_lost(log.history, "t", "g")
    assert lost.valid is False and lost.details["lost"] == ("p-2",)
    assert r.id in lost.offending


def test_acks_all_never_acknowledges_what_the_isr_has_not_copied():
    """Kafka docs (acks=all): "the leader will wait for the full set of in-sync replicas to
    acknowledge the record"; the same failure leaves the write unacknowledged, not lost."""
    log = KafkaLog(brokers=3, seed=1)
    log.create_topic("t", partitions=1, min_insync_replicas=2)
    p = log.producer("p", near="b1")
    log.cut("b1", "b2")
    log.cut("b1", "b3")
    h = p.produce_async("t", "pending", acks="all", retries=0, request_timeout_ms=50)
    log.run_for(20)
    assert not h.done
    log.crash("b1")
    log.heal()
    log.run_for(400)
    assert h.done and not h.result.ok
    drain(log, "g", "t")
    assert check_lost(log.history, "t", "g").ok


def test_acks_all_below_min_insync_replicas_fails_with_not_enough_replicas():
    """Kafka docs (min.insync.replicas): when acks=all and the ISR is smaller than
    min.insync.replicas the producer gets NotEnoughReplicas; acks=1 still succeeds."""
    log = KafkaLog(brokers=3, seed=2)
    log.create_topic("t", partitions=1, min_insync_replicas=2)
    p = log.producer("p", near="b1")
    log.crash("b2")
    log.crash("b3")
    log.run_for(300)
    assert log.isr("t", 0) == ("b1",)
    r = p.produce("t", "x", acks="all", retries=0)
    assert r.outcome == "fail" and "NotEnoughReplicas" in r.error
    assert log.log_of("b1", "t", 0) == []     # refused before the append
    assert p.produce("t", "y", acks=1).ok


def test_rf3_min_insync_2_loses_no_acknowledged_message_when_one_broker_dies():
    """Kafka docs (design, replication): a committed message is not lost as long as one
    in-sync replica remains; RF=3 with min.insync.replicas=2 and acks=all is the recipe."""
    log = KafkaLog(brokers=3, seed=3)
    log.create_topic("t", partitions=3, min_insync_replicas=2)
    p = log.producer("p", near="b2")
    handles = [p.produce_async("t", i, key=f"k{i}") for i in range(30)]
    log.run_for(15)
    log.crash("b1")                           # the leader of partition 0, mid-stream
    log.run_until(lambda: all(h.done for h in handles), timeout_ms=5000)
    assert sum(h.result.ok for h in handles) >= 25
    drain(log, "g", "t", consumers=("c1", "c2"))
    assert check_lost(log.history, "t", "g").ok
    assert check_duplicated(log.history, "t", "g").ok   # the idempotent producer's retries


def _unclean_setup(unclean):
    log = KafkaLog(brokers=3, seed=4, unclean_leader_election=unclean)
    log.create_topic("t", partitions=1)
    p = log.producer("p", near="b1")
    log.partition(["b1", "controller", "p"], ["b2", "b3"])
    log.run_for(400)                          # b2, b3 fenced: the ISR shrinks to b1
    assert log.isr("t", 0) == ("b1",)
    r = p.produce("t", 7, acks="all")         # committed with the ISR {b1}
    assert r.ok
    log.crash("b1")
    log.heal()
    log.run_for(400)
    return log, r


def test_unclean_leader_election_loses_committed_messages():
    """Kafka docs (unclean.leader.election.enable): electing an out-of-sync replica keeps the
    partition available "even though doing so may result in data loss"."""
    log, r = _unclean_setup(True)
    assert log.leader("t", 0) == "b2"
    log.restart("b1")
    log.run_for(300)
    drain(log, "g", "t")
    lost = check_lost(log.history, "t", "g")
    assert lost.valid is False and r.id in lost.offending


def test_clean_election_waits_for_the_last_in_sync_replica():
    """Kafka docs: with unclean election off (the default) the partition stays offline until
    an ISR member returns, and then nothing committed is lost."""
    log, r = _unclean_setup(False)
    assert log.leader("t", 0) is None
    log.restart("b1")
    log.run_for(300)
    assert log.leader("t", 0) == "b1"
    drain(log, "g", "t")
    assert check_lost(log.history, "t", "g").ok


def test_commit_after_processing_redelivers_after_a_crash():
    """Kafka docs (design, consumer position): processing then committing gives at-least-once:
    a consumer that crashes before committing has its messages consumed again."""
    log = KafkaLog(brokers=3, seed=5)
    log.create_topic("t", partitions=2)
    p = log.producer("p")
    for i in range(10):
        assert p.produce("t", 1, key=f"k{i}").ok
    c1 = log.consumer("c1", "g", "t")
    c2 = log.consumer("c2", "g", "t")
    log.run_for(100)
    got = c1.poll()
    assert got.ok and got.value                # processed ...
    log.crash("c1")                            # ... but never committed
    log.run_for(600)                           # session timeout: c2 takes both partitions
    assert log.assignment("g") == {"c2": (0, 1)}
    for _ in range(3):
        c2.poll()
        c2.commit()
    dup = check_duplicated(log.history, "t", "g")
    assert dup.valid is False
    assert set(dup.details["redelivered"]) == {r[2] for r in got.value}
    assert check_lost(log.history, "t", "g").ok
    effect = check_effect(log.history, "t", "g")
    assert effect.valid is False and effect.details["balance"] == 10 + len(got.value)
    assert check_effect(log.history, "t", "g", dedupe=True).ok   # an idempotent consumer


def test_commit_before_processing_loses_messages_after_a_crash():
    """Kafka docs (design): committing the position before processing gives at-most-once: a
    crash during processing loses the messages."""
    log = KafkaLog(brokers=3, seed=6)
    log.create_topic("t", partitions=1)
    p = log.producer("p")
    for i in range(5):
        assert p.produce("t", 1, key=f"k{i}").ok
    c1 = log.consumer("c1", "g", "t", auto_commit=True, process_ms=50)
    log.run_for(100)
    c1.poll_async()
    log.run_for(30)                            # committed, still processing
    log.crash("c1")
    c2 = log.consumer("c2", "g", "t")
    log.run_for(600)
    c2.poll()
    lost = check_lost(log.history, "t", "g")
    assert lost.valid is False and len(lost.details["lost"]) == 5
    assert check_duplicated(log.history, "t", "g").ok


def test_order_holds_per_partition_not_across_partitions():
    """Kafka docs (introduction): order is guaranteed only within a partition; the same key
    always goes to the same partition."""
    log = KafkaLog(brokers=3, seed=7)
    log.create_topic("t", partitions=3)
    p = log.producer("p")
    for i in range(60):
        assert p.produce("t", i, key=f"k{i % 6}").ok
    drain(log, "g", "t", consumers=("c1", "c2", "c3"))
    assert check_lost(log.history, "t", "g").ok
    assert check_reordered(log.history, "t", "g", by="partition").ok
    assert check_reordered(log.history, "t", "g", by="key").ok
    assert check_reordered(log.history, "t", "g", by="topic").valid is False
    assert {log.partition_of("t", "k1") for _ in range(3)} == {log.partition_of("t", "k1")}


def _retried_produce(**options):
    """One produce whose first acknowledgements are lost (b1 -> p cut), so it is retried."""
    log = KafkaLog(brokers=3, seed=8)
    log.create_topic("t", partitions=1)
    p = log.producer("p", near="b1")
    log.cut("b1", "p")                         # the leader's acknowledgements are lost
    h = p.produce_async("t", 1, retries=3, request_timeout_ms=30, **options)
    log.run_for(70)                            # two attempts appended, no answer
    log.heal()
    log.run_until(lambda: h.done, timeout_ms=1000)
    assert h.result.ok
    drain(log, "g", "t")
    return log, check_duplicated(log.history, "t", "g")


def test_plain_producer_retries_append_duplicates_idempotent_ones_do_not():
    """Kafka docs (enable.idempotence): "retries due to broker failures, etc., may write
    duplicates of the retried message in the stream" unless the producer is idempotent
    (producer id and sequence numbers; KIP-98)."""
    for idempotent, expect_dup in ((False, True), (True, False), (None, False)):
        log, dup = _retried_produce(acks="all", idempotent=idempotent)
        assert (dup.valid is False) == expect_dup
        if expect_dup:
            assert dup.details["appended_twice"]


def test_acks_1_turns_the_default_idempotence_off_and_retries_duplicate():
    """Kafka producer configs (enable.idempotence, default true since 3.0): it requires
    acks='all'; "if conflicting configurations are set and idempotence is not explicitly
    enabled, idempotence is disabled", so acks=1 retries may append twice."""
    log, dup = _retried_produce(acks=1)
    assert dup.valid is False and dup.details["appended_twice"]



def test_acks_0_counts_a_record_sent_that_no_broker_ever_got():
    """Kafka docs (producer config acks=0): "the producer will not wait for any acknowledgment
    from the server at all ... no guarantee can be made that the server has received the
    record", and "the offset given back for each record will always be set to -1"."""
    log = KafkaLog(brokers=3, seed=9)
    log.create_topic("t", partitions=1)
    p = log.producer("p", near="b1")
    log.cut("p", "b1")                         # the record never reaches the leader
    r = p.produce("t", "gone", acks=0)
    assert r.ok and log.history[r.id].output == (0, -1)   # "ok" at once, offset -1
    log.heal()
    assert p.produce("t", "kept", acks=0).ok
    log.run_for(50)
    assert log.log_of("b1", "t", 0) == ["p-2"]
    drain(log, "g", "t")
    lost = check_lost(log.history, "t", "g")
    assert lost.valid is False and lost.details["lost"] == ("p-1",)
