"""Quorum queues under random broker crashes (hypothesis): while a majority stays up, no
confirmed message is lost."""

from hypothesis import HealthCheck, given, settings, strategies as st

from caplab.bus.rabbit import Broker

#: (time, node index, downtime): a node crashes then restarts; at most one down at a time
faults = st.lists(st.tuples(st.integers(0, 2500), st.integers(0, 2), st.integers(50, 800)),
                  max_size=5)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), schedule=faults, prefetch=st.integers(0, 3))
def test_quorum_queue_loses_no_confirmed_message_while_a_majority_is_up(seed, schedule,
                                                                       prefetch):
    """RabbitMQ "Quorum Queues": a confirmed message is on a majority and survives the loss of
    a minority; with manual acks every one of them is delivered at least once."""
    b = Broker(nodes=3, seed=seed, op_timeout_ms=400)
    b.declare_queue("q", type="quorum")
    b.run_for(50)
    pubs = [b.publisher(f"p{i}", near=f"r{i + 1}") for i in range(3)]
    b.consumer("c", "q", near="r2", prefetch=prefetch, process_ms=3)
    for i in range(40):
        b.sim.schedule(10 + 60 * i, lambda i=i: pubs[i % 3].publish_async("", "q", i))
    down_until = [0]

    def crash(name, downtime):
        if b.now < down_until[0] or not b.nodes[name].up:
            return      # keep a majority: one node down at a time
        down_until[0] = b.now + downtime + 1
        b.crash(name)
        b.sim.schedule(downtime, b.restart, name)

    for at, idx, downtime in schedule:
        b.sim.schedule(at, crash, f"r{idx + 1}", downtime)
    b.run_for(4000)
    b.run_for(4000)
    confirmed = {r["id"] for r in b.publishes() if r["confirmed"]}
    delivered = {d["id"] for d in b.deliveries()}
    assert confirmed, "nothing was confirmed"
    assert confirmed <= delivered, sorted(confirmed - delivered)
