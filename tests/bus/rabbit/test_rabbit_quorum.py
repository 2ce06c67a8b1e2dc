"""Quorum queues: replicated over three broker nodes with Raft; confirms after a majority,
survive one broker's death, refuse without a majority, dead-letter past the delivery limit."""

from caplab.bus.rabbit import Broker


def _quorum(seed=1, **args):
    b = Broker(nodes=3, seed=seed, op_timeout_ms=1000)
    b.declare_exchange("dlx", "fanout")
    b.declare_queue("dead", node="r2")
    b.bind("dead", "dlx")
    b.declare_queue("orders", type="quorum",
                    arguments={"x-dead-letter-exchange": "dlx", **args})
    b.run_for(50)
    return b


def test_quorum_queue_confirms_after_a_majority_has_the_message():
    """RabbitMQ "Quorum Queues": a publish is confirmed once a majority of replicas have it;
    every replica's log holds it."""
    b = _quorum()
    p = b.publisher("p", near="r2")
    assert p.publish("", "orders", "o1").ok
    b.run_for(200)
    logs = {n: [e for _, e in b.nodes[n].raft["orders"].log if e[0] == "enqueue"]
            for n in b.nodes}
    assert all(len(entries) == 1 for entries in logs.values())


def test_quorum_queue_keeps_confirmed_messages_when_one_of_three_brokers_dies():
    """RabbitMQ "Quorum Queues": with 3 replicas the queue tolerates one failure; the survivors
    elect a new leader and every confirmed message is still delivered."""
    b = _quorum(seed=2)
    p = b.publisher("p", near="r2")
    results = [p.publish("", "orders", i) for i in range(5)]
    assert all(r.ok for r in results)
    leader = b.locate("orders")
    b.crash(leader)
    b.run_for(2000)
    assert b.locate("orders") != leader
    b.consumer("c", "orders", near="r2")
    b.run_for(1000)
    assert sorted(d["id"] for d in b.deliveries()) == [f"p-{i}" for i in range(1, 6)]
    assert p.publish("", "orders", "after").ok      # still available with 2 of 3


def test_quorum_queue_refuses_without_a_majority():
    """RabbitMQ "Quorum Queues": a quorum queue needs (N/2)+1 replicas; with two of three down
    no publish is confirmed and nothing new is delivered."""
    b = _quorum(seed=3)
    p = b.publisher("p", near="r1")
    assert p.publish("", "orders", "before").ok
    for node in ("r2", "r3"):
        b.crash(node)
    r = p.publish("", "orders", "lonely")
    assert not r.ok
    b.consumer("c", "orders", near="r1")
    b.run_for(1000)
    assert [d["id"] for d in b.deliveries()] == ["p-1"]     # only the committed one


def test_delivery_limit_dead_letters_a_poison_message():
    """RabbitMQ 4.0 "Quorum Queues" poison message handling: the delivery limit defaults to 20;
    a message returned more often is dead-lettered with reason delivery_limit."""
    b = _quorum(seed=4)
    attempts = []

    def always_fail(env, redelivered):
        attempts.append(env.id)
        return "requeue"

    b.consumer("c", "orders", near="r1", handler=always_fail)
    b.consumer("reader", "dead", near="r2")
    b.publisher("p", near="r1").publish("", "orders", "poison")
    b.run_for(3000)
    assert len(attempts) == 21                 # the first delivery and 20 redeliveries
    assert [(d["id"], d["reason"]) for d in b.dead_letters()] == [("p-1", "delivery_limit")]
    assert [d["id"] for d in b.deliveries() if d["queue"] == "dead"] == ["p-1"]


def test_a_lower_delivery_limit_is_honoured():
    """x-delivery-limit=2: the third return dead-letters the message."""
    b = _quorum(seed=5, **{"x-delivery-limit": 2})
    b.consumer("c", "orders", handler=lambda env, r: "requeue")
    b.publisher("p").publish("", "orders", "poison")
    b.run_for(1000)
    assert len([d for d in b.deliveries() if d["queue"] == "orders"]) == 3
    assert [d["reason"] for d in b.dead_letters()] == ["delivery_limit"]


def test_a_replica_without_a_leader_refuses_definitely():
    """A publish reaching a replica that knows no leader (it lost its majority and is trying to
    be elected) fails at once, definitely: nothing was enqueued."""
    b = _quorum(seed=3)
    p = b.publisher("p", near="r2")
    b.crash("r1")
    b.crash("r3")
    b.run_for(1000)
    r = p.publish("", "orders", "lonely")
    assert r.outcome == "fail" and "needs 2 of 3" in r.error
    b.restart("r3")
    b.run_for(1500)
    assert p.publish("", "orders", "back").ok


def test_a_new_leader_redelivers_what_the_old_one_had_delivered_unacked():
    """When the leader dies with deliveries unacknowledged, the new leader delivers them again,
    flagged redelivered: at-least-once, so duplicates are possible and marked."""
    b = _quorum(seed=6)
    b.consumer("slow", "orders", near="r3", process_ms=5000)
    b.run_for(50)
    p = b.publisher("p", near="r2")
    assert p.publish("", "orders", "o1").ok
    b.run_for(100)                       # delivered to slow, unacknowledged
    b.crash(b.locate("orders"))
    b.consumer("fresh", "orders", near="r2")
    b.run_for(3000)
    got = [(d["consumer"], d["redelivered"]) for d in b.deliveries()]
    assert ("fresh", True) in got


def test_a_classic_queue_lives_on_one_node_and_is_gone_with_it():
    """RabbitMQ "Queues": a classic queue's contents live on one node; publishes through
    another node are unconfirmed while that node is down, where a quorum queue carries on."""
    b = Broker(nodes=3, seed=7, op_timeout_ms=500)
    b.declare_queue("classic", node="r1")
    b.declare_queue("quorum", type="quorum", node="r1")
    b.run_for(50)
    p = b.publisher("p", near="r2")
    b.crash("r1")
    b.run_for(1500)                      # the quorum queue elects a new leader
    assert p.publish("", "classic", 1).outcome == "info"
    assert p.publish("", "quorum", 2).ok
