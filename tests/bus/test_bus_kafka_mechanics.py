"""The log's mechanisms one by one: ISR shrink and expand, rebalances, retention, lag, keys."""

from __future__ import annotations

from caplab.bus.check import check_lag, check_lost
from caplab.bus.kafka import KafkaLog, murmur2, partition_for


def test_isr_shrinks_after_replica_lag_time_and_expands_after_catching_up():
    """Kafka docs (replica.lag.time.max.ms): a follower that has not caught up for this long
    leaves the ISR; it rejoins once it has caught up again."""
    log = KafkaLog(brokers=3, seed=1)
    log.create_topic("t", partitions=1)
    p = log.producer("p", near="b1")
    log.cut("b1", "b2")                       # b2's fetches arrive, the answers do not
    for i in range(60):
        p.produce_async("t", i, acks=1)
        log.run_for(10)
    assert log.isr("t", 0) == ("b1", "b3")
    log.heal()
    log.run_for(200)
    assert log.isr("t", 0) == ("b1", "b2", "b3")
    assert log.log_of("b2", "t", 0) == log.log_of("b1", "t", 0)


def test_groups_rebalance_when_members_join_and_leave():
    """Kafka docs (consumer groups): partitions are reassigned when a member joins or leaves."""
    log = KafkaLog(brokers=3, seed=2)
    log.create_topic("t", partitions=4)
    c1 = log.consumer("c1", "g", "t")
    log.run_for(50)
    assert log.assignment("g") == {"c1": (0, 1, 2, 3)}
    log.consumer("c2", "g", "t")
    log.run_for(50)
    assert log.assignment("g") == {"c1": (0, 1), "c2": (2, 3)}
    assert sorted(c1.positions) == [0, 1]
    pending = log.clients["c2"].poll_async()
    log.clients["c2"].close()
    assert pending.done and pending.result.outcome == "info"   # closing ends what is in flight
    log.run_for(50)
    assert log.assignment("g") == {"c1": (0, 1, 2, 3)}


def test_retention_deletes_old_records_before_a_late_group_reads_them():
    """Kafka docs (retention.ms): old segments are deleted whether or not they were consumed;
    a group that arrives later never sees them."""
    log = KafkaLog(brokers=3, seed=3)
    log.create_topic("t", partitions=1, retention_ms=200)
    p = log.producer("p")
    assert p.produce("t", 1).ok
    log.run_for(500)
    assert p.produce("t", 2).ok
    c = log.consumer("c", "g", "t")
    log.run_for(50)
    for _ in range(3):
        c.poll()
    lost = check_lost(log.history, "t", "g")
    assert lost.details["lost"] == ("p-1",)


def test_consumer_lag_is_high_watermark_minus_committed():
    """Kafka's consumer lag: log end (committed records) minus the group's committed offset."""
    log = KafkaLog(brokers=3, seed=4)
    log.create_topic("t", partitions=1)
    p = log.producer("p")
    for i in range(5):
        p.produce("t", i)
    c = log.consumer("c", "g", "t")
    log.run_for(50)
    assert log.lag("g") == {0: 5}
    c.poll()
    assert c.commit().ok
    assert log.lag("g") == {0: 0}
    result = check_lag(log.history, "t", "g")
    assert result.details["max_lag"] == 5 and result.details["final"] == {0: 0}


def test_same_key_same_partition_with_a_stable_hash():
    """Kafka's default partitioner: murmur2(key) mod P, the same in every process."""
    log = KafkaLog(brokers=3, seed=5)
    log.create_topic("t", partitions=6)
    p = log.producer("p")
    parts = {p.produce("t", i, key="alice").id for i in range(5)}
    outputs = {log.history[i].output[0] for i in parts}
    assert outputs == {partition_for("alice", 6)} == {log.partition_of("t", "alice")}
    assert partition_for("alice", 6) == 3      # pinned: a change would move every key


def test_murmur2_matches_kafkas_own_vectors():
    """Kafka's UtilsTest.testMurmur2 vectors: keys land where a Java producer puts them."""
    vectors = {"21": -973932308, "foobar": -790332482, "a-little-bit-long-string": -985981536,
               "a-little-bit-longer-string": -1486304829,
               "lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8": -58897971, "abc": 479470107}
    assert {k: murmur2(k.encode()) for k in vectors} == vectors


def test_a_commit_from_a_fenced_member_is_refused():
    """Kafka: a member of an older generation cannot commit (ILLEGAL_GENERATION)."""
    log = KafkaLog(brokers=3, seed=6)
    log.create_topic("t", partitions=2)
    c1 = log.consumer("c1", "g", "t")
    log.run_for(50)
    log.isolate("b1")                          # c1 lives near b1: the coordinator loses it
    log.run_for(600)
    log.consumer("c2", "g", "t", near="b2")
    log.run_for(50)
    log.heal()
    r = c1.commit_async()
    log.run_until(lambda: r.done)
    assert r.result.outcome == "fail" and "IllegalGeneration" in r.result.error


def test_the_log_describes_itself():
    """describe() gives roles (leader starred), per-produce options with acks choices, presets."""
    log = KafkaLog(brokers=3, seed=7)
    log.create_topic("t", partitions=1)
    d = log.describe()
    assert d.system == "bus" and d.mode == "kafka" and d.leader_roles == ("leader",)
    assert [o.choices for o in d.options_for("produce") if o.name == "acks"] == [(0, 1, "all")]
    assert d.presets["isolate primary"] == ("isolate", "b1")
    assert log.roles() == {"controller": "controller", "b1": "leader", "b2": "follower",
                           "b3": "follower"}


def test_a_member_silent_past_the_session_timeout_loses_its_partitions():
    """Kafka consumer configs (session.timeout.ms, 45 s by default since 3.0; 450 ms here): a
    member whose heartbeats stop for less than the timeout keeps its partitions; past it, the
    coordinator removes it and rebalances its partitions to the others."""
    log = KafkaLog(brokers=3, seed=7)
    log.create_topic("t", partitions=2)
    log.consumer("c1", "g", "t", near="b1")
    log.consumer("c2", "g", "t", near="b2")
    log.run_for(50)
    assert log.assignment("g") == {"c1": (0,), "c2": (1,)}
    assert log.options["session_timeout_ms"] == 450
    log.cut("c1", "controller")                # c1's heartbeats are lost; c1 runs on
    log.run_for(300)
    assert log.assignment("g") == {"c1": (0,), "c2": (1,)}     # within the session timeout
    log.run_for(300)
    assert log.assignment("g") == {"c2": (0, 1)}
