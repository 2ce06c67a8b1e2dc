"""The Broker facade: it describes itself, shares a world with other systems, reports its
queues, and a retried subscription changes nothing."""

from caplab.bus.nats import Nats
from caplab.bus.rabbit import Broker
from caplab.kv import Cluster
from caplab.world import Description, World


def test_describe_names_roles_options_and_presets():
    """describe() is a Description with the broker's roles, options and fault presets."""
    b = Broker(nodes=3, seed=1)
    b.declare_queue("q", type="quorum", node="r2")
    b.run_for(50)
    d = b.describe()
    assert isinstance(d, Description) and (d.system, d.mode) == ("bus", "rabbit")
    assert "leader" in d.leader_roles
    assert {o.name for o in d.options_for("consume")} == {"prefetch", "auto_ack"}
    assert d.presets["isolate primary"] == ("isolate", "r2")


def test_broker_nats_and_a_store_share_one_world():
    """A broker, NATS servers and a key-value cluster on one world: one clock, one history."""
    w = World(seed=3)
    b = Broker(nodes=1, world=w)
    n = Nats(servers=1, world=w)
    c = Cluster(mode="ap", nodes=["k1", "k2", "k3"], world=w)
    assert w.nodes == ["r1", "s1", "k1", "k2", "k3"]
    b.declare_queue("q")
    assert b.publisher("p").publish("", "q", 1).ok
    assert n.client("nc").publish("x", 2).ok
    assert c.client("alice", near="k1").put("k", "v").ok
    assert [op.op for op in w.history] == ["publish", "publish", "put"]
    assert b.now == n.now == c.now


def test_queue_records_count_ready_unacked_and_consumers():
    """queue_records() gives ready, unacknowledged and consumer counts per queue."""
    b = Broker(nodes=1, seed=1)
    b.declare_queue("q")
    p = b.publisher("p")
    for i in range(3):
        p.publish("", "q", i)
    b.consumer("slow", "q", prefetch=1, process_ms=1000)
    b.run_for(50)
    row = b.queue_records()[0]
    assert (row["ready"], row["unacked"], row["consumers"]) == (2, 1, 1)


def test_a_retried_consume_keeps_the_consumers_unacked_messages():
    """A basic.consume sent again with the same tag (a lost ConsumeOk) does not forget what the
    consumer holds: the message is still acknowledged and removed."""
    b = Broker(nodes=1, seed=2)
    b.declare_queue("q")
    c = b.consumer("c", "q", process_ms=100)
    b.run_for(20)
    b.publisher("p").publish("", "q", 1)
    c.active = False          # as if the ConsumeOk had been lost: the next tick retries
    b.run_for(400)
    assert [d["id"] for d in b.deliveries()] == ["p-1"]
    assert b.queue_records()[0]["ready"] == 0 and b.queue_records()[0]["unacked"] == 0


def test_topology_records_list_exchanges_bindings_and_dead_letter_counts():
    """topology_records() gives a view the exchanges, bindings and per-queue counts."""
    b = Broker(nodes=1, seed=1)
    b.declare_exchange("orders", "topic")
    b.declare_queue("eu", arguments={"x-max-length": 1})
    b.bind("eu", "orders", "eu.#")
    p = b.publisher("p")
    p.publish("orders", "eu.a")
    p.publish("orders", "eu.b")
    t = b.topology_records()
    assert {"name": "orders", "type": "topic", "durable": True} in t["exchanges"]
    assert t["bindings"] == [{"exchange": "orders", "queue": "eu", "key": "eu.#",
                              "arguments": {}}]
    assert (t["queues"][0]["ready"], t["queues"][0]["dead_lettered"]) == (1, 1)
