"""Views of the Kafka-like log: lanes of offsets, leader and ISR, consumers, lag."""

from __future__ import annotations

from helpers_viz import trace_named, valid

from caplab.bus.check import lag_over_time
from caplab.bus.kafka import KafkaLog
from caplab.viz.bus import kafka_view, kafka_view_data, lag_curve


def _log():
    log = KafkaLog(brokers=3, seed=1)
    log.create_topic("t", partitions=2)
    p = log.producer("p")
    for i in range(6):
        p.produce("t", i, key=f"k{i}")
    c = log.consumer("c1", "g", "t")
    log.run_for(50)
    c.poll()
    c.commit()
    return log


def test_view_marks_leader_isr_and_out_of_sync():
    """A crashed follower is drawn as down, then out of sync after it restarts behind."""
    log = _log()
    log.crash("b2")
    log.run_for(200)
    data = kafka_view_data(log.snapshot(), "t")
    states = {(r["partition"], r["broker"]): r["state"] for r in data["replicas"]}
    assert states[(0, "b1")] == "leader" and states[(0, "b2")] == "down"
    fig = valid(kafka_view(log.snapshot(), "t"))
    assert trace_named(fig, "leader") is not None and trace_named(fig, "down") is not None
    log.restart("b2")
    states = {(r["partition"], r["broker"]): r["state"]
              for r in kafka_view_data(log.snapshot(), "t")["replicas"]}
    assert states[(0, "b2")] == "out of sync"
    assert valid(kafka_view(log.snapshot(), "t")).data


def test_view_shows_positions_committed_and_lag():
    """Consumer positions and committed offsets are marked; lag is high watermark - committed."""
    log = _log()
    log.producer("q").produce("t", 9, partition=0)
    data = kafka_view_data(log.snapshot(), "t")
    assert {r["partition"]: r["lag"]["g"] for r in data["partitions"]}[0] == 1
    assert {c["member"] for c in data["consumers"]} == {"c1"}
    fig = valid(kafka_view(log.snapshot(), "t"))
    assert len(trace_named(fig, "committed").x) == 2


def test_view_of_an_empty_topic_shows_whole_offsets_and_whole_consumer_names():
    """Before any record the offset axis still runs over whole offsets from before 0 (room for
    a consumer's name at offset 0), not 0..0.05 with the empty logs drawn full width."""
    log = KafkaLog(brokers=3, seed=1)
    log.create_topic("t", partitions=2)
    log.consumer("c1", "g", "t").poll()
    fig = valid(kafka_view(log.snapshot(), "t"))
    lo, hi = fig.layout.xaxis.range
    assert lo < 0 and hi >= 1 and fig.layout.xaxis.dtick == 1
    assert max(trace_named(fig, "in sync").x) < 0.1 * (hi - lo)
    fig = valid(kafka_view(_log().snapshot(), "t"))
    assert fig.layout.xaxis.range[1] >= max(trace_named(fig, "high watermark").x)


def test_lag_curve_has_one_line_per_partition():
    """The lag curve draws one line per partition from the history."""
    log = _log()
    fig = valid(lag_curve(lag_over_time(log.history, "t", "g")))
    assert sorted(t.name for t in fig.data) == ["p0", "p1"]
