"""The time-varying load generator: the spike's rate, the feature mix, determinism, bad input."""

import pytest

from caplab.errors import ConfigError, UnknownNameError
from caplab.services import LoadProfile
from caplab.services.deployment import Deployment


def _run(seed, profile):
    d = Deployment(seed=seed)
    d.add_tier("shop", features={"sale": 1.0, "catalog": 1.0, "checkout": 1.0}, instances=4)
    client = d.add_load("load", profile)
    d.run(profile.duration_ms)
    return client


def test_the_spike_sends_ten_times_the_normal_rate_to_the_sale_only():
    """Thinning (Lewis and Shedler 1979): 20/s normally, 200/s in the window, extra all sale."""
    p = LoadProfile(20, spike_start_ms=10_000, spike_end_ms=20_000, duration_ms=30_000)
    c = _run(2, p)
    inside = [f for t, f in zip(c.sent_ms, c.feature) if 10_000 <= t < 20_000]
    outside = [f for t, f in zip(c.sent_ms, c.feature) if not 10_000 <= t < 20_000]
    assert len(inside) / 10 == pytest.approx(200, rel=0.1)
    assert len(outside) / 20 == pytest.approx(20, rel=0.15)
    assert (len(inside) - inside.count("sale")) / 10 == pytest.approx(16, rel=0.25)
    assert inside.count("sale") / 10 == pytest.approx(184, rel=0.1)


def test_same_seed_same_arrivals_and_another_seed_differs():
    """Arrivals come from the client's own seeded stream."""
    p = LoadProfile(50, duration_ms=5_000)
    assert _run(7, p).sent_ms == _run(7, p).sent_ms
    assert _run(7, p).sent_ms != _run(8, p).sent_ms


@pytest.mark.parametrize("kwargs, word", [
    ({"rate_per_s": -1}, "rate_per_s"), ({"rate_per_s": 0}, "rate_per_s"),
    ({"rate_per_s": 5, "spike_factor": 0.5}, "spike_factor"),
    ({"rate_per_s": 5, "spike_start_ms": 10, "spike_end_ms": 5}, "end after"),
    ({"rate_per_s": 5, "spike_start_ms": 10}, "both"),
    ({"rate_per_s": 5, "mix": (("a", -1),)}, "share")])
def test_bad_profiles_are_refused(kwargs, word):
    """A negative rate, a shrinking spike, a backwards window: an error naming the value."""
    with pytest.raises(ConfigError, match=word):
        LoadProfile(**kwargs)


def test_an_unknown_spike_feature_names_the_features():
    """The spike must go to a feature of the mix."""
    with pytest.raises(UnknownNameError, match="'catalog'"):
        LoadProfile(5, spike_start_ms=0, spike_end_ms=10, spike_feature="flash")
