"""The stepping facade behind the monitoring panel: faults on instances (slow, failing, a
partition) change what users see, the breaker fails fast while open, and bad input is refused
by name with nothing changed."""

import pytest

from caplab.errors import ConfigError, UnknownNameError
from caplab.services.live import LiveShop


def test_a_failing_service_opens_the_users_breaker_which_then_refuses_at_once():
    """resilience4j: at a failure rate >= the threshold the breaker opens, and calls are
    refused without reaching the service (no load while OPEN)."""
    shop = LiveShop(seed=1)
    shop.run_for(3000)
    shop.inject("failing", "all")
    s = shop.run_for(6000)
    assert "OPEN" in s["breaker"]
    users = shop.users
    fast = [i for i in range(users.sent) if users.status[i] == "rejected"
            and users.end_ms[i] == users.sent_ms[i]]
    assert fast                               # refused by the breaker, answered at once


def test_a_slow_instance_raises_p99_and_healing_restores_it():
    """Ten times slower sale instances push p99 up; after heal it comes back down."""
    shop = LiveShop(seed=1)
    before = max(shop.run_for(5000)["p99_ms"])
    shop.inject("slow", "all")
    slow = max(shop.run_for(5000)["p99_ms"][-5:])
    shop.heal()
    after = max(shop.run_for(8000)["p99_ms"][-3:])
    assert slow > 3 * before and after < slow


def test_bad_input_is_refused_by_name():
    """An unknown fault or instance and a bad step are named; no fault is recorded."""
    shop = LiveShop(seed=1)
    with pytest.raises(UnknownNameError, match="'flood'"):
        shop.inject("flood")
    with pytest.raises(UnknownNameError, match="'sale-9'"):
        shop.inject("crash", "sale-9")
    with pytest.raises(ConfigError, match="got 0"):
        shop.run_for(0)
    assert shop.deployment.faults == []


def test_the_monitor_dashboard_draws_every_series_and_the_fault_bands():
    """The view has one row per series, the breaker's row labelled closed/half-open/open, and
    a band per fault (pure: drawing changes nothing)."""
    from caplab.viz.services import monitor_dashboard
    shop = LiveShop(seed=1)
    shop.run_for(2000)
    shop.inject("crash", "sale-1")
    s = shop.run_for(3000)
    fig = monitor_dashboard(s)
    names = [t.name for t in fig.data]
    assert names == ["request rate", "error rate", "p50", "p99", "queue length", "instances",
                     "breaker state"]
    assert list(fig.layout.yaxis6.ticktext) == ["closed", "half-open", "open"]
    assert any(a.text == "sale-1 crashed" for a in fig.layout.annotations)
    assert shop.run_for(1) is not None and shop.now == 5001


def test_the_nemesis_injects_every_kind_of_fault_and_heals_each():
    """Jepsen's nemesis, Netflix's Chaos Monkey: on its own seeded schedule (a strike every
    8-15 s, healed after 3-6 s) it slows, fails, crashes and cuts off sale instances."""
    shop = LiveShop(seed=1, nemesis=True)
    shop.run_for(150_000)
    faults = shop.deployment.faults
    kinds = {label.split(" ", 1)[1] for _, _, label in faults}
    assert kinds == {"slow", "failing", "crashed", "cut off"}
    assert all(3_000 <= end - start <= 6_000 for start, end, _ in faults)
    starts = [start for start, _, _ in faults]
    assert all(8_000 <= b - a <= 15_000 for a, b in zip(starts, starts[1:]))
