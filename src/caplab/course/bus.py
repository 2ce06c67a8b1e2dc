"""Scenarios of notebook 08 (message buses and delivery guarantees): how a Kafka-like log loses
or duplicates a message, how a RabbitMQ-like broker's acknowledgement mode decides whether a
crashed consumer loses its messages, and what NATS's at-most-once core promises.

Each function builds a fresh seeded bus from :mod:`caplab.bus`, runs one story and returns its
facts (with the bus, for drawing); ``tests/course/test_bus_course.py`` asserts them.

Example:
    >>> kafka_acks_1_loss(seed=1).lost
    ('p-2',)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..bus.check import check_duplicated, check_effect, check_lost
from ..bus.kafka import KafkaLog
from ..bus.nats import Nats
from ..bus.orders import BUSES, Faults, run_orders
from ..bus.playground import BusPlayground
from ..bus.rabbit import Broker
from ..net.latency import Constant, Uniform

__all__ = ["AcksFacts", "kafka_acks_1_loss", "kafka_not_enough_replicas", "CommitFacts",
           "kafka_commit_order", "RabbitAckFacts", "rabbit_consumer_crash", "nats_late_subscriber",
           "BusComparison", "compare_buses", "GUARANTEES", "crash_mid_batch", "KREPS_RATIO",
           "kreps_ratio"]


@dataclass(frozen=True)
class AcksFacts:
    """A message the producer was told is written, and whether a consumer group ever got it."""

    acks: Any
    acknowledged: bool
    new_leader: str | None
    lost: tuple
    error: str | None
    log: Any = field(repr=False, compare=False)


def _drain(log, group: str, topic: str) -> None:
    consumer = log.consumer("reader", group, topic)
    log.run_for(100)
    for _ in range(6):
        consumer.poll()
        consumer.commit()


def kafka_acks_1_loss(seed: int = 1) -> AcksFacts:
    """acks=1: the leader acknowledges a record its followers never copied, then dies; the
    new leader (from the ISR) never had it, and the old one truncates it on return (Kafka docs,
    producer ``acks=1``: "the record will be lost")."""
    log = KafkaLog(brokers=3, seed=seed)
    log.create_topic("t", partitions=1)
    p = log.producer("p", near="b1")
    p.produce("t", "before", acks=1)
    log.run_for(50)
    log.cut("b1", "b2")
    log.cut("b1", "b3")
    r = p.produce("t", "doomed", acks=1)
    log.crash("b1")
    log.heal()
    log.run_for(300)
    leader = log.leader("t", 0)
    log.restart("b1")
    log.run_for(300)
    _drain(log, "g", "t")
    lost = check_lost(log.history, "t", "g")
    return AcksFacts(1, r.ok, leader, tuple(lost.details["lost"]), r.error, log)


def kafka_not_enough_replicas(seed: int = 2) -> AcksFacts:
    """acks=all with the in-sync replicas below ``min.insync.replicas``: the produce fails
    with NotEnoughReplicas (nothing appended), where acks=1 would still succeed."""
    log = KafkaLog(brokers=3, seed=seed)
    log.create_topic("t", partitions=1, min_insync_replicas=2)
    p = log.producer("p", near="b1")
    log.crash("b2")
    log.crash("b3")
    log.run_for(300)
    r = p.produce("t", "x", acks="all", retries=0)
    return AcksFacts("all", r.ok, log.leader("t", 0), (), r.error, log)


@dataclass(frozen=True)
class CommitFacts:
    """A consumer that crashes between processing and committing, or after committing and
    before processing: duplicates or losses, and what an idempotent consumer makes of them."""

    commit: str
    processed_before_crash: int
    duplicated: tuple
    lost: tuple
    balance: Any
    expected: Any
    balance_idempotent: Any
    log: Any = field(repr=False, compare=False)


def kafka_commit_order(seed: int = 5, *, commit: str = "after") -> CommitFacts:
    """Ten payments of 1; a consumer processes some, then crashes. ``commit="after"``
    (commit after processing): the group's other consumer gets them again (at-least-once, the
    balance too high unless the consumer deduplicates). ``commit="before"`` (auto-commit first):
    they are never processed (at-most-once)."""
    log = KafkaLog(brokers=3, seed=seed)
    log.create_topic("t", partitions=1 if commit == "before" else 2)
    p = log.producer("p")
    for i in range(10):
        p.produce("t", 1, key=f"k{i}")
    if commit == "after":
        c1 = log.consumer("c1", "g", "t")
        c2 = log.consumer("c2", "g", "t")
        log.run_for(100)
        got = c1.poll()
        processed = len(got.value)
        log.crash("c1")
    else:
        c1 = log.consumer("c1", "g", "t", auto_commit=True, process_ms=50)
        log.run_for(100)
        c1.poll_async()
        log.run_for(30)
        processed = 0
        log.crash("c1")
        c2 = log.consumer("c2", "g", "t")
    log.run_for(600)
    for _ in range(3):
        c2.poll()
        c2.commit()
    dup = check_duplicated(log.history, "t", "g")
    lost = check_lost(log.history, "t", "g")
    effect = check_effect(log.history, "t", "g")
    fixed = check_effect(log.history, "t", "g", dedupe=True)
    return CommitFacts(commit, processed, tuple(dup.details.get("redelivered", ())),
                       tuple(lost.details["lost"]), effect.details["balance"],
                       effect.details["expected"], fixed.details["balance"], log)


@dataclass(frozen=True)
class RabbitAckFacts:
    """Five confirmed messages, a consumer that dies while holding some of them."""

    auto_ack: bool
    confirmed: int
    delivered: int
    lost: tuple
    redelivered: tuple
    broker: Any = field(repr=False, compare=False)


def rabbit_consumer_crash(seed: int = 1, *, auto_ack: bool = True) -> RabbitAckFacts:
    """RabbitMQ "Consumer Acknowledgements": with automatic acknowledgement the messages in a
    dead consumer's buffer are gone; with manual acknowledgement they are requeued (marked
    ``redelivered``) for another consumer."""
    b = Broker(nodes=1, seed=seed)
    b.declare_queue("work")
    p = b.publisher("producer")
    consumer = b.consumer("c", "work", auto_ack=auto_ack, process_ms=50)
    b.run_for(10)
    for i in range(5):
        p.publish_async("", "work", i)
    b.run_for(70)                    # one processed; the others wait in the consumer
    consumer.crash()
    b.consumer("backup", "work", auto_ack=auto_ack, prefetch=1, process_ms=1)
    b.run_for(1500)
    confirmed = {r["id"] for r in b.publishes() if r["confirmed"]}
    delivered = {d["id"] for d in b.deliveries()}
    again = tuple(sorted({d["id"] for d in b.deliveries() if d["redelivered"]}))
    return RabbitAckFacts(auto_ack, len(confirmed), len(delivered),
                          tuple(sorted(confirmed - delivered)), again, b)


def nats_late_subscriber(seed: int = 1) -> dict:
    """Core NATS is at-most-once with no storage: a message published before anyone subscribes
    is gone; a request nobody listens to fails at once ("no responders")."""
    n = Nats(seed=seed)
    pub = n.client("pub")
    first = pub.publish("news", "early")
    n.run_for(20)
    late = n.client("late")
    late.subscribe("news")
    n.run_for(20)
    pub.publish("news", "later")
    n.run_for(20)
    request = n.client("app").request("nobody.home")
    return {"first_publish_ok": first.ok,
            "received": [d["id"] for d in n.deliveries()],
            "request_outcome": request.outcome, "request_error": request.error,
            "request_latency_ms": request.latency_ms, "nats": n}


#: what each bus is configured to promise in :func:`compare_buses`
GUARANTEES = {
    "kafka": "Kafka-like: 3 brokers, 3 partitions (RF 3, acks=all), commit after processing",
    "rabbit": "RabbitMQ-like: 3 nodes, a quorum queue, persistent messages, manual ack",
    "nats": "core NATS: 3 servers, a queue group, at-most-once",
    "jetstream": "JetStream-like: a stream on s1 (one replica), explicit acks",
}


@dataclass(frozen=True)
class BusComparison:
    """The order-events workload on every bus: one row of checker verdicts per bus."""

    seed: int
    orders: int
    faults: Any
    rows: tuple
    runs: dict = field(repr=False, compare=False)

    def row(self, bus: str) -> dict:
        """The row of ``bus`` (``kafka``, ``rabbit``, ``nats`` or ``jetstream``)."""
        return next(r for r in self.rows if r["bus"] == bus)


def compare_buses(seed: int = 1, *, orders: int = 12, faults: Faults = Faults()) -> \
        BusComparison:
    """The same order-events workload and the same two faults (consumer ``c1`` dies after
    processing and before acknowledging; broker node 1 crashes) on the Kafka-like log, the
    RabbitMQ-like broker, core NATS and a JetStream-like stream (:mod:`caplab.bus.orders`);
    one row per bus with the checkers' counts.

    Returns:
        a :class:`BusComparison`; each row: ``bus``, ``setup``, ``published``,
        ``acknowledged``, ``delivered`` (distinct events the consumers processed), ``lost``,
        ``duplicated``, ``reordered`` (per order id), ``balance``,
        ``expected`` (the exactly-once balance of the acknowledged payments), ``exact``.

    Example:
        >>> compare_buses(seed=1, orders=4).row("kafka")["lost"]
        0
    """
    runs, rows = {}, []
    for bus in BUSES:
        run = runs[bus] = run_orders(bus, seed=seed, orders=orders, faults=faults)
        v = run.verdicts
        rows.append({"bus": bus, "setup": GUARANTEES[bus], "published": run.published,
                     "acknowledged": run.acknowledged,
                     "delivered": v["lost"].details["delivered"],
                     "lost": v["lost"].details["count"],
                     "duplicated": v["duplicated"].details["count"],
                     "reordered": v["reordered"].details["count"],
                     "balance": v["effect"].details["balance"],
                     "expected": v["effect"].details["expected"],
                     "exact": bool(v["effect"].valid)})
    return BusComparison(seed, orders, faults, tuple(rows), runs)


def crash_mid_batch(seed: int = 1, *, auto_commit: bool, wait_ms: int) -> dict:
    """Section 6's experiment on the panel's Kafka bus (:class:`caplab.bus.playground
    .BusPlayground`): one consumer ``c3`` gets a burst of 10 events and crashes ``wait_ms``
    later; ``c4`` takes over. With auto-commit (commit, then process) a crash while processing
    loses the batch; committing after processing, a crash before the commit repeats it.

    Returns:
        the playground's counters after the run (``lost``, ``duplicated`` ...).

    Example:
        >>> crash_mid_batch(auto_commit=True, wait_ms=60)["lost"]
        5
    """
    p = BusPlayground("kafka", seed=seed)
    p.set_option("auto_commit", auto_commit)
    p.stop_consumer("c1")
    p.stop_consumer("c2")
    p.start_consumer()
    p.run_for(300)
    p.produce_burst(10)
    p.run_for(wait_ms)
    p.crash_consumer("c3")
    p.start_consumer()
    p.run_for(900)
    return p.counters()


#: Kreps (2014), "Benchmarking Apache Kafka: 2 Million Writes Per Second (On Three Cheap
#: Machines)": one producer thread, 3x synchronous replication (acks=all) 421,823 records/s
#: against 786,980 with 3x asynchronous replication (the leader acknowledges alone).
KREPS_RATIO = round(421_823 / 786_980, 3)
#: the network models the ratio is computed under
KREPS_LATENCIES = (("constant 2 ms", Constant(2)), ("constant 10 ms", Constant(10)),
                   ("uniform 1-5 ms", Uniform(1, 5)))


def _records_per_ms(acks, latency, seed: int, records: int, in_flight: int) -> float:
    log = KafkaLog(brokers=3, seed=seed, latency=latency, trace=False)
    log.create_topic("t", partitions=1)
    p = log.producer("p", near="b1")
    start = log.now
    for _ in range(0, records, in_flight):
        handles = [p.produce_async("t", 0, acks=acks) for _ in range(in_flight)]
        log.run_until(lambda: all(h.done for h in handles), timeout_ms=10_000)
    return records / (log.now - start)


def kreps_ratio(seed: int = 1, *, records: int = 100, in_flight: int = 1) -> list:
    """Throughput of ``acks="all"`` over ``acks=1`` on the simulator's latency model, beside
    Kreps' published 0.54 (:data:`KREPS_RATIO`), for each network of :data:`KREPS_LATENCIES`.

    One producer sends ``records`` records to a 3-broker topic (RF 3), ``in_flight`` at a time,
    waiting for each group's acknowledgements. The brokers cost nothing, so throughput is set
    by round trips: ``acks=1`` waits for one (producer to leader and back); ``acks="all"``
    also for the followers' fetches that move the high watermark, and for the slower of two
    followers, so the ratio depends on the network's latency and its spread, on the followers'
    long-polled fetch (``replica_fetch_wait_max_ms``) and on how many requests are in flight.

    Returns:
        rows ``{"network", "acks=1 per ms", "acks=all per ms", "ratio"}``.

    Example:
        >>> kreps_ratio()[0]["ratio"]
        0.5
    """
    rows = []
    for label, latency in KREPS_LATENCIES:
        one = _records_per_ms(1, latency, seed, records, in_flight)
        every = _records_per_ms("all", latency, seed, records, in_flight)
        rows.append({"network": label, "acks=1 per ms": round(one, 3),
                     "acks=all per ms": round(every, 3), "ratio": round(every / one, 3)})
    return rows
