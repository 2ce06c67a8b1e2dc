"""Exchange routing: direct, fanout, topic wildcards, headers x-match and the default exchange,
as pure functions and through a broker."""

import pytest

from caplab.bus.rabbit import Broker, check_topic_pattern, headers_match, topic_matches
from caplab.bus.rabbit.routing import route


@pytest.mark.parametrize("pattern, key, hit", [
    ("a.b.*", "a.b.c", True),
    ("a.b.*", "a.b", False),           # '*' is exactly one word
    ("a.b.*", "a.b.c.d", False),
    ("a.#", "a", True),                # '#' is zero or more words
    ("a.#", "a.b.c", True),
    ("#", "", True),
    ("#.z", "z", True),
    ("*.orange.*", "quick.orange.rabbit", True),
    ("*.*.rabbit", "lazy.orange.elephant", False),
    ("lazy.#", "lazy.brown.fox", True),
    ("a.*.#", "a", False),
    ("a.*.#", "a.b", True),
])
def test_topic_wildcards_follow_rabbitmq(pattern, key, hit):
    """RabbitMQ "Exchanges" / tutorial 5 (topics): '*' substitutes exactly one word, '#' zero or
    more; so a.b.* does not match a.b, and a.# matches a."""
    assert topic_matches(pattern, key) is hit


def test_headers_x_match_all_and_any():
    """RabbitMQ headers exchange: x-match=all needs every pair, any needs one; x- keys ignored."""
    args = {"format": "pdf", "type": "report"}
    assert headers_match({**args, "x-match": "all"}, {"format": "pdf", "type": "report", "z": 1})
    assert not headers_match({**args, "x-match": "all"}, {"format": "pdf"})
    assert headers_match({**args, "x-match": "any"}, {"format": "pdf"})
    assert not headers_match({**args, "x-match": "any"}, {"format": "zip"})
    assert headers_match(args, {"format": "pdf", "type": "report"})      # all is the default


def test_direct_and_fanout_route():
    """Direct compares the key exactly; fanout ignores it and reaches every bound queue."""
    rows = [("q1", "red", {}), ("q2", "blue", {}), ("q3", "red", {})]
    assert route("direct", rows, "red", {}) == ["q1", "q3"]
    assert route("fanout", rows, "anything", {}) == ["q1", "q2", "q3"]


@pytest.mark.parametrize("bad", ["a.*b", "a..b", ".a", "a.", "a#.b", "a.b*"])
def test_malformed_topic_patterns_are_refused(bad):
    """A wildcard inside a word or an empty word is refused, naming the pattern."""
    with pytest.raises(ValueError, match="malformed topic pattern") as e:
        check_topic_pattern(bad)
    assert repr(bad) in str(e.value)


def _broker_with(kind, bindings):
    b = Broker(nodes=1, seed=1)
    b.declare_exchange("x", kind)
    for queue, key, args in bindings:
        if queue not in b.defs.queues:
            b.declare_queue(queue)
            b.consumer(f"c-{queue}", queue)
        b.bind(queue, "x", key, arguments=args)
    return b


def test_topic_exchange_routes_through_the_broker():
    """A message on a topic exchange reaches the queues whose patterns match, once each."""
    b = _broker_with("topic", [("all", "#", None), ("eu", "eu.*", None),
                               ("paid", "*.paid", None), ("eu", "eu.#", None)])
    p = b.publisher("shop")
    assert p.publish("x", "eu.paid").ok
    assert p.publish("x", "us.paid").ok
    assert p.publish("x", "eu").ok
    b.run_for(100)
    got = sorted((d["queue"], d["id"]) for d in b.deliveries())
    assert got == [("all", "shop-1"), ("all", "shop-2"), ("all", "shop-3"), ("eu", "shop-1"),
                   ("eu", "shop-3"), ("paid", "shop-1"), ("paid", "shop-2")]


def test_headers_exchange_routes_through_the_broker():
    """Headers bindings route on the message's headers, not its routing key."""
    b = _broker_with("headers", [("pdfs", "", {"x-match": "all", "format": "pdf"}),
                                 ("either", "", {"x-match": "any", "format": "zip",
                                                 "type": "log"})])
    p = b.publisher("p")
    p.publish("x", "ignored", headers={"format": "pdf"})
    p.publish("x", "ignored", headers={"type": "log"})
    b.run_for(100)
    assert sorted((d["queue"], d["id"]) for d in b.deliveries()) == [("either", "p-2"),
                                                                    ("pdfs", "p-1")]


def test_default_exchange_routes_by_queue_name_and_unroutable_is_confirmed():
    """RabbitMQ: the default exchange delivers to the queue named by the routing key; a message
    no queue takes is still confirmed ("Consumer Acknowledgements and Publisher Confirms")."""
    b = Broker(nodes=1, seed=2)
    b.declare_queue("jobs")
    b.consumer("w", "jobs")
    p = b.publisher("p")
    r1 = p.publish("", "jobs", "x")
    r2 = p.publish("", "nobody", "y")
    b.run_for(50)
    assert r1.ok and b.history[r1.id].output["routed"] == 1
    assert r2.ok and b.history[r2.id].output["routed"] == 0     # unroutable, confirmed
    assert [d["id"] for d in b.deliveries()] == ["p-1"]


def test_direct_and_fanout_exchanges_route_through_the_broker():
    """RabbitMQ "Exchanges": a direct exchange delivers to the queues whose binding key equals
    the routing key; a fanout exchange to every bound queue, whatever the key."""
    b = _broker_with("direct", [("red", "red", None), ("blue", "blue", None)])
    b.declare_exchange("all", "fanout")
    for queue in ("red", "blue"):
        b.bind(queue, "all", "ignored")
    p = b.publisher("shop")
    assert p.publish("x", "red", 1).ok
    assert p.publish("x", "green", 2).ok                       # no binding: unroutable
    assert p.publish("all", "whatever", 3).ok
    b.run_for(100)
    got = sorted((d["queue"], d["id"]) for d in b.deliveries())
    assert got == [("blue", "shop-3"), ("red", "shop-1"), ("red", "shop-3")]
