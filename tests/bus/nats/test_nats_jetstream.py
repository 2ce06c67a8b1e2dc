"""JetStream beside core NATS: stored messages, explicit acks, redelivery after ack_wait up to
max_deliver (at-least-once), against core NATS's at-most-once."""

from caplab.bus.nats import Nats


def _js(seed=1, servers=1):
    n = Nats(servers=servers, seed=seed)
    n.add_stream("ORDERS", ["orders.>"])
    return n


def test_a_stream_keeps_messages_for_a_consumer_that_binds_later():
    """NATS "JetStream": a stream stores what is published on its subjects; a consumer created
    later still receives it (unlike a core subscription)."""
    n = _js()
    pub = n.client("pub")
    assert pub.js_publish("orders.eu", 1).ok
    pub.publish("orders.us", 2)                   # a core publish is captured too
    n.run_for(20)
    core = n.client("core")
    core.subscribe("orders.>")
    n.client("worker").consume("ORDERS", "worker")
    n.run_for(100)
    assert sorted(d["id"] for d in n.deliveries() if d["consumer"] == "worker") == [
        "pub-1", "pub-2"]
    assert [d for d in n.deliveries() if d["consumer"] == "core"] == []
    assert [p["confirmed"] for p in n.publishes()] == [True, None]


def test_unacked_messages_are_redelivered_after_ack_wait_up_to_max_deliver():
    """NATS "Consumers": a message not acknowledged within AckWait is redelivered, at most
    MaxDeliver times in all; then the server stops trying."""
    n = _js(seed=2)
    times = []

    def never_ack(subject, data, msg_id, delivered):
        times.append((n.now, delivered))
        return "ignore"

    n.client("worker").consume("ORDERS", "w", ack_wait_ms=200, max_deliver=3,
                               handler=never_ack)
    n.client("pub").js_publish("orders.x", 1)
    n.run_for(2000)
    assert [d for _, d in times] == [1, 2, 3]
    gaps = [b - a for (a, _), (b, _) in zip(times, times[1:])]
    assert all(200 <= g < 215 for g in gaps), gaps
    assert [g["id"] for g in n.given_up()] == ["pub-1"]
    assert [d["redelivered"] for d in n.deliveries()] == [False, True, True]


def test_nak_asks_for_redelivery_at_once():
    """NATS: a negative acknowledgement (nak) makes the server redeliver without waiting."""
    n = _js(seed=3)
    seen = []

    def flaky(subject, data, msg_id, delivered):
        seen.append(n.now)
        return "nak" if delivered == 1 else "ack"

    n.client("worker").consume("ORDERS", "w", ack_wait_ms=1000, handler=flaky)
    n.client("pub").js_publish("orders.x", 1)
    n.run_for(100)
    assert len(seen) == 2 and seen[1] - seen[0] < 20


def test_jetstream_delivers_at_least_once_where_core_nats_loses():
    """The contrast: a subscriber down at publish time misses core messages for good, while
    its JetStream consumer gets every stored message after it restarts (at-least-once)."""
    n = _js(seed=4)
    core = n.client("core")
    core.subscribe("orders.>")
    js = n.client("js")
    js.consume("ORDERS", "js", ack_wait_ms=200, max_deliver=10)
    pub = n.client("pub")
    n.run_for(50)
    core.crash()
    js.crash()
    for i in range(3):
        assert pub.js_publish("orders.x", i).ok
    n.run_for(300)
    core.restart()
    js.restart()
    n.run_for(1000)
    got = {c: sorted({d["id"] for d in n.deliveries() if d["consumer"] == c})
           for c in ("core", "js")}
    assert got == {"core": [], "js": ["pub-1", "pub-2", "pub-3"]}


def test_a_crash_before_the_ack_duplicates_the_message():
    """At-least-once: a consumer that processes a message and crashes before its ack reaches
    the server gets it again after ack_wait (a duplicate the application must tolerate)."""
    n = _js(seed=5)
    w = n.client("worker")
    w.consume("ORDERS", "w", ack_wait_ms=200)
    n.run_for(20)
    n.network.cut("worker", "s1")          # its acks are lost
    n.client("pub").js_publish("orders.x", 1)
    n.run_for(100)
    w.crash()
    n.heal()
    w.restart()
    n.run_for(1000)
    assert [(d["id"], d["redelivered"]) for d in n.deliveries()] == [("pub-1", False),
                                                                    ("pub-1", True)]


def test_a_stream_survives_a_server_restart():
    """A file-backed stream keeps its messages across a server restart; unacknowledged ones
    are delivered again once the consumer is back."""
    n = _js(seed=6)
    pub = n.client("pub")
    for i in range(2):
        pub.js_publish("orders.x", i)
    n.crash("s1")
    n.restart("s1")
    n.client("worker").consume("ORDERS", "w")
    n.run_for(500)
    assert sorted(d["id"] for d in n.deliveries()) == ["pub-1", "pub-2"]


def test_js_publish_to_a_subject_no_stream_captures_fails():
    """A JetStream publish needs a stream on its subject; else it fails definitely."""
    n = _js(seed=7)
    r = n.client("pub").js_publish("payments.x", 1)
    assert r.outcome == "fail" and "no stream captures subject 'payments.x'" in r.error
    assert n.publishes()[0]["confirmed"] is False


def test_a_stream_on_another_server_stores_core_publishes_from_anywhere():
    """In a cluster, a core publish on one server is stored by the stream on another."""
    n = Nats(servers=3, seed=8)
    n.add_stream("ORDERS", ["orders.>"], server="s3")
    n.client("pub", near="s1").publish("orders.eu", 1)
    n.run_for(50)
    n.client("worker", near="s2").consume("ORDERS", "w")
    n.run_for(100)
    assert [d["id"] for d in n.deliveries()] == ["pub-1"]


def test_defaults_are_natss_ack_wait_scaled_and_unlimited_redelivery():
    """NATS "Consumers" (JetStream): AckWait defaults to 30 s (300 ms here, Kafka-like /100
    scaling) and MaxDeliver to -1, unlimited: an unacknowledged message comes back every ack
    wait until acknowledged, never given up."""
    n = _js(seed=9)
    counts = []

    def late(subject, data, msg_id, delivered):
        counts.append((n.now, delivered))
        return "ack" if delivered == 8 else "ignore"

    n.client("worker").consume("ORDERS", "w", handler=late)
    n.client("pub").js_publish("orders.x", 1)
    n.run_for(3000)
    assert [d for _, d in counts] == list(range(1, 9))      # past any small cap
    gaps = [b - a for (a, _), (b, _) in zip(counts, counts[1:])]
    assert all(290 <= g < 320 for g in gaps), gaps   # ack wait, give or take the network
    assert n.given_up() == []
    option = {o.name: o.default for o in n.describe().options}
    assert (option["ack_wait_ms"], option["max_deliver"]) == (300, -1)
