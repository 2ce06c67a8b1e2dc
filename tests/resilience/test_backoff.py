"""Backoff formulas, bad input, and the ordering of the AWS "Exponential Backoff and Jitter"
simulation reproduced on the world."""

import random

import pytest

from caplab.errors import ConfigError, UnknownNameError
from caplab.resilience import JITTERS, Backoff, Retry
from caplab.resilience.contention import compare_strategies, run_contention


def _sleeps(kind, n=8, seed=1):
    seq = Backoff(kind, base_ms=5, cap_ms=2000).sequence(random.Random(seed))
    return [seq.next_delay_ms() for _ in range(n)]


def test_no_jitter_is_capped_exponential():
    """AWS: expo = min(cap, base * 2^n); no jitter sleeps exactly that (SEMANTICS.md, Backoff)."""
    assert _sleeps("none") == [10, 20, 40, 80, 160, 320, 640, 1280]
    assert Backoff("none", base_ms=5, cap_ms=100).expo_ms(10) == 100


def test_full_and_equal_jitter_stay_within_their_ranges():
    """AWS: full = U(0, expo); equal = expo/2 + U(0, expo/2) (SEMANTICS.md, Backoff)."""
    b = Backoff("none", base_ms=5, cap_ms=2000)
    for seed in range(20):
        for n, d in enumerate(_sleeps("full", seed=seed), start=1):
            assert 0 <= d <= b.expo_ms(n)
        for n, d in enumerate(_sleeps("equal", seed=seed), start=1):
            assert b.expo_ms(n) / 2 - 1 <= d <= b.expo_ms(n)


def test_decorrelated_jitter_grows_from_the_previous_sleep():
    """AWS: decorrelated = min(cap, U(base, 3 * previous)), previous starting at base."""
    for seed in range(20):
        prev = 5
        for d in _sleeps("decorrelated", n=12, seed=seed):
            assert 5 - 1 <= d <= min(2000, 3 * prev) + 1
            prev = max(d, 5)


def test_same_stream_same_sleeps():
    """The sleeps come from the given random stream only."""
    assert _sleeps("full", seed=3) == _sleeps("full", seed=3)
    assert _sleeps("full", seed=3) != _sleeps("full", seed=4)


@pytest.mark.parametrize("kwargs, words", [
    ({"jitter": "gaussian"}, ["'gaussian'", "'full'", "'decorrelated'"]),
    ({"base_ms": -1}, ["base_ms", "-1"]),
    ({"cap_ms": -5, "base_ms": 0}, ["cap_ms", "-5"]),
    ({"base_ms": 100, "cap_ms": 10}, ["cap_ms=10", "base_ms=100"]),
])
def test_bad_backoff_is_refused_with_the_value(kwargs, words):
    """A bad jitter kind or a negative time names the value (and the allowed kinds)."""
    with pytest.raises(ConfigError) as err:
        Backoff(**kwargs)
    for w in words:
        assert w in str(err.value)
    if "jitter" in kwargs:
        assert isinstance(err.value, UnknownNameError)
        assert err.value.allowed == list(JITTERS)


@pytest.mark.parametrize("bad", [0, -1, 1.5, True])
def test_max_attempts_below_one_is_refused(bad):
    """max_attempts < 1 (or not whole) is refused, naming the value."""
    with pytest.raises(ConfigError, match="max_attempts"):
        Retry(max_attempts=bad)


def test_every_contention_client_succeeds_once():
    """Each OCC client writes the row exactly once; the row's version counts them."""
    r = run_contention("full", clients=10, seed=1)
    assert r["succeeded"] == 10 and r["calls"] == 10 + r["conflicts"]


@pytest.mark.parametrize("seeds", [range(0, 10), range(10, 20), range(20, 30)])
def test_aws_backoff_simulation_ordering(seeds):
    """AWS "Exponential Backoff and Jitter" (Brooker 2015) and its simulator's table in
    SEMANTICS.md (50 clients: None 687/1132, Expo 624/36237, Equal 347/4303, Full 332/2922,
    Decorr 376/2164): without jitter more calls and much longer completion; full and equal
    about the same work, equal takes longer; decorrelated more calls than full in about the
    same time. Orderings over several seeds, never exact values."""
    r = compare_strategies(clients=50, seeds=seeds)
    calls = {k: v["calls"] for k, v in r.items()}
    time = {k: v["completion_ms"] for k, v in r.items()}
    # no jitter: more work than any jittered kind, and much longer (expo) completion
    for jittered in ("full", "equal", "decorrelated"):
        assert calls["expo"] > 1.4 * calls[jittered]
        assert calls["none"] > 1.4 * calls[jittered]
        assert time["expo"] > 5 * time[jittered]
    # full and equal: about the same work; equal takes longer
    assert abs(calls["equal"] - calls["full"]) < 0.15 * calls["full"]
    assert time["equal"] > 1.15 * time["full"]
    # decorrelated: more calls than full, in about the same time
    assert calls["decorrelated"] > calls["full"]
    assert 0.6 * time["full"] < time["decorrelated"] < 1.3 * time["full"]
