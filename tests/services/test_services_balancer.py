"""The load balancer: round robin, least connections, health checks around a crash, its own
queue with a connection limit, and bad input."""

import pytest
from hypothesis import given, settings, strategies as st

from caplab.errors import ConfigError, UnknownNameError
from caplab.services import LoadBalancer, LoadProfile
from caplab.services.deployment import Deployment


def _shop(seed=1, *, instances=3, policy="round_robin", rate=30, duration=10_000, **kw):
    d = Deployment(seed=seed)
    t = d.add_tier("shop", features={"x": 1.0}, instances=instances, policy=policy,
                   keep_routes=True, **kw)
    c = d.add_load("load", LoadProfile(rate, mix=(("x", 1),), duration_ms=duration))
    return d, t, c


def test_round_robin_takes_the_replicas_in_turn():
    """nginx's default: each replica in turn, whatever its load."""
    d, t, _ = _shop()
    d.run(3_000)
    names = [b for _, b in t.balancer.routes]
    assert names[:6] == ["shop-1", "shop-2", "shop-3"] * 2
    assert {names.count(n) for n in set(names)} <= {len(names) // 3, len(names) // 3 + 1}


def test_least_connections_avoids_the_slow_replica():
    """nginx least_conn / HAProxy leastconn: a replica whose requests pile up gets fewer."""
    d = Deployment(seed=2)
    t = d.add_tier("shop", features={"x": 1.0}, instances=2, policy="least_connections")
    t.instances[0].speed = 0.25          # one replica four times slower (a noisy neighbour)
    d.add_load("load", LoadProfile(60, mix=(("x", 1),), duration_ms=10_000))
    d.run(12_000)
    slow, fast = (i.completed for i in t.instances)
    assert slow < fast / 2


def test_a_crashed_replica_is_detected_and_routed_around():
    """AWS ELB health checks: after two unanswered pings the replica leaves rotation; what it
    held is answered Failed (indefinite); it comes back after its restart."""
    d, t, c = _shop(seed=3, duration=12_000)
    d.run(3_000)
    d.crash("shop-2")
    d.run(6_000)
    lb = t.balancer
    down = [e for e in lb.health_log if e[1:] == ("shop-2", "down")]
    assert down and 3_000 < down[0][0] <= 3_000 + 3 * lb.health_interval_ms
    assert all(b != "shop-2" for time, b in lb.routes if time >= down[0][0])
    d.restart("shop-2")
    d.run(12_000)
    assert [e[2] for e in lb.health_log if e[1] == "shop-2"] == ["down", "up"]
    assert any(b == "shop-2" for time, b in lb.routes if time > 9_000)
    assert "failed" in c.status or lb.failed == 0


def test_with_no_healthy_replica_the_balancer_refuses_at_once():
    """A single instance down: HTTP 503 from the balancer (definite), not a silent timeout."""
    d, t, c = _shop(instances=1, duration=8_000)
    d.run(2_000)
    d.crash("shop-1")
    d.run(8_000)
    assert t.balancer.refused > 0
    late = [s for ms, s in zip(c.sent_ms, c.status) if 3_500 <= ms < 8_000]
    assert late and set(late) == {"rejected"}


def test_a_connection_limit_queues_at_the_balancer():
    """HAProxy maxconn: with one connection per replica, excess requests wait at the balancer."""
    d, t, c = _shop(instances=2, rate=200, duration=2_000, max_connections=1)
    d.run(1_000)
    assert all(i.queue_length == 0 and i.busy <= 1 for i in t.instances)
    assert t.balancer.waiting
    d.run_until_idle()
    assert c.status.count("ok") == c.sent


def test_an_unknown_policy_names_the_allowed_ones():
    """A typo in the policy: an error naming it and the three policies; no tier is added."""
    with pytest.raises(UnknownNameError, match="'least_conn'.*'round_robin'"):
        LoadBalancer("lb", policy="least_conn")
    d = Deployment(seed=1)
    with pytest.raises(UnknownNameError, match="least_conn"):
        d.add_tier("t", features={"x": 1.0}, policy="least_conn")
    assert d.tiers == {} and d.world.nodes == []


@pytest.mark.parametrize("kwargs, word", [
    ({"max_connections": 0}, "max_connections"), ({"health_interval_ms": 0}, "health_interval"),
    ({"unhealthy_threshold": -1}, "unhealthy_threshold")])
def test_bad_balancer_settings_are_refused(kwargs, word):
    """Out-of-range settings: an error naming the value."""
    with pytest.raises(ConfigError, match=word):
        LoadBalancer("lb", **kwargs)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), policy=st.sampled_from(["round_robin", "least_connections",
                                                             "random"]),
       crashes=st.lists(st.tuples(st.integers(1, 3), st.integers(500, 8_000),
                                  st.integers(200, 3_000)), max_size=3))
def test_no_route_to_a_replica_while_it_is_detected_down(seed, policy, crashes):
    """Whatever the crashes: between 'detected down' and 'back up', no request goes to it."""
    d, t, _ = _shop(seed=seed, policy=policy, duration=10_000)
    events = sorted((at, "crash", k) for k, at, _ in crashes)
    events += sorted((at + length, "restart", k) for k, at, length in crashes)
    for at, action, k in sorted(events):
        d.run(at)
        name = f"shop-{k}"
        up = d.network.endpoints[name].up
        if action == "crash" and up:
            d.crash(name)
        elif action == "restart" and not up:
            d.restart(name)
    d.run(12_000)
    lb = t.balancer
    for time, name in lb.routes:
        state = [s for at, n, s in lb.health_log if n == name and at <= time]
        assert not state or state[-1] == "up"
