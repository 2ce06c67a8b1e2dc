"""The sale spike: scale-up, scale-out of a monolith, split services, more memory then
replicas, the autoscaler; then one instance crashed mid-spike."""

import pytest

from caplab.errors import UnknownNameError
from caplab.services import compare_options, sale_spike
from caplab.services.scenarios import build_option


@pytest.fixture(scope="module")
def calm():
    return {r["option"]: r for r in compare_options(seed=1)}


@pytest.fixture(scope="module")
def crashed():
    return {r["option"]: r for r in compare_options(seed=1, crash=True)}


def test_the_small_monolith_is_swamped_by_the_spike(calm):
    """Ten times the traffic on one 2-core, 2 GB machine: most requests time out."""
    assert calm["small"]["availability"] < 0.5
    assert calm["small"]["p50_ms"] > 1_000


def test_every_scaled_option_but_the_copied_monolith_serves_the_whole_spike(calm):
    """Scale-up and the split options serve the 200 req/s without errors; six copies of the
    16 GB monolith on 2 GB machines page (4.5 times slower each) and serve about half."""
    for option in ("scale-up", "split-out", "memory-then-replicas"):
        assert calm[option]["errors"] == 0, option
        assert calm[option]["throughput_per_s"] == pytest.approx(200, rel=0.1)
    assert calm["scale-out"]["availability"] < 0.6


def test_one_big_machine_is_fastest_and_dearest(calm):
    """The source's scale-up (2 -> 5 GHz, 2 -> 16 GB): lowest latency, highest hourly cost."""
    big = calm["scale-up"]
    for option in ("scale-out", "split-out", "memory-then-replicas"):
        assert big["p99_ms"] < calm[option]["p99_ms"]
        assert big["cost_per_hour"] > calm[option]["cost_per_hour"]


def test_copying_the_monolith_copies_its_working_set(calm):
    """Monolith replicas each carry every feature (16 GB on 2 GB machines: paging): slower
    than the same replicas of the sale service alone (4 GB), though each split copy pages too."""
    assert calm["scale-out"]["p99_ms"] > 2 * calm["split-out"]["p99_ms"]


def test_memory_for_the_sale_service_then_replicas_is_cheapest_and_fast(calm):
    """The source's third option: the sale service's working set fits (4 GB), so half as many
    replicas beat more replicas that page, at lower cost."""
    third = calm["memory-then-replicas"]
    assert third["p99_ms"] < calm["split-out"]["p99_ms"]
    assert third["cost_per_hour"] < min(calm[o]["cost_per_hour"]
                                        for o in ("scale-up", "scale-out", "split-out"))


def test_the_autoscaler_follows_the_spike_at_the_lowest_cost(calm):
    """Kubernetes HPA-style scaling: it pays for replicas only during the spike (cheapest of
    the options that serve it), at the price of a slow start (p99 while instances boot)."""
    auto = calm["autoscaled"]
    assert auto["errors"] == 0 and auto["instances"] > 2
    assert auto["cost_per_hour"] < calm["memory-then-replicas"]["cost_per_hour"]
    assert auto["p99_ms"] > calm["memory-then-replicas"]["p99_ms"]


def test_a_crash_is_an_outage_for_one_machine_and_a_dip_for_replicas(crashed):
    """One big machine down for 10 s of the 20 s spike: half the spike's requests fail; with
    replicas behind a health-checking balancer (AWS ELB) only those in flight at the crash and
    before its detection fail."""
    assert crashed["scale-up"]["availability"] == pytest.approx(0.5, abs=0.05)
    for option in ("split-out", "memory-then-replicas"):
        assert crashed[option]["availability"] > 0.99, option
        assert crashed[option]["errors"] > 0, option


def test_a_crash_costs_replicas_latency(calm, crashed):
    """Degraded, not down: the survivors carry the load, so latency rises."""
    for option in ("split-out", "memory-then-replicas"):
        assert crashed[option]["p99_ms"] > calm[option]["p99_ms"]


def test_an_unknown_option_names_the_options():
    """A typo: an error naming it and the six options."""
    with pytest.raises(UnknownNameError, match="'scale-sideways'.*'scale-up'"):
        build_option("scale-sideways")


def test_same_seed_same_history():
    """Determinism: the same seed gives the same per-request record; another seed differs."""
    def record(seed):
        d = sale_spike("split-out", seed=seed, crash_at_ms=25_000)["deployment"]
        c = d.loads[0]
        return list(zip(c.sent_ms, c.feature, c.end_ms, c.status)), d.instances()[0].timeline
    assert record(4) == record(4)
    assert record(4) != record(5)


def test_a_crash_costs_every_option_availability_and_halves_the_big_machine_s_throughput(
        calm, crashed):
    """Every scaled option, crashed mid-spike: none gains availability (the swamped small
    monolith is left out: a restart empties its hopeless queue); the single big machine serves
    half the spike (throughput halves), the replicated sale service keeps its throughput
    (within 1%) because the balancer's health checks route around the dead replica (AWS ELB)."""
    for option in set(calm) - {"small"}:
        assert crashed[option]["availability"] <= calm[option]["availability"], option
    assert crashed["scale-up"]["throughput_per_s"] == pytest.approx(
        calm["scale-up"]["throughput_per_s"] / 2, rel=0.05)
    for option in ("split-out", "memory-then-replicas"):
        assert crashed[option]["throughput_per_s"] == pytest.approx(
            calm[option]["throughput_per_s"], rel=0.01), option
