"""Message TTL and length limits that dead-letter, publisher confirms, and durable queues with
persistent messages across a broker restart."""

from caplab.bus.rabbit import Broker


def _with_dlx(seed=1, **args):
    b = Broker(nodes=1, seed=seed)
    b.declare_exchange("dlx", "fanout")
    b.declare_queue("dead")
    b.bind("dead", "dlx")
    b.declare_queue("work", arguments={"x-dead-letter-exchange": "dlx", **args})
    return b, b.publisher("p")


def test_message_ttl_dead_letters_expired_messages():
    """RabbitMQ "Time-To-Live and Expiration": a message older than x-message-ttl (or its own
    expiration) is expired and dead-lettered with reason expired."""
    b, p = _with_dlx(**{"x-message-ttl": 100})
    p.publish("", "work", "queue ttl")
    p.publish("", "work", "own ttl", expiration_ms=30)
    b.run_for(60)
    assert [d["id"] for d in b.dead_letters()] == ["p-2"]         # the shorter TTL first
    b.run_for(100)
    assert [(d["id"], d["reason"]) for d in b.dead_letters()] == [("p-2", "expired"),
                                                                   ("p-1", "expired")]
    b.consumer("reader", "dead")
    b.run_for(50)
    assert sorted(d["id"] for d in b.deliveries()) == ["p-1", "p-2"]


def test_a_consumer_in_time_gets_the_message_before_its_ttl():
    """A message consumed before its TTL is not dead-lettered."""
    b, p = _with_dlx(**{"x-message-ttl": 100})
    b.consumer("c", "work")
    b.run_for(10)
    p.publish("", "work", "x")
    b.run_for(300)
    assert [d["id"] for d in b.deliveries()] == ["p-1"] and b.dead_letters() == []


def test_max_length_drops_the_head_to_the_dead_letter_exchange():
    """RabbitMQ "Queue Length Limit": with x-max-length and the default overflow drop-head, the
    oldest ready messages are dropped (dead-lettered, reason maxlen) to make room."""
    b, p = _with_dlx(**{"x-max-length": 2})
    for i in range(5):
        p.publish("", "work", i)
    assert [(d["id"], d["reason"]) for d in b.dead_letters()] == [
        ("p-1", "maxlen"), ("p-2", "maxlen"), ("p-3", "maxlen")]
    b.consumer("c", "work")
    b.run_for(50)
    assert [d["id"] for d in b.deliveries() if d["queue"] == "work"] == ["p-4", "p-5"]


def test_max_length_reject_publish_nacks_the_publisher():
    """RabbitMQ: with x-overflow=reject-publish a full queue refuses new messages, and the
    publisher gets a basic.nack."""
    b, p = _with_dlx(**{"x-max-length": 1, "x-overflow": "reject-publish"})
    assert p.publish("", "work", 1).ok
    r = p.publish("", "work", 2)
    assert r.outcome == "fail" and "reject-publish" in r.error
    assert [row["confirmed"] for row in b.publishes()] == [True, False]


def test_persistent_messages_to_a_durable_queue_are_confirmed_after_the_disk_write():
    """RabbitMQ "Publisher Confirms": a persistent message routed to a durable queue is
    confirmed once written to disk; a transient one once routed (so sooner)."""
    b = Broker(nodes=1, seed=1, latency=2, fsync_ms=40)
    b.declare_queue("work")
    p = b.publisher("p")
    transient = p.publish("", "work", "t")
    persistent = p.publish("", "work", "p", persistent=True)
    assert transient.latency_ms == 4
    assert persistent.latency_ms == 44


def test_restart_keeps_persistent_messages_of_durable_queues_and_loses_the_rest():
    """RabbitMQ "Queues" and "Persistence": after a node restart a durable queue holds its
    persistent messages; transient messages and transient queues are gone."""
    b = Broker(nodes=1, seed=4)
    b.declare_queue("durable")
    b.declare_queue("temp", durable=False)
    p = b.publisher("p")
    for queue in ("durable", "temp"):
        p.publish("", queue, "persistent", persistent=True, message_id=f"{queue}-p")
        p.publish("", queue, "transient", message_id=f"{queue}-t")
    b.crash("r1")
    b.restart("r1")
    b.run_for(10)
    assert sorted(b.defs.queues) == ["durable"]
    b.consumer("c", "durable")
    b.run_for(300)
    assert [(d["id"], d["redelivered"]) for d in b.deliveries()] == [("durable-p", False)]


def test_unacked_persistent_message_comes_back_redelivered_after_a_restart():
    """A persistent message delivered but not acknowledged when the broker crashed is back
    after the restart, marked redelivered."""
    b = Broker(nodes=1, seed=4)
    b.declare_queue("work")
    p = b.publisher("p")
    p.publish("", "work", "x", persistent=True)
    b.consumer("slow", "work", process_ms=1000)
    b.run_for(50)
    b.crash("r1")
    b.restart("r1")
    b.run_for(2000)
    assert [(d["id"], d["redelivered"]) for d in b.deliveries()] == [("p-1", True)]


def test_a_crash_before_the_disk_write_loses_the_unconfirmed_message():
    """A persistent message whose write had not finished when the node crashed is not confirmed
    and not recovered: the publisher's outcome is unknown (info), not ok."""
    b = Broker(nodes=1, seed=1, latency=2, fsync_ms=40, op_timeout_ms=500)
    b.declare_queue("work")
    p = b.publisher("p")
    h = p.publish_async("", "work", "x", persistent=True)
    b.run_for(10)
    b.crash("r1")
    b.restart("r1")
    r = p.wait(h)
    assert r.outcome == "info"
    b.consumer("c", "work")
    b.run_for(300)
    assert b.deliveries() == [] and b.publishes()[0]["confirmed"] is None
