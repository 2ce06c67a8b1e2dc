"""Core NATS: at-most-once delivery to the subscribers connected at publish time, queue groups,
request-reply with "no responders", and routes between the servers of a cluster."""

from collections import Counter

from caplab.bus.nats import Nats


def _ids(n, consumer=None):
    return [d["id"] for d in n.deliveries() if consumer in (None, d["consumer"])]


def test_every_connected_subscriber_gets_the_message():
    """NATS "Core NATS": a message goes to every subscriber whose subject matches."""
    n = Nats(seed=1)
    a, b, c = n.client("a"), n.client("b"), n.client("c")
    a.subscribe("orders.*")
    b.subscribe("orders.>")
    c.subscribe("payments.*")
    n.run_for(20)
    n.client("pub").publish("orders.eu.paid")
    n.client("pub2").publish("orders.paid")
    n.run_for(20)
    assert sorted((d["consumer"], d["id"]) for d in n.deliveries()) == [
        ("a", "pub2-1"), ("b", "pub-1"), ("b", "pub2-1")]


def test_a_subscriber_absent_at_publish_time_misses_the_message():
    """NATS: core NATS is at-most-once; no storage, so a subscriber that subscribes after the
    publish never sees it, and a message nobody subscribes to is discarded."""
    n = Nats(seed=1)
    pub = n.client("pub")
    assert pub.publish("news", "early").ok          # ok: sent, nothing more is promised
    n.run_for(20)
    late = n.client("late")
    late.subscribe("news")
    n.run_for(20)
    pub.publish("news", "later")
    n.run_for(20)
    assert _ids(n) == ["pub-2"]
    assert [p["confirmed"] for p in n.publishes()] == [None, None]


def test_a_crashed_or_partitioned_subscriber_misses_messages():
    """NATS: only currently connected subscribers receive; a subscriber that is down or cut
    off misses what is published meanwhile, and gets later messages once back."""
    n = Nats(seed=2)
    sub = n.client("sub")
    sub.subscribe("t")
    pub = n.client("pub")
    n.run_for(20)
    pub.publish("t", 1)
    n.run_for(20)
    sub.crash()
    pub.publish("t", 2)
    n.run_for(20)
    sub.restart()
    n.run_for(50)
    n.network.partition(["s1", "pub"], ["sub"])
    pub.publish("t", 3)
    n.run_for(50)
    n.heal()
    n.run_for(500)
    pub.publish("t", 4)
    n.run_for(50)
    assert _ids(n) == ["pub-1", "pub-4"]


def test_a_queue_group_delivers_each_message_to_one_member():
    """NATS "Queue Groups": each message goes to one member, chosen at random; plain
    subscribers on the same subject still get every message."""
    n = Nats(seed=3)
    for name in ("w1", "w2", "w3"):
        n.client(name).subscribe("jobs", queue="workers")
    n.client("audit").subscribe("jobs")
    pub = n.client("pub")
    n.run_for(20)
    for i in range(60):
        pub.publish_async("jobs", i)
    n.run_for(100)
    workers = [d for d in n.deliveries() if d["consumer"] != "audit"]
    assert sorted(d["id"] for d in workers) == sorted(f"pub-{i}" for i in range(1, 61))
    counts = Counter(d["consumer"] for d in workers)
    assert set(counts) == {"w1", "w2", "w3"} and min(counts.values()) >= 10
    assert len(_ids(n, "audit")) == 60


def test_request_reply_gets_the_answer_through_an_inbox():
    """NATS "Request-Reply": the request carries a unique inbox; the responder publishes the
    reply there."""
    n = Nats(seed=4)
    n.client("svc").subscribe("add", handler=lambda s, data, i: sum(data))
    n.run_for(20)
    r = n.client("app").request("add", [1, 2, 3])
    assert r.ok and n.history[r.id].output == 6


def test_a_request_with_no_responders_fails_at_once():
    """NATS "Request-Reply": with no subscriber the server answers at once with a 503 "no
    responders" status, instead of letting the request time out."""
    n = Nats(seed=5, op_timeout_ms=2000)
    r = n.client("app").request("nobody.home")
    assert r.outcome == "fail" and r.definite
    assert "no responders" in r.error and "'nobody.home'" in r.error
    assert r.latency_ms < 20


def test_a_silent_responder_makes_the_request_time_out():
    """A subscriber that does not reply is a responder: the request ends unknown (info) at its
    timeout, unlike the no-responders case."""
    n = Nats(seed=5)
    n.client("mute").subscribe("ask")
    n.run_for(20)
    r = n.client("app").request("ask", timeout_ms=300)
    assert r.outcome == "info" and r.latency_ms == 300


def test_messages_cross_routes_to_subscribers_on_other_servers():
    """NATS "Clustering": a message published on one server reaches subscribers on the others;
    a partition between servers loses what crosses it meanwhile (at-most-once)."""
    n = Nats(servers=3, seed=6)
    far = n.client("far", near="s3")
    far.subscribe("t.>")
    pub = n.client("pub", near="s1")
    n.run_for(50)
    pub.publish("t.1")
    n.run_for(50)
    n.partition(["s1", "s2"], ["s3"])
    pub.publish("t.2")
    n.run_for(50)
    n.heal()
    n.run_for(500)
    pub.publish("t.3")
    n.run_for(50)
    assert _ids(n, "far") == ["pub-1", "pub-3"]


def test_order_from_one_publisher_is_kept():
    """NATS guarantees the order of messages from one publisher to a subscriber, though each
    simulated message has its own latency."""
    n = Nats(seed=7)
    n.client("sub").subscribe("seq")
    pub = n.client("pub")
    n.run_for(20)
    for i in range(50):
        pub.publish_async("seq", i)
    n.run_for(100)
    assert _ids(n) == [f"pub-{i}" for i in range(1, 51)]


def test_a_queue_group_spread_over_servers_still_gets_each_message_once():
    """NATS "Queue Groups" in a cluster: members on different servers form one group; each
    message reaches exactly one of them."""
    n = Nats(servers=3, seed=9)
    for i in range(3):
        n.client(f"w{i}", near=f"s{i + 1}").subscribe("jobs.*", queue="g")
    pub = n.client("pub", near="s1")
    n.run_for(100)
    for i in range(30):
        pub.publish_async("jobs.x", i)
    n.run_for(200)
    ids = [d["id"] for d in n.deliveries()]
    assert sorted(ids) == sorted(f"pub-{i}" for i in range(1, 31))
    assert {d["consumer"] for d in n.deliveries()} == {"w0", "w1", "w2"}
