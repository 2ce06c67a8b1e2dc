"""Bad input to the NATS-like system: a clear error naming the value, and nothing changed."""

import pytest

from caplab import ConfigError, UnknownNameError
from caplab.bus.nats import Nats


@pytest.fixture
def n():
    nats = Nats(seed=1)
    nats.add_stream("ORDERS", ["orders.>"])
    nats.client("c")
    return nats


def _state(n):
    c = n.world.clients["c"]
    return (dict(c.subs), dict(c.js), dict(n._stream_home), len(n.history),
            sorted(n.world.network.endpoints), c.next_sid, c.count, c.out_seq)


@pytest.mark.parametrize("call, error, words", [
    (lambda n, c: c.subscribe("a.*b"), ConfigError, ["'a.*b'"]),
    (lambda n, c: c.subscribe("a.>.b"), ConfigError, ["'a.>.b'", "last"]),
    (lambda n, c: c.subscribe("a..b"), ConfigError, ["'a..b'", "empty token"]),
    (lambda n, c: c.subscribe("a", queue="two words"), ConfigError, ["'two words'"]),
    (lambda n, c: c.publish("a.*"), ConfigError, ["'a.*'", "wildcards"]),
    (lambda n, c: c.request("a..b"), ConfigError, ["'a..b'"]),
    (lambda n, c: c.unsubscribe(42), UnknownNameError, ["42"]),
    (lambda n, c: c.consume("NOPE", "d"), UnknownNameError, ["'NOPE'", "'ORDERS'"]),
    (lambda n, c: c.consume("ORDERS", "d", ack_wait_ms=0), ConfigError, ["ack_wait_ms", "0"]),
    (lambda n, c: c.consume("ORDERS", "d", max_deliver=0), ConfigError,
     ["max_deliver", "got 0", "-1 (unlimited)"]),
    (lambda n, c: c.consume("ORDERS", "d", max_deliver=-2), ConfigError,
     ["max_deliver", "-2"]),
    (lambda n, c: n.add_stream("MORE", ["orders.>"]), ConfigError, ["'orders.>'", "'ORDERS'"]),
    (lambda n, c: n.add_stream("BAD", ["x.>.y"]), ConfigError, ["'x.>.y'"]),
    (lambda n, c: n.add_stream("X", ["x"], server="s9"), UnknownNameError, ["'s9'", "'s1'"]),
    (lambda n, c: n.client("d", near="s7"), UnknownNameError, ["'s7'", "'s1'"]),
    (lambda n, c: n.client("c"), ConfigError, ["'c'", "already"]),
    (lambda n, c: c.request("a", timeout_ms=-5), ConfigError, ["timeout_ms", "-5"]),
])
def test_bad_input_names_the_value_and_changes_nothing(n, call, error, words):
    """Malformed subjects and patterns, unknown streams and servers, bad ack settings."""
    before = _state(n)
    with pytest.raises(error) as e:
        call(n, n.world.clients["c"])
    assert all(w in str(e.value) for w in words), str(e.value)
    assert _state(n) == before


@pytest.mark.parametrize("kwargs, words", [
    ({"servers": 0}, ["0"]), ({"ping_ms": 0}, ["ping_ms", "0"]),
    ({"pingms": 1}, ["'pingms'", "'ping_ms'"]), ({"servers": ["a", "a"]}, ["distinct"]),
])
def test_bad_system_options_are_refused(kwargs, words):
    """A bad server count or option is refused before anything is built."""
    with pytest.raises(ConfigError) as e:
        Nats(**kwargs)
    assert all(w in str(e.value) for w in words)
