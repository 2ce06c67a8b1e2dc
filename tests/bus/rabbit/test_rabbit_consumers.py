"""Competing consumers: round robin, prefetch (fair dispatch), automatic vs manual
acknowledgement under consumer crashes, nack with and without requeue, channel close."""

from collections import Counter

from caplab.bus.rabbit import Broker


def _setup(seed=1, **queue_args):
    b = Broker(nodes=1, seed=seed)
    b.declare_queue("work", arguments=queue_args or None)
    return b, b.publisher("producer")


def _publish(p, n, **options):
    for i in range(n):
        p.publish_async("", "work", i, **options)


def test_competing_consumers_are_served_round_robin():
    """RabbitMQ "Consumers": messages are distributed round robin among a queue's consumers,
    each message to exactly one of them."""
    b, p = _setup()
    for name in ("c1", "c2", "c3"):
        b.consumer(name, "work")
    b.run_for(10)
    _publish(p, 9)
    b.run_for(200)
    got = [(d["consumer"], d["id"]) for d in b.deliveries()]
    assert Counter(c for c, _ in got) == {"c1": 3, "c2": 3, "c3": 3}
    assert sorted(i for _, i in got) == sorted(f"producer-{i}" for i in range(1, 10))
    by_id = dict((i, c) for c, i in got)
    order = [by_id[f"producer-{i}"] for i in range(1, 10)]
    assert len(set(order[:3])) == 3 and order == order[:3] * 3     # a fixed rotation


def _fair(prefetch):
    b, p = _setup(seed=3)
    b.consumer("slow", "work", prefetch=prefetch, process_ms=100)
    b.consumer("fast", "work", prefetch=prefetch, process_ms=10)
    b.run_for(10)
    _publish(p, 20)
    b.run_until(lambda: len(b.deliveries()) == 20, timeout_ms=5000)
    return Counter(d["consumer"] for d in b.deliveries())


def test_prefetch_one_gives_fair_dispatch_to_a_slow_and_a_fast_consumer():
    """RabbitMQ tutorial 2 ("Fair dispatch"): with prefetch=1 a busy consumer gets no new
    message until it acks, so the fast one does most of the work; without a limit, round robin
    splits the messages evenly whatever each consumer's speed."""
    fair = _fair(prefetch=1)
    blind = _fair(prefetch=0)
    assert blind == {"slow": 10, "fast": 10}
    assert fair["fast"] >= 3 * fair["slow"], fair


def test_auto_ack_and_a_consumer_crash_lose_the_message():
    """RabbitMQ "Consumer Acknowledgements": automatic acknowledgement is fire-and-forget; the
    messages sent to a consumer that dies before processing them are lost."""
    b, p = _setup()
    c = b.consumer("c", "work", auto_ack=True, process_ms=50)
    b.run_for(10)
    _publish(p, 5)
    b.run_for(70)                       # one processed, the others sit in the consumer's buffer
    c.crash()
    b.consumer("backup", "work", auto_ack=True)
    b.run_for(1000)
    delivered = {d["id"] for d in b.deliveries()}
    confirmed = {r["id"] for r in b.publishes() if r["confirmed"]}
    assert len(confirmed) == 5
    assert len(delivered) == 1 and confirmed - delivered           # lost
    assert b.queue_records()[0]["ready"] == 0                       # and gone from the queue


def test_manual_ack_and_a_consumer_crash_redeliver_with_redelivered_set():
    """RabbitMQ "Consumer Acknowledgements": unacknowledged deliveries of a closed channel are
    requeued, with redeliver=true, possibly to another consumer: nothing confirmed is lost."""
    b, p = _setup()
    c = b.consumer("c", "work", process_ms=50)
    b.run_for(10)
    _publish(p, 5)
    b.run_for(70)                       # one processed and acked, four unacknowledged
    c.crash()
    b.consumer("backup", "work", prefetch=1, process_ms=1)
    b.run_for(1500)                     # heartbeats missed: the broker closes c's channel
    by_id = {}
    for d in b.deliveries():
        by_id.setdefault(d["id"], []).append(d)
    assert set(by_id) == {f"producer-{i}" for i in range(1, 6)}     # none lost
    again = [ds[-1] for ds in by_id.values() if ds[-1]["consumer"] == "backup"]
    assert again and all(d["redelivered"] for d in again)


def test_nack_with_requeue_returns_the_message_to_its_position():
    """RabbitMQ: a message requeued by basic.nack/reject goes back to its original position
    (the head here), redelivered, before the messages behind it."""
    b, p = _setup()
    seen = []

    def handler(env, redelivered):
        seen.append((env.id, redelivered))
        return "requeue" if env.id == "producer-1" and not redelivered else "ack"

    _publish(p, 3)
    b.run_for(50)
    b.consumer("c", "work", prefetch=1, handler=handler)
    b.run_for(200)
    assert seen == [("producer-1", False), ("producer-1", True), ("producer-2", False),
                    ("producer-3", False)]


def test_nack_without_requeue_goes_to_the_dead_letter_exchange():
    """RabbitMQ "Dead Letter Exchanges": a message rejected with requeue=false is republished
    to the queue's dead-letter exchange (reason rejected)."""
    b = Broker(nodes=1, seed=1)
    b.declare_exchange("dlx", "fanout")
    b.declare_queue("dead")
    b.bind("dead", "dlx")
    b.declare_queue("work", arguments={"x-dead-letter-exchange": "dlx"})
    b.consumer("c", "work", handler=lambda env, r: "reject" if env.body == 1 else "ack")
    b.consumer("undertaker", "dead")
    p = b.publisher("p")
    for i in range(3):
        p.publish("", "work", i)
    b.run_for(100)
    assert [(d["id"], d["reason"]) for d in b.dead_letters()] == [("p-2", "rejected")]
    assert [d["id"] for d in b.deliveries() if d["queue"] == "dead"] == ["p-2"]


def test_partition_before_the_ack_duplicates_a_processed_message():
    """At-least-once: a consumer cut off after processing but before its ack reaches the broker
    loses its channel (missed heartbeats); the message is redelivered to another consumer."""
    b, p = _setup(seed=5)
    b.consumer("a", "work", process_ms=40, near="r1")
    b.run_for(10)
    p.publish_async("", "work", "pay 10")
    b.run_for(20)                     # delivered to a, being processed
    b.network.partition(["r1", "producer"], ["a"])
    b.run_for(100)                    # a processed it; its ack is lost
    b.consumer("b", "work")
    b.run_for(1000)
    got = [(d["consumer"], d["redelivered"]) for d in b.deliveries()]
    assert got == [("a", False), ("b", True)]


def test_closing_a_channel_requeues_its_unacked_messages_to_another_consumer():
    """RabbitMQ: when a channel closes, its unacknowledged messages are requeued at once."""
    b, p = _setup()
    a = b.consumer("a", "work", process_ms=500)
    b.run_for(10)
    _publish(p, 2)
    b.run_for(50)
    b.consumer("b", "work")
    a.close()
    b.run_for(100)
    assert sorted((d["consumer"], d["id"], d["redelivered"]) for d in b.deliveries()) == [
        ("b", "producer-1", True), ("b", "producer-2", True)]


def test_a_queue_is_first_in_first_out_and_an_acked_message_never_comes_back():
    """RabbitMQ "Queues": a queue is an ordered collection of messages, enqueued and delivered
    first in, first out; a message a consumer has acknowledged is removed and never delivered
    again (the source material: a consumed message cannot be received again)."""
    b, p = _setup(seed=4)
    b.consumer("only", "work")
    b.run_for(10)
    _publish(p, 8)
    b.run_for(300)
    got = [d["id"] for d in b.deliveries()]
    assert got == [f"producer-{i}" for i in range(1, 9)]
    b.consumer("late", "work")
    b.run_for(300)
    assert [d["id"] for d in b.deliveries()] == got           # nothing delivered again
    assert b.queue_records()[0]["ready"] == 0


def test_the_default_prefetch_is_unlimited():
    """RabbitMQ "Consumer Prefetch": without basic.qos a channel's prefetch is unlimited (0),
    so a slow consumer is sent every ready message at once, all unacknowledged."""
    b, p = _setup(seed=6)
    b.consumer("slow", "work", process_ms=1000)               # no prefetch given
    b.run_for(10)
    _publish(p, 12)
    b.run_for(100)
    q = b.queue_records()[0]
    assert (q["ready"], q["unacked"]) == (0, 12)
    assert {o.name: o.default for o in b.describe().options}["prefetch"] == 0
