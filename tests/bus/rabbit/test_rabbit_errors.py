"""Bad input is refused with an error naming the value (and the allowed ones), and the broker
is left exactly as it was."""

import copy

import pytest

from caplab import ConfigError, UnknownNameError
from caplab.bus.rabbit import Broker


@pytest.fixture
def b():
    broker = Broker(nodes=1, seed=1)
    broker.declare_exchange("orders", "topic")
    broker.declare_queue("eu")
    return broker


def _snapshot(b):
    d = b.defs
    return (copy.deepcopy(d.exchanges), copy.deepcopy(d.queues), copy.deepcopy(d.bindings),
            sorted(b.world.network.endpoints), len(b.history))


@pytest.mark.parametrize("call, error, words", [
    (lambda b: b.declare_exchange("x", "round-robin"), ConfigError,
     ["'round-robin'", "'direct'", "'fanout'", "'topic'", "'headers'"]),
    (lambda b: b.declare_exchange("orders", "fanout"), ConfigError, ["'topic'", "'fanout'"]),
    (lambda b: b.bind("eu", "orders", "a.*b"), ConfigError, ["'a.*b'", "wildcard"]),
    (lambda b: b.bind("eu", "orders", "a..b"), ConfigError, ["'a..b'", "empty word"]),
    (lambda b: b.bind("nope", "orders", "a"), UnknownNameError, ["'nope'", "'eu'"]),
    (lambda b: b.bind("eu", "nope", "a"), UnknownNameError, ["'nope'", "'orders'"]),
    (lambda b: b.bind("eu", "amq.headers", "", arguments={"x-match": "some"}),
     UnknownNameError, ["'some'", "'all'", "'any'"]),
    (lambda b: b.consumer("c", "eu", prefetch=-1), ConfigError, ["prefetch", "-1"]),
    (lambda b: b.consumer("c", "nope"), UnknownNameError, ["'nope'", "'eu'"]),
    (lambda b: b.declare_queue("q", arguments={"x-message-ttl": -5}), ConfigError,
     ["x-message-ttl", "-5"]),
    (lambda b: b.declare_queue("q", arguments={"x-max-lenght": 5}), UnknownNameError,
     ["'x-max-lenght'", "'x-max-length'"]),
    (lambda b: b.declare_queue("q", arguments={"x-overflow": "explode"}), UnknownNameError,
     ["'explode'", "'drop-head'"]),
    (lambda b: b.declare_queue("q", arguments={"x-dead-letter-exchange": "nope"}),
     UnknownNameError, ["'nope'"]),
    (lambda b: b.declare_queue("q", type="stream"), UnknownNameError,
     ["'stream'", "'classic'", "'quorum'"]),
    (lambda b: b.declare_queue("q", type="quorum", arguments={"x-message-ttl": 5}),
     UnknownNameError, ["'x-message-ttl'", "'x-delivery-limit'", "since 3.10",
                        "classic queues only"]),
    (lambda b: b.declare_queue("eu"), ConfigError, ["'eu'", "already"]),
    (lambda b: b.publisher("p").publish("nope", "k"), UnknownNameError, ["'nope'", "'orders'"]),
    (lambda b: b.publisher("p").publish("orders", "k", expiration_ms=-1), ConfigError,
     ["expiration_ms", "-1"]),
    (lambda b: b.publisher("p", near="r9"), UnknownNameError, ["'r9'", "'r1'"]),
])
def test_bad_input_names_the_value_and_changes_nothing(b, call, error, words):
    """Unknown exchange type, malformed pattern, unknown queue/exchange, prefetch < 0, ttl < 0:
    a clear error; definitions, endpoints and history as they were (a publisher created by the
    call itself aside)."""
    before = _snapshot(b)
    with pytest.raises(error) as e:
        call(b)
    for word in words:
        assert word in str(e.value), (word, str(e.value))
    after = _snapshot(b)
    endpoints = [n for n in after[3] if n != "p"]
    assert (after[:3], endpoints, after[4]) == (before[:3], before[3], before[4])


@pytest.mark.parametrize("kwargs, words", [
    ({"nodes": 0}, ["0"]), ({"nodes": True}, ["True"]),
    ({"heartbeat_ms": 0}, ["heartbeat_ms", "0"]),
    ({"hearbeat_ms": 5}, ["'hearbeat_ms'", "'heartbeat_ms'"]),
])
def test_bad_broker_options_are_refused(kwargs, words):
    """A bad node count or option is refused before anything is built."""
    with pytest.raises(ConfigError) as e:
        Broker(**kwargs)
    assert all(w in str(e.value) for w in words)


def test_unknown_handler_outcome_is_an_error():
    """A handler returning something else than ack/requeue/reject raises, naming it."""
    b = Broker(nodes=1, seed=1)
    b.declare_queue("q")
    b.consumer("c", "q", handler=lambda env, r: "maybe")
    b.publisher("p").publish_async("", "q", 1)
    with pytest.raises(ConfigError, match="'maybe'"):
        b.run_for(50)
