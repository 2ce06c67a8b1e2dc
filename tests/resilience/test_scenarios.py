"""Cascading failure and its containment, and a retry storm with and without jitter."""

import pytest

from caplab.errors import ConfigError, UnknownNameError
from caplab.resilience.monitor import percentile
from caplab.resilience.scenarios import cascade, retry_storm


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_slow_downstream_stops_the_chain_and_each_protection_contains_it(seed):
    """Nygard, "Release It!" (Cascading Failures) and the Hystrix wiki ("How it Works"): a
    slow downstream ties up its caller's workers until even requests that never needed it
    fail; a timeout, a breaker (with Hystrix's pairing of timeout and fallback) and a bulkhead
    each keep the caller answering. Measured: users' error rate and latency."""
    r = {p: cascade(p, seed=seed) for p in ("none", "timeout", "breaker", "bulkhead")}
    # without protection the chain stops answering: nearly everything times out
    assert r["none"]["local_error_rate"] > 0.9 and r["none"]["error_rate"] > 0.9
    assert r["none"]["p50_ms"] >= 1000 and r["none"]["front_max_queue"] > 100
    for p in ("timeout", "breaker", "bulkhead"):
        # requests that do not need the slow service are answered again
        assert r[p]["local_error_rate"] < 0.05
        assert r[p]["error_rate"] < 0.6 * r["none"]["error_rate"]
        assert r[p]["p50_ms"] < 0.2 * r["none"]["p50_ms"]
        assert r[p]["front_max_queue"] < 0.2 * r["none"]["front_max_queue"]
    # the breaker opens, fails fast and its fallback answers the rest
    assert r["breaker"]["transitions"][0]["to"] == "OPEN"
    assert r["breaker"]["error_rate"] < 0.05
    assert r["breaker"]["p50_ms"] < r["timeout"]["p50_ms"] + 1


def test_unknown_protection_is_named():
    """An unknown protection names the allowed ones."""
    with pytest.raises(UnknownNameError, match="'bulkhead'"):
        cascade("sandbag")


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_retry_storm_without_jitter_prolongs_the_outage(seed):
    """AWS "Exponential Backoff and Jitter" and the Builders' Library ("Timeouts, retries and
    backoff with jitter"): calls that failed together retry together without jitter, in waves
    that overflow the recovered dependency and time out again, so the outage lasts longer and
    the dependency serves requests whose callers have already given up; jitter spreads them."""
    none = retry_storm("none", seed=seed, clients=120)
    for jitter in ("full", "equal", "decorrelated"):
        other = retry_storm(jitter, seed=seed, clients=120)
        assert none["prolonged_ms"] > 1.3 * other["prolonged_ms"]
        assert none["wasted"] > other["wasted"]


def test_percentile_nearest_rank():
    """Nearest-rank percentiles (p50 of 1..10 is 5, p99 is 10); empty gives None."""
    assert percentile(range(1, 11), 50) == 5 and percentile(range(1, 11), 99) == 10
    assert percentile([], 50) is None


def test_monitor_series_show_the_breaker_opening():
    """The dashboard rows: errors and an OPEN breaker after the fault, CLOSED before it."""
    from caplab.resilience import BreakerConfig, Dependency, add_caller, open_loop
    from caplab.resilience.monitor import breaker_series, call_series
    from caplab.world import World
    w = World(seed=2, latency=1)
    w.add_node(Dependency("db", latency=5, workers=4))
    c = add_caller(w, "app", "db", timeout_ms=50,
                   breaker=BreakerConfig(minimum_number_of_calls=10, sliding_window_size=20,
                                         wait_duration_in_open_state_ms=5000))
    open_loop(c, rate_per_s=100, duration_ms=4000)
    w.sim.schedule(2000, w.crash, "db")
    w.run(until=4100)
    rows = call_series(c.records, bucket_ms=1000)
    assert [r["t_ms"] for r in rows] == [0, 1000, 2000, 3000]
    assert rows[0]["error_rate"] == 0 and rows[0]["p99_ms"] < 50 and rows[0]["calls"] > 50
    assert rows[3]["error_rate"] == 1.0 and rows[3]["p50_ms"] == 0     # failing fast
    states = [r["state"] for r in breaker_series(c.breaker.transitions, until_ms=4000)]
    assert states == ["CLOSED", "CLOSED", "OPEN", "OPEN"]
    with pytest.raises(ConfigError, match="bucket_ms"):
        call_series(c.records, bucket_ms=0)
