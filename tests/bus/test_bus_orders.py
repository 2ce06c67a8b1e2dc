"""The order-events workload (caplab.bus.orders): the same events and faults on every bus, one
history shape for the checkers, bad input, determinism."""

import pytest

from caplab.bus.nats import Nats
from caplab.bus.orders import BUSES, EVENTS, Faults, order_events, run_orders
from caplab.bus.rabbit import Broker
from caplab.errors import UnknownNameError


def test_order_events_interleave_and_keep_each_orders_sequence():
    """Every order's events come created, paid, shipped; only paid carries an amount."""
    events = order_events(5)
    assert len(events) == 15
    for n in range(1, 6):
        mine = [value[0] for key, value in events if key == f"o{n}"]
        assert mine == list(EVENTS)
    assert sum(v[1] for _, v in events) == sum(10 + n for n in range(1, 6))
    assert events[1] == ("o2", ("created", 0))


@pytest.mark.parametrize("bus", BUSES)
def test_every_bus_publishes_the_same_events_into_one_history_shape(bus):
    """Each bus's history is rewritten as produce/poll of topic orders, group billing."""
    run = run_orders(bus, seed=1, orders=5)
    assert run.published == 15
    ops = {op.op for op in run.history}
    assert ops <= {"produce", "poll", "commit"}
    polls = [op for op in run.history if op.op == "poll"]
    assert polls and all(op.options["group"] == "billing" for op in polls)
    assert set(run.verdicts) == {"lost", "duplicated", "reordered", "effect"}


def test_without_faults_every_bus_delivers_every_event_once():
    """Faults pushed past the run: nothing lost, duplicated or reordered anywhere."""
    calm = Faults(consumer_crash_ms=10**6, broker_crash_ms=10**6)
    for bus in BUSES:
        v = run_orders(bus, seed=2, orders=6, faults=calm).verdicts
        assert all(r.valid for r in v.values()), (bus, {k: r.reasons for k, r in v.items()})


def test_an_unknown_bus_is_refused_with_the_allowed_ones():
    """run_orders("kafak") names the value and the four buses."""
    with pytest.raises(UnknownNameError) as e:
        run_orders("kafak")
    assert "kafak" in str(e.value) and "jetstream" in str(e.value)


def test_same_seed_same_verdicts():
    """Two runs with one seed give the same counts on every bus."""
    def counts(seed):
        return [tuple(r.details.get("count") for r in run_orders(b, seed=seed, orders=6)
                      .verdicts.values()) for b in BUSES]
    assert counts(4) == counts(4)


def test_a_rabbit_consumer_that_dies_in_its_handler_sends_no_ack():
    """RabbitMQ "Consumer Acknowledgements": a delivery whose consumer died before acking is
    requeued and redelivered (marked redelivered) to another consumer."""
    b = Broker(nodes=1, seed=1)
    b.declare_queue("q")
    box = {}

    def die(env, redelivered):
        box["c"].crash()
        return "ack"
    box["c"] = b.consumer("c", "q", handler=die)
    b.run_for(10)
    b.publisher("p").publish("", "q", 1)
    b.consumer("backup", "q")
    b.run_for(1000)
    rows = [(d["consumer"], d["redelivered"]) for d in b.deliveries()]
    assert rows == [("c", False), ("backup", True)]


def test_a_jetstream_consumer_that_dies_in_its_handler_gets_the_message_again():
    """NATS JetStream consumers: a message not acknowledged is redelivered after AckWait."""
    n = Nats(seed=1)
    n.add_stream("S", ["s.>"])
    c = n.client("c")
    c.consume("S", "d", handler=lambda s, d, m, k: (c.crash() if k == 1 else None, "ack")[1])
    n.run_for(10)
    n.client("p").js_publish("s.x", 1)
    n.run_for(50)
    c.restart()
    n.run_for(1000)
    assert [d["redelivered"] for d in n.deliveries()] == [False, True]
