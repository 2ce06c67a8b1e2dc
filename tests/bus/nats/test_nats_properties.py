"""NATS guarantees under random faults (hypothesis): core NATS never delivers a message twice
to a subscriber (at-most-once); JetStream delivers every acknowledged publish at least once."""

from hypothesis import HealthCheck, given, settings, strategies as st

from caplab.bus.nats import Nats

events = st.lists(st.tuples(st.integers(0, 2000), st.sampled_from(["crash", "cut"]),
                            st.integers(0, 1), st.integers(50, 600)), max_size=6)


def _run(seed, schedule):
    n = Nats(servers=2, seed=seed, op_timeout_ms=300)
    n.add_stream("S", ["s.>"], server="s1")
    subs = [n.client(f"c{i}", near=f"s{i + 1}") for i in range(2)]
    for c in subs:
        c.subscribe("core.*")
        c.consume("S", f"d-{c.name}", ack_wait_ms=100, max_deliver=1000)
    pub = n.client("pub", near="s1")
    for i in range(40):
        n.sim.schedule(10 + 50 * i, pub.publish_async, "core.x" if i % 2 else "s.x", i)
    for i in range(20):
        n.sim.schedule(15 + 100 * i, pub.js_publish_async, "s.y", i)

    def fault(kind, c, ms):
        if not c.up:
            return
        if kind == "crash":
            c.crash()
            n.sim.schedule(ms, c.restart)
        else:
            n.partition([c.name], [x for x in n.world.network.endpoints if x != c.name])
            n.sim.schedule(ms, n.heal)

    for at, kind, who, ms in schedule:
        n.sim.schedule(at, fault, kind, subs[who], ms)
    n.run_for(3000)
    n.heal()
    for c in subs:
        if not c.up:
            c.restart()
    n.run_for(3000)
    return n


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), schedule=events)
def test_core_at_most_once_and_jetstream_at_least_once(seed, schedule):
    """NATS "Core NATS" (at-most-once: never twice, maybe never) and "JetStream" (explicit acks
    and redelivery: every acknowledged publish reaches each durable consumer at least once)."""
    n = _run(seed, schedule)
    core = [(d["consumer"], d["id"]) for d in n.deliveries() if d["subject"].startswith("core")]
    assert len(core) == len(set(core))                      # no duplicates
    stored = {p["id"] for p in n.publishes() if p["subject"].startswith("s.")
              and (p["confirmed"] or not p["jetstream"])}
    acked = {p["id"] for p in n.publishes() if p["jetstream"] and p["confirmed"]}
    assert acked
    for consumer in ("c0", "c1"):
        got = {d["id"] for d in n.deliveries() if d["consumer"] == consumer
               and d["subject"].startswith("s.")}
        assert acked <= got, sorted(acked - got)
        assert got <= stored | {p["id"] for p in n.publishes() if p["jetstream"]}
