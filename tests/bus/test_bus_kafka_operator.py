"""The operator's unclean election (KafkaLog.elect_leaders) and a leader alone in its ISR."""

import pytest

from caplab.bus.check import check_lost
from caplab.bus.kafka import KafkaLog
from caplab.errors import ConfigError


def _offline(seed=1):
    """b1 leads alone (b2, b3 cut off and out of the ISR), commits p-2, then dies: offline."""
    log = KafkaLog(brokers=3, seed=seed)
    log.create_topic("t")
    p = log.producer("p", near="b1")
    first = p.produce("t", 1)                 # on every replica
    log.partition(["b1", "controller", "p"], ["b2", "b3"])
    log.run_for(400)
    assert log.isr("t", 0) == ("b1",)
    alone = p.produce("t", 2)                 # committed by the ISR {b1} alone
    log.crash("b1")
    log.heal()
    log.run_for(400)
    assert log.leader("t", 0) is None
    return log, first, alone


def drain(log):
    c = log.consumer("reader", "g", "t", near="b2")
    log.run_for(100)
    for _ in range(4):
        c.poll()
        c.commit()


def test_the_operators_unclean_election_brings_the_partition_back_and_loses_the_rest():
    """Kafka KIP-460 (kafka-leader-election.sh --election-type unclean): an offline partition
    gets a leader from its live out-of-sync replicas; what only the dead leader held is lost."""
    log, first, alone = _offline()
    assert log.elect_leaders() == [("t", 0)]
    assert log.leader("t", 0) == "b2"
    assert log.options["unclean_leader_election"] is False     # the setting is unchanged
    drain(log)
    lost = check_lost(log.history, "t", "g")
    assert alone.id in lost.offending and first.id not in lost.offending


def test_a_clean_election_by_the_operator_elects_nobody_outside_the_isr():
    """elect_leaders(unclean=False) elects only from the live ISR: nobody here."""
    log, _, _ = _offline()
    assert log.elect_leaders(unclean=False) == [] and log.leader("t", 0) is None
    with pytest.raises(ConfigError, match="unclean"):
        log.elect_leaders(unclean="yes")


def test_a_new_leader_alone_in_its_isr_exposes_its_whole_log_at_once():
    """Kafka (Partition.makeLeader): "we may need to increment high watermark since ISR could
    be down to 1": b2, elected alone, had fetched records whose commit it had not yet heard
    of; as leader it makes them readable at once, not after some later produce."""
    log = KafkaLog(brokers=3, seed=3)
    log.create_topic("t", min_insync_replicas=2)
    p = log.producer("p", near="b1")
    sim = log.world.sim
    for t in range(50, 1058, 4):
        sim.schedule_at(t, lambda: p.produce_async("t", 1, retries=2))
    sim.schedule_at(100, log.crash, "b3")
    sim.schedule_at(358, lambda: (log.cut("b1", "b2"), log.cut("b2", "b1")))
    sim.schedule_at(808, log.crash, "b1")
    sim.schedule_at(818, log.heal)
    sim.schedule_at(958, log.elect_leaders)
    log.run(until=1000)
    assert log.leader("t", 0) == "b2"
    assert log.high_watermark("t", 0) == len(log.log_of("b2", "t", 0))
    drain(log)
    assert check_lost(log.history, "t", "g").ok
