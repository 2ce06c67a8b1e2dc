"""Notebook 10 (scaling and resilience): every claim it prints, for seeds 1-3."""

import pytest

from caplab.course import scaling


def _by(rows, key):
    return {r[key]: r for r in rows}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_sale_spike_swamps_the_small_monolith_and_its_copies_and_the_rest_keep_up(seed):
    """"During the spike the small monolith serves under 10% of requests and six copies of it
    (16 GB each, paging on 2 GB) about half; every other option serves all of them; scale-up has
    the lowest p99 and the highest price; more memory for the sale service, then replicas, is
    the cheapest of the options without a cold start.\""""
    rows = _by(scaling.spike_table(seed), "option")
    assert rows["small"]["availability"] < 0.1
    assert 0.3 < rows["scale-out"]["availability"] < 0.7
    assert all(r["availability"] > 0.99 for o, r in rows.items()
               if o not in ("small", "scale-out"))
    fast = min((r for o, r in rows.items() if o != "small"), key=lambda r: r["p99_ms"])
    assert fast["option"] == "scale-up"
    assert rows["scale-up"]["cost_per_hour"] == max(r["cost_per_hour"] for r in rows.values())
    warm = [o for o in rows if o not in ("small", "autoscaled")]
    assert min(warm, key=lambda o: rows[o]["cost_per_hour"]) == "memory-then-replicas"
    # "keeps up for about a third of its price"
    ratio = rows["memory-then-replicas"]["cost_per_hour"] / rows["scale-up"]["cost_per_hour"]
    assert 0.25 < ratio < 0.45



@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_autoscaler_is_the_cheapest_option_that_keeps_up(seed):
    """"The autoscaler costs least of the options that keep up" (serve over 99% of the spike),
    paying with a long tail while its instances boot."""
    rows = _by(scaling.spike_table(seed), "option")
    keeps_up = [o for o, r in rows.items() if r["availability"] > 0.99]
    assert min(keeps_up, key=lambda o: rows[o]["cost_per_hour"]) == "autoscaled"
    assert rows["autoscaled"]["p99_ms"] > 5 * rows["memory-then-replicas"]["p99_ms"]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_one_crashed_instance_halves_the_big_machine_and_barely_dents_the_replicas(seed):
    """"Crash one instance for 10 s of the 20 s spike: the single big machine serves about
    half; the replicated split options keep over 99%.\""""
    rows = _by(scaling.spike_table(seed, crash=True), "option")
    assert 0.4 < rows["scale-up"]["availability"] < 0.6
    for option in ("split-out", "memory-then-replicas"):
        assert rows[option]["availability"] > 0.99


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_one_crashed_instance_costs_the_split_out_service_latency(seed):
    """"What they lose is latency: split-out's p99 grows several times over while its remaining
    instances take the crashed one's share.\""""
    before = _by(scaling.spike_table(seed), "option")["split-out"]["p99_ms"]
    after = _by(scaling.spike_table(seed, crash=True), "option")["split-out"]["p99_ms"]
    assert after > 2.5 * before


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_slow_dependency_cascades_and_each_protection_contains_it(seed):
    """"Unprotected, nearly every request fails (even those that never need the slow service)
    and the caller's queue grows to hundreds; a timeout, a breaker or a bulkhead each keep the
    requests that do not need it working; the breaker with its fallback fails none.\""""
    rows = _by(scaling.cascade_table(seed), "protection")
    assert rows["none"]["local_error_rate"] > 0.9 and rows["none"]["front_max_queue"] > 100
    for p in ("timeout", "breaker", "bulkhead"):
        assert rows[p]["local_error_rate"] < 0.05
    assert rows["breaker"]["error_rate"] == 0.0
    # "the calls that need the dependency still fail (about half of all requests here)"
    for p in ("timeout", "bulkhead"):
        assert 0.4 < rows[p]["error_rate"] < 0.6


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_retry_storm_without_jitter_prolongs_the_outage(seed):
    """"Without jitter the outage lasts longest and calls are wasted on clients that gave up;
    every kind of jitter shortens it." (AWS, Exponential Backoff and Jitter.)"""
    rows = _by(scaling.retry_storm_table(seed), "jitter")
    worst = rows["none"]["prolonged_ms"]
    assert all(rows[j]["prolonged_ms"] < worst for j in ("full", "equal", "decorrelated"))
    assert rows["none"]["wasted"] > 0
