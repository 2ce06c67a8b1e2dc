"""Monitoring series from the services' records: the spike, a crash and the autoscaler as an
operator's dashboard would show them."""

import pytest

from caplab.errors import ConfigError, UnknownNameError
from caplab.services import percentile, sale_spike, time_series


@pytest.fixture(scope="module")
def autoscaled():
    return sale_spike("autoscaled", seed=2, crash_at_ms=30_000, down_for_ms=5_000)["deployment"]


def test_percentiles_are_nearest_rank():
    """p50 of 1..100 is 50, p99 is 99, p100 is 100; nothing gives None."""
    values = list(range(100, 0, -1))
    assert (percentile(values, 50), percentile(values, 99), percentile(values, 100)) == \
        (50, 99, 100)
    assert percentile([], 50) is None


def test_the_series_show_the_spike_and_the_fleet_following_it(autoscaled):
    """Request rate x10 in the spike window (20-40 s); instances rise during it; the p99
    latency jumps while new instances boot; the spike and the crash are bands."""
    s = time_series(autoscaled, window_ms=1_000)
    n = len(s["t_ms"])
    assert n == autoscaled.now // 1_000 and all(len(s[k]) == n for k in
                                                ("request_rate", "error_rate", "p50_ms",
                                                 "p99_ms", "queue_length", "instances",
                                                 "utilisation"))
    before, during = s["request_rate"][5:19], s["request_rate"][21:39]
    assert sum(during) / len(during) == pytest.approx(10 * sum(before) / len(before), rel=0.2)
    sale = time_series(autoscaled, window_ms=1_000, tier="sale")["instances"]
    assert max(sale[20:40]) > max(sale[:19]) == 1
    assert s["instances"][:19] == [3] * 19          # sale, catalog and checkout
    assert max(s["p99_ms"][20:25]) > 5 * max(s["p99_ms"][5:19])
    assert max(s["queue_length"][20:25]) > 10
    assert 0 < max(s["utilisation"]) <= 1
    assert s["marks"] == [(20_000, 40_000, "sale spike")]
    assert s["faults"] == [(30_000, 35_000, "sale-1 crashed")]


def test_a_crash_shows_as_errors_in_its_window(autoscaled):
    """Requests caught at the crashed instance fail: errors appear at 30 s, none before."""
    s = time_series(autoscaled, window_ms=1_000)
    assert s["error_rate"][30] > 0
    assert sum(s["error_rate"][:20]) == 0


def test_one_tier_only_and_bad_input():
    """A tier's series counts its instances only; a bad window or tier is named."""
    d = sale_spike("split-out", seed=1)["deployment"]
    s = time_series(d, tier="catalog", window_ms=5_000)
    assert set(s["instances"]) == {1}
    with pytest.raises(ConfigError, match="window_ms"):
        time_series(d, window_ms=0)
    with pytest.raises(UnknownNameError, match="'basket'.*'sale'"):
        time_series(d, tier="basket")


def test_crashes_by_the_nemesis_show_as_detected_down_bands():
    """A crash the deployment did not make (the world's nemesis) still shows: the balancer's
    health checks held the instance down from shortly after the crash to shortly after the
    restart."""
    from caplab.services.scenarios import build_option
    from caplab.services import LoadProfile
    d, _ = build_option("split-out", seed=1)
    d.add_load("load", LoadProfile(20, duration_ms=10_000))
    d.nemesis([(2_000, "crash", "sale-3"), (6_000, "restart", "sale-3")])
    d.run(10_000)
    s = time_series(d)
    assert s["faults"] == []
    (start, end, label), = s["detected"]
    assert label == "sale-3 detected down"
    assert 2_000 < start <= 3_500 and 6_000 < end <= 7_000


def test_a_crashed_balancer_comes_back_and_checks_health_again():
    """The balancer's table is volatile: after its restart it routes and pings again."""
    from caplab.services.scenarios import build_option
    from caplab.services import LoadProfile
    d, _ = build_option("split-out", seed=1)
    c = d.add_load("load", LoadProfile(20, duration_ms=12_000))
    d.run(2_000)
    d.crash("sale-lb")
    d.run(4_000)
    d.restart("sale-lb")
    d.run(5_000)
    d.crash("sale-2")
    d.run(14_000)
    lb = d.tier("sale").balancer
    assert [e[1:] for e in lb.health_log] == [("sale-2", "down")]
    late = [s for t, s, f in zip(c.sent_ms, c.status, c.feature) if t > 8_000 and f == "sale"]
    assert late and set(late) == {"ok"}
