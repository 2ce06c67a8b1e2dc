"""The autoscaler: it grows the sale tier in the spike and shrinks it after, within its bounds,
with start-up delay and cooldown; bad input leaves everything unchanged."""

import pytest
from hypothesis import given, settings, strategies as st

from caplab.errors import ConfigError
from caplab.services import SMALL, Autoscaler, LoadProfile
from caplab.services.deployment import Deployment


def _spiky(seed=1, **scaler):
    d = Deployment(seed=seed)
    d.add_tier("sale", machine=SMALL.with_memory(4), features={"sale": 3.0}, instances=1)
    scaler.setdefault("startup_ms", 2_000)
    a = Autoscaler(d, "sale", **scaler).start()
    d.add_load("load", LoadProfile(20, mix=(("sale", 1),), spike_start_ms=10_000,
                                   spike_end_ms=25_000, duration_ms=45_000))
    return d, a


def test_the_tier_grows_in_the_spike_and_shrinks_after():
    """Kubernetes HPA rule desired = ceil(current * utilisation / target): 200 req/s at 20 ms
    on 2 cores needs about 2 / 0.6 = 4 instances at 60%; 20 req/s needs 1."""
    d, a = _spiky(target_utilisation=0.6, min_instances=1, max_instances=8, cooldown_ms=2_000)
    d.run(9_000)
    assert len(d.tier("sale").live) == 1
    d.run(25_000)
    assert 3 <= len(d.tier("sale").live) <= 6
    d.run(45_000)
    assert len(d.tier("sale").live) <= 2


def test_a_new_instance_serves_only_after_its_start_up_delay():
    """Booting instances are billed but not routed to until startup_ms has passed."""
    d, a = _spiky(startup_ms=4_000, cooldown_ms=10_000, max_instances=8)
    d.run(25_000)
    for inst in d.tier("sale").instances[1:]:
        assert inst.ready_ms - inst.launched_ms == 4_000


def test_no_change_within_the_cooldown():
    """AWS simple scaling cooldown: after a change, the next waits cooldown_ms."""
    d, a = _spiky(cooldown_ms=5_000, max_instances=8)
    d.run(45_000)
    times = [t for t, *_ in a.decisions]
    assert len(times) >= 2
    assert all(b - a_ >= 5_000 for a_, b in zip(times, times[1:]))


@pytest.mark.parametrize("kwargs, word", [
    ({"min_instances": 5, "max_instances": 2}, "min_instances=5 exceeds max_instances=2"),
    ({"target_utilisation": 0}, "target_utilisation"),
    ({"target_utilisation": 1.5}, "target_utilisation"),
    ({"min_instances": 0}, "min_instances"), ({"cooldown_ms": -1}, "cooldown_ms")])
def test_bad_settings_are_refused_and_nothing_changes(kwargs, word):
    """min > max, a target outside (0, 1], a negative cooldown: an error naming the value."""
    d = Deployment(seed=1)
    t = d.add_tier("sale", features={"sale": 1.0}, instances=3)
    pending = d.sim.pending
    with pytest.raises(ConfigError, match=word):
        Autoscaler(d, "sale", **kwargs)
    assert len(t.live) == 3 and d.sim.pending == pending


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 1_000), low=st.integers(1, 3), extra=st.integers(0, 4),
       target=st.floats(0.2, 1.0), cooldown=st.integers(0, 4_000),
       startup=st.integers(0, 3_000))
def test_instances_stay_within_min_and_max(seed, low, extra, target, cooldown, startup):
    """Whatever the settings and the load, the live count never leaves [min, max]."""
    d, a = _spiky(seed=seed, min_instances=low, max_instances=low + extra,
                  target_utilisation=target, cooldown_ms=cooldown, startup_ms=startup)
    d.run(45_000)
    counts = [n for _, tier, n in d.counts if tier == "sale"]
    assert counts[-1] >= low
    assert all(n <= low + extra for n in counts)
    assert all(n >= low for t, tier, n in d.counts if tier == "sale" and t > 0)


def test_a_crashed_instance_is_replaced_and_the_replacement_serves_after_booting():
    """AWS EC2 Auto Scaling, "Health checks for instances in an Auto Scaling group": "When
    Amazon EC2 Auto Scaling determines that an InService instance is unhealthy, it replaces it
    with a new instance to maintain the desired capacity" (ELB health checks; a Kubernetes
    ReplicaSet likewise recreates failed pods, and the HPA counts ready pods only): once the
    balancer detects the crash, the instance is retired and a new one boots for startup_ms."""
    d = Deployment(seed=1)
    tier = d.add_tier("sale", machine=SMALL.with_memory(4), features={"sale": 3.0}, instances=0)
    a = Autoscaler(d, "sale", min_instances=2, max_instances=2, startup_ms=3_000).start()
    d.add_load("load", LoadProfile(20, mix=(("sale", 1),), duration_ms=30_000))
    d.run(5_000)
    d.crash("sale-1")
    d.run(20_000)
    (when, failed, new), = a.replacements
    down = next(t for t, name, state in tier.balancer.health_log if name == "sale-1")
    assert failed == "sale-1" and new == "sale-3"
    assert 5_000 < down <= when < 8_000                 # detected (2 missed pings), then replaced
    replacement = tier.instances[2]
    assert replacement.launched_ms == when and replacement.ready_ms == when + 3_000
    assert [i.name for i in tier.live] == ["sale-2", "sale-3"]
    assert "sale-3" in tier.balancer.routable() and "sale-1" not in tier.balancer.backends
    assert tier.instances[0].retired_ms == when          # no longer billed


def test_through_a_crash_the_live_count_holds_and_the_ready_count_dips_then_recovers():
    """The dead instance is swapped out, not counted as capacity: the live count stays at the
    minimum, the ready count dips by one until the replacement has booted."""
    d = Deployment(seed=2)
    d.add_tier("sale", machine=SMALL.with_memory(4), features={"sale": 3.0}, instances=0)
    a = Autoscaler(d, "sale", min_instances=3, max_instances=3, startup_ms=2_000).start()
    d.add_load("load", LoadProfile(20, mix=(("sale", 1),), duration_ms=30_000))
    d.run(4_000)
    d.crash("sale-2")
    d.run(6_500)
    assert len(d.tier("sale").live) == 3 and len([i for i in d.tier("sale").ready if i.up]) == 2
    d.run(12_000)
    assert len([i for i in d.tier("sale").ready if i.up]) == 3 and len(a.replacements) == 1


def test_the_hpa_rule_and_its_ten_percent_tolerance():
    """Kubernetes HPA: desiredReplicas = ceil(currentReplicas * currentMetric / desiredMetric)
    (its example: 50 replicas at 90% against a 75% target -> 60), and no change while the ratio
    is within the 10% tolerance (0.9 to 1.1)."""
    d = Deployment(seed=1)
    d.add_tier("sale", features={"sale": 1.0}, instances=50)
    a = Autoscaler(d, "sale", target_utilisation=0.75, min_instances=1, max_instances=100)
    assert a.desired(0.90) == 60
    assert a.desired(0.80) == 50 and a.desired(0.70) == 50       # ratios 1.07 and 0.93
    assert a.desired(0.60) == 40                                  # ratio 0.8: ceil(40.0)


def test_scale_down_waits_out_the_stabilisation_window_and_scale_up_does_not():
    """Kubernetes HPA (HPAScalingRules.stabilizationWindowSeconds: 300 s for scale-down, 0 for
    scale-up; here 10 s, lab scale): after the spike the tier shrinks only once a whole window
    of recommendations asks for fewer instances; the growth in the spike is not delayed."""
    runs = {}
    for window in (0, 10_000):
        d, a = _spiky(target_utilisation=0.6, min_instances=1, max_instances=8, cooldown_ms=0,
                      scale_down_stabilisation_ms=window)
        d.run(45_000)
        runs[window] = a.decisions
    ups = {w: [(t, after) for t, _, before, after in r if after > before]
           for w, r in runs.items()}
    downs = {w: [t for t, _, before, after in r if after < before] for w, r in runs.items()}
    assert ups[0] == ups[10_000] and ups[0]
    assert downs[0][0] < 25_000 + 10_000 <= downs[10_000][0]
    assert downs[10_000][0] - downs[0][0] == 10_000


def test_a_negative_stabilisation_window_is_refused():
    """A negative window: an error naming it; the tier is unchanged."""
    d = Deployment(seed=1)
    t = d.add_tier("sale", features={"sale": 1.0}, instances=2)
    with pytest.raises(ConfigError, match="scale_down_stabilisation_ms.*-1"):
        Autoscaler(d, "sale", scale_down_stabilisation_ms=-1)
    assert len(t.live) == 2
