"""Machines and instances: price model, paging penalty, speed, and their bad input."""

import pytest

from caplab.errors import ConfigError
from caplab.services import BIG, SMALL, Instance, Machine, paging_factor
from caplab.services.capacity import AWS_ON_DEMAND
from caplab.services.deployment import Deployment


def test_prices_follow_the_documented_model():
    """cores * 0.034 * speed**1.5 + memory_gb * 0.0035 dollars per hour (AWS m5/r5/z1d scaled)."""
    assert SMALL.cost_per_hour == pytest.approx(2 * 0.034 + 2 * 0.0035)
    assert BIG.cost_per_hour == pytest.approx(8 * 0.034 * 2.5 ** 1.5 + 16 * 0.0035, abs=1e-4)
    assert SMALL.with_memory(4).cost_per_hour > SMALL.cost_per_hour
    assert Machine("m", cost_per_hour=0.5).cost_per_hour == 0.5


@pytest.mark.parametrize("name, vcpus, gib, usd", AWS_ON_DEMAND)
def test_prices_keep_the_shape_of_aws_on_demand_prices(name, vcpus, gib, usd):
    """AWS EC2 on-demand (us-east-1; c5.2xlarge $0.34 as in the EC2 Auto Scaling guide's Spot
    price example): the model is within 5% of each compute-, general- and memory-optimised
    price, so memory costs about a tenth of a vCPU per GiB."""
    assert Machine(name, cores=vcpus, memory_gb=gib).cost_per_hour == pytest.approx(usd, rel=0.05)


def test_a_copy_of_the_monolith_costs_half_as_much_again_as_a_copy_of_the_sale_service():
    """16 GB against 4 GB on the same two cores: r5.large against c5.large, about 1.5 times."""
    ratio = Machine("m", memory_gb=16).cost_per_hour / Machine("s", memory_gb=4).cost_per_hour
    assert 1.4 < ratio < 1.6


def test_a_working_set_beyond_memory_slows_every_request():
    """Twice the memory in working set: 1 + 4 * 1/2 = 3 times slower; fitting: no penalty."""
    assert paging_factor(4, 2) == 3.0
    assert paging_factor(2, 2) == 1.0
    paged = Instance("a", SMALL, base_service_ms=20, working_set_gb=4)
    fits = Instance("b", SMALL.with_memory(4), base_service_ms=20, working_set_gb=4)
    fast = Instance("c", BIG, base_service_ms=20, working_set_gb=4)
    assert (paged.mean_service_ms, fits.mean_service_ms, fast.mean_service_ms) == (60, 20, 8)


def test_measured_service_times_follow_speed_and_paging():
    """Sampled service times average base * paging / speed (exponential, 2,000 draws, +-7%)."""
    d = Deployment(seed=3)
    t = d.add_tier("t", machine=SMALL, features={"x": 4.0}, instances=1)
    inst = t.instances[0]
    draws = [inst.service_time_ms(None) for _ in range(2000)]
    assert sum(draws) / len(draws) == pytest.approx(60, rel=0.07)


def test_an_instance_is_billed_from_launch_to_retirement():
    """An hour of a small instance costs its hourly price; a retired one stops costing."""
    d = Deployment(seed=1)
    t = d.add_tier("t", machine=SMALL, features={"x": 1.0}, instances=2)
    d.run(1_800_000)
    t.retire()
    d.run(3_600_000)
    assert t.cost_usd() == pytest.approx(SMALL.cost_per_hour * 1.5)


@pytest.mark.parametrize("kwargs, word", [
    ({"cores": 0}, "cores"), ({"cores": 1.5}, "cores"), ({"speed": -2}, "speed"),
    ({"memory_gb": 0}, "memory_gb"), ({"cost_per_hour": -1}, "cost_per_hour")])
def test_bad_machines_are_refused(kwargs, word):
    """A zero core count, negative speed, zero memory or negative price: an error naming it."""
    with pytest.raises(ConfigError, match=word):
        Machine("m", **kwargs)


@pytest.mark.parametrize("kwargs, word", [
    ({"base_service_ms": -5}, "base_service_ms"), ({"working_set_gb": 0}, "working_set_gb")])
def test_bad_instances_are_refused(kwargs, word):
    """A negative service time or an empty working set: an error naming the value."""
    with pytest.raises(ConfigError, match=word):
        Instance("i", SMALL, **kwargs)


def test_a_bad_tier_adds_nothing():
    """A negative service time leaves the deployment without the tier or its nodes."""
    d = Deployment(seed=1)
    with pytest.raises(ConfigError, match="-1"):
        d.add_tier("t", features={"x": 1.0}, base_service_ms=-1)
    assert d.tiers == {} and d.world.nodes == []


def test_a_deployment_describes_its_nodes_for_views():
    """Roles for every node (balancer, instance, booting, down) and crash presets per tier."""
    d = Deployment(seed=1)
    t = d.add_tier("sale", features={"sale": 1.0}, instances=2)
    t.launch(startup_ms=1_000)
    d.crash("sale-2")
    assert d.roles() == {"sale-lb": "balancer", "sale-1": "instance", "sale-2": "down",
                         "sale-3": "booting"}
    desc = d.describe()
    assert desc.system == "services" and desc.presets["crash sale-1"] == ("crash", "sale-1")
    assert set(d.roles().values()) <= set(desc.roles)
