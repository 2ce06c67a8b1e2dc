"""Bad input to the Kafka-like log: clear errors naming the value and the allowed ones, state
unchanged."""

from __future__ import annotations

import pytest

from caplab.bus.check import check_reordered
from caplab.bus.kafka import KafkaLog
from caplab.errors import ConfigError, UnknownNameError


@pytest.fixture
def log():
    log = KafkaLog(brokers=3, seed=1)
    log.create_topic("t", partitions=2)
    return log


def snapshot(log):
    return (log.topics, len(log.history), log.now, dict(log.controller.state),
            log.controller.version)


def test_unknown_topic_names_the_known_ones(log):
    """Producing to an unknown topic raises, listing the topics, and records nothing."""
    p = log.producer("p")
    before = snapshot(log)
    with pytest.raises(UnknownNameError, match=r"unknown topic 'nope'; allowed: 't'"):
        p.produce_async("nope", 1)
    with pytest.raises(UnknownNameError, match="nope"):
        log.consumer("c", "g", "nope")
    assert snapshot(log) == before and "c" not in log.clients


@pytest.mark.parametrize("partitions", [0, -1, 1.5, True])
def test_partitions_below_one_are_refused(log, partitions):
    """partitions < 1 (or not a whole number) is refused and no topic is created."""
    before = snapshot(log)
    with pytest.raises(ConfigError, match="partitions"):
        log.create_topic("u", partitions=partitions)
    assert snapshot(log) == before


@pytest.mark.parametrize("acks", [2, "ALL", None, True, "1"])
def test_acks_outside_0_1_all_are_refused(log, acks):
    """acks must be 0, 1 or 'all' (-1 is accepted as Kafka's alias); the error names them."""
    p = log.producer("p")
    before = snapshot(log)
    with pytest.raises(ConfigError, match=r"acks must be one of 0, 1, 'all'.*got"):
        p.produce_async("t", 1, acks=acks)
    assert snapshot(log) == before and p.count == 0


def test_acks_minus_one_is_all(log):
    """Kafka: acks=-1 is the same as acks=all."""
    p = log.producer("p")
    h = p.produce_async("t", 1, acks=-1)
    assert log.history[h.id].options["acks"] == "all"


def test_min_insync_above_replication_factor_is_refused(log):
    """min.insync.replicas above the replication factor could never be met: refused."""
    before = snapshot(log)
    with pytest.raises(ConfigError, match=r"min_insync_replicas must be between 1 and the "
                                          r"replication factor \(2\), got 3"):
        log.create_topic("u", replication_factor=2, min_insync_replicas=3)
    with pytest.raises(ConfigError, match="replication_factor"):
        log.create_topic("u", replication_factor=4)
    assert snapshot(log) == before


def test_other_bad_options(log):
    """Unknown options and bad log options name the allowed ones; nothing changes."""
    p = log.producer("p")
    with pytest.raises(UnknownNameError, match="produce option 'ack'"):
        p.produce_async("t", 1, ack=1)
    with pytest.raises(ConfigError, match="partition must be in 0..1"):
        p.produce_async("t", 1, partition=5)
    with pytest.raises(UnknownNameError, match="log option"):
        KafkaLog(brokers=3, unclean=True)
    with pytest.raises(ConfigError, match="unclean_leader_election"):
        KafkaLog(brokers=3, unclean_leader_election="yes")
    with pytest.raises(ConfigError, match="already exists"):
        log.create_topic("t")
    with pytest.raises(UnknownNameError, match="order scope"):
        check_reordered(log.history, "t", "g", by="offset")
    assert len(log.history) == 0 and p.count == 0


@pytest.mark.parametrize("options, words", [
    ({"idempotent": True, "acks": 1}, "acks=1"),
    ({"idempotent": True, "acks": 0}, "acks=0"),
    ({"idempotent": True, "retries": 0}, "retries=0"),
    ({"idempotent": "yes"}, "'yes'"),
])
def test_idempotence_with_conflicting_settings_is_refused(log, options, words):
    """Kafka producer configs (enable.idempotence): "if idempotence is explicitly enabled and
    conflicting configurations are set, a ConfigException is thrown" (it needs acks='all' and
    retries > 0); the error names the value and nothing is recorded."""
    p = log.producer("p")
    before = snapshot(log)
    with pytest.raises(ConfigError, match="idempotent") as e:
        p.produce_async("t", 1, **options)
    assert words in str(e.value)
    assert snapshot(log) == before and p.count == 0
