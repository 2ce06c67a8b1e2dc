"""Guarantees under random consumer crashes (hypothesis), and determinism in fresh processes."""

import os
import subprocess
import sys

from hypothesis import HealthCheck, given, settings, strategies as st

from caplab.bus.rabbit import Broker

crashes = st.lists(st.tuples(st.integers(20, 1500), st.integers(0, 1)), max_size=6)


def _run(seed, schedule, *, auto_ack, prefetch, process_ms, n, broker_restart_at=None):
    b = Broker(nodes=1, seed=seed, op_timeout_ms=500)
    b.declare_queue("work")
    p = b.publisher("p")
    consumers = [b.consumer(f"c{i}", "work", auto_ack=auto_ack, prefetch=prefetch,
                            process_ms=process_ms) for i in range(2)]
    for i in range(n):
        b.sim.schedule(10 + 15 * i, lambda i=i: p.publish_async("", "work", i,
                                                                persistent=True))

    def crash(c):
        if c.up:
            c.crash()
            b.sim.schedule(150, c.restart)

    for at, who in schedule:
        b.sim.schedule(at, crash, consumers[who])
    if broker_restart_at is not None:
        b.sim.schedule(broker_restart_at, b.crash, "r1")
        b.sim.schedule(broker_restart_at + 50, b.restart, "r1")
    b.run_for(2000)
    for c in consumers:
        if not c.up:
            c.restart()
    b.run_for(3000)
    confirmed = {r["id"] for r in b.publishes() if r["confirmed"]}
    delivered = {d["id"] for d in b.deliveries()}
    return confirmed, delivered


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), schedule=crashes, prefetch=st.integers(0, 3),
       process_ms=st.integers(1, 40), restart=st.one_of(st.none(), st.integers(50, 1200)))
def test_manual_acks_durable_persistent_lose_no_confirmed_message(seed, schedule, prefetch,
                                                                 process_ms, restart):
    """RabbitMQ "Reliability Guide": with manual acknowledgements, durable queues, persistent
    messages and publisher confirms, every confirmed message is delivered at least once, under
    random consumer crashes and a broker restart."""
    confirmed, delivered = _run(seed, schedule, auto_ack=False, prefetch=prefetch,
                                process_ms=process_ms, n=20, broker_restart_at=restart)
    assert confirmed and confirmed <= delivered


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), crash_at=st.integers(45, 150), n=st.integers(4, 10))
def test_auto_ack_loses_what_a_crashed_consumer_held(seed, crash_at, n):
    """RabbitMQ "Consumer Acknowledgements": with automatic acknowledgement, a consumer that
    crashes while holding unprocessed deliveries loses them: some confirmed message is never
    delivered."""
    b = Broker(nodes=1, seed=seed)
    b.declare_queue("work")
    p = b.publisher("p")
    c = b.consumer("c", "work", auto_ack=True, process_ms=20)
    b.run_for(20)
    for i in range(n):
        p.publish_async("", "work", i, persistent=True)
    b.run_until(lambda: len(b.deliveries()) >= 1, timeout_ms=200)
    b.run(until=max(b.now + 1, min(crash_at, 20 + 20 * (n - 1))))
    c.crash()
    b.consumer("d", "work")
    b.run_for(2000)
    confirmed = {r["id"] for r in b.publishes() if r["confirmed"]}
    delivered = {d["id"] for d in b.deliveries()}
    assert len(confirmed) == n and confirmed - delivered


SCRIPT = """
import sys
sys.path.insert(0, sys.argv[1])
from caplab.bus.rabbit import Broker
from caplab.bus.nats import Nats
b = Broker(nodes=3, seed=11)
b.declare_exchange("orders", "topic")
b.declare_queue("q", type="quorum")
b.declare_queue("c", node="r2", arguments={"x-message-ttl": 300})
b.bind("q", "orders", "eu.#"); b.bind("c", "orders", "#")
b.consumer("w1", "q", prefetch=2, process_ms=7); b.consumer("w2", "c", auto_ack=True)
p = b.publisher("p", near="r2")
for i in range(30):
    b.sim.schedule(5 * i, p.publish_async, "orders", "eu.x" if i % 2 else "us.y", i)
b.nemesis(duration_ms=2000, faults=("partition", "crash"))
b.run_for(4000)
n = Nats(servers=3, seed=11)
n.add_stream("S", ["s.>"])
for i in range(3):
    n.client(f"q{i}", near=f"s{i + 1}").subscribe("jobs.*", queue="g")
n.client("js").consume("S", "d", ack_wait_ms=100)
pub = n.client("pub")
for i in range(30):
    n.sim.schedule(5 * i, pub.publish_async, "jobs.a" if i % 2 else "s.b", i)
n.nemesis(duration_ms=2000, faults=("partition", "crash"))
n.run_for(4000)
print(b.history.text()); print(b.sim.trace.text()); print(n.history.text())
print(n.sim.trace.text()); print(b.deliveries()); print(n.deliveries())
"""


def test_same_seed_same_history_text_in_fresh_processes():
    """Broker (quorum queue, TTL, nemesis) and NATS cluster (queue group, JetStream, nemesis):
    three processes with different hash salts print one history and trace text."""
    src = os.path.join(os.path.dirname(__file__), "..", "..", "..", "src")
    outs = {subprocess.run([sys.executable, "-c", SCRIPT, os.path.abspath(src)],
                           capture_output=True, text=True, check=True,
                           env={"PATH": "/usr/bin:/bin", "PYTHONHASHSEED": str(i)}).stdout
            for i in (1, 2, 3)}
    assert len(outs) == 1
    assert outs.pop().count("\n") > 200
